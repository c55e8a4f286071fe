// `vigil import rules` as a user runs it: files in, definitions out (or nothing, with located errors), the round trip
// proved with --verify, and the definitions it writes promtool-clean once built.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasCommand, runVigilAsync } from '../helpers/cli.ts';

const temps: string[] = [];
afterAll(async () => Promise.all(temps.map((t) => rm(t, { recursive: true, force: true }))));
async function temp(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-import-cli-'));
  temps.push(dir);
  return dir;
}

const RULES = `groups:
  - name: node
    interval: 30s
    rules:
      - alert: CpuHigh
        expr: sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m])) > 0.9
        for: 5m
        labels: { severity: warning }
        annotations: { summary: "CPU high on {{ $labels.instance }}" }
      - alert: CpuHigh
        expr: sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m])) > 0.97
        for: 2m
        labels: { severity: critical }
        annotations: { summary: "CPU high on {{ $labels.instance }}" }
      - alert: TargetDown
        expr: up == 0
        for: 1m
        labels: { severity: critical }
        annotations: { summary: "{{ $labels.instance }} is down" }
  - name: node-records
    rules:
      - record: instance:node_cpu:rate5m
        expr: sum by (instance) (rate(node_cpu_seconds_total[5m]))
`;

describe('vigil import rules', () => {
  it('writes a project that builds, and --verify proves the round trip', async () => {
    const dir = await temp();
    await writeFile(path.join(dir, 'node.rules.yml'), RULES);
    const run = await runVigilAsync(['import', 'rules', 'node.rules.yml', '--out', 'imported', '--verify'], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('imported 2 groups: 3 alerting rules as 2 alerts (1 folded), 1 recording rules; 7 files written to imported/');
    expect(run.stdout).toContain('verified: the build has the same 3 alerting and 1 recording rules in 2 groups as the input');
    expect((await readdir(path.join(dir, 'imported', 'rules'))).sort()).toEqual(['node-records.yaml', 'node.yaml']);
    const build = await runVigilAsync(['build', 'imported', '--out', 'generated'], dir);
    expect(build.code, build.stderr).toBe(0);
  }, 60_000);

  it.skipIf(!hasCommand('promtool'))('builds rule files promtool accepts', async () => {
    const dir = await temp();
    await writeFile(path.join(dir, 'node.rules.yml'), RULES);
    expect((await runVigilAsync(['import', 'rules', 'node.rules.yml', '--out', 'imported'], dir)).code).toBe(0);
    expect((await runVigilAsync(['build', 'imported', '--out', 'generated'], dir)).code).toBe(0);
    const { spawnSync } = await import('node:child_process');
    const files = (await readdir(path.join(dir, 'generated/prometheus/rules'))).map((f) => path.join(dir, 'generated/prometheus/rules', f));
    const check = spawnSync('promtool', ['check', 'rules', ...files], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
  }, 60_000);

  it('writes nothing for bad input and says where it is', async () => {
    const dir = await temp();
    await writeFile(path.join(dir, 'good.yml'), RULES);
    await writeFile(path.join(dir, 'bad.yml'), 'groups:\n  - name: g\n    rules:\n      - alert: A\n        exprr: up == 0\n');
    const run = await runVigilAsync(['import', 'rules', 'good.yml', 'bad.yml', '--out', 'imported'], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('bad.yml:5:9: error[import/rules]: unknown rule field "exprr"');
    expect(run.stderr).toContain('nothing was written');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(path.join(dir, 'imported'))).toBe(false);
  }, 60_000);

  it.each([
    [['import'], 'say what to import'],
    [['import', 'grafana', 'x.json', '--out', 'o'], 'cannot import "grafana" yet'],
    // Names Object.prototype has are no importers (they were internal errors).
    [['import', 'constructor', 'x.yml', '--out', 'o'], 'cannot import "constructor" yet'],
    [['import', 'toString', 'x.yml', '--out', 'o'], 'cannot import "toString" yet'],
    [['import', 'rules', '--out', 'o'], 'name at least one rules file'],
    [['import', 'rules', 'x.yml'], '--out DIR is required'],
  ])('refuses %j as a usage error', async (args, message) => {
    const run = await runVigilAsync(args, await temp());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('never writes into a directory that is not empty', async () => {
    const dir = await temp();
    await writeFile(path.join(dir, 'node.rules.yml'), RULES);
    await writeFile(path.join(dir, 'keep.txt'), 'mine');
    const run = await runVigilAsync(['import', 'rules', 'node.rules.yml', '--out', '.'], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not empty');
    expect((await readdir(dir)).sort()).toEqual(['keep.txt', 'node.rules.yml']);
  });
});
