import type {
  AlertRulesSpec,
  DashboardSpec,
  EnvironmentSpec,
  MetricsSpec,
  ProjectSpec,
  ReceiversSpec,
  RecordingRulesSpec,
  SLOsSpec,
  RoutesSpec,
  RuleTestsSpec,
  SeveritiesSpec,
  SilencesSpec,
  TemplatesSpec,
} from './types.gen.ts';
import { SDK_DASHBOARD_KEY } from './sdk.ts';

type Body<T> = Omit<T, 'apiVersion' | 'kind'>;

const header = <K extends string>(kind: K) => ({ apiVersion: 'vigil/v1' as const, kind });

export const defineProject = (spec: Body<ProjectSpec>): ProjectSpec => ({ ...header('Project'), ...spec });
export const defineMetrics = (spec: Body<MetricsSpec>): MetricsSpec => ({ ...header('Metrics'), ...spec });
export const defineSeverities = (spec: Body<SeveritiesSpec>): SeveritiesSpec => ({ ...header('Severities'), ...spec });
export const defineAlertRules = (spec: Body<AlertRulesSpec>): AlertRulesSpec => ({ ...header('AlertRules'), ...spec });
export const defineRecordingRules = (spec: Body<RecordingRulesSpec>): RecordingRulesSpec => ({ ...header('RecordingRules'), ...spec });
export const defineSLOs = (spec: Body<SLOsSpec>): SLOsSpec => ({ ...header('SLOs'), ...spec });
export const defineReceivers = (spec: Body<ReceiversSpec>): ReceiversSpec => ({ ...header('Receivers'), ...spec });
export const defineRoutes = (spec: Body<RoutesSpec>): RoutesSpec => ({ ...header('Routes'), ...spec });
export const defineEnvironment = (spec: Body<EnvironmentSpec>): EnvironmentSpec => ({ ...header('Environment'), ...spec });
export const defineTemplates = (spec: Body<TemplatesSpec>): TemplatesSpec => ({ ...header('Templates'), ...spec });
export const defineSilences = (spec: Body<SilencesSpec>): SilencesSpec => ({ ...header('Silences'), ...spec });
export const defineRuleTests = (spec: Body<RuleTestsSpec>): RuleTestsSpec => ({ ...header('RuleTests'), ...spec });

/** Anything with the Foundation SDK's `build()`, e.g. a DashboardBuilder. */
export interface DashboardBuilderLike {
  build(): object;
}

export interface SdkDashboardDefinition {
  apiVersion: 'vigil/v1';
  kind: 'Dashboard';
  [SDK_DASHBOARD_KEY]: Record<string, unknown>;
}

/**
 * A dashboard either declared like the YAML kind, or built with the Grafana Foundation SDK (pass the DashboardBuilder;
 * Vigil still checks its queries against the catalogue and assigns panel ids).
 */
export function defineDashboard(spec: Body<DashboardSpec>): DashboardSpec;
export function defineDashboard(builder: DashboardBuilderLike): SdkDashboardDefinition;
export function defineDashboard(input: Body<DashboardSpec> | DashboardBuilderLike): DashboardSpec | SdkDashboardDefinition {
  if (input !== null && typeof input === 'object' && typeof (input as DashboardBuilderLike).build === 'function') {
    // A build() that returns nothing gives null, which the Dashboard shape check then reports at this definition.
    const raw: unknown = (input as DashboardBuilderLike).build();
    const built = (raw === undefined ? null : JSON.parse(JSON.stringify(raw))) as Record<string, unknown>;
    return { ...header('Dashboard'), [SDK_DASHBOARD_KEY]: built };
  }
  return { ...header('Dashboard'), ...(input as Body<DashboardSpec>) };
}
