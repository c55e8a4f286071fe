import { describe, expect, it } from 'vitest';
import type { ExpressionModel, MetricModel } from '../model/types.ts';
import { boundedAll, judgeSelectors, judgeTypes } from './checks.ts';
import type { LiveServer } from './client.ts';
import { selectorText, type LiveMatcher, type LiveSelector } from './selectors.ts';

/**
 * The live checks' judgements from recorded answers: a double that answers /api/v1/labels from a list of series, as
 * Prometheus would, and counts the questions.
 */
type Series = Record<string, string>;

function recordedServer(series: Series[], options: { rules?: string[]; types?: Record<string, string[]>; delayMs?: number } = {}) {
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const matching = (match: string) => {
    const parsed = [...match.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)"((?:[^"\\]|\\.)*)"/g)].map(([, label, op, value]) => ({ label: label!, op: op!, value: JSON.parse(`"${value}"`) as string }));
    return series.filter((s) =>
      parsed.every((m) => {
        const v = s[m.label] ?? '';
        if (m.op === '=') return v === m.value;
        if (m.op === '!=') return v !== m.value;
        const re = new RegExp(`^(?:${m.value})$`);
        return m.op === '=~' ? re.test(v) : !re.test(v);
      }),
    );
  };
  const answer = async <T>(call: string, value: () => T): Promise<T> => {
    calls.push(call);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, options.delayMs ?? 0));
    inFlight--;
    return value();
  };
  const server: LiveServer = {
    labelNames: (match) => answer(`labels ${match}`, () => [...new Set(matching(match).flatMap((s) => Object.keys(s)))].sort()),
    labelValues: (label, match) => answer(`values ${label} ${match}`, () => [...new Set(matching(match).map((s) => s[label]).filter((v): v is string => v !== undefined))].sort()),
    metricTypes: (metric) => answer(`metadata ${metric}`, () => options.types?.[metric] ?? []),
    recordingRules: () => answer('rules', () => new Set(options.rules ?? [])),
  };
  return { server, calls, maxInFlight: () => maxInFlight };
}

const span = (start: number) => ({ file: 'alerts.yaml', start, end: start + 1 });
const expression = (owner: string): ExpressionModel => ({ text: '', grafana: false, owner, exact: true }) as unknown as ExpressionModel;

function selector(owner: string, metric: string, matchers: [string, LiveMatcher['op'], string][] = [], extra: Partial<LiveSelector> = {}): LiveSelector {
  return {
    expression: expression(owner),
    metric,
    span: span(0),
    matchers: matchers.map(([label, op, value], i) => ({ label, op, value, span: span(10 + i) })),
    ...extra,
  };
}

const WINDOW = { start: 0, end: 3600, text: '1h' };
const SERIES: Series[] = [
  { __name__: 'http_requests_total', job: 'api', instance: 'a:1', code: '200', handler: '/users' },
  { __name__: 'http_requests_total', job: 'api', instance: 'a:1', code: '503', handler: '/orders' },
  { __name__: 'up', job: 'api', instance: 'a:1' },
  { __name__: 'up', job: 'node', instance: 'n:1' },
];

describe('live/series-missing and live/label-missing from recorded answers', () => {
  const cases: { name: string; selector: LiveSelector; expect: { check: string; at: number; message: string; hint?: string }[] }[] = [
    { name: 'a selector that matches', selector: selector('alert A', 'http_requests_total', [['code', '=', '503']]), expect: [] },
    { name: 'a regex that matches', selector: selector('alert A', 'http_requests_total', [['code', '=~', '5..']]), expect: [] },
    { name: 'a metric without series', selector: selector('alert A', 'http_request_total'), expect: [{ check: 'live/series-missing', at: 0, message: '"http_request_total" has no series on the server in the last 1h' }] },
    {
      name: 'the matcher that empties the selector is named, with the values there',
      selector: selector('alert A', 'http_requests_total', [['job', '=', 'api'], ['code', '=', '500']]),
      expect: [{ check: 'live/series-missing', at: 11, message: 'none with code="500"', hint: 'values of "code" there: "200", "503"' }],
    },
    { name: 'a typo in a value gets a did you mean', selector: selector('alert A', 'up', [['job', '=', 'nod']]), expect: [{ check: 'live/series-missing', at: 10, message: 'none with job="nod"', hint: 'did you mean "node"?' }] },
    {
      name: 'matchers empty only together',
      selector: selector('alert A', 'http_requests_total', [['code', '=', '200'], ['handler', '=', '/orders']]),
      expect: [{ check: 'live/series-missing', at: 0, message: 'none matches code="200", handler="/orders" together' }],
    },
    {
      name: 'a label no series carries: label-missing only (it explains the empty selector)',
      selector: selector('alert A', 'http_requests_total', [['status', '=', '500']]),
      expect: [{ check: 'live/label-missing', at: 10, message: 'carries the label "status"', hint: 'its labels there: code, handler, instance, job' }],
    },
    {
      name: 'a negative matcher on a missing label matches everything',
      selector: selector('alert A', 'up', [['service', '!=', 'x']]),
      expect: [{ check: 'live/label-missing', at: 10, message: 'service!="x" matches every series' }],
    },
    { name: "a recording rule's output that is not deployed yet is not judged", selector: selector('alert A', 'job:up:sum', [], { recordedBy: { group: 'g' } }), expect: [] },
  ];

  it.each(cases)('$name', async ({ selector: s, expect: want }) => {
    const { server } = recordedServer(SERIES);
    const outcome = await judgeSelectors(server, [s], WINDOW, 8);
    expect(outcome.reports.map((r) => r.check)).toEqual(want.map((w) => w.check));
    for (const [i, w] of want.entries()) {
      const r = outcome.reports[i]!;
      expect(r.span.start).toBe(w.at);
      expect(r.message).toContain(w.message);
      expect(r.message).toContain('alert A');
      if (w.hint) expect(r.hint).toContain(w.hint);
    }
  });

  it('a loaded recording rule that records nothing is reported, one not loaded is counted as not judged', async () => {
    const { server } = recordedServer(SERIES, { rules: ['job:errors:rate5m'] });
    const outcome = await judgeSelectors(server, [selector('alert A', 'job:errors:rate5m', [], { recordedBy: { group: 'g' } }), selector('alert B', 'job:up:sum', [], { recordedBy: { group: 'g' } })], WINDOW, 8);
    expect(outcome.reports.map((r) => r.message)).toEqual([expect.stringContaining('although the server has loaded its recording rule (group g)')]);
    expect(outcome.undeployed).toBe(1);
    expect(outcome.undeployedRules).toEqual(['job:up:sum']);
  });

  it('does not call a numeric value one digit away a typo', async () => {
    const { server } = recordedServer(SERIES);
    const [r] = (await judgeSelectors(server, [selector('alert A', 'http_requests_total', [['code', '=', '201']])], WINDOW, 8)).reports;
    expect(r!.hint).not.toContain('did you mean');
  });
});

