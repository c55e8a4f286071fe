import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runVigil, VIGIL_BIN } from '../../test/helpers/cli.ts';
import { copyExample, exampleScratch } from '../../test/helpers/example.ts';

interface Watched {
  child: ChildProcess;
  /** Resolves with everything printed so far once `pattern` appears after `from` in stdout + stderr. */
  waitFor(pattern: RegExp, from?: number): Promise<string>;
  printed(): string;
  exit: Promise<number | null>;
}

function startWatch(args: string[], cwd: string): Watched {
  const child = spawn(process.execPath, [VIGIL_BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
  let printed = '';
  const waiters: { pattern: RegExp; from: number; resolve: (s: string) => void }[] = [];
  const onData = (d: Buffer) => {
    printed += d.toString();
    for (const w of [...waiters]) if (w.pattern.test(printed.slice(w.from))) (waiters.splice(waiters.indexOf(w), 1), w.resolve(printed));
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    printed: () => printed,
    exit,
    waitFor: (pattern, from = 0) =>
      new Promise((resolve, reject) => {
        if (pattern.test(printed.slice(from))) return resolve(printed);
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; printed:\n${printed}`)), 60_000);
        waiters.push({ pattern, from, resolve: (s) => (clearTimeout(timer), resolve(s)) });
      }),
  };
}

const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true })));
});

async function example(prefix: string): Promise<{ root: string; dir: string }> {
  const root = await exampleScratch(prefix);
  scratch.push(root);
  return { root, dir: await copyExample(root) };
}

describe('vigil validate --watch', () => {
  it('reports a half-written file, then that it is fixed, and ends on SIGINT with 130', async () => {
    const { root, dir } = await example('watch-validate-');
    const file = path.join(dir, 'severities.yaml');
    const original = await readFile(file, 'utf8');
    const watch = startWatch(['validate', 'monitoring', '--watch', '--cache-dir', path.join(root, 'cache')], root);
    await watch.waitFor(/watching monitoring for changes/);
    expect(watch.printed()).toMatch(/0 errors/);

    // An editor's save caught halfway: the file ends inside a flow mapping.
    let mark = watch.printed().length;
    await writeFile(file, original.replace(/  - name: warning[\s\S]*$/, '  - { name: warning, groupWait: 30s\n'));
    const broken = await watch.waitFor(/error\[yaml\/syntax\][\s\S]*errors?, \d+ warnings? \(\d+ new/, mark);
    expect(broken.slice(mark)).toMatch(/monitoring\/severities\.yaml:\d+:\d+: error\[yaml\/syntax\]/);

    mark = watch.printed().length;
    await writeFile(file, original);
    const fixed = await watch.waitFor(/0 errors, 0 warnings \(\d+ fixed\)/, mark);
    expect(fixed.slice(mark)).toMatch(/fixed monitoring\/severities\.yaml:\d+:\d+: error\[yaml\/syntax\]/);
    // Only what changed: the summary of the whole project is not printed again.
    expect(fixed.slice(mark)).not.toMatch(/31 alerts/);

    watch.child.kill('SIGINT');
    expect(await watch.exit).toBe(130);
  }, 120_000);
});

describe('vigil build --watch', () => {
  it('writes only the files an edit changes, and ends on SIGTERM with 143', async () => {
    const { root, dir } = await example('watch-build-');
    const out = path.join(root, 'generated');
    const watch = startWatch(['build', 'monitoring', '--watch', '--out', out, '--cache-dir', path.join(root, 'cache')], root);
    await watch.waitFor(/watching monitoring for changes/);
    const file = path.join(dir, 'alerts', 'system.yaml');
    const text = await readFile(file, 'utf8');
    const mark = watch.printed().length;
    await writeFile(file, text.replace('value: 95, for: 10m', 'value: 97, for: 10m'));
    const after = (await watch.waitFor(/in \d+ ms/, mark)).slice(mark);
    expect(after).toMatch(/wrote .*prometheus\/rules\/[^,\n]*system[^,\n]*\.yml/);
    // The other dashboards and rule files do not read this alert's threshold.
    expect(after).not.toMatch(/inference|training/);
    expect(await readFile(path.join(out, 'manifest.json'), 'utf8')).toContain('"generator": "vigil"');
    watch.child.kill('SIGTERM');
    expect(await watch.exit).toBe(143);
  }, 120_000);
});

describe('--watch usage', () => {
  it('is refused with a machine format, with --check, and for a missing directory (exit 2, nothing watched)', async () => {
    const { root } = await example('watch-usage-');
    const json = runVigil(['validate', 'monitoring', '--watch', '--format', 'json'], root);
    expect([json.code, json.stderr]).toEqual([2, expect.stringContaining('--watch prints text only')]);
    const check = runVigil(['build', 'monitoring', '--watch', '--check', '--out', 'out'], root);
    expect([check.code, check.stderr]).toEqual([2, expect.stringContaining('--watch and --check do not go together')]);
    const missing = runVigil(['validate', 'no-such-definitions', '--watch'], root);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining('definitions directory "no-such-definitions" does not exist')]);
  });
});
