import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { lineColAt } from '../diagnostics.ts';
import { readdir, readFile } from 'node:fs/promises';
import { compile } from '../compile.ts';
import { loadDirectory, loadYamlSources } from '../load/index.ts';
import { slo, slos, yamlOf } from '../../test/factories/index.ts';
import { hasCommand } from '../../test/helpers/cli.ts';
import { EXAMPLE } from '../../test/helpers/example.ts';
import { BASE_DIR, compileBase } from '../../test/helpers/model.ts';
import type { FiredAlert } from './promtool-output.ts';
import {
  completeFiring,
  explainMismatch,
  groupEvalOrder,
  matchFirings,
  planCases,
  probeAndEvaluate,
  PromtoolMissingError,
  promtoolVersion,
  satisfies,
  stageRules,
  testFiles,
  userFileStem,
  verdict,
  type Synthesizer,
} from './runner.ts';
import type { AlertCheck, ExpectedFiring, TestCase } from '../synth/types.ts';

const fired = (severity: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): FiredAlert => ({
  labels: { alertname: 'QueueDeep', severity, team: 'app', ...labels },
  annotations,
});

describe('matching partial expectations', () => {
  it('satisfies: same severity, expected labels a subset, listed annotations equal', () => {
    const f = fired('warning', { service: 'api' }, { summary: 'x', threshold: '> 100' });
    expect(satisfies({ severity: 'warning', labels: {} }, f)).toBe(true);
    expect(satisfies({ severity: 'warning', labels: { service: 'api', team: 'app' } }, f)).toBe(true);
    expect(satisfies({ severity: 'warning', labels: {}, annotations: { summary: 'x' } }, f)).toBe(true);
    expect(satisfies({ severity: 'critical', labels: {} }, f)).toBe(false);
    expect(satisfies({ severity: 'warning', labels: { service: 'web' } }, f)).toBe(false);
    expect(satisfies({ severity: 'warning', labels: { instance: 'a' } }, f)).toBe(false);
    expect(satisfies({ severity: 'warning', labels: {}, annotations: { summary: 'y' } }, f)).toBe(false);
    expect(satisfies({ severity: 'warning', labels: {}, annotations: { description: 'x' } }, f)).toBe(false);
  });

  // Label names of the alert's series: one that Object.prototype also has is compared as the firing's own label.
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])('an expected label named %s: the firing must carry it', (name) => {
    const expected: ExpectedFiring = JSON.parse(`{ "severity": "warning", "labels": { ${JSON.stringify(name)}: "x" } }`);
    const without = fired('warning', { service: 'api' });
    const withIt: FiredAlert = { ...without, labels: JSON.parse(`{ "alertname": "QueueDeep", "severity": "warning", ${JSON.stringify(name)}: "x" }`) };
    expect(satisfies(expected, without)).toBe(false);
    expect(satisfies(expected, withIt)).toBe(true);
    const check: AlertCheck = { evalTime: '6m', alertname: 'QueueDeep', expected: [expected] };
    expect(explainMismatch(check, [without], matchFirings([expected], [without])).message).toContain(`it has no label ${name} (expected ${name}="x")`);
  });

  it('matches one to one, finding the perfect matching a greedy choice would miss', () => {
    const expected: ExpectedFiring[] = [
      { severity: 'warning', labels: {} },
      { severity: 'warning', labels: { service: 'api' } },
    ];
    const got = [fired('warning', { service: 'api' }), fired('warning', { service: 'web' })];
    const m = matchFirings(expected, got);
    expect(m.ok).toBe(true);
    expect([...m.pairs].sort()).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it('exactly these firings: one more or one fewer fails', () => {
    const one: ExpectedFiring[] = [{ severity: 'warning', labels: {} }];
    const m = matchFirings(one, [fired('warning', { service: 'a' }), fired('warning', { service: 'b' })]);
    expect(m).toMatchObject({ ok: false, unmatchedExpected: [], unexpected: [1] });
    expect(matchFirings([...one, ...one], [fired('warning')])).toMatchObject({ ok: false, unmatchedExpected: [1], unexpected: [] });
    expect(matchFirings([], [])).toMatchObject({ ok: true });
    expect(matchFirings([], [fired('critical')])).toMatchObject({ ok: false, unexpected: [0] });
  });

  const explain = (expected: ExpectedFiring[], got: FiredAlert[]) => {
    const check: AlertCheck = { evalTime: '6m', alertname: 'QueueDeep', expected };
    return explainMismatch(check, got, matchFirings(expected, got));
  };

  it('explains a failure naming the alert and the level, with an expected/got diff', () => {
    const wrongLevel = explain([{ severity: 'critical', labels: { service: 'api' } }], [fired('warning', { service: 'api' }, { summary: 's' })]);
    expect(wrongLevel.message).toBe('QueueDeep level critical did not fire at 6m (firing: warning); QueueDeep level warning also fired at 6m {service="api", team="app"}, which is not expected');
    expect(wrongLevel.expectedIndex).toBe(0);
    expect(wrongLevel.diff).toBe('expected at 6m:\n  QueueDeep critical {service="api"}\ngot:\n  QueueDeep warning {service="api", team="app"} annotations {summary="s"}');

    expect(explain([{ severity: 'critical', labels: {} }], []).message).toBe('QueueDeep level critical did not fire at 6m (nothing fired)');
    expect(explain([{ severity: 'warning', labels: { service: 'web', instance: 'x' } }], [fired('warning', { service: 'api' })]).message).toBe(
      'QueueDeep level warning fired at 6m, but label service is "api", expected "web"; it has no label instance (expected instance="x")',
    );
    expect(explain([{ severity: 'warning', labels: {}, annotations: { summary: 'Queue of api holds 600 items' } }], [fired('warning', {}, { summary: 'Queue of api holds 150 items' })]).message).toBe(
      'QueueDeep level warning fired at 6m, but annotation summary is "Queue of api holds 150 items", expected "Queue of api holds 600 items"',
    );
    const none = explain([], [fired('warning', { service: 'api' })]);
    expect(none.message).toBe('QueueDeep level warning fired at 6m {service="api", team="app"}; the test expects no QueueDeep then');
    expect(none.expectedIndex).toBeUndefined();
    expect(none.diff).toContain('expected at 6m:\n  no QueueDeep');
    expect(explain([{ severity: 'warning', labels: {} }], [fired('warning', { service: 'a' }), fired('warning', { service: 'b' })]).message).toBe(
      'QueueDeep level warning also fired at 6m {service="b", team="app"}, one firing more than expected',
    );
  });

  it('completes a firing into a full expectation: every label but alertname, every annotation', () => {
    expect(completeFiring(fired('warning', { service: 'api' }, { summary: 's' }))).toEqual({ severity: 'warning', labels: { service: 'api', team: 'app' }, annotations: { summary: 's' } });
  });
});

