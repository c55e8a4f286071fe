import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileProject } from '../compile-project.ts';
import { loadDirectory } from '../load/index.ts';
import { copyExample, exampleScratch } from '../../test/helpers/example.ts';
import { cachedAnalysisCaches } from '../cli/cached-analyses.ts';
import { openCache } from './index.ts';
import { seededRandom as random } from '../../test/helpers/seeded-random.ts';

async function definitionFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await definitionFiles(dir, child)));
    else if (/\.(ya?ml|ts)$/.test(e.name)) out.push(child);
  }
  return out.sort();
}

/** One random edit of a text: a number changed, a line dropped, doubled or cut short, a character replaced. */
function edit(text: string, next: () => number): string {
  const lines = text.split('\n');
  const at = Math.floor(next() * lines.length);
  const line = lines[at]!;
  switch (Math.floor(next() * 5)) {
    case 0:
      lines[at] = line.replace(/\d+(\.\d+)?/, String(Math.floor(next() * 1000) / 10));
      break;
    case 1:
      lines.splice(at, 1);
      break;
    case 2:
      lines.splice(at, 0, line);
      break;
    case 3:
      lines[at] = line.slice(0, Math.floor(next() * line.length));
      break;
    default: {
      const i = Math.floor(next() * Math.max(line.length, 1));
      lines[at] = line.slice(0, i) + ' :{}[]"x-'[Math.floor(next() * 9)] + line.slice(i + 1);
    }
  }
  return lines.join('\n');
}

/** Per-file results read back from the cache in the last cached compile (see compile-scopes.ts). */
let reused = 0;
/** Of those, schema outcomes (documents not validated again). */
let reusedSchema = 0;
/** Generated files taken whole from the cache (FileScopes.memoDocument), by name. */
let reusedDocuments: string[] = [];

async function compileOnce(dir: string, cacheDir: string | undefined) {
  const cache = cacheDir === undefined ? undefined : await openCache({ dir: cacheDir });
  const loaded = await loadDirectory(dir, { cache });
  const caches = cachedAnalysisCaches(cache);
  const results = caches.results;
  reused = 0;
  reusedSchema = 0;
  reusedDocuments = [];
  if (results) {
    caches.results = {
      get: (key) => {
        const value = results.get(key);
        if (value !== undefined) reused++;
        if (value !== undefined && key.startsWith('schema\0')) reusedSchema++;
        if (value !== undefined && key.startsWith('document ')) reusedDocuments.push(key.slice('document '.length, key.indexOf('\0')));
        return value;
      },
      set: (key, value) => results.set(key, value),
      keep: (key) => results.keep(key),
    };
  }
  const project = compileProject(loaded, { caches });
  await cache?.flush();
  // The shared definitions' compile on its own too: the environments' compiles may find what it missed.
  return { diagnostics: project.diagnostics, shared: project.base.diagnostics, files: project.artifacts.map((a) => [a.path, a.content]) };
}

const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true })));
});

