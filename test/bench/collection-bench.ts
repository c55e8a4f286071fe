/**
 * Collection benchmark (issue #13 §5): serialising and serving a prom-client registry of 100,000 series — counters,
 * and histograms with 10 buckets (13 samples each) — at 1×, 2× and 4× that size, with prom-client's registry.metrics()
 * and with the runtime's cached exposition (its chunks() — what serveMetrics writes — unchanged since the previous
 * scrape, 1 % / 10 % / all series changed, and a GET of /metrics from serveMetrics in the same states); medians of several runs, and each
 * case's peak RSS (one child process per case). Then the sample age against Debian's Prometheus at a 1 s scrape.
 * Prints a markdown section for docs/benchmarks.md and the load average. Run: `npm run bench:collection` (several
 * minutes; BENCH_SIZES=1,2 and BENCH_AGE_TRIALS=50 change the sizes and trials).
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { loadavg } from 'node:os';
import { gzipSync } from 'node:zlib';
import * as client from 'prom-client';
import { Counter, Histogram, Registry } from 'prom-client';
import { cachedExposition, serveMetrics } from '../../src/runtime/index.ts';
import { benchScope } from './bench-scope.ts';
import { curlClient, type CurlClient } from './curl-client.ts';
import { measureSampleAges, quantile, startSampleAgeRig } from './sample-age.ts';

const BASE_SERIES = 100_000;
const SERIES_PER_METRIC = 10_000;
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const RUNS = 5;

type Kind = 'counter' | 'histogram';
/** 'served-cold' and 'served-prepared': the first GET of a server started on the filled registry (one each). */
type Method = 'prom-client' | 'cached' | 'served-cold' | 'served-prepared';
interface Case { kind: Kind; size: number; method: Method }
type Figures = Record<string, number> & { error?: string };

interface Population {
  registry: Registry;
  /** Changes one series in `every` of each metric (all of them with 1). */
  touch(every: number): void;
}

/** `size` × 100,000 series over metrics of 10,000 series, labelled like an HTTP service's. */
function populate(kind: Kind, size: number): Population {
  const registry = new Registry();
  const metrics: { metric: Counter | Histogram; labels: Record<string, string>[] }[] = [];
  for (let m = 0; m < (size * BASE_SERIES) / SERIES_PER_METRIC; m++) {
    const labelNames = ['service', 'route', 'code'];
    const metric = kind === 'counter'
      ? new Counter({ name: `app_requests_${m}_total`, help: 'Requests handled.', labelNames, registers: [registry] })
      : new Histogram({ name: `app_request_${m}_duration_seconds`, help: 'Request latency.', labelNames, buckets: BUCKETS, registers: [registry] });
    const labels = Array.from({ length: SERIES_PER_METRIC }, (_, i) => ({
      service: `svc-${i % 20}`, route: `/api/v1/resource_${i}`, code: String(200 + (i % 5)),
    }));
    metrics.push({ metric, labels });
  }
  let round = 0;
  const touch = (every: number) => {
    round++;
    for (const { metric, labels } of metrics) {
      for (let i = round % every; i < labels.length; i += every) {
        if (metric instanceof Counter) metric.inc(labels[i], (i % 7) + 1);
        else metric.observe(labels[i], ((i * 7919 + round) % 1000) / 113);
      }
    }
  };
  touch(1);
  return { registry, touch };
}

/**
 * Medians of the wall time and of the process' CPU time (user + system, every thread: garbage collection helpers
 * included) of `run`, written to figures[name] and figures[`${name}Cpu`]. The CPU time is the figure that the other
 * jobs on a shared machine do not inflate.
 */
async function measure(figures: Figures, name: string, run: () => Promise<unknown>, before: () => void = () => undefined): Promise<void> {
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    before();
    const start = performance.now();
    const startCpu = process.cpuUsage();
    await run();
    const used = process.cpuUsage(startCpu);
    times.push(performance.now() - start);
    cpu.push((used.user + used.system) / 1000);
  }
  figures[name] = quantile(times, 0.5);
  figures[`${name}Cpu`] = quantile(cpu, 0.5);
}

/** A GET of /metrics, body read to the end (bytes counted, not kept). */
function scrape(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(`${url}/metrics`, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve(bytes)).on('error', reject);
    }).on('error', reject);
  });
}

/**
 * Whether the chunks are prom-client's exposition byte for byte, compared metric by metric: the whole text is past
 * V8's longest string at 4× the histograms, each metric's is not.
 */