const USER_TESTS = `apiVersion: vigil/v1
kind: RuleTests
tests:
  - name: queue deep
    interval: 1m
    series:
      'queue_depth{service="api"}': '150x5 600x10'
      'http_requests_total{service="api", code="200"}': '0+60x15'
    expect:
      - at: 4m
        alerts: []
      - at: 6m
        alerts: [{ name: QueueDeep, level: warning, labels: { service: api } }]
      - at: 9m
        alerts:
          - { name: QueueDeep, level: critical, annotations: { summary: "Queue of api holds 600 items" } }
          - { name: QueueDeep, level: warning }
        values:
          - expr: service:http_requests:rate5m
            samples: [{ labels: 'service:http_requests:rate5m{service="api"}', value: 1 }]
  - name: target down
    series: { 'up{instance="a:9100", job="node"}': '0x5' }
    expect:
      - { at: 2m, alerts: [{ name: TargetDown, labels: { instance: "a:9100" } }] }
`;

/** A stand-in for synthesize.ts: one case per level of QueueDeep, plus one that loads a different set of groups. */
const fakeSynthesizer: Synthesizer = (_model, alert) => {
  if (alert.name !== 'QueueDeep') return alert.levels.map((l) => ({ alert: alert.name, level: l.severity, unsupported: 'not in this fake' }));
  const base = (name: string, value: string, groups: string[]): TestCase => ({
    name,
    interval: '1m',
    inputSeries: [{ series: 'queue_depth{service="gen"}', values: value }],
    alertChecks: [{ evalTime: '10m', alertname: 'QueueDeep', expected: value.startsWith('600') ? [{ severity: 'critical', labels: {} }, { severity: 'warning', labels: {} }] : [{ severity: 'warning', labels: {} }] }],
    exprChecks: [],
    groups,
    covers: [{ alert: 'QueueDeep', level: value.startsWith('600') ? 'critical' : 'warning' }],
    source: 'generated',
  });
  return [
    { alert: 'QueueDeep', level: 'critical', cases: [base('QueueDeep critical above 500', '600x20', ['app'])] },
    { alert: 'QueueDeep', level: 'warning', cases: [base('QueueDeep warning above 100', '101x20', ['app']), base('QueueDeep warning with aggregations', '101x20', ['app', 'app-aggregations'])] },
  ];
};

