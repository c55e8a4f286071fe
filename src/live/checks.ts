import type { Span } from '../diagnostics.ts';
import type { ExpressionModel, MetricModel } from '../model/types.ts';
import { closest } from '../util/closest.ts';
import { prometheusRegexTest } from '../util/re2-match.ts';
import { LiveRefused, type LiveServer } from './client.ts';
import type { GroupingUse } from './grouping.ts';
import { selectorText, type LiveMatcher, type LiveSelector } from './selectors.ts';

export const LIVE_IDS = {
  seriesMissing: 'live/series-missing',
  labelMissing: 'live/label-missing',
  typeMismatch: 'live/type-mismatch',
} as const;

export interface LiveReport {
  check: (typeof LIVE_IDS)[keyof typeof LIVE_IDS];
  message: string;
  span: Span;
  hint: string;
  uses?: ExpressionModel;
}

export interface LiveWindow {
  /** Unix seconds. */
  start: number;
  end: number;
  /** As the user reads it: "1h". */
  text: string;
}

export interface LiveOutcome {
  reports: LiveReport[];
  /** Distinct selectors asked about. */
  distinct: number;
  /** Selectors of the project's recording rules that the server has not loaded yet: not judged. */
  undeployed: number;
  /** The recording rules those selectors read, sorted. */
  undeployedRules: string[];
  /** Queries the server refused (bad_data): their selectors were not judged. */
  refused: string[];
}

/** Runs `task` over `items` with at most `limit` at a time; the first failure rejects (the rest are not started). */
export async function boundedAll<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await task(items[i]!);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Whether a matcher can only match series that carry the label (a missing label reads as ""). */
function needsLabel(m: LiveMatcher): boolean {
  if (m.op === '=') return m.value !== '';
  if (m.op === '=~') return prometheusRegexTest(m.value)?.('') === false;
  return false;
}

const matcherText = (m: Pick<LiveMatcher, 'label' | 'op' | 'value'>) => `${m.label}${m.op}${JSON.stringify(m.value)}`;

/** A list for a message: the first few, and how many more. */
function some(items: readonly string[], max = 10): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/**
 * The judgements of `vigil validate --live`, from the server's answers. Each distinct question is asked once
 * (selectors repeat across alerts, levels and panels), so the cost is linear in the distinct selectors.
 */
