// The model is built by one mapper per kind (src/model/kinds/). These tables guard what a split can break: a kind
// without a mapper, a mapper writing into another kind's part of the model, an origin whose path no longer names a
// value (its diagnostics would land on the wrong line), and which of two singleton definitions wins.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Definition } from '../../load/definition.ts';
import { loadDirectory, loadYamlSources } from '../../load/index.ts';
import { KINDS, type KindName } from '../../spec/kinds.ts';
import { validateDefinitions, type TypedDefinition } from '../../spec/validate.ts';
import { buildModel, KIND_MAPPERS } from '../build.ts';
import type { Model, Origin } from '../types.ts';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const CHECK_FIXTURES = path.join(ROOT, 'test/fixtures/checks');
const PROJECTS = ['examples/ml-platform', ...readdirSync(CHECK_FIXTURES).sort().map((d) => `test/fixtures/checks/${d}`)];

/** The parts of the model each kind may write; the others must stay empty when only that kind is mapped. */
const WRITES: Record<KindName, readonly (keyof Model)[]> = {
  Project: ['project'],
  Metrics: ['metrics', 'external'],
  Severities: ['severities'],
  AlertRules: ['groups', 'expressions'],
  RecordingRules: ['groups', 'expressions'],
  SLOs: ['groups', 'expressions', 'dashboards'],
  Receivers: ['receivers'],
  Routes: ['routes'],
  Dashboard: ['dashboards', 'expressions'],
  RuleTests: ['ruleTests', 'expressions'],
  Environment: ['environments'],
  Templates: ['templates'],
  Silences: ['silences'],
};
const MODEL_PARTS = ['project', 'metrics', 'external', 'severities', 'groups', 'receivers', 'templates', 'routes', 'dashboards', 'ruleTests', 'silences', 'environments', 'expressions'] as const;

const typedByProject = new Map<string, TypedDefinition[]>();
beforeAll(async () => {
  for (const dir of PROJECTS) typedByProject.set(dir, validateDefinitions((await loadDirectory(path.join(ROOT, dir))).definitions).valid);
});

function isOrigin(value: unknown): value is Origin {
  return typeof value === 'object' && value !== null && 'def' in value && 'path' in value && Array.isArray((value as Origin).path);
}

/** Every origin in the model, with where it was found (for the failure message). */
function originsOf(model: Model): { where: string; origin: Origin }[] {
  const out: { where: string; origin: Origin }[] = [];
  const seen = new Set<object>();
  const walk = (value: unknown, where: string) => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    for (const [key, child] of Object.entries(value)) {
      // Raw dashboard JSON and receiver channels are copies of the definition: they carry no origins.
      if (key === 'spec' || key === 'built' || key === 'channels') continue;
      if (key === 'origin' && isOrigin(child)) out.push({ where: `${where}.origin`, origin: child });
      else walk(child, `${where}.${key}`);
    }
  };
  for (const part of MODEL_PARTS) walk(model[part], part);
  return out;
}

function valueAt(def: Definition, p: Origin['path']): unknown {
  let value: unknown = def.value;
  for (const segment of p) value = typeof value === 'object' && value !== null ? (value as Record<string | number, unknown>)[segment] : undefined;
  return value;
}

describe('KIND_MAPPERS', () => {
  it('has exactly one mapper per kind', () => {
    expect(Object.keys(KIND_MAPPERS).sort()).toEqual(KINDS.map((k) => k.kind).sort());
  });
});

describe.each(PROJECTS)('mapping %s', (dir) => {
  it('writes each definition only into the parts of the model its kind owns', () => {
    const typed = typedByProject.get(dir)!;
    for (const one of typed) {
      const { model } = buildModel([one]);
      const written = MODEL_PARTS.filter((part) => (Array.isArray(model[part]) ? (model[part] as unknown[]).length > 0 : model[part] !== undefined));
      expect(written.filter((part) => !WRITES[one.kind].includes(part)), `${one.def.file} (${one.kind})`).toEqual([]);
    }
  });

  it('gives every model object an origin whose path names a value of its definition', () => {
    const typed = typedByProject.get(dir)!;
    const { model } = buildModel(typed);
    const origins = originsOf(model);
    if (typed.length > 0) expect(origins.length).toBeGreaterThan(0);
    const dangling = origins.filter(({ origin }) => valueAt(origin.def, origin.path) === undefined).map(({ where, origin }) => `${where}: ${origin.def.file} ${JSON.stringify(origin.path)}`);
    expect(dangling).toEqual([]);
  });
});

describe('a second definition of a singleton kind', () => {
  const SINGLETONS: { kind: KindName; doc: (name: string) => string; firstOf: (m: Model) => unknown }[] = [
    { kind: 'Project', doc: (n) => `apiVersion: vigil/v1\nkind: Project\nname: ${n}\n`, firstOf: (m) => m.project?.name },
    { kind: 'Severities', doc: (n) => `apiVersion: vigil/v1\nkind: Severities\nlevels:\n  - name: ${n}\n`, firstOf: (m) => m.severities.map((s) => s.name) },
    { kind: 'Routes', doc: (n) => `apiVersion: vigil/v1\nkind: Routes\nreceiver: ${n}\n`, firstOf: (m) => m.routes?.root.receivers },
  ];
  it.each(SINGLETONS)('$kind: the first one is the model, the second one is left to project/singleton', ({ kind, doc, firstOf }) => {
    const loaded = loadYamlSources([
      { file: 'a.yaml', text: doc('first') },
      { file: 'b.yaml', text: doc('second') },
    ]);
    const { valid, diagnostics } = validateDefinitions(loaded.definitions);
    expect(diagnostics).toEqual([]);
    const { model } = buildModel(valid);
    expect(model.definitionsByKind.get(kind)?.map((d) => d.file)).toEqual(['a.yaml', 'b.yaml']);
    expect(JSON.stringify(firstOf(model))).toContain('first');
    expect(JSON.stringify(firstOf(model))).not.toContain('second');
  });
});
