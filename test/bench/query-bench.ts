/**
 * Dashboard query benchmark: backfills a day of synthetic data (backfill.ts) into a real Prometheus, then runs every
 * panel query of every compiled dashboard over the dashboard's default time range the way Grafana would, and checks
 * the performance targets: each query < 1 s, each dashboard's queries together < 3 s.
 *
 * Run: `node --import tsx test/bench/query-bench.ts` (about two minutes on 2 cores). Prints a markdown section on
 * stdout, progress on stderr. Exits non-zero if a query fails or returns no series (the bounds are reported, not enforced).
 * BENCH_REPS (5) sets the repetitions, BENCH_ALL=values expands "All" like Grafana does without a custom all value
 * (the alternation of every value) instead of `.*`, and backfill.ts reads the data shape from BENCH_NODES etc.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { load } from 'js-yaml';
import type { RunningService } from '../../src/testing/alertmanager-process.ts';
import { buildExample, EXAMPLE, exampleScratch } from '../helpers/example.ts';
import { backfillDay, parseDurationSeconds, shapeFromEnv, startPrometheus, type BackfillResult, type DataShape } from './backfill.ts';

const REPS = Number(process.env.BENCH_REPS ?? 5);
const ALL_MODE = process.env.BENCH_ALL === 'values' ? 'values' : 'regex';
const SCREEN_WIDTH_PX = 1920;
const QUERY_BOUND_MS = 1000;
const DASHBOARD_BOUND_MS = 3000;

const log = (message: string) => process.stderr.write(`${message}\n`);

// ---------------------------------------------------------------------------------------------------------------
// Compiled dashboards

interface Target {
  expr?: string;
  refId?: string;
  instant?: boolean;
  range?: boolean;
  hide?: boolean;
  interval?: string;
}

interface Panel {
  title?: string;
  type?: string;
  gridPos?: { w?: number };
  maxDataPoints?: number;
  interval?: string;
  targets?: Target[];
  panels?: Panel[];
}

interface Variable {
  name: string;
  type: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string | null;
  query?: string | { query?: string };
  current?: { value?: string | string[] };
  options?: { value: string }[];
}

interface Dashboard {
  uid: string;
  title: string;
  time?: { from: string; to: string };
  panels?: Panel[];
  templating?: { list?: Variable[] };
}

interface Tree {
  root: string;
  dashboardFiles: string[];
}

/** `generated/**\/grafana/dashboards/*.json`, grouped by the tree they belong to (generated/ or generated/<env>/). */
async function findTrees(generatedDir: string): Promise<Tree[]> {
  const trees = new Map<string, string[]>();
  for (const entry of await readdir(generatedDir, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    const match = /^(.*)\/grafana\/dashboards\/[^/]+\.json$/.exec(file);
    if (!entry.isFile() || !match) continue;
    trees.set(match[1]!, [...(trees.get(match[1]!) ?? []), file]);
  }
  return [...trees.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([root, dashboardFiles]) => ({ root, dashboardFiles: dashboardFiles.sort() }));
}

async function loadDashboards(files: string[]): Promise<Dashboard[]> {
  const byUid = new Map<string, Dashboard>();
  for (const file of files) {
    const dashboard = JSON.parse(await readFile(file, 'utf8')) as Dashboard;
    if (!byUid.has(dashboard.uid)) byUid.set(dashboard.uid, dashboard);
  }
  return [...byUid.values()];
}

/** Panels in layout order, including those nested in (collapsed) rows. */
function allPanels(panels: Panel[] = []): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels)]);
}

// ---------------------------------------------------------------------------------------------------------------
// Grafana's query preparation

/** Grafana's "nice" intervals (pkg/tsdb/intervalv2 roundInterval): upper bound of the bucket → interval, both in ms. */
const NICE_INTERVALS: [number, number][] = [
  [15, 10], [35, 20], [75, 50], [150, 100], [350, 200], [750, 500], [1500, 1000], [3500, 2000], [7500, 5000],
  [12_500, 10_000], [17_500, 15_000], [25_000, 20_000], [45_000, 30_000], [90_000, 60_000], [210_000, 120_000],
  [450_000, 300_000], [750_000, 600_000], [1_050_000, 900_000], [1_500_000, 1_200_000], [2_700_000, 1_800_000],
  [5_400_000, 3_600_000], [9_000_000, 7_200_000], [16_200_000, 10_800_000], [32_400_000, 21_600_000],
];

