import { describe, expect, it } from 'vitest';
import { compileBase } from '../../test/helpers/model.ts';
import { inputSeries, ruleTest, ruleTests, sequence, seriesMap, steady, yamlOf, type RuleTest } from '../../test/factories/index.ts';
import type { ExpectedAlert } from '../spec/types.gen.ts';
import { userTestCases } from './user-tests.ts';

/** The "queue deep" test; the bad variant below changes the second warning expectation and the TargetDown name. */
function queueDeep(secondWarning: ExpectedAlert = { name: 'QueueDeep', level: 'warning' }, targetDown = 'TargetDown'): RuleTest {
  return ruleTest({
    name: 'queue deep',
    series: seriesMap(inputSeries('queue_depth', { service: 'api' }, sequence(steady(150, 5), steady(600, 10))), inputSeries('up', { instance: 'a:9100' }, steady(1, 15))),
    expect: [
      { at: '4m', alerts: [] },
      { at: '6m', alerts: [{ name: 'QueueDeep', level: 'warning', labels: { service: 'api' } }], values: [{ expr: 'max(queue_depth)', samples: [{ value: 150 }] }] },
      { at: '9m', alerts: [{ name: 'QueueDeep', level: 'critical', annotations: { summary: 'Queue of api holds 600 items' } }, secondWarning] },
      { at: '12m', alerts: [{ name: targetDown, labels: { instance: 'a:9100' } }] },
      { at: '13m', values: [{ expr: 'up', samples: [{ labels: 'up{instance="a:9100"}', value: 1 }] }] },
    ],
  });
}

const testsFile = (first: RuleTest) => yamlOf(ruleTests([first, ruleTest({ name: 'defaults', interval: undefined, series: { 'up{instance="b"}': '0x5' }, expect: undefined })]));
const TESTS = testsFile(queueDeep());

describe('userTestCases', () => {
  it('turns a RuleTests test into a TestCase with one alert check per mentioned alert at every time with alerts', async () => {
    const result = await compileBase({ 'tests.yaml': TESTS });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const { cases, problems } = userTestCases(result.model);
    expect(problems).toEqual([]);
    expect(cases).toHaveLength(2);
    const tc = cases[0]!.testCase;
    expect(tc).toMatchObject({ name: 'queue deep', interval: '1m', source: 'user', groups: ['app', 'app-aggregations'] });
    expect(tc.inputSeries).toEqual([
      { series: 'queue_depth{service="api"}', values: '150x5 600x10' },
      { series: 'up{instance="a:9100"}', values: '1x15' },
    ]);
    // QueueDeep and TargetDown are both mentioned, so each `alerts` entry checks both; 13m has no `alerts`.
    expect(tc.alertChecks.map((c) => [c.evalTime, c.alertname, c.expected])).toEqual([
      ['4m', 'QueueDeep', []],
      ['4m', 'TargetDown', []],
      ['6m', 'QueueDeep', [{ severity: 'warning', labels: { service: 'api' } }]],
      ['6m', 'TargetDown', []],
      ['9m', 'QueueDeep', [{ severity: 'critical', labels: {}, annotations: { summary: 'Queue of api holds 600 items' } }, { severity: 'warning', labels: {} }]],
      ['9m', 'TargetDown', []],
      ['12m', 'QueueDeep', []],
      // A single-level alert's level defaults to its severity.
      ['12m', 'TargetDown', [{ severity: 'critical', labels: { instance: 'a:9100' } }]],
    ]);
    expect(tc.exprChecks).toEqual([
      { evalTime: '6m', expr: 'max(queue_depth)', expSamples: [{ labels: '', value: 150 }] },
      { evalTime: '13m', expr: 'up', expSamples: [{ labels: 'up{instance="a:9100"}', value: 1 }] },
    ]);
    expect(tc.covers).toEqual([
      { alert: 'QueueDeep', level: 'warning' },
      { alert: 'QueueDeep', level: 'critical' },
      { alert: 'TargetDown', level: 'critical' },
    ]);
    expect(tc.origin?.def.file).toBe('tests.yaml');
  });

  it('remembers where each expectation was written', async () => {
    const { model } = await compileBase({ 'tests.yaml': TESTS });
    const [first] = userTestCases(model).cases;
    const check = first!.testCase.alertChecks[4]!;
    const origins = first!.alertOrigins.get(check)!;
    expect(origins.entry.path).toEqual(['tests', 0, 'expect', 2]);
    expect(origins.firings.map((o) => o.path)).toEqual([
      ['tests', 0, 'expect', 2, 'alerts', 0],
      ['tests', 0, 'expect', 2, 'alerts', 1],
    ]);
    expect(first!.exprOrigins.get(first!.testCase.exprChecks[1]!)!.path).toEqual(['tests', 0, 'expect', 4, 'values', 0]);
  });

  it('a test without expectations checks nothing and covers nothing; the interval defaults to 1m', async () => {
    const { model } = await compileBase({ 'tests.yaml': TESTS });
    const second = userTestCases(model).cases[1]!.testCase;
    expect(second).toMatchObject({ name: 'defaults', interval: '1m', alertChecks: [], exprChecks: [], covers: [] });
  });

  it('leaves out a test that names an unknown alert or omits the level of a multi-level alert, with a problem at it', async () => {
    const bad = testsFile(queueDeep({ name: 'QueueDeep' }, 'TargetDwn'));
    const { model } = await compileBase({ 'tests.yaml': bad });
    const { cases, problems } = userTestCases(model);
    expect(cases.map((c) => c.testCase.name)).toEqual(['defaults']);
    expect(problems.map((p) => p.message)).toEqual([
      'test "queue deep": alert QueueDeep has levels warning, critical; say which one fires',
      'test "queue deep" expects unknown alert "TargetDwn"',
    ]);
  });
});