describe('the incremental cache', () => {
  it('gives the diagnostics and files of a cold run after every one of a series of random edits of the example', async () => {
    const root = await exampleScratch('cache-equivalence-');
    const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'vigil-cache-'));
    scratch.push(root, cacheDir);
    const dir = await copyExample(root);
    const files = await definitionFiles(dir);
    const originals = new Map(await Promise.all(files.map(async (f) => [f, await readFile(path.join(dir, f), 'utf8')] as const)));
    const next = random(20261203);
    // The first cached run fills the cache; every later one reads what the earlier runs kept.
    expect(await compileOnce(dir, cacheDir)).toEqual(await compileOnce(dir, undefined));
    let sawErrors = 0;
    let sawReuse = 0;
    let sawSchemaReuse = 0;
    for (let step = 0; step < 12; step++) {
      const file = files[Math.floor(next() * files.length)]!;
      const full = path.join(dir, file);
      // Now and then a file goes back to what it was: the cache must then give back its earlier results.
      const text = next() < 0.25 ? originals.get(file)! : edit(await readFile(full, 'utf8'), next);
      await writeFile(full, text);
      const cold = await compileOnce(dir, undefined);
      const cached = await compileOnce(dir, cacheDir);
      expect(cached, `step ${step}: ${file}`).toEqual(cold);
      if (cold.diagnostics.some((d) => d.severity === 'error')) sawErrors++;
      if (reused > 0) sawReuse++;
      if (reusedSchema > 0) sawSchemaReuse++;
    }
    // The edits must break something some of the time, or the comparison proves little; and the per-file check
    // reports and emitted parts must have been reused some of the time, or it proves nothing about them.
    expect(sawErrors).toBeGreaterThan(0);
    expect(sawReuse).toBeGreaterThan(0);
    expect(sawSchemaReuse).toBeGreaterThan(0);
  }, 240_000);

  it('validates and checks a document again when its text changed: schema and check problems found through the cache', async () => {
    const root = await exampleScratch('cache-schema-');
    const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'vigil-cache-'));
    scratch.push(root, cacheDir);
    const dir = await copyExample(root);
    await compileOnce(dir, cacheDir);
    expect((await compileOnce(dir, cacheDir)).diagnostics.filter((d) => d.code === 'schema')).toEqual([]);
    expect(reusedSchema).toBeGreaterThan(0);
    // Still YAML, still an alert file, but an operator the schema does not allow (and the other documents unchanged).
    const alerts = path.join(dir, 'alerts', 'system.yaml');
    const original = await readFile(alerts, 'utf8');
    await writeFile(alerts, original.replace('warning:  { op: ">", value: 85,', 'warning:  { op: "=>", value: 85,'));
    const cold = await compileOnce(dir, undefined);
    expect(cold.diagnostics.filter((d) => d.code === 'schema').length).toBeGreaterThan(0);
    expect(await compileOnce(dir, cacheDir)).toEqual(cold);
    // Valid again, but the warning level now above the critical one: a per-file check's report, not a kept one.
    await writeFile(alerts, original.replace('warning:  { op: ">", value: 85,', 'warning:  { op: ">", value: 99,'));
    const misordered = await compileOnce(dir, undefined);
    expect(misordered.diagnostics.filter((d) => d.code === 'threshold/order').length).toBeGreaterThan(0);
    expect(await compileOnce(dir, cacheDir)).toEqual(misordered);
  }, 120_000);

  it("rebuilds what reads another file's alert: a dashboard's thresholds from an alert edited in its own file", async () => {
    const root = await exampleScratch('cache-reads-');
    const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'vigil-cache-'));
    scratch.push(root, cacheDir);
    const dir = await copyExample(root);
    const first = await compileOnce(dir, cacheDir);
    expect(await compileOnce(dir, cacheDir)).toEqual(first);
    expect(reused).toBeGreaterThan(0);
    // dashboards/system.yaml draws NodeCpuHigh's thresholds (thresholdsFrom); the alert is in alerts/system.yaml.
    const alerts = path.join(dir, 'alerts', 'system.yaml');
    await writeFile(alerts, (await readFile(alerts, 'utf8')).replace('warning:  { op: ">", value: 85,', 'warning:  { op: ">", value: 80,'));
    const cold = await compileOnce(dir, undefined);
    const dashboard = (files: (string | undefined)[][]) => files.find(([p]) => p === 'grafana/dashboards/system-overview.json')?.[1];
    expect(dashboard(cold.files)).toBeDefined();
    expect(dashboard(cold.files)).not.toEqual(dashboard(first.files));
    expect(await compileOnce(dir, cacheDir)).toEqual(cold);
  }, 120_000);

  it('takes alertmanager.yml and the routing matrix whole from the cache exactly when no file changed its part of them', async () => {
    const root = await exampleScratch('cache-documents-');
    const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'vigil-cache-'));
    scratch.push(root, cacheDir);
    const dir = await copyExample(root);
    // Its rule tests name the level removed below.
    await rm(path.join(dir, 'tests', 'system.yaml'));
    await compileOnce(dir, cacheDir);
    const alerts = path.join(dir, 'alerts', 'system.yaml');
    const original = await readFile(alerts, 'utf8');
    const documents = (files: (string | undefined)[][]) => files.filter(([p]) => p!.endsWith('alertmanager/alertmanager.yml') || p!.endsWith('docs/routing.md'));
    // A threshold: neither file reads it, both are taken whole (the shared tree's and each environment's).
    await writeFile(alerts, original.replace('warning:  { op: ">", value: 85, for: 15m }', 'warning:  { op: ">", value: 86, for: 15m }'));
    const threshold = await compileOnce(dir, undefined);
    expect(await compileOnce(dir, cacheDir)).toEqual(threshold);
    expect(new Set(reusedDocuments)).toEqual(new Set(['alertmanager.yml', 'routing matrix']));
    // A level removed (NodeMemoryHigh's warning): its inhibition and its row go, so both files change and neither
    // may come from the cache.
    const memoryLevels = '      warning:  { op: ">", value: 85, for: 15m }\n      critical: { op: ">", value: 95, for: 5m }\n';
    expect(original).toContain(memoryLevels);
    await writeFile(alerts, original.replace(memoryLevels, '      critical: { op: ">", value: 95, for: 5m }\n'));
    const level = await compileOnce(dir, undefined);
    expect(level.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    for (const [i, [file, text]] of documents(level.files).entries()) expect(text, file).not.toEqual(documents(threshold.files)[i]![1]);
    expect(await compileOnce(dir, cacheDir)).toEqual(level);
    expect(reusedDocuments).toEqual([]);
  }, 120_000);

  it('writes the same files when the kept texts of generated files are gone or damaged (read lazily, made again)', async () => {
    const root = await exampleScratch('cache-texts-');
    const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'vigil-cache-'));
    scratch.push(root, cacheDir);
    const dir = await copyExample(root);
    const cold = await compileOnce(dir, undefined);
    await compileOnce(dir, cacheDir);
    const [generation] = await readdir(cacheDir);
    const texts = path.join(cacheDir, generation!, 'texts', 'base.bin');
    const bytes = await readFile(texts);
    // Every record's text flipped in one byte (its sha256 no longer matches): each must be made again, not written.
    const damaged = Buffer.from(bytes);
    for (let at = bytes.length - 1; at > 8; at -= 97) damaged[at]! ^= 0x01;
    await writeFile(texts, damaged);
    expect(await compileOnce(dir, cacheDir)).toEqual(cold);
    expect(reused).toBeGreaterThan(0);
    await rm(path.join(cacheDir, generation!, 'texts'), { recursive: true });
    expect(await compileOnce(dir, cacheDir)).toEqual(cold);
  }, 120_000);

  it('loads a TypeScript definition again when a module it imports changed, not only the file itself', async () => {
    const root = await exampleScratch('cache-typescript-');
    const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'vigil-cache-'));
    scratch.push(root, cacheDir);
    const dir = await copyExample(root);
    // The dashboard's thresholds move to a module outside the definitions (every .ts inside is a definition).
    const dashboard = path.join(dir, 'dashboards', 'inference.ts');
    const text = await readFile(dashboard, 'utf8');
    const levels = /const levels = \{[\s\S]*?\} as const;\n/.exec(text)![0];
    await mkdir(path.join(root, 'lib'));
    const helper = path.join(root, 'lib', 'levels.ts');
    await writeFile(helper, levels.replace('const levels', 'export const levels'));
    await writeFile(dashboard, text.replace(levels, "import { levels } from '../../lib/levels.ts';\n"));
    const first = await compileOnce(dir, cacheDir);
    expect(first.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(await compileOnce(dir, cacheDir)).toEqual(first);

    await writeFile(helper, (await readFile(helper, 'utf8')).replace('InferenceErrorRatioHigh: { warning: 0.01', 'InferenceErrorRatioHigh: { warning: 0.02'));
    const cold = await compileOnce(dir, undefined);
    expect(cold.files).not.toEqual(first.files);
    expect(await compileOnce(dir, cacheDir)).toEqual(cold);
  }, 120_000);
  it('keeps the analysis of every current expression when a run that reads few of them writes the cache', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-analyses-'));
    const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'vigil-cache-'));
    scratch.push(dir, cacheDir);
    // Alerts in files of their own, whose per-file results a later run takes from the cache without their analyses.
    await mkdir(path.join(dir, 'alerts'));
    await writeFile(path.join(dir, 'project.yaml'), 'apiVersion: vigil/v1\nkind: Project\nname: p\nsmtp: { smarthost: "smtp.example.com:587", from: a@example.com }\n');
    await writeFile(path.join(dir, 'severities.yaml'), 'apiVersion: vigil/v1\nkind: Severities\nlevels:\n  - { name: critical }\n  - { name: warning }\n');
    await writeFile(path.join(dir, 'receivers.yaml'), 'apiVersion: vigil/v1\nkind: Receivers\nreceivers:\n  - { name: team, email: { to: [team@example.com] } }\n');
    await writeFile(path.join(dir, 'routes.yaml'), 'apiVersion: vigil/v1\nkind: Routes\nreceiver: team\nroutes:\n  - { matchers: [\'severity="warning"\'], receiver: team }\n');
    const metrics = Array.from({ length: 12 }, (_, i) => `  - { name: app_${i}_total, type: counter, help: "Metric ${i}.", labels: [service] }`);
    await writeFile(path.join(dir, 'metrics.yaml'), `apiVersion: vigil/v1\nkind: Metrics\nsource: app\nmetrics:\n${metrics.join('\n')}\n`);
    const alerts = (file: number, window: string) =>
      `apiVersion: vigil/v1\nkind: AlertRules\ngroup: g${file}\nalerts:\n` +
      [0, 1, 2]
        .map((a) => `  - name: A${file}x${a}\n    expr: sum by (service) (rate(app_${file * 3 + a}_total[${window}]))\n    thresholds:\n      warning: { op: ">", value: 1 }\n    summary: s\n`)
        .join('');
    for (let f = 0; f < 4; f++) await writeFile(path.join(dir, `alerts/a${f}.yaml`), alerts(f, '5m'));
    const first = await compileOnce(dir, cacheDir);
    expect(first.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    // One file's expressions changed: analyses added, so the cache is written (and compacted: most entries unread).
    await writeFile(path.join(dir, 'alerts/a0.yaml'), alerts(0, '10m'));
    await compileOnce(dir, cacheDir);
    expect(reused).toBeGreaterThan(0);
    // Every expression of the definitions still has its analysis in the cache.
    const cache = (await openCache({ dir: cacheDir }))!;
    const project = compileProject(await loadDirectory(dir, { cache }), { emit: false });
    const keys = [...new Set(project.base.model.expressions.map((e) => `${e.grafana ? 'g' : 'p'}:${e.text}`))];
    expect(keys.length).toBe(12);
    expect(keys.filter((k) => cache.promql.get(k) === undefined)).toEqual([]);
  });
});
