import type { ExposedMetric, ExposedType } from './exposition.ts';

/** One metric of an exporter catalogue. */
export interface CatalogueMetric {
  name: string;
  type: ExposedType;
  help: string;
  /**
   * The label names of its series besides instance and job (and le/quantile). Absent when they are not fixed: the
   * family had no sample when recorded, or its series carry whatever labels their target or rule has (up, ALERTS).
   */
  labels?: string[];
}

/** A file under src/catalogues/: what one exporter serves on /metrics. */
export interface CatalogueFile {
  /** The name a Metrics definition references: `external: [{ catalogue: node_exporter }]`. */
  catalogue: string;
  /** The default source (scrape job) of its metrics. */
  source: string;
  /** Which exporter, version and method the list was recorded from. */
  recordedFrom: string;
  /** A name under one of these that the catalogue does not list is a typo (ref/metric). */
  prefixes: string[];
  metrics: CatalogueMetric[];
}

/** A catalogue entry from a scraped family: labels only when a sample showed them. */
export function catalogueMetricOf(m: ExposedMetric): CatalogueMetric {
  return { name: m.name, type: m.type, help: m.help, ...(m.sampled ? { labels: m.labels } : {}) };
}

/** Stable text for a catalogue file: metrics sorted by name, two-space JSON, one trailing line break. */
export function catalogueText(file: CatalogueFile): string {
  const metrics = [...file.metrics].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return `${JSON.stringify({ ...file, metrics }, null, 2)}\n`;
}
