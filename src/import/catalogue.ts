/**
 * The metric catalogue imported rules need (every metric an expression reads must be declared): a type where the use
 * shows it — a `_total` read with rate()/irate()/increase() is a counter, `_bucket` under histogram_quantile() a
 * histogram — with the labels the expressions name; every other metric listed by name as `external`, for review.
 */
import { analyzePromql, COUNTER_RANGE_FUNCTIONS } from '../promql/index.ts';
import type { ImportNote } from './fold.ts';
import type { RawGroup } from './rule-sources.ts';

export interface ImportedCatalogue {
  /** The Metrics definition, or undefined when the rules read no metric that needs declaring. */
  definition?: Record<string, unknown>;
  notes: ImportNote[];
}

export const IMPORTED_SOURCE = 'imported';
export const UNREVIEWED_SOURCE = 'imported-unreviewed';

/** Label names an expression names anywhere: matchers, by/without, on/ignoring, group_left/right. */
function namedLabels(expr: string): string[] {
  const out = new Set<string>();
  for (const m of expr.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g)) {
    for (const label of m[1]!.split(',')) if (/^\s*[a-zA-Z_][a-zA-Z0-9_]*\s*$/.test(label)) out.add(label.trim());
  }
  return [...out];
}

const templateLabels = (text: string) => [...text.matchAll(/\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)/g)].map((m) => m[1]!);

/** One expression a catalogue is inferred from, with the texts whose `$labels.x` name labels of its metrics. */
export interface CatalogueExpression {
  expr: string;
  /** A dashboard query: Grafana variables ($__rate_interval, $job) are read as such. */
  grafana?: boolean;
  templates?: readonly string[];
}

export function inferCatalogue(groups: readonly RawGroup[]): ImportedCatalogue {
  const recorded = new Set(groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))));
  const expressions = groups.flatMap((g) => g.rules.map((r) => ({ expr: r.expr, templates: Object.values(r.annotations) })));
  return inferCatalogueOf(expressions, { recorded, readers: 'rules' });
}

/** `recorded`: names the expressions read that recording rules make (not catalogue entries); `readers` names them in notes. */
export function inferCatalogueOf(expressions: readonly CatalogueExpression[], options: { recorded?: ReadonlySet<string>; readers: string }): ImportedCatalogue {
  const recorded = options.recorded ?? new Set<string>();
  const types = new Map<string, 'counter' | 'histogram'>();
  const labels = new Map<string, Set<string>>();
  const seen = new Set<string>();
  const addLabels = (metric: string, names: Iterable<string>) => {
    const set = labels.get(metric) ?? new Set<string>();
    for (const n of names) if (n !== '__name__') set.add(n);
    labels.set(metric, set);
  };
  for (const r of expressions) {
    const analysis = analyzePromql(r.expr, { grafana: r.grafana === true });
    const selectors = analysis.facts?.selectors ?? [];
    const metrics = [...new Set(analysis.metrics.map((m) => m.name))].filter((m) => !recorded.has(m));
    const named = [...namedLabels(r.expr), ...(r.templates ?? []).flatMap(templateLabels)];
    for (const s of selectors) {
      if (!s.metric || recorded.has(s.metric)) continue;
      seen.add(s.metric);
      addLabels(s.metric, s.matchers.map((m) => m.label));
      if (s.metric.endsWith('_bucket') && /\bhistogram_quantile\s*\(/.test(r.expr)) types.set(s.metric.slice(0, -'_bucket'.length), 'histogram');
      else if (s.metric.endsWith('_total') && s.call && COUNTER_RANGE_FUNCTIONS.has(s.call.name) && types.get(s.metric) !== 'histogram') types.set(s.metric, 'counter');
    }
    // Labels the expression names are labels its metrics may carry: declaring one too many hides nothing.
    for (const m of metrics) addLabels(m, named);
  }
  const histogramOf = (m: string) => ['_bucket', '_sum', '_count'].map((suffix) => (m.endsWith(suffix) ? m.slice(0, -suffix.length) : undefined)).find((base) => base !== undefined && types.get(base) === 'histogram');
  const typed: Record<string, unknown>[] = [];
  const external: string[] = [];
  const histogramLabels = new Map<string, Set<string>>();
  for (const m of [...seen].sort()) {
    const base = histogramOf(m);
    if (base) {
      const set = histogramLabels.get(base) ?? new Set<string>();
      for (const l of labels.get(m) ?? []) if (l !== 'le') set.add(l);
      histogramLabels.set(base, set);
      continue;
    }
    if (types.get(m) === 'counter') typed.push(metricEntry(m, 'counter', labels.get(m), 'read with rate(), irate() or increase()'));
    else external.push(m);
  }
  for (const [base, set] of [...histogramLabels].sort(([a], [b]) => (a < b ? -1 : 1))) typed.push(metricEntry(base, 'histogram', set, 'its _bucket series read by histogram_quantile()'));
  typed.sort((a, b) => ((a.name as string) < (b.name as string) ? -1 : 1));
  const notes: ImportNote[] = [];
  if (typed.length) notes.push({ kind: 'inferred', message: `${typed.length} metric type(s) inferred from their use: ${typed.map((t) => `${t.name} (${t.type})`).join(', ')}` });
  if (external.length) notes.push({ kind: 'review', message: `${external.length} metric(s) whose type the ${options.readers} do not show are declared as external names (source ${UNREVIEWED_SOURCE}): declare their types and labels in a Metrics catalogue` });
  if (!typed.length && !external.length) return { notes };
  return {
    definition: {
      apiVersion: 'vigil/v1',
      kind: 'Metrics',
      source: IMPORTED_SOURCE,
      ...(typed.length ? { metrics: typed } : {}),
      ...(external.length ? { external: [{ source: UNREVIEWED_SOURCE, names: external }] } : {}),
    },
    notes,
  };
}

function metricEntry(name: string, type: 'counter' | 'histogram', labels: Set<string> | undefined, evidence: string): Record<string, unknown> {
  const list = [...(labels ?? [])].sort();
  return { name, type, help: `Imported: a ${type}, ${evidence}.`, ...(list.length ? { labels: list } : {}) };
}
