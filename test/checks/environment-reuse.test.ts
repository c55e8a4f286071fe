import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.ts';
import type { CheckContext } from '../../src/checks/check.ts';
import { compile, createCheckContext } from '../../src/compile.ts';
import { compileProject } from '../../src/compile-project.ts';
import { FileScopes, type FileItems } from '../../src/compile-scopes.ts';
import { loadDirectory, loadYamlSources, loadYamlSourcesWithJson, type LoadResult } from '../../src/load/index.ts';
import { loadYaml } from '../../src/load/yaml.ts';
import { conformingByIdentity, validateDefinitions } from '../../src/spec/validate.ts';
import type { KindName } from '../../src/spec/kinds.ts';

/**
 * Issue #12 §3 (validate of the example): an environment's compile takes what the shared compile found of the
 * definitions its overrides leave alone (schema conformance, the reports of per-file checks that read only their
 * file's documents, by identity, and dashboards with their dashboard/json reports, by definition and inputs). Whatever an environment's compile reuses, its diagnostics and files are those of a
 * compile that reuses nothing.
 */
const REPO = path.join(import.meta.dirname, '../..');
const BASE = path.join(REPO, 'test/fixtures/base');

/** Diagnostics and emitted files of every compile, as comparable data. */
function outcome(loaded: LoadResult, reuse: boolean, emit = true) {
  // Without `conforming` and `documentReports`, every compile validates every definition and runs every check part;
  // without sharing, each renders its message templates and makes its dashboards itself.
  const project = reuse ? compileProject(loaded, { emit }) : compileProject(loaded, { emit, caches: { promql: new Map(), templates: new Map() }, share: false });
  return {
    diagnostics: project.diagnostics,
    compiles: [project.base, ...project.environments.map((e) => e.result)].map((r) => ({ diagnostics: r.diagnostics, files: r.artifacts.map((a) => [a.path, a.content]) })),
  };
}

async function baseSources() {
  const names = (await readdir(BASE)).sort();
  return Promise.all(names.map(async (name) => ({ file: `base/${name}`, text: await readFile(path.join(BASE, name), 'utf8') })));
}

/** The sources with `second`'s documents appended to `first`'s file. */
function joined(sources: { file: string; text: string }[], first: string, second: string) {
  const text = (file: string) => sources.find((s) => s.file === file)!.text;
  return sources.filter((s) => s.file !== second).map((s) => (s.file === first ? { file: s.file, text: `${text(first)}---\n${text(second)}` } : s));
}

/** A seeded generator, so a failing variant can be run again. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

/** Overrides that keep a definition valid, and ones that break its schema or its references, in one environment only. */
const OVERRIDES = [
  'receivers:\n    oncall: { sms: null, email: { to: [pager@example.com] } }',
  'receivers:\n    oncall: { sms: { to: 42 } }',
  'receivers:\n    team: { email: { to: [] } }',
  'receivers:\n    team: { webhook: { url: "http://hook:8080/x" } }',
  'alerts:\n    QueueDeep: { thresholds: { warning: { value: 150 } } }',
  'alerts:\n    QueueDeep: { thresholds: { warning: { value: "lots" } } }',
  'alerts:\n    QueueDeep: { enabled: false }',
  'alerts:\n    TargetDown: { for: 10x }',
  'alerts:\n    TargetDown: { summary: 7 }',
  'alerts:\n    TargetDown: { for: 30m1h }',
  'alerts:\n    QueueDeep: { runbook: "https://user:hunter2@runbooks.example.com/q" }',
  'receivers:\n    team: { webhook: { url: "http://hook:8080/${HOOK_TOKEN}" } }',
  'dashboards:\n    app: { title: App (env) }',
  'dashboards:\n    app: { rows: [{ title: T, panels: [{ title: Q, type: stat, queries: [{ expr: "max(queue_depth" }] }] }] }',
  'routes:\n    receiver: team',
  'routes:\n    receiver: nobody',
];

