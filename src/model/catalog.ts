import type { ExternalMetricModel, ExternalMetricsModel, MetricModel, Model, RecordingRuleModel } from './types.ts';

export type MetricOrigin =
  /** `external` when the metric is an external one whose type is known (an exporter catalogue's): judged like the project's own. */
  | { kind: 'catalog'; metric: MetricModel; series: string; external?: ExternalMetricsModel }
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
  /** Series of external metrics whose type is known (histograms' _bucket/_sum/_count too), as catalogued metrics. */
  private readonly typedExternalByName = new Map<string, MetricOrigin & { kind: 'catalog' }>();

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
        if (this.externalByName.get(metric.name) === i && !this.externalMetricByName.has(metric.name)) {
          this.externalMetricByName.set(metric.name, metric);
          this.addTyped(external, metric, i);
        }
      }
    });
  }

  private addTyped(external: ExternalMetricsModel, metric: ExternalMetricModel, index: number): void {
    if (!metric.type || metric.type === 'untyped') return;
    const model: MetricModel = { name: metric.name, type: metric.type, help: metric.help ?? '', labels: metric.labels, source: external.source, origin: metric.origin };
    this.typedExternalByName.set(metric.name, { kind: 'catalog', metric: model, series: metric.name, external });
    const suffixes = metric.type === 'histogram' ? HISTOGRAM_SERIES : metric.type === 'summary' ? SUMMARY_SERIES : [];
    for (const suffix of suffixes) {
      const series = metric.name + suffix;
      if (this.externalByName.has(series) && this.externalByName.get(series) !== index) continue;
      this.externalByName.set(series, index);
      this.typedExternalByName.set(series, { kind: 'catalog', metric: model, series, external });
    }
  }

  resolve(name: string): MetricOrigin | undefined {
    const known = this.byName.get(name);
    if (known) return known;
    // The first external source that lists the name or one of its prefixes.
    // An exhaustive entry's prefixes make nothing known: its names are all there is under them.
    const listed = this.externalByName.get(name) ?? this.externals.length;
    for (let i = 0; i < listed; i++) {
      const external = this.externals[i]!;
      if (!external.exhaustive && external.prefixes.some((p) => name.startsWith(p))) return { kind: 'external', external };
    }
    if (listed === this.externals.length) return undefined;
    return this.typedExternalByName.get(name) ?? { kind: 'external', external: this.externals[listed]!, metric: this.externalMetricByName.get(name) };
  }

  /** Every name a user could have meant, for "did you mean" hints. */
  knownNames(): string[] {
    return [...this.byName.keys(), ...this.externals.flatMap((e) => e.names)];
  }

  /**
   * For a name resolve() does not know: the exhaustive entry (an exporter catalogue) whose prefix it is under, so the
   * name is a typo of one of that entry's, not a metric nobody declared.
   */
  exhaustiveEntryOf(name: string): ExternalMetricsModel | undefined {
    return this.externals.find((e) => e.exhaustive && e.prefixes.some((p) => name.startsWith(p)));
  }

  /** Labels a series of this metric can carry (catalogued labels + target labels + le/quantile), if known; listed once per name (read only). */
  labelsOf(name: string): readonly string[] | undefined {
    if (this.labelLists.has(name)) return this.labelLists.get(name);
    const labels = this.listLabels(name);
    this.labelLists.set(name, labels);
    return labels;
  }

  private readonly labelLists = new Map<string, readonly string[] | undefined>();

  private listLabels(name: string): string[] | undefined {
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
