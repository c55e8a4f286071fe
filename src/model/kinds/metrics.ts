import type { MetricsSpec } from '../../spec/types.gen.ts';
import { at, type KindMapper } from './mapper.ts';

export const mapMetrics: KindMapper = (def, { model }) => {
  const m = def.value as MetricsSpec;
  (m.metrics ?? []).forEach((metric, i) =>
    model.metrics.push({
      name: metric.name,
      type: metric.type,
      help: metric.help,
      unit: metric.unit,
      labels: metric.labels ?? [],
      source: metric.source ?? m.source ?? 'unknown',
      origin: at(def, ['metrics', i]),
    }),
  );
  (m.external ?? []).forEach((ext, i) =>
    model.external.push({
      source: ext.source,
      prefixes: ext.prefixes ?? [],
      names: ext.names ?? [],
      labels: ext.labels ?? [],
      origin: at(def, ['external', i]),
    }),
  );
};
