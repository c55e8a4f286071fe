import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runVigil } from '../helpers/cli.ts';

/**
 * #8 §2: Node 20 takes `--env-file FILE` as its own option even after the script name, and applies a NODE_OPTIONS
 * line of that file (a `--require` hook runs). Vigil's flag is --environment-file, which Node leaves alone; the old
 * spelling is refused with a usage error.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-node-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const marker = path.join(dir, 'hook-ran');
const hook = path.join(dir, 'hook.cjs');
writeFileSync(hook, `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x');\n`);
const monitoring = path.join(dir, 'monitoring');
mkdirSync(monitoring);
writeFileSync(path.join(monitoring, 'project.yaml'), 'apiVersion: vigil/v1\nkind: Project\nname: p\n');
/** An Environment that is also a valid dotenv file for Node, with a NODE_OPTIONS line. */
const environment = path.join(dir, 'env.yaml');
writeFileSync(environment, `NODE_OPTIONS=--require=${hook}\n# apiVersion: vigil/v1\n`);

describe('the Environment-file flag never reaches Node', () => {
  it.each(['validate', 'build', 'plan', 'deploy'])('%s --environment-file: Node does not read the file', (command) => {
    rmSync(marker, { force: true });
    const r = runVigil([command, monitoring, '--environment-file', environment, ...(command === 'build' ? ['--check', '--out', path.join(dir, 'out')] : [])], dir);
    expect(existsSync(marker)).toBe(false);
    expect(r.stderr).not.toMatch(/internal error|^\s+at /m);
    expect(r.code).not.toBe(0);
  });

  const plain = path.join(dir, 'plain.yaml');
  writeFileSync(plain, 'apiVersion: vigil/v1\n');
  it.each([[['--env-file', plain]], [[`--env-file=${plain}`]]])('%s is refused with a usage error that names the new flag', (args) => {
    const r = runVigil(['validate', monitoring, ...args], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('use --environment-file FILE');
  });
});
