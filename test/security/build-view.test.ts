import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildManifest, parseManifest } from '../../src/build/manifest.ts';
import { ALERTMANAGER_CONFIG_PATH, MANIFEST_PATH, prometheusConfigReplica, RELAY_CONFIG_PATH, SECRETS_PATH } from '../../src/build/paths.ts';
import { BuildError, buildView, readBuild, type BuildFile } from '../../src/build/read.ts';
import { buildExample, exampleScratch } from '../helpers/example.ts';
import { compileBase } from '../helpers/model.ts';

const ENV = 'prod';
const scratch = mkdtempSync(path.join(tmpdir(), 'vigil-build-view-'));
const exampleRoot = await exampleScratch('build-view-');
/** The example's build, as `vigil build` writes it. */
const GENERATED = await buildExample(exampleRoot);
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(exampleRoot, { recursive: true, force: true });
});

/** The example's <ENV> build as one full tree with its own manifest (the layout before overlays, which readBuild still reads). */
const FULL = await (async () => {
  const view = await readBuild(GENERATED, ENV);
  const dir = path.join(scratch, 'full', ENV);
  for (const f of view.files) {
    mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    writeFileSync(path.join(dir, f.path), f.content);
  }
  writeFileSync(path.join(dir, MANIFEST_PATH), buildManifest(view.files).content);
  return path.dirname(dir);
})();

let copies = 0;
/** A fresh copy of the example's <ENV>/ build, as one full tree, to break in one way. */
function copy(): string {
  const dir = path.join(scratch, String(copies++));
  cpSync(path.join(FULL, ENV), path.join(dir, ENV), { recursive: true });
  return dir;
}

/** A fresh copy of the example's whole build: the shared tree and <ENV>/ as its overlay. */
function copyLayered(): string {
  const dir = path.join(scratch, String(copies++));
  cpSync(GENERATED, dir, { recursive: true });
  return dir;
}
const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
const manifestOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, ENV, MANIFEST_PATH), 'utf8')) as { files: { path: string; sha256: string }[] };
const writeManifest = (dir: string, m: unknown) => writeFileSync(path.join(dir, ENV, MANIFEST_PATH), typeof m === 'string' ? m : JSON.stringify(m));
const firstRuleFile = (dir: string) => manifestOf(dir).files.find((f) => f.path.startsWith('prometheus/rules/'))!.path;

/** Each way a build tree can be broken or hostile, and the words its refusal must say. */
const TAMPERED: [string, (dir: string) => void, string][] = [
  ['a file changed after the build', (d) => writeFileSync(path.join(d, ENV, firstRuleFile(d)), 'groups: []\n'), 'is not the file its manifest lists (sha256 differs)'],
  ['a listed file missing', (d) => rmSync(path.join(d, ENV, firstRuleFile(d))), 'is missing'],
  ['the manifest missing', (d) => rmSync(path.join(d, ENV, MANIFEST_PATH)), 'manifest.json is missing'],
  ['the manifest not JSON', (d) => writeManifest(d, '{'), 'is not a Vigil manifest'],
  ['a manifest of another generator', (d) => writeManifest(d, { generator: 'x', files: [] }), 'is not a Vigil manifest'],
  ['an entry without sha256', (d) => writeManifest(d, { generator: 'vigil', files: [{ path: SECRETS_PATH }] }), 'a file entry without path or sha256'],
  ['an entry with a short sha256', (d) => writeManifest(d, { generator: 'vigil', files: [{ path: SECRETS_PATH, sha256: 'ab' }] }), 'a file entry without path or sha256'],
  ...['../../etc/passwd', 'prometheus/rules/../../x.yml', '/etc/passwd', 'prometheus/rules/./a.yml', 'evil.sh', 'prometheus/rules/a.yml.sh', 'tests/a.yml'].map(
    (p): [string, (dir: string) => void, string] => [`a listed path ${p}`, (d) => writeManifest(d, { generator: 'vigil', files: [{ path: p, sha256: sha('') }] }), 'which is not a file Vigil writes'],
  ),
  ['a symlinked file', (d) => {
    const rel = firstRuleFile(d);
    const file = path.join(d, ENV, rel);
    const content = readFileSync(file);
    writeFileSync(path.join(d, 'outside.yml'), content);
    rmSync(file);
    symlinkSync(path.join(d, 'outside.yml'), file);
  }, 'is not a regular file'],
  ['a symlinked folder', (d) => {
    const rules = path.join(d, ENV, 'prometheus/rules');
    cpSync(rules, path.join(d, 'elsewhere'), { recursive: true });
    rmSync(rules, { recursive: true });
    symlinkSync(path.join(d, 'elsewhere'), rules);
  }, 'prometheus/rules is a symlink'],
  ['a file that is not UTF-8', (d) => {
    const rel = firstRuleFile(d);
    const bytes = Buffer.from([0xff, 0xfe, 0x41]);
    writeFileSync(path.join(d, ENV, rel), bytes);
    writeManifest(d, { generator: 'vigil', files: [{ path: rel, sha256: sha(bytes) }] });
  }, 'is not UTF-8 text'],
  ['secrets.json not JSON (sha256 matching)', (d) => {
    writeFileSync(path.join(d, ENV, SECRETS_PATH), '{');
    writeManifest(d, { generator: 'vigil', files: [{ path: SECRETS_PATH, sha256: sha('{') }] });
  }, 'secrets.json is not valid JSON'],
  ['no such environment', (d) => rmSync(path.join(d, ENV), { recursive: true }), 'it does not exist'],
];