function roundInterval(ms: number): number {
  return NICE_INTERVALS.find(([upTo]) => ms <= upTo)?.[1] ?? 86_400_000;
}

/** `now`, `now-6h`; absolute times are not used by the compiled dashboards. */
function relativeTime(text: string, nowMs: number): number {
  const match = /^now(?:-(.+))?$/.exec(text.trim());
  if (!match) throw new Error(`unsupported dashboard time ${JSON.stringify(text)} (only now and now-<duration>)`);
  return nowMs - (match[1] ? parseDurationSeconds(match[1]) * 1000 : 0);
}

/** Panel width in pixels gives the data points Grafana asks for unless the panel sets maxDataPoints. */
function maxDataPoints(panel: Panel): number {
  return panel.maxDataPoints ?? Math.round(((panel.gridPos?.w ?? 24) / 24) * SCREEN_WIDTH_PX);
}

/** interval = max(nice(range / maxDataPoints), min interval), the min interval being the target's, the panel's or the scrape interval. */
function queryIntervalMs(panel: Panel, target: Target, rangeMs: number, scrapeMs: number): number {
  const minText = (target.interval || panel.interval || '').replace(/^>/, '');
  const minMs = minText ? parseDurationSeconds(minText) * 1000 : scrapeMs;
  const calculated = rangeMs / maxDataPoints(panel);
  return calculated < minMs ? minMs : roundInterval(calculated);
}

const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;

function builtInVariables(intervalMs: number, rangeMs: number, scrapeMs: number): Record<string, string> {
  const rateIntervalMs = Math.max(intervalMs + scrapeMs, 4 * scrapeMs);
  return {
    __interval: seconds(intervalMs),
    __interval_ms: String(intervalMs),
    __rate_interval: seconds(rateIntervalMs),
    __rate_interval_ms: String(rateIntervalMs),
    __range: seconds(rangeMs),
    __range_s: String(Math.round(rangeMs / 1000)),
    __range_ms: String(rangeMs),
  };
}

/** `$name`, `${name}`, `${name:format}` and `[[name]]`; unknown names stay, so Prometheus rejects the query loudly. */
function interpolate(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)/g, (whole, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    return values[name] ?? whole;
  });
}

