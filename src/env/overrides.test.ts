import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../compile.ts';
import { loadYamlSources } from '../load/index.ts';
import { compileProject } from '../compile-project.ts';
import { mergeOverride } from './overrides.ts';

const BASE_DIR = path.resolve(import.meta.dirname, '../../test/fixtures/base');

async function withEnvironments(...environments: string[]) {
  const sources = [];
  for (const file of (await readdir(BASE_DIR)).sort()) sources.push({ file, text: await readFile(path.join(BASE_DIR, file), 'utf8') });
  environments.forEach((text, i) => sources.push({ file: `env-${i}.yaml`, text }));
  return loadYamlSources(sources);
}

const env = (name: string, rest = '') => `apiVersion: vigil/v1
kind: Environment
name: ${name}
prometheus:
  - { url: "http://127.0.0.1:9090", rulesDir: /tmp/rules }
alertmanager: { configFile: /tmp/am.yml, peers: ["http://127.0.0.1:9093"] }
${rest}`;

const ruleOf = (content: string, level: string) => content.split('- alert: ').find((r) => r.includes(`severity: ${level}`));

describe('mergeOverride', () => {
  it('merges objects, replaces lists and values, and removes keys set to null', () => {
    const base = { a: { b: 1, c: [1, 2] }, d: 'x', e: 1 };
    expect(mergeOverride(base, { a: { c: [3] }, d: null, f: true })).toEqual({ a: { b: 1, c: [3] }, e: 1, f: true });
    expect(base).toEqual({ a: { b: 1, c: [1, 2] }, d: 'x', e: 1 });
  });

  it.each([
    [{ env: 'A' }, { file: '/run/b' }],
    [{ file: '/run/b' }, { env: 'A' }],
    [{ env: 'A' }, { env: 'B' }],
  ])('replaces a secret reference whole: %j under %j', (base, override) => {
    expect(mergeOverride({ relay: { url: 'u', token: base } }, { relay: { token: override } })).toEqual({ relay: { url: 'u', token: override } });
  });
});

describe('environment overrides', () => {
  it('changes one threshold of one environment and leaves the shared build alone', async () => {
    const loaded = await withEnvironments(env('prod', 'overrides:\n  alerts:\n    QueueDeep: { thresholds: { warning: { value: 250 } } }\n'), env('dev'));
    const project = compileProject(loaded);
    expect(project.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const file = (p: string) => project.artifacts.find((a) => a.path === p)!.content;
    expect(ruleOf(file('prod/prometheus/rules/app.yml'), 'warning')).toContain('> 250');
    expect(ruleOf(file('prod/prometheus/rules/app.yml'), 'critical')).toContain('> 500');
    // dev overrides nothing of app.yml: its tree holds no copy, it reads the shared file (build/overlay.ts).
    expect(project.artifacts.some((a) => a.path === 'dev/prometheus/rules/app.yml')).toBe(false);
    expect(ruleOf(project.environments.find((e) => e.name === 'dev')!.result.artifacts.find((a) => a.path === 'prometheus/rules/app.yml')!.content, 'warning')).toContain('> 100');
    expect(ruleOf(file('prometheus/rules/app.yml'), 'warning')).toContain('> 100');
  });

  it('reports a problem an override causes at the override, in the Environment file', async () => {
    const text = env('prod', 'overrides:\n  alerts:\n    QueueDeep: { thresholds: { warning: { value: 900 } } }\n');
    const result = compile(await withEnvironments(text), { environment: 'prod' });
    const order = result.diagnostics.find((d) => d.code === 'threshold/order');
    expect(order?.message).toBe('alert QueueDeep: critical threshold > 500 is not above warning threshold > 900');
    expect(order?.span?.file).toBe('alerts.yaml');
    const warning = order!.related![0]!.span;
    expect(warning.file).toBe('env-0.yaml');
    expect(text.slice(warning.start, warning.end)).toBe('900');
  });

  it('validates overridden values against the schema', async () => {
    const text = env('prod', 'overrides:\n  alerts:\n    QueueDeep: { thresholds: { warning: { value: "high" } } }\n');
    const result = compile(await withEnvironments(text), { environment: 'prod' });
    const schema = result.diagnostics.find((d) => d.code === 'schema');
    expect(schema?.span?.file).toBe('env-0.yaml');
    expect(text.slice(schema!.span!.start, schema!.span!.end)).toContain('high');
  });

  it('names an unknown alert or receiver with a did-you-mean hint', async () => {
    const text = env('prod', 'overrides:\n  alerts:\n    QueueDep: { enabled: false }\n  receivers:\n    pager: { sms: { to: ["+1"] } }\n');
    const result = compile(await withEnvironments(text), { environment: 'prod' });
    const problems = result.diagnostics.filter((d) => d.code === 'env/override');
    expect(problems.map((d) => d.message)).toEqual([
      'environment "prod" overrides alert "QueueDep", which no definition declares',
      'environment "prod" overrides receiver "pager", which no definition declares',
    ]);
    expect(problems[0]!.hint).toBe('did you mean "QueueDeep"?');
    expect(text.slice(problems[0]!.span!.start, problems[0]!.span!.end)).toBe('QueueDep');
  });

  it('disables an alert, swaps a receiver channel and overrides routes', async () => {
    const loaded = await withEnvironments(
      env('dev', 'overrides:\n  alerts:\n    TargetDown: { enabled: false }\n  receivers:\n    oncall: { sms: null, email: { to: [dev@example.com] } }\n  routes: { groupBy: [alertname] }\n'),
    );
    const result = compile(loaded, { environment: 'dev' });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const am = result.artifacts.find((a) => a.path === 'alertmanager/alertmanager.yml')!.content;
    expect(am).toContain('dev@example.com');
    expect(am).toMatch(/group_by:\n\s+- alertname\n\s+(?!- )/);
    expect(result.artifacts.find((a) => a.path === 'prometheus/rules/app.yml')!.content).not.toContain('TargetDown');
  });

  it('fails clearly for an environment that is not declared', async () => {
    const result = compile(await withEnvironments(env('prod')), { environment: 'prd' });
    const d = result.diagnostics.find((x) => x.code === 'env/unknown');
    expect(d?.message).toBe('no Environment named "prd" (declared: prod)');
    expect(d?.hint).toBe('did you mean "prod"?');
  });

  it('writes the shared tree at the root and one tree per environment', async () => {
    const project = compileProject(await withEnvironments(env('a'), env('b')));
    const roots = new Set(project.artifacts.map((a) => a.path.split('/')[0]));
    expect(roots).toEqual(new Set(['a', 'b', 'alertmanager', 'docs', 'grafana', 'instrumentation', 'manifest.json', 'prometheus', 'relay', 'secrets.json']));
    expect(project.artifacts.some((a) => a.path === 'a/prometheus/prometheus-prom-0.yml')).toBe(true);
    expect(project.artifacts.some((a) => a.path.startsWith('prometheus/prometheus-'))).toBe(false);
  });
});
