import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { compileProject } from '../compile-project.ts';
import { lineColAt } from '../diagnostics.ts';
import { loadDirectory } from '../load/index.ts';
import { inferCatalogue } from './catalogue.ts';
import { foldGroups } from './fold.ts';
import { importRules } from './import-rules.ts';
import { readRuleSource } from './rule-sources.ts';
import { verifyRules } from './verify-rules.ts';

const temps: string[] = [];
afterAll(async () => Promise.all(temps.map((t) => rm(t, { recursive: true, force: true }))));

const ruleFile = (rules: string, group = 'g') => `groups:\n  - name: ${group}\n    rules:\n${rules}`;
const alertRule = (name: string, expr: string, severity?: string, extra = '') =>
  `      - alert: ${name}\n        expr: ${JSON.stringify(expr)}\n${severity ? `        labels: { severity: ${severity} }\n` : ''}${extra}`;

function foldedAlerts(text: string): Record<string, unknown>[] {
  const read = readRuleSource('in.yml', text);
  expect(read.diagnostics).toEqual([]);
  return foldGroups(read.groups).groups[0]!.alertRules!.alerts as Record<string, unknown>[];
}

describe('folding alerts of one name', () => {
  it('folds levels that differ only in the threshold and for, the left operand as written', () => {
    const alerts = foldedAlerts(ruleFile(alertRule('CpuHigh', 'sum(rate(cpu_seconds_total[5m])) > 0.9', 'warning', '        for: 5m\n') + alertRule('CpuHigh', '(sum(rate(cpu_seconds_total[5m]))) > 0.97', 'critical')));
    expect(alerts).toEqual([{ name: 'CpuHigh', expr: 'sum(rate(cpu_seconds_total[5m]))', thresholds: { warning: { op: '>', value: 0.9, for: '5m' }, critical: { op: '>', value: 0.97 } } }]);
  });

  it.each([
    ['different expressions', alertRule('A', 'x > 1', 'warning') + alertRule('A', 'y > 2', 'critical')],
    ['the same severity twice', alertRule('A', 'x > 1', 'warning') + alertRule('A', 'x > 2', 'warning')],
    ['comparisons pointing both ways', alertRule('A', 'x > 1', 'warning') + alertRule('A', 'x < 2', 'critical')],
    ['a bool comparison', alertRule('A', 'x > bool 1', 'warning') + alertRule('A', 'x > bool 2', 'critical')],
    ['different annotations', alertRule('A', 'x > 1', 'warning', '        annotations: { summary: low }\n') + alertRule('A', 'x > 2', 'critical', '        annotations: { summary: high }\n')],
    ['a level without severity', alertRule('A', 'x > 1', 'warning') + alertRule('A', 'x > 2')],
    ['no comparison with a number', alertRule('A', 'x > y', 'warning') + alertRule('A', 'x > z', 'critical')],
  ])('keeps the rules one by one when they have %s', (_why, rules) => {
    const [alert] = foldedAlerts(ruleFile(rules));
    expect(alert).not.toHaveProperty('thresholds');
    expect((alert!.rules as unknown[]).length).toBe(2);
  });

  it('keeps what the kept rules share on the alert, and each rule what is its own', () => {
    const [alert] = foldedAlerts(
      ruleFile(
        alertRule('A', 'x > 1', 'warning', '        labels: { severity: warning, team: db }\n        annotations: { summary: s, description: low }\n') +
          alertRule('A', 'y > 2', 'critical', '        labels: { severity: critical, team: db, page: "yes" }\n        annotations: { summary: s, description: high }\n'),
      ).replace(/        labels: \{ severity: (warning|critical) \}\n/g, ''),
    );
    expect(alert).toEqual({
      name: 'A',
      summary: 's',
      labels: { team: 'db' },
      rules: [
        { severity: 'warning', expr: 'x > 1', annotations: { description: 'low' } },
        { severity: 'critical', expr: 'y > 2', labels: { page: 'yes' }, annotations: { description: 'high' } },
      ],
    });
  });

  // Label and annotation names come from the imported file: one Object.prototype also has is kept like any other.
  it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__'])('keeps a rule\'s own label and annotation named %s', (name) => {
    const [alert] = foldedAlerts(
      ruleFile(
        alertRule('A', 'x > 1', 'warning', `        labels: { severity: warning, team: db, ${name}: w }\n        annotations: { summary: s, ${name}: low }\n`) +
          alertRule('A', 'y > 2', 'critical', '        labels: { severity: critical, team: db }\n        annotations: { summary: s }\n'),
      ).replace(/        labels: \{ severity: (warning|critical) \}\n/g, ''),
    );
    expect(alert).toMatchObject({ labels: { team: 'db' }, rules: [{ severity: 'warning', labels: { [name]: 'w' }, annotations: { [name]: 'low' } }, { severity: 'critical', expr: 'y > 2' }] });
  });

  it('maps summary, description and an http(s) runbook_url to their fields, the rest to annotations', () => {
    const [alert] = foldedAlerts(ruleFile(alertRule('A', 'x > 1', 'warning', '        annotations: { summary: s, description: d, runbook_url: "https://r.example/a", dashboard_url: "https://g.example/d/x", message: m }\n')));
    expect(alert).toMatchObject({ summary: 's', description: 'd', runbook: 'https://r.example/a', annotations: { dashboard_url: 'https://g.example/d/x', message: 'm' } });
    const [wiki] = foldedAlerts(ruleFile(alertRule('A', 'x > 1', 'warning', '        annotations: { runbook_url: "Runbooks/A" }\n')));
    expect(wiki).toMatchObject({ annotations: { runbook_url: 'Runbooks/A' } });
    expect(wiki).not.toHaveProperty('runbook');
  });
});

