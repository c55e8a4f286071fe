import type { Diagnostic } from '../diagnostics.ts';
import type { KindName } from '../spec/kinds.ts';
import type { TypedDefinition } from '../spec/validate.ts';
import { BrokenDefinitions } from './broken.ts';
import { mapAlertRules } from './kinds/alert-rules.ts';
import { mapDashboard } from './kinds/dashboard.ts';
import { mapEnvironment } from './kinds/environment.ts';
import type { KindMapper } from './kinds/mapper.ts';
import { mapMetrics } from './kinds/metrics.ts';
import { mapProject } from './kinds/project.ts';
import { mapReceivers } from './kinds/receivers.ts';
import { mapRecordingRules } from './kinds/recording-rules.ts';
import { mapSlos } from './kinds/slos.ts';
import { mapRoutes } from './kinds/routes.ts';
import { mapRuleTests } from './kinds/rule-tests.ts';
import { mapSeverities, markLevelsWithoutSeverityLabel } from './kinds/severities.ts';
import { mapTemplates } from './kinds/templates.ts';
import { mapSilences } from './kinds/silences.ts';
import type { Model } from './types.ts';

export { DEFAULT_INTERVAL } from './kinds/mapper.ts';
export { dashboardExpressions } from './kinds/dashboard.ts';

/** One mapper per kind; the Record type makes a new kind without a mapper a compile error. */
export const KIND_MAPPERS: Readonly<Record<KindName, KindMapper>> = {
  Project: mapProject,
  Metrics: mapMetrics,
  Severities: mapSeverities,
  AlertRules: mapAlertRules,
  RecordingRules: mapRecordingRules,
  SLOs: mapSlos,
  Receivers: mapReceivers,
  Routes: mapRoutes,
  Dashboard: mapDashboard,
  RuleTests: mapRuleTests,
  Environment: mapEnvironment,
  Templates: mapTemplates,
  Silences: mapSilences,
};

/** Maps schema-valid definitions to the normalised model. Pure: no IO, never throws on valid specs. */
export function buildModel(typed: readonly TypedDefinition[]): { model: Model; diagnostics: Diagnostic[] } {
  const into = { model: emptyModel(), diagnostics: [] as Diagnostic[] };
  for (const { kind, def } of typed) {
    const list = into.model.definitionsByKind.get(kind) ?? [];
    list.push(def);
    into.model.definitionsByKind.set(kind, list);
  }
  // In definition order: the first Project, Severities and Routes win, and expressions keep their order.
  for (const { kind, def } of typed) KIND_MAPPERS[kind](def, into);
  markLevelsWithoutSeverityLabel(into.model);
  return into;
}

export function emptyModel(): Model {
  return {
    metrics: [],
    external: [],
    severities: [],
    groups: [],
    receivers: [],
    templates: [],
    dashboards: [],
    ruleTests: [],
    silences: [],
    environments: [],
    expressions: [],
    definitionsByKind: new Map(),
    broken: new BrokenDefinitions(),
  };
}