async function sameAsPromClient(registry: Registry, chunks: readonly Uint8Array[], byteLength: number): Promise<boolean> {
  const ours = Buffer.concat(chunks, byteLength);
  const internals = registry as unknown as { getMetricsAsArray(): unknown[]; getMetricsAsString(metric: unknown): Promise<string> };
  const metrics = internals.getMetricsAsArray();
  let offset = 0;
  for (let i = 0; i < metrics.length; i++) {
    const block = Buffer.from(`${await internals.getMetricsAsString(metrics[i])}${i < metrics.length - 1 ? '\n\n' : '\n'}`);
    if (!ours.subarray(offset, offset + block.length).equals(block)) return false;
    offset += block.length;
  }
  return offset === ours.length;
}

/**
 * A GET of /metrics by curl, another process as Prometheus is: the GET's time by curl's clock (connect to last byte)
 * as figures[name], the CPU time of this process meanwhile (the server's alone) as figures[`${name}Cpu`]; the bytes.
 */
async function byCurl(figures: Figures, name: string, curl: CurlClient, url: string): Promise<number> {
  const startCpu = process.cpuUsage();
  const { ms, bytes } = await curl.get(`${url}/metrics`);
  const used = process.cpuUsage(startCpu);
  figures[name] = ms;
  figures[`${name}Cpu`] = (used.user + used.system) / 1000;
  return bytes;
}

/** Wall and CPU time of one call, as figures[name] and figures[`${name}Cpu`]. */
async function once<T>(figures: Figures, name: string, run: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const startCpu = process.cpuUsage();
  const result = await run();
  const used = process.cpuUsage(startCpu);
  figures[name] = performance.now() - start;
  figures[`${name}Cpu`] = (used.user + used.system) / 1000;
  return result;
}

/**
 * The first GET of serveMetrics started on the filled registry: at once (what a scrape arriving right after start
 * costs: preparing yields to it, and it streams what is not yet written), or once the server prepared the exposition
 * in the background — how long that took (wall, CPU) and the longest the event loop waited meanwhile (between two of
 * its turns).
 */
