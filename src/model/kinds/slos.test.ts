import { describe, expect, it } from 'vitest';
import { slo, slos, yamlOf } from '../../../test/factories/index.ts';
import { compileBase } from '../../../test/helpers/model.ts';
import { lineColAt } from '../../diagnostics.ts';
import { alertsByName, levelExpression } from '../types.ts';

// The total query writes the placeholder without spaces: positions map back across either spelling.
const SLOS = yamlOf(
  slos({
    slos: [
      slo('app-availability', 'events', { totalQuery: 'sum(rate(http_requests_total[{{.window}}]))' }, { alert: { ticket: 'warning', runbook: 'https://runbooks.example.com/slo' } }),
      slo('app-records-only', 'ratio', {}, { objective: 99, window: '28d', alert: false }),
    ],
  }),
);

describe('SLOs in the model', () => {
  it('become a recording group and an alerting group that the rest of Vigil reads like written ones', async () => {
    const { model, diagnostics } = await compileBase({ 'slos.yaml': SLOS });
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const groups = model.groups.filter((g) => g.name.startsWith('app-slos'));
    expect(groups.map((g) => [g.name, g.type, g.rules.length, g.alerts.length])).toEqual([
      ['app-slos-recordings', 'recording', 28, 0],
      ['app-slos-alerts', 'alerting', 0, 1],
    ]);
    const alert = alertsByName(model).get('AppAvailabilityErrorBudgetBurn')!;
    expect(alert.levels.map((l) => l.severity)).toEqual(['critical', 'warning']);
    expect(alert.labels).toEqual({ team: 'app', service: 'app' }); // slo comes with the series: the alert's identity
    expect(levelExpression(alert, alert.levels[1]!).text).toContain('slo:sli_error:ratio_rate3d{slo="app-availability", service="app"} > (1 * 0.001)');
    // The SLO without an alert records all the same.
    expect(groups[0]!.rules.filter((r) => r.labels.slo === 'app-records-only')).toHaveLength(14);
  });

  it('checks each written query once, at its field, with the window in place of the placeholder', async () => {
    const { model } = await compileBase({ 'slos.yaml': SLOS });
    const written = model.expressions.filter((e) => e.owner.startsWith('SLO '));
    expect(written.map((e) => [e.owner, e.text])).toEqual([
      ['SLO app-availability', 'sum(rate(http_requests_total{code=~"5.."}[30d]))'],
      ['SLO app-availability', 'sum(rate(http_requests_total[30d]))'],
      ['SLO app-records-only', 'sum(rate(http_requests_total{code!~"5.."}[28d]))'],
      ['SLO app-records-only', 'sum(rate(http_requests_total[28d]))'],
    ]);
    // A range inside the query maps back into the written text, across the placeholder.
    const total = written[1]!;
    const at = total.text.indexOf('[30d]');
    const span = total.origin.def.locateInString(total.origin.path, at + 1, at + 4);
    const lines = SLOS.split('\n');
    const row = lines.findIndex((l) => l.includes('{{.window}}'));
    expect(lineColAt(SLOS, span.start)).toEqual({ line: row + 1, col: lines[row]!.indexOf('{{.window}}') + 1 });
    expect(SLOS.slice(span.start, span.end)).toBe('{{.window}}');
  });
});