export async function judgeSelectors(server: LiveServer, selectors: readonly LiveSelector[], window: LiveWindow, concurrency: number, groupings: readonly GroupingUse[] = []): Promise<LiveOutcome> {
  const asked = new Map<string, Promise<string[]>>();
  const ask = <T>(key: string, question: () => Promise<T>): Promise<T> => {
    let answer = asked.get(key) as Promise<T> | undefined;
    if (!answer) {
      answer = question();
      asked.set(key, answer as Promise<string[]>);
    }
    return answer;
  };
  const labelsOf = (match: string) => ask(`labels ${match}`, () => server.labelNames(match, window.start, window.end));
  const valuesOf = (label: string, match: string) => ask(`values ${label} ${match}`, () => server.labelValues(label, match, window.start, window.end));
  const rules = () => ask('rules', () => server.recordingRules());
  const sorted = (ms: readonly LiveMatcher[]) => [...ms].sort((a, b) => (matcherText(a) < matcherText(b) ? -1 : 1));
  const textOf = (s: LiveSelector, ms: readonly LiveMatcher[]) => selectorText(s.metric, sorted(ms));

  const byText = new Map<string, LiveSelector[]>();
  for (const s of selectors) {
    const key = textOf(s, s.matchers);
    (byText.get(key) ?? byText.set(key, []).get(key)!).push(s);
  }
  const outcome: LiveOutcome = { reports: [], distinct: byText.size, undeployed: 0, undeployedRules: [], refused: [] };
  const judged = await boundedAll([...byText.values()], concurrency, async (same) => {
    try {
      return await judgeOne(same[0]!);
    } catch (e) {
      if (!(e instanceof LiveRefused)) throw e;
      outcome.refused.push(`${textOf(same[0]!, same[0]!.matchers)}: ${e.message}`);
      return undefined;
    }
  });
  for (const [i, same] of [...byText.values()].entries()) {
    const verdict = judged[i];
    if (!verdict) continue;
    if (verdict === 'undeployed') {
      outcome.undeployed += same.length;
      if (!outcome.undeployedRules.includes(same[0]!.metric)) outcome.undeployedRules.push(same[0]!.metric);
      continue;
    }
    for (const s of same) outcome.reports.push(...verdict(s));
  }
  const grouped = await boundedAll(groupings, concurrency, (use) => Promise.all(use.metrics.map((m) => labelsOf(selectorText(m, [])))));
  for (const [i, use] of groupings.entries()) {
    const labelSets = grouped[i]!;
    // A metric without series is series-missing's to report; a label one of the metrics has is fine.
    if (use.label === '__name__' || labelSets.some((l) => l.length === 0 || l.includes(use.label))) continue;
    const known = [...new Set(labelSets.flat())].filter((l) => l !== '__name__').sort();
    const near = closest(use.label, known);
    const names = use.metrics.map((m) => `"${m}"`).join(', ');
    outcome.reports.push({
      check: LIVE_IDS.labelMissing,
      message: `${use.expression.owner}: no series of ${names} on the server carries the label "${use.label}" (last ${window.text}), so ${use.kind} (${use.label}) ${use.kind === 'by' ? 'groups everything into one series without it' : 'removes nothing'}`,
      span: use.span,
      hint: `${near ? `did you mean "${near}"? ` : ''}their labels there: ${some(known, 20)}`,
      uses: use.expression,
    });
  }
  outcome.undeployedRules.sort();
  return outcome;

  /**
   * Like pint: the matcher without which the selector finds series is the one that empties it. When none is, the
   * matchers that find nothing even alone are; when several are (or none finds nothing alone), it is the combination.
   */
  async function emptyingMatchers(s: LiveSelector): Promise<{ index: number; values: string[] }[] | 'together'> {
    const without = (index: number) => textOf(s, s.matchers.filter((_, j) => j !== index));
    const freeing: number[] = [];
    for (const index of s.matchers.keys()) if ((await labelsOf(without(index))).length > 0) freeing.push(index);
    if (freeing.length === 1) return [{ index: freeing[0]!, values: await valuesOf(s.matchers[freeing[0]!]!.label, without(freeing[0]!)) }];
    if (freeing.length > 1) return 'together';
    const alone: { index: number; values: string[] }[] = [];
    for (const [index, m] of s.matchers.entries()) {
      if ((await labelsOf(textOf(s, [m]))).length === 0) alone.push({ index, values: await valuesOf(m.label, selectorText(s.metric, [])) });
    }
    return alone.length ? alone : 'together';
  }

  /** What to report for each selector written this way (the answers are the same, the positions differ). */
  async function judgeOne(s: LiveSelector): Promise<'undeployed' | ((at: LiveSelector) => LiveReport[])> {
    const metricLabels = await labelsOf(selectorText(s.metric, []));
    if (metricLabels.length === 0) {
      if (s.recordedBy) {
        if (!(await rules()).has(s.metric)) return 'undeployed';
        return (at) => [
          {
            check: LIVE_IDS.seriesMissing,
            message: `${at.expression.owner}: "${at.metric}" has no series on the server in the last ${window.text}, although the server has loaded its recording rule (group ${s.recordedBy!.group})`,
            span: at.span,
            hint: 'the rule records nothing: its own expression matches no series (validate --live reports its selectors too)',
            uses: at.expression,
          },
        ];
      }
      return (at) => [
        {
          check: LIVE_IDS.seriesMissing,
          message: `${at.expression.owner}: "${at.metric}" has no series on the server in the last ${window.text}`,
          span: at.span,
          hint: 'check the name and that its exporter is scraped (up{job="…"}); a metric written only when something happens may be absent for a while: then disable the check on this line with a reason',
          uses: at.expression,
        },
      ];
    }
    const have = new Set(metricLabels);
    const absentLabels = s.matchers.filter((m) => m.label !== '__name__' && !have.has(m.label));
    const shownLabels = metricLabels.filter((l) => l !== '__name__');
    const empty = s.matchers.length > 0 && (await labelsOf(textOf(s, s.matchers))).length === 0;
    let culprits: { index: number; values: string[] }[] | 'together' = [];
    if (empty && !absentLabels.some(needsLabel)) culprits = await emptyingMatchers(s);
    return (at) => {
      const reports: LiveReport[] = [];
      // Selectors asked about together may list their matchers in another order: each is found by its text.
      const writtenSpan = (m: LiveMatcher) => (at.matchers.find((w) => matcherText(w) === matcherText(m)) ?? m).span;
      for (const m of s.matchers) {
        if (!absentLabels.includes(m)) continue;
        const near = closest(m.label, shownLabels);
        reports.push({
          check: LIVE_IDS.labelMissing,
          message: `${at.expression.owner}: no series of "${at.metric}" on the server carries the label "${m.label}" (last ${window.text}), so ${matcherText(m)} ${needsLabel(m) ? 'never matches: the selector is always empty' : 'matches every series'}`,
          span: writtenSpan(m),
          hint: `${near ? `did you mean "${near}"? ` : ''}its labels there: ${some(shownLabels, 20)}`,
          uses: at.expression,
        });
      }
      if (culprits === 'together') {
        reports.push({
          check: LIVE_IDS.seriesMissing,
          message: `${at.expression.owner}: "${at.metric}" has series on the server, but none matches ${some(s.matchers.map(matcherText))} together (last ${window.text})`,
          span: at.span,
          hint: 'no single matcher explains it: check which series the expression is meant to find (query it in Prometheus)',
          uses: at.expression,
        });
      }
      for (const culprit of culprits === 'together' ? [] : culprits) {
        const m = s.matchers[culprit.index]!;
        // A number one digit away (500 for 200) is another value, not a typo.
        const near = m.op === '=' && !/^\d+$/.test(m.value) ? closest(m.value, culprit.values) : undefined;
        reports.push({
          check: LIVE_IDS.seriesMissing,
          message: `${at.expression.owner}: "${at.metric}" has series on the server, but none with ${matcherText(m)} (last ${window.text}): the selector matches nothing`,
          span: writtenSpan(m),
          hint: `${near ? `did you mean "${near}"? ` : ''}values of "${m.label}" there: ${culprit.values.length ? some(culprit.values.map((v) => JSON.stringify(v))) : 'none'}`,
          uses: at.expression,
        });
      }
      return reports;
    };
  }
}

/** Server metadata types the catalogue's types are compared with; "unknown" (untyped) proves nothing. */
const COMPARABLE = new Set(['counter', 'gauge', 'histogram', 'summary']);

/** The catalogue's metrics whose type the server's metadata contradicts, located at the entry's `type`. */
export async function judgeTypes(server: LiveServer, metrics: readonly { metric: MetricModel; typeSpan: Span }[], concurrency: number): Promise<LiveReport[]> {
  const answers = await boundedAll(metrics, concurrency, ({ metric }) => server.metricTypes(metric.name));
  const reports: LiveReport[] = [];
  for (const [i, { metric, typeSpan }] of metrics.entries()) {
    const types = [...new Set(answers[i]!.filter((t) => COMPARABLE.has(t)))];
    if (types.length === 0 || types.includes(metric.type)) continue;
    reports.push({
      check: LIVE_IDS.typeMismatch,
      message: `metric "${metric.name}" is a ${metric.type} in the catalogue, but the server's metadata says ${types.join(' or ')}`,
      span: typeSpan,
      hint: `the semantic checks (rate of a gauge, a counter compared with a number) trust the catalogue: make it say ${types[0]}, or fix the exporter`,
    });
  }
  return reports;
}