function environment(name: string, overrides: string[], extra = ''): string {
  const body = overrides.length ? `overrides:\n${overrides.map((o) => `  ${o}`).join('\n')}\n` : '';
  return `apiVersion: vigil/v1\nkind: Environment\nname: ${name}\nprometheus:\n  - { url: "http://prom-${name}:9090", rulesDir: /etc/prometheus/rules }\n${extra}${body}`;
}

describe('environment compiles reuse the shared compile’s schema outcomes and documents-only check parts', () => {
  it('randomised overrides, valid and not, in up to three environments: the same diagnostics and files as without reuse', async () => {
    const base = await baseSources();
    const next = random(12);
    let withEnvironmentErrors = 0;
    const documentsOnly = new Set(CHECKS.filter((c) => c.perFileReadsDocumentsOnly).map((c) => c.id));
    let documentsOnlyInEnvironment = 0;
    for (let variant = 0; variant < 16; variant++) {
      const environments = Array.from({ length: 1 + Math.floor(next() * 3) }, (_, i) => {
        const picked = [...new Set(Array.from({ length: Math.floor(next() * 3) }, () => OVERRIDES[Math.floor(next() * OVERRIDES.length)]!))];
        // Two overrides of the same section would be two keys of one mapping: keep the first of each.
        const sections = new Set<string>();
        const kept = picked.filter((o) => !sections.has(o.split(':')[0]!) && sections.add(o.split(':')[0]!));
        return { file: `base/env-${i}.yaml`, text: environment(`env${i}`, kept, next() < 0.3 ? 'externalLabels: { env: x }\n' : '') };
      });
      // Half the variants keep the receivers and the alerts in one file of two documents: an override of the second
      // leaves the file's first definition as it was.
      const sources = variant % 2 === 0 ? base : joined(base, 'base/receivers.yaml', 'base/alerts.yaml');
      const loaded = loadYamlSources([...sources, ...environments]);
      const reused = outcome(loaded, true);
      expect(reused, `variant ${variant}: ${environments.map((e) => e.text).join('---\n')}`).toEqual(outcome(loaded, false));
      if (reused.compiles.slice(1).some((c) => c.diagnostics.some((d) => d.code === 'schema') && !reused.compiles[0]!.diagnostics.some((d) => d.code === 'schema'))) withEnvironmentErrors++;
      if (reused.compiles.slice(1).some((c) => c.diagnostics.some((d) => documentsOnly.has(d.code)))) documentsOnlyInEnvironment++;
    }
    // The variants do break definitions in an environment only (what a wrong reuse would hide).
    expect(withEnvironmentErrors).toBeGreaterThan(3);
    expect(documentsOnlyInEnvironment).toBeGreaterThan(3);
  });

  it('the example (three environments, a TypeScript dashboard): the same diagnostics and files as without reuse', async () => {
    const loaded = await loadDirectory(path.join(REPO, 'examples/ml-platform'));
    // Checked only (what `vigil validate` does); test/bench/same-output.ts proves the example's files.
    const reused = outcome(loaded, true, false);
    expect(reused.compiles).toHaveLength(4);
    expect(reused).toEqual(outcome(loaded, false, false));
  }, 30_000);

  it('conformingByIdentity answers for the very definitions it was told of, not for equal ones', () => {
    const [def] = loadYaml('d.yaml', 'apiVersion: vigil/v1\nkind: Receivers\nreceivers: [{ name: r, email: { to: 3 } }]\n').definitions;
    const seen = new WeakMap<typeof def & object, KindName>();
    expect(validateDefinitions([def!], conformingByIdentity(seen)).valid).toEqual([]);
    // Told (wrongly) that it conforms, the definition is not validated again: the reuse is by identity only…
    seen.set(def!, 'Receivers');
    expect(validateDefinitions([def!], conformingByIdentity(seen)).valid).toHaveLength(1);
    // …and an equal copy (what an environment's override makes) is validated.
    const copy = { ...def!, value: structuredClone(def!.value) };
    expect(validateDefinitions([copy], conformingByIdentity(seen)).diagnostics.map((d) => d.code)).toEqual(['schema']);
  });
});

