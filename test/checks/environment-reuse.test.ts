import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileProject } from '../../src/compile-project.ts';
import { loadDirectory, loadYamlSources, type LoadResult } from '../../src/load/index.ts';
import { loadYaml } from '../../src/load/yaml.ts';
import { conformingByIdentity, validateDefinitions } from '../../src/spec/validate.ts';
import type { KindName } from '../../src/spec/kinds.ts';

/**
 * Issue #12 §3 (validate of the example): an environment's compile takes what the shared compile found of the
 * definitions its overrides leave alone (schema conformance, by identity). Whatever an environment's compile reuses,
 * its diagnostics and files are those of a compile that reuses nothing.
 */
const REPO = path.join(import.meta.dirname, '../..');
const BASE = path.join(REPO, 'test/fixtures/base');

/** Diagnostics and emitted files of every compile, as comparable data. */
function outcome(loaded: LoadResult, reuse: boolean) {
  // Without `conforming`, every compile validates every definition against its schema.
  const project = reuse ? compileProject(loaded) : compileProject(loaded, { caches: { promql: new Map(), templates: new Map() } });
  return {
    diagnostics: project.diagnostics,
    compiles: [project.base, ...project.environments.map((e) => e.result)].map((r) => ({ diagnostics: r.diagnostics, files: r.artifacts.map((a) => [a.path, a.content]) })),
  };
}

async function baseSources() {
  const names = (await readdir(BASE)).sort();
  return Promise.all(names.map(async (name) => ({ file: `base/${name}`, text: await readFile(path.join(BASE, name), 'utf8') })));
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
  'dashboards:\n    app: { title: App (env) }',
  'dashboards:\n    app: { rows: [{ title: T, panels: [{ title: Q, type: stat, queries: [{ expr: "max(queue_depth" }] }] }] }',
  'routes:\n    receiver: team',
  'routes:\n    receiver: nobody',
];

function environment(name: string, overrides: string[], extra = ''): string {
  const body = overrides.length ? `overrides:\n${overrides.map((o) => `  ${o}`).join('\n')}\n` : '';
  return `apiVersion: vigil/v1\nkind: Environment\nname: ${name}\nprometheus:\n  - { url: "http://prom-${name}:9090", rulesDir: /etc/prometheus/rules }\n${extra}${body}`;
}

describe('environment compiles reuse the shared compile’s schema outcomes', () => {
  it('randomised overrides, valid and not, in up to three environments: the same diagnostics and files as without reuse', async () => {
    const base = await baseSources();
    const next = random(12);
    let withEnvironmentErrors = 0;
    for (let variant = 0; variant < 24; variant++) {
      const environments = Array.from({ length: 1 + Math.floor(next() * 3) }, (_, i) => {
        const picked = [...new Set(Array.from({ length: Math.floor(next() * 3) }, () => OVERRIDES[Math.floor(next() * OVERRIDES.length)]!))];
        // Two overrides of the same section would be two keys of one mapping: keep the first of each.
        const sections = new Set<string>();
        const kept = picked.filter((o) => !sections.has(o.split(':')[0]!) && sections.add(o.split(':')[0]!));
        return { file: `base/env-${i}.yaml`, text: environment(`env${i}`, kept, next() < 0.3 ? 'externalLabels: { env: x }\n' : '') };
      });
      const loaded = loadYamlSources([...base, ...environments]);
      const reused = outcome(loaded, true);
      expect(reused, `variant ${variant}: ${environments.map((e) => e.text).join('---\n')}`).toEqual(outcome(loaded, false));
      if (reused.compiles.slice(1).some((c) => c.diagnostics.some((d) => d.code === 'schema') && !reused.compiles[0]!.diagnostics.some((d) => d.code === 'schema'))) withEnvironmentErrors++;
    }
    // The variants do break definitions in an environment only (what a wrong reuse would hide).
    expect(withEnvironmentErrors).toBeGreaterThan(3);
  });

  it('the example (three environments, a TypeScript dashboard): the same diagnostics and files as without reuse', async () => {
    const loaded = await loadDirectory(path.join(REPO, 'examples/ml-platform'));
    const reused = outcome(loaded, true);
    expect(reused.compiles).toHaveLength(4);
    expect(reused).toEqual(outcome(loaded, false));
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
