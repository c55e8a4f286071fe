import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALERTMANAGER_SILENCES_PATH, BUILD_FILE } from '../build/paths.ts';
import { compile } from '../compile.ts';
import { compileProject } from '../compile-project.ts';
import { loadYamlSources } from '../load/index.ts';
import { parseTime } from '../model/kinds/silences.ts';
import { parseSilencesFile } from './document.ts';

const BASE = path.resolve(import.meta.dirname, '../../test/fixtures/base');

async function project(extra: Record<string, string>) {
  const sources = [];
  for (const file of (await readdir(BASE)).sort()) sources.push({ file, text: await readFile(path.join(BASE, file), 'utf8') });
  for (const [file, text] of Object.entries(extra)) sources.push({ file, text });
  return loadYamlSources(sources);
}

const environment = (name: string) =>
  `apiVersion: vigil/v1\nkind: Environment\nname: ${name}\nprometheus:\n  - { url: "http://prom-${name}:9090", rulesDir: /r }\nalertmanager:\n  peers: ["http://am-${name}:9093"]\nscrape:\n  node_exporter: { targets: ["n:9100"] }\n  app: { targets: ["a:8080"] }\n`;

const entry = (name: string, matchers: string, extra = '') =>
  `  - name: ${name}\n    matchers: [${matchers}]\n    startsAt: 2099-01-02T01:00:00+08:00\n    duration: 4h\n    createdBy: alice\n    comment: OPS-1\n${extra}`;

const silences = (...entries: string[]) => `apiVersion: vigil/v1\nkind: Silences\nsilences:\n${entries.join('')}`;

