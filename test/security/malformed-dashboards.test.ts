import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, runVigil, type CliRun } from '../helpers/cli.ts';

/**
 * #9 §1: a dashboard of any shape is a located definition error (exit 1), never an internal error (exit 2, "This is a
 * bug in Vigil"). The shapes are generated: every place of a dashboard that the model, the checks or the emitter walk
 * (the SDK JSON, its panels, a panel, its targets, a target, the panels of a row, and the declarative lists) gets every
 * value of the wrong kind, in YAML and from a TypeScript DashboardBuilder.
 */
mkdirSync(path.join(REPO, '.tmp'), { recursive: true });
const root = mkdtempSync(path.join(REPO, '.tmp', 'malformed-dashboards-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const WRONG = { null: null, number: 7, string: 'up', boolean: true, list: [1], mapping: { a: 1 } } as const;
type Wrong = keyof typeof WRONG;

interface Slot {
  name: string;
  /** The dashboard with `hole` where the wrong value goes. */
  shape: (hole: unknown) => Record<string, unknown>;
  /** Kinds of value this place accepts (left out of the variants). */
  accepts: Wrong[];
}

const panel = (extra: Record<string, unknown>) => ({ type: 'timeseries', title: 'P', ...extra });
const SDK_SLOTS: Slot[] = [
  { name: 'the SDK dashboard', shape: (h) => ({ grafanaDashboard: h }), accepts: ['mapping'] },
  { name: 'panels', shape: (h) => ({ grafanaDashboard: { uid: 'd', title: 'D', panels: h } }), accepts: ['list'] },
  { name: 'a panel', shape: (h) => ({ grafanaDashboard: { uid: 'd', title: 'D', panels: [h] } }), accepts: ['mapping'] },
  { name: 'targets', shape: (h) => ({ grafanaDashboard: { uid: 'd', title: 'D', panels: [panel({ targets: h })] } }), accepts: ['list'] },
  { name: 'a target', shape: (h) => ({ grafanaDashboard: { uid: 'd', title: 'D', panels: [panel({ targets: [h] })] } }), accepts: ['mapping'] },
  { name: 'a row\'s panels', shape: (h) => ({ grafanaDashboard: { uid: 'd', title: 'D', panels: [{ type: 'row', title: 'R', collapsed: true, panels: h }] } }), accepts: ['list'] },
  {
    name: 'a target in a row',
    shape: (h) => ({ grafanaDashboard: { uid: 'd', title: 'D', panels: [{ type: 'row', title: 'R', collapsed: true, panels: [panel({ targets: [h] })] }] } }),
    accepts: ['mapping'],
  },
];
const query = { expr: 'up' };
const DECLARATIVE_SLOTS: Slot[] = [
  { name: 'declarative panels', shape: (h) => ({ uid: 'd', title: 'D', panels: h }), accepts: ['list'] },
  { name: 'a declarative panel', shape: (h) => ({ uid: 'd', title: 'D', panels: [h] }), accepts: ['mapping'] },
  { name: 'declarative queries', shape: (h) => ({ uid: 'd', title: 'D', panels: [panel({ queries: h })] }), accepts: ['list'] },
  { name: 'a declarative query', shape: (h) => ({ uid: 'd', title: 'D', panels: [panel({ queries: [h] })] }), accepts: ['mapping'] },
  { name: 'rows', shape: (h) => ({ uid: 'd', title: 'D', rows: h }), accepts: ['list'] },
  { name: 'a row', shape: (h) => ({ uid: 'd', title: 'D', rows: [h] }), accepts: ['mapping'] },
  { name: 'a row\'s panel list', shape: (h) => ({ uid: 'd', title: 'D', rows: [{ title: 'R', panels: h }] }), accepts: ['list'] },
  { name: 'thresholds', shape: (h) => ({ uid: 'd', title: 'D', panels: [panel({ queries: [query], thresholds: h })] }), accepts: ['list'] },
  { name: 'the uid', shape: (h) => ({ uid: h, title: 'D', panels: [panel({ queries: [query] })] }), accepts: ['string'] },
];

interface Variant {
  name: string;
  file: string;
  value: Record<string, unknown>;
}

const variants = (slots: Slot[]): Variant[] =>
  slots.flatMap((slot, s) =>
    (Object.keys(WRONG) as Wrong[])
      .filter((w) => !slot.accepts.includes(w))
      .map((w, i) => ({ name: `${slot.name}: ${w}`, file: `d${s}-${i}`, value: { apiVersion: 'vigil/v1', kind: 'Dashboard', ...slot.shape(WRONG[w]) } })),
  );

function project(name: string, files: Record<string, string>): string {
  const dir = path.join(root, name);
  cpSync(path.join(REPO, 'test/fixtures/base'), path.join(dir, 'monitoring'), { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, 'monitoring', file), text);
  return dir;
}

/** Each variant's file is reported with a located error; nothing is an internal error. */
function expectLocatedErrors(run: CliRun, cases: { name: string; file: string }[]): void {
  const output = run.stdout + run.stderr;
  expect(output).not.toMatch(/internal error|This is a bug in Vigil|\n\s+at /);
  expect(run.code).toBe(1);
  const missing = cases.filter((c) => !new RegExp(`^monitoring/${c.file.replace('.', '\\.')}:\\d+:\\d+: error\\[[a-z/-]+\\]`, 'm').test(output));
  expect(missing.map((c) => c.name)).toEqual([]);
}

describe('malformed dashboards are located definition errors', () => {
  const yamlCases = variants([...SDK_SLOTS, ...DECLARATIVE_SLOTS]).map((v) => ({ ...v, file: `${v.file}.yaml` }));
  const yamlDir = project('yaml', Object.fromEntries(yamlCases.map((v) => [v.file, `${JSON.stringify(v.value)}\n`])));

  it(`YAML: ${yamlCases.length} shapes, validate`, () => {
    expectLocatedErrors(runVigil(['validate'], yamlDir), yamlCases);
  });

  it('YAML: build refuses them too', () => {
    const run = runVigil(['build', '--out', path.join(yamlDir, 'generated')], yamlDir);
    expectLocatedErrors(run, yamlCases);
  });

  // Shapes the model can read but Grafana cannot use: dashboard/json reports them at the field, not at 1:1.
  const FIELDS: { name: string; yaml: (v: string) => string; line: number; values?: string[] }[] = [
    { name: 'timezone', yaml: (v) => `  timezone: ${v}\n`, line: 6 },
    // `refresh: false` is how Grafana writes "no auto-refresh"; true is not an error either.
    { name: 'refresh', yaml: (v) => `  refresh: ${v}\n`, line: 6, values: ['null', '7'] },
    { name: 'templating.list', yaml: (v) => `  templating:\n    list: ${v}\n`, line: 7 },
    { name: 'annotations.list', yaml: (v) => `  annotations:\n    list: ${v}\n`, line: 7 },
    { name: 'a variable', yaml: (v) => `  templating:\n    list:\n      - ${v}\n`, line: 8 },
    { name: 'a panel title', yaml: (v) => `  panels:\n    - type: stat\n      title: ${v}\n      targets: [{ expr: up }]\n`, line: 8 },
  ];
  const placed = FIELDS.flatMap((f, i) =>
    (f.values ?? ['null', '7', 'true']).map((v, j) => ({ name: `${f.name}: ${v}`, file: `field-${i}-${j}.yaml`, line: f.line, text: `apiVersion: vigil/v1\nkind: Dashboard\ngrafanaDashboard:\n  uid: f${i}x${j}\n  title: F\n${f.yaml(v)}` })),
  );
  const placedDir = project('placed', Object.fromEntries(placed.map((c) => [c.file, c.text])));

  it(`YAML: ${placed.length} wrong fields of SDK dashboards are reported at their line`, () => {
    const run = runVigil(['validate'], placedDir);
    expectLocatedErrors(run, placed);
    const misplaced = placed.filter((c) => !new RegExp(`^monitoring/${c.file.replace('.', '\\.')}:${c.line}:\\d+: error\\[dashboard/json\\]`, 'm').test(run.stderr));
    expect(misplaced.map((c) => c.name)).toEqual([]);
  });

  // Each TypeScript dashboard hands defineDashboard() a builder whose build() returns the malformed JSON.
  const tsCases = [
    ...variants(SDK_SLOTS).map((v) => ({ name: v.name, file: `${v.file}.ts`, built: (v.value as { grafanaDashboard: unknown }).grafanaDashboard })),
    { name: 'build() returns undefined', file: 'undefined.ts', built: undefined },
  ];
  // What defineDashboard() itself is given, instead of a builder; and a builder that throws.
  const odd = [
    { name: 'defineDashboard(null)', file: 'odd-null.ts', call: 'defineDashboard(null as any)', message: /missing required field "uid"/ },
    { name: 'defineDashboard(undefined)', file: 'odd-undefined.ts', call: 'defineDashboard(undefined as any)', message: /missing required field "uid"/ },
    { name: 'defineDashboard(7)', file: 'odd-number.ts', call: 'defineDashboard(7 as any)', message: /missing required field "uid"/ },
    { name: 'a build() that throws', file: 'odd-throws.ts', call: "defineDashboard({ build: () => { throw new Error('no panels') } })", message: /no panels/ },
  ];
  const tsDir = project(
    'ts',
    Object.fromEntries([
      ...tsCases.map((c) => [
        c.file,
        `import { defineDashboard } from 'vigil';\n\nexport default defineDashboard({ build: () => ${c.built === undefined ? 'undefined' : JSON.stringify(c.built)} } as any);\n`,
      ]),
      ...odd.map((c) => [c.file, `import { defineDashboard } from 'vigil';\n\nexport default ${c.call};\n`]),
    ]),
  );

  it(`TypeScript: ${tsCases.length} builders whose build() returns a malformed dashboard, and ${odd.length} odd defineDashboard() calls`, () => {
    const run = runVigil(['validate'], tsDir);
    expectLocatedErrors(run, [...tsCases, ...odd]);
    for (const c of odd) expect(run.stderr).toMatch(new RegExp(`monitoring/${c.file.replace('.', '\\.')}:3:\\d+: error\\[[a-z/]+\\]: .*${c.message.source}`));
    // Located at the definition's line, with a hint that names the builder.
    expect(run.stdout + run.stderr).toMatch(/monitoring\/d0-0\.ts:3:\d+: error\[schema\]: grafanaDashboard: must be the dashboard JSON a DashboardBuilder builds \(a mapping\), got null/);
    expect(run.stdout + run.stderr).toMatch(/hint: pass defineDashboard\(\) a DashboardBuilder whose build\(\) returns the dashboard/);
  });
});
