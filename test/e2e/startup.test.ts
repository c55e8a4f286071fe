// Start-up (issue #12 §3): a command evaluates only the modules it uses. The real CLI runs under a module hook that
// records every package an ES module imports; commands that never talk to a store, a mail server or a metrics
// registry must not import their clients.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, VIGIL_BIN } from '../helpers/cli.ts';
import { EXAMPLE } from '../helpers/example.ts';

const work = mkdtempSync(path.join(os.tmpdir(), 'vigil-startup-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  if (/^[@a-z]/.test(specifier) && !specifier.startsWith('node:')) appendFileSync(process.env.VIGIL_IMPORT_LOG, specifier + '\\n');
  return next(specifier, context);
}`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)});`;
// Packages loaded with require() (createRequire: the Grafana SDK, the yaml library) do not pass the ES module hook.
const PRELOAD = `const Module = require('node:module');
const { appendFileSync } = require('node:fs');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (/^[@a-z]/.test(request) && !request.startsWith('node:')) appendFileSync(process.env.VIGIL_IMPORT_LOG, request + '\\n');
  return load.call(this, request, ...rest);
};`;

/** The bare specifiers (packages) the command imported or required, with its exit code. */
function packagesImportedBy(args: string[]): { code: number | null; packages: Set<string>; stderr: string } {
  const log = path.join(work, `imports-${args[0]}.log`);
  writeFileSync(log, '');
  const register = path.join(work, 'register.mjs');
  writeFileSync(register, REGISTER);
  const preload = path.join(work, 'preload.cjs');
  writeFileSync(preload, PRELOAD);
  const r = spawnSync(process.execPath, ['--require', preload, '--import', pathToFileURL(register).href, VIGIL_BIN, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', VIGIL_IMPORT_LOG: log },
    timeout: 60_000,
  });
  const packages = new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean).map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!)));
  return { code: r.status, packages, stderr: r.stderr };
}

const RELAY_ONLY = ['pg', 'better-sqlite3', 'nodemailer', 'prom-client'];

describe('start-up: each command imports what it uses', () => {
  it.each([
    ['validate', EXAMPLE, '--no-cache'],
    ['build', EXAMPLE, '--no-cache', '--out', path.join(work, 'generated')],
    ['checks'],
    ['--version'],
  ])('vigil %s loads no store, mail or metrics client', (...args) => {
    const run = packagesImportedBy(args);
    expect(run.code, run.stderr).toBe(0);
    expect(RELAY_ONLY.filter((name) => run.packages.has(name))).toEqual([]);
  });

  it('vigil --version loads neither YAML parser nor esbuild (only commands that load definitions do)', () => {
    const version = packagesImportedBy(['--version']);
    expect(version.code, version.stderr).toBe(0);
    expect(['yaml', 'js-yaml', 'esbuild'].filter((name) => version.packages.has(name))).toEqual([]);
    const validate = packagesImportedBy(['validate', EXAMPLE, '--no-cache']);
    expect(['yaml', 'js-yaml', 'esbuild'].filter((name) => validate.packages.has(name))).toEqual(['js-yaml', 'esbuild']);
  });

  it('the yaml library (positions, syntax errors) is loaded when a problem is reported, not for clean definitions', () => {
    const broken = path.join(work, 'broken-yaml');
    mkdirSync(broken, { recursive: true });
    writeFileSync(path.join(broken, 'receivers.yaml'), 'apiVersion: vigil/v1\nkind: Receivers\nreceivers: [\n');
    const run = packagesImportedBy(['validate', broken, '--no-cache']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('yaml/syntax');
    expect(run.packages.has('yaml')).toBe(true);
  });

  it('the hook sees what a command does import: the relay loads its store driver', () => {
    const run = packagesImportedBy(['relay', '--build', path.join(work, 'no-such-build')]);
    expect(run.packages.has('better-sqlite3') || run.packages.has('pg') || run.packages.has('prom-client'), [...run.packages].join(' ')).toBe(true);
  });
});
