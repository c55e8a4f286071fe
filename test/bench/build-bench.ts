/**
 * Build benchmark (issue #2): a synthetic project of 10,000 two-level alerts and 200 dashboards.
 * Reports `vigil build` wall time and peak RSS, and in the same run promtool's `check rules` time on the produced
 * rule files, plus `vigil validate` of the example project. Run: `npm run bench` (takes about a minute).
 * Cold runs pass --no-cache; cached runs use a cache of their own (--cache-dir), filled by a run before the timed one:
 * a one-file change is one alert threshold edited between the filling run and the timed one.
 * BENCH_PARTS=validate runs only `vigil validate` of the example and `vigil --version` (no synthetic project).
 * BENCH_AGAINST=DIR (another checkout, e.g. a `git worktree` of an older commit with its node_modules) runs those
 * interleaved with the same commands of DIR's bin/vigil.js, one each in turn, and reports both.
 * Each checkout's command line gets a code cache of its own (VIGIL_CACHE_DIR, in the bench's temporary folder), made
 * by an untimed run of each timed command first: not the one a test run on a small fixture may have left in
 * node_modules/.cache/vigil/code, which holds only what that run compiled.
 * When the environment sets NODE_EXTRA_CA_CERTS, the cold builds and validations are timed once more without it, in
 * turn with the others, and the report gives Node's bare start both ways (see EXTRA_CA_CERTS below).
 * Each round also times a build that fills an empty incremental cache (the default `vigil build` of a new checkout or
 * CI job), for its time and peak memory.
 * The cold builds and validations also report where the command's threads spent their time (Linux): its main thread on
 * a CPU and waiting for one, and its other threads' CPU (`…MainThreadCpuSeconds`, `…MainThreadWaitSeconds`,
 * `…OtherThreadsCpuSeconds`; test/bench/thread-cpu.cjs).
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeSyntheticProject } from './synthetic.ts';
import { readThreadFigures, withThreadFigures, type ThreadCpu } from './thread-figures.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const ALERTS = Number(process.env.BENCH_ALERTS ?? 10_000);
const DASHBOARDS = Number(process.env.BENCH_DASHBOARDS ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PARTS = new Set((process.env.BENCH_PARTS ?? 'build,validate').split(','));
const AGAINST = process.env.BENCH_AGAINST ? path.resolve(process.env.BENCH_AGAINST) : undefined;
/**
 * Where each cold build writes. `fresh` (the default): a folder no build wrote before, nothing deleted before the
 * timed runs. `emptied` (the method before 2026-12-05 11:00): the output folder removed just before each build. On a
 * file system like this machine's (ext4 without a journal) a file created within minutes of many deletions costs
 * the kernel a scan past every recently deleted inode of its block group (fs/ext4/ialloc.c, recently_deleted), so
 * the 409 files took 50–350 ms to write depending on how many builds the bench itself had just deleted — a cost of
 * the bench's own `rm`, which no build in a checkout meets (an unchanged file is not written at all).
 */
const COLD_OUT = process.env.BENCH_COLD_OUT === 'emptied' ? 'emptied' : 'fresh';

interface Timed {
  seconds: number;
  /** User + system CPU of the process and its children: what a loaded machine distorts least. */
  cpuSeconds: number;
  maxRssMb: number;
  code: number;
  stderr: string;
  /** Where the vigil process's threads spent their time (timed with `threads`; Linux only). */
  threads?: ThreadCpu;
}

/**
 * GNU time gives wall time, CPU time and the peak resident set of the whole process. With `threads` (a file to
 * write), the vigil process also reports its threads' times there (test/bench/thread-cpu.cjs, preloaded through
 * NODE_OPTIONS, which the TypeScript loader's clean environment does not pass on).
 */
