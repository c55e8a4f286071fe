import { ownValue } from '../util/own.ts';
import { prometheusRegexTest } from '../util/re2-match.ts';
import { closest } from '../util/closest.ts';
import type { MatcherFact } from '../promql/index.ts';
import type { Check } from './check.ts';
import type { CheckContext } from './check.ts';
import { selectorsOf } from './promql-facts.ts';

/** Whether a matcher can only match series that carry the label (a missing label reads as ""). */
function needsLabel(m: MatcherFact): boolean {
  if (m.op === '=') return m.value !== '';
  if (m.op === '=~') return prometheusRegexTest(m.value)?.('') === false;
  return false;
}

/** Names exporters give the same thing, for "did you mean" where spelling does not help (status → code). */
const SYNONYMS: Record<string, string[]> = {
  status: ['code', 'status_code'],
  status_code: ['code', 'status'],
  code: ['status', 'status_code'],
  host: ['instance', 'hostname'],
  hostname: ['instance', 'host'],
  node: ['instance'],
  path: ['handler', 'route', 'endpoint'],
  handler: ['path', 'route', 'endpoint'],
  route: ['handler', 'path', 'endpoint'],
  endpoint: ['handler', 'path', 'route'],
  method: ['verb'],
  verb: ['method'],
  env: ['environment'],
  environment: ['env'],
  svc: ['service'],
  app: ['service', 'application'],
};

/**
 * The source of a metric whose labels are declared one by one: a catalogued metric, or an external one listed under
 * `metrics:`. Only those are judged: an entry's labels cover a whole prefix (or are not given) and recording rules'
 * outputs are inferred, so an unlisted label there proves nothing.
 */
function declaredOneByOne(ctx: CheckContext, name: string): { source: string; fix: string } | undefined {
  const origin = ctx.catalog.resolve(name);
  if (origin?.kind === 'catalog') return { source: origin.metric.source, fix: "add it to the metric's labels in the catalogue" };
  if (origin?.kind === 'external' && origin.metric) return { source: origin.external.source, fix: 'add it to the labels of its `metrics:` entry under external' };
  return undefined;
}

export const promqlLabelUnknownCheck: Check = {
  id: 'promql/label-unknown',
  description: 'A selector matches only labels the catalogue declares for its metric (plus job, instance, le, quantile and the scrape labels of its source).',
  severity: 'error',
  dependsOn: ['Environment'],
  run() {},
  // Each expression on its own, with the catalogue and the environments: per file.
  perFile(ctx, file) {
    const envs = ctx.model.environment ? [ctx.model.environment] : ctx.model.environments;
    // A source's scrape labels, listed once per file (each listing walks every environment); a metric's own labels
    // are the catalogue's list: the two are joined only for a report.
    const scrapeLabelsOf = new Map<string, string[]>();
    const scrapeLabels = (source: string) => {
      let labels = scrapeLabelsOf.get(source);
      if (!labels) scrapeLabelsOf.set(source, (labels = envs.flatMap((e) => Object.keys(e.scrape.find((s) => s.source === source)?.labels ?? {}))));
      return labels;
    };
    for (const { expression, selector, span } of selectorsOf(ctx, file.expressions)) {
      if (!selector.matchers.length) continue;
      const declared = selector.metric === undefined ? undefined : declaredOneByOne(ctx, selector.metric);
      if (!declared) continue;
      const own = ctx.catalog.labelsOf(selector.metric!) ?? [];
      const scraped = scrapeLabels(declared.source);
      for (const m of selector.matchers) {
        if (m.label === '__name__' || own.includes(m.label) || scraped.includes(m.label)) continue;
        const labels = [...own, ...scraped];
        // The table's own entries: a label may be named `constructor` (Object.prototype's, in an index read).
        const near = closest(m.label, labels) ?? ownValue(SYNONYMS, m.label)?.find((l) => labels.includes(l));
        const never = needsLabel(m);
        ctx.report({
          uses: expression,
          message: never
            ? `${expression.owner}: "${selector.metric}" has no label "${m.label}" in the catalogue, so ${m.label}${m.op}"${m.value}" never matches: the selector is always empty`
            : `${expression.owner}: "${selector.metric}" has no label "${m.label}" in the catalogue, so ${m.label}${m.op}"${m.value}" matches every series`,
          span: span(m.labelAt),
          severity: never ? 'error' : 'warning',
          hint: `${near ? `did you mean "${near}"? ` : ''}its labels are ${labels.filter((l, i) => labels.indexOf(l) === i).join(', ')}; if it has this label, ${declared.fix}`,
        });
      }
    }
  },
};
