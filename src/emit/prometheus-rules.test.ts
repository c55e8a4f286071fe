import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { hasCommand } from '../../test/helpers/cli.ts';
import { baseFile, compileBase } from '../../test/helpers/model.ts';
import { ruleFileName } from './prometheus-rules.ts';
import { GENERATED_HEADER, goYaml } from './artifact.ts';
import { artifactBytes, artifactSha256 } from '../build/manifest.ts';

type RuleFile = { groups: { name: string; interval?: string; limit?: number; query_offset?: string; rules: Record<string, unknown>[] }[] };

async function rules(replace: Record<string, string> = {}) {
  const result = await compileBase(replace);
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const byPath = new Map(result.artifacts.map((a) => [a.path, a]));
  return { byPath, parsed: (p: string) => parse(byPath.get(p)!.content) as RuleFile };
}

describe('Prometheus rules emitter', () => {
  it('emits one rule per level, most severe first, with severity label, threshold and links', async () => {
    const { parsed, byPath } = await rules();
    const group = parsed('prometheus/rules/app.yml').groups[0]!;
    expect(group.name).toBe('app');
    // Not given, so not written: Prometheus evaluates the group at the global evaluation_interval (the Project's).
    expect(group).not.toHaveProperty('interval');
    const queue = group.rules.filter((r) => r.alert === 'QueueDeep');
    expect(queue.map((r) => (r.labels as Record<string, string>).severity)).toEqual(['critical', 'warning']);
    expect(queue[0]).toMatchObject({ expr: '(max by (service) (queue_depth)) > 500', for: '2m', labels: { team: 'app', severity: 'critical' } });
    expect(queue[1]).toMatchObject({ expr: '(max by (service) (queue_depth)) > 100', for: '5m' });
    expect(queue[0]!.annotations).toMatchObject({ threshold: '> 500', runbook_url: 'https://runbooks.example.com/queue-deep', dashboard_url: 'https://grafana.example.com/d/app' });
    expect(byPath.get('prometheus/rules/app.yml')!.sources).toEqual(['alerts.yaml']);
  });

  it('keeps a single-level expression as written and emits recording rules', async () => {
    const { parsed } = await rules();
    const down = parsed('prometheus/rules/app.yml').groups[0]!.rules.find((r) => r.alert === 'TargetDown');
    expect(down).toMatchObject({ expr: 'up == 0', for: '1m', labels: { severity: 'critical', team: 'app' } });
    expect(parsed('prometheus/rules/app-aggregations.yml').groups[0]!.rules).toEqual([
      { record: 'service:http_requests:rate5m', expr: 'sum by (service) (rate(http_requests_total[5m]))' },
    ]);
  });

  it('brackets a multi-line expression so `and` keeps its meaning under the threshold', async () => {
    const alerts = (await baseFile('alerts.yaml')).replace('expr: max by (service) (queue_depth)', 'expr: |\n      max by (service) (queue_depth)\n        and on (service) (queue_depth > 0)');
    const { parsed } = await rules({ 'alerts.yaml': alerts });
    const expr = parsed('prometheus/rules/app.yml').groups[0]!.rules[0]!.expr;
    expect(expr).toBe('(\n  max by (service) (queue_depth)\n    and on (service) (queue_depth > 0)\n) > 500');
  });

  it('omits disabled alerts and quotes YAML 1.1 booleans so Go reads strings', async () => {
    const alerts = (await baseFile('alerts.yaml')).replace('labels: { team: app }', 'labels: { team: app, paging: "on" }').replace('    for: 1m\n', '    for: 1m\n    enabled: false\n');
    const { byPath } = await rules({ 'alerts.yaml': alerts });
    const text = byPath.get('prometheus/rules/app.yml')!.content;
    expect(text).not.toContain('TargetDown');
    expect(text).toContain("paging: 'on'");
  });

  it('writes any alert name Prometheus accepts as one YAML string, and promtool loads it', async () => {
    const names = ['PveVm/ctDown', 'TargetDown(v1)', 'Cert-managerAbsent', 'Disk: 90% full #2', "- it's *down* & {x}", '  padded  ', '告警 CPU', 'true', '123'];
    const alerts = (await baseFile('alerts.yaml')).replace(/  - name: TargetDown\n(.|\n)*$/, names.map((n) => `  - name: ${JSON.stringify(n)}\n    expr: up == 0\n    severity: critical\n    summary: down\n    runbook: https://runbooks.example.com/down\n`).join(''));
    const { byPath, parsed } = await rules({ 'alerts.yaml': alerts });
    const emitted = parsed('prometheus/rules/app.yml').groups[0]!.rules.map((r) => r.alert);
    expect(emitted).toEqual(['QueueDeep', 'QueueDeep', ...names]);
    await expectPromtoolAccepts(byPath.get('prometheus/rules/app.yml')!.content);
  });

  it('keeps a rule file as its UTF-8 bytes: the bytes written and hashed are those of its text, its document as goYaml writes it', async () => {
    const names = ['告警 CPU', 'Disk — 90%', 'Ünïcode 🚨'];
    const alerts = (await baseFile('alerts.yaml')).replace(/  - name: TargetDown\n(.|\n)*$/, names.map((n) => `  - name: ${JSON.stringify(n)}\n    expr: up == 0\n    severity: critical\n    summary: ${JSON.stringify(`${n} is down`)}\n`).join(''));
    const { byPath } = await rules({ 'alerts.yaml': alerts });
    const file = byPath.get('prometheus/rules/app.yml')!;
    expect(file.content).toBe(goYaml(file.data, [GENERATED_HEADER, 'Source: alerts.yaml']));
    expect(artifactBytes(file).equals(Buffer.from(file.content, 'utf8'))).toBe(true);
    expect(artifactSha256(file)).toBe(createHash('sha256').update(file.content, 'utf8').digest('hex'));
    expect(file.content).toContain('告警 CPU is down');
  });

  it('writes annotations named like Object properties (`__proto__`, `constructor`) as annotations, beside the summary and runbook', async () => {
    const alerts = (await baseFile('alerts.yaml')).replace('    dashboard: app\n', '    dashboard: app\n    annotations: { __proto__: kept, constructor: too }\n');
    const { byPath } = await rules({ 'alerts.yaml': alerts });
    const file = byPath.get('prometheus/rules/app.yml')!;
    const critical = file.content.slice(file.content.indexOf('alert: QueueDeep'), file.content.indexOf('alert: QueueDeep', file.content.indexOf('alert: QueueDeep') + 1));
    expect(critical).toContain('        annotations:\n          __proto__: kept\n          constructor: too\n          dashboard_url: https://grafana.example.com/d/app\n');
    // The rule document deploy compares holds them as keys too, not as the annotations object's prototype.
    const rule = (file.data as { groups: { rules: { alert: string; annotations: Record<string, string> }[] }[] }).groups[0]!.rules.find((r) => r.alert === 'QueueDeep')!;
    expect(Object.getPrototypeOf(rule.annotations)).toBe(Object.prototype);
    expect(Object.keys(rule.annotations)).toContain('__proto__');
    expect(Object.getOwnPropertyDescriptor(rule.annotations, '__proto__')?.value).toBe('kept');
    expect(goYaml(file.data, [GENERATED_HEADER, 'Source: alerts.yaml'])).toBe(file.content);
  });

  it("keeps a level's own annotation named `__proto__` (rules:) as an annotation, in the file and in its document", async () => {
    const alerts = (await baseFile('alerts.yaml')).replace(
      /  - name: TargetDown\n(.|\n)*$/,
      ['  - name: Burn', '    summary: burns', '    rules:', '      - severity: critical', '        expr: up == 0', '        annotations: { __proto__: level }', ''].join('\n'),
    );
    const { byPath } = await rules({ 'alerts.yaml': alerts });
    const file = byPath.get('prometheus/rules/app.yml')!;
    expect(file.content).toContain('          __proto__: level\n');
    const rule = (file.data as { groups: { rules: { alert: string; annotations: Record<string, string> }[] }[] }).groups[0]!.rules.find((r) => r.alert === 'Burn')!;
    expect(Object.getOwnPropertyDescriptor(rule.annotations, '__proto__')?.value).toBe('level');
    expect(goYaml(file.data, [GENERATED_HEADER, 'Source: alerts.yaml'])).toBe(file.content);
  });

  it('compiles each level of `rules:` to a rule of its own, with its expression, labels and annotations', async () => {
    const alerts = (await baseFile('alerts.yaml')).replace(
      /  - name: TargetDown\n(.|\n)*$/,
      [
        '  - name: ErrorBudgetBurn',
        '    summary: "Error budget of {{ $labels.service }} burns"',
        '    labels: { service: api }',
        '    rules:',
        '      - severity: critical',
        '        expr: sum by (service) (rate(http_requests_total[5m])) > 14',
        '        for: 2m',
        '        labels: { window: 1h }',
        '        annotations: { speed: fast }',
        '      - severity: warning',
        '        expr: sum by (service) (rate(http_requests_total[5m])) > 6',
        '        keepFiringFor: 10m',
        '',
      ].join('\n'),
    );
    const { byPath, parsed } = await rules({ 'alerts.yaml': alerts });
    const burn = parsed('prometheus/rules/app.yml').groups[0]!.rules.filter((r) => r.alert === 'ErrorBudgetBurn');
    expect(burn).toEqual([
      {
        alert: 'ErrorBudgetBurn',
        expr: 'sum by (service) (rate(http_requests_total[5m])) > 14',
        for: '2m',
        labels: { service: 'api', severity: 'critical', team: 'app', window: '1h' },
        annotations: { speed: 'fast', summary: 'Error budget of {{ $labels.service }} burns' },
      },
      {
        alert: 'ErrorBudgetBurn',
        expr: 'sum by (service) (rate(http_requests_total[5m])) > 6',
        keep_firing_for: '10m',
        labels: { service: 'api', severity: 'warning', team: 'app' },
        annotations: { summary: 'Error budget of {{ $labels.service }} burns' },
      },
    ]);
    await expectPromtoolAccepts(byPath.get('prometheus/rules/app.yml')!.content);
  });

  it('writes group options only as given: interval and limit', async () => {
    const alerts = (await baseFile('alerts.yaml')).replace('group: app\n', 'group: app\ninterval: 2m\nlimit: 10\n');
    const recording = (await baseFile('recording.yaml')).replace(/^(group: .*)$/m, '$1\nlimit: 0');
    const { byPath, parsed } = await rules({ 'alerts.yaml': alerts, 'recording.yaml': recording });
    expect(parsed('prometheus/rules/app.yml').groups[0]).toMatchObject({ name: 'app', interval: '2m', limit: 10 });
    const aggregations = parsed('prometheus/rules/app-aggregations.yml').groups[0]!;
    expect(aggregations.limit).toBe(0);
    expect(aggregations).not.toHaveProperty('interval');
    await expectPromtoolAccepts(byPath.get('prometheus/rules/app.yml')!.content);
  });

  it('queryOffset is a rule/unsupported error, since the promtool Vigil tests with rejects query_offset', async () => {
    const alerts = (await baseFile('alerts.yaml')).replace('group: app\n', 'group: app\nqueryOffset: 1m\n');
    const result = await compileBase({ 'alerts.yaml': alerts });
    expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual(['rule/unsupported']);
    // With the check off (every Prometheus is 2.53 or later), the option is written as given: what promtool 2.42 refuses.
    const project = (await baseFile('project.yaml')).replace('policies:\n', "policies:\n  checks: { 'rule/unsupported': off }\n");
    const { byPath, parsed } = await rules({ 'alerts.yaml': alerts, 'project.yaml': project });
    expect(parsed('prometheus/rules/app.yml').groups[0]!.query_offset).toBe('1m');
    if (hasCommand('promtool')) await expect(expectPromtoolAccepts(byPath.get('prometheus/rules/app.yml')!.content)).rejects.toThrow(/query_offset/);
  });

  it('a level whose severity says label: false writes no severity label (no labels at all when it has none), and promtool loads it', async () => {
    const { parsed, byPath } = await rules({
      'project.yaml': (await baseFile('project.yaml')).replace('requiredAlertLabels: [team]', 'requiredAlertLabels: []'),
      'routes.yaml': `${await baseFile('routes.yaml')}  - matchers: ['alertname=~"Watchdog|QueueQuiet"']\n    receiver: team\n`,
      'severities.yaml': `${await baseFile('severities.yaml')}  - { name: none, label: false }\n`,
      'quiet.yaml': `apiVersion: vigil/v1
kind: AlertRules
group: quiet
alerts:
  - name: Watchdog
    expr: vector(1)
    severity: none
    summary: Always firing
    runbook: https://runbooks.example.com/watchdog
  - name: QueueQuiet
    expr: max by (service) (queue_depth)
    labels: { team: app, severity: written }
    summary: "Queue of {{ $labels.service }} holds {{ $value }} items"
    runbook: https://runbooks.example.com/queue
    thresholds:
      warning: { op: ">", value: 500 }
      none: { op: ">", value: 100 }
`,
    });
    const rulesOf = parsed('prometheus/rules/quiet.yml').groups[0]!.rules;
    expect(rulesOf[0]).not.toHaveProperty('labels');
    expect(rulesOf.filter((r) => r.alert === 'QueueQuiet').map((r) => r.labels)).toEqual([{ severity: 'warning', team: 'app' }, { team: 'app' }]);
    await expectPromtoolAccepts(byPath.get('prometheus/rules/quiet.yml')!.content);
  });

  it('builds an AlertRules and a RecordingRules of one group name into one group, recording rules first, and promtool loads it', async () => {
    const alerts = (await baseFile('alerts.yaml')).replace('group: app\n', 'group: app\ninterval: 30s\n');
    const recording = (await baseFile('recording.yaml')).replace('group: app-aggregations', 'group: app\ninterval: 30s');
    const { byPath, parsed } = await rules({ 'alerts.yaml': alerts, 'recording.yaml': recording });
    expect(byPath.has('prometheus/rules/app-aggregations.yml')).toBe(false);
    const file = parsed('prometheus/rules/app.yml');
    expect(file.groups.map((g) => g.name)).toEqual(['app']);
    expect(file.groups[0]!.interval).toBe('30s');
    // Alerts read the records of the same evaluation only when the records come first.
    expect(file.groups[0]!.rules.map((r) => r.record ?? r.alert)).toEqual(['service:http_requests:rate5m', 'QueueDeep', 'QueueDeep', 'TargetDown']);
    expect(byPath.get('prometheus/rules/app.yml')!.sources).toEqual(['alerts.yaml', 'recording.yaml']);
    await expectPromtoolAccepts(byPath.get('prometheus/rules/app.yml')!.content);
  });

  it.each([
    ['an interval only one of them has', 'group: app\n', 'group: app\ninterval: 2m\n', 'group: app', 'interval 2m in its AlertRules and none in its RecordingRules'],
    ['different limits', 'group: app\n', 'group: app\nlimit: 5\n', 'group: app\nlimit: 10', 'limit 5 in its AlertRules and 10 in its RecordingRules'],
  ])('reports one group name with %s as rule/duplicate at the RecordingRules', async (_what, from, to, group, message) => {
    const alerts = (await baseFile('alerts.yaml')).replace(from, to);
    const recording = (await baseFile('recording.yaml')).replace('group: app-aggregations', group);
    const result = await compileBase({ 'alerts.yaml': alerts, 'recording.yaml': recording });
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.code, d.span?.file, d.message.includes(message), Boolean(d.hint)])).toEqual([['rule/duplicate', 'recording.yaml', true, true]]);
  });

  it('takes 1m and 60s as one interval of a shared group', async () => {
    const alerts = (await baseFile('alerts.yaml')).replace('group: app\n', 'group: app\ninterval: 1m\n');
    const recording = (await baseFile('recording.yaml')).replace('group: app-aggregations', 'group: app\ninterval: 60s');
    const { parsed } = await rules({ 'alerts.yaml': alerts, 'recording.yaml': recording });
    expect(parsed('prometheus/rules/app.yml').groups[0]!.interval).toBe('1m');
  });

  it('still reports two RecordingRules of one group name as rule/duplicate', async () => {
    const recording = await baseFile('recording.yaml');
    const second = recording.replace('service:http_requests:rate5m', 'service:http_errors:rate5m');
    const result = await compileBase({ 'recording.yaml': recording.replace('group: app-aggregations', 'group: app'), 'recording-2.yaml': second.replace('group: app-aggregations', 'group: app') });
    expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.message])).toEqual([['rule/duplicate', 'duplicate rule group "app"']]);
  });

  it('is byte-identical across runs', async () => {
    const a = await compileBase();
    const b = await compileBase();
    expect(a.artifacts.map((x) => x.content)).toEqual(b.artifacts.map((x) => x.content));
  });
});

