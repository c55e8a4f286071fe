// A deploy cancelled the way CI cancels a job — SIGINT, SIGTERM, then SIGKILL — against real services: two Prometheus
// replicas and an Alertmanager. `vigil deploy` runs as a child process; VIGIL_TEST_PAUSE_AFTER (test-only) stops it at
// an exact point and prints a marker, so each signal lands where the table says. After every case: each target serves
// entirely one build (the old one, after a caught signal), no lock and no pre-flight folder remain, and the next
// deploy converges.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO, VIGIL_BIN } from '../helpers/cli.ts';
import { serviceScope } from '../helpers/services.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

const FIXTURE = path.join(REPO, 'test/fixtures/deploy/monitoring');
const SECRET = 'wecom-secret-interrupted';
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

interface Run {
  child: ReturnType<typeof spawn>;
  stderr(): string;
  stdout(): string;
  /** Resolves when the deploy prints the pause marker of `point`. */
  paused(point: string): Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe('a deploy interrupted by a signal', () => {
  const scope = serviceScope();
  let stack: Stack;
  let dir: string;
  let tmp: string;
  let stagingRoot: string;
  let build = 1000;

  /** One build per value: the warning threshold of NodeLoadHigh in Prometheus, a webhook URL in Alertmanager. */
  const envFile = async (value: number) => {
    const extra = `overrides:\n  alerts:\n    NodeLoadHigh: { thresholds: { warning: { value: ${value} } } }\n  receivers:\n    team: { webhook: { url: "http://127.0.0.1:9/build-${value}" } }\n`;
    const file = path.join(dir, `build-${value}.yaml`);
    await writeFile(file, stack.environment({ extra }));
    // plan and deploy read a build: made here, once per value, as `vigil build` makes it.
    const built = spawnSync(process.execPath, [VIGIL_BIN, 'build', FIXTURE, '--environment-file', file, '--out', `${file}.build`], { cwd: REPO, encoding: 'utf8', env: childEnv() });
    if (built.status !== 0) throw new Error(`vigil build failed: ${built.stderr}`);
    return file;
  };
  /** `--environment-file F` of the calls below means: the build envFile made from F. */
  const onBuild = (args: string[]) => {
    const at = args.indexOf('--environment-file');
    if (at < 0) return args;
    return [...args.slice(0, at), args[0] === 'plan' ? '--targets' : '--build', `${args[at + 1]}.build`, ...args.slice(at + 2)];
  };
  const childEnv = (extra: NodeJS.ProcessEnv = {}) => ({ ...process.env, NO_COLOR: '1', TMPDIR: tmp, VIGIL_TEST_WECOM_SECRET: SECRET, ...extra });

  const start = (args: string[], extra: NodeJS.ProcessEnv = {}): Run => {
    const child = spawn(process.execPath, [VIGIL_BIN, ...onBuild(args)], { cwd: REPO, env: childEnv(extra) });
    let stdout = '';
    let stderr = '';
    const waiters: { marker: string; resolve(): void }[] = [];
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => {
      stderr += d;
      for (const w of waiters.splice(0)) (stderr.includes(w.marker) ? w.resolve() : waiters.push(w));
    });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    void exit.then(() => clearTimeout(timer));
    return {
      child,
      stderr: () => stderr,
      stdout: () => stdout,
      paused: (point) =>
        new Promise<void>((resolve, reject) => {
          const marker = `vigil-test-pause: ${point}\n`;
          if (stderr.includes(marker)) return resolve();
          waiters.push({ marker, resolve });
          void exit.then(() => reject(new Error(`the deploy ended before pausing at ${point}:\n${stderr}`)));
        }),
      exit,
    };
  };
  const run = async (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const r = start(args, extra);
    const { code } = await r.exit;
    return { code, stdout: r.stdout(), stderr: r.stderr() };
  };
  const deploy = (file: string, extra: NodeJS.ProcessEnv = {}, format = 'text') => start(['deploy', FIXTURE, '--environment-file', file, '--format', format], extra);

  /** Which build each target serves, as the services themselves report it (live rules, loaded configuration). */
  const serving = async (): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const p of stack.prometheus) {
      const body = (await (await fetch(`${p.service.url}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; query: string; labels?: Record<string, string> }[] }[] } };
      const rule = body.data.groups.flatMap((g) => g.rules).find((r) => r.name === 'NodeLoadHigh' && r.labels?.severity === 'warning');
      const onDisk = await readFile(path.join(p.rulesDir, 'node.yml'), 'utf8');
      const live = /> (\d+)/.exec(rule?.query ?? '')?.[1] ?? 'none';
      // The file and what the server loaded must agree: a written, unloaded file is a mixed state too.
      out[p.name] = onDisk.includes(`> ${live}`) ? live : `${live} (file differs)`;
    }
    for (const [i, am] of stack.alertmanagers.entries()) {
      const status = (await (await fetch(`${am.service.url}/api/v2/status`)).json()) as { config: { original: string } };
      const live = /build-(\d+)/.exec(status.config.original)?.[1] ?? 'none';
      const onDisk = /build-(\d+)/.exec(await readFile(am.configFile, 'utf8'))?.[1] ?? 'none';
      out[`am-${i}`] = onDisk === live ? live : `${live} (file says ${onDisk})`;
    }
    return out;
  };
  const allServe = (value: number) => Object.fromEntries([...stack.prometheus.map((p) => p.name), ...stack.alertmanagers.map((_, i) => `am-${i}`)].map((n) => [n, String(value)]));
  const lockFile = () => path.join(stack.prometheus[0]!.rulesDir, '.vigil-deploy-test.lock');
  const exists = (p: string) => stat(p).then(() => true, () => false);
  const stages = async () => (await readdir(stagingRoot).catch(() => [] as string[])).filter((n) => n.startsWith('preflight-'));

  beforeAll(async () => {
    stack = await startStack(scope, { prometheus: 2, alertmanagers: 1 });
    dir = await scope.tempDir();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'vigil-interrupt-tmp-'));
    scope.onCleanup(() => rm(tmp, { recursive: true, force: true }));
    stagingRoot = path.join(tmp, `vigil-${process.getuid?.() ?? 0}`);
    const first = await run(['deploy', FIXTURE, '--environment-file', await envFile(build)]);
    expect(first.code, first.stderr).toBe(0);
    expect(await serving()).toEqual(allServe(build));
  }, 90_000);

  // Targets are applied in this order: alertmanager, prometheus prom-a, prometheus prom-b.
  const points = [
    { point: 'preflight', where: 'during the pre-flight (files with secrets staged)' },
    { point: 'verified:alertmanager', where: 'after the first target is applied' },
    { point: 'applied:prometheus prom-b', where: 'during a later target (written and reloaded, not yet verified)' },
  ];
  const signals = ['SIGTERM', 'SIGINT'] as const;
  const cancelCases = points.flatMap((p) => signals.map((signal) => ({ ...p, signal, format: p.point === 'verified:alertmanager' && signal === 'SIGINT' ? 'json' : 'text' })));

  for (const c of cancelCases) {
    it(`${c.signal} ${c.where}: rolled back to the old build, lock released, nothing staged, exit ${SIGNAL_EXIT[c.signal]}`, async () => {
      const old = build;
      const r = deploy(await envFile(old + 1), { VIGIL_TEST_PAUSE_AFTER: c.point }, c.format);
      await r.paused(c.point);
      if (c.point === 'preflight') {
        // The staged files hold the secret, in a folder of this user's own that nobody else can read.
        const [stage] = await stages();
        expect(stage).toMatch(new RegExp(`^preflight-${r.child.pid}-`));
        expect((await stat(path.join(stagingRoot, stage!))).mode & 0o777).toBe(0o700);
        const staged = path.join(stagingRoot, stage!, 'alertmanager', 'alertmanager.yml');
        expect(await readFile(staged, 'utf8')).toContain(SECRET);
        if (isRoot) expect(spawnSync('cat', [staged], { uid: NOBODY, gid: NOBODY }).status).not.toBe(0);
      }
      r.child.kill(c.signal);
      const { code } = await r.exit;
      expect(code, r.stderr()).toBe(SIGNAL_EXIT[c.signal]);
      expect(await serving()).toEqual(allServe(old));
      expect(await exists(lockFile())).toBe(false);
      expect(await stages()).toEqual([]);
      if (c.format === 'json') {
        const report = JSON.parse(r.stdout()) as { ok: boolean; failure: { code: string; rolledBack: string[] } };
        expect(report.ok).toBe(false);
        expect(report.failure.code).toBe('deploy/cancelled');
        expect(report.failure.rolledBack).toEqual(['alertmanager']);
      } else {
        expect(r.stderr()).toContain(`deploy cancelled [deploy/cancelled]: ${c.signal} received`);
        if (c.point === 'preflight') expect(r.stderr()).toContain('nothing was changed');
        if (c.point === 'applied:prometheus prom-b') expect(r.stderr()).toContain('rolled back: prometheus prom-b, prometheus prom-a, alertmanager');
      }
    }, 30_000);
  }

  it('kills a pre-flight tool that is running when the signal comes', async () => {
    const pidFile = path.join(dir, 'amtool.pid');
    const slowTool = path.join(dir, 'slow-amtool');
    await writeFile(slowTool, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 60\n`, { mode: 0o755 });
    const r = deploy(await envFile(build + 1), { VIGIL_AMTOOL: slowTool });
    let pid = 0;
    for (let i = 0; i < 500 && !pid; i++) {
      pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (!pid) await new Promise((res) => setTimeout(res, 20));
    }
    expect(pid).toBeGreaterThan(0);
    r.child.kill('SIGTERM');
    expect((await r.exit).code).toBe(143);
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((res) => setTimeout(res, 20));
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
    expect(await stages()).toEqual([]);
    expect(await exists(lockFile())).toBe(false);
  }, 30_000);

  it('finishes the rollback when a second signal comes during it, and says to wait', async () => {
    const old = build;
    const r = deploy(await envFile(old + 1), { VIGIL_TEST_PAUSE_AFTER: 'verified:prometheus prom-a,rollback' });
    await r.paused('verified:prometheus prom-a');
    r.child.kill('SIGINT');
    await r.paused('rollback');
    r.child.kill('SIGTERM');
    const { code } = await r.exit;
    // The first signal decides the exit status.
    expect(code, r.stderr()).toBe(130);
    expect(r.stderr()).toContain('rolling back, please wait');
    expect(r.stderr()).toContain('rolled back: prometheus prom-a, alertmanager');
    expect(await serving()).toEqual(allServe(old));
    expect(await exists(lockFile())).toBe(false);
  }, 30_000);

  it('the deploy after the cancelled ones converges', async () => {
    build += 1;
    const r = await run(['deploy', FIXTURE, '--environment-file', await envFile(build)]);
    expect(r.code, r.stderr).toBe(0);
    expect(await serving()).toEqual(allServe(build));
  }, 30_000);

  // SIGKILL cannot be caught: what it leaves, the next plan must show and the next deploy must converge from. A third
  // signal during the rollback is the user's way to stop at once, like a SIGKILL, but it removes the lock and stage.
  const killCases = [
    { how: 'SIGKILL', point: 'preflight', pending: ['alertmanager', 'prometheus prom-a', 'prometheus prom-b'], lockLeft: true },
    { how: 'SIGKILL', point: 'verified:prometheus prom-a', pending: ['prometheus prom-b'], lockLeft: true },
    { how: 'SIGKILL', point: 'applied:prometheus prom-b', pending: [], lockLeft: true },
    // Stopped after prom-a was restored, before the alertmanager was: a mixed state, on purpose.
    { how: 'a third signal', point: 'verified:prometheus prom-a', pending: ['prometheus prom-a', 'prometheus prom-b'], lockLeft: false },
  ];
  for (const c of killCases) {
    it(`${c.how} at ${c.point}: the next plan shows the state left, the next deploy converges${c.point === 'preflight' ? ', and the stale pre-flight folder is swept' : ''}`, async () => {
      const value = build + 1;
      const file = await envFile(value);
      const r = deploy(file, { VIGIL_TEST_PAUSE_AFTER: c.how === 'SIGKILL' ? c.point : `${c.point},rollback,rolled-back:prometheus prom-a` });
      await r.paused(c.point);
      const [stage] = await stages();
      if (c.how === 'SIGKILL') r.child.kill('SIGKILL');
      else {
        r.child.kill('SIGTERM');
        await r.paused('rollback');
        r.child.kill('SIGINT');
        await r.paused('rolled-back:prometheus prom-a');
        r.child.kill('SIGTERM');
      }
      const ended = await r.exit;
      if (c.how === 'SIGKILL') expect(ended.signal).toBe('SIGKILL');
      else {
        expect(ended.code, r.stderr()).toBe(143);
        expect(r.stderr()).toContain('received a third time: stopped at once');
      }
      expect(await exists(lockFile())).toBe(c.lockLeft);
      const staged = stage && path.join(stagingRoot, stage, 'alertmanager', 'alertmanager.yml');
      if (c.point === 'preflight') {
        // Left by the SIGKILL, with the secret in it: private to this user until the next start sweeps it.
        expect(stage).toBeDefined();
        expect(await readFile(staged!, 'utf8')).toContain(SECRET);
        if (isRoot) expect(spawnSync('cat', [staged!], { uid: NOBODY, gid: NOBODY }).status).not.toBe(0);
      } else if (c.how !== 'SIGKILL') expect(await stages()).toEqual([]);

      const plan = await run(['plan', FIXTURE, '--environment-file', file, '--format', 'json']);
      const report = JSON.parse(plan.stdout) as { targets: { target: string; changes: unknown[] }[] };
      const pending = report.targets.filter((t) => t.changes.length).map((t) => t.target);
      expect(pending).toEqual(c.pending);
      expect(plan.code).toBe(pending.length ? 3 : 0);
      // The plan swept the leftover: gone, secret and all.
      expect(await stages()).toEqual([]);
      if (staged) expect(await exists(staged)).toBe(false);

      const next = await run(['deploy', FIXTURE, '--environment-file', file]);
      expect(next.code, next.stderr).toBe(0);
      // Nothing half-written stays behind in the targets' directories (a SIGKILL mid-write leaves a temporary file).
      for (const d of [stack.prometheus[0]!.rulesDir, path.dirname(stack.alertmanagers[0]!.configFile)]) expect((await readdir(d)).filter((n) => /\.vigil-\d+-[0-9a-f]{8}$/.test(n))).toEqual([]);
      build = value;
      expect(await serving()).toEqual(allServe(value));
      expect(await exists(lockFile())).toBe(false);
      const again = await run(['plan', FIXTURE, '--environment-file', file]);
      expect(again.code, again.stdout).toBe(0);
    }, 45_000);
  }
});
