import type { Path } from '../../load/definition.ts';
import type { RuleTestsSpec } from '../../spec/types.gen.ts';
import { at, DEFAULT_INTERVAL, type KindMapper } from './mapper.ts';

export const mapRuleTests: KindMapper = (def, { model }) => {
  const spec = def.value as RuleTestsSpec;
  spec.tests.forEach((t, i) => {
    const base = ['tests', i];
    const ref = (r: { alert: string; level?: string; labels?: Record<string, string> }, path: Path) => ({ alert: r.alert, level: r.level, labels: { ...(r.labels ?? {}) }, origin: at(def, path) });
    model.ruleTests.push({
      name: t.name,
      interval: t.interval ?? DEFAULT_INTERVAL,
      series: Object.entries(t.series ?? {}).map(([selector, values]) => ({ selector, values, origin: at(def, [...base, 'series', selector]) })),
      expect: (t.expect ?? []).map((e, j) => ({
        at: e.at,
        alerts: e.alerts?.map((a, k) => ({ name: a.name, level: a.level, labels: { ...(a.labels ?? {}) }, annotations: { ...(a.annotations ?? {}) }, origin: at(def, [...base, 'expect', j, 'alerts', k]) })),
        values: (e.values ?? []).map((v, k) => {
          const origin = at(def, [...base, 'expect', j, 'values', k]);
          model.expressions.push({ text: v.expr, grafana: false, owner: `test "${t.name}"`, origin: at(def, [...base, 'expect', j, 'values', k, 'expr']), exact: true });
          return { expr: v.expr, samples: v.samples, origin };
        }),
        origin: at(def, [...base, 'expect', j]),
      })),
      routes: (t.routes ?? []).map((r, j) => ({ alert: r.alert, level: r.level, labels: { ...(r.labels ?? {}) }, receivers: r.receivers, origin: at(def, [...base, 'routes', j]) })),
      inhibitions: (t.inhibitions ?? []).map((r, j) => ({
        source: ref(r.source, [...base, 'inhibitions', j, 'source']),
        target: ref(r.target, [...base, 'inhibitions', j, 'target']),
        inhibited: r.inhibited,
        origin: at(def, [...base, 'inhibitions', j]),
      })),
      origin: at(def, base),
    });
  });
};
