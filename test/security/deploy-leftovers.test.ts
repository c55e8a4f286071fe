// What a deploy may leave behind when it ends, however it ends: the pre-flight's staging folder (which holds the
// files with secrets filled in) and the deploy lock. Tables of the states another process, another user or a killed
// deploy can leave, each with what the next deploy must do about it.
import { spawn, spawnSync } from 'node:child_process';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeployCancelled } from '../../src/deploy/cancel.ts';
import { DeployError } from '../../src/deploy/errors.ts';
import { acquireLock } from '../../src/deploy/lock.ts';
import { preflight, privateStagingRoot, sweepStaleStages, type PreflightInput } from '../../src/deploy/preflight.ts';
import { hasCommand } from '../helpers/cli.ts';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const uid = process.getuid?.() ?? 0;

let tmp: string;
let root: string;
const savedTmpdir = process.env.TMPDIR;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'vigil-leftovers-'));
  // The deploy stages under $TMPDIR/vigil-<uid>: point TMPDIR at a folder of this test's own.
  process.env.TMPDIR = tmp;
  root = path.join(tmp, `vigil-${uid}`);
});
afterAll(async () => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  await rm(tmp, { recursive: true, force: true });
});
beforeEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A pid that belonged to a process and no longer does (as after a SIGKILL). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

/** Whether `uid` could read `file` (a real attempt, as that user: root can start a process as anyone). */
function readableAs(file: string, asUid: number): boolean {
  return spawnSync('cat', [file], { uid: asUid, gid: asUid, stdio: 'ignore' }).status === 0;
}

describe('the private staging root $TMPDIR/vigil-<uid>', () => {
  // Every state a shared /tmp can hold at that path before a deploy starts.
  const cases: { state: string; prepare(): Promise<void>; expect: 'private' | 'refused'; rootOnly?: boolean }[] = [
    { state: 'absent', prepare: async () => undefined, expect: 'private' },
    { state: 'a private folder of ours (0700)', prepare: () => mkdir(root, { mode: 0o700 }), expect: 'private' },
    { state: 'our folder, readable by all (0755)', prepare: async () => { await mkdir(root); await chmod(root, 0o755); }, expect: 'private' },
    { state: 'our folder, writable by all (0777)', prepare: async () => { await mkdir(root); await chmod(root, 0o777); }, expect: 'private' },
    { state: 'our folder, sticky and writable by all (1777)', prepare: async () => { await mkdir(root); await chmod(root, 0o1777); }, expect: 'private' },
    { state: 'a symlink to a folder elsewhere', prepare: async () => { const elsewhere = path.join(tmp, 'elsewhere'); await mkdir(elsewhere, { recursive: true, mode: 0o700 }); await symlink(elsewhere, root); }, expect: 'refused' },
    { state: 'a dangling symlink', prepare: () => symlink(path.join(tmp, 'nowhere'), root), expect: 'refused' },
    { state: 'a regular file', prepare: () => writeFile(root, 'x'), expect: 'refused' },
    { state: "another user's folder", prepare: async () => { await mkdir(root, { mode: 0o700 }); await chown(root, NOBODY, NOBODY); }, expect: 'refused', rootOnly: true },
    { state: "another user's folder, writable by all", prepare: async () => { await mkdir(root); await chmod(root, 0o777); await chown(root, NOBODY, NOBODY); }, expect: 'refused', rootOnly: true },
  ];
  for (const c of cases) {
    it.skipIf(c.rootOnly && !isRoot)(`${c.state}: ${c.expect === 'private' ? 'used, and made private (0700, ours)' : 'refused with a deploy/preflight error and a hint'}`, async () => {
      await c.prepare();
      if (c.expect === 'private') {
        expect(await privateStagingRoot()).toBe(root);
        const s = await lstat(root);
        expect(s.isDirectory()).toBe(true);
        expect(s.uid).toBe(uid);
        expect(s.mode & 0o7777).toBe(0o700);
      } else {
        const before = await lstat(root).catch(() => undefined);
        const error = await privateStagingRoot().catch((e) => e);
        expect(error).toBeInstanceOf(DeployError);
        expect((error as DeployError).code).toBe('deploy/preflight');
        expect((error as DeployError).message).toContain(root);
        expect((error as DeployError).hint).toMatch(/remove/);
        // Refused means untouched: neither followed nor re-permissioned.
        const after = await lstat(root).catch(() => undefined);
        expect(after?.mode).toBe(before?.mode);
        expect(after?.uid).toBe(before?.uid);
      }
    });
  }
});

