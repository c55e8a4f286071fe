import { describe, expect, it } from 'vitest';
import { lineColAt } from '../diagnostics.ts';
import { compileBase } from '../../test/helpers/model.ts';
import { parseSeriesSelector } from './test-refs.ts';

async function refs(tests: string, replace: Record<string, string> = {}) {
  const result = await compileBase({ 'tests.yaml': tests, ...replace });
  return result.diagnostics
    .filter((d) => d.code === 'test/refs')
    .map((d) => ({ severity: d.severity, at: d.span ? lineColAt(tests, d.span.start) : undefined, message: d.message, hint: d.hint }));
}

const HEAD = 'apiVersion: vigil/v1\nkind: RuleTests\ntests:\n';

describe('test/refs', () => {
  it('a correct test is clean', async () => {
    const clean = `${HEAD}  - name: fine
    series: { 'queue_depth{service="api"}': '600x10', 'up{instance="a"}': '0x10' }
    expect:
      - at: 5m
        alerts:
          - { name: QueueDeep, level: critical, labels: { service: api, team: app }, annotations: { summary: "Queue of api holds 600 items", threshold: "> 500" } }
          - { name: TargetDown }
        values: [{ expr: 'max(queue_depth)', samples: [{ labels: '{}', value: 600 }] }]
    routes: [{ alert: TargetDown, receivers: [oncall, team] }]
    inhibitions: [{ source: { alert: QueueDeep, level: critical }, target: { alert: QueueDeep, level: warning }, inhibited: true }]
`;
    expect(await refs(clean)).toEqual([]);
  });

  it('routes name defined receivers (with a did-you-mean)', async () => {
    const text = `${HEAD}  - name: routing
    routes: [{ alert: TargetDown, receivers: [oncal, team] }]
`;
    expect(await refs(text)).toEqual([{ severity: 'error', at: { line: 5, col: 47 }, message: 'test "routing": receiver "oncal" is not defined', hint: 'did you mean "oncall"?' }]);
  });

  it('inhibitions name existing, enabled alerts and their levels', async () => {
    const text = `${HEAD}  - name: inhibition
    inhibitions:
      - { source: { alert: TargetDwn }, target: { alert: QueueDeep, level: warnin }, inhibited: true }
`;
    expect(await refs(text)).toMatchObject([
      { at: { line: 6, col: 28 }, message: 'test "inhibition": unknown alert "TargetDwn"', hint: 'did you mean TargetDown?' },
      { at: { line: 6, col: 76 }, message: 'test "inhibition": alert QueueDeep has no level warnin', hint: 'did you mean warning? its levels: warning, critical' },
    ]);
  });

  it('a disabled alert never fires, so expecting it is an error', async () => {
    const alerts = (await import('node:fs/promises')).readFile(new URL('../../test/fixtures/base/alerts.yaml', import.meta.url), 'utf8');
    const text = `${HEAD}  - name: disabled
    expect: [{ at: 1m, alerts: [{ name: TargetDown }] }]
`;
    const found = await refs(text, { 'alerts.yaml': (await alerts).replace('for: 1m\n', 'for: 1m\n    enabled: false\n') });
    expect(found).toMatchObject([{ severity: 'error', message: 'test "disabled": alert TargetDown is disabled (enabled: false); it never fires' }]);
  });

  it('sample labels of value checks are exact series', async () => {
    const text = `${HEAD}  - name: values
    expect:
      - at: 1m
        values: [{ expr: 'max by (service) (queue_depth)', samples: [{ labels: '{service=~"a.*"}', value: 1 }, { labels: 'x{', value: 2 }] }]
`;
    expect(await refs(text)).toMatchObject([
      { message: 'test "values": sample labels {service=~"a.*"} must be exact (=)' },
      { message: 'test "values": sample labels x{ are not a series: expected a label name at ""' },
    ]);
  });

  it('labels say severity, level says another: an error', async () => {
    const text = `${HEAD}  - name: sev
    expect: [{ at: 5m, alerts: [{ name: QueueDeep, level: warning, labels: { severity: critical } }] }]
`;
    expect(await refs(text)).toMatchObject([{ message: 'test "sev": labels say severity critical, but the level is warning' }]);
  });
});

describe('parseSeriesSelector', () => {
  it('reads a name, exact matchers with every PromQL quote, and keeps the operators', () => {
    expect(parseSeriesSelector('m')).toEqual({ name: 'm', matchers: [] });
    expect(parseSeriesSelector(' job:m:rate5m { a = "1", b=\'2\', c=`x\\y`, } ')).toEqual({
      name: 'job:m:rate5m',
      matchers: [
        { label: 'a', op: '=', value: '1' },
        { label: 'b', op: '=', value: '2' },
        { label: 'c', op: '=', value: 'x\\y' },
      ],
    });
    expect(parseSeriesSelector('{__name__="m", a!="1", b=~"x", c!~"y"}')).toEqual({
      matchers: [
        { label: '__name__', op: '=', value: 'm' },
        { label: 'a', op: '!=', value: '1' },
        { label: 'b', op: '=~', value: 'x' },
        { label: 'c', op: '!~', value: 'y' },
      ],
    });
    expect(parseSeriesSelector('m{a="q\\"uote, }"}')).toEqual({ name: 'm', matchers: [{ label: 'a', op: '=', value: 'q"uote, }' }] });
  });

  it('rejects expressions and broken selectors', () => {
    for (const bad of ['', 'rate(m[5m])', 'm + n', 'm{a="1"} offset 5m', 'm{a="1"', 'm{a=1}', 'm{1a="x"}', 'm{a="1" b="2"}', 'm[5m]', '{a="1"} or {b="2"}']) {
      expect(parseSeriesSelector(bad), bad).toHaveProperty('error');
    }
  });
});