describe('reading rule sources', () => {
  const rules = alertRule('A', 'x > 1', 'warning');
  it.each([
    ['a rule file', ruleFile(rules), ['g']],
    ['a PrometheusRule', `apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: { name: r, namespace: mon }\nspec:\n${ruleFile(rules, 'p').replace(/^/gm, '  ')}`, ['p']],
    ['a List of PrometheusRules', `apiVersion: v1\nkind: List\nitems:\n  - kind: PrometheusRule\n    spec:\n      groups: [{ name: l1, rules: [{ alert: A, expr: "x > 1" }] }]\n  - kind: PrometheusRule\n    spec:\n      groups: [{ name: l2, rules: [{ record: "a:b", expr: "sum(x)" }] }]\n`, ['l1', 'l2']],
    ['a ConfigMap of rule files', `apiVersion: v1\nkind: ConfigMap\ndata:\n  a.yaml: |\n${ruleFile(rules, 'c').replace(/^/gm, '    ')}\n  README: not rules\n`, ['c']],
    ['several documents', `${ruleFile(rules, 'd1')}---\n${ruleFile(rules, 'd2')}`, ['d1', 'd2']],
  ])('reads %s', (_what, text, names) => {
    const read = readRuleSource('in.yml', text);
    expect(read.diagnostics).toEqual([]);
    expect(read.groups.map((g) => g.name)).toEqual(names);
  });

  it.each([
    ['YAML that does not parse', 'groups:\n  - name: g\n    rules: [\n', 'import/yaml', 4, 1],
    ['a kind that holds no rules', 'apiVersion: apps/v1\nkind: Deployment\n', 'import/rules', 2, 7],
    ['an unknown rule field', ruleFile('      - alert: A\n        expr: x\n        severity: critical\n'), 'import/rules', 6, 9],
    ['a rule without expr', ruleFile('      - alert: A\n        for: 5m\n'), 'import/rules', 4, 9],
    ['a rule with alert and record', ruleFile('      - alert: A\n        record: b\n        expr: x\n'), 'import/rules', 4, 9],
    ['groups that are not a list', 'groups: { a: 1 }\n', 'import/rules', 1, 9],
    ['a label that is not text', ruleFile('      - alert: A\n        expr: x\n        labels: { a: [1] }\n'), 'import/rules', 6, 22],
    ['a duplicated key', ruleFile('      - alert: A\n        expr: x\n        expr: y\n'), 'import/yaml', 6, 9],
  ])('refuses %s at its line and column, reading nothing', (_what, text, code, line, col) => {
    const read = readRuleSource('in.yml', text);
    expect(read.groups).toEqual([]);
    expect(read.diagnostics).toHaveLength(1);
    const d = read.diagnostics[0]!;
    expect(d.code).toBe(code);
    expect(lineColAt(text, d.span!.start)).toEqual({ line, col });
  });
});

