import { CHECKS } from '../checks/index.ts';
import { applyCheckConfig, liveOnly } from '../checks/config.ts';
import { readDisableComments } from '../load/disable-comments.ts';
import { liveLabelMissingCheck, liveSeriesMissingCheck, liveTypeMismatchCheck, liveUnreachableCheck } from '../checks/live.ts';
import { createCheckContext, type AnalysisCaches } from '../compile.ts';
import type { Diagnostic } from '../diagnostics.ts';
import type { SourceFile } from '../load/definition.ts';
import { spanOf, type Model } from '../model/types.ts';
import { judgeSelectors, judgeTypes, type LiveReport } from './checks.ts';
import { createClient, DEFAULT_MAX_BODY_BYTES, displayUrl, LiveUnreachable, type LiveServer } from './client.ts';
import { groupingUses } from './grouping.ts';
import { liveSelectors } from './selectors.ts';

export interface LiveOptions {
  url: string;
  /** How far back a series counts as existing. */
  lookbackSeconds: number;
  lookbackText: string;
  /** Per request; the whole pass gets DEADLINE_FACTOR times this. */
  timeoutMs: number;
  concurrency?: number;
  maxBodyBytes?: number;
  /** A server double (tests); otherwise an HTTP client of `url`. */
  server?: LiveServer;
  fetch?: typeof fetch;
  now?: number;
}

export interface LiveResult {
  /** The live checks' problems, after the project's policies.checks and the disable comments. */
  diagnostics: Diagnostic[];
  /** Whether a disable/unused warning of the offline checks still holds: false for a comment a live problem used. */
  stillUnused(d: Diagnostic): boolean;
  /** One line for the text summary. */
  summary: string;
}

/** The whole pass, however many selectors, ends within this many request timeouts. */
export const DEADLINE_FACTOR = 6;
export const DEFAULT_CONCURRENCY = 8;

const BY_ID = new Map([liveSeriesMissingCheck, liveLabelMissingCheck, liveTypeMismatchCheck, liveUnreachableCheck].map((c) => [c.id, c]));

/** Asks the server about every selector and catalogued metric of `model`; never throws for what the server does. */
export async function runLiveChecks(model: Model, sources: readonly SourceFile[], options: LiveOptions, caches?: AnalysisCaches): Promise<LiveResult> {
  const started = performance.now();
  const holder = createCheckContext(model, [], caches);
  const report = (r: LiveReport) => {
    holder.current = BY_ID.get(r.check)!;
    holder.ctx.report({ message: r.message, span: r.span, hint: r.hint, ...(r.uses ? { uses: r.uses } : {}) });
  };
  const shown = displayUrl(options.url);
  const selectors = liveSelectors(holder.ctx);
  const metrics = model.metrics.map((metric) => ({ metric, typeSpan: spanOf(metric.origin, 'type') }));
  const now = options.now ?? Date.now() / 1000;
  const window = { start: now - options.lookbackSeconds, end: now, text: options.lookbackText };
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  let summary: string;
  try {
    const server =
      options.server ??
      createClient({ url: options.url, timeoutMs: options.timeoutMs, deadlineMs: options.timeoutMs * DEADLINE_FACTOR, maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, ...(options.fetch ? { fetch: options.fetch } : {}) });
    const outcome = await judgeSelectors(server, selectors, window, concurrency, groupingUses(holder.ctx));
    const typeReports = await judgeTypes(server, metrics, concurrency);
    for (const r of [...outcome.reports, ...typeReports]) report(r);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    summary = [
      `live: ${count(selectors.length, 'selector')} (${outcome.distinct} distinct) and ${count(metrics.length, 'catalogued metric')} asked of ${shown} over the last ${options.lookbackText} in ${seconds} s`,
      outcome.undeployed ? `; ${count(outcome.undeployed, 'selector')} of recording rules the server has not loaded yet not judged (${some(outcome.undeployedRules)})` : '',
      outcome.refused.length ? `; ${count(outcome.refused.length, 'selector')} the server refused not judged (${outcome.refused[0]})` : '',
    ].join('');
  } catch (e) {
    if (!(e instanceof LiveUnreachable)) throw e;
    holder.current = liveUnreachableCheck;
    holder.ctx.report({ message: `the live checks could not ask Prometheus: ${e.message}`, hint: 'check --live URL (or the Environment\'s prometheus[0].url), that Prometheus runs and answers its HTTP API; --live-timeout gives it longer' });
    summary = `live: no answer from ${shown}; nothing was judged`;
  }
  const all = applyCheckConfig(holder.reports, model.project, sources, CHECKS, { liveRan: true });
  const unusedHere = new Set(all.filter((d) => d.code === 'disable/unused').map(spanKey));
  // The offline compile judged every comment but those naming live checks only: those are judged here.
  const live = new Set(CHECKS.filter((c) => c.live).map((c) => c.id));
  const liveComments = new Set(sources.flatMap((s) => readDisableComments(s)).filter((c) => liveOnly(c, live)).map(spanKey));
  return {
    // The comments' other problems are the offline compile's to report: it saw the same comments.
    diagnostics: all.filter((d) => !d.code.startsWith('disable/') || (d.code === 'disable/unused' && liveComments.has(spanKey(d)))),
    stillUnused: (d) => d.code !== 'disable/unused' || unusedHere.has(spanKey(d)),
    summary,
  };
}

const some = (names: readonly string[]) => (names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`);

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

const spanKey = (d: { span?: { file: string; start: number } }) => `${d.span?.file}|${d.span?.start}`;
