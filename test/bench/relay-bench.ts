/**
 * Relay benchmark (issue #10, "Benchmark"): from Alertmanager's POST to the sink, the latency the relay adds and the
 * rate it sustains, on SQLite and on PostgreSQL. Goal: p99 added < 20 ms at 200 notifications/s for 60 s, every
 * notification persisted.
 *
 * A small project is built whose relay sends SMS through the generic HTTP gateway (`relay.sms: { provider: http }`) to
 * a local sink: unlike a DingTalk robot (20 messages a minute) the gateway has no rate limit, so what is measured is
 * the relay, not a limiter. The relay runs in this process; the load generator and the sink run in a child process
 * (relay-load.ts), one clock for sending and receipt. The generator is open loop: one webhook (version 4, one alert,
 * each a distinct fingerprint so de-duplication drops none) every 1/rate s, whatever the answers do.
 *
 * Per load: a baseline (the same webhooks posted straight to the sink), then per store a fresh store and relay, a
 * warm-up, and the measured run. "Added" = relay percentile − baseline percentile. Afterwards every notification must
 * be in the store (listAlerts total), delivered once (sink), no job left pending or dead.
 *
 * Run: `npm run bench:relay` (about 6 minutes). BENCH_RATE (200), BENCH_SECONDS (60), BENCH_SCALE_RATES (50,100,200;
 * "" for none), BENCH_SCALE_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_STORES (sqlite,postgres), BENCH_POLL_MS (50),
 * BENCH_RECEIVERS (1: the load spread over that many SMS receivers, which the relay delivers to in parallel).
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { secretReader } from '../../src/relay/secrets.ts';
import { startRelay } from '../../src/relay/server.ts';
import { openPostgresStore } from '../../src/relay/store/postgres.ts';
import { openSqliteStore } from '../../src/relay/store/sqlite.ts';
import type { RelayStore } from '../../src/relay/types.ts';
import { REPO, runVigilAsync } from '../helpers/cli.ts';
import { findPostgres, startPostgres, type RunningPostgres } from '../helpers/postgres.ts';
import { benchScope } from './bench-scope.ts';
import type { LoadRequest, LoadResult, ToParent } from './relay-load.ts';
import { timedStore, type CallTimes } from './timed-store.ts';

const numberFromEnv = (key: string, fallback: number) => (process.env[key] ? Number(process.env[key]) : fallback);
const listFromEnv = (key: string, fallback: string) => (process.env[key] ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);

const RATE = numberFromEnv('BENCH_RATE', 200);
const SECONDS = numberFromEnv('BENCH_SECONDS', 60);
const SCALE_RATES = listFromEnv('BENCH_SCALE_RATES', '50,100,200').map(Number);
const SCALE_SECONDS = numberFromEnv('BENCH_SCALE_SECONDS', 10);
const WARMUP_SECONDS = numberFromEnv('BENCH_WARMUP_SECONDS', 2);
const STORES = listFromEnv('BENCH_STORES', 'sqlite,postgres');
const POLL_MS = numberFromEnv('BENCH_POLL_MS', 50);
/** The notifications go to this many receivers in turn (the relay delivers to different receivers in parallel). */
const RECEIVERS = numberFromEnv('BENCH_RECEIVERS', 1);
/** Deliveries still arriving are waited for; this long without one ends the wait. */
const DRAIN_QUIET_MS = 15_000;
const GOAL_ADDED_P99_MS = 20;
const NOTIFY_TOKEN = 'bench-notify-token';

type StoreKind = 'sqlite' | 'postgres';

interface Load {
  rate: number;
  seconds: number;
  sustained: boolean;
}

interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

interface Measured {
  label: string;
  load: Load;
  result: LoadResult;
  answered: Percentiles;
  delivered: Percentiles;
  answeredPerSecond: number;
  deliveredPerSecond: number;
  deliveredCount: number;
  errors: number;
  /** Relay runs only. */
  relay?: {
    stored: number;
    expectedStored: number;
    pendingJobs: number;
    deadLetters: number;
    cpuMsPerNotification: number;
    machineBusy: number;
    loopDelayP99Ms: number;
    loopDelayMaxMs: number;
    storeCalls: string[];
    logLines: string[];
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers

function percentiles(values: (number | null)[]): Percentiles {
  const sorted = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  const at = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN);
  return { p50: at(50), p90: at(90), p99: at(99), max: sorted[sorted.length - 1] ?? NaN };
}

const ms = (x: number) => (Number.isNaN(x) ? '—' : x < 10 ? x.toFixed(2) : x.toFixed(1));

/** Busy and total jiffies of the whole machine, from /proc/stat (idle and iowait are not busy). */
function machineJiffies(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - fields[3]! - fields[4]!, total };
}