async function firstGet(registry: Registry, prepared: boolean, curl: CurlClient): Promise<Figures> {
  const figures: Figures = {};
  const server = await serveMetrics({ registry, host: '127.0.0.1', defaultMetrics: false });
  if (prepared) {
    let longestTurn = 0;
    let last = performance.now();
    let ticking = true;
    const tick = () => {
      const now = performance.now();
      longestTurn = Math.max(longestTurn, now - last);
      last = now;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    await once(figures, 'prepare', () => server.prepared);
    ticking = false;
    figures.longestTurn = longestTurn;
    // The first scrape short of the socket (what the cold `chunks()` column measures), then the first GET.
    (await once(figures, 'firstScrape', () => cachedExposition(registry, client).chunks())).release();
  }
  figures.bytes = await byCurl(figures, 'firstGet', curl, server.url);
  await server.close();
  const { chunks, byteLength, release } = await cachedExposition(registry, client).chunks();
  if (!(await sameAsPromClient(registry, chunks, byteLength))) throw new Error('the first GET: not prom-client\'s bytes');
  release();
  return figures;
}

async function runCase({ kind, size, method }: Case, curl: CurlClient): Promise<Figures> {
  const { registry, touch } = populate(kind, size);
  if (method === 'served-cold' || method === 'served-prepared') return firstGet(registry, method === 'served-prepared', curl);
  const figures: Figures = { populatedRssMb: process.memoryUsage().rss / 2 ** 20 };
  if (method === 'prom-client') {
    figures.bytes = Buffer.byteLength(await registry.metrics());
    await measure(figures, 'serialise', () => registry.metrics());
    const server = await serveMetrics({ registry, host: '127.0.0.1', defaultMetrics: false, exposition: 'prom-client' });
    await measure(figures, 'serve', () => scrape(server.url));
    await server.close();
    figures.peakRssMb = process.resourceUsage().maxRSS / 1024;
    return figures;
  }
  const exposition = cachedExposition(registry, client);
  const start = performance.now();
  const startCpu = process.cpuUsage();
  const first = await exposition.chunks();
  figures.bytes = first.byteLength;
  figures.first = performance.now() - start;
  const firstCpu = process.cpuUsage(startCpu);
  figures.firstCpu = (firstCpu.user + firstCpu.system) / 1000;
  first.release();
  // Each scrape released once read, as serveMetrics does once the response is sent: later scrapes reuse its memory.
  const scrapeOnce = async () => (await exposition.chunks()).release();
  await measure(figures, 'unchanged', scrapeOnce);
  await measure(figures, 'changed1', scrapeOnce, () => touch(100));
  await measure(figures, 'changed10', scrapeOnce, () => touch(10));
  await measure(figures, 'changedAll', scrapeOnce, () => touch(1));
  const server = await serveMetrics({ registry, host: '127.0.0.1', defaultMetrics: false });
  await scrape(server.url);
  await measure(figures, 'serveUnchanged', () => scrape(server.url));
  await measure(figures, 'serve1', () => scrape(server.url), () => touch(100));
  await measure(figures, 'serve10', () => scrape(server.url), () => touch(10));
  await measure(figures, 'serveAll', () => scrape(server.url), () => touch(1));
  // The same by curl, another process as Prometheus is: the client's reading is not the server's time.
  const byCurlRuns: Figures[] = [];
  for (let i = 0; i < RUNS; i++) {
    touch(1);
    const run: Figures = {};
    await byCurl(run, 'get', curl, server.url);
    byCurlRuns.push(run);
  }
  figures.serveAllByCurl = quantile(byCurlRuns.map((run) => run.get), 0.5);
  figures.serveAllByCurlCpu = quantile(byCurlRuns.map((run) => run.getCpu), 0.5);
  await server.close();
  figures.peakRssMb = process.resourceUsage().maxRSS / 1024;
  // What answering Prometheus' Accept-Encoding: gzip would add to a scrape: the whole body compressed at the fastest
  // level (a cache of compressed chunks would still compress every changed chunk, and compresses worse).
  const body = await exposition.chunks();
  await measure(figures, 'gzip', async () => {
    figures.gzipBytes = gzipSync(Buffer.concat(body.chunks, body.byteLength), { level: 1 }).length;
  });
  // Checked last: prom-client's text would count in the peak RSS.
  const { chunks, byteLength, release } = await exposition.chunks();
  if (!(await sameAsPromClient(registry, chunks, byteLength))) throw new Error(`${kind} ×${size}: not prom-client's bytes`);
  release();
  return figures;
}

function inChild(c: Case): Promise<Figures> {
  return new Promise((resolve, reject) => {
    const child = fork(import.meta.filename, ['--case', JSON.stringify(c)], { execArgv: ['--import', 'tsx'] });
    child.once('message', (figures) => resolve(figures as Figures));
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`case ${JSON.stringify(c)} exited with ${code}`))));
  });
}

