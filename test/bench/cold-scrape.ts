/**
 * The cold first scrape as a service meets it (issue #13 §5): serveMetrics started on a registry just filled with
 * 100,000 series (as collection-bench fills it), then curl's GET at once — another process, as Prometheus is. Each run
 * a process of its own; the GET's time by curl's clock (and with curl's start), the server process' CPU time meanwhile
 * (all its threads: V8's compiler and garbage collector's too) and its main thread's alone (Linux: the thread's
 * schedstat; the steadier figure on a busy machine, and the one a response waits for), its peak RSS, the bytes served.
 * `BENCH_AGAINST=<dir of another checkout>` runs that checkout's serveMetrics interleaved with this one's;
 * BENCH_RUNS (3) and BENCH_KINDS (histogram,counter) change the rest. `BENCH_VARIANTS=default,threads` runs each case
 * also with serveMetrics' `formatThreads: 2` (the histograms' lines written on a second thread), interleaved.
 * Run: node --import tsx test/bench/cold-scrape.ts
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { curlClient } from './curl-client.ts';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

async function coldGet(dir: string, kind: string, variant: string): Promise<string> {
  const curl = curlClient();
  const client = (await import(path.join(dir, 'node_modules/prom-client/index.js'))).default;
  const { serveMetrics } = await import(path.join(dir, 'src/runtime/index.ts'));
  const registry = new client.Registry();
  for (let m = 0; m < 10; m++) {
    const labelNames = ['service', 'route', 'code'];
    const metric = kind === 'counter'
      ? new client.Counter({ name: `app_requests_${m}_total`, help: 'Requests handled.', labelNames, registers: [registry] })
      : new client.Histogram({ name: `app_request_${m}_duration_seconds`, help: 'Request latency.', labelNames, buckets: BUCKETS, registers: [registry] });
    for (let i = 0; i < 10_000; i++) {
      const labels = { service: `svc-${i % 20}`, route: `/api/v1/resource_${i}`, code: String(200 + (i % 5)) };
      if (kind === 'counter') metric.inc(labels, (i % 7) + 1);
      else metric.observe(labels, ((i * 7919 + 1) % 1000) / 113);
    }
  }
  const starting = performance.now();
  const server = await serveMetrics({ registry, host: '127.0.0.1', defaultMetrics: false, ...(variant === 'threads' ? { formatThreads: 2 } : {}) });
  const start = performance.now();
  const started = start - starting;
  const startCpu = process.cpuUsage();
  const startMain = mainThreadNs();
  const { ms, bytes } = await curl.get(`${server.url}/metrics`);
  const cpu = process.cpuUsage(startCpu);
  const main = (mainThreadNs() - startMain) / 1e6;
  const wall = performance.now() - start;
  curl.close();
  await server.close();
  return `${kind}${variant === 'default' ? '' : ` (${variant})`} cold GET ${ms.toFixed(0)} ms by curl's clock (${wall.toFixed(0)} ms with curl's start), server CPU `
    + `${((cpu.user + cpu.system) / 1000).toFixed(0)} ms (main thread ${Number.isNaN(main) ? '?' : main.toFixed(0)} ms), peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB, ${bytes} bytes; serveMetrics resolved in ${started.toFixed(0)} ms`;
}

/** Nanoseconds the calling thread has run on a CPU (Linux); NaN elsewhere. */
function mainThreadNs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}

function inChild(dir: string, kind: string, variant: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = fork(import.meta.filename, ['--case', dir, kind, variant], { execArgv: ['--import', 'tsx'] });
    child.once('message', (line) => resolve(line as string));
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`${dir} ${kind} exited with ${code}`))));
  });
}

const caseArg = process.argv.indexOf('--case');
if (caseArg >= 0) {
  const line = await coldGet(process.argv[caseArg + 1], process.argv[caseArg + 2], process.argv[caseArg + 3]);
  process.send!(line, () => process.exit(0));
} else {
  const dirs = [path.resolve(import.meta.dirname, '../..'), ...(process.env.BENCH_AGAINST ? [path.resolve(process.env.BENCH_AGAINST)] : [])];
  const kinds = (process.env.BENCH_KINDS ?? 'histogram,counter').split(',');
  const variants = (process.env.BENCH_VARIANTS ?? 'default').split(',');
  for (const variant of variants) if (variant !== 'default' && variant !== 'threads') throw new Error(`BENCH_VARIANTS: unknown variant ${variant} (default, threads)`);
  process.stdout.write(`Load average before: ${loadavg().map((l) => l.toFixed(1)).join(', ')}\n`);
  for (let run = 0; run < Number(process.env.BENCH_RUNS ?? 3); run++) {
    for (const dir of dirs) {
      for (const variant of variants) for (const kind of kinds) process.stdout.write(`${dir}: ${await inChild(dir, kind, variant)}\n`);
    }
  }
  process.stdout.write(`Load average after: ${loadavg().map((l) => l.toFixed(1)).join(', ')}\n`);
}
