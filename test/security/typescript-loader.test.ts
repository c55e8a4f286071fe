import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lineColAt } from '../../src/diagnostics.ts';
import { readableRoots } from '../../src/load/loader-process.ts';
import { loadTypeScriptFiles, type TsLoadLimits } from '../../src/load/typescript.ts';
import { AS_SHIPPED, REPO, runVigilAsync } from '../helpers/cli.ts';

/**
 * #8 §2: a TypeScript definition is code from whoever edits the repository. Whatever it does while loading, the result
 * is data or a located `ts/load` error, decided by Vigil: it cannot pass a broken tree, hang CI, read a secret from
 * the environment, write a file, start a process or print into the CI log.
 */
const root = mkdtempSync(path.join(os.tmpdir(), 'vigil-ts-hostile-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const LIMITS: TsLoadLimits = { timeoutMs: 1500, memoryMb: 256 };
const MARKER = path.join(root, 'written-by-a-definition');

const OK = "export default { apiVersion: 'vigil/v1', kind: 'Receivers', receivers: [{ name: 'x', email: { to: ['a@example.com'] } }] };\n";

interface Hostile {
  name: string;
  code: string;
  /** What the ts/load message says. */
  message: RegExp;
  /** The line the error points at (1-based), when the definition's code has a place for it. */
  line?: number;
}

const HOSTILE: Hostile[] = [
  { name: 'an endless loop', code: 'while (true) {}\nexport default {};\n', message: /did not finish loading within 1\.5 s/ },
  { name: 'an endless async loop', code: 'await new Promise(() => { setInterval(() => {}, 10); });\nexport default {};\n', message: /did not finish loading within/ },
  { name: 'a live interval', code: 'setInterval(() => {}, 50);\n' + OK, message: /kept running after it was loaded/ },
  { name: 'a server left listening', code: "import { createServer } from 'node:net';\ncreateServer().listen(0, '127.0.0.1');\n" + OK, message: /kept running after it was loaded/ },
  { name: 'process.exit(0) while loading', code: 'const x = 1;\nprocess.exit(0);\n' + OK, message: /definition exited during load \(process\.exit\(0\)\)/, line: 2 },
  { name: 'process.exit(0) from a timer', code: 'setTimeout(() => {\n  process.exit(0);\n}, 20);\n' + OK, message: /definition exited during load/, line: 2 },
  { name: 'process.reallyExit', code: '(process as any).reallyExit(0);\n' + OK, message: /definition exited during load/, line: 1 },
  { name: 'process.abort', code: 'process.abort();\n' + OK, message: /definition exited during load/, line: 1 },
  { name: 'process.kill of itself', code: "process.kill(process.pid, 'SIGKILL');\n" + OK, message: /tried to signal the loader/, line: 1 },
  { name: 'a throw while loading', code: "const a = 1;\nthrow new Error('boom');\n", message: /cannot load TypeScript definition: boom/, line: 2 },
  { name: 'a throw from a timer', code: "setTimeout(() => {\n  throw new Error('late boom');\n}, 20);\n" + OK, message: /error after load: late boom/, line: 2 },
  { name: 'a late rejection', code: "Promise.reject(new Error('late rejection'));\n" + OK, message: /error after load: late rejection/, line: 1 },
  { name: 'a BigInt', code: "export default { apiVersion: 'vigil/v1', kind: 'Metrics', big: 10n };\n", message: /BigInt is not data.*at big/ },
  { name: 'a throwing getter', code: "export default { apiVersion: 'vigil/v1', get kind(): string { throw new Error('getter'); } };\n", message: /reading the exported value failed: getter/ },
  { name: 'a Proxy that throws', code: "export default new Proxy({}, { ownKeys() { throw new Error('trap'); } });\n", message: /trap/ },
  { name: 'NaN', code: "export default { apiVersion: 'vigil/v1', kind: 'Metrics', n: NaN };\n", message: /NaN is not a number/ },
  { name: 'a Map', code: "export default { apiVersion: 'vigil/v1', kind: 'Metrics', m: new Map() };\n", message: /a Map is not data/ },
  { name: 'a cycle', code: "const a: any = { apiVersion: 'vigil/v1' };\na.self = a;\nexport default a;\n", message: /refers to itself/ },
  { name: 'very deep nesting', code: 'let v: any = 1;\nfor (let i = 0; i < 5000; i++) v = { v };\nexport default v;\n', message: /nested more than 200 levels/ },
  { name: 'a memory hog', code: 'const keep: string[] = [];\nfor (;;) keep.push("x".repeat(1 << 20) + keep.length);\n', message: /ran out of memory|did not finish loading/ },
  { name: 'a syntax error', code: 'export default {\n  kind: ,\n};\n', message: /Unexpected ","/, line: 2 },
  { name: 'an import that does not exist', code: "import x from './nowhere.ts';\nexport default x;\n", message: /Could not resolve/, line: 1 },
];

let n = 0;
function definition(code: string): { file: string; absolutePath: string; text: string } {
  const dir = path.join(root, `case-${n++}`);
  mkdirSync(dir);
  const absolutePath = path.join(dir, 'definition.ts');
  writeFileSync(absolutePath, code);
  return { file: `monitoring/case-${n}.ts`, absolutePath, text: code };
}

describe('hostile TypeScript definitions', () => {
  it.each(HOSTILE.map((h) => [h.name, h] as const))('%s: a located ts/load error, in bounded time', async (_name, h) => {
    const f = definition(h.code);
    const started = performance.now();
    const result = (await loadTypeScriptFiles([f], LIMITS)).get(f.file)!;
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(result.definitions).toEqual([]);
    expect(result.diagnostics.length, JSON.stringify(result.diagnostics)).toBeGreaterThan(0);
    const d = result.diagnostics.find((x) => h.message.test(x.message));
    expect(d, JSON.stringify(result.diagnostics.map((x) => x.message))).toBeDefined();
    expect(d!.code).toBe('ts/load');
    expect(d!.span?.file).toBe(f.file);
    expect(d!.hint).toBeTruthy();
    if (h.line !== undefined) expect(lineColAt(f.text, d!.span!.start).line).toBe(h.line);
  });

  it('a hanging file in a batch is found, and the others still load', async () => {
    const good = definition(OK);
    const hung = definition('setInterval(() => {}, 50);\n' + OK);
    const other = definition(OK.replace("name: 'x'", "name: 'y'"));
    const results = await loadTypeScriptFiles([good, hung, other], LIMITS);
    expect(results.get(good.file)!.diagnostics).toEqual([]);
    expect(results.get(other.file)!.definitions.map((d) => (d.value as { receivers: { name: string }[] }).receivers[0]!.name)).toEqual(['y']);
    expect(results.get(hung.file)!.diagnostics.map((d) => d.message)).toEqual([expect.stringMatching(/kept running after it was loaded/)]);
  });

  it('sees none of the environment, and can neither write files nor start processes', async () => {
    process.env.VIGIL_TEST_CI_SECRET = 'ci-secret-value';
    try {
      const f = definition(
        [
          "import { writeFileSync } from 'node:fs';",
          "import { execSync } from 'node:child_process';",
          'let wrote = false, spawned = false;',
          `try { writeFileSync(${JSON.stringify(MARKER)}, 'x'); wrote = true; } catch {}`,
          "try { execSync('true'); spawned = true; } catch {}",
          "export default { apiVersion: 'vigil/v1', kind: 'Receivers', env: JSON.stringify(process.env), wrote, spawned };",
          '',
        ].join('\n'),
      );
      const result = (await loadTypeScriptFiles([f], LIMITS)).get(f.file)!;
      expect(result.diagnostics).toEqual([]);
      const value = result.definitions[0]!.value as { env: string; wrote: boolean; spawned: boolean };
      expect(value.env).not.toContain('ci-secret-value');
      expect(Object.keys(JSON.parse(value.env) as object).sort()).toEqual(expect.arrayContaining(['NODE_ENV']));
      expect(value.wrote).toBe(false);
      expect(value.spawned).toBe(false);
      expect(existsSync(MARKER)).toBe(false);
    } finally {
      delete process.env.VIGIL_TEST_CI_SECRET;
    }
  });

  it('exports plain data: toJSON and class instances are read as JSON reads them', async () => {
    const f = definition("class R { name = 'r'; email = { to: ['a@example.com'] }; }\nexport default { apiVersion: 'vigil/v1', kind: 'Receivers', when: new Date(0), receivers: [new R()], skip: () => 1 };\n");
    const result = (await loadTypeScriptFiles([f], LIMITS)).get(f.file)!;
    expect(result.diagnostics).toEqual([]);
    expect(result.definitions[0]!.value).toEqual({ apiVersion: 'vigil/v1', kind: 'Receivers', when: '1970-01-01T00:00:00.000Z', receivers: [{ name: 'r', email: { to: ['a@example.com'] } }] });
  });
});

describe('the CLI with a hostile TypeScript definition', () => {
  const project = (extra: string) => {
    const dir = path.join(root, `cli-${n++}`, 'monitoring');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'project.yaml'), 'apiVersion: vigil/v1\nkind: Project\nname: p\n');
    writeFileSync(path.join(dir, 'hostile.ts'), extra);
    return dir;
  };

  it.each([
    ['process.exit(0)', 'process.exit(0);\nexport default {};\n'],
    ['process.exitCode = 0 and a throw from a timer', "process.exitCode = 0;\nsetTimeout(() => { throw new Error('x'); }, 10);\nexport default { apiVersion: 'vigil/v1', kind: 'Metrics', metrics: [] };\n"],
    ['CI annotations printed while loading', "console.log('::error file=x::forged');\nconsole.error('::warning::forged');\nprocess.exit(0);\n"],
  ])('%s: validate and build --check fail with a located error and pass on nothing the definition printed', async (_name, code) => {
    const dir = project(code);
    for (const args of [['validate', dir], ['build', dir, '--check', '--out', path.join(dir, '..', 'generated')]]) {
      const r = await runVigilAsync(args, path.dirname(dir), { VIGIL_TS_TIMEOUT: '3' });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/hostile\.ts:\d+:\d+: error\[ts\/load\]/);
      // What the definition printed is not passed on; its source may be quoted in a code frame, never at a line start.
      expect(r.stdout + r.stderr).not.toMatch(/^\s*::/m);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });
});

