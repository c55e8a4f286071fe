import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cancellationName, DeployCancelled, throwIfCancelled } from './cancel.ts';
import { DeployError } from './errors.ts';
import { removeOnExit } from './exit-cleanup.ts';
import { testPause } from './test-pause.ts';

export interface PreflightInput {
  /** The rule files about to be written (those already on the targets, byte for byte, were checked when written). */
  ruleFiles: Map<string, string>;
  /** Per replica: prometheus.yml as it will be written. */
  prometheusConfigs: { replica: string; content: string }[];
  alertmanager?: { config: string; templates: Map<string, string> };
  promtool: string;
  amtool: string;
}

/**
 * The real tools on exactly the files about to be written (secrets filled in), staged in a private folder (see
 * privateStagingRoot): promtool check rules on the rule files (in one batch per core: 10,000 rules take promtool
 * seconds), promtool check config --syntax-only on each prometheus.yml (its rule files are the ones checked beside
 * it), and amtool check-config with the templates beside the config. Nothing reaches a server that the tools reject.
 * The folder is removed on every way out: success, rejection, cancellation (`signal`: the tools are killed), and
 * process.exit; only a SIGKILL leaves it, for sweepStaleStages at the next start.
 */
export async function preflight(input: PreflightInput, signal?: AbortSignal): Promise<string[]> {
  throwIfCancelled(signal, 'nothing was changed');
  const stage = await mkdtemp(path.join(await privateStagingRoot(), `preflight-${process.pid}-`));
  activeStages.add(stage);
  const forget = removeOnExit(stage);
  const checked: string[] = [];
  const tool = (command: string, args: string[], what: string) => run(command, args, what, stage, signal);
  try {
    const rulesDir = path.join(stage, 'rules');
    await mkdir(rulesDir, { recursive: true, mode: 0o700 });
    await Promise.all([...input.ruleFiles].map(([name, content]) => writeFile(path.join(rulesDir, name), content, { mode: 0o600 })));
    const configFiles = await Promise.all(
      input.prometheusConfigs.map(async (c) => {
        const file = path.join(stage, `prometheus-${c.replica}.yml`);
        await writeFile(file, c.content, { mode: 0o600 });
        return { replica: c.replica, file };
      }),
    );
    let amConfig: string | undefined;
    if (input.alertmanager) {
      const amDir = path.join(stage, 'alertmanager');
      await mkdir(path.join(amDir, 'templates'), { recursive: true, mode: 0o700 });
      await Promise.all([...input.alertmanager.templates].map(([name, content]) => writeFile(path.join(amDir, 'templates', name), content, { mode: 0o600 })));
      amConfig = path.join(amDir, 'alertmanager.yml');
      await writeFile(amConfig, input.alertmanager.config, { mode: 0o600 });
    }
    await testPause('preflight');
    throwIfCancelled(signal, 'nothing was changed');
    const batches = splitIntoBatches([...input.ruleFiles.keys()].map((n) => path.join(rulesDir, n)), os.availableParallelism());
    await settleAll([
      ...batches.map((files) => tool(input.promtool, ['check', 'rules', ...files], 'promtool check rules')),
      ...configFiles.map((c) => tool(input.promtool, ['check', 'config', '--syntax-only', c.file], `promtool check config (replica ${c.replica})`)),
    ]);
    if (input.ruleFiles.size) checked.push(`promtool check rules: ${input.ruleFiles.size} changed file${input.ruleFiles.size === 1 ? '' : 's'}`);
    if (input.prometheusConfigs.length) checked.push(`promtool check config: ${input.prometheusConfigs.length} changed configuration${input.prometheusConfigs.length === 1 ? '' : 's'}`);
    if (amConfig) {
      await tool(input.amtool, ['check-config', amConfig], 'amtool check-config');
      checked.push('amtool check-config: alertmanager.yml');
    }
    return checked;
  } finally {
    await rm(stage, { recursive: true, force: true });
    activeStages.delete(stage);
    forget();
  }
}