describe('planCases', () => {
  it('names files per RuleTests source and per rule group, splitting a group whose cases load different rule files', async () => {
    const { model } = await compileBase({ 'tests/app.yaml': USER_TESTS });
    const plan = planCases(model, 'monitoring', fakeSynthesizer);
    expect(plan.problems).toEqual([]);
    expect(plan.cases.map((c) => [c.id, c.testCase.name, c.output])).toEqual([
      [0, 'queue deep', 'tests.app.user.test.yml'],
      [1, 'target down', 'tests.app.user.test.yml'],
      [2, 'QueueDeep critical above 500', 'app.test.yml'],
      [3, 'QueueDeep warning above 100', 'app.test.yml'],
      [4, 'QueueDeep warning with aggregations', 'app.2.test.yml'],
    ]);
    expect(plan.syntheses.map((s) => [s.alert, s.level, 'unsupported' in s ? s.unsupported : 'cases'])).toEqual([
      ['QueueDeep', 'critical', 'cases'],
      ['QueueDeep', 'warning', 'cases'],
      ['TargetDown', 'critical', 'not in this fake'],
    ]);
  });

  it('splits a group whose cases evaluate at different steps, finest step first (a file has one evaluation_interval)', async () => {
    const { model } = await compileBase();
    const stepped: Synthesizer = (m, alert, ctx) =>
      fakeSynthesizer(m, alert, ctx).map((s) =>
        'cases' in s ? { ...s, cases: s.cases.filter((c) => c.groups.length === 1).map((c) => ({ ...c, evaluationInterval: c.name.includes('critical') ? '1h' : '5m' })) } : s,
      );
    const plan = planCases(model, 'monitoring', stepped);
    expect(plan.cases.map((c) => [c.testCase.name, c.testCase.evaluationInterval, c.output])).toEqual([
      ['QueueDeep critical above 500', '1h', 'app.2.test.yml'],
      ['QueueDeep warning above 100', '5m', 'app.test.yml'],
    ]);
  });

  it('a synthesizer that throws leaves the alert untested with a warning at its name, and the rest planned', async () => {
    const { model } = await compileBase();
    const plan = planCases(model, 'monitoring', (m, alert, ctx) => {
      if (alert.name === 'TargetDown') throw new Error('boom');
      return fakeSynthesizer(m, alert, ctx);
    });
    expect(plan.cases).toHaveLength(3);
    expect(plan.problems).toMatchObject([{ code: 'test/synthesize', severity: 'warning', message: 'no generated tests for alert TargetDown: the synthesizer failed: boom' }]);
    expect(plan.syntheses.find((s) => s.alert === 'TargetDown')).toEqual({ alert: 'TargetDown', level: 'critical', unsupported: 'the synthesizer failed: boom' });
  });

  it('names user test files by their path inside the definitions directory', () => {
    expect(userFileStem('monitoring', 'monitoring/tests/training.yaml')).toBe('tests.training');
    expect(userFileStem('./defs/monitoring/', 'monitoring/gpu.ts')).toBe('gpu');
    expect(userFileStem('.', 'tests.yaml')).toBe('tests');
  });
});

const BASE_TEXTS = new Map(await Promise.all((await readdir(BASE_DIR)).map(async (f) => [f, await readFile(path.join(BASE_DIR, f), 'utf8')] as const)));