/** What Grafana's Prometheus datasource does to multi-value and "All" values: regex-escaped, joined as (a|b). */
function regexAlternation(values: string[]): string {
  const escaped = values.map((v) => v.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&'));
  return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
}

function variableQuery(v: Variable): string {
  return typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
}

/** The values a query variable offers, from `label_values([selector,] label)` as Grafana would ask Prometheus. */
async function variableValues(prometheusUrl: string, query: string, startMs: number, endMs: number): Promise<string[]> {
  const match = /^\s*label_values\(\s*(?:(.*),\s*)?(\w+)\s*\)\s*$/.exec(query);
  if (!match) throw new Error(`unsupported variable query ${JSON.stringify(query)}`);
  const params = new URLSearchParams({ start: String(startMs / 1000), end: String(endMs / 1000) });
  if (match[1]) params.set('match[]', match[1]);
  const res = await fetch(`${prometheusUrl}/api/v1/label/${match[2]}/values?${params}`);
  const body = (await res.json()) as { status: string; data: string[]; error?: string };
  if (body.status !== 'success') throw new Error(`label values for ${query}: ${body.error}`);
  return body.data;
}

/**
 * Template variables as the default dashboard load sees them: "All" (or a multi-value variable) becomes `.*` — or,
 * with BENCH_ALL=values, the alternation of every value, as Grafana sends it when the variable sets no allValue —
 * and a single-value variable its current or first value.
 */
async function resolveVariables(dashboard: Dashboard, prometheusUrl: string, startMs: number, endMs: number): Promise<Record<string, string>> {
  const resolved: Record<string, string> = {};
  for (const v of dashboard.templating?.list ?? []) {
    const all = v.includeAll || v.multi;
    if (all && ALL_MODE === 'regex') {
      resolved[v.name] = v.allValue || '.*';
      continue;
    }
    const current = [v.current?.value ?? []].flat().filter((x) => x !== '$__all');
    const offered = v.options?.map((o) => o.value) ?? [];
    const values = current.length > 0 && !all ? current : offered.length > 0 ? offered : await queriedValues(v, resolved, prometheusUrl, startMs, endMs);
    if (values.length === 0) throw new Error(`variable ${v.name} of ${dashboard.uid} has no values`);
    resolved[v.name] = all ? (v.allValue || regexAlternation(values)) : values[0]!;
  }
  return resolved;
}

async function queriedValues(v: Variable, resolved: Record<string, string>, url: string, startMs: number, endMs: number): Promise<string[]> {
  if (v.type === 'custom') return variableQuery(v).split(',').map((s) => s.trim());
  if (v.type === 'constant' || v.type === 'textbox') return [variableQuery(v)];
  return variableValues(url, interpolate(variableQuery(v), resolved), startMs, endMs);
}

interface BenchQuery {
  dashboard: string;
  panel: string;
  refId: string;
  kind: 'range' | 'instant';
  /** `20s` for range queries, `instant` otherwise. */
  stepLabel: string;
  expr: string;
  params: Record<string, string>;
}

/** Grafana's defaults: a target runs as a range query unless `instant` is set; with both set it runs twice. */
function targetKinds(t: Target): ('range' | 'instant')[] {
  const instant = t.instant === true;
  const range = t.range ?? !instant;
  return [...(range ? ['range' as const] : []), ...(instant ? ['instant' as const] : [])];
}

async function dashboardQueries(dashboard: Dashboard, prometheusUrl: string, nowMs: number, scrapeMs: number): Promise<BenchQuery[]> {
  const fromMs = relativeTime(dashboard.time?.from ?? 'now-6h', nowMs);
  const toMs = relativeTime(dashboard.time?.to ?? 'now', nowMs);
  const rangeMs = toMs - fromMs;
  const variables = await resolveVariables(dashboard, prometheusUrl, fromMs, toMs);
  const queries: BenchQuery[] = [];
  for (const panel of allPanels(dashboard.panels)) {
    for (const target of panel.targets ?? []) {
      if (!target.expr || target.hide) continue;
      const intervalMs = queryIntervalMs(panel, target, rangeMs, scrapeMs);
      const expr = interpolate(target.expr, { ...variables, ...builtInVariables(intervalMs, rangeMs, scrapeMs) }).trim();
      const base = { dashboard: dashboard.title, panel: panel.title ?? panel.type ?? '?', refId: target.refId ?? 'A', expr };
      for (const kind of targetKinds(target)) {
        queries.push(
          kind === 'instant'
            ? { ...base, kind, stepLabel: 'instant', params: { query: expr, time: String(toMs / 1000) } }
            : { ...base, kind, stepLabel: seconds(intervalMs), params: rangeParams(expr, fromMs, toMs, intervalMs) },
        );
      }
    }
  }
  return queries;
}

/** Grafana aligns both ends of a range query down to a multiple of the step. */
function rangeParams(expr: string, fromMs: number, toMs: number, stepMs: number): Record<string, string> {
  const align = (ms: number) => (Math.floor(ms / stepMs) * stepMs) / 1000;
  return { query: expr, start: String(align(fromMs)), end: String(align(toMs)), step: String(stepMs / 1000) };
}

// ---------------------------------------------------------------------------------------------------------------
// Running and timing

interface QueryResult {
  ms: number;
  series: number;
  points: number;
  bytes: number;
  /** Prometheus' own execution time (`stats=all`), only asked for in the untimed runs. */
  execMs?: number;
}

interface ApiResult {
  status: string;
  error?: string;
  data: { resultType: string; result: unknown; stats?: { timings?: { execTotalTime?: number } } };
}

function countResult(body: ApiResult): { series: number; points: number } {
  const { resultType, result } = body.data;
  if (resultType === 'matrix') {
    const matrix = result as { values: unknown[] }[];
    return { series: matrix.length, points: matrix.reduce((n, s) => n + s.values.length, 0) };
  }
  if (resultType === 'vector') return { series: (result as unknown[]).length, points: (result as unknown[]).length };
  return { series: 1, points: 1 }; // scalar or string
}

/** Wall time until the whole response is received and parsed, as a browser would wait for it. */
async function runQuery(url: string, q: BenchQuery, withStats = false): Promise<QueryResult> {
  const apiPath = q.kind === 'range' ? '/api/v1/query_range' : '/api/v1/query';
  const params = new URLSearchParams(withStats ? { ...q.params, stats: 'all' } : q.params);
  const t0 = performance.now();
  const res = await fetch(`${url}${apiPath}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: params });
  const text = await res.text();
  const body = JSON.parse(text) as ApiResult;
  const ms = performance.now() - t0;
  if (body.status !== 'success') throw new Error(`${q.dashboard} / ${q.panel} (${q.refId}): ${body.error ?? res.status}\n${q.expr}`);
  const exec = body.data.stats?.timings?.execTotalTime;
  return { ms, bytes: Buffer.byteLength(text), execMs: exec === undefined ? undefined : exec * 1000, ...countResult(body) };
}

interface Timings {
  first: Map<BenchQuery, QueryResult>;
  alone: Map<BenchQuery, number[]>;
  inDashboard: Map<BenchQuery, number[]>;
  dashboardWalls: Map<string, number[]>;
  /** Share of the machine's CPU time used by processes other than this one and Prometheus during the timed runs. */
  otherCpuShare?: number;
}

async function runAlone(url: string, queries: BenchQuery[], timings: Timings): Promise<void> {
  for (const q of queries) timings.alone.get(q)!.push((await runQuery(url, q)).ms);
}

/** All of a dashboard's queries at once, as a browser loading it fires them. */
async function runDashboard(url: string, name: string, queries: BenchQuery[], timings: Timings): Promise<void> {
  const t0 = performance.now();
  const results = await Promise.all(queries.map((q) => runQuery(url, q)));
  timings.dashboardWalls.get(name)!.push(performance.now() - t0);
  results.forEach((r, i) => timings.inDashboard.get(queries[i]!)!.push(r.ms));
}

/**
 * One untimed pass with Prometheus' statistics on (the source of series counts, sizes and execution times), then
 * REPS passes of each mode, interleaved.
 */
async function measure(prometheus: RunningService, byDashboard: Map<string, BenchQuery[]>, reps: number): Promise<Timings> {
  const all = [...byDashboard.values()].flat();
  const timings: Timings = {
    first: new Map(),
    alone: new Map(all.map((q) => [q, []])),
    inDashboard: new Map(all.map((q) => [q, []])),
    dashboardWalls: new Map([...byDashboard.keys()].map((d) => [d, []])),
  };
  for (const q of all) timings.first.set(q, await runQuery(prometheus.url, q, true));
  const cpuBefore = cpuSample(prometheus.pid);
  for (let rep = 0; rep < reps; rep++) {
    log(`repetition ${rep + 1}/${reps}`);
    for (const [name, queries] of byDashboard) {
      await runAlone(prometheus.url, queries, timings);
      await runDashboard(prometheus.url, name, queries, timings);
    }
  }
  timings.otherCpuShare = otherCpuShare(cpuBefore, cpuSample(prometheus.pid));
  return timings;
}

interface CpuSample {
  busy: number;
  total: number;
  ours: number;
}

/** Jiffies from /proc: the machine's busy and total time, and this process's plus Prometheus' (Linux only). */
function cpuSample(prometheusPid: number): CpuSample | undefined {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number) as number[];
    const busy = user! + nice! + system! + irq! + softirq! + steal!;
    const processTime = (pid: number) => {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(after[11]) + Number(after[12]); // utime, stime
    };
    return { busy, total: busy + idle! + iowait!, ours: processTime(process.pid) + processTime(prometheusPid) };
  } catch {
    return undefined;
  }
}

function otherCpuShare(before: CpuSample | undefined, after: CpuSample | undefined): number | undefined {
  if (!before || !after || after.total === before.total) return undefined;
  return Math.max(0, after.busy - before.busy - (after.ours - before.ours)) / (after.total - before.total);
}

async function prometheusMetric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : NaN;
}

// ---------------------------------------------------------------------------------------------------------------
// Report

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const p50 = (xs: number[]) => percentile(xs, 50);
const max = (xs: number[]) => Math.max(...xs);
const ms = (x: number) => (x >= 100 ? `${Math.round(x).toLocaleString('en-US')} ms` : `${x.toFixed(1)} ms`);
const thousands = (n: number) => n.toLocaleString('en-US');
const cell = (text: string) => text.replace(/\|/g, '\\|');
const size = (bytes: number) =>
  bytes >= 1e8 ? `${thousands(Math.round(bytes / 1e6))} MB` : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} kB`;

function shapeText(s: DataShape): string {
  return (
    `${s.nodes} GPU nodes with ${s.gpusPerNode} GPUs (DCGM) and ${s.cpusPerNode} CPUs (node_exporter) each, ${s.trainingJobs} training jobs on 2–4 workers each, ` +
    `${s.inferenceServices} inference services × ${s.modelsPerService} models × ${s.replicasPerModel} replicas, ${s.tenants} platform-API tenants`
  );
}

function prometheusVersion(): string {
  const r = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
  return /version (\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? '?';
}

interface Report {
  shape: DataShape;
  backfill: BackfillResult;
  blocks: number;
  byDashboard: Map<string, BenchQuery[]>;
  timings: Timings;
  compactionsDuringRun: number;
  /** The built tree the dashboards came from, relative to the example's copy: generated or generated/<env>. */
  treeRoot: string;
}

const aloneMax = (r: Report, q: BenchQuery) => max(r.timings.alone.get(q)!);
const togetherMax = (r: Report, q: BenchQuery) => max(r.timings.inDashboard.get(q)!);

/** Alone and within the dashboard's concurrent load are both what a user can meet, so both are shown. */
function queryBound(r: Report, q: BenchQuery): string {
  if (togetherMax(r, q) < QUERY_BOUND_MS && aloneMax(r, q) < QUERY_BOUND_MS) return 'yes';
  return aloneMax(r, q) < QUERY_BOUND_MS ? '**alone only**' : '**no**';
}

function queryRows(r: Report): string[] {
  const rows = [
    '| dashboard | panel (ref) | kind | step | series | points | response | Prometheus exec | alone p50 | alone max | with its dashboard, max | < 1 s |',
    '|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const [dashboard, queries] of r.byDashboard) {
    for (const q of queries) {
      const first = r.timings.first.get(q)!;
      rows.push(
        `| ${cell(dashboard)} | ${cell(q.panel)} (${q.refId}) | ${q.kind} | ${q.stepLabel} | ${first.series} | ${thousands(first.points)} | ${size(first.bytes)} | ` +
          `${first.execMs === undefined ? '?' : ms(first.execMs)} | ${ms(p50(r.timings.alone.get(q)!))} | ${ms(aloneMax(r, q))} | ${ms(togetherMax(r, q))} | ${queryBound(r, q)} |`,
      );
    }
  }
  return rows;
}

/** A dashboard's cost: the worse of its all-at-once wall time and the sum of its queries run one after another. */
function dashboardCost(r: Report, name: string): number {
  const sequential = r.byDashboard.get(name)!.reduce((sum, q) => sum + p50(r.timings.alone.get(q)!), 0);
  return Math.max(max(r.timings.dashboardWalls.get(name)!), sequential);
}

function dashboardRows(r: Report): string[] {
  const rows = ['| dashboard | queries | one after another (sum of p50) | all at once, p50 | all at once, max | < 3 s |', '|---|---:|---:|---:|---:|---|'];
  for (const [dashboard, queries] of r.byDashboard) {
    const sequential = queries.reduce((sum, q) => sum + p50(r.timings.alone.get(q)!), 0);
    const walls = r.timings.dashboardWalls.get(dashboard)!;
    rows.push(`| ${cell(dashboard)} | ${queries.length} | ${ms(sequential)} | ${ms(p50(walls))} | ${ms(max(walls))} | ${dashboardCost(r, dashboard) < DASHBOARD_BOUND_MS ? 'yes' : '**no**'} |`);
  }
  return rows;
}

const label = (q: BenchQuery) => `${cell(q.dashboard)} / ${cell(q.panel)} (${q.refId})`;

function verdictLines(r: Report): string[] {
  const all = [...r.byDashboard.values()].flat();
  const slowestAlone = all.reduce((a, b) => (aloneMax(r, b) > aloneMax(r, a) ? b : a));
  const overTogether = all.filter((q) => togetherMax(r, q) >= QUERY_BOUND_MS);
  const dashboards = [...r.byDashboard.keys()];
  const slowestDashboard = dashboards.reduce((a, b) => (dashboardCost(r, b) > dashboardCost(r, a) ? b : a));
  const empty = all.filter((q) => r.timings.first.get(q)!.series === 0);
  const met = (ok: boolean) => (ok ? '**met**' : '**not met**');
  return [
    `- Each query < 1 s, run alone: ${met(aloneMax(r, slowestAlone) < QUERY_BOUND_MS)} — slowest ${label(slowestAlone)}, ${ms(aloneMax(r, slowestAlone))} at worst of ${REPS} runs.`,
    `- Each query < 1 s, run with the rest of its dashboard: ${met(overTogether.length === 0)}` +
      (overTogether.length === 0 ? '.' : ` — over 1 s at worst: ${overTogether.map((q) => `${label(q)} ${ms(togetherMax(r, q))}`).join(', ')}.`),
    `- Each dashboard < 3 s: ${met(dashboardCost(r, slowestDashboard) < DASHBOARD_BOUND_MS)} — slowest ${cell(slowestDashboard)}, ${ms(dashboardCost(r, slowestDashboard))} ` +
      '(the worse of its all-at-once worst and its one-after-another sum).',
    `- Every query returned data: ${empty.length === 0 ? 'yes' : `**no** — ${empty.map(label).join(', ')}`}.`,
  ];
}

function dataParagraph(r: Report): string {
  const b = r.backfill;
  const prep = b.seconds;
  return (
    `\`test/bench/backfill.ts\` generates a day of data ending when the script starts: ${shapeText(r.shape)}. ` +
    `That is ${thousands(b.rawSeries)} raw series at 15 s (node_exporter, DCGM, trainer, model server and platform API; ` +
    `classic histograms for latencies, step durations, batch sizes and job durations; a node reboot, a 5xx incident, ` +
    `model-load failures, a stalled and three late-starting training jobs), ${thousands(b.rawSamples)} samples, written as OpenMetrics and ` +
    `turned into TSDB blocks by \`promtool tsdb create-blocks-from openmetrics\`. The recording rules of ` +
    `\`${r.treeRoot || '.'}/prometheus/rules\` are then evaluated over the same day by Prometheus itself ` +
    `(range queries at each group's interval, in ${b.rulePasses} passes because the one-day baselines read a recorded rate), ` +
    `adding ${thousands(b.recordedSeries)} recorded series and ${thousands(b.recordedSamples)} samples. Raw and recorded samples ` +
    `share blocks: ${r.blocks} two-hour blocks, ${size(b.tsdbBytes)} on disk (from ${size(b.openMetricsBytes)} of OpenMetrics). ` +
    `Preparation took ${Math.round(prep.generate + prep.rawBlocks + prep.rules + prep.finalBlocks)} s (generate ${Math.round(prep.generate)} s, ` +
    `blocks ${Math.round(prep.rawBlocks)} s, rules ${Math.round(prep.rules)} s, final blocks ${Math.round(prep.finalBlocks)} s).`
  );
}

function methodParagraph(r: Report): string {
  const other = r.timings.otherCpuShare;
  return (
    `Then \`prometheus\` ${prometheusVersion()} serves those blocks (no scrape jobs, no rule files: nothing is written while ` +
    `it is measured; \`--storage.tsdb.max-block-duration=2h\` keeps the 2-hour blocks, so no compaction runs mid-measurement — ` +
    `${r.compactionsDuringRun === 0 ? 'none did' : `**${r.compactionsDuringRun} did**`}), and every target of every panel ` +
    `of the compiled dashboards is run as Grafana runs it when the dashboard is opened at the instant the data ends: over the dashboard's ` +
    `default range; range queries at Grafana's step, max(nice(range ÷ max data points), 15 s scrape interval), with the panel's ` +
    `width on a ${SCREEN_WIDTH_PX} px screen as max data points and Grafana's nice-interval rounding, start and end aligned down to the step; ` +
    `instant queries at the end of the range. \`$__rate_interval\` = max(4 × scrape interval, step + scrape interval); ` +
    `template variables with "All"/multi-value become ` +
    `${ALL_MODE === 'regex' ? '`.*`' : 'the alternation of all their values (what Grafana sends when the variable sets no custom all value)'}. ` +
    `Each query runs once untimed with \`stats=all\` (series, points, response size and Prometheus' own execution time come from that run), ` +
    `then ${REPS} times alone, one after another, and ${REPS} times together with the rest of its dashboard, all at once as a browser fires them. ` +
    `Latency is measured from the request until the response is received and parsed. The \`label_values\` variable queries are not timed. ` +
    (other === undefined ? '' : `Other processes used ${Math.round(other * 100)} % of the machine's CPU time during the timed runs.`)
  );
}

function markdown(r: Report): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  return [
    '## Dashboard queries over a day of data',
    '',
    '```sh',
    'node --import tsx test/bench/query-bench.ts   # ≈ 3 min; BENCH_REPS, BENCH_ALL=values, BENCH_NODES/GPUS/CPUS/JOBS/SERVICES/MODELS/REPLICAS/TENANTS override',
    '```',
    '',
    dataParagraph(r),
    '',
    methodParagraph(r),
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on the project machine (${os.availableParallelism()} cores, ${cpu}, ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.versions.node}):`,
    '',
    ...queryRows(r),
    '',
    ...dashboardRows(r),
    '',
    ...verdictLines(r),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------------

async function projectScrapeMs(): Promise<number> {
  const project = load(await readFile(path.join(EXAMPLE, 'project.yaml'), 'utf8')) as { scrapeInterval?: string };
  return parseDurationSeconds(project.scrapeInterval ?? '15s') * 1000;
}

async function main(): Promise<void> {
  // The example's dashboards and rules, built afresh into <exampleRoot>/generated/.
  const exampleRoot = await exampleScratch('query-bench-');
  process.once('exit', () => rmSync(exampleRoot, { recursive: true, force: true }));
  const [tree] = await findTrees(await buildExample(exampleRoot));
  if (!tree) throw new Error('the example’s build holds no grafana/dashboards/*.json');
  const dashboards = await loadDashboards(tree.dashboardFiles);
  const scrapeMs = await projectScrapeMs();
  const shape = shapeFromEnv();
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'vigil-query-bench-'));
  // Backstop for Ctrl-C and crashes; the finally block below is the normal way out.
  process.once('exit', () => rmSync(workDir, { recursive: true, force: true }));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  let prometheus: RunningService | undefined;
  try {
    log(`dashboards: ${dashboards.map((d) => d.uid).join(', ')} (from ${path.relative(exampleRoot, tree.root)})`);
    const backfill = await backfillDay({ workDir, shape, ruleDir: path.join(tree.root, 'prometheus/rules'), endSeconds: Date.now() / 1000, log });
    prometheus = await startPrometheus({ dataDir: backfill.dataDir, configDir: workDir });
    const nowMs = backfill.timeline.end * 1000;
    const byDashboard = new Map<string, BenchQuery[]>();
    for (const d of dashboards) byDashboard.set(d.title, await dashboardQueries(d, prometheus.url, nowMs, scrapeMs));
    const compactionsBefore = await prometheusMetric(prometheus.url, 'prometheus_tsdb_compactions_total');
    const timings = await measure(prometheus, byDashboard, REPS);
    const compactionsDuringRun = (await prometheusMetric(prometheus.url, 'prometheus_tsdb_compactions_total')) - compactionsBefore;
    const blocks = await prometheusMetric(prometheus.url, 'prometheus_tsdb_blocks_loaded');
    const report: Report = { shape, backfill, blocks, byDashboard, timings, compactionsDuringRun, treeRoot: path.relative(exampleRoot, tree.root) };
    process.stdout.write(markdown(report));
    const empty = [...byDashboard.values()].flat().filter((q) => timings.first.get(q)!.series === 0);
    for (const q of empty) log(`NO DATA: ${q.dashboard} / ${q.panel} (${q.refId}, ${q.kind}): ${q.expr}`);
    if (empty.length > 0) process.exitCode = 1;
  } finally {
    await prometheus?.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

await main();