/** Waits for every tool to end (none outlives the stage it reads), then fails with the first failure. */
async function settleAll(runs: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(runs);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Stages of this process that are in use now: never swept. */
const activeStages = new Set<string>();

/** A pre-flight takes seconds: a stage this old is a leftover even if its pid now belongs to another process. */
const STALE_STAGE_MS = 60 * 60_000;

const currentUid = (): number | undefined => process.getuid?.();

/** `$TMPDIR/vigil-<uid>`: where this user's pre-flights stage their files. */
function stagingRootPath(): string {
  return path.join(os.tmpdir(), `vigil-${currentUid() ?? os.userInfo().username}`);
}

/**
 * The parent of every pre-flight stage, made private: a folder of this user's own, mode 0700, never a symlink. The
 * staged files hold secrets, and /tmp is shared: a folder another user made (or could write to, rename or point
 * elsewhere) is refused, not used.
 */
export async function privateStagingRoot(): Promise<string> {
  const root = stagingRootPath();
  const refuse = (why: string) =>
    new DeployError(`the pre-flight's staging folder ${root} ${why}; the pre-flight stages files with secrets there, so it must be a private folder of the deploying user`, `remove ${root} (a new private one is created), or set TMPDIR to a folder only this user can write`, 'deploy/preflight');
  try {
    await mkdir(root, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw refuse(`cannot be created: ${(e as Error).message}`);
  }
  // Checked and fixed through one handle opened without following links, so the folder checked is the one changed.
  let handle;
  try {
    handle = await open(root, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw refuse('is a symbolic link');
    if (code === 'ENOTDIR') throw refuse((await lstat(root).catch(() => undefined))?.isSymbolicLink() ? 'is a symbolic link' : 'is not a folder');
    throw refuse(`cannot be opened: ${(e as Error).message}`);
  }
  try {
    const s = await handle.stat();
    const uid = currentUid();
    if (uid !== undefined && s.uid !== uid) throw refuse(`belongs to another user (uid ${s.uid})`);
    if ((s.mode & 0o7777) !== 0o700) await handle.chmod(0o700);
  } finally {
    await handle.close();
  }
  return root;
}

/**
 * Removes the stages that pre-flights killed with SIGKILL left behind (with the secrets they hold): those of a process
 * that is gone, of this process when it is not running a pre-flight (a reused pid), and any older than an hour. Best
 * effort, and only inside a staging root that is this user's own: it never fails a plan or deploy.
 */
export async function sweepStaleStages(): Promise<string[]> {
  const root = stagingRootPath();
  const removed: string[] = [];
  try {
    const s = await lstat(root);
    const uid = currentUid();
    if (!s.isDirectory() || (uid !== undefined && s.uid !== uid)) return removed;
    for (const name of await readdir(root)) {
      const match = /^preflight-(\d+)-/.exec(name);
      const stage = path.join(root, name);
      if (!match || activeStages.has(stage)) continue;
      const pid = Number(match[1]);
      let stale = pid < 1 || pid === process.pid || !isAlive(pid);
      if (!stale) {
        const mtime = (await lstat(stage).catch(() => undefined))?.mtimeMs;
        stale = mtime === undefined || Date.now() - mtime > STALE_STAGE_MS;
      }
      if (!stale) continue;
      await rm(stage, { recursive: true, force: true });
      removed.push(stage);
    }
  } catch {
    // no staging root yet, or unreadable: nothing of ours to sweep
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: alive, another user's process; ESRCH (or a pid no process can have): gone.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function splitIntoBatches<T>(items: T[], count: number): T[][] {
  const size = Math.ceil(items.length / Math.max(1, count));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function run(command: string, args: string[], what: string, stage: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    // On cancellation Node kills the tool; it holds no state worth a graceful stop.
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], signal, killSignal: 'SIGKILL' });
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (e) => {
      if (signal?.aborted) return; // 'close' follows once the tool is gone
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      reject(new DeployError(`${what}: cannot run ${command}: ${missing ? 'not found' : e.message}`, missing ? `install it (Debian: apt-get install ${command === 'amtool' ? 'prometheus-alertmanager' : 'prometheus'}) or set ${command === 'amtool' ? 'VIGIL_AMTOOL' : 'VIGIL_PROMTOOL'}` : 'check that the tool runs for the deploying user', 'deploy/preflight'));
    });
    child.on('close', (code) => {
      if (signal?.aborted) reject(new DeployCancelled(cancellationName(signal), `${cancellationName(signal)} received during the pre-flight: nothing was changed`));
      else if (code === 0) resolve();
      else {
        const text = output.split(stage).join('<staged>').trim();
        reject(new DeployError(`pre-flight ${what} rejected the build, nothing was deployed:\n${indent(text)}`, 'fix the definitions (vigil validate and vigil test should have caught this; please report it)', 'deploy/preflight'));
      }
    });
  });
}

const indent = (text: string) => text.split('\n').map((l) => `    ${l}`).join('\n');