describe('cost', () => {
  it('asks about each distinct selector once, whatever the matcher order, and reports at every position', async () => {
    const { server, calls } = recordedServer(SERIES);
    const a = selector('alert A', 'http_requests_total', [['job', '=', 'api'], ['code', '=', '500']]);
    const b = { ...selector('alert B', 'http_requests_total', [['code', '=', '500'], ['job', '=', 'api']]), span: span(100) };
    b.matchers = b.matchers.map((m, i) => ({ ...m, span: span(200 + i) }));
    const outcome = await judgeSelectors(server, [a, b, a], WINDOW, 8);
    expect(outcome.distinct).toBe(1);
    expect(new Set(calls).size).toBe(calls.length);
    // The culprit is named at each selector's own code matcher: a's second, b's first.
    expect(outcome.reports.map((r) => r.span.start)).toEqual([11, 200, 11]);
  });

  it('is linear in distinct selectors: a matching selector costs two questions, the metric shared', async () => {
    const { server, calls } = recordedServer(SERIES);
    const many = Array.from({ length: 50 }, (_, i) => selector(`alert ${i}`, 'up', [['job', '=~', `api|x${i}`]]));
    await judgeSelectors(server, many, WINDOW, 8);
    expect(calls.length).toBe(51);
  });

  it('never has more than the concurrency limit in flight', async () => {
    const { server, maxInFlight } = recordedServer(SERIES, { delayMs: 5 });
    const many = Array.from({ length: 40 }, (_, i) => selector(`alert ${i}`, `metric_${i}`));
    await judgeSelectors(server, many, WINDOW, 3);
    expect(maxInFlight()).toBe(3);
  });

  it('boundedAll stops starting work after a failure', async () => {
    let started = 0;
    const run = boundedAll([1, 2, 3, 4, 5, 6], 2, async (n) => {
      started++;
      await new Promise((r) => setTimeout(r, 5));
      if (n === 1) throw new Error('down');
      return n;
    });
    await expect(run).rejects.toThrow('down');
    expect(started).toBeLessThan(6);
  });
});

describe('live/type-mismatch from recorded metadata', () => {
  const metric = (name: string, type: MetricModel['type']) => ({ metric: { name, type } as MetricModel, typeSpan: span(50) });
  it.each([
    { name: 'gauge catalogued as a counter', catalogue: 'counter' as const, server: ['gauge'], reported: 'is a counter in the catalogue, but the server\'s metadata says gauge' },
    { name: 'same type', catalogue: 'counter' as const, server: ['counter'], reported: undefined },
    { name: 'targets disagree, one agrees', catalogue: 'gauge' as const, server: ['counter', 'gauge'], reported: undefined },
    { name: 'untyped on the server proves nothing', catalogue: 'gauge' as const, server: ['unknown'], reported: undefined },
    { name: 'no metadata', catalogue: 'histogram' as const, server: [], reported: undefined },
  ])('$name', async ({ catalogue, server: types, reported }) => {
    const { server } = recordedServer([], { types: { m: types } });
    const reports = await judgeTypes(server, [metric('m', catalogue)], 8);
    if (!reported) return expect(reports).toEqual([]);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.message).toContain(reported);
    expect(reports[0]!.span.start).toBe(50);
  });
});

describe('selectorText', () => {
  it('quotes values as PromQL reads them', () => {
    expect(selectorText('m', [{ label: 'path', op: '=~', value: '/a"b\\\\d+' }])).toBe('{__name__="m", path=~"/a\\"b\\\\\\\\d+"}');
  });
});

describe('matchers that each find nothing', () => {
  it('are each named when no single one explains the empty selector', async () => {
    const { server } = recordedServer(SERIES);
    const outcome = await judgeSelectors(server, [selector('alert A', 'up', [['job', '=', 'db'], ['instance', '=', 'x:1']])], WINDOW, 8);
    expect(outcome.reports.map((r) => [r.span.start, r.message.replace(/.*none with /, '').replace(/ \(.*/, '')])).toEqual([
      [10, 'job="db"'],
      [11, 'instance="x:1"'],
    ]);
  });
});
