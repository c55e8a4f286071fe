import { describe, expect, it } from 'vitest';
import { routingCases } from '../../test/fixtures/alertmanager/model.ts';
import type { AlertLevel, AlertModel, Model, RuleGroupModel } from '../model/types.ts';
import { groupLevelRouting } from './levels.ts';
import { routeAlert } from './route.ts';

/**
 * Levels whose labels agree on every label the routing tree's matchers read share one routing result: each row's
 * result must be what routing its own labels gives, over every routing fixture and the label sets it mentions
 * (each matcher's values, regex alternatives, misses, empty and absent labels, levels without a severity label).
 */
describe('level routing', () => {
  it.each(routingCases(400).map((c) => [c.file, c] as const))('gives each level of %s the result of its own labels', (_file, c) => {
    const origin = { def: { file: 'alerts.yaml' } } as AlertModel['origin'];
    const alerts: AlertModel[] = c.labelSets.map((labels, i) => {
      const { severity, ...rest } = labels;
      const levels: AlertLevel[] = [
        { severity: severity ?? 'critical', origin },
        { severity: 'warning', origin, ...(i % 3 === 0 ? { withoutSeverityLabel: true as const } : {}) },
      ];
      return { name: i % 2 ? 'A' : `Alert${i % 7}`, group: 'g', expr: 'up', levels, labels: rest, annotations: {}, enabled: true, origin } as unknown as AlertModel;
    });
    const group = { name: 'g', type: 'alerting', alerts, rules: [], origin } as unknown as RuleGroupModel;
    const model = { ...c.model, groups: [group] } as Model;
    const rows = groupLevelRouting(model, group);
    expect(rows).toHaveLength(alerts.length * 2);
    for (const row of rows) expect(row.result, JSON.stringify(row.labels)).toEqual(routeAlert(model.routes!, row.labels));
    // The rows do share results: fewer distinct ones than rows.
    expect(new Set(rows.map((r) => r.result)).size).toBeLessThan(rows.length);
  });
});
