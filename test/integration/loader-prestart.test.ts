import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hintFile } from '../../src/load/loader-process.ts';
import { AS_SHIPPED, runVigil, type CliRun } from '../helpers/cli.ts';

/**
 * Issue #12 §3: `vigil` starts the TypeScript loader process before it reads its bundle when the same command line,
 * in the same folder, used the loader last time (a hint in the code-cache folder). The real command, as a user runs
 * it: when it starts one, whether the load adopts it, and that a process nobody uses neither keeps the command running
 * nor outlives it, and leaves no folder behind. VIGIL_TS_PRESTART=debug says what happened.
 */
const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'vigil-prestart-cli-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cache = path.join(root, 'cache');
const tmp = path.join(root, 'tmp');
const project = path.join(root, 'project');
mkdirSync(tmp);
beforeAll(() => {
  // A project that validates, with a package.json: its repository is the working directory.
  const init = runVigil(['init', 'project'], root, { VIGIL_CACHE_DIR: cache });
  expect(init.code, init.stderr).toBe(0);
  writeFileSync(path.join(project, 'package.json'), '{ "private": true }\n');
});
const TS = path.join(project, 'monitoring/receivers.ts');
const METRICS = "export default { apiVersion: 'vigil/v1', kind: 'Metrics', metrics: [] };\n";
// The loader's own temporary folders go to TMPDIR: this test's, so that a leftover is seen.
const ENV = { ...AS_SHIPPED, VIGIL_CACHE_DIR: cache, TMPDIR: tmp, VIGIL_TS_PRESTART: 'debug' };

const vigil = (args: string[], cwd = project) => runVigil(args, cwd, ENV);
const hint = (args: string[], cwd = project) => hintFile(path.join(cache, 'code'), cwd, args);
const early = (r: CliRun) => ({ pid: Number(/started early \(pid (\d+)\)/.exec(r.stderr)?.[1] ?? NaN), outcome: /started early: (.+)$/m.exec(r.stderr)?.[1] });
const leftovers = () => readdirSync(tmp).filter((name) => name.startsWith('vigil-ts-'));

/** Whether a process has ended (a zombie not yet reaped by whoever adopted it counts as ended). */
function ended(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

describe('the loader process started before the bundle runs', () => {
  it('is started once the command line used it, adopted, not started when it was not used, and never left behind', () => {
    const args = ['validate', 'monitoring', '--no-cache'];
    writeFileSync(TS, METRICS);
    rmSync(hint(args), { force: true });
    const first = vigil(args);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).not.toMatch(/started early/);
    expect(existsSync(hint(args))).toBe(true);

    const second = vigil(args);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('0 errors, 0 warnings');
    expect(early(second).outcome).toBe('adopted');
    expect(ended(early(second).pid)).toBe(true);
    expect(leftovers()).toEqual([]);

    // The TypeScript file is gone: the process started on the hint is not used, ends, and the hint goes.
    rmSync(TS);
    const third = vigil(args);
    expect(third.code, third.stderr).toBe(0);
    expect(early(third).outcome).toBe('unused');
    expect(ended(early(third).pid)).toBe(true);
    expect(leftovers()).toEqual([]);
    expect(existsSync(hint(args))).toBe(false);

    const fourth = vigil(args);
    expect(fourth.code, fourth.stderr).toBe(0);
    expect(fourth.stderr).not.toMatch(/started early/);
  });

  it.each([
    ['vigil --version', ['--version'], 0],
    ['vigil init', ['init', 'scaffold'], 0],
    ['a usage error', ['validate', '--no-such-option'], 2],
    ['an unknown command', ['frobnicate'], 2],
  ])('%s starts no loader process', (_name, args, code) => {
    const r = vigil(args);
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).not.toMatch(/started early/);
    expect(leftovers()).toEqual([]);
  });

  it.each([
    ['a usage error (exit 2)', ['validate', '--no-such-option'], 2, true],
    ['a command that loads no definitions and ends on its own', ['checks'], 0, true],
    ['vigil --version (never started for options)', ['--version'], 0, false],
  ])('with a planted hint, %s: the process started is ended with the command, and its folder removed', (_name, args, code, started) => {
    mkdirSync(path.dirname(hint(args)), { recursive: true });
    writeFileSync(hint(args), 'planted\n');
    const startedAt = performance.now();
    const r = vigil(args);
    // An early process that kept the command running would hold it until runVigil's limit.
    expect(performance.now() - startedAt).toBeLessThan(15_000);
    expect(r.code, r.stderr).toBe(code);
    if (started) {
      expect(early(r).outcome, r.stderr).toBe('unused');
      expect(ended(early(r).pid)).toBe(true);
    } else {
      expect(r.stderr).not.toMatch(/started early/);
    }
    expect(leftovers()).toEqual([]);
  });
});