describe('stale pre-flight folders are swept at the next start', () => {
  // A pre-flight lasts seconds: a folder whose process is gone, or that is hours old, is a leftover of a killed deploy.
  interface Entry {
    what: string;
    name: () => string;
    age?: number;
    dir?: boolean;
    swept: boolean;
  }
  const live = spawn('sleep', ['60']);
  afterAll(() => {
    live.kill('SIGKILL');
  });
  const dead = deadPid();
  const entries: Entry[] = [
    { what: 'a dead process', name: () => `preflight-${dead}-a1b2c3`, swept: true },
    { what: 'a live process (another deploy running now)', name: () => `preflight-${live.pid}-d4e5f6`, swept: false },
    { what: 'a live pid, but two hours old (the pid was reused)', name: () => `preflight-${live.pid}-g7h8i9`, age: 2 * 3600, swept: true },
    { what: 'this process, with no pre-flight running (a pid reused by a container)', name: () => `preflight-${process.pid}-j0k1l2`, swept: true },
    { what: 'a dead process, left as a file', name: () => `preflight-${dead}-m3n4o5`, dir: false, swept: true },
    { what: 'a name that is not a stage', name: () => `notes-${dead}`, swept: false },
    { what: 'a stage name without a pid', name: () => 'preflight-abc-p6q7r8', swept: false },
  ];

  it('removes exactly the leftovers, with the secrets they hold', async () => {
    await privateStagingRoot();
    for (const e of entries) {
      const p = path.join(root, e.name());
      if (e.dir === false) await writeFile(p, 'api_secret: "leftover-secret"\n', { mode: 0o600 });
      else {
        await mkdir(path.join(p, 'alertmanager'), { recursive: true, mode: 0o700 });
        await writeFile(path.join(p, 'alertmanager', 'alertmanager.yml'), 'api_secret: "leftover-secret"\n', { mode: 0o600 });
      }
      if (e.age) {
        const t = Date.now() / 1000 - e.age;
        await utimes(p, t, t);
      }
    }
    const removed = await sweepStaleStages();
    expect(removed.map((p) => path.basename(p)).sort()).toEqual(entries.filter((e) => e.swept).map((e) => e.name()).sort());
    const left = (await readdir(root)).sort();
    for (const e of entries) expect(left.includes(e.name()), e.what).toBe(!e.swept);
  });

  it('does nothing (and creates nothing) when there is no staging root', async () => {
    expect(await sweepStaleStages()).toEqual([]);
    expect(await lstat(root).catch(() => undefined)).toBeUndefined();
  });

  it.skipIf(!isRoot)("never follows or sweeps a staging root that is not this user's own", async () => {
    const elsewhere = path.join(tmp, 'victim');
    await mkdir(path.join(elsewhere, `preflight-${dead}-zzz`), { recursive: true });
    await symlink(elsewhere, root);
    expect(await sweepStaleStages()).toEqual([]);
    expect(await readdir(elsewhere)).toEqual([`preflight-${dead}-zzz`]);
  });
});

