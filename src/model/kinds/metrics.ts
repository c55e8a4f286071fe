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
      ...(metric.buckets ? { buckets: metric.buckets } : {}),
      origin: at(def, ['metrics', i]),
    }),
  );
  (m.external ?? []).forEach((ext, i) => {
    const metrics = (ext.metrics ?? []).map((metric, j) => ({ name: metric.name, labels: metric.labels, origin: at(def, ['external', i, 'metrics', j]) }));
    model.external.push({
      source: ext.source,
      prefixes: ext.prefixes ?? [],
      names: [...(ext.names ?? []), ...metrics.map((metric) => metric.name)],
      labels: ext.labels ?? [],
      metrics,
      origin: at(def, ['external', i]),
    });
  });
};