/** The clean project with a check fixture's files over it, in memory (as test/checks/fixtures.test.ts lays them out). */
async function fixtureSources(name: string, base: { file: string; text: string }[]) {
  const dir = path.join(REPO, 'test/fixtures/checks', name);
  const files = new Map(base.map((s) => [s.file, s.text]));
  for (const file of (await readdir(dir, { recursive: true })).sort()) {
    if (file === 'expect.yaml' || !/\.(ya?ml|json)$/.test(file)) continue;
    const text = await readFile(path.join(dir, file), 'utf8');
    if (text.trim() === '# delete') files.delete(`base/${file}`);
    else files.set(`base/${file}`, text);
  }
  return [...files].map(([file, text]) => ({ file, text }));
}

async function exampleYamlSources() {
  const dir = path.join(REPO, 'examples/ml-platform');
  const files = (await readdir(dir, { recursive: true })).filter((f) => /\.ya?ml$/.test(f)).sort();
  return Promise.all(files.map(async (f) => ({ file: `ml-platform/${f}`, text: await readFile(path.join(dir, f), 'utf8') })));
}

/** A context whose every member but `report` throws, and a report that refuses what depends on other definitions. */
function documentsOnlyContext(real: CheckContext): CheckContext {
  return new Proxy({} as CheckContext, {
    get(_, key) {
      if (key !== 'report') throw new Error(`read ctx.${String(key)}`);
      return (problem: Parameters<CheckContext['report']>[0]) => {
        if (problem.dangling || problem.uses) throw new Error('reported with dangling or uses, which depend on other definitions');
        real.report(problem);
      };
    },
  });
}

function documentsOnlyFile(file: FileItems): FileItems {
  const refuse = (what: string) => () => {
    throw new Error(`read file.${what}`);
  };
  return Object.defineProperties({ file: file.file, documents: file.documents } as FileItems, {
    groups: { get: refuse('groups') },
    dashboards: { get: refuse('dashboards') },
    expressions: { get: refuse('expressions') },
  });
}

describe('perFileReadsDocumentsOnly: what a check declares is what its per-file part reads', () => {
  it('over the clean project with every check fixture, and the example’s YAML files: the same reports, reading nothing else', async () => {
    const checks = CHECKS.filter((c) => c.perFileReadsDocumentsOnly);
    expect(checks.map((c) => c.id).sort()).toEqual(['duration/range', 'secret/literal', 'secret/placeholder']);
    const base = await baseSources();
    const projects = [
      ...(await Promise.all((await readdir(path.join(REPO, 'test/fixtures/checks'))).sort().map(async (name) => loadYamlSourcesWithJson(await fixtureSources(name, base))))),
      loadYamlSources(await exampleYamlSources()),
    ];
    let reported = 0;
    for (const loaded of projects) {
      const { model } = compile(loaded, { emit: false });
      const files = new FileScopes(loaded, loaded.definitions, model, undefined, undefined).files;
      for (const check of checks) {
        const plain = createCheckContext(model, []);
        const guarded = createCheckContext(model, []);
        plain.current = guarded.current = check;
        const reader = documentsOnlyContext(guarded.ctx);
        for (const file of files) {
          check.perFile!(plain.ctx, file);
          check.perFile!(reader, documentsOnlyFile(file));
        }
        expect(guarded.reports).toEqual(plain.reports);
        reported += plain.reports.length;
      }
    }
    // The fixtures do make these checks report (a part that reads nothing would pass trivially otherwise).
    expect(reported).toBeGreaterThan(5);
  }, 30_000);
});
