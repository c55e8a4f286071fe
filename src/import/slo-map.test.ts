import { describe, expect, it } from 'vitest';
import { durationText, pyrraBurnRates, sloName, splitSelector } from './slo-map.ts';
import { alertLevels, importSlos } from './slo.ts';

describe('Pyrra burn rates follow the SLO window as Pyrra scales them', () => {
  it.each([
    ['28d', ['1h/5m 14 for 2m', '6h/30m 7 for 15m', '1d/2h 2 for 1h', '4d/6h 1 for 3h']],
    ['4w', ['1h/5m 14 for 2m', '6h/30m 7 for 15m', '1d/2h 2 for 1h', '4d/6h 1 for 3h']],
    ['2w', ['30m/3m 14 for 1m', '3h/15m 7 for 8m', '12h/1h 2 for 30m', '2d/3h 1 for 90m']],
    ['7d', ['15m/1m 14 for 1m', '90m/8m 7 for 4m', '6h/30m 2 for 15m', '1d/90m 1 for 45m']],
    ['30d', ['64m/5m 14 for 2m', '386m/32m 7 for 16m', '1543m/129m 2 for 64m', '6171m/386m 1 for 193m']],
  ])('%s', (window, want) => {
    expect(pyrraBurnRates(window).map((b) => `${b.long}/${b.short} ${b.factor} for ${b.for}`)).toEqual(want);
  });
});

describe('reading what Pyrra and Sloth write', () => {
  it.each([
    ['a_bucket{job="x",le="0.1"}', { name: 'a_bucket', matchers: ['job="x"', 'le="0.1"'] }],
    ['a_count{ verb =~ "LIST|GET" , code!~"5.."}', { name: 'a_count', matchers: ['verb=~"LIST|GET"', 'code!~"5.."'] }],
    ['a{path="/a,b"}', { name: 'a', matchers: ['path="/a,b"'] }],
    ['a', { name: 'a', matchers: [] }],
    ['sum(a)', undefined],
  ])('splitSelector(%s)', (text, want) => expect(splitSelector(text)).toEqual(want));

  it.each([['requests-availability', 'requests-availability'], ['API_Latency p99', 'api-latency-p99'], ['--', 'slo']])('sloName(%s) = %s', (name, want) => expect(sloName(name)).toBe(want));
  it.each([[60, '1h'], [5760, '4d'], [90, '90m'], [1, '1m']])('durationText(%d) = %s', (m, want) => expect(durationText(m)).toBe(want));

  it.each([
    [{}, { page: 'critical', ticket: 'warning' }],
    [{ page: 'page' }, { page: 'page', ticket: 'critical' }],
    [{ ticket: 'critical' }, { page: 'warning', ticket: 'critical' }],
    [{ page: 'warning' }, { page: 'warning', ticket: 'critical' }],
  ])('alertLevels(%j)', (given, want) => expect(alertLevels(given)).toEqual(want));
});

const pyrra = (indicator: string, extra = '') => ({
  file: 'slo.yaml',
  text: `apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata:\n  name: api\n  labels: { pyrra.dev/team: web, role: alert-rules }\nspec:\n  target: "99.5"\n  window: 28d\n  indicator:\n${indicator}${extra}`,
});

describe('Pyrra indicators as SLIs', () => {
  it('a ratio keeps its grouping in both queries, and pyrra.dev/ labels become SLO labels', () => {
    const r = importSlos([pyrra('    ratio:\n      errors: { metric: \'http_total{code=~"5.."}\' }\n      total: { metric: http_total }\n      grouping: [route]\n')]);
    const slo = r.definitions[0]!.definition.slos[0]!;
    expect(slo.sli).toEqual({ events: { errorQuery: 'sum by (route)(rate(http_total{code=~"5.."}[{{.window}}]))', totalQuery: 'sum by (route)(rate(http_total[{{.window}}]))' } });
    expect(slo.labels).toEqual({ team: 'web' });
    expect(r.notes.map((n) => n.message).join('\n')).toContain('metadata labels role select the PrometheusRule');
  });

  it('a latency over two histograms stays an events SLI (total − success), said in the notes', () => {
    const r = importSlos([pyrra('    latency:\n      success: { metric: \'a_bucket{le="1"}\' }\n      total: { metric: b_count }\n')]);
    expect(r.definitions[0]!.definition.slos[0]!.sli).toEqual({ events: { errorQuery: 'sum(rate(b_count[{{.window}}])) - sum(rate(a_bucket{le="1"}[{{.window}}]))', totalQuery: 'sum(rate(b_count[{{.window}}]))' } });
    expect(r.notes.some((n) => n.message.includes('latency indicator became sli.events'))).toBe(true);
  });

  it.each([['latencyNative', '    latencyNative:\n      latency: "1"\n      total: { metric: a }\n'], ['bool_gauge', '    bool_gauge: { metric: up }\n']])('%s is not imported, and says why', (kind, indicator) => {
    const r = importSlos([pyrra(indicator)]);
    expect(r.definitions).toEqual([]);
    expect(r.notes.find((n) => n.kind === 'not imported')?.message).toContain(`its indicator is ${kind}`);
  });

  it('alerting.disabled records only', () => {
    const r = importSlos([pyrra('    ratio:\n      errors: { metric: a_total }\n      total: { metric: b_total }\n', '  alerting: { disabled: true }\n')]);
    expect(r.definitions[0]!.definition.slos[0]!.alert).toBe(false);
  });
});

describe('Sloth alerts', () => {
  const sloth = (alerting: string) => [{ file: 's.yml', text: `version: "prometheus/v1"\nservice: svc\nslos:\n  - name: a\n    objective: 99\n    sli:\n      events: { error_query: 'sum(rate(e_total[{{.window}}]))', total_query: 'sum(rate(t_total[{{.window}}]))' }\n    alerting:\n${alerting}` }];
  it('both levels disabled: no alert', () => {
    expect(importSlos(sloth('      page_alert: { disable: true }\n      ticket_alert: { disable: true }\n')).definitions[0]!.definition.slos[0]!.alert).toBe(false);
  });
  it('one level disabled, the chosen severity of the other written, annotations split into fields', () => {
    const r = importSlos(sloth('      name: AHigh\n      annotations: { summary: s, runbook: "https://r.example.com", team_doc: d }\n      ticket_alert: { disable: true }\n'), { page: 'page' });
    expect(r.definitions[0]!.definition.slos[0]!.alert).toEqual({ name: 'AHigh', page: 'page', ticket: false, summary: 's', runbook: 'https://r.example.com', annotations: { team_doc: 'd' } });
  });
});