describe('the catalogue', () => {
  it('infers counters and histograms from their use, with the labels the expressions name, and lists the rest', () => {
    const read = readRuleSource(
      'in.yml',
      ruleFile(
        alertRule('Errors', 'sum by (service) (rate(http_requests_total{code=~"5.."}[5m])) > 1', 'warning') +
          alertRule('Slow', 'histogram_quantile(0.99, sum by (le, route) (rate(http_duration_seconds_bucket[5m]))) > 1', 'warning') +
          alertRule('Disk', 'node_disk_free < 10', 'warning', '        annotations: { summary: "{{ $labels.device }}" }\n') +
          '      - record: job:http_requests:rate5m\n        expr: sum by (job) (rate(http_requests_total[5m]))\n' +
          alertRule('Recorded', 'job:http_requests:rate5m > 100', 'warning'),
      ),
    );
    const catalogue = inferCatalogue(read.groups).definition as { metrics: Record<string, unknown>[]; external: { source: string; names: string[] }[] };
    expect(catalogue.metrics).toEqual([
      { name: 'http_duration_seconds', type: 'histogram', help: expect.stringContaining('histogram_quantile'), labels: ['route'] },
      { name: 'http_requests_total', type: 'counter', help: expect.stringContaining('rate()'), labels: ['code', 'job', 'service'] },
    ]);
    // A gauge's type is not shown by its use: named for review, not guessed; a recorded series is not a metric to declare.
    expect(catalogue.external).toEqual([{ source: 'imported-unreviewed', names: ['node_disk_free'] }]);
  });
});

