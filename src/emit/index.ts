import type { ModelAnalyses } from '../model/analyses.ts';
import type { Model } from '../model/types.ts';
import type { FileScopes } from '../compile-scopes.ts';
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
  /** `scopes`: per-file parts of earlier compiles to reuse (see compile-scopes.ts). */
  emit(model: Model, analyses: ModelAnalyses, scopes?: FileScopes, options?: EmitOptions): Artifact[];
}

export interface EmitOptions {
  /** False: the artifacts need no `data` (vigil build writes the files only); an emitter may skip building it. */
  data?: boolean;
}

/** Every emitter; each writes its own subtree of generated/. */
export const EMITTERS: readonly Emitter[] = [
  { name: 'prometheus-rules', emit: (model, _analyses, scopes, options) => emitPrometheusRules(model, scopes, options) },
  { name: 'prometheus-rule-manifests', emit: (model) => emitPrometheusRuleManifests(model) },
  { name: 'prometheus-config', emit: (model) => emitPrometheusConfig(model) },
  { name: 'alertmanager', emit: (model, analyses, scopes) => emitAlertmanager(model, { identityLabels: (alert) => analyses.labels.identityOf(alert), scopes }).artifacts },
  { name: 'grafana-dashboards', emit: (model, _analyses, scopes) => emitDashboards(model, scopes) },
  { name: 'grafana-export', emit: (model) => emitGrafanaExports(model) },
  { name: 'grafana-provisioning', emit: (model) => emitGrafanaProvisioning(model) },
  { name: 'docs', emit: (model, _analyses, scopes) => [emitAlertCatalogue(model, scopes)] },
  { name: 'relay', emit: (model) => [emitRelayConfig(model)] },
  { name: 'silences', emit: (model) => emitSilences(model) },
  { name: 'routing-doc', emit: (model, analyses, scopes) => [emitRoutingDoc(model, analyses.labels, scopes)] },
  { name: 'environment', emit: (model) => emitEnvironment(model) },
  { name: 'instrumentation', emit: (model) => emitInstrumentation(model) },
];