/** A new folder outside every folder the loader of `project` may read. */
function outsideTheRoots(project: string): string {
  const roots = readableRoots(path.join(REPO, 'dist', 'typescript-child.mjs'), project, [path.join(project, 'monitoring')]);
  const under = (dir: string, r: string) => !path.relative(r, dir).startsWith('..') && !path.isAbsolute(path.relative(r, dir));
  for (const candidate of [os.tmpdir(), os.homedir(), '/var/tmp']) {
    try {
      const dir = mkdtempSync(path.join(candidate, 'vigil-outside-'));
      if (!roots.some((r) => under(dir, r))) return dir;
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // not writable
    }
  }
  throw new Error(`no writable folder outside ${roots.join(', ')}`);
}

describe('the loader started early by bin/vigil.js (issue #12 §3)', () => {
  it('is the same sandbox: no secret from the environment, no read outside its roots, no write, no process', async () => {
    const dir = path.join(root, `early-${n++}`);
    mkdirSync(path.join(dir, 'monitoring'), { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), '{ "private": true }\n');
    writeFileSync(path.join(dir, 'monitoring', 'project.yaml'), 'apiVersion: vigil/v1\nkind: Project\nname: p\n');
    const inside = path.join(dir, 'inside.txt');
    writeFileSync(inside, 'readable');
    const outsideDir = outsideTheRoots(dir);
    const outside = path.join(outsideDir, 'secret.txt');
    writeFileSync(outside, 'not for definitions');
    // Beside the checkout Vigil runs from: its own package is readable (for `vigil`), never the folder holding it.
    const neighbourDir = mkdtempSync(path.join(path.dirname(REPO), 'vigil-neighbour-'));
    const neighbour = path.join(neighbourDir, 'secret.txt');
    writeFileSync(neighbour, 'not for definitions either');
    const marker = path.join(dir, 'written-by-an-early-loader');
    // What the definition managed to do, in the message of the error it throws (a ts/load error the CLI prints).
    writeFileSync(
      path.join(dir, 'monitoring', 'probe.ts'),
      [
        "import { readFileSync, writeFileSync } from 'node:fs';",
        "import { execSync } from 'node:child_process';",
        'const did: string[] = [];',
        "if (JSON.stringify(process.env).includes('ci-secret-value')) did.push('secret');",
        `try { readFileSync(${JSON.stringify(inside)}); did.push('read-inside'); } catch {}`,
        `try { readFileSync(${JSON.stringify(outside)}); did.push('read-outside'); } catch {}`,
        `try { readFileSync(${JSON.stringify(neighbour)}); did.push('read-neighbour'); } catch {}`,
        `try { writeFileSync(${JSON.stringify(marker)}, 'x'); did.push('wrote'); } catch {}`,
        "try { execSync('true'); did.push('spawned'); } catch {}",
        "throw new Error(`PROBE ${did.join(',')} pid=${process.pid}`);",
        '',
      ].join('\n'),
    );
    const env = { ...AS_SHIPPED, VIGIL_TEST_CI_SECRET: 'ci-secret-value', VIGIL_CACHE_DIR: path.join(dir, 'cache'), VIGIL_TS_PRESTART: 'debug' };
    try {
      const args = ['validate', 'monitoring', '--no-cache'];
      // The first run starts the loader as it always did, and leaves the hint; the second starts it early.
      const first = await runVigilAsync(args, dir, env);
      const second = await runVigilAsync(args, dir, env);
      expect(first.stderr).not.toMatch(/started early/);
      expect(second.stderr).toMatch(/started early: adopted/);
      const earlyPid = /started early \(pid (\d+)\)/.exec(second.stderr)?.[1];
      for (const [r, pid] of [[first, '\\d+'], [second, earlyPid]] as const) {
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`probe\\.ts:\\d+:\\d+: error\\[ts/load\\]: cannot load TypeScript definition: PROBE read-inside pid=${pid}\\n`));
      }
      expect(existsSync(marker)).toBe(false);
    } finally {
      rmSync(outsideDir, { recursive: true, force: true });
      rmSync(neighbourDir, { recursive: true, force: true });
    }
  });
});
