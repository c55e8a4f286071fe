import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonReport } from '../../src/cli/print.ts';
import { compileProject } from '../../src/compile-project.ts';
import { loadDirectory, loadYamlSources, type LoadResult } from '../../src/load/index.ts';

/**
 * Issue #12 §3: `vigil validate` compiles the shared definitions and each environment in one run, and the compiles
 * share what does not differ between them (schema outcomes and documents-only check reports by definition, message
 * template renders by template and sample notice, dashboards and their dashboard/json reports by definition and
 * inputs). Whatever is shared, `vigil validate --format json` prints what it prints when every compile computes
 * everything itself — for the example, and for the example's YAML with environments overriding what an environment
 * can: thresholds (one a dashboard draws), receivers, routes, the relay's public URL and language, a dashboard.
 */
const REPO = path.join(import.meta.dirname, '../..');
const EXAMPLE = path.join(REPO, 'examples/ml-platform');

/** `vigil validate --format json`'s output for these definitions, with sharing between the compiles or without any. */
function validateJson(loaded: LoadResult, share: boolean): string {
  // Without `conforming` and `documentReports`, every compile validates every definition and runs every check part.
  const project = share ? compileProject(loaded, { emit: false }) : compileProject(loaded, { emit: false, caches: { promql: new Map(), templates: new Map() }, share: false });
  return jsonReport({ files: loaded.sources.length }, loaded, project.diagnostics);
}

async function exampleYaml(): Promise<{ file: string; text: string }[]> {
  const files = (await readdir(EXAMPLE, { recursive: true })).filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('environments/')).sort();
  return Promise.all(files.map(async (f) => ({ file: `ml-platform/${f}`, text: await readFile(path.join(EXAMPLE, f), 'utf8') })));
}

function environment(name: string, body: string): { file: string; text: string } {
  return {
    file: `ml-platform/environments/${name}.yaml`,
    text: `apiVersion: vigil/v1\nkind: Environment\nname: ${name}\nprometheus:\n  - { url: "http://prom-${name}:9090", rulesDir: /etc/prometheus/rules }\n${body}`,
  };
}

const relay = (publicUrl?: string, language?: string) =>
  `relay:\n  url: "http://relay:9095"\n  token: { env: RELAY_TOKEN }\n${publicUrl ? `  publicUrl: "${publicUrl}"\n` : ''}${language ? `  language: ${language}\n` : ''}`;

/** Each variant: the environments it declares (name → the Environment's fields after prometheus). */
const VARIANTS: [string, Record<string, string>][] = [
  ['no environment', {}],
  ['one environment, no overrides', { a: '' }],
  ['a threshold a dashboard draws, in one of two', { a: 'overrides:\n  alerts:\n    NodeCpuHigh: { thresholds: { warning: { value: 70 } } }\n', b: '' }],
  ['the same threshold in two, another in a third', { a: 'overrides:\n  alerts:\n    NodeCpuHigh: { thresholds: { warning: { value: 70 } } }\n', b: 'overrides:\n  alerts:\n    NodeCpuHigh: { thresholds: { warning: { value: 70 } } }\n', c: 'overrides:\n  alerts:\n    GpuMemoryHigh: { thresholds: { warning: { value: 90 } } }\n' }],
  ['a threshold of the wrong type', { a: 'overrides:\n  alerts:\n    NodeCpuHigh: { thresholds: { warning: { value: lots } } }\n' }],
  ['an alert switched off, another summarised differently', { a: 'overrides:\n  alerts:\n    GpuMemoryHigh: { enabled: false }\n', b: 'overrides:\n  alerts:\n    NodeCpuHigh: { summary: "CPU {{ $labels.instance }} is busy" }\n' }],
  ['receivers: SMS to more phones, the on-call receiver in a chat instead', { a: 'overrides:\n  receivers:\n    oncall: { sms: { to: ["+8613800000000", "+8613900000000"] } }\n', b: 'overrides:\n  receivers:\n    oncall: { sms: null, dingtalk: { webhook: { env: DEV_HOOK }, secret: { env: DEV_SECRET } } }\n' }],
  ['a receiver that does not exist', { a: 'overrides:\n  receivers:\n    nobody: { email: { to: [x@example.com] } }\n' }],
  ['routes: another root receiver, and an unknown one', { a: 'overrides:\n  routes:\n    receiver: oncall\n', b: 'overrides:\n  routes:\n    receiver: nobody\n' }],
  ['routes that send every critical alert to the managers', { a: "overrides:\n  routes:\n    routes:\n      - matchers: ['severity=\"critical\"']\n        receivers: [ml-managers, oncall]\n" }],
  ['the relay: public URLs alike, different and absent', { a: relay('https://relay.example.com'), b: relay('https://relay.example.com'), c: relay('https://relay.c.example.com'), d: relay() }],
  ['the relay in English in one, a summary too long for DingTalk in another', { a: relay('https://relay.example.com', 'en'), b: `${relay('https://relay.example.com')}overrides:\n  alerts:\n    GpuMemoryHigh: { summary: "${'x'.repeat(20000)}" }\n` }],
  ['a dashboard retitled and one broken', { a: 'overrides:\n  dashboards:\n    system-overview: { title: System (a) }\n', b: 'overrides:\n  dashboards:\n    system-overview: { rows: [{ title: T, panels: [{ title: Q, type: stat, queries: [{ expr: "max(up" }] }] }] }\n' }],
  ['external labels, and a threshold with the relay', { a: 'externalLabels: { env: a }\n', b: `${relay('https://relay.b.example.com')}overrides:\n  alerts:\n    NodeCpuHigh: { thresholds: { critical: { value: 99 } } }\n` }],
];

describe('vigil validate --format json: the same output whether the compiles share their work or not', () => {
  it('the example (three environments, a TypeScript dashboard)', async () => {
    const loaded = await loadDirectory(EXAMPLE);
    const shared = validateJson(loaded, true);
    expect(JSON.parse(shared).files).toBeGreaterThan(30);
    expect(shared).toEqual(validateJson(loaded, false));
  }, 30_000);

  it.each(VARIANTS)('the example’s YAML, %s', async (_, environments) => {
    const sources = [...(await exampleYaml()), ...Object.entries(environments).map(([name, body]) => environment(name, body))];
    const loaded = loadYamlSources(sources);
    expect(validateJson(loaded, true)).toEqual(validateJson(loaded, false));
  }, 30_000);

  it('the variants do differ between environments where a wrong reuse would show', async () => {
    // A broken override and an unknown receiver are reported for that environment only; a 20,000-character summary
    // makes a DingTalk message over its limit that only that environment's renders measure.
    const codes = async (environments: Record<string, string>) => {
      const loaded = loadYamlSources([...(await exampleYaml()), ...Object.entries(environments).map(([name, body]) => environment(name, body))]);
      return (JSON.parse(validateJson(loaded, true)) as { diagnostics: { code: string }[] }).diagnostics.map((d) => d.code);
    };
    expect(await codes(VARIANTS[4]![1])).toContain('schema');
    expect(await codes(VARIANTS[7]![1])).toContain('env/override');
    const long = await codes(VARIANTS[11]![1]);
    expect(long.filter((c) => c === 'template/message').length).toBeGreaterThan((await codes({ a: VARIANTS[11]![1].a! })).filter((c) => c === 'template/message').length);
  }, 60_000);
});
