/**
 * The streamed first scrape of 100,000 histogram series (10 buckets) in-process, without a socket: `scrape()` then
 * `writeTo()` a sink that takes each piece at once — each run a process of its own, three scrapes a process (the
 * first pays for V8 compiling the code), the CPU time of each. `BENCH_AGAINST=<dir of another checkout>` runs that
 * checkout interleaved with this one; BENCH_RUNS (4) processes each.
 * `--parts`: the parts of that formatting timed apart over the same 100,000 series (reading the bucket counts, the
 * labels, the sums, whole series with and without labels, the store read by seriesOf's ways), three rounds.
 * Run: node --import tsx test/bench/streamed-parts.ts [--parts]
 */
import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import path from 'node:path';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

async function filled(dir: string) {
  const client = (await import(path.join(dir, 'node_modules/prom-client/index.js'))).default;
  const registry = new client.Registry();
  for (let m = 0; m < 10; m++) {
    const metric = new client.Histogram({ name: `app_request_${m}_duration_seconds`, help: 'Request latency.', labelNames: ['service', 'route', 'code'], buckets: BUCKETS, registers: [registry] });
    for (let i = 0; i < 10_000; i++) {
      metric.observe({ service: `svc-${i % 20}`, route: `/api/v1/resource_${i}`, code: String(200 + (i % 5)) }, ((i * 7919 + 1) % 1000) / 113);
    }
  }
  return { client, registry };
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const cpu = process.cpuUsage(since);
  return (cpu.user + cpu.system) / 1000;
};

async function scrapes(dir: string): Promise<string> {
  const { client, registry } = await filled(dir);
  const { CachedExposition } = await import(path.join(dir, 'src/runtime/exposition/cached-exposition.ts'));
  const cpu: string[] = [];
  for (let r = 0; r < 3; r++) {
    const start = process.cpuUsage();
    const body = await new CachedExposition(registry, client).scrape();
    await body.writeTo({ write: (_bytes: Uint8Array, written: () => void) => written() });
    body.release();
    cpu.push(cpuMs(start).toFixed(0));
  }
  return `streamed scrape CPU ${cpu.join(' / ')} ms (first / second / third in the process)`;
}

async function parts(dir: string): Promise<void> {
  const { registry } = await filled(dir);
  const { HistogramShape, putHistogramSeries } = await import(path.join(dir, 'src/runtime/exposition/series.ts'));
  const { putOwnLabels, ownLabelsMaxBytes, putValue } = await import(path.join(dir, 'src/runtime/exposition/bytes.ts'));
  const stores = registry.getMetricsAsArray().map((metric: { hashMap: Record<string, unknown> }) => metric.hashMap);
  const series = stores.flatMap((store: Record<string, unknown>) => Object.values(store)) as { labels: Record<string, unknown>; bucketValues: Record<string, number>; sum: number }[];
  const shape = new HistogramShape('app_request_0_duration_seconds', BUCKETS);
  const keys = shape.boundKeys;
  const piece = Buffer.allocUnsafeSlow(256 * 1024);
  const counts = new Float64Array(keys.length);
  let sink = 0;
  const cases: Record<string, () => void> = {
    'bucket counts by key': () => {
      for (const s of series) {
        let cumulative = 0;
        for (let b = 0; b < keys.length; b++) counts[b] = cumulative += s.bucketValues[keys[b]];
        sink += counts[3];
      }
    },
    'bucket counts for-in': () => {
      // In enumeration order (whole bounds first), put back in bound order.
      const order = Object.keys(series[0].bucketValues).map((key) => keys.indexOf(key));
      for (const s of series) {
        let j = 0;
        for (const key in s.bucketValues) counts[order[j++]] = s.bucketValues[key];
        sink += counts[3];
      }
    },
    labels: () => {
      let at = 0;
      for (const s of series) {
        if (piece.length - at < ownLabelsMaxBytes(s.labels)) at = 0;
        at = putOwnLabels(s.labels, piece, at);
      }
      sink += at;
    },
    sums: () => {
      let at = 0;
      for (const s of series) at = putValue(s.sum, piece, piece.length - at < 32 ? 0 : at);
      sink += at;
    },
    'series without labels': () => {
      let at = 0;
      for (const s of series) at = putHistogramSeries(shape, counts, 0, s, '', piece, piece.length - at < 4096 ? 0 : at);
      sink += at;
    },
    'series with labels': () => {
      let at = 0;
      for (const s of series) at = putHistogramSeries(shape, counts, 0, s, s.labels, piece, piece.length - at < 4096 ? 0 : at);
      sink += at;
    },
    'stores by for-in': () => {
      for (const store of stores) {
        const out: unknown[] = [];
        for (const key in store) if (Object.hasOwn(store, key)) out.push(store[key]);
        sink += out.length;
      }
    },
    'stores by Object.keys': () => {
      for (const store of stores) {
        const storeKeys = Object.keys(store);
        const out: unknown[] = new Array(storeKeys.length);
        for (let i = 0; i < storeKeys.length; i++) out[i] = store[storeKeys[i]];
        sink += out.length;
      }
    },
    'stores by Object.values': () => {
      for (const store of stores) sink += Object.values(store).length;
    },
  };
  for (let round = 1; round <= 3; round++) {
    for (const [name, run] of Object.entries(cases)) {
      const start = process.cpuUsage();
      run();
      process.stdout.write(`round ${round}: ${name} ${cpuMs(start).toFixed(1)} ms CPU\n`);
    }
  }
  if (sink < 0) process.stdout.write('\n');
}

function inChild(dir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = fork(import.meta.filename, ['--case', dir], { execArgv: ['--import', 'tsx'] });
    child.once('message', (line) => resolve(line as string));
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`${dir} exited with ${code}`))));
  });
}

const here = path.resolve(import.meta.dirname, '../..');
const caseArg = process.argv.indexOf('--case');
if (caseArg >= 0) {
  const line = await scrapes(process.argv[caseArg + 1]);
  process.send!(line, () => process.exit(0));
} else if (process.argv.includes('--parts')) {
  process.stdout.write(`Load average before: ${loadavg().map((l) => l.toFixed(1)).join(', ')}\n`);
  await parts(here);
  process.stdout.write(`Load average after: ${loadavg().map((l) => l.toFixed(1)).join(', ')}\n`);
} else {
  const dirs = [here, ...(process.env.BENCH_AGAINST ? [path.resolve(process.env.BENCH_AGAINST)] : [])];
  process.stdout.write(`Load average before: ${loadavg().map((l) => l.toFixed(1)).join(', ')}\n`);
  for (let run = 0; run < Number(process.env.BENCH_RUNS ?? 4); run++) {
    for (const dir of dirs) process.stdout.write(`${dir}: ${await inChild(dir)}\n`);
  }
  process.stdout.write(`Load average after: ${loadavg().map((l) => l.toFixed(1)).join(', ')}\n`);
}