describe.skipIf(!hasCommand('promtool') || !hasCommand('amtool'))('the pre-flight leaves no staging folder on any exit path', () => {
  const RULE = 'groups:\n  - name: g\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up)\n';
  const BROKEN = 'groups:\n  - name: g\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up\n';
  const AM = 'route:\n  receiver: r\nreceivers:\n  - name: r\n    webhook_configs:\n      - url: "http://127.0.0.1:9/x"\n        http_config: { authorization: { credentials: "staged-secret-value" } }\n';
  let hang: string;
  let pidFile: string;
  beforeAll(async () => {
    pidFile = path.join(tmp, 'tool.pid');
    hang = path.join(tmp, 'hanging-tool');
    await writeFile(hang, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 60\n`, { mode: 0o755 });
  });
  const input = (over: Partial<PreflightInput> = {}): PreflightInput => ({
    ruleFiles: new Map([['g.yml', RULE]]),
    prometheusConfigs: [],
    alertmanager: { config: AM, templates: new Map() },
    promtool: 'promtool',
    amtool: 'amtool',
    ...over,
  });
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const waitFor = async (f: () => Promise<boolean> | boolean, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!(await f())) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const stages = async () => (await readdir(root).catch(() => [] as string[])).filter((n) => n.startsWith('preflight-'));

  const cases: { path: string; run(): Promise<unknown>; outcome: (r: unknown) => void }[] = [
    { path: 'the tools accept', run: () => preflight(input()), outcome: (r) => expect(r).toEqual(['promtool check rules: 1 changed file', 'amtool check-config: alertmanager.yml']) },
    { path: 'promtool rejects', run: () => preflight(input({ ruleFiles: new Map([['g.yml', BROKEN]]) })).catch((e) => e), outcome: (e) => expect((e as DeployError).code).toBe('deploy/preflight') },
    { path: 'a tool is missing', run: () => preflight(input({ amtool: path.join(tmp, 'no-such-amtool') })).catch((e) => e), outcome: (e) => expect((e as DeployError).message).toContain('not found') },
    { path: 'cancelled before it starts', run: () => preflight(input(), AbortSignal.abort('SIGTERM')).catch((e) => e), outcome: (e) => expect(e).toBeInstanceOf(DeployCancelled) },
    {
      path: 'cancelled while a tool runs (the tool is killed)',
      run: async () => {
        await rm(pidFile, { force: true });
        const controller = new AbortController();
        const done = preflight(input({ amtool: hang }), controller.signal).catch((e) => e);
        await waitFor(async () => (await readFile(pidFile, 'utf8').catch(() => '')).trim() !== '');
        const pid = Number((await readFile(pidFile, 'utf8')).trim());
        // While it runs, the stage holds the secret, readable by this user alone.
        const [stage] = await stages();
        expect(((await stat(path.join(root, stage!))).mode & 0o777)).toBe(0o700);
        const staged = path.join(root, stage!, 'alertmanager', 'alertmanager.yml');
        expect(await readFile(staged, 'utf8')).toContain('staged-secret-value');
        if (isRoot) expect(readableAs(staged, NOBODY)).toBe(false);
        controller.abort('SIGINT');
        const error = await done;
        await waitFor(() => !alive(pid), 5_000);
        return error;
      },
      outcome: (e) => {
        expect(e).toBeInstanceOf(DeployCancelled);
        expect((e as DeployCancelled).signalName).toBe('SIGINT');
      },
    },
  ];
  for (const c of cases) {
    it(`${c.path}: no staging folder remains`, async () => {
      const r = await c.run();
      c.outcome(r);
      expect(await stages()).toEqual([]);
    });
  }
});

describe('the deploy lock after a deploy that died', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmp, 'rules-'));
  });
  const holder = (pid: number, host = os.hostname()) => JSON.stringify({ pid, host, environment: 'prod', started: '2026-01-01T00:00:00Z' });
  const live = spawn('sleep', ['60']);
  afterAll(() => {
    live.kill('SIGKILL');
  });
  const cases: { left: string; content: () => string; ageMinutes?: number; takenOver: boolean }[] = [
    { left: 'by a SIGKILLed deploy on this host (dead pid)', content: () => holder(deadPid()), takenOver: true },
    { left: 'by a deploy still running on this host', content: () => holder(live.pid!), takenOver: false },
    { left: 'by a deploy on another host (its pid means nothing here)', content: () => holder(deadPid(), 'another-runner'), takenOver: false },
    { left: 'on another host 31 minutes ago', content: () => holder(live.pid!, 'another-runner'), ageMinutes: 31, takenOver: true },
    { left: 'unreadable, just now', content: () => '{ not json', takenOver: false },
    { left: 'unreadable, 31 minutes ago', content: () => '{ not json', ageMinutes: 31, takenOver: true },
  ];
  for (const c of cases) {
    it(`a lock left ${c.left} is ${c.takenOver ? 'taken over' : 'respected'}`, async () => {
      const file = path.join(dir, '.vigil-deploy-prod.lock');
      const content = c.content();
      await writeFile(file, content);
      if (c.ageMinutes) {
        const t = Date.now() / 1000 - c.ageMinutes * 60;
        await utimes(file, t, t);
      }
      if (c.takenOver) {
        const lock = await acquireLock(dir, 'prod');
        expect(JSON.parse(await readFile(file, 'utf8')).pid).toBe(process.pid);
        await lock.release();
        expect(await stat(file).catch(() => undefined)).toBeUndefined();
      } else {
        const error = await acquireLock(dir, 'prod').catch((e) => e);
        expect((error as DeployError).code).toBe('deploy/lock');
        expect(await readFile(file, 'utf8')).toBe(content);
      }
    });
  }
});
