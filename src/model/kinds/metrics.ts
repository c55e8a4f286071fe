import { BUILT_IN_CATALOGUES } from '../../catalogues/index.ts';
import type { Diagnostic } from '../../diagnostics.ts';
import type { Definition } from '../../load/definition.ts';
import type { MetricsSpec } from '../../spec/types.gen.ts';
import { closest } from '../../util/closest.ts';
import { spanOf, type ExternalMetricModel, type ExternalMetricsModel } from '../types.ts';
import { at, type KindMapper } from './mapper.ts';

type ExternalSpec = NonNullable<MetricsSpec['external']>[number];

export const mapMetrics: KindMapper = (def, { model, diagnostics }) => {
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
    const external = externalOf(def, ext, i, diagnostics);
    if (external) model.external.push(external);
  });
};

function externalOf(def: Definition, ext: ExternalSpec, i: number, diagnostics: Diagnostic[]): ExternalMetricsModel | undefined {
  const origin = at(def, ['external', i]);
  // Written metrics come first: they win over the catalogue's entry of the same name (a label the exporter adds here).
  const written: ExternalMetricModel[] = (ext.metrics ?? []).map((metric, j) => ({
    name: metric.name,
    labels: metric.labels,
    ...(metric.type ? { type: metric.type } : {}),
    ...(metric.help !== undefined ? { help: metric.help } : {}),
    origin: at(def, ['external', i, 'metrics', j]),
  }));
  const own = { names: [...(ext.names ?? []), ...written.map((metric) => metric.name)], prefixes: ext.prefixes ?? [], labels: ext.labels ?? [] };
  if (ext.catalogue === undefined) {
    if (ext.source === undefined) {
      diagnostics.push({
        code: 'schema',
        severity: 'error',
        message: 'an external entry needs source: (its metrics by name or prefix) or catalogue: (a built-in exporter catalogue)',
        span: spanOf(origin),
        hint: `e.g. { catalogue: node_exporter } or { source: redis, prefixes: [redis_] }; built-in catalogues: ${[...BUILT_IN_CATALOGUES.keys()].join(', ')}`,
      });
    }
    // Kept without its source: its names stay known, so the expressions using them report nothing more.
    return { source: ext.source ?? 'unknown', ...own, exhaustive: ext.exhaustive ?? false, metrics: written, origin };
  }
  const catalogue = BUILT_IN_CATALOGUES.get(ext.catalogue);
  if (!catalogue) {
    const near = closest(ext.catalogue, BUILT_IN_CATALOGUES.keys());
    diagnostics.push({
      code: 'schema',
      severity: 'error',
      message: `unknown catalogue "${ext.catalogue}"`,
      span: spanOf(origin, 'catalogue'),
      hint: `${near ? `did you mean "${near}"? ` : ''}the built-in catalogues are ${[...BUILT_IN_CATALOGUES.keys()].join(', ')}; for another exporter, record one with vigil catalog update --from URL`,
    });
    return undefined;
  }
  const from = at(def, ['external', i, 'catalogue']);
  const listed = catalogue.metrics.filter((metric) => metric.labels).map((metric) => ({ name: metric.name, labels: metric.labels!, type: metric.type, help: metric.help, origin: from }));
  return {
    source: ext.source ?? catalogue.source,
    catalogue: catalogue.catalogue,
    prefixes: [...catalogue.prefixes, ...own.prefixes],
    exhaustive: ext.exhaustive ?? true,
    names: [...own.names, ...catalogue.metrics.map((metric) => metric.name)],
    labels: own.labels,
    metrics: [...written, ...listed],
    origin,
  };
}
