// Proves Vigil's routing matrix against the real amtool (Alertmanager 0.25): the example project agrees row by row,
// and a deliberately altered configuration makes exactly the affected rows disagree.
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compile, type CompileResult } from '../compile.ts';
import type { Artifact } from '../emit/artifact.ts';
import { loadDirectory } from '../load/index.ts';
import { levelRouting } from '../routing/levels.ts';
import { EXAMPLE } from '../../test/helpers/example.ts';
import { compileBase } from '../../test/helpers/model.ts';
import { proveRoutingWithAmtool } from './routing-proof.ts';

const amtoolFound = spawnSync('amtool', ['--version']).status === 0;
if (!amtoolFound) console.warn('routing-proof.test.ts: skipped, `amtool` is not on PATH (apt-get install prometheus-alertmanager)');

let dir = '';
let example: CompileResult;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-routing-proof-'));
  example = compile(await loadDirectory(EXAMPLE));
  expect(example.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Writes the alertmanager/ artifacts under <dir>/<name>/ (optionally edited) and returns the config path. */
async function writeConfig(name: string, artifacts: Artifact[], edit: (yml: string) => string = (s) => s): Promise<string> {
  for (const a of artifacts.filter((x) => x.path.startsWith('alertmanager/'))) {
    const target = path.join(dir, name, a.path);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, a.path.endsWith('alertmanager.yml') ? edit(a.content) : a.content);
  }
  return path.join(dir, name, 'alertmanager/alertmanager.yml');
}

describe.skipIf(!amtoolFound)('proveRoutingWithAmtool', () => {
  it('agrees with amtool on every alert level of the example project, quickly', async () => {
    const file = await writeConfig('example', example.artifacts);
    const started = performance.now();
    const { rows, error } = await proveRoutingWithAmtool(example.model, file);
    const ms = performance.now() - started;
    expect(error).toBeUndefined();
    expect(rows).toHaveLength(levelRouting(example.model).length);
    expect(rows.length).toBeGreaterThanOrEqual(30);
    expect(rows.filter((r) => !r.agree)).toEqual([]);
    expect(rows.find((r) => r.alert === 'NodeDown' && r.level === 'critical')).toMatchObject({
      vigil: ['oncall', 'infra-team', 'ops-wecom'],
      amtool: ['oncall', 'infra-team', 'ops-wecom'],
      labels: { alertname: 'NodeDown', severity: 'critical', team: 'infra' },
    });
    expect(ms).toBeLessThan(5_000);
  });

  it('fails the rows a changed route affects, and only those (the proof can fail)', async () => {
    // the info route now names another receiver: every info level must disagree, nothing else
    const file = await writeConfig('altered', example.artifacts, (yml) => {
      const edited = yml.replace('    - receiver: audit\n      matchers:\n        - severity="info"\n', '    - receiver: ml-team\n      matchers:\n        - severity="info"\n');
      expect(edited).not.toBe(yml);
      return edited;
    });
    const { rows } = await proveRoutingWithAmtool(example.model, file);
    const disagree = rows.filter((r) => !r.agree);
    expect(disagree.length).toBeGreaterThan(0);
    expect(disagree.map((r) => `${r.alert}/${r.level}`)).toEqual(rows.filter((r) => r.level === 'info').map((r) => `${r.alert}/${r.level}`));
    for (const r of disagree) expect(r).toMatchObject({ vigil: ['audit'], amtool: ['ml-team'], agree: false });
    expect(disagree.every((r) => r.error === undefined)).toBe(true);
  });

  it('compares ordered lists with duplicates, as amtool prints them', async () => {
    const result = await compileBase({
      'routes.yaml': `apiVersion: vigil/v1
kind: Routes
receiver: team
routes:
  - matchers: ['severity="critical"']
    receivers: [oncall]
    continue: true
  - matchers: ['team="app"']
    receivers: [oncall, team]
`,
    });
    const file = await writeConfig('duplicates', result.artifacts);
    const { rows } = await proveRoutingWithAmtool(result.model, file);
    const critical = rows.find((r) => r.alert === 'QueueDeep' && r.level === 'critical')!;
    expect(critical).toMatchObject({ vigil: ['oncall', 'oncall', 'team'], amtool: ['oncall', 'oncall', 'team'], agree: true });
    expect(rows.every((r) => r.agree)).toBe(true);
    // the same set of receivers reached a different number of times is not the same routing
    const swapped = await writeConfig('duplicates-swapped', result.artifacts, (yml) => yml.replace(/(- receiver: )oncall(\n\s+matchers:\n\s+- team="app")/, '$1team$2'));
    const after = await proveRoutingWithAmtool(result.model, swapped);
    expect(after.rows.find((r) => r.alert === 'QueueDeep' && r.level === 'critical')).toMatchObject({ amtool: ['oncall', 'team', 'team'], agree: false });
  });

  it('routes a level whose severity says label: false by the labels its rule really carries, as amtool does', async () => {
    const result = await compileBase({
      'severities.yaml': `apiVersion: vigil/v1
kind: Severities
levels:
  - { name: critical }
  - { name: warning }
  - { name: none, label: false }
`,
      // With a severity label the alert would take the first route; without one only the second can take it.
      'routes.yaml': `apiVersion: vigil/v1
kind: Routes
receiver: team
routes:
  - matchers: ['severity="none"']
    receivers: [oncall]
  - matchers: ['alertname="QueueQuiet"']
    receivers: [team]
  - matchers: ['team="app"']
    receivers: [oncall]
`,
      'quiet.yaml': `apiVersion: vigil/v1
kind: AlertRules
group: quiet
labels: { team: app }
alerts:
  - name: QueueQuiet
    expr: max by (service) (queue_depth) > 100
    severity: none
    summary: "Queue of {{ $labels.service }} holds {{ $value }} items"
    runbook: https://runbooks.example.com/queue
`,
    });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const rule = (parse(result.artifacts.find((a) => a.path === 'prometheus/rules/quiet.yml')!.content) as { groups: { rules: { labels: Record<string, string> }[] }[] }).groups[0]!.rules[0]!;
    const row = levelRouting(result.model).find((r) => r.alert.name === 'QueueQuiet')!;
    expect(row.labels).toEqual({ ...rule.labels, alertname: 'QueueQuiet' });
    const file = await writeConfig('unlabelled', result.artifacts);
    const { rows } = await proveRoutingWithAmtool(result.model, file);
    expect(rows.find((r) => r.alert === 'QueueQuiet')).toMatchObject({ labels: { alertname: 'QueueQuiet', team: 'app' }, vigil: ['team'], amtool: ['team'], agree: true });
  });

  it('reports a configuration amtool cannot load as an error on each row, not as agreement', async () => {
    const file = await writeConfig('broken', example.artifacts, (yml) => yml.replace('route:\n  receiver: ops-wecom', 'route:\n  receiver: nobody'));
    const { rows } = await proveRoutingWithAmtool(example.model, file);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => !r.agree && r.error !== undefined)).toBe(true);
    expect(rows[0]!.error).toMatch(/nobody/);
  });
});

describe('proveRoutingWithAmtool without amtool', () => {
  it('says amtool is missing instead of failing every row', async () => {
    const result = await compileBase();
    const proof = await proveRoutingWithAmtool(result.model, '/nonexistent.yml', { amtool: 'vigil-no-such-amtool' });
    expect(proof.rows).toEqual([]);
    expect(proof.error).toMatch(/vigil-no-such-amtool not found on PATH/);
  });
});
