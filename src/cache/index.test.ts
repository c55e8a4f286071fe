import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { generation, openCache } from './index.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('openCache', () => {
  it('keeps entries per Vigil and Node version, and removes those of other versions', async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'vigil-cache-gen-'));
    dirs.push(base);
    expect(generation()).toContain(`vigil-${pkg.version}-node-${process.versions.node}`);
    await mkdir(path.join(base, 'vigil-0.0.1-node-18.0.0', 'yaml'), { recursive: true });
    await writeFile(path.join(base, 'unrelated'), 'kept');
    const cache = (await openCache({ dir: base }))!;
    cache.yaml.set('k', ['v']);
    await cache.flush();
    expect((await readdir(base)).sort()).toEqual(['unrelated', generation()]);
    expect((await openCache({ dir: base }))!.yaml.get('k')).toEqual(['v']);
  });

  it('is off with --no-cache, and found through VIGIL_CACHE_DIR or the nearest package.json', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'vigil-cache-where-'));
    dirs.push(root);
    expect(await openCache({ disabled: true, dir: root })).toBeUndefined();
    await mkdir(path.join(root, 'project', 'sub'), { recursive: true });
    await writeFile(path.join(root, 'project', 'package.json'), '{}');
    const found = (await openCache({}, {}, path.join(root, 'project', 'sub')))!;
    found.yaml.set('k', ['v']);
    await found.flush();
    expect(await readdir(path.join(root, 'project', 'node_modules', '.cache', 'vigil'))).toEqual([generation()]);
    const fromEnv = (await openCache({}, { VIGIL_CACHE_DIR: path.join(root, 'env') }, path.join(root, 'project', 'sub')))!;
    fromEnv.yaml.set('k', ['v']);
    await fromEnv.flush();
    expect(await readdir(path.join(root, 'env'))).toEqual([generation()]);
  });
});
