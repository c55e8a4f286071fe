import type { RecordingRulesSpec } from '../../spec/types.gen.ts';
import type { ExpressionModel, RecordingRuleModel } from '../types.ts';
import { at, type KindMapper } from './mapper.ts';
import { objectArray } from '../../util/object-array.ts';

export const mapRecordingRules: KindMapper = (def, { model }) => {
  const g = def.value as RecordingRulesSpec;
  // Pushed one by one (see objectArray): an array made by `map` is packed or holey depending on whether this ran optimised.
  const rules = objectArray<RecordingRuleModel>();
  g.rules.forEach((r, i) => {
    const expression: ExpressionModel = { text: r.expr, grafana: false, owner: `recording rule ${r.record}`, origin: at(def, ['rules', i, 'expr']), exact: true };
    model.expressions.push(expression);
    rules.push({ record: r.record, group: g.group, expr: r.expr, labels: { ...(r.labels ?? {}) }, enabled: r.enabled !== false, origin: at(def, ['rules', i]), expression });
  });
  model.groups.push({
    name: g.group,
    type: 'recording',
    interval: g.interval,
    limit: g.limit,
    queryOffset: g.queryOffset,
    alerts: objectArray(),
    rules,
    origin: at(def, ['group']),
  });
};
