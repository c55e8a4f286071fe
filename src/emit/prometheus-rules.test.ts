import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { baseFile, compileBase } from '../../test/helpers/model.ts';

type RuleFile = { groups: { name: string; interval?: string; rules: Record<string, unknown>[] }[] };

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
    expect(group.interval).toBe('30s');
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

  it('is byte-identical across runs', async () => {
    const a = await compileBase();
    const b = await compileBase();
    expect(a.artifacts.map((x) => x.content)).toEqual(b.artifacts.map((x) => x.content));
  });
});
