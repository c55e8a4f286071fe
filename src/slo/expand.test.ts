import { describe, expect, it } from 'vitest';
import { expandSlo, type SloSpec } from './index.ts';

const SEVERITIES = ['critical', 'warning', 'info'];
const base = (over: Partial<SloSpec> = {}): SloSpec => ({
  name: 'api-availability',
  service: 'api',
  objective: 99.9,
  window: '30d',
  sli: { events: { errorQuery: 'sum(rate(req_total{code=~"5.."}[{{ .window }}]))', totalQuery: 'sum(rate(req_total[{{.window}}]))' } },
  ...over,
});
const ratioOf = (slo: SloSpec, window: string) => expandSlo(slo, { severities: SEVERITIES }).recordings.find((r) => r.record === `slo:sli_error:ratio_rate${window}`)?.expr;

describe('expandSlo: the error ratio of each SLI kind', () => {
  it.each([
    ['events (both placeholder spellings)', base(), '(sum(rate(req_total{code=~"5.."}[1h])))\n/\n(sum(rate(req_total[1h])))'],
    ['ratio of counters', base({ sli: { ratio: { good: 'req_total{code!~"5.."}', total: 'req_total' } } }), '1 - (\n  sum(rate(req_total{code!~"5.."}[1h]))\n  /\n  sum(rate(req_total[1h]))\n)'],
    ['latency with a selector', base({ sli: { latency: { bucket: 'dur_seconds_bucket', le: '0.5', selector: '{ service="api" }' } } }), '1 - (\n  sum(rate(dur_seconds_bucket{service="api",le="0.5"}[1h]))\n  /\n  sum(rate(dur_seconds_count{service="api"}[1h]))\n)'],
    ['latency without a selector', base({ sli: { latency: { bucket: 'dur_seconds_bucket', le: '1' } } }), '1 - (\n  sum(rate(dur_seconds_bucket{le="1"}[1h]))\n  /\n  sum(rate(dur_seconds_count[1h]))\n)'],
  ])('%s', (_, slo, want) => {
    expect(ratioOf(slo, '1h')).toBe(want);
  });
});

describe('expandSlo: recording rules', () => {
  it('records every window the default alerts need, then the period from the 5m ratio, then the meta series', () => {
    const x = expandSlo(base(), { groupLabels: { team: 'core' }, severities: SEVERITIES });
    expect(x.windows).toEqual(['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d']);
    expect(x.recordings.map((r) => r.record)).toEqual([
      ...['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d'].map((w) => `slo:sli_error:ratio_rate${w}`),
      'slo:objective:ratio',
      'slo:error_budget:ratio',
      'slo:time_period:days',
      'slo:current_burn_rate:ratio',
      'slo:period_burn_rate:ratio',
      'slo:period_error_budget_remaining:ratio',
    ]);
    const byName = new Map(x.recordings.map((r) => [r.record, r]));
    expect(byName.get('slo:sli_error:ratio_rate30d')!.expr).toBe(
      'sum_over_time(slo:sli_error:ratio_rate5m{slo="api-availability", service="api"}[30d])\n/\ncount_over_time(slo:sli_error:ratio_rate5m{slo="api-availability", service="api"}[30d])',
    );
    expect(byName.get('slo:objective:ratio')!.expr).toBe('vector(0.999)');
    expect(byName.get('slo:error_budget:ratio')!.expr).toBe('vector(0.001)');
    expect(byName.get('slo:time_period:days')!.expr).toBe('vector(30)');
    for (const r of x.recordings) expect(r.labels).toEqual({ team: 'core', slo: 'api-availability', service: 'api' });
  });

  it('an SLO label cannot take over slo or service, which tell the SLO\'s series apart', () => {
    const x = expandSlo(base({ labels: { slo: 'other', tier: '1' } }), { groupLabels: { service: 'x' }, severities: SEVERITIES });
    expect(x.labels).toEqual({ service: 'api', slo: 'api-availability', tier: '1' });
  });

  it('a burn window equal to the period is recorded once, from the raw queries', () => {
    const x = expandSlo(base({ window: '3d', alert: { burnRates: [{ severity: 'page', long: '3d', short: '1h', factor: 1 }] } }), { severities: SEVERITIES });
    expect(x.recordings.filter((r) => r.record === 'slo:sli_error:ratio_rate3d').map((r) => r.expr)).toEqual(['(sum(rate(req_total{code=~"5.."}[3d])))\n/\n(sum(rate(req_total[3d])))']);
  });
});

