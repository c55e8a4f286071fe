import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { seededRandom } from '../../test/helpers/seeded-random.ts';
import type { AlertLevel, AlertModel, Model, RecordingRuleModel, RuleGroupModel } from '../model/types.ts';
import { goYaml } from './artifact.ts';
import { normaliseExpr, ruleFileText, ruleGroupBodies } from './prometheus-rules.ts';

/**
 * ruleFileText writes a rule file straight from the model; the file must be, byte for byte, the YAML of the document
 * the emitter hands deploy as data (groupBody), as goYaml writes it. Random groups over the cases that change the text:
 * keys that JavaScript enumerates first ("0", "12"), `severity` and `threshold` given by the alert, levels with labels
 * and annotations of their own, levels without a severity label, multi-line and odd expressions, templates, empty
 * values, disabled alerts and rules, group options, recording rules, groups with no rules.
 */
const STRINGS = ['a', 'b', 'team', 'severity', 'threshold', 'summary', 'zz', '0', '12', '007', 'on', 'x: y', '{{ $value }}', '', ' lead', 'two\nlines', '告警', "it's", '#c'];
const EXPRS = ['up == 0', 'rate(x[5m])', 'sum by (a) (x)\n  > 1', 'x  \ny\n', 'a # b', "label_replace(up, 'a', '$1', 'b', '(.*)')"];
const SEVERITIES = ['critical', 'warning', 'info', 'page', 'undeclared'];

function generate(seed: number): { model: Model; group: RuleGroupModel } {
  const rand = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const maybe = (p = 0.5) => rand() < p;
  const record = (max: number): Record<string, string> => {
    const out: Record<string, string> = {};
    for (let i = Math.floor(rand() * (max + 1)); i > 0; i--) out[pick(STRINGS)] = pick(STRINGS);
    return out;
  };
  const origin = { def: { file: 'alerts.yaml' } } as AlertModel['origin'];
  const level = (severity: string, own: boolean): AlertLevel => ({
    severity,
    ...(maybe() ? { op: pick(['>', '<', '==']) as AlertLevel['op'], value: pick([1, 0.5, -2, 1e21, 0.1 + 0.2, 100]) } : {}),
    ...(maybe() ? { for: pick(['5m', '1h', '0s']) } : {}),
    ...(maybe(0.2) ? { keepFiringFor: '10m' } : {}),
    ...(own ? { expr: pick(EXPRS) } : {}),
    ...(own && maybe() ? { labels: record(3) } : {}),
    ...(own && maybe() ? { annotations: record(2) } : {}),
    ...(maybe(0.2) ? { withoutSeverityLabel: true as const } : {}),
    origin,
  });
  const alerts: AlertModel[] = [];
  for (let i = Math.floor(rand() * 5); i > 0; i--) {
    const own = maybe(0.3);
    const severities = [...new Set(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(SEVERITIES)))];
    alerts.push({
      name: pick(['A', 'Disk: full', 'true', 'B']),
      group: 'g',
      expr: pick(EXPRS),
      levels: severities.map((s) => level(s, own)),
      ...(maybe() ? { summary: pick(STRINGS) } : {}),
      ...(maybe(0.3) ? { description: pick(STRINGS) } : {}),
      ...(maybe() ? { runbook: 'https://runbooks.example.com/x' } : {}),
      ...(maybe(0.3) ? { dashboard: pick(['app', '{{x}}']) } : {}),
      labels: record(4),
      annotations: record(3),
      enabled: maybe(0.9),
      origin,
    } as AlertModel);
  }
  const recording = maybe(0.3);
  const rules: RecordingRuleModel[] = Array.from({ length: Math.floor(rand() * 3) }, () => ({ record: pick(['r:x', 'on']), group: 'g', expr: pick(EXPRS), labels: record(3), enabled: maybe(0.8), origin }) as RecordingRuleModel);
  const group = {
    name: pick(['g', 'cluster health', 'yes']),
    type: recording ? 'recording' : 'alerting',
    ...(maybe(0.3) ? { interval: '1m' } : {}),
    ...(maybe(0.3) ? { limit: pick([0, 10]) } : {}),
    ...(maybe(0.3) ? { queryOffset: '30s' } : {}),
    alerts: recording ? [] : alerts,
    rules: recording ? rules : [],
    origin,
  } as unknown as RuleGroupModel;
  const model = {
    groups: [group],
    severities: ['critical', 'warning', 'info', 'page'].map((name, rank) => ({ name, rank })),
    project: maybe() ? { grafana: { url: 'https://grafana.example.com/' } } : undefined,
  } as unknown as Model;
  return { model, group };
}

describe('rule file text', () => {
  it('is the YAML of the rule document, for 3,000 random groups', () => {
    const header = ['Generated.', 'Source: alerts.yaml'];
    let rules = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const { model, group } = generate(seed);
      const document = { groups: [ruleGroupBodies(model)[0]!.body] };
      rules += document.groups[0]!.rules.length;
      expect(ruleFileText(model, [group], header), `seed ${seed}`).toBe(goYaml(document, header));
    }
    // The cases are not all empty groups.
    expect(rules).toBeGreaterThan(3000);
  });

  it('writes an AlertRules and a RecordingRules of one name as one group, records first', () => {
    const a = generate(7);
    const b = generate(11);
    const alerting = { ...a.group, type: 'alerting', alerts: a.group.alerts.length ? a.group.alerts : generate(12).group.alerts } as RuleGroupModel;
    const recording = { ...alerting, type: 'recording', alerts: [], rules: [{ record: 'r:x', group: 'g', expr: 'up', labels: { b: '1', a: '2' }, enabled: true }] } as unknown as RuleGroupModel;
    const model = { ...b.model, groups: [alerting, recording] } as Model;
    const document = { groups: [ruleGroupBodies(model)[0]!.body] };
    const text = ruleFileText(model, [alerting, recording], []);
    expect(text).toBe(goYaml(document));
    expect((parse(text) as typeof document).groups[0]!.rules[0]).toEqual({ record: 'r:x', expr: 'up', labels: { a: '2', b: '1' } });
  });
});

describe('normaliseExpr', () => {
  it('trims each line\'s end and the whole, one line or many', () => {
    const reference = (e: string) => e.split('\n').map((line) => line.trimEnd()).join('\n').trim();
    const rand = seededRandom(3);
    const alphabet = ['a', ' ', '\t', '\n', '\r', '\u00a0', '\u2028', '(', '1'];
    for (let i = 0; i < 20000; i++) {
      const e = Array.from({ length: Math.floor(rand() * 10) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
      expect(normaliseExpr(e), JSON.stringify(e)).toBe(reference(e));
    }
  });
});