describe('groupEvalOrder', () => {
  it('puts a group that records a series before the groups that read it, and alerting groups last', async () => {
    const { model } = compile(await loadDirectory(EXAMPLE));
    const order = groupEvalOrder(model, model.groups.map((g) => g.name));
    expect(order).toEqual([
      'business-aggregations',
      'business-baselines', // reads tenant:api_calls:rate5m of business-aggregations
      'inference-aggregations',
      'inference-slos-recordings', // the SLO groups record the same slo:* names, told apart by the slo label: neither reads the other
      'system-aggregations',
      'training-aggregations',
      'training-slos-recordings',
      'business',
      'inference',
      'inference-slos-alerts',
      'relay',
      'system',
      'training',
      'training-slos-alerts',
    ]);
    expect(groupEvalOrder(model, ['training', 'system-aggregations'])).toEqual(['system-aggregations', 'training']);
  });

  it("reads an SLO's recordings only where its slo label is selected: each SLO's groups read their own, a report group the SLO it names", async () => {
    const sloGroup = (group: string, name: string) => yamlOf(slos({ group, slos: [slo(name)] }));
    const report = (selector: string) => yamlOf({ apiVersion: 'vigil/v1', kind: 'RecordingRules', group: 'a1-report', rules: [{ record: 'report:budget_remaining:ratio', expr: `min(slo:period_error_budget_remaining:ratio{${selector}})` }] });
    const order = async (selector: string) => {
      const { model, diagnostics } = await compileBase({ 'slos-a.yaml': sloGroup('a', 'a-availability'), 'slos-b.yaml': sloGroup('b', 'b-availability'), 'report.yaml': report(selector) });
      expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      return groupEvalOrder(model, ['b-alerts', 'b-recordings', 'a-alerts', 'a-recordings', 'a1-report']);
    };
    // By name where nothing is read across: a's recordings, the report of a, b's; alerts last.
    expect(await order('slo="a-availability"')).toEqual(['a-recordings', 'a1-report', 'b-recordings', 'a-alerts', 'b-alerts']);
    // A report of b waits for b's recordings (and not for a's only).
    expect(await order('slo="b-availability"')).toEqual(['a-recordings', 'b-recordings', 'a1-report', 'a-alerts', 'b-alerts']);
    // slo!= and a regex may select either SLO: the report waits for both.
    expect(await order('slo!="a-availability"')).toEqual(['a-recordings', 'b-recordings', 'a1-report', 'a-alerts', 'b-alerts']);
    expect(await order('slo=~"a.*"')).toEqual(['a-recordings', 'b-recordings', 'a1-report', 'a-alerts', 'b-alerts']);
  });
});