describe('alertmanager/silences.json', () => {
  it('holds every silence in the shared tree and only its own in each Environment, times in UTC, deterministic', async () => {
    const loaded = await project({
      'env-prod.yaml': environment('prod'),
      'env-staging.yaml': environment('staging'),
      'silences.yaml': silences(entry('zeta', `'alertname="TargetDown"', 'instance="gpu-3:9100"'`), entry('alpha', `'alertname="QueueDeep"'`, '    environments: [prod]\n')),
    });
    const build = compileProject(loaded);
    expect(build.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const file = (env?: string) => build.environments.find((e) => e.name === env)?.result.artifacts ?? build.base.artifacts;
    const read = (env?: string) => parseSilencesFile(file(env).find((a) => a.path === ALERTMANAGER_SILENCES_PATH)!.content);
    expect(read().silences.map((s) => [s.name, s.environments])).toEqual([['alpha', ['prod']], ['zeta', undefined]]);
    expect(read('prod').silences.map((s) => s.name)).toEqual(['alpha', 'zeta']);
    expect(read('staging').silences.map((s) => s.name)).toEqual(['zeta']);
    const zeta = read('staging').silences[0]!;
    expect(zeta).toEqual({
      name: 'zeta',
      matchers: [{ name: 'alertname', value: 'TargetDown', isRegex: false, isEqual: true }, { name: 'instance', value: 'gpu-3:9100', isRegex: false, isEqual: true }],
      startsAt: '2099-01-01T17:00:00.000Z',
      endsAt: '2099-01-01T21:00:00.000Z',
      createdBy: 'alice',
      comment: '[vigil fixture/zeta] OPS-1',
    });
    expect(compileProject(loaded).artifacts).toEqual(build.artifacts);
    expect(BUILD_FILE.test(ALERTMANAGER_SILENCES_PATH)).toBe(true);
  });

  it('is not written when the project has no Silences, and lists none (an empty list expires the old ones) when it has an empty one', async () => {
    expect(compile(await project({})).artifacts.some((a) => a.path === ALERTMANAGER_SILENCES_PATH)).toBe(false);
    const empty = compile(await project({ 'silences.yaml': 'apiVersion: vigil/v1\nkind: Silences\nsilences: []\n' }));
    expect(parseSilencesFile(empty.artifacts.find((a) => a.path === ALERTMANAGER_SILENCES_PATH)!.content).silences).toEqual([]);
  });

  it('lists each silence in docs/routing.md with its window and the levels it mutes', async () => {
    const result = compile(await project({ 'silences.yaml': silences(entry('node', `'alertname="TargetDown"', 'instance="gpu-3:9100"'`), entry('queue', `'alertname="QueueDeep"', 'severity="critical"'`), entry('none', `'alertname="Nope"'`)) }));
    const doc = result.artifacts.find((a) => a.path === 'docs/routing.md')!.content;
    expect(doc).toContain('| node | 2099-01-01T17:00:00.000Z → 2099-01-01T21:00:00.000Z | all | `alertname="TargetDown"`, `instance="gpu-3:9100"` | TargetDown critical (where `instance` matches) → oncall, team |');
    expect(doc).toContain('| queue | 2099-01-01T17:00:00.000Z → 2099-01-01T21:00:00.000Z | all | `alertname="QueueDeep"`, `severity="critical"` | QueueDeep critical → oncall, team |');
    expect(doc).toContain('| none | 2099-01-01T17:00:00.000Z → 2099-01-01T21:00:00.000Z | all | `alertname="Nope"` | nothing |');
  });
});

describe('silence/expired reads the context’s now', () => {
  it.each([
    ['a second before the end', '2099-01-01T20:59:59Z', false],
    ['at the end', '2099-01-01T21:00:00Z', true],
    ['after the end', '2099-01-02T00:00:00Z', true],
  ])('%s', async (_what, now, expired) => {
    const result = compile(await project({ 'silences.yaml': silences(entry('node', `'alertname="TargetDown"'`)) }), { now: new Date(now), emit: false });
    expect(result.diagnostics.some((d) => d.code === 'silence/expired')).toBe(expired);
  });
});

describe('silence/no-match: fixed labels decide, labels only the series carry may match', () => {
  it.each([
    ['a wrong alertname', `'alertname="TargetDwn"'`, true],
    ['a severity the alert never has', `'alertname="TargetDown"', 'severity="warning"'`, true],
    ['an unknown instance of an alert whose series carry instance', `'alertname="TargetDown"', 'instance="gpu-99:9100"'`, false],
    ['instance on an alert aggregated by service only', `'alertname="QueueDeep"', 'instance="gpu-3:9100"'`, true],
    ['a negative matcher on a label no series carries', `'alertname="QueueDeep"', 'instance!="gpu-3:9100"'`, false],
    ['the group label', `'team="app"'`, false],
    ['a wrong group label', `'team="infra"'`, true],
    ['a regex over alert names', `'alertname=~"Queue.*|Nope"'`, false],
  ])('%s', async (_what, matchers, reported) => {
    const result = compile(await project({ 'silences.yaml': silences(entry('s', matchers)) }), { emit: false });
    expect(result.diagnostics.filter((d) => d.code === 'silence/no-match').length).toBe(reported ? 1 : 0);
  });
});

describe('silence/no-match with Environments', () => {
  it('judges a silence with the external labels of each Environment it applies to', async () => {
    const prod = environment('prod').replace('scrape:', 'externalLabels: { env: prod }\nscrape:');
    const staging = environment('staging').replace('scrape:', 'externalLabels: { env: staging }\nscrape:');
    const only = (extra: string) => silences(entry('s', `'alertname="TargetDown"', 'env="prod"'`, extra));
    const noMatch = async (text: string) => compileProject(await project({ 'env-prod.yaml': prod, 'env-staging.yaml': staging, 'silences.yaml': text })).diagnostics.filter((d) => d.code === 'silence/no-match').map((d) => d.message);
    expect(await noMatch(only('    environments: [prod]\n'))).toEqual([]);
    expect(await noMatch(only(''))).toEqual(['silence "s" matches no alert the definitions produce in Environment staging']);
  });
});

describe('silence times', () => {
  it.each([
    ['2026-12-05T01:00:00Z', Date.UTC(2026, 11, 5, 1)],
    ['2026-12-05T09:00:00+08:00', Date.UTC(2026, 11, 5, 1)],
    ['2026-12-05T01:00:00.250Z', Date.UTC(2026, 11, 5, 1, 0, 0, 250)],
    ['2028-02-29T00:00:00Z', Date.UTC(2028, 1, 29)],
    ['2026-02-29T00:00:00Z', NaN],
    ['2026-02-30T00:00:00Z', NaN],
    ['2026-04-31T00:00:00Z', NaN],
    ['2026-13-01T00:00:00Z', NaN],
    ['2026-12-05T24:00:00Z', NaN],
  ])('%s', (text, ms) => {
    expect(parseTime(text)).toBe(ms);
  });

  it('a date that does not exist is a located silence/window error, not a date in the next month', async () => {
    const text = silences(entry('s', `'alertname="TargetDown"'`).replace('startsAt: 2099-01-02T01:00:00+08:00', 'startsAt: 2099-02-30T01:00:00Z'));
    const result = compile(await project({ 'silences.yaml': text }), { emit: false });
    expect(result.diagnostics.filter((d) => d.code === 'silence/window').map((d) => d.message)).toEqual(['silence "s": startsAt is not a date']);
  });
});
