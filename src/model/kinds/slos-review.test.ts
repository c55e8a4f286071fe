import { describe, expect, it } from 'vitest';
import { compileBase } from '../../../test/helpers/model.ts';
import { lineColAt } from '../../diagnostics.ts';
import { alertsByName } from '../types.ts';

const slo = (name: string, sli: string, alert = '') => `  - name: ${name}
    service: app
    objective: 99.9
    window: 30d
    sli:
${sli}${alert}`;
const EVENTS = `      events:
        errorQuery: sum(rate(http_requests_total{code=~"5.."}[{{ .window }}]))
        totalQuery: sum(rate(http_requests_total[{{ .window }}]))
`;
const slos = (...items: string[]) => `apiVersion: vigil/v1\nkind: SLOs\ngroup: app-slos\nlabels: { team: app }\nslos:\n${items.join('')}`;
const RUNBOOK = '    alert: { runbook: https://runbooks.example.com/x }\n';
const codes = (diagnostics: { code: string }[]) => diagnostics.map((d) => d.code).sort();

describe('SLO problems are reported once, by the SLO check', () => {
  it('two SLOs of one name: slo/duplicate only, not a rule/duplicate per recorded series, alert or dashboard', async () => {
    for (const files of <Record<string, string>[]>[
      { 'slos.yaml': slos(slo('app-availability', EVENTS, RUNBOOK), slo('app-availability', EVENTS, RUNBOOK)) },
      { 'slos.yaml': slos(slo('app-availability', EVENTS, RUNBOOK)), 'more-slos.yaml': slos(slo('app-availability', EVENTS, RUNBOOK)).replace('app-slos', 'more-slos') },
    ]) {
      const { model, diagnostics } = await compileBase(files);
      expect(codes(diagnostics)).toEqual(['slo/duplicate']);
      // The first keeps its alert and dashboard.
      expect(alertsByName(model).has('AppAvailabilityErrorBudgetBurn')).toBe(true);
      expect(model.dashboards.filter((d) => d.uid === 'slo-app-availability')).toHaveLength(1);
    }
  });

  it('a latency selector naming an unknown label: one problem, at the selector', async () => {
    const latency = `      latency: { bucket: request_duration_seconds_bucket, le: "0.5", selector: '{servce="app"}' }\n`;
    const { diagnostics } = await compileBase({ 'slos.yaml': slos(slo('app-latency', latency, RUNBOOK)) });
    const text = slos(slo('app-latency', latency, RUNBOOK));
    expect(diagnostics.map((d) => [d.code, lineColAt(text, d.span!.start!)])).toEqual([['promql/label-unknown', { line: 11, col: 82 }]]);
  });

  it('with one severity level the ticket burn rates are not dropped silently: slo/burn-rate warns at the alert', async () => {
    const oneLevel = 'apiVersion: vigil/v1\nkind: Severities\nlevels:\n  - { name: critical }\n';
    const cases = [
      { alert: '', expected: ['slo/burn-rate'], line: 6 },
      { alert: RUNBOOK, expected: ['slo/burn-rate'], line: 14 },
      { alert: '    alert: { ticket: false }\n', expected: [], line: undefined },
      { alert: '    alert: { ticket: critical }\n', expected: [], line: undefined },
    ];
    for (const c of cases) {
      const text = slos(slo('app-availability', EVENTS, c.alert));
      const { diagnostics } = await compileBase({ 'severities.yaml': oneLevel, 'slos.yaml': text });
      const burn = diagnostics.filter((d) => d.code.startsWith('slo/'));
      expect(codes(burn), c.alert).toEqual(c.expected);
      if (c.line) {
        expect(burn[0]!.severity).toBe('warning');
        expect(lineColAt(text, burn[0]!.span!.start!).line, c.alert).toBe(c.line);
        expect(burn[0]!.message).toContain('the ticket burn rates alert at no level');
        expect(burn[0]!.hint).toContain('alert.ticket');
      }
    }
  });
});
