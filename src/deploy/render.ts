import { htmlText, mdCode, mdFence, mdText, oneLine } from '../util/markdown.ts';
import type { Change, TargetPlan } from './target.ts';

const SIGN: Record<Change['kind'], string> = { add: '+', change: '~', remove: '-' };

export function countChanges(plans: readonly TargetPlan[]): number {
  return plans.reduce((n, p) => n + p.changes.length, 0);
}

function tally(changes: readonly Change[]): string {
  const n = (k: Change['kind']) => changes.filter((c) => c.kind === k).length;
  return `${n('add')} to add, ${n('change')} to change, ${n('remove')} to remove`;
}

// Values come from definitions and live services: one line each, controls (terminal escapes too) made visible.
const line = (c: Change) => oneLine(`${SIGN[c.kind]} ${c.object}${c.detail ? `: ${c.detail}` : ''}`);

export function renderPlanText(env: string, plans: readonly TargetPlan[]): string {
  const environment = oneLine(env);
  const out = [`Plan for environment ${environment}:`];
  for (const p of plans) {
    out.push(`  ${oneLine(p.target)}: ${p.changes.length ? tally(p.changes) : 'no changes'}`);
    for (const c of p.changes) out.push(`    ${line(c)}`);
    for (const n of p.notes) out.push(`    note: ${oneLine(n)}`);
  }
  const total = countChanges(plans);
  out.push(total ? `${total} change${total === 1 ? '' : 's'} pending on ${plans.filter((p) => p.changes.length).length} of ${plans.length} targets; \`vigil deploy --env ${environment}\` applies them.` : `No changes: environment ${environment} runs this build.`);
  return out.join('\n') + '\n';
}

/**
 * For a pull-request comment: a summary table, then the changes per target in a diff block. Targets, objects, details
 * and notes carry names and URLs from the definitions and the live services: each is escaped for where it lands
 * (Markdown text, the `<summary>` HTML, or a code fence longer than any backtick run in it), so the comment shows
 * no link, image or HTML that Vigil did not write.
 */
export function renderPlanMarkdown(environment: string, plans: readonly TargetPlan[]): string {
  const total = countChanges(plans);
  const out = [`### Vigil plan: ${mdCode(environment)}`, ''];
  out.push(total ? `**${total} change${total === 1 ? '' : 's'} pending.**` : '**No changes.** The environment runs this build.', '');
  out.push('| Target | Add | Change | Remove |', '|---|---:|---:|---:|');
  for (const p of plans) {
    const n = (k: Change['kind']) => p.changes.filter((c) => c.kind === k).length;
    out.push(`| ${mdText(p.target)} | ${n('add')} | ${n('change')} | ${n('remove')} |`);
  }
  for (const p of plans.filter((x) => x.changes.length || x.notes.length)) {
    out.push('', `<details><summary>${htmlText(p.target)}: ${tally(p.changes)}</summary>`, '');
    // One change per line (see line): a value's own line breaks must not forge a `+`/`-` line of the diff.
    if (p.changes.length) out.push(...mdFence(p.changes.map(line).join('\n'), 'diff'));
    for (const n of p.notes) out.push('', `> ${mdText(n)}`);
    out.push('', '</details>');
  }
  return out.join('\n') + '\n';
}