function storeCallLines(times: CallTimes): string[] {
  return [...times.byMethod]
    .sort(([, a], [, b]) => b.reduce((x, y) => x + y, 0) - a.reduce((x, y) => x + y, 0))
    .map(([name, list]) => {
      const p = percentiles(list);
      const total = list.reduce((a, b) => a + b, 0);
      return `${name.padEnd(12)} ${String(list.length).padStart(6)} calls  mean ${ms(total / list.length).padStart(6)} ms  p50 ${ms(p.p50).padStart(6)}  p99 ${ms(p.p99).padStart(6)}  max ${ms(p.max).padStart(6)}  total ${(total / 1000).toFixed(2)} s`;
    });
}

// ---------------------------------------------------------------------------------------------------------------
// The load process

function startLoadProcess(): Promise<{ child: ChildProcess; sinkUrl: string; run(request: Omit<LoadRequest, 'type' | 'run' | 'drainQuietMs'>): Promise<LoadResult> }> {
  const child = fork(path.join(import.meta.dirname, 'relay-load.ts'), [], { execArgv: ['--import', 'tsx'] });
  let nextRun = 1;
  const run = (request: Omit<LoadRequest, 'type' | 'run' | 'drainQuietMs'>) =>
    new Promise<LoadResult>((resolve) => {
      const id = nextRun++;
      const onMessage = (m: ToParent) => {
        if (m.type !== 'result' || m.run !== id) return;
        child.off('message', onMessage);
        resolve(m);
      };
      child.on('message', onMessage);
      child.send({ type: 'load', run: id, drainQuietMs: DRAIN_QUIET_MS, ...request } satisfies LoadRequest);
    });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the load process exited (${code}) before it was ready`)));
    child.once('message', (m: ToParent) => {
      if (m.type === 'ready') resolve({ child, sinkUrl: m.sinkUrl, run });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The project and the stores

const receiverName = (k: number) => (k === 0 ? 'oncall' : `oncall-${k + 1}`);

/**
 * The test fixture with a relay whose SMS goes through the HTTP gateway at the sink, and RECEIVERS SMS receivers
 * (`oncall`, `oncall-2`, …); returns the build's directory.
 */
async function buildProject(dir: string, sinkUrl: string): Promise<string> {
  const monitoring = path.join(dir, 'monitoring');
  await cp(path.join(REPO, 'test/fixtures/base'), monitoring, { recursive: true });
  const project = path.join(monitoring, 'project.yaml');
  const text = await readFile(project, 'utf8');
  const relay = `relay: { url: "http://127.0.0.1:9095", token: { env: VIGIL_RELAY_TOKEN }, sms: { provider: http, url: "${sinkUrl}/sms" } }`;
  await writeFile(project, text.replace(/^relay: .*$/m, relay));
  const more = Array.from({ length: RECEIVERS - 1 }, (_, k) => `  - name: ${receiverName(k + 1)}\n    sms: { to: ["+861380000${String(k + 1).padStart(4, '0')}"] }\n`);
  await writeFile(path.join(monitoring, 'receivers.yaml'), (await readFile(path.join(monitoring, 'receivers.yaml'), 'utf8')) + more.join(''));
  const out = path.join(dir, 'generated');
  const build = await runVigilAsync(['build', monitoring, '--out', out], dir);
  if (build.code !== 0) throw new Error(`vigil build failed:\n${build.stderr}`);
  return out;
}

async function openStore(kind: StoreKind, dir: string, postgres: RunningPostgres | undefined, n: number): Promise<RelayStore> {
  if (kind === 'sqlite') return openSqliteStore(path.join(dir, `relay-${n}.db`));
  return openPostgresStore(postgres!.url, { schema: `bench_${n}` });
}

function versions(): string {
  const sqlite = new Database(':memory:').prepare('SELECT sqlite_version()').pluck().get() as string;
  const pg = findPostgres();
  const postgres = 'binDir' in pg ? spawnSync(path.join(pg.binDir, 'postgres'), ['--version'], { encoding: 'utf8' }).stdout.trim() : `PostgreSQL: ${pg.missing}`;
  return `SQLite ${sqlite} (better-sqlite3, WAL, synchronous=FULL); ${postgres}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Runs

function measure(label: string, load: Load, result: LoadResult): Measured {
  const deliveredCount = result.deliveredMs.filter((x) => x !== null).length;
  const ok = result.answeredMs.filter((x) => x !== null).length;
  return {
    label,
    load,
    result,
    answered: percentiles(result.answeredMs),
    delivered: percentiles(result.deliveredMs),
    answeredPerSecond: ok / (result.answerSpanMs / 1000),
    deliveredPerSecond: deliveredCount / (result.deliverySpanMs / 1000),
    deliveredCount,
    errors: result.sent - ok,
  };
}

interface Context {
  dir: string;
  buildDir: string;
  postgres?: RunningPostgres;
  loader: Awaited<ReturnType<typeof startLoadProcess>>;
}

let storeNumber = 0;

async function relayRun(ctx: Context, kind: StoreKind, load: Load): Promise<Measured> {
  const raw = await openStore(kind, ctx.dir, ctx.postgres, ++storeNumber);
  await raw.migrate();
  const { store, times } = timedStore(raw);
  const logLines: string[] = [];
  const relay = await startRelay(
    { store, buildDir: ctx.buildDir, tokens: { notify: [NOTIFY_TOKEN], read: [], operate: [] }, secrets: secretReader({}), pollMs: POLL_MS, language: 'en', timeZone: 'UTC', log: (line) => void logLines.push(line) },
    { host: '127.0.0.1', port: 0 },
  );
  const urls = Array.from({ length: RECEIVERS }, (_, k) => `${relay.url}/api/v1/notify/sms/${receiverName(k)}`);
  try {
    const warmup = WARMUP_SECONDS > 0 ? await ctx.loader.run({ urls, token: NOTIFY_TOKEN, rate: load.rate, seconds: WARMUP_SECONDS }) : undefined;
    times.reset();
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    const cpuBefore = process.cpuUsage();
    const machineBefore = machineJiffies();
    const result = await ctx.loader.run({ urls, token: NOTIFY_TOKEN, rate: load.rate, seconds: load.seconds });
    const cpu = process.cpuUsage(cpuBefore);
    const machineAfter = machineJiffies();
    loopDelay.disable();
    const measured = measure(kind, load, result);
    const gauges = await raw.gauges(Date.now());
    measured.relay = {
      stored: (await raw.listAlerts({}, 1, 0)).total,
      expectedStored: result.sent + (warmup?.sent ?? 0),
      pendingJobs: gauges.pendingJobs,
      deadLetters: gauges.deadLetters,
      cpuMsPerNotification: (cpu.user + cpu.system) / 1000 / result.sent,
      machineBusy: (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total),
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      loopDelayMaxMs: loopDelay.max / 1e6,
      storeCalls: storeCallLines(times),
      logLines,
    };
    return measured;
  } finally {
    await relay.stop();
    await raw.close();
  }
}

function printRun(m: Measured, baseline?: Measured): void {
  const { answered: a, delivered: d } = m;
  const added = baseline ? `  added p50 ${ms(d.p50 - baseline.delivered.p50)} p99 ${ms(d.p99 - baseline.delivered.p99)} ms` : '';
  console.log(
    `${m.label.padEnd(9)} ${m.load.rate}/s × ${m.load.seconds} s: sent ${m.result.sent}, errors ${m.errors}, delivered ${m.deliveredCount} (${m.result.duplicates} twice)\n` +
      `  answered  p50 ${ms(a.p50)} p90 ${ms(a.p90)} p99 ${ms(a.p99)} max ${ms(a.max)} ms, ${m.answeredPerSecond.toFixed(1)}/s\n` +
      `  delivered p50 ${ms(d.p50)} p90 ${ms(d.p90)} p99 ${ms(d.p99)} max ${ms(d.max)} ms, ${m.deliveredPerSecond.toFixed(1)}/s, last ${ms(m.result.deliverySpanMs - m.result.sendSpanMs)} ms after the last send${added}\n` +
      `  generator late p99 ${ms(m.result.lateP99Ms)} max ${ms(m.result.lateMaxMs)} ms; statuses ${JSON.stringify(m.result.statuses)}${m.result.firstErrors.length ? `; first errors: ${m.result.firstErrors.join(' | ')}` : ''}`,
  );
  if (!m.relay) return;
  const r = m.relay;
  console.log(
    `  stored ${r.stored} of ${r.expectedStored} (warm-up included), pending jobs ${r.pendingJobs}, dead letters ${r.deadLetters}; relay CPU ${r.cpuMsPerNotification.toFixed(2)} ms/notification, machine ${(r.machineBusy * 100).toFixed(0)} % busy; event loop delay p99 ${ms(r.loopDelayP99Ms)} max ${ms(r.loopDelayMaxMs)} ms`,
  );
  for (const line of r.storeCalls) console.log(`    ${line}`);
  if (r.logLines.length) console.log(`  relay log (${r.logLines.length} lines): ${r.logLines.slice(0, 3).join(' | ')}`);
}

/** Whether the run kept every promise: every POST answered 2xx, every notification stored, delivered once, no job left. */
function complete(m: Measured): boolean {
  const r = m.relay!;
  return m.errors === 0 && r.stored === r.expectedStored && m.deliveredCount === m.result.sent && m.result.duplicates === 0 && r.pendingJobs === 0 && r.deadLetters === 0;
}

function summaryTable(rows: { baseline: Measured; runs: Measured[] }[]): string[] {
  const lines = [
    '| store | load | answered p50 / p99 | delivered p50 / p90 / p99 / max | added p50 / p99 (delivered) | throughput answered / delivered | errors | stored, delivered | relay CPU / notification |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const { baseline: b, runs } of rows) {
    const load = `${b.load.rate}/s × ${b.load.seconds} s`;
    lines.push(`| none (baseline) | ${load} | ${ms(b.answered.p50)} / ${ms(b.answered.p99)} ms | ${ms(b.delivered.p50)} / ${ms(b.delivered.p90)} / ${ms(b.delivered.p99)} / ${ms(b.delivered.max)} ms | | ${b.answeredPerSecond.toFixed(0)} / ${b.deliveredPerSecond.toFixed(0)} /s | ${b.errors} | —, ${b.deliveredCount} | |`);
    for (const m of runs) {
      const r = m.relay!;
      lines.push(
        `| ${m.label} | ${load} | ${ms(m.answered.p50)} / ${ms(m.answered.p99)} ms | ${ms(m.delivered.p50)} / ${ms(m.delivered.p90)} / ${ms(m.delivered.p99)} / ${ms(m.delivered.max)} ms | **${ms(m.delivered.p50 - b.delivered.p50)} / ${ms(m.delivered.p99 - b.delivered.p99)} ms** | ${m.answeredPerSecond.toFixed(0)} / ${m.deliveredPerSecond.toFixed(0)} /s | ${m.errors} | ${r.stored - (r.expectedStored - m.result.sent)}, ${m.deliveredCount} of ${m.result.sent} | ${r.cpuMsPerNotification.toFixed(2)} ms |`,
      );
    }
  }
  return lines;
}

async function main(): Promise<void> {
  const scope = benchScope();
  const loader = await startLoadProcess();
  scope.onCleanup(async () => void loader.child.disconnect());
  try {
    const dir = await scope.tempDir('vigil-relay-bench-');
    const buildDir = await buildProject(dir, loader.sinkUrl);
    const stores: StoreKind[] = [];
    let postgres: RunningPostgres | undefined;
    for (const kind of STORES) {
      if (kind === 'sqlite') stores.push('sqlite');
      else if (kind === 'postgres') {
        const found = findPostgres();
        if ('missing' in found) console.log(`postgres: skipped: ${found.missing}`);
        else {
          postgres = await startPostgres(scope);
          stores.push('postgres');
        }
      } else throw new Error(`BENCH_STORES: unknown store "${kind}" (sqlite, postgres)`);
    }
    const ctx: Context = { dir, buildDir, loader, ...(postgres ? { postgres } : {}) };
    console.log(`relay benchmark: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}, load average ${os.loadavg()[0]!.toFixed(2)}`);
    console.log(`${versions()}; pollMs ${POLL_MS}, ${RECEIVERS} receiver${RECEIVERS === 1 ? '' : 's'}, warm-up ${WARMUP_SECONDS} s per relay`);

    const loads: Load[] = [{ rate: RATE, seconds: SECONDS, sustained: true }, ...SCALE_RATES.map((rate) => ({ rate, seconds: SCALE_SECONDS, sustained: false }))];
    const rows: { baseline: Measured; runs: Measured[] }[] = [];
    for (const load of loads) {
      console.log(`\n== ${load.rate} notifications/s for ${load.seconds} s${load.sustained ? ' (the goal)' : ' (scaling)'}`);
      const baseline = measure('baseline', load, await loader.run({ urls: [`${loader.sinkUrl}/direct`], rate: load.rate, seconds: load.seconds }));
      printRun(baseline);
      const runs: Measured[] = [];
      for (const kind of stores) {
        const m = await relayRun(ctx, kind, load);
        printRun(m, baseline);
        runs.push(m);
      }
      rows.push({ baseline, runs });
    }

    console.log(`\nload average ${os.loadavg()[0]!.toFixed(2)} at the end\n`);
    for (const line of summaryTable(rows)) console.log(line);
    console.log('');
    const goal = rows[0]!;
    for (const m of goal.runs) {
      const added = m.delivered.p99 - goal.baseline.delivered.p99;
      const met = added < GOAL_ADDED_P99_MS && complete(m) && m.deliveredPerSecond >= 0.98 * m.load.rate;
      console.log(`goal (${m.label}): p99 added ${ms(added)} ms < ${GOAL_ADDED_P99_MS} ms at ${m.load.rate}/s for ${m.load.seconds} s, every notification stored and delivered: ${met ? 'MET' : 'NOT MET'}`);
    }
    const incomplete = rows.flatMap((r) => r.runs).filter((m) => !complete(m));
    for (const m of incomplete) console.log(`INCOMPLETE: ${m.label} at ${m.load.rate}/s: not every notification was answered, stored and delivered exactly once`);
    if (incomplete.length) process.exitCode = 1;
  } finally {
    await scope.cleanup();
  }
}

await main();
