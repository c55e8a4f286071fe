import type { ExternalMetricsModel, MetricModel, Model, RecordingRuleModel } from './types.ts';

export type MetricOrigin =
  | { kind: 'catalog'; metric: MetricModel; series: string }
  | { kind: 'external'; external: ExternalMetricsModel }
  | { kind: 'recording'; rule: RecordingRuleModel };

/** Labels every scraped series carries, whatever its exporter. */
export const TARGET_LABELS = ['instance', 'job'];

const HISTOGRAM_SERIES = ['_bucket', '_sum', '_count'];
const SUMMARY_SERIES = ['_sum', '_count'];

/** Answers "where does this metric name come from?" for every name an expression may use. */
export class Catalog {
  private readonly byName = new Map<string, MetricOrigin>();
  private readonly externals: ExternalMetricsModel[];
  /** The index of the first external source that lists each name: lookups must not scan long `names:` lists. */
  private readonly externalByName = new Map<string, number>();

  constructor(model: Model) {
    for (const metric of model.metrics) {
      if (this.byName.has(metric.name)) continue;
      this.byName.set(metric.name, { kind: 'catalog', metric, series: metric.name });
      const suffixes = metric.type === 'histogram' ? HISTOGRAM_SERIES : metric.type === 'summary' ? SUMMARY_SERIES : [];
      for (const suffix of suffixes) this.byName.set(metric.name + suffix, { kind: 'catalog', metric, series: metric.name + suffix });
    }
    for (const group of model.groups) {
      for (const rule of group.rules) if (!this.byName.has(rule.record)) this.byName.set(rule.record, { kind: 'recording', rule });
    }
    this.externals = model.external;
    this.externals.forEach((external, i) => {
      for (const name of external.names) if (!this.externalByName.has(name)) this.externalByName.set(name, i);
    });
  }

  resolve(name: string): MetricOrigin | undefined {
    const known = this.byName.get(name);
    if (known) return known;
    // The first external source that lists the name or one of its prefixes.
    const listed = this.externalByName.get(name) ?? this.externals.length;
    for (let i = 0; i < listed; i++) {
      if (this.externals[i]!.prefixes.some((p) => name.startsWith(p))) return { kind: 'external', external: this.externals[i]! };
    }
    return listed < this.externals.length ? { kind: 'external', external: this.externals[listed]! } : undefined;
  }

  /** Every name a user could have meant, for "did you mean" hints. */
  knownNames(): string[] {
    return [...this.byName.keys(), ...this.externals.flatMap((e) => e.names)];
  }

  /** Labels a series of this metric can carry (catalogued labels + target labels + le/quantile), if known. */
  labelsOf(name: string): string[] | undefined {
    const origin = this.resolve(name);
    if (!origin) return undefined;
    if (origin.kind === 'catalog') {
      const extra = origin.series.endsWith('_bucket') ? ['le'] : origin.metric.type === 'summary' && origin.series === origin.metric.name ? ['quantile'] : [];
      return [...new Set([...origin.metric.labels, ...TARGET_LABELS, ...extra])];
    }
    if (origin.kind === 'external') return origin.external.labels.length ? [...new Set([...origin.external.labels, ...TARGET_LABELS])] : undefined;
    return undefined;
  }
}
