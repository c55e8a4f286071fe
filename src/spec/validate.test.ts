import { describe, expect, it } from 'vitest';
import { lineColAt } from '../diagnostics.ts';
import { loadYaml } from '../load/yaml.ts';
import { validateDefinitions } from './validate.ts';

function problems(text: string) {
  const { definitions } = loadYaml('d.yaml', text);
  return validateDefinitions(definitions).diagnostics.map((d) => ({ code: d.code, message: d.message, hint: d.hint, ...lineColAt(text, d.span!.start) }));
}

describe('schema validation', () => {
  it('accepts a valid definition of each kind', () => {
    const text = [
      'apiVersion: vigil/v1\nkind: Project\nname: p\n',
      'apiVersion: vigil/v1\nkind: Severities\nlevels: [{ name: critical }]\n',
      'apiVersion: vigil/v1\nkind: Routes\nreceiver: r\n',
      'apiVersion: vigil/v1\nkind: Receivers\nreceivers: [{ name: r, webhook: { url: "http://x" } }]\n',
    ].join('---\n');
    expect(problems(text)).toEqual([]);
  });

  it('names the unknown kind and suggests the closest one', () => {
    expect(problems('apiVersion: vigil/v1\nkind: Reciever\n')).toEqual([
      expect.objectContaining({ code: 'schema', line: 2, col: 7, message: expect.stringContaining('unknown kind "Reciever"'), hint: 'did you mean Receivers?' }),
    ]);
  });

  it('points an unknown field at its key and suggests the known one', () => {
    const [p] = problems('apiVersion: vigil/v1\nkind: Project\nname: p\nevaluationIntreval: 30s\n');
    expect(p).toMatchObject({ code: 'schema', line: 4, col: 1, hint: 'did you mean "evaluationInterval"?' });
  });

  it('reports a missing required field, a wrong type and a bad enum together', () => {
    const text = 'apiVersion: vigil/v1\nkind: Metrics\nmetrics:\n  - name: x_total\n    type: countr\n  - name: y\n    type: gauge\n    help: 3\n';
    const found = problems(text);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ message: expect.stringContaining('metrics[0]: missing required field "help"') }),
        expect.objectContaining({ message: expect.stringContaining('"countr" is not one of'), hint: 'did you mean "counter"?', line: 5, col: 11 }),
        expect.objectContaining({ message: 'metrics[1].help: must be a string, got number 3', line: 8, col: 11 }),
      ]),
    );
  });

  it('calls a literal secret a secret, and a malformed reference a malformed reference', () => {
    const literal = problems('apiVersion: vigil/v1\nkind: Receivers\nreceivers:\n  - name: r\n    dingtalk: { webhook: "https://x/robot?access_token=1" }\n');
    expect(literal).toEqual([expect.objectContaining({ code: 'secret/literal', line: 5, col: 26 })]);
    const malformed = problems('apiVersion: vigil/v1\nkind: Receivers\nreceivers:\n  - name: r\n    dingtalk: { webhook: { env: A, file: /b } }\n');
    expect(malformed).toEqual([expect.objectContaining({ code: 'schema', message: expect.stringContaining('must be a secret reference') })]);
  });

  it('explains a bad duration', () => {
    const [p] = problems('apiVersion: vigil/v1\nkind: Project\nname: p\nscrapeInterval: 15 seconds\n');
    expect(p).toMatchObject({ message: 'scrapeInterval: "15 seconds" is not a Prometheus duration', line: 4, col: 17 });
  });

  it('says plainly what an empty value, a bound or a repeated item breaks', () => {
    const text = 'apiVersion: vigil/v1\nkind: Project\nname: p\npolicies: { testCoverage: 120, requiredAlertLabels: [team, team] }\ngrafana: { datasourceUid: "" }\n';
    expect(problems(text).map((p) => p.message)).toEqual(
      expect.arrayContaining([
        'policies.testCoverage: must be <= 100, got 120',
        'policies.requiredAlertLabels: items 0 and 1 are the same; list each value once',
        'grafana.datasourceUid: must not be empty',
      ]),
    );
  });

  it('locates a per-metric external entry without labels or with a name Prometheus would reject', () => {
    const text = 'apiVersion: vigil/v1\nkind: Metrics\nexternal:\n  - source: node_exporter\n    metrics:\n      - { name: node_load1 }\n      - { name: 1node, labels: [] }\n';
    expect(problems(text)).toEqual([
      expect.objectContaining({ code: 'schema', message: expect.stringContaining('external[0].metrics[0]: missing required field "labels"'), line: 6 }),
      expect.objectContaining({ code: 'schema', message: expect.stringContaining('external[0].metrics[1].name'), line: 7, col: 17 }),
    ]);
  });
});

