import type { RecordingRulesSpec } from '../../spec/types.gen.ts';
import type { ExpressionModel } from '../types.ts';
import { at, type KindMapper } from './mapper.ts';

export const mapRecordingRules: KindMapper = (def, { model }) => {
  const g = def.value as RecordingRulesSpec;
  model.groups.push({
    name: g.group,
    type: 'recording',
    interval: g.interval,
    limit: g.limit,
    queryOffset: g.queryOffset,
    alerts: [],
    rules: g.rules.map((r, i) => {
      const expression: ExpressionModel = { text: r.expr, grafana: false, owner: `recording rule ${r.record}`, origin: at(def, ['rules', i, 'expr']), exact: true };
      model.expressions.push(expression);
      return { record: r.record, group: g.group, expr: r.expr, labels: { ...(r.labels ?? {}) }, enabled: r.enabled !== false, origin: at(def, ['rules', i]), expression };
    }),
    origin: at(def, ['group']),
  });
};
