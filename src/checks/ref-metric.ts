import type { ExternalMetricsModel } from '../model/types.ts';
import { editDistance, limitedGuesses } from '../util/closest.ts';
import type { Check } from './check.ts';

export const refMetricCheck: Check = {
  id: 'ref/metric',
  description: 'Every metric an expression or panel uses is catalogued, a recording rule output, or a declared external metric; a name under an exporter catalogue\'s prefixes is one it lists.',
  severity: 'error',
  run() {},
  // Each expression on its own, with the catalogue (and the recording rules): per file.
  perFile(ctx, file) {
    let guess: ((name: string) => string | undefined) | undefined;
    for (const expression of file.expressions) {
      for (const use of ctx.analyze(expression).metrics) {
        if (ctx.catalog.resolve(use.name)) continue;
        const span = expression.origin.def.locateInString(expression.origin.path, use.start, use.end);
        const dangling = { namespace: 'metric' as const, name: use.name };
        const exporter = ctx.catalog.exhaustiveEntryOf(use.name);
        if (exporter) {
          ctx.report({ message: `${expression.owner}: metric "${use.name}" is not in ${entryName(exporter)}`, span, dangling, hint: exhaustiveHint(exporter, use.name) });
          continue;
        }
        guess ??= limitedGuesses(ctx.catalog.knownNames());
        const near = guess(use.name);
        ctx.report({
          message: `${expression.owner}: metric "${use.name}" is not in the catalogue`,
          span,
          dangling,
          hint: near ? `did you mean "${near}"? Otherwise add it to a Metrics definition` : 'add it to a Metrics definition, or declare its exporter under `external:`',
        });
      }
    }
  },
};

function entryName(external: ExternalMetricsModel): string {
  return external.catalogue ? `the ${external.catalogue} catalogue` : `the metrics of external source ${external.source}`;
}

function exhaustiveHint(external: ExternalMetricsModel, name: string): string {
  const under = external.prefixes.find((p) => name.startsWith(p))!;
  const near = closestNames(name, external.names.filter((n) => n.startsWith(under)), 3);
  const guess = near.length ? `did you mean ${near.map((n) => `"${n}"`).join(', ')}? ` : '';
  const extend = external.catalogue
    ? 'if the exporter really serves it (a textfile metric, a newer version), list it under names: or metrics: of this entry'
    : 'if the exporter serves it, list it under names: or metrics: of this entry, or set exhaustive: false';
  return `${guess}every metric under "${under}" is one ${entryName(external)} lists; ${extend}`;
}

/** Up to `count` candidates nearest to `word` by edit distance, within a third of its length (plausible typos only). */
export function closestNames(word: string, candidates: readonly string[], count: number): string[] {
  const max = Math.max(2, Math.floor(word.length / 3));
  return candidates
    .map((c) => ({ c, d: editDistance(word, c, max) }))
    .filter((x) => x.d <= max)
    .sort((a, b) => a.d - b.d || (a.c < b.c ? -1 : a.c > b.c ? 1 : 0))
    .slice(0, count)
    .map((x) => x.c);
}