async function importAndBuild(text: string) {
  const result = importRules([{ file: 'in.yml', text }]);
  expect(result.diagnostics).toEqual([]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-import-'));
  temps.push(dir);
  for (const f of result.files) {
    await mkdir(path.dirname(path.join(dir, f.path)), { recursive: true });
    await writeFile(path.join(dir, f.path), f.content);
  }
  const project = compileProject(await loadDirectory(dir));
  const ruleFiles = new Map(project.base.artifacts.filter((a) => a.path.startsWith('prometheus/rules/')).map((a) => [a.path, a.content]));
  return { result, project, ruleFiles };
}

describe('the round trip', () => {
  const input = ruleFile(
    alertRule('CpuHigh', 'sum by (instance) (rate(cpu_seconds_total[5m])) > 0.9', 'warning', '        for: 5m\n        annotations: { summary: "CPU on {{ $labels.instance }}" }\n') +
      alertRule('CpuHigh', 'sum by (instance) (rate(cpu_seconds_total[5m])) > 0.97', 'critical', '        for: 2m\n        annotations: { summary: "CPU on {{ $labels.instance }}" }\n') +
      alertRule('Down', 'up == 0', 'critical', '        for: 1m\n        keep_firing_for: 5m\n        annotations: { summary: down, runbook_url: "https://r.example/down" }\n'),
    'node',
  );

  it('builds what went in, the fold reported as a change by design', async () => {
    const { project, ruleFiles, result } = await importAndBuild(input);
    expect(project.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const trip = verifyRules(foldGroups(result.groups).groups, ruleFiles);
    expect(trip.differences).toEqual([]);
    expect(trip.byDesign).toEqual([
      'group node, alert CpuHigh (warning): threshold annotation "> 0.9" added by folding',
      'group node, alert CpuHigh (critical): threshold annotation "> 0.97" added by folding',
    ]);
    expect(trip.compared).toEqual({ alertRules: 3, recordingRules: 0, groups: 1 });
  });

  it.each([
    ['an expression', (t: string) => t.replace('up == 0', 'up == 1'), 'group node, alert Down: expr "up == 0" became "up == 1"'],
    ['a for', (t: string) => t.replace('for: 1m', 'for: 2m'), 'group node, alert Down: for 1m became 2m'],
    ['a label', (t: string) => t.replace('{ severity: critical }\n        for: 1m', '{ severity: critical, team: x }\n        for: 1m'), 'group node, alert Down: labels {severity="critical"} became {severity="critical", team="x"}'],
    ['an annotation', (t: string) => t.replace('summary: down', 'summary: up'), 'group node, alert Down: annotations {runbook_url="https://r.example/down", summary="down"} became {runbook_url="https://r.example/down", summary="up"}'],
  ])('lists a difference in %s', async (_what, change, difference) => {
    // The definitions come from the input; the build is of a changed input: verify compares them as if the import had drifted.
    const { ruleFiles } = await importAndBuild(change(input));
    const trip = verifyRules(foldGroups(readRuleSource('in.yml', input).groups).groups, ruleFiles);
    expect(trip.differences).toEqual([difference]);
  });

  it('keeps an alert without a severity label without one: its level says label: false, a name no rule uses', async () => {
    // kube-prometheus' Watchdog says severity: none itself, so the unlabelled level is named otherwise.
    const text = ruleFile(alertRule('Watchdog', 'vector(1)', 'none') + alertRule('Quiet', 'up == 0') + alertRule('Loud', 'up == 0', 'critical'));
    const { project, ruleFiles, result } = await importAndBuild(text);
    expect(project.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(parse(result.files.find((f) => f.path === 'severities.yaml')!.content).levels).toEqual([{ name: 'critical' }, { name: 'none' }, { name: 'unlabelled', label: false }]);
    expect(result.notes.map((n) => n.message)).toContain('alert Quiet has no severity label: imported at severity unlabelled, which adds no label (label: false); routes cannot select it by severity');
    const trip = verifyRules(foldGroups(result.groups).groups, ruleFiles);
    expect(trip.differences).toEqual([]);
    expect(trip.compared.alertRules).toBe(3);
  });

  it('keeps a group mixing alerts and records as one group, and verifies it with no difference', async () => {
    const mixed = `groups:\n  - name: node\n    interval: 30s\n    rules:\n      - record: instance:up:sum\n        expr: sum by (instance) (up)\n${alertRule('Down', 'instance:up:sum == 0', 'critical')}      - record: job:up:sum\n        expr: sum by (job) (up)\n`;
    const { project, ruleFiles, result } = await importAndBuild(mixed);
    expect(project.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const docs = parseAllDocuments(result.files.find((f) => f.path === 'rules/node.yaml')!.content).map((d) => d.toJS() as { kind: string; group: string });
    expect(docs.map((d) => [d.kind, d.group])).toEqual([['AlertRules', 'node'], ['RecordingRules', 'node']]);
    expect([...ruleFiles.keys()]).toEqual(['prometheus/rules/node.yml']);
    const trip = verifyRules(foldGroups(result.groups).groups, ruleFiles);
    expect(trip.differences).toEqual([]);
    expect(trip.compared).toEqual({ alertRules: 1, recordingRules: 2, groups: 1 });
    // The alert reads a record written before it: the build's order (records first) changes nothing it reads.
    expect(result.notes.filter((n) => n.message.startsWith('group node'))).toEqual([]);
  });

  it('notes for review an alert that read a record written after it, which the build evaluates first', () => {
    const text = `groups:\n  - name: node\n    rules:\n${alertRule('Down', 'job:up:sum == 0', 'critical')}${alertRule('Other', 'job:up:sum_rate > 1', 'warning')}      - record: job:up:sum\n        expr: sum by (job) (up)\n      - record: job:alerts:count\n        expr: count(ALERTS)\n`;
    const notes = importRules([{ file: 'in.yml', text }]).notes.filter((n) => n.kind === 'review' && n.message.startsWith('group ')).map((n) => n.message);
    expect(notes).toEqual([
      "group node: the build evaluates its recording rules before its alerts, so alert Down reads job:up:sum; job:alerts:count reads the alerts' state in the same evaluation instead of the previous one",
    ]);
  });

  it('lists a built group that holds rules of the other kind the input group did not have', async () => {
    const alertsOnly = ruleFile(alertRule('Down', 'up == 0', 'critical'), 'node');
    const { ruleFiles } = await importAndBuild(`${alertsOnly}      - record: job:up:sum\n        expr: sum by (job) (up)\n`);
    const trip = verifyRules(foldGroups(readRuleSource('in.yml', alertsOnly).groups).groups, ruleFiles);
    expect(trip.differences).toEqual(['group node: the build has recording rule job:up:sum {}: sum by (job) (up), which the input does not']);
  });

  it('writes YAML a person would write: expressions as block text, no anchors', () => {
    const multiLine = ruleFile(`      - alert: A\n        expr: |\n          sum(x)\n            > 1\n        labels: { severity: warning }\n`);
    const file = importRules([{ file: 'in.yml', text: multiLine }]).files.find((f) => f.path === 'rules/g.yaml')!;
    expect(file.content).toContain('    expr: |\n      sum(x)\n        > 1\n');
    expect(file.content).not.toMatch(/[&*]a\d/);
    expect(parseAllDocuments(file.content).map((d) => (d.toJS() as { kind: string }).kind)).toEqual(['AlertRules']);
    expect(parse(file.content.split('---')[0]!)).toMatchObject({ group: 'g' });
  });
});