function timed(cmd: string[], cwd = REPO, threads?: string): Timed {
  if (threads) rmSync(threads, { force: true });
  const env = threads ? withThreadFigures(process.env, threads) : process.env;
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', ...cmd], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [seconds, user, system, kb] = last.split(' ').map(Number);
  const threadCpu = threads ? readThreadFigures(threads).pop() : undefined;
  return { seconds: seconds!, cpuSeconds: Number((user! + system!).toFixed(2)), maxRssMb: kb! / 1024, code: r.status ?? -1, stderr: r.stderr, ...(threadCpu ? { threads: threadCpu } : {}) };
}

/**
 * Medians of the timed runs' thread figures, in seconds: the main thread's CPU and its wait for a CPU, the other
 * threads' CPU (none when the platform gave no figures).
 */
function threadSeconds(prefix: string, runs: readonly Timed[]): Record<string, number> {
  const figures = runs.flatMap((r) => (r.threads ? [r.threads] : []));
  if (figures.length === 0) return {};
  const seconds = (pick: (t: ThreadCpu) => number) => Number((median(figures.map(pick)) / 1000).toFixed(2));
  return { [`${prefix}MainThreadCpuSeconds`]: seconds((t) => t.mainCpuMs), [`${prefix}MainThreadWaitSeconds`]: seconds((t) => t.mainWaitMs), [`${prefix}OtherThreadsCpuSeconds`]: seconds((t) => t.otherCpuMs) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * An environment that sets NODE_EXTRA_CA_CERTS (this machine's does: the system bundle of ≈ 140 certificates) makes
 * every Node process read and parse that file before any of its code runs: ≈ 36 ms each here, against ≈ 16 ms for
 * all the rest of Node's start. Vigil cannot skip it (Node does it first, and a command that talks to a server over
 * TLS may need those certificates), so the figures are taken as the environment is, and validate and the cold build
 * again without the variable, to show Vigil's own time apart from it.
 */
const EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
/** `cmd` (an `env …` command line) run without NODE_EXTRA_CA_CERTS; undefined when the environment does not set it. */
const withoutExtraCaCerts = (cmd: string[]): string[] | undefined => (EXTRA_CA_CERTS === undefined ? undefined : ['env', '-u', 'NODE_EXTRA_CA_CERTS', ...(cmd[0] === 'env' ? cmd.slice(1) : cmd)]);

/** Median milliseconds from the start of a bare `node` process to its first line of code, as the environment is and without NODE_EXTRA_CA_CERTS. */
function nodeStart(): { nodeStartMs: number; nodeStartWithoutExtraCaCertsMs?: number; nodeExtraCaCerts: string | null } {
  const startOf = (env: NodeJS.ProcessEnv) => median(Array.from({ length: 7 }, () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(performance.now()))'], { env, encoding: 'utf8' }).stdout)));
  const without = { ...process.env };
  delete without.NODE_EXTRA_CA_CERTS;
  return {
    nodeStartMs: Math.round(startOf(process.env)),
    ...(EXTRA_CA_CERTS !== undefined ? { nodeStartWithoutExtraCaCertsMs: Math.round(startOf(without)) } : {}),
    nodeExtraCaCerts: EXTRA_CA_CERTS ?? null,
  };
}

/** Medians of `vigil validate` of the example, cold and cached, and of `vigil --version`, for each checkout, runs interleaved. */
function startUp(checkouts: string[], cacheRoot: string) {
  const example = path.join(REPO, 'examples/ml-platform');
  const runs = checkouts.map(() => ({ cold: [] as Timed[], coldWithoutExtraCaCerts: [] as Timed[], cached: [] as Timed[], version: [] as Timed[], firstEver: [] as Timed[] }));
  const vigils = checkouts.map((checkout, i) => ['env', `VIGIL_CACHE_DIR=${path.join(cacheRoot, `code-${i}`)}`, process.execPath, path.join(checkout, 'bin/vigil.js')]);
  const vigilOf = (checkout: string) => vigils[checkouts.indexOf(checkout)]!;
  const cacheOf = (i: number) => path.join(cacheRoot, `cache-${i}`);
  // Each checkout builds its bundle (if stale), makes its code caches and fills its cache before anything is timed.
  checkouts.forEach((c) => timed([...vigilOf(c), 'validate', example, '--no-cache'], c));
  checkouts.forEach((c) => timed([...vigilOf(c), '--version'], c));
  checkouts.forEach((c, i) => timed([...vigilOf(c), 'validate', example, '--cache-dir', cacheOf(i)], c));
  for (let n = 0; n < 5; n++) {
    checkouts.forEach((c, i) => {
      const cold = [...vigilOf(c), 'validate', example, '--no-cache'];
      runs[i]!.cold.push(timed(cold, c, path.join(cacheRoot, 'threads.jsonl')));
      const bare = withoutExtraCaCerts(cold);
      if (bare) runs[i]!.coldWithoutExtraCaCerts.push(timed(bare, c));
    });
  }
  for (let n = 0; n < 5; n++) checkouts.forEach((c, i) => runs[i]!.cached.push(timed([...vigilOf(c), 'validate', example, '--cache-dir', cacheOf(i)], c)));
  for (let n = 0; n < 5; n++) checkouts.forEach((c, i) => runs[i]!.version.push(timed([...vigilOf(c), '--version'], c)));
  // The cold runs above have the command line's code cache (bin/vigil.js) made by the first run; these have none
  // and write it: the first run ever of an installation.
  for (let n = 0; n < 3; n++) checkouts.forEach((c, i) => runs[i]!.firstEver.push(timed(['env', `VIGIL_CACHE_DIR=${path.join(cacheRoot, `first-${i}-${n}`)}`, ...vigilOf(c), 'validate', example, '--no-cache'], c)));
  for (const r of runs) for (const t of [...r.cold, ...r.coldWithoutExtraCaCerts, ...r.cached, ...r.version, ...r.firstEver]) if (t.code !== 0) throw new Error(`vigil failed:\n${t.stderr}`);
  return runs.map((r) => ({
    vigilValidateExampleSeconds: median(r.cold.map((v) => v.seconds)),
    ...(r.coldWithoutExtraCaCerts.length ? { vigilValidateExampleWithoutExtraCaCertsSeconds: median(r.coldWithoutExtraCaCerts.map((v) => v.seconds)) } : {}),
    vigilValidateExampleCachedSeconds: median(r.cached.map((v) => v.seconds)),
    vigilValidateExampleCpuSeconds: median(r.cold.map((v) => v.cpuSeconds)),
    ...threadSeconds('vigilValidateExample', r.cold),
    vigilValidateExampleCachedCpuSeconds: median(r.cached.map((v) => v.cpuSeconds)),
    vigilVersionSeconds: median(r.version.map((v) => v.seconds)),
    vigilVersionCpuSeconds: median(r.version.map((v) => v.cpuSeconds)),
    vigilValidateExampleFirstEverSeconds: median(r.firstEver.map((v) => v.seconds)),
    vigilValidateExampleFirstEverCpuSeconds: median(r.firstEver.map((v) => v.cpuSeconds)),
  }));
}

async function main() {
  if (!PARTS.has('build')) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-bench-'));
    const loadBefore = os.loadavg().map((l) => Number(l.toFixed(2)));
    const [ours, against] = startUp(AGAINST ? [REPO, AGAINST] : [REPO], dir);
    const validate = ours!.vigilValidateExampleSeconds;
    const bare = ours!.vigilValidateExampleWithoutExtraCaCertsSeconds;
    const goals = { 'validate example < 0.3 s (cold)': validate < 0.3, ...(bare !== undefined ? { 'validate example < 0.3 s (cold), without NODE_EXTRA_CA_CERTS': bare < 0.3 } : {}) };
    console.log(JSON.stringify({ ...nodeStart(), ...ours, ...(against ? { against: { checkout: AGAINST, ...against } } : {}), loadAverage: { before: loadBefore, after: os.loadavg().map((l) => Number(l.toFixed(2))) }, goals }, null, 2));
    await rm(dir, { recursive: true, force: true });
    return;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-bench-'));
  const project = path.join(dir, 'monitoring');
  const out = path.join(dir, 'generated');
  const vigil = ['env', `VIGIL_CACHE_DIR=${path.join(dir, 'code')}`, process.execPath, path.join(REPO, 'bin/vigil.js')];
  const threadsFile = path.join(dir, 'threads.jsonl');
  const example = 'examples/ml-platform';
  // The command line's code caches, made by an untimed run of each command (see the head of this file).
  timed([...vigil, 'validate', example, '--no-cache']);
  timed([...vigil, '--version']);
  const cacheDir = path.join(dir, 'cache');

  // `vigil validate` of the example first, before the synthetic project is written: timed after the builds below (each
  // writes its 409 files), the same runs took 20–40 ms longer than alone (docs/benchmarks.md, 2026-12-06 20:13).
  const validations: Timed[] = [];
  const validationsWithoutExtraCaCerts: Timed[] = [];
  for (let n = 0; n < 5; n++) {
    validations.push(timed([...vigil, 'validate', example, '--no-cache'], REPO, threadsFile));
    const bare = withoutExtraCaCerts([...vigil, 'validate', example, '--no-cache']);
    if (bare) validationsWithoutExtraCaCerts.push(timed(bare, REPO, threadsFile));
  }
  for (const t of validationsWithoutExtraCaCerts) if (t.code !== 0) throw new Error(`vigil failed without NODE_EXTRA_CA_CERTS:\n${t.stderr}`);
  timed([...vigil, 'validate', example, '--cache-dir', cacheDir]);
  const cachedValidations = Array.from({ length: 5 }, () => timed([...vigil, 'validate', example, '--cache-dir', cacheDir]));
  const version = Array.from({ length: 5 }, () => timed([...vigil, '--version']));

  await writeSyntheticProject(project, ALERTS, DASHBOARDS);
  timed([...vigil, 'build', project, '--out', out, '--no-cache']);
  const builds: Timed[] = [];
  const buildsWithoutExtraCaCerts: Timed[] = [];
  const checks: Timed[] = [];
  const oneFile: Timed[] = [];
  // The default `vigil build` of a new checkout or CI job: its incremental cache empty, filled by the build.
  const fillingBuilds: Timed[] = [];
  const edited = path.join(project, 'alerts', 'bench-0000.yaml');
  const original = await readFile(edited, 'utf8');
  for (let i = 0; i < RUNS; i++) {
    // Each cold build writes all 409 files into a folder of its own (see COLD_OUT).
    const coldOut = COLD_OUT === 'emptied' ? out : path.join(dir, `cold-${i}`);
    if (COLD_OUT === 'emptied') await rm(out, { recursive: true, force: true });
    const b = timed([...vigil, 'build', project, '--out', coldOut, '--no-cache'], REPO, threadsFile);
    if (b.code !== 0) throw new Error(`vigil build failed:\n${b.stderr}`);
    builds.push(b);
    const bareBuild = withoutExtraCaCerts([...vigil, 'build', project, '--out', `${coldOut}-bare`, '--no-cache']);
    if (bareBuild && COLD_OUT === 'emptied') await rm(`${coldOut}-bare`, { recursive: true, force: true });
    if (bareBuild) buildsWithoutExtraCaCerts.push(timed(bareBuild, REPO, threadsFile));
    const ruleDir = path.join(coldOut, 'prometheus/rules');
    const files = (await readdir(ruleDir)).map((f) => path.join(ruleDir, f));
    const c = timed(['promtool', 'check', 'rules', ...files]);
    if (c.code !== 0) throw new Error(`promtool check rules failed:\n${c.stderr.slice(0, 2000)}`);
    checks.push(c);
    const filling = timed([...vigil, 'build', project, '--out', path.join(dir, `filling-${i}`), '--cache-dir', path.join(dir, `filling-cache-${i}`)]);
    if (filling.code !== 0) throw new Error(`vigil build filling its cache failed:\n${filling.stderr}`);
    fillingBuilds.push(filling);
    // The cache as the previous run left it, then one threshold changed.
    await writeFile(edited, original);
    timed([...vigil, 'build', project, '--out', out, '--cache-dir', cacheDir]);
    await writeFile(edited, original.replace('value: 0.7,', `value: 0.7${i + 1},`));
    const o = timed([...vigil, 'build', project, '--out', out, '--cache-dir', cacheDir]);
    if (o.code !== 0) throw new Error(`cached vigil build failed:\n${o.stderr}`);
    oneFile.push(o);
  }
  for (const t of buildsWithoutExtraCaCerts) if (t.code !== 0) throw new Error(`vigil failed without NODE_EXTRA_CA_CERTS:\n${t.stderr}`);

  const build = median(builds.map((b) => b.seconds));
  const promtool = median(checks.map((c) => c.seconds));
  const rss = Math.max(...builds.map((b) => b.maxRssMb));
  const fillingRss = Math.max(...fillingBuilds.map((b) => b.maxRssMb));
  const validate = median(validations.map((v) => v.seconds));
  const validateCached = median(cachedValidations.map((v) => v.seconds));
  const oneFileChange = median(oneFile.map((o) => o.seconds));
  const bareBuild = buildsWithoutExtraCaCerts.length ? median(buildsWithoutExtraCaCerts.map((b) => b.seconds)) : undefined;
  const bareValidate = validationsWithoutExtraCaCerts.length ? median(validationsWithoutExtraCaCerts.map((v) => v.seconds)) : undefined;
  const report = {
    ...nodeStart(),
    alerts: ALERTS,
    alertingRules: ALERTS * 2,
    dashboards: DASHBOARDS,
    runs: RUNS,
    coldBuildOutput: COLD_OUT,
    vigilBuildSeconds: build,
    vigilBuildCpuSeconds: median(builds.map((b) => b.cpuSeconds)),
    ...threadSeconds('vigilBuild', builds),
    promtoolCheckRulesSeconds: promtool,
    buildToPromtoolRatio: Number((build / promtool).toFixed(2)),
    ...(bareBuild !== undefined ? { vigilBuildWithoutExtraCaCertsSeconds: bareBuild, buildWithoutExtraCaCertsToPromtoolRatio: Number((bareBuild / promtool).toFixed(2)) } : {}),
    vigilBuildPeakRssMb: Math.round(rss),
    vigilBuildFillingCacheSeconds: median(fillingBuilds.map((b) => b.seconds)),
    vigilBuildFillingCachePeakRssMb: Math.round(fillingRss),
    oneFileChangeCachedBuildSeconds: oneFileChange,
    oneFileChangePeakRssMb: Math.round(Math.max(...oneFile.map((o) => o.maxRssMb))),
    vigilValidateExampleSeconds: validate,
    ...(bareValidate !== undefined ? { vigilValidateExampleWithoutExtraCaCertsSeconds: bareValidate } : {}),
    vigilValidateExampleCachedSeconds: validateCached,
    vigilValidateExampleCpuSeconds: median(validations.map((v) => v.cpuSeconds)),
    ...threadSeconds('vigilValidateExample', validations),
    vigilValidateExampleCachedCpuSeconds: median(cachedValidations.map((v) => v.cpuSeconds)),
    vigilVersionSeconds: median(version.map((v) => v.seconds)),
    vigilVersionCpuSeconds: median(version.map((v) => v.cpuSeconds)),
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
    goals: {
      'build <= 0.25 x promtool': build <= 0.25 * promtool,
      'one-file change < 0.5 s': oneFileChange < 0.5,
      'peak RSS < 300 MB': rss < 300,
      'peak RSS < 300 MB, the build that fills an empty cache too': Math.max(rss, fillingRss) < 300,
      'validate example < 0.3 s (cold)': validate < 0.3,
      ...(bareBuild !== undefined ? { 'build <= 0.25 x promtool, without NODE_EXTRA_CA_CERTS': bareBuild <= 0.25 * promtool } : {}),
      ...(bareValidate !== undefined ? { 'validate example < 0.3 s (cold), without NODE_EXTRA_CA_CERTS': bareValidate < 0.3 } : {}),
    },
  };
  console.log(JSON.stringify(report, null, 2));
  await rm(dir, { recursive: true, force: true });
}

await main();
