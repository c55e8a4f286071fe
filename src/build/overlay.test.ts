import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProject, type ProjectBuild } from '../compile-project.ts';
import { loadDirectory } from '../load/index.ts';
import { EXAMPLE } from '../../test/helpers/example.ts';
import { compareArtifacts, writeArtifacts } from '../cli/write.ts';
import { parseManifest } from './manifest.ts';
import { layeredArtifacts } from './overlay.ts';
import { MANIFEST_PATH } from './paths.ts';
import { BuildError, builtEnvironments, readBuild } from './read.ts';


const temps: string[] = [];
const scratch = async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-overlay-'));
  temps.push(dir);
  return dir;
};
afterAll(() => Promise.all(temps.map((t) => rm(t, { recursive: true, force: true }))));

let project: ProjectBuild;
/** Each environment's full tree as `compile` emits it: what an environment's tree on disk was before overlays. */
let fullTrees: Map<string, { path: string; content: string; sources: string[] }[]>;
beforeAll(async () => {
  project = compileProject(await loadDirectory(EXAMPLE));
  expect(project.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  expect(project.environments.length).toBeGreaterThan(1);
  fullTrees = new Map(project.environments.map((e) => [e.name, e.result.artifacts]));
});

/** The build the way Vigil wrote it before overlays: the shared tree, and every environment's full tree with its manifest. */
async function writeOldLayout(dir: string): Promise<void> {
  for (const a of project.base.artifacts) await put(dir, a.path, a.content);
  for (const [env, files] of fullTrees) for (const a of files) await put(dir, `${env}/${a.path}`, a.content);
}
async function put(dir: string, rel: string, content: string) {
  await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
  await writeFile(path.join(dir, rel), content);
}

describe('environment trees as overlays of the shared tree', () => {
  it('hold only environment.json and the files that differ, and one manifest vouches for all', () => {
    const manifest = parseManifest(project.artifacts.find((a) => a.path === MANIFEST_PATH)!.content);
    const shared = new Map(project.base.artifacts.map((a) => [a.path, a.content]));
    for (const [env, files] of fullTrees) {
      const own = project.artifacts.filter((a) => a.path.startsWith(`${env}/`)).map((a) => a.path.slice(env.length + 1));
      expect(own).toContain('environment.json');
      expect(own).not.toContain(MANIFEST_PATH);
      // Every file of the full tree is either in the overlay or the same bytes as the shared tree's.
      for (const f of files.filter((x) => x.path !== MANIFEST_PATH)) expect(own.includes(f.path) || shared.get(f.path) === f.content, `${env}/${f.path}`).toBe(true);
      expect(own.length).toBeLessThan(files.length - 1);
      expect(manifest.environments?.[env]?.files.map((f) => f.path)).toEqual(own);
    }
    expect(project.artifacts.filter((a) => a.path.endsWith(`/${MANIFEST_PATH}`))).toEqual([]);
  });

  it('read back merged, give every environment exactly the files, bytes, order and manifest of its full tree', async () => {
    const dir = await scratch();
    await writeArtifacts(dir, project.artifacts);
    expect(await builtEnvironments(dir)).toEqual([...fullTrees.keys()].sort());
    for (const [env, files] of fullTrees) {
      const view = await readBuild(dir, env);
      const full = files.filter((f) => f.path !== MANIFEST_PATH);
      expect(view.files.map((f) => [f.path, f.content]), env).toEqual(full.map((f) => [f.path, f.content]));
      const own = parseManifest(files.find((f) => f.path === MANIFEST_PATH)!.content);
      expect(view.manifest).toEqual(own.files);
      expect(view.inputs).toEqual(own.inputs);
      expect(view.environment?.name).toBe(env);
    }
  });

  it('still reads a full environment tree written by an older Vigil, and a build turns it into an overlay', async () => {
    const dir = await scratch();
    await writeOldLayout(dir);
    const [env, files] = [...fullTrees][0]!;
    const before = await readBuild(dir, env);
    expect(before.files.map((f) => f.content)).toEqual(files.filter((f) => f.path !== MANIFEST_PATH).map((f) => f.content));
    const stale = await compareArtifacts(dir, project.artifacts);
    expect(stale.extra).toContain(`${env}/${MANIFEST_PATH}`);
    const summary = await writeArtifacts(dir, project.artifacts);
    expect(summary.removed).toContain(`${env}/${MANIFEST_PATH}`);
    expect(existsSync(path.join(dir, env, MANIFEST_PATH))).toBe(false);
    expect(existsSync(path.join(dir, env, 'prometheus/rules'))).toBe(project.artifacts.some((a) => a.path.startsWith(`${env}/prometheus/rules/`)));
    expect(await compareArtifacts(dir, project.artifacts)).toEqual({ changed: [], missing: [], extra: [], orphan: [], foreign: [] });
    expect((await readBuild(dir, env)).files).toEqual(before.files);
  });

  it('without environments, the build is the shared compile as it always was', () => {
    expect(layeredArtifacts(project.base.artifacts, [])).toEqual(project.base.artifacts);
    expect(project.base.artifacts.find((a) => a.path === MANIFEST_PATH)!.content).not.toContain('"environments"');
  });
});

describe('build --check and the reader see a hand-edited or stale file in either layer, and an orphan', () => {
  let dir: string;
  let env: string;
  let ownFile: string;
  let sharedFile: string;
  beforeAll(async () => {
    dir = await scratch();
    await writeArtifacts(dir, project.artifacts);
    env = [...fullTrees.keys()][0]!;
    ownFile = project.artifacts.find((a) => a.path.startsWith(`${env}/`) && !a.path.endsWith('environment.json'))!.path;
    const inherited = parseManifest(project.artifacts.find((a) => a.path === MANIFEST_PATH)!.content).environments![env]!;
    sharedFile = project.base.artifacts.find((a) => a.path.startsWith('prometheus/rules/') && !inherited.files.some((f) => f.path === a.path))!.path;
  });
  const copy = async () => {
    const c = await scratch();
    await cp(dir, c, { recursive: true });
    return c;
  };

  it.each([
    ['an environment file edited by hand', () => ownFile, 'changed'],
    ['a shared file edited by hand', () => sharedFile, 'changed'],
  ] as const)('%s', async (_name, file, list) => {
    const c = await copy();
    await writeFile(path.join(c, file()), (await readFile(path.join(c, file()), 'utf8')) + '# edited\n');
    expect((await compareArtifacts(c, project.artifacts))[list]).toEqual([file()]);
    const error = await readBuild(c, env).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(BuildError);
    const shown = file().startsWith(`${env}/`) ? file().slice(env.length + 1) : `the shared tree's ${file()}`;
    expect((error as BuildError).message).toContain(`${shown} is not the file its manifest lists (sha256 differs)`);
  });

  it('a shared file copied into an environment tree is an orphan: --check fails on it, build removes it, the reader ignores it', async () => {
    const c = await copy();
    await put(c, `${env}/${sharedFile}`, await readFile(path.join(c, sharedFile), 'utf8'));
    await put(c, `${env}/NOTES.txt`, 'kept\n');
    const stale = await compareArtifacts(c, project.artifacts);
    expect(stale.orphan).toEqual([`${env}/${sharedFile}`]);
    expect(stale.foreign).toEqual([`${env}/NOTES.txt`]);
    expect((await readBuild(c, env)).files.filter((f) => f.path === sharedFile)).toHaveLength(1);
    expect((await writeArtifacts(c, project.artifacts)).removed).toEqual([`${env}/${sharedFile}`]);
    expect(await readFile(path.join(c, env, 'NOTES.txt'), 'utf8')).toBe('kept\n');
  });

  it('a shared file a layer says the environment does not have is not read into it', async () => {
    const c = await copy();
    const manifestFile = path.join(c, MANIFEST_PATH);
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as { environments: Record<string, { removed: string[] }> };
    manifest.environments[env]!.removed.push(sharedFile);
    await writeFile(manifestFile, JSON.stringify(manifest));
    expect((await readBuild(c, env)).files.map((f) => f.path)).not.toContain(sharedFile);
    expect((await readBuild(c)).files.map((f) => f.path)).toContain(sharedFile);
  });
});
