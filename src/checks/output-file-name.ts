import { dashboardFileName } from '../emit/grafana-dashboards.ts';
import { ruleFileName } from '../emit/prometheus-rules.ts';
import type { Span } from '../diagnostics.ts';
import { spanOf } from '../model/types.ts';
import type { Check, CheckContext } from './check.ts';

/**
 * Names that become generated file names must stay distinct where the files land: on macOS and Windows (and in a
 * checkout of generated/ there) `Inference.yml` and `inference.yml` are one file, so one group would silently replace
 * the other. Exact repeats are rule/duplicate's to report; the schema bounds the names' length.
 */
function reportFileNames(ctx: CheckContext, what: string, items: { name: string; file: string; span: () => Span }[]): void {
  const first = new Map<string, { name: string; span: () => Span }>();
  for (const item of items) {
    const folded = item.file.normalize('NFC').toLowerCase();
    const earlier = first.get(folded);
    if (!earlier) first.set(folded, item);
    else if (earlier.name !== item.name)
      ctx.report({
        message: `${what} "${item.name}" and "${earlier.name}" differ only in letter case; their files (${item.file}) would overwrite each other on a case-insensitive file system`,
        span: item.span(),
        hint: `rename one ${what} (or merge them)`,
        related: [{ span: earlier.span(), message: `"${earlier.name}" is defined here` }],
      });
  }
}

export const outputFileNameCheck: Check = {
  id: 'output/file-name',
  description: 'Rule group names and dashboard uids give distinct file names on every file system, not only by letter case.',
  severity: 'error',
  run(ctx) {
    const m = ctx.model;
    reportFileNames(ctx, 'rule group', m.groups.map((g) => ({ name: g.name, file: ruleFileName(g.name), span: () => spanOf(g.origin) })));
    reportFileNames(ctx, 'dashboard uid', m.dashboards.map((d) => ({ name: d.uid, file: dashboardFileName(d.uid), span: () => (d.spec ? spanOf(d.origin, 'uid') : spanOf(d.origin)) })));
  },
};