/** promtool 2.42 (the version Vigil tests with) loads the rule file; skipped where promtool is not installed. */
async function expectPromtoolAccepts(content: string): Promise<void> {
  if (!hasCommand('promtool')) return;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-rules-'));
  try {
    const file = path.join(dir, 'rules.yml');
    await writeFile(file, content);
    const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('rule file names from any group name Prometheus accepts', () => {
  it.each([
    ['node-exporter', 'node-exporter.yml'],
    ['kube.rules_1', 'kube.rules_1.yml'],
    ['cluster health', /^cluster-health-[0-9a-f]{8}\.yml$/],
    ['./example.rules', /^example\.rules-[0-9a-f]{8}\.yml$/],
    ['../../etc/passwd', /^etc-passwd-[0-9a-f]{8}\.yml$/],
    ['组', /^group-[0-9a-f]{8}\.yml$/],
  ])('%j → %s', (group, file) => {
    const name = ruleFileName(group);
    if (typeof file === 'string') expect(name).toBe(file);
    else expect(name).toMatch(file);
    expect(name).not.toContain('/');
  });

  it('keeps two names that the replacement makes alike in two files', () => {
    expect(ruleFileName('a b')).not.toBe(ruleFileName('a/b'));
    expect(ruleFileName('a b')).not.toBe(ruleFileName('a-b'));
  });
});