describe('if/then/else: only the real error, never the "must match else schema" wrapper', () => {
  const SLO = 'apiVersion: vigil/v1\nkind: SLOs\ngroup: g\nslos:\n  - name: a\n    service: s\n    objective: 99\n    window: 30d\n    sli: { ratio: { good: a, total: b } }\n';
  const PANELS = 'apiVersion: vigil/v1\nkind: Dashboard\nuid: d\ntitle: t\npanels:\n';
  const PASSWORD = 'apiVersion: vigil/v1\nkind: Receivers\nreceivers:\n  - name: r\n    alertmanager:\n      webhook_configs:\n        - url: http://x\n          http_config: { basic_auth: { password: ';
  /** `at`: the text the problem points at (its first occurrence after the common head). */
  it.each([
    ['SLO alert: a misspelt field', `${SLO}    alert: { runbok: "https://r" }\n`, { at: 'runbok', message: 'slos[0].alert: unknown field "runbok"', hint: 'did you mean "runbook"?' }],
    ['SLO alert: true', `${SLO}    alert: true\n`, { at: 'true', message: 'slos[0].alert: must be an object, got boolean true', hint: /^write false here, or an object \(the SLO's burn-rate alert/ }],
    ['SLO alert: a bad burn-rate window', `${SLO}    alert: { burnRates: [{ severity: page, long: 1x, short: 5m, factor: 2 }] }\n`, { at: '1x', message: 'slos[0].alert.burnRates[0].long: "1x" is not a Prometheus duration', hint: /^write durations like/ }],
    ['SLO dashboard: a bad uid', `${SLO}    dashboard: { uid: "bad uid" }\n`, { at: '"bad uid"', message: /^slos\[0\]\.dashboard\.uid: "bad uid" does not match/, hint: /Grafana uid/ }],
    ['SLO dashboard: a list', `${SLO}    dashboard: [a]\n`, { at: '[a]', message: 'slos[0].dashboard: must be an object, got a list', hint: /^write false here, or an object/ }],
    ['Dashboard panel: a misspelt field', `${PANELS}  - { type: stat, title: p, queries: [{ expr: up }], colour: red }\n`, { at: 'colour', message: 'panels[0]: unknown field "colour"', hint: /^allowed fields: / }],
    ['Dashboard JSON panel: a field only a written panel has', `${PANELS}  - { json: { type: text }, width: 4 }\n`, { at: 'width', message: 'panels[0]: unknown field "width"', hint: 'allowed fields: json' }],
    ['Receivers integration secret: both env and file', `${PASSWORD}{ env: A, file: /b } } }\n`, { at: '{ env: A', message: /password: must be a secret reference/, hint: 'exactly one of env or file' }],
  ] as [string, string, { at: string; message: string | RegExp; hint: string | RegExp }][])('%s', (_, text, want) => {
    const found = problems(text);
    expect(found.map((p) => p.message)).toHaveLength(1);
    const [p] = found;
    const offset = text.indexOf(want.at, text.lastIndexOf('\n', text.length - 2));
    expect({ code: p!.code, line: p!.line, col: p!.col }).toEqual({ code: 'schema', ...lineColAt(text, offset) });
    expect(p!.message).toMatch(want.message);
    expect(p!.hint).toMatch(want.hint);
  });
});