describe('readBuild refuses a tampered or hostile tree with a located reason', () => {
  it.each(TAMPERED)('%s', async (_name, breakIt, words) => {
    const dir = copy();
    breakIt(dir);
    const error = await readBuild(dir, ENV).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(BuildError);
    expect((error as BuildError).message).toContain(words);
    expect((error as BuildError).message).toContain(path.join(dir, ENV));
    expect((error as BuildError).code).toBe('deploy/build');
    expect((error as BuildError).hint).not.toBe('');
  });

  it('reads only what the manifest lists: an extra file in the tree is ignored', async () => {
    const dir = copy();
    mkdirSync(path.join(dir, ENV, 'prometheus/rules'), { recursive: true });
    writeFileSync(path.join(dir, ENV, 'prometheus/rules/extra.yml'), 'groups: []\n');
    const view = await readBuild(dir, ENV);
    expect(view.files.map((f) => f.path)).toEqual(manifestOf(dir).files.map((f) => f.path));
    expect(view.ruleGroups.map((f) => f.name)).not.toContain('extra.yml');
  });
});

/** The overlay layout `vigil build` writes: a shared file an environment inherits is checked like its own. */
const sharedRuleFile = (dir: string) => {
  const manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST_PATH), 'utf8')) as { files: { path: string }[]; environments: Record<string, { files: { path: string }[] }> };
  const own = new Set(manifest.environments[ENV]!.files.map((f) => f.path));
  return manifest.files.find((f) => f.path.startsWith('prometheus/rules/') && !own.has(f.path))!.path;
};
const LAYERED: [string, (dir: string) => void, string][] = [
  ['an inherited shared file changed after the build', (d) => writeFileSync(path.join(d, sharedRuleFile(d)), 'groups: []\n'), "the shared tree's prometheus/rules/"],
  ['an inherited shared file missing', (d) => rmSync(path.join(d, sharedRuleFile(d))), 'is missing'],
  ['an inherited shared file symlinked', (d) => {
    const file = path.join(d, sharedRuleFile(d));
    writeFileSync(path.join(d, 'outside.yml'), readFileSync(file));
    rmSync(file);
    symlinkSync(path.join(d, 'outside.yml'), file);
  }, 'is not a regular file'],
  ["the environment's own file changed", (d) => writeFileSync(path.join(d, ENV, 'environment.json'), '{}'), 'environment.json is not the file its manifest lists'],
  ['the shared manifest listing a path outside the tree', (d) => {
    const file = path.join(d, MANIFEST_PATH);
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { files: { path: string; sha256: string }[] };
    manifest.files.push({ path: '../../etc/passwd', sha256: sha('') });
    writeFileSync(file, JSON.stringify(manifest));
  }, 'which is not a file Vigil writes'],
];

describe('readBuild refuses a tampered layered build (shared tree + environment overlay) with a located reason', () => {
  it('reads the untouched layered build', async () => {
    await expect(readBuild(copyLayered(), ENV)).resolves.toBeDefined();
  });

  it.each(LAYERED)('%s', async (_name, breakIt, words) => {
    const dir = copyLayered();
    breakIt(dir);
    const error = await readBuild(dir, ENV).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(BuildError);
    expect((error as BuildError).message).toContain(words);
  });
});