const ms = (value: number | undefined) => (value === undefined ? '–' : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`);

async function main(): Promise<void> {
  const sizes = (process.env.BENCH_SIZES ?? '1,2,4').split(',').map(Number);
  const trials = Number(process.env.BENCH_AGE_TRIALS ?? 50);
  const rows: string[] = [];
  const cpuRows: string[] = [];
  const firstRows: string[] = [];
  const loadBefore = loadavg();
  for (const kind of ['counter', 'histogram'] as const) {
    for (const size of sizes) {
      const prom = await inChild({ kind, size, method: 'prom-client' });
      const ours = await inChild({ kind, size, method: 'cached' });
      const series = (size * BASE_SERIES).toLocaleString('en');
      const promColumns = prom.error
        ? `fails: ${prom.error} | | `
        : `${ms(prom.serialise)} | ${ms(prom.serve)} | ${prom.peakRssMb.toFixed(0)} MB `;
      const ourColumns = ours.error
        ? `fails: ${ours.error} | | | | | | | | | |`
        : `${ms(ours.first)} | ${ms(ours.unchanged)} | ${ms(ours.changed1)} | ${ms(ours.changed10)} | ${ms(ours.changedAll)} `
          + `| ${ms(ours.serveUnchanged)} | ${ms(ours.serve1)} | ${ms(ours.serve10)} | ${ms(ours.serveAll)} | ${ours.peakRssMb.toFixed(0)} MB |`;
      const bytes = ours.bytes ?? prom.bytes;
      rows.push(`| ${kind} | ${series} | ${bytes === undefined ? '–' : `${(bytes / 1e6).toFixed(1)} MB`} | ${promColumns}| ${ourColumns}`);
      if (!ours.error) {
        cpuRows.push(`| ${kind} | ${series} | ${ms(prom.serialiseCpu)} | ${ms(ours.firstCpu)} | ${ms(ours.unchangedCpu)} | ${ms(ours.changed1Cpu)} `
          + `| ${ms(ours.changed10Cpu)} | ${ms(ours.changedAllCpu)} | ${ms(ours.serveUnchangedCpu)} | ${ms(ours.serve1Cpu)} | ${ms(ours.serve10Cpu)} | ${ms(ours.serveAllCpu)} `
          + `| ${ms(ours.gzipCpu)} (wall ${ms(ours.gzip)}) to ${(ours.gzipBytes / 1e6).toFixed(1)} MB |`);
      }
      const cold = await inChild({ kind, size, method: 'served-cold' });
      const warm = await inChild({ kind, size, method: 'served-prepared' });
      firstRows.push(cold.error || warm.error
        ? `| ${kind} | ${series} | fails: ${cold.error ?? warm.error} | | | | | | | |`
        : `| ${kind} | ${series} | ${ms(ours.first)} (CPU ${ms(ours.firstCpu)}) | ${ms(cold.firstGet)} (CPU ${ms(cold.firstGetCpu)}) `
          + `| ${ms(warm.prepare)} (CPU ${ms(warm.prepareCpu)}) | ${ms(warm.longestTurn)} | ${ms(warm.firstScrape)} (CPU ${ms(warm.firstScrapeCpu)}) `
          + `| ${ms(warm.firstGet)} (CPU ${ms(warm.firstGetCpu)}) | ${ms(ours.serveAllByCurl)} (CPU ${ms(ours.serveAllByCurlCpu)}) |`);
      process.stderr.write(`${rows.at(-1)}\n${cpuRows.at(-1) ?? ''}\n${firstRows.at(-1)}\n`);
    }
  }
  const scope = benchScope();
  let ages: number[];
  try {
    ages = await measureSampleAges(await startSampleAgeRig(scope, new Registry(), 1), trials);
  } finally {
    await scope.cleanup();
  }
  process.stdout.write([
    `Load average before / after: ${loadBefore.map((l) => l.toFixed(1)).join(', ')} / ${loadavg().map((l) => l.toFixed(1)).join(', ')} (1, 5, 15 min).`,
    '',
    '| kind | series | text | prom-client metrics() | prom-client GET | peak RSS | cached: first | unchanged | 1 % changed | 10 % changed | all changed | GET unchanged | GET 1 % changed | GET 10 % changed | GET all changed | peak RSS |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    'CPU time of the same medians (user + system, all threads of the process; a GET counts the client reading the body too):',
    '',
    '| kind | series | prom-client metrics() | cached: first | unchanged | 1 % changed | 10 % changed | all changed | GET unchanged | GET 1 % changed | GET 10 % changed | GET all changed | gzip (level 1) of the body |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...cpuRows,
    '',
    'The first scrape of a registry (one run each, a process of its own): `chunks()` cold; the first GET of serveMetrics started on it at once (cold: a scrape that comes before preparing ends streams what is not yet written); the server preparing in the background (wall and CPU until `server.prepared`, and the longest the event loop waited meanwhile); the first scrape once it has (`chunks()`), then the first GET; and (median of 5) the GET with every series changed. The GETs of this table are curl\'s, another process started before the registry was filled, as Prometheus is: their time by curl\'s clock, their CPU the server\'s alone:',
    '',
    '| kind | series | cached: first | first GET at once | preparing (idle time it needs) | longest event-loop wait while preparing | first scrape once prepared | then the first GET | GET all changed |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...firstRows,
    '',
    `Sample age at a 1 s scrape, ${trials} trials: p50 ${ms(quantile(ages, 0.5))}, p95 ${ms(quantile(ages, 0.95))}, max ${ms(Math.max(...ages))}.`,
    '',
  ].join('\n'));
}

const caseArg = process.argv.indexOf('--case');
if (caseArg >= 0) {
  // 4× the histograms is 560 MB of text: more than V8's longest string, which prom-client builds (the cached
  // exposition keeps bytes only).
  // Started before the registry is filled: forking this process later, hundreds of MB large, would cost it a GET's worth.
  const curl = curlClient();
  const figures = await runCase(JSON.parse(process.argv[caseArg + 1]) as Case, curl).catch((err: Error) => ({ error: err.message }));
  curl.close();
  process.send!(figures, () => process.exit(0));
} else {
  await main();
}
