import type { ModelAnalyses } from '../model/analyses.ts';
import type { Model } from '../model/types.ts';
import { emitAlertmanager } from './alertmanager.ts';
import type { Artifact } from './artifact.ts';
import { emitAlertCatalogue } from './docs.ts';
import { emitDashboards } from './grafana-dashboards.ts';
import { emitGrafanaExports } from './grafana-export.ts';
import { emitEnvironment } from './environment.ts';
import { emitInstrumentation } from './instrumentation.ts';
import { emitGrafanaProvisioning } from './grafana-provisioning.ts';
import { emitPrometheusConfig } from './prometheus-config.ts';
import { emitPrometheusRules } from './prometheus-rules.ts';
import { emitPrometheusRuleManifests } from './prometheus-rule-manifests.ts';
import { emitRelayConfig } from './relay.ts';
import { emitRoutingDoc } from './routing-doc.ts';
import { emitSilences } from './silences.ts';

export interface Emitter {
  name: string;
  emit(model: Model, analyses: ModelAnalyses): Artifact[];
}

/** Every emitter; each writes its own subtree of generated/. */
export const EMITTERS: readonly Emitter[] = [
  { name: 'prometheus-rules', emit: (model) => emitPrometheusRules(model) },
  { name: 'prometheus-rule-manifests', emit: (model) => emitPrometheusRuleManifests(model) },
  { name: 'prometheus-config', emit: (model) => emitPrometheusConfig(model) },
  { name: 'alertmanager', emit: (model, analyses) => emitAlertmanager(model, { identityLabels: (alert) => analyses.labels.identityOf(alert) }).artifacts },
  { name: 'grafana-dashboards', emit: (model) => emitDashboards(model) },
  { name: 'grafana-export', emit: (model) => emitGrafanaExports(model) },
  { name: 'grafana-provisioning', emit: (model) => emitGrafanaProvisioning(model) },
  { name: 'docs', emit: (model) => [emitAlertCatalogue(model)] },
  { name: 'relay', emit: (model) => [emitRelayConfig(model)] },
  { name: 'silences', emit: (model) => emitSilences(model) },
  { name: 'routing-doc', emit: (model, analyses) => [emitRoutingDoc(model, analyses.labels)] },
  { name: 'environment', emit: (model) => emitEnvironment(model) },
  { name: 'instrumentation', emit: (model) => emitInstrumentation(model) },
];