describe('buildView and readBuild give the same typed view', () => {
  it('of generated/: every kind of artifact, rule groups parsed from disk equal to those the emitter carries', async () => {
    const { artifacts } = await compileBase();
    const dir = path.join(scratch, 'base', ENV);
    for (const a of artifacts) {
      mkdirSync(path.dirname(path.join(dir, a.path)), { recursive: true });
      writeFileSync(path.join(dir, a.path), a.content);
    }
    const memory = buildView(artifacts);
    const disk = await readBuild(path.dirname(dir), ENV);
    expect(disk.files.map((f) => [f.path, f.content])).toEqual(artifacts.filter((a) => a.path !== MANIFEST_PATH).map((a) => [a.path, a.content]));
    expect(memory.ruleGroups.length).toBeGreaterThan(0);
    expect(memory.ruleGroups.every((f) => f.carried)).toBe(true);
    expect(disk.ruleGroups.some((f) => f.carried)).toBe(false);
    expect(disk.ruleGroups.map((f) => [f.name, f.groups])).toEqual(memory.ruleGroups.map((f) => [f.name, JSON.parse(JSON.stringify(f.groups))]));
    expect(disk.manifest).toEqual(memory.manifest);
    expect(disk.secrets).toEqual(memory.secrets);
    expect(disk.alertmanagerConfig).toEqual(memory.alertmanagerConfig);
    expect(disk.alertmanagerTemplates).toEqual(memory.alertmanagerTemplates);
    expect(disk.dashboards).toEqual(memory.dashboards);
    expect(disk.relayConfig).toEqual(memory.relayConfig);
    expect(disk.prometheusConfigs).toEqual(memory.prometheusConfigs);
  });

  it('of the example’s built <env>/ tree: each artifact under its kind', async () => {
    const view = await readBuild(GENERATED, ENV);
    const paths = view.files.map((f) => f.path);
    expect(view.alertmanagerConfig?.path).toBe(ALERTMANAGER_CONFIG_PATH);
    expect(paths.includes(RELAY_CONFIG_PATH)).toBe(view.relayConfig !== undefined);
    expect([...view.prometheusConfigs.values()].map((c) => c.path).sort()).toEqual(paths.filter((p) => prometheusConfigReplica(p) !== undefined).sort());
    expect(view.ruleGroups.map((f) => f.path)).toEqual(paths.filter((p) => p.startsWith('prometheus/rules/')));
    expect(view.alertmanagerTemplates.size).toBe(paths.filter((p) => p.startsWith('alertmanager/templates/')).length);
    expect(view.dashboards.size).toBe(paths.filter((p) => p.startsWith('grafana/dashboards/')).length);
    for (const f of view.ruleGroups) expect(f.groups.length).toBeGreaterThan(0);
  });

  it('a rule file altered after compiling is parsed, not taken from the emitter', () => {
    const file: BuildFile = { path: 'prometheus/rules/a.yml', content: 'groups:\n  - name: a\n    rules: []\n', sources: [] };
    const [parsed] = buildView([file]).ruleGroups;
    expect(parsed!.carried).toBe(false);
    expect(parsed!.groups).toEqual([{ name: 'a', rules: [] }]);
  });
});

describe('manifest', () => {
  it('round-trips: what buildManifest writes, parseManifest reads', () => {
    const files = [
      { path: 'a.json', content: 'x', sources: ['b.yaml', 'a.yaml', 'a.yaml'] },
      { path: 'b.json', content: '', sources: [] },
    ];
    const written = buildManifest(files);
    expect(written.path).toBe(MANIFEST_PATH);
    expect(parseManifest(written.content)).toEqual({
      files: [
        { path: 'a.json', sha256: sha('x'), sources: ['a.yaml', 'b.yaml'] },
        { path: 'b.json', sha256: sha(''), sources: [] },
      ],
    });
  });

  it('records the definition files a build was made from, sorted, and reads them back', () => {
    const inputs = [
      { path: 'monitoring/b.yaml', sha256: sha('b') },
      { path: 'monitoring/a.yaml', sha256: sha('a') },
    ];
    const written = buildManifest([{ path: 'a.json', content: 'x', sources: [] }], inputs);
    expect(parseManifest(written.content).inputs).toEqual([inputs[1], inputs[0]]);
  });

  it.each([
    ['inputs not a list', { inputs: {} }, '"inputs" is not a list'],
    ['an input without sha256', { inputs: [{ path: 'm/a.yaml' }] }, 'an input entry without path or sha256'],
    ['an input with a short sha256', { inputs: [{ path: 'm/a.yaml', sha256: 'abc' }] }, 'an input entry without path or sha256'],
  ])('refuses a manifest with %s', (_name, extra, message) => {
    expect(() => parseManifest(JSON.stringify({ generator: 'vigil', files: [], ...extra }))).toThrow(message);
  });
});
