import { prometheusRegexTest } from '../util/re2-match.ts';
import { closest } from '../util/closest.ts';
import { PER_TARGET_METRICS } from '../promql/index.ts';
import type { Check } from './check.ts';
import { selectorsOf } from './promql-facts.ts';

/**
 * Vigil writes prometheus.yml with one scrape job per catalogue source, named after the source (emit/
 * prometheus-config.ts), unless a scrape's static labels set `job` themselves. A `job` matcher naming any other job
 * never matches. Without an Environment Vigil writes no scrape configs, so job names are not known.
 */
export const promqlJobUnknownCheck: Check = {
  id: 'promql/job-unknown',
  description: "A job matcher names a scrape job Vigil generates for the metric's source (per-target metrics such as up: any generated job).",
  severity: 'error',
  dependsOn: ['Environment'],
  run() {},
  // Each expression on its own, with the catalogue and the environments: per file.
  perFile(ctx, file) {
    const envs = ctx.model.environment ? [ctx.model.environment] : ctx.model.environments;
    if (envs.length === 0) return;
    // Every catalogue source gets a job named after it wherever it is scraped; an Environment that does not scrape
    // one is env/scrape's warning, not a reason to call its job unknown here.
    let sources: Set<string> | undefined;
    const catalogueSources = () => (sources ??= new Set([...ctx.model.metrics.map((m) => m.source), ...ctx.model.external.map((e) => e.source)]));
    const jobsOf = (source: string | undefined) => {
      const jobs = new Set<string>();
      if (source === undefined) for (const s of catalogueSources()) if (!envs.some((e) => e.scrape.some((x) => x.source === s && x.labels?.job))) jobs.add(s);
      for (const env of envs) {
        for (const s of env.scrape) {
          if (source !== undefined && s.source !== source) continue;
          jobs.add(s.labels?.job ?? s.source);
        }
      }
      if (source !== undefined && !envs.some((e) => e.scrape.some((s) => s.source === source && s.labels?.job))) jobs.add(source);
      return jobs;
    };
    for (const { expression, selector, span } of selectorsOf(ctx, file.expressions)) {
      const job = selector.matchers.find((m) => m.label === 'job' && (m.op === '=' || m.op === '=~'));
      // A Grafana variable in the value is only known when the dashboard is viewed.
      if (!job || !selector.metric || (expression.grafana && /\$|\[\[/.test(job.value))) continue;
      let jobs: Set<string>;
      if (PER_TARGET_METRICS.has(selector.metric)) jobs = jobsOf(undefined);
      else {
        const origin = ctx.catalog.resolve(selector.metric);
        if (!origin || origin.kind === 'recording') continue;
        jobs = jobsOf(origin.kind === 'catalog' ? origin.metric.source : origin.external.source);
      }
      if (jobs.size === 0) continue;
      const test = job.op === '=' ? (j: string) => j === job.value : prometheusRegexTest(job.value);
      if (!test || [...jobs].some(test)) continue;
      const near = job.op === '=' ? ([...jobs].find((j) => j.startsWith(job.value) || job.value.startsWith(j)) ?? closest(job.value, jobs)) : undefined;
      const list = [...jobs].sort().join(', ');
      ctx.report({
        uses: expression,
        message: `${expression.owner}: job${job.op}"${job.value}" matches no scrape job Vigil generates for "${selector.metric}" (${list}): the selector is always empty`,
        span: span(job.valueAt),
        hint: near
          ? `did you mean "${near}"? Vigil names each scrape job after its catalogue source`
          : jobs.size === 1
            ? `Vigil names each scrape job after its catalogue source: write job="${list}"`
            : `Vigil names each scrape job after its catalogue source: one of ${list}`,
      });
    }
  },
};