describe.skipIf(!hasCommand('promtool'))('with the real promtool', () => {
  const line = (text: string, offset: number) => lineColAt(text, offset);

  it('completes passing expectations from what really fired, and the completed files pass promtool as written', async () => {
    const { model, artifacts } = await compileBase({ 'tests/app.yaml': USER_TESTS });
    const plan = planCases(model, 'monitoring', fakeSynthesizer);
    const results = await probeAndEvaluate(model, plan.cases, artifacts, 'promtool');
    expect(results.map((r) => [r.planned.testCase.name, r.passed, r.failures.map((f) => f.message)])).toEqual([
      ['queue deep', true, []],
      ['target down', true, []],
      ['QueueDeep critical above 500', true, []],
      ['QueueDeep warning above 100', true, []],
      ['QueueDeep warning with aggregations', true, []],
    ]);
    const at9 = results[0]!.completed!.alertChecks.find((c) => c.evalTime === '9m')!;
    expect(at9.expected).toEqual([
      {
        severity: 'critical',
        labels: { service: 'api', team: 'app' },
        annotations: { dashboard_url: 'https://grafana.example.com/d/app', runbook_url: 'https://runbooks.example.com/queue-deep', summary: 'Queue of api holds 600 items', threshold: '> 500' },
      },
      {
        severity: 'warning',
        labels: { service: 'api', team: 'app' },
        annotations: { dashboard_url: 'https://grafana.example.com/d/app', runbook_url: 'https://runbooks.example.com/queue-deep', summary: 'Queue of api holds 600 items', threshold: '> 100' },
      },
    ]);

    const files = testFiles(model, results, artifacts);
    expect(files.map((f) => [f.path, f.cases.length])).toEqual([
      ['tests/app.2.test.yml', 1],
      ['tests/app.test.yml', 2],
      ['tests/tests.app.user.test.yml', 2],
    ]);
    const user = parse(files[2]!.content) as { rule_files: string[]; evaluation_interval: string };
    expect(user.rule_files).toEqual(['../prometheus/rules/app.yml', '../prometheus/rules/app-aggregations.yml']);
    expect(user.evaluation_interval).toBe('30s');
    expect((parse(files[1]!.content) as { rule_files: string[] }).rule_files).toEqual(['../prometheus/rules/app.yml']);
    expect(files[1]!.content.startsWith('# Generated by Vigil from boundary tests generated from alerts.yaml.')).toBe(true);

    const root = await stageRules(artifacts);
    try {
      await Promise.all(files.map((f) => writeFile(path.join(root, f.path), f.content)));
      expect(await verdict(model, root, files, 'promtool')).toEqual([]);
      // The verdict can fail: a tampered annotation in one test of one file fails that test only.
      const tampered = files[2]!.content.replace('summary: Queue of api holds 600 items', 'summary: Queue of api holds 601 items');
      expect(tampered).not.toBe(files[2]!.content);
      await writeFile(path.join(root, files[2]!.path), tampered);
      const failures = await verdict(model, root, files, 'promtool');
      expect(failures.map((f) => [f.file, f.cases.map((c) => c.planned.testCase.name)])).toEqual([['tests/tests.app.user.test.yml', ['queue deep']]]);
      expect(results[0]!.passed).toBe(false);
      expect(results[0]!.failures[0]).toMatchObject({ code: 'test/verdict' });
      expect(results[0]!.failures[0]!.span!.file).toBe('tests/app.yaml');
      expect(results[0]!.failures[0]!.diff).toContain('summary="Queue of api holds 601 items"');
      expect(results[1]!.passed).toBe(true);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('an alert whose severity says label: false is expected without a severity label, and the completed file passes promtool', async () => {
    const quiet = {
      'project.yaml': (await readFile(path.join(BASE_DIR, 'project.yaml'), 'utf8')).replace('requiredAlertLabels: [team]', 'requiredAlertLabels: []'),
      'severities.yaml': `${await readFile(path.join(BASE_DIR, 'severities.yaml'), 'utf8')}  - { name: none, label: false }\n`,
      'routes.yaml': `${await readFile(path.join(BASE_DIR, 'routes.yaml'), 'utf8')}  - matchers: ['alertname="QueueQuiet"']\n    receiver: team\n`,
      'quiet.yaml': `apiVersion: vigil/v1
kind: AlertRules
group: quiet
alerts:
  - name: QueueQuiet
    expr: max by (service) (queue_depth) > 100
    severity: none
    summary: "Queue of {{ $labels.service }} holds {{ $value }} items"
    runbook: https://runbooks.example.com/queue
`,
      'tests/quiet.yaml': `apiVersion: vigil/v1
kind: RuleTests
tests:
  - name: quiet queue
    series: { 'queue_depth{service="api"}': '600x5' }
    expect:
      - { at: 1m, alerts: [{ name: QueueQuiet, level: none, labels: { service: api } }] }
`,
    };
    const { model, artifacts, diagnostics } = await compileBase(quiet);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const results = await probeAndEvaluate(model, planCases(model, 'monitoring').cases, artifacts, 'promtool');
    const result = results.find((r) => r.planned.testCase.name === 'quiet queue')!;
    expect(result.failures).toEqual([]);
    expect(result.completed!.alertChecks[0]!.expected).toEqual([{ severity: '', labels: { service: 'api' }, annotations: expect.objectContaining({ summary: 'Queue of api holds 600 items' }) }]);
    const files = testFiles(model, results, artifacts).filter((f) => f.path.includes('quiet'));
    expect(files[0]!.content).not.toContain('severity');
    const root = await stageRules(artifacts);
    try {
      await Promise.all(files.map((f) => writeFile(path.join(root, f.path), f.content)));
      expect(await verdict(model, root, files, 'promtool')).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
    // Expected before the queue fills: the message names the level as its firings show it, without a severity label.
    const early = await compileBase({ ...quiet, 'tests/quiet.yaml': quiet['tests/quiet.yaml'].replace("'600x5'", "'0x3 600x5'") });
    const [wrong] = (await probeAndEvaluate(early.model, planCases(early.model, 'monitoring').cases, early.artifacts, 'promtool')).filter((r) => r.planned.testCase.name === 'quiet queue');
    expect(wrong!.failures.map((f) => f.message)).toEqual(['test "quiet queue": QueueQuiet level (no severity) did not fire at 1m (nothing fired)']);
  });

  it('a wrong expectation fails with the alert, the level and a diff, at the expectation in the source', async () => {
    const wrong = USER_TESTS.replace('alerts: [{ name: QueueDeep, level: warning, labels: { service: api } }]', 'alerts: [{ name: QueueDeep, level: critical, labels: { service: api } }]');
    const { model, artifacts } = await compileBase({ 'tests/app.yaml': wrong });
    const results = await probeAndEvaluate(model, planCases(model, 'monitoring').cases, artifacts, 'promtool');
    expect(results.map((r) => r.passed)).toEqual([false, true]);
    const [failure] = results[0]!.failures;
    expect(failure!.code).toBe('test/failed');
    expect(failure!.message).toBe('test "queue deep": QueueDeep level critical did not fire at 6m (firing: warning); QueueDeep level warning also fired at 6m {service="api", team="app"}, which is not expected');
    expect(failure!.diff).toContain('expected at 6m:\n  QueueDeep critical {service="api"}\ngot:\n  QueueDeep warning {service="api", team="app"}');
    expect(failure!.span!.file).toBe('tests/app.yaml');
    expect(line(wrong, failure!.span!.start)).toEqual({ line: 13, col: 18 });
    expect(results[0]!.completed).toBeUndefined();
  });

  it('a value check that does not hold fails at the value, with promtool’s expected and got', async () => {
    const wrong = USER_TESTS.replace('value: 1 }', 'value: 2 }');
    const { model, artifacts } = await compileBase({ 'tests/app.yaml': wrong });
    const [result] = await probeAndEvaluate(model, planCases(model, 'monitoring').cases, artifacts, 'promtool');
    expect(result!.failures).toMatchObject([{ code: 'test/failed', message: 'test "queue deep": service:http_requests:rate5m at 9m does not give the expected samples' }]);
    expect(result!.failures[0]!.diff).toBe('expected: {__name__="service:http_requests:rate5m", service="api"} 2E+00\ngot:      {__name__="service:http_requests:rate5m", service="api"} 1E+00');
    expect(line(wrong, result!.failures[0]!.span!.start).line).toBe(19);
  });

  it('input series promtool cannot read become user errors at the series: the values at the character, the selector at its key', async () => {
    const bad = USER_TESTS.replace("'0+60x15'", "'0+60x15 1+'").replace("'up{instance=\"a:9100\", job=\"node\"}'", "'up{instance!=\"a:9100\"}'");
    // test/refs rejects the != selector before any test runs; emitting anyway shows what promtool alone would say.
    const loaded = loadYamlSources([...[...BASE_TEXTS].map(([file, text]) => ({ file, text })), { file: 'tests/app.yaml', text: bad }]);
    const { model, artifacts, diagnostics } = compile(loaded, { emitOnError: true });
    expect(diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual(['test/refs']);
    const results = await probeAndEvaluate(model, planCases(model, 'monitoring').cases, artifacts, 'promtool');
    const values = results[0]!.failures;
    expect(values).toMatchObject([{ code: 'test/series', message: `test "queue deep": values '0+60x15 1+' of input series 'http_requests_total{service="api", code="200"}' do not parse at character 11: unexpected end of input in series values` }]);
    expect(line(bad, values[0]!.span!.start)).toEqual({ line: 8, col: 68 });
    const selector = results[1]!.failures;
    expect(selector).toMatchObject([{ code: 'test/series', message: `test "target down": input series 'up{instance!="a:9100"}' is not a series selector promtool accepts: unexpected <op:!=> in label set, expected "="` }]);
    expect(line(bad, selector[0]!.span!.start)).toEqual({ line: 22, col: 15 });
  });

  it('a rule that fails to evaluate on the test input fails the test with promtool’s message', async () => {
    const { model, artifacts } = await compileBase({
      'recording.yaml': `apiVersion: vigil/v1
kind: RecordingRules
group: app-aggregations
rules:
  - record: service:http_requests:rate5m
    expr: sum by (service) (rate(http_requests_total[5m]))
  - record: service:queue_depth:joined
    expr: queue_depth * on (service) group_left up
`,
      'tests/app.yaml': USER_TESTS.replace("'0+60x15'", "'0+60x15'\n      'up{service=\"api\", instance=\"x\"}': '1x15'\n      'up{service=\"api\", instance=\"y\"}': '1x15'"),
    });
    const [result] = await probeAndEvaluate(model, planCases(model, 'monitoring').cases, artifacts, 'promtool');
    expect(result!.passed).toBe(false);
    expect(result!.failures).toMatchObject([{ code: 'test/eval' }]);
    expect(result!.failures[0]!.message).toMatch(/^test "queue deep": rule service:queue_depth:joined fails to evaluate at 0s: .*many-to-many|duplicate/);
  });

  it('an alert reading a recording rule of another group sees this step’s value, every run (group_eval_order)', async () => {
    const { model, artifacts } = await compileBase({
      'recording.yaml': `${await readFile(path.join(BASE_DIR, 'recording.yaml'), 'utf8')}  - record: service:queue_depth:max
    expr: max by (service) (queue_depth)
`,
      'alerts.yaml': `apiVersion: vigil/v1
kind: AlertRules
group: app
labels: { team: app }
alerts:
  - name: QueueHigh
    expr: service:queue_depth:max
    thresholds:
      warning: { op: ">", value: 100 }
    summary: "{{ $labels.service }} queues {{ $value }}"
    runbook: https://runbooks.example.com/queue-high
`,
      'dashboard.yaml': (await readFile(path.join(BASE_DIR, 'dashboard.yaml'), 'utf8')).replace('thresholdsFrom: QueueDeep', 'thresholdsFrom: QueueHigh'),
      // 150 from 5m30s on: the alert fires at 5m30s only if the recording group has run first at that step.
      'tests/app.yaml': `apiVersion: vigil/v1
kind: RuleTests
tests:
  - name: boundary
    interval: 30s
    series: { 'queue_depth{service="api"}': '50x10 150x10' }
    expect:
      - { at: 5m, alerts: [] }
      - { at: 5m30s, alerts: [{ name: QueueHigh, level: warning }] }
`,
    });
    expect(model.groups.map((g) => g.name).sort()).toEqual(['app', 'app-aggregations']);
    const verdicts = [];
    for (let i = 0; i < 8; i++) verdicts.push((await probeAndEvaluate(model, planCases(model, 'monitoring').cases, artifacts, 'promtool'))[0]!.passed);
    expect(verdicts).toEqual(new Array(8).fill(true));
  });

  it('a rule file promtool rejects fails every test that loads it, at the group’s definition', async () => {
    const { model, artifacts } = await compileBase({ 'tests/app.yaml': USER_TESTS });
    const broken = artifacts.map((a) => (a.path === 'prometheus/rules/app.yml' ? { ...a, content: a.content.replace('max by (service) (queue_depth)', 'max by (service) (queue_depth') } : a));
    const results = await probeAndEvaluate(model, planCases(model, 'monitoring').cases, broken, 'promtool');
    expect(results.map((r) => r.passed)).toEqual([false, false]);
    expect(results[0]!.failures[0]).toMatchObject({ code: 'test/rules' });
    expect(results[0]!.failures[0]!.message).toMatch(/^test "queue deep": promtool rejects the rule file of group app: \d+:\d+: group "app", rule 1, "QueueDeep": could not parse expression/);
    expect(results[0]!.failures[0]!.span!.file).toBe('alerts.yaml');
  });

  it('says how to install promtool when it is missing', async () => {
    await expect(promtoolVersion('/nonexistent/promtool')).rejects.toThrow(PromtoolMissingError);
    await expect(promtoolVersion('/nonexistent/promtool')).rejects.toThrow(/apt-get install prometheus/);
    expect(await promtoolVersion('promtool')).toMatch(/^2\./);
  });
});
