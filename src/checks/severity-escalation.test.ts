import { describe, expect, it } from 'vitest';
import { lineColAt } from '../diagnostics.ts';
import { compileBase } from '../../test/helpers/model.ts';

/** A Severities file whose critical level is `critical` (the inside of its YAML flow mapping, after the name). */
const severities = (critical: string) =>
  ['apiVersion: vigil/v1', 'kind: Severities', 'levels:', `  - { name: critical${critical} }`, '  - { name: warning }', '  - { name: info }', ''].join('\n');

async function reports(critical: string) {
  const text = severities(critical);
  const result = await compileBase({ 'severities.yaml': text });
  return result.diagnostics
    .filter((d) => d.code === 'severity/escalation')
    .map((d) => {
      const { line, col } = lineColAt(text, d.span!.start);
      return { severity: d.severity, at: `${line}:${col}`, word: text.slice(d.span!.start, d.span!.end), message: d.message, hint: d.hint };
    });
}

/** Where the value (or, with `key`, the key) of the first (or last) `field: value` of the critical line starts. */
const valueAt = (critical: string, field: string, value: string, from: 'first' | 'last' = 'first', key = false) => {
  const line = `  - { name: critical${critical}`;
  const text = `${field}: ${value}`;
  return `4:${(from === 'first' ? line.indexOf(text) : line.lastIndexOf(text)) + 1 + (key ? 0 : field.length + 2)}`;
};

describe('severity/escalation', () => {
  const cases: { name: string; critical: string; want: { severity: 'error' | 'warning'; field: string; value: string; message: string; atKey?: boolean }[] }[] = [
    { name: 'confirmExpiry 0s', critical: ', confirmExpiry: 0s', want: [{ severity: 'error', field: 'confirmExpiry', value: '0s', message: 'expires a confirmation the moment it is made' }] },
    { name: 'confirmExpiry 0h0m', critical: ', confirmExpiry: 0h0m', want: [{ severity: 'error', field: 'confirmExpiry', value: '0h0m', message: 'confirmExpiry 0h0m' }] },
    { name: 'confirmExpiry 1s', critical: ', confirmExpiry: 1s', want: [] },
    {
      name: 'repeat on a step that is not the last',
      critical: ', escalation: [{ after: 5m, receivers: [team], repeat: 30m }, { after: 15m, receivers: [team] }]',
      want: [{ severity: 'error', field: 'repeat', value: '30m', atKey: true, message: 'escalation step 1 of 2 repeats, but only the last step repeats' }],
    },
    { name: 'repeat on the last step', critical: ', escalation: [{ after: 5m, receivers: [team] }, { after: 15m, receivers: [team], repeat: 30m }]', want: [] },
    { name: 'repeat of exactly 1m', critical: ', escalation: [{ after: 5m, receivers: [team], repeat: 1m }]', want: [] },
    { name: 'repeat under 1m', critical: ', escalation: [{ after: 5m, receivers: [team], repeat: 59s }]', want: [{ severity: 'warning', field: 'repeat', value: '59s', message: 'paged more than once a minute' }] },
    { name: 'repeat of 0s, which the relay refuses', critical: ', escalation: [{ after: 5m, receivers: [team], repeat: 0s }]', want: [{ severity: 'error', field: 'repeat', value: '0s', message: 'the relay refuses a repeat of 0' }] },
    { name: 'nothing to say', critical: ', escalation: [{ after: 5m, receivers: [team] }]', want: [] },
    {
      name: 'escalation on a level whose alerts carry no severity label',
      critical: ', label: false, escalation: [{ after: 5m, receivers: [team] }]',
      want: [{ severity: 'warning', field: 'escalation', value: '[{ after: 5m', atKey: true, message: 'so the relay never escalates them' }],
    },
    { name: 'a level without severity label and no escalation', critical: ', label: false', want: [] },
  ];

  it.each(cases)('$name', async ({ critical, want }) => {
    const found = await reports(critical);
    expect(found.map((f) => ({ severity: f.severity, at: f.at, word: f.word }))).toEqual(want.map((w) => ({ severity: w.severity, at: valueAt(critical, w.field, w.value, 'first', w.atKey), word: w.atKey ? w.field : w.value })));
    want.forEach((w, i) => {
      expect(found[i]!.message).toContain(w.message);
      expect(found[i]!.hint).toBeTruthy();
    });
  });

  it('reports a misplaced repeat and a short last one together, each at its own field', async () => {
    const critical = ', escalation: [{ after: 5m, receivers: [team], repeat: 10m }, { after: 15m, receivers: [team], repeat: 30s }]';
    const found = await reports(critical);
    expect(found.map((f) => [f.severity, f.at])).toEqual([
      ['error', valueAt(critical, 'repeat', '10m', 'first', true)],
      ['warning', valueAt(critical, 'repeat', '30s', 'last')],
    ]);
  });
});
