import type { CatalogueFile } from './catalogue.ts';
import alertmanager from './alertmanager.json' with { type: 'json' };
import clientGolang from './client_golang.json' with { type: 'json' };
import dcgmExporter from './dcgm_exporter.json' with { type: 'json' };
import nodeExporter from './node_exporter.json' with { type: 'json' };
import prometheus from './prometheus.json' with { type: 'json' };
import promClient from './prom_client.json' with { type: 'json' };
import pushgateway from './pushgateway.json' with { type: 'json' };

export type { CatalogueFile, CatalogueMetric } from './catalogue.ts';

/** The exporter catalogues shipped with Vigil (recorded by scripts/record-catalogues.ts), by the name a project uses. */
export const BUILT_IN_CATALOGUES: ReadonlyMap<string, CatalogueFile> = new Map(
  ([nodeExporter, prometheus, alertmanager, pushgateway, clientGolang, promClient, dcgmExporter] as CatalogueFile[]).map((c) => [c.catalogue, c]),
);
