import { mdCode, mdText, oneLine } from '../util/markdown.ts';
import type { Change, ChangeDetail } from './changes.ts';

/** The changes of one environment (`scope`), or of a project without environments (`scope` undefined). */
export interface ScopeChanges {
  scope?: string;
  changes: Change[];
}

/** Changes grouped for a reader: those the same in every environment once, then each environment's own. */
export interface ChangeSummary {
  everywhere: Change[];
  scopes: ScopeChanges[];
}

export function summarise(scopes: readonly ScopeChanges[]): ChangeSummary {
  if (scopes.length < 2) return { everywhere: [], scopes: [...scopes] };
  const key = (c: Change) => JSON.stringify(c);
  const inAll = scopes[0]!.changes.filter((c) => scopes.every((s) => s.changes.some((d) => key(d) === key(c))));
  const common = new Set(inAll.map(key));
  return { everywhere: inAll, scopes: scopes.map((s) => ({ ...s, changes: s.changes.filter((c) => !common.has(key(c))) })) };
}

export const changeCount = (s: ChangeSummary) => s.everywhere.length + s.scopes.reduce((n, x) => n + x.changes.length, 0);

const SIGN = { added: '+', removed: '-', changed: '~' } as const;
const sections = (s: ChangeSummary) => [
  ...(s.everywhere.length ? [{ title: 'every environment', code: false, changes: s.everywhere }] : []),
  ...s.scopes.filter((x) => x.changes.length).map((x) => ({ title: x.scope ?? 'the build', code: x.scope !== undefined, changes: x.changes })),
];

function detailText(d: ChangeDetail): string {
  if (d.from !== undefined && d.to !== undefined) return `${d.what} ${d.from} → ${d.to}`;
  if (d.to !== undefined) return `${d.what} ${d.to}`;
  if (d.from !== undefined) return `${d.what} was ${d.from}`;
  return d.what;
}

/** For a terminal: one line per change, every value on one line with controls made visible. */
export function renderChangesText(s: ChangeSummary): string {
  if (changeCount(s) === 0) return 'No changes to alerts, recording rules, routes, receivers, inhibit rules or dashboards.\n';
  const out: string[] = [];
  for (const section of sections(s)) {
    out.push(`${oneLine(section.title)}:`);
    for (const c of section.changes) out.push(oneLine(`  ${SIGN[c.change]} ${c.kind} ${c.name}${c.details.length ? `: ${c.details.map(detailText).join('; ')}` : ''}`));
  }
  return out.join('\n') + '\n';
}

function detailMarkdown(d: ChangeDetail): string {
  const what = mdText(d.what);
  if (d.from !== undefined && d.to !== undefined) return `${what} ${mdCode(d.from, true)} → ${mdCode(d.to, true)}`;
  if (d.to !== undefined) return `${what} ${mdCode(d.to, true)}`;
  if (d.from !== undefined) return `${what} was ${mdCode(d.from, true)}`;
  return what;
}

/**
 * For a pull-request comment: a table per environment. Names, labels, expressions and values come from the
 * definitions: each is a code span or escaped text (util/markdown.ts, as the plan comment), so the comment shows no
 * link, image, mention, HTML or table cell the definitions put there.
 */
export function renderChangesMarkdown(s: ChangeSummary, title = 'Vigil: what this change does'): string {
  const out = [`### ${mdText(title)}`, ''];
  const total = changeCount(s);
  if (total === 0) return [...out, '**No changes** to alerts, recording rules, routes, receivers, inhibit rules or dashboards.', ''].join('\n');
  out.push(`**${total} change${total === 1 ? '' : 's'}.**`);
  for (const section of sections(s)) {
    out.push('', `#### ${section.code ? mdCode(section.title) : mdText(section.title)}`, '', '| | Kind | Name | What changed |', '|---|---|---|---|');
    for (const c of section.changes) out.push(`| ${SIGN[c.change]} | ${c.kind} | ${mdCode(c.name, true)} | ${c.details.length ? c.details.map(detailMarkdown).join('; ') : c.change} |`);
  }
  return out.join('\n') + '\n';
}
