// The TypeScript loader reads under its roots (src/load/loader-process.ts readableRoots) and runs each definition in
// the definition's own folder. Node 20's permission model, given both a folder and one inside it (`/repo/*` with
// `/repo/node_modules/*`, an installed package, or `/repo/sub/*`, the command's folder), refused process.chdir into
// the outer one: a definition at its repository's root failed with "cannot change to the definition's folder". The
// load runs in a process of its own, started in the folder the command would be run from.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.ts';

const base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'vigil-loader-roots-')));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const WHO = "export default { apiVersion: 'vigil/v1', kind: 'Receivers', receivers: [], cwd: process.cwd() };\n";
const TSX = pathToFileURL(createRequire(path.join(REPO, 'package.json')).resolve('tsx')).href;

describe('a TypeScript definition at the root of its repository', () => {
  it.each([
    ['from a folder inside the repository', 'sub'],
    ['from the repository', '.'],
  ])('loads, the command run %s, and sees its folder as the working directory', (_, from) => {
    const repository = realpathSync(mkdtempSync(path.join(base, 'at-the-root-')));
    writeFileSync(path.join(repository, 'package.json'), '{ "private": true }\n');
    mkdirSync(path.join(repository, 'sub'), { recursive: true });
    const file = path.join(repository, 'who.ts');
    writeFileSync(file, WHO);
    const script = [
      `import { loadTypeScriptFiles } from ${JSON.stringify(path.join(REPO, 'src/load/typescript.ts'))};`,
      `const loaded = (await loadTypeScriptFiles([{ file: 'who.ts', absolutePath: ${JSON.stringify(file)}, text: ${JSON.stringify(WHO)} }])).get('who.ts');`,
      'process.stdout.write(JSON.stringify({ cwd: loaded.definitions.map((d) => d.value.cwd), problems: loaded.diagnostics.map((d) => d.message) }));',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--import', TSX, '--input-type=module', '-e', script], { cwd: path.join(repository, from), encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ cwd: [repository], problems: [] });
  }, 30_000);
});
