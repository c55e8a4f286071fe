import type { ExternalMetricModel, ExternalMetricsModel, MetricModel, Model, RecordingRuleModel } from './types.ts';

export type MetricOrigin =
  | { kind: 'catalog'; metric: MetricModel; series: string }
  /** `metric` when the entry lists the name under `metrics:`, with labels of its own. */
  | { kind: 'external'; external: ExternalMetricsModel; metric?: ExternalMetricModel }
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
  /** The `metrics:` entry of each name whose first listing source declares it there, with its own labels. */
  private readonly externalMetricByName = new Map<string, ExternalMetricModel>();

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
      for (const metric of external.metrics) {
        if (this.externalByName.get(metric.name) === i && !this.externalMetricByName.has(metric.name)) this.externalMetricByName.set(metric.name, metric);
      }
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
    if (listed === this.externals.length) return undefined;
    return { kind: 'external', external: this.externals[listed]!, metric: this.externalMetricByName.get(name) };
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
    if (origin.kind === 'external') {
      // An entry's empty `labels` means "not declared"; a `metrics:` entry always declares its labels, even none.
      const declared = origin.metric?.labels ?? (origin.external.labels.length ? origin.external.labels : undefined);
      return declared && [...new Set([...declared, ...TARGET_LABELS])];
    }
    return undefined;
  }
}
