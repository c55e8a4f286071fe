/**
 * Performance work must not change a byte of the output. Builds the synthetic project of the build benchmark and the
 * example with the working tree's Vigil and with the Vigil of a git ref (default HEAD, extracted with git archive),
 * both without the cache, and compares every file. Run: `node --import tsx test/bench/same-output.ts [REF]`.
 * BENCH_ALERTS and BENCH_DASHBOARDS size the synthetic project (default 10,000 and 200).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeSyntheticProject } from './synthetic.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const ref = process.argv[2] ?? 'HEAD';

async function files(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await files(dir, child)));
    else out.push(child);
  }
  return out.sort();
}

function build(vigilRoot: string, project: string, out: string): void {
  const r = spawnSync(process.execPath, [path.join(vigilRoot, 'bin/vigil.js'), 'build', project, '--out', out, '--no-cache'], { encoding: 'utf8', maxBuffer: 1 << 28, cwd: vigilRoot });
  if (r.status !== 0) throw new Error(`build with ${vigilRoot} failed:\n${r.stdout}${r.stderr}`);
}

async function main() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-same-output-'));
  try {
    const base = path.join(dir, 'base');
    await mkdir(base);
    const archive = spawnSync('sh', ['-c', `git -C "${REPO}" archive "${ref}" | tar -x -C "${base}"`], { encoding: 'utf8' });
    if (archive.status !== 0) throw new Error(`git archive ${ref} failed: ${archive.stderr}`);
    await symlink(path.join(REPO, 'node_modules'), path.join(base, 'node_modules'));
    const synthetic = path.join(dir, 'monitoring');
    await writeSyntheticProject(synthetic, Number(process.env.BENCH_ALERTS ?? 10_000), Number(process.env.BENCH_DASHBOARDS ?? 200));
    let differences = 0;
    for (const [name, project] of [['synthetic', synthetic], ['example', path.join(REPO, 'examples/ml-platform')]] as const) {
      const before = path.join(dir, `${name}-${ref.replace(/\W/g, '_')}`);
      const after = path.join(dir, `${name}-working-tree`);
      build(base, project, before);
      build(REPO, project, after);
      const [a, b] = [await files(before), await files(after)];
      const all = [...new Set([...a, ...b])].sort();
      const differing = [];
      for (const f of all) {
        const [x, y] = await Promise.all([readFile(path.join(before, f)).catch(() => undefined), readFile(path.join(after, f)).catch(() => undefined)]);
        if (!x || !y || !x.equals(y)) differing.push(f);
      }
      differences += differing.length;
      console.log(`${name}: ${all.length} files, ${differing.length ? `${differing.length} differ: ${differing.slice(0, 20).join(', ')}` : 'byte-identical'}`);
    }
    process.exitCode = differences ? 1 : 0;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
