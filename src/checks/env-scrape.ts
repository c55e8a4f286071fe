import { keySpanOf, spanOf } from '../model/types.ts';
import { closest } from '../util/closest.ts';
import type { Check } from './check.ts';

/** Sources whose series Prometheus makes itself (up, ALERTS): nothing to scrape for them. */
const SELF_SOURCES = new Set(['prometheus']);

/**
 * An environment's prometheus.yml scrapes per catalogue source. A source without targets means its metrics — and
 * every alert on them — are silently absent in that environment; a scrape entry for an unknown source is usually a
 * typo of one.
 */
export const envScrapeCheck: Check = {
  id: 'env/scrape',
  description: 'Each environment scrapes every metric source of the catalogue, and only sources the catalogue declares.',
  severity: 'warning',
  run(ctx) {
    const env = ctx.model.environment;
    if (!env) return;
    const declared = new Map<string, string[]>();
    // Appended in place: copying the list per metric made a large catalogue quadratic (issue #8 §7).
    const namesOf = (source: string) => declared.get(source) ?? declared.set(source, []).get(source)!;
    for (const m of ctx.model.metrics) namesOf(m.source).push(m.name);
    for (const e of ctx.model.external) namesOf(e.source).push(...e.names, ...e.prefixes.map((p) => `${p}*`));
    const pushed = env.pushgateway?.sources ?? [];
    const scraped = new Set([...env.scrape.map((s) => s.source), ...pushed]);
    for (const [source, names] of declared) {
      if (SELF_SOURCES.has(source) || scraped.has(source)) continue;
      ctx.report({
        message: `environment ${env.name} scrapes no targets for source "${source}" (${names.slice(0, 3).join(', ')}${names.length > 3 ? `, … ${names.length} in all` : ''}): its metrics and the alerts on them will be absent`,
        span: env.scrape.length ? keySpanOf(env.origin, 'scrape') : keySpanOf(env.origin, 'name'),
        hint: `add \`${source}: { targets: ["host:port"] }\` or \`{ fileSd: [...] }\` under scrape:, or list it in pushgateway.sources if its jobs push their metrics`,
      });
    }
    const collected = [
      ...env.scrape.map((s) => ({ source: s.source, verb: 'scrapes', span: keySpanOf(env.origin, 'scrape', s.source) })),
      ...pushed.map((source, i) => ({ source, verb: 'takes pushes for', span: spanOf(env.origin, 'pushgateway', 'sources', i) })),
    ];
    for (const { source, verb, span } of collected) {
      if (SELF_SOURCES.has(source) || declared.has(source)) continue;
      const near = closest(source, declared.keys());
      ctx.report({
        message: `environment ${env.name} ${verb} source "${source}", which no Metrics definition declares`,
        span,
        dangling: { namespace: 'source', name: source },
        hint: near ? `did you mean "${near}"?` : 'declare its metrics in a Metrics definition (source: or external:) so rules and dashboards can be checked against them',
      });
    }
  },
};
