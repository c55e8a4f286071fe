import type { Catalog } from './catalog.ts';
import type { Model } from './types.ts';

export interface SampleInterval {
  /** A Prometheus duration. */
  interval: string;
  /** What sets it, for messages: "scrape interval", "scrape interval of source app", "evaluation interval". */
  what: string;
}

/**
 * How often a metric gets a sample: its source's scrape interval in the environment being built, else the project's
 * scrape interval (already the environment's own when it sets one); for a recording rule's output, its group's
 * evaluation interval. Undefined for a name the catalogue does not know.
 */
export function sampleIntervalOf(model: Model, catalog: Catalog, metric: string): SampleInterval | undefined {
  const origin = catalog.resolve(metric);
  if (!origin) return undefined;
  const project = model.project;
  if (origin.kind === 'recording') {
    const group = model.groups.find((g) => g.name === origin.rule.group);
    if (group?.interval) return { interval: group.interval, what: `evaluation interval of group ${group.name}` };
    return project ? { interval: project.evaluationInterval, what: 'evaluation interval' } : undefined;
  }
  const source = origin.kind === 'catalog' ? origin.metric.source : origin.external.source;
  const own = model.environment?.scrape.find((s) => s.source === source)?.interval;
  if (own) return { interval: own, what: `scrape interval of source ${source}` };
  return project ? { interval: project.scrapeInterval, what: 'scrape interval' } : undefined;
}