describe('expandSlo: the alert', () => {
  it('defaults: the workbook burn rates for 30d, page at the most severe level and ticket at the next, no `for`', () => {
    const alert = expandSlo(base(), { severities: SEVERITIES }).alert!;
    expect(alert.name).toBe('ApiAvailabilityErrorBudgetBurn');
    expect(alert.levels.map((l) => [l.burn, l.severity, l.for])).toEqual([
      ['page', 'critical', undefined],
      ['ticket', 'warning', undefined],
    ]);
    expect(alert.levels[0]!.expr).toBe(
      [
        '(\n  slo:sli_error:ratio_rate1h{slo="api-availability", service="api"} > (14.4 * 0.001)\nand\n  slo:sli_error:ratio_rate5m{slo="api-availability", service="api"} > (14.4 * 0.001)\n)',
        '(\n  slo:sli_error:ratio_rate6h{slo="api-availability", service="api"} > (6 * 0.001)\nand\n  slo:sli_error:ratio_rate30m{slo="api-availability", service="api"} > (6 * 0.001)\n)',
      ].join('\nor\n'),
    );
    expect(alert.levels[1]!.burnRates.map((b) => b.factor)).toEqual([3, 1]);
  });

  it('a 28d window keeps the workbook\'s share of the budget: the factors scale (as Sloth\'s)', () => {
    const alert = expandSlo(base({ window: '28d' }), { severities: SEVERITIES }).alert!;
    expect(alert.levels.flatMap((l) => l.burnRates.map((b) => b.factor))).toEqual([13.44, 5.6, 2.8, 0.933333333333]);
  });

  it('written burn rates replace the defaults; a level takes the longest `for` of its pairs', () => {
    const alert = expandSlo(
      base({
        alert: {
          page: 'info',
          burnRates: [
            { severity: 'page', long: '2h', short: '10m', factor: 10, for: '2m' },
            { severity: 'page', long: '12h', short: '1h', factor: 4, for: '10m' },
          ],
        },
      }),
      { severities: SEVERITIES },
    ).alert!;
    expect(alert.levels.map((l) => [l.burn, l.severity, l.for])).toEqual([['page', 'info', '10m']]);
    expect(alert.levels[0]!.expr).toContain('slo:sli_error:ratio_rate12h{slo="api-availability", service="api"} > (4 * 0.001)');
  });

  it.each([
    ['ticket: false leaves the page level alone', { ticket: false as const }, ['page']],
    ['page: false leaves the ticket level alone', { page: false as const }, ['ticket']],
  ])('%s', (_, alert, burns) => {
    expect(expandSlo(base({ alert }), { severities: SEVERITIES }).alert!.levels.map((l) => l.burn)).toEqual(burns);
  });

  it('alert: false records only; so do page and ticket both false', () => {
    expect(expandSlo(base({ alert: false }), { severities: SEVERITIES }).alert).toBeUndefined();
    expect(expandSlo(base({ alert: { page: false, ticket: false } }), { severities: SEVERITIES }).alert).toBeUndefined();
    expect(expandSlo(base({ alert: false }), { severities: SEVERITIES }).recordings).toHaveLength(14);
  });

  it('written texts win; the SLO description is the default', () => {
    const plain = expandSlo(base({ description: 'Most requests succeed.' }), { severities: SEVERITIES }).alert!;
    expect(plain.description).toBe('Most requests succeed.');
    const written = expandSlo(base({ description: 'x', alert: { name: 'ApiBurn', summary: 'burning', description: 'y', runbook: 'https://r.example/slo' } }), { severities: SEVERITIES }).alert!;
    expect([written.name, written.summary, written.description, written.runbook]).toEqual(['ApiBurn', 'burning', 'y', 'https://r.example/slo']);
  });
});

describe('expandSlo: windows and label values', () => {
  it('names each distinct window once, in its largest whole unit (24h and 1d are one window, 90m stays 90m)', () => {
    const x = expandSlo(
      base({
        alert: {
          burnRates: [
            { severity: 'page', long: '24h', short: '90m', factor: 2 },
            { severity: 'ticket', long: '1d', short: '1h30m', factor: 1 },
          ],
        },
      }),
      { severities: SEVERITIES },
    );
    expect(x.windows).toEqual(['5m', '90m', '1d', '30d']);
    expect(x.alert!.levels[1]!.expr).toContain('slo:sli_error:ratio_rate1d{');
    expect(x.alert!.levels[1]!.expr).toContain('slo:sli_error:ratio_rate90m{');
  });

  it.each([
    ['a quote', 'api "edge"', '{slo="api-availability", service="api \\"edge\\""}'],
    ['a backslash and a line break', 'a\\b\nc', '{slo="api-availability", service="a\\\\b\\nc"}'],
  ])('a service with %s stays one PromQL string in every selector', (_, service, selector) => {
    const x = expandSlo(base({ service }), { severities: SEVERITIES });
    expect(x.recordings.find((r) => r.record === 'slo:current_burn_rate:ratio')!.expr).toContain(`slo:sli_error:ratio_rate5m${selector}`);
    expect(x.labels.service).toBe(service);
  });
});
