import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BASE_DIR } from '../../test/helpers/model.ts';
import { compile } from '../compile.ts';
import { loadYamlSources } from '../load/index.ts';

describe('artifacts without their data (vigil build)', () => {
  it('are the same files, with no rule documents kept beside them', async () => {
    const sources = await Promise.all((await readdir(BASE_DIR)).sort().map(async (file) => ({ file, text: await readFile(path.join(BASE_DIR, file), 'utf8') })));
    const withData = compile(loadYamlSources(sources));
    const without = compile(loadYamlSources(sources), { artifactData: false });
    expect(withData.artifacts.some((a) => a.data !== undefined)).toBe(true);
    expect(without.artifacts.filter((a) => 'data' in a).map((a) => a.path)).toEqual([]);
    const files = (r: typeof withData) => r.artifacts.map(({ path: p, content, sources: from, secrets }) => ({ p, content, from, secrets }));
    expect(files(without)).toEqual(files(withData));
  });
});
