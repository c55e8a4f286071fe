import type { AlertmanagerPeer, PrometheusTarget } from '../build/environment.ts';
import type { Span } from '../diagnostics.ts';
import type { Definition, Path } from '../load/definition.ts';
import type { BrokenDefinitions } from './broken.ts';
import type { DashboardSpec, HttpClientConfig, Integrations, ReceiversSpec, RelaySettings, ScrapeSource, TimeInterval } from '../spec/types.gen.ts';

/** Where a model object came from: its definition document and the path inside it. */
export interface Origin {
  def: Definition;
  path: Path;
}

/**
 * The span of a model object's field, resolved only when read: finding a YAML position parses the file again with
 * positions, which a clean build never needs.
 */
function lazySpan(file: string, locate: () => Span): Span {
  let cached: Span | undefined;
  const get = () => (cached ??= locate());
  return {
    file,
    get start() {
      return get().start;
    },
    get end() {
      return get().end;
    },
  };
}

export function spanOf(origin: Origin, ...sub: (string | number)[]): Span {
  const path = [...origin.path, ...sub];
  return lazySpan(origin.def.fileAt?.(path) ?? origin.def.file, () => origin.def.locate(path));
}

export function keySpanOf(origin: Origin, ...sub: (string | number)[]): Span {
  const path = [...origin.path, ...sub];
  return lazySpan(origin.def.fileAt?.(path) ?? origin.def.file, () => origin.def.locateKey(path));
}

export interface SecretRef {
  env?: string;
  file?: string;
}

export interface ProjectModel {
  name: string;
  evaluationInterval: string;
  scrapeInterval: string;
  externalLabels: Record<string, string>;
  grafana: { url?: string; datasourceUid: string; folder?: string; tags: string[]; exportFormat?: boolean };
  /** The relay's settings as written (secrets as references): relay.yml carries them to `vigil relay`. */
  relay?: RelaySettings;
  smtp?: { smarthost: string; from: string; authUsername?: string; authPassword?: SecretRef; requireTls?: boolean };
  /** Alertmanager's global settings as written; `templates`: extra template files on the Alertmanager host. */
  alertmanager?: { resolveTimeout?: string; smtpHello?: string; wechatApiUrl?: string; httpConfig?: HttpClientConfig; templates?: string[] };
  /** Also write the rules as prometheus-operator PrometheusRule manifests. */
  prometheusRule?: { namespace?: string; labels?: Record<string, string> };
  /** `checks`: severity per check id, as written (compile validates the ids against the registry). */
  policies: { requiredAlertLabels: string[]; testCoverage: number; /** Undefined: 7d (silence/max-duration). */ silenceMaxDuration?: string; checks: Record<string, 'error' | 'warning' | 'off'> };
  origin?: Origin;
}

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface MetricModel {
  name: string;
  type: MetricType;
  help: string;
  unit?: string;
  labels: string[];
  source: string;
  /** Histograms: bucket upper bounds as written (metric/buckets checks them). */
  buckets?: number[];
  origin: Origin;
}

export interface ExternalMetricsModel {
  source: string;
  /** The built-in exporter catalogue the entry references (src/catalogues/), if any. */
  catalogue?: string;
  prefixes: string[];
  /** true: the names are every metric under `prefixes`, another name under them is a typo; false: any name under them is known. */
  exhaustive: boolean;
  /** Every name known exactly: those of `names:`, then those of `metrics:`, then the catalogue's. */
  names: string[];
  /** Labels of the entry's metrics that `metrics` does not list; empty when unknown. */
  labels: string[];
  /** Metrics whose series carry labels of their own, in place of the entry's. */
  metrics: ExternalMetricModel[];
  origin: Origin;
}

export interface ExternalMetricModel {
  name: string;
  labels: string[];
  /** Known for catalogue metrics and where written: checks then judge the metric like a catalogued one. */
  type?: MetricType | 'untyped';
  help?: string;
  origin: Origin;
}

export interface EscalationStep {
  after: string;
  receivers: string[];
  /** The last step only: again every this long while the alert stays open. */
  repeat?: string;
  origin: Origin;
}

export interface SeverityModel {
  name: string;
  /** 0 is the most severe. */
  rank: number;
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  /** How long a confirmation holds before the relay opens the alert again (unset: it holds until the alert ends). */
  confirmExpiry?: string;
  /** false: alerts of this level carry no severity label (rules imported from a setup that routes by other labels). */
  label?: false;
  escalation: EscalationStep[];
  origin: Origin;
}

export type ThresholdOp = '>' | '>=' | '<' | '<=' | '==' | '!=';

/** One level of an alert; each compiles to its own Prometheus alerting rule. */
export interface AlertLevel {
  severity: string;
  /** Absent for a single-level alert whose expression carries its own comparison. */
  op?: ThresholdOp;
  value?: number;
  for?: string;
  keepFiringFor?: string;
  /** A level of `rules:` has an expression of its own (with its comparison); the others share the alert's. */
  expr?: string;
  expression?: ExpressionModel;
  /** Labels and annotations of this level's rule alone (a level of `rules:`); they win over the alert's. */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Set once every kind is mapped: the level's severity says `label: false`, so its alerts carry no severity label. */
  withoutSeverityLabel?: true;
  origin: Origin;
}

export interface AlertModel {
  name: string;
  group: string;
  /** With `rules:`, the first level's expression: each level has its own (levelExpression, alertExpressions). */
  expr: string;
  levels: AlertLevel[];
  summary?: string;
  description?: string;
  runbook?: string;
  dashboard?: string;
  /** Group labels merged with the alert's own (the alert's win). */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  enabled: boolean;
  origin: Origin;
  /** The expression as checks see it (shared analysis cache key); with `rules:`, the first level's. */
  expression: ExpressionModel;
}

/** The expression one level's rule evaluates: its own (a level of `rules:`) or the alert's. */
export function levelExpression(alert: AlertModel, level: AlertLevel): ExpressionModel {
  return level.expression ?? alert.expression;
}

/** Every distinct expression an alert's rules evaluate: one, or one per level of `rules:`. */
export function alertExpressions(alert: AlertModel): ExpressionModel[] {
  return [...new Set(alert.levels.length ? alert.levels.map((l) => levelExpression(alert, l)) : [alert.expression])];
}

export interface RecordingRuleModel {
  record: string;
  group: string;
  expr: string;
  labels: Record<string, string>;
  enabled: boolean;
  origin: Origin;
  expression: ExpressionModel;
}

export interface RuleGroupModel {
  name: string;
  type: 'alerting' | 'recording';
  interval?: string;
  /** Prometheus' `limit` and `query_offset`, as written. */
  limit?: number;
  queryOffset?: string;
  alerts: AlertModel[];
  rules: RecordingRuleModel[];
  origin: Origin;
}

export type ReceiverChannels = Omit<ReceiversSpec['receivers'][number], 'name' | 'sendResolved' | 'discard' | 'alertmanager' | 'fallback'>;

/** Alertmanager's own integrations of a receiver, as written (`alertmanager:`): lists of configs by their key. */
export type ReceiverIntegrations = Integrations;

/** A relay message template (kind Templates), as written: the relay compiles and chooses it. */
export interface MessageTemplateModel {
  name: string;
  channel: 'dingtalk' | 'wecomRobot' | 'sms' | 'email';
  receivers?: string[];
  severities?: string[];
  language?: 'zh' | 'en';
  title?: string;
  body: string;
  origin: Origin;
}

export interface ReceiverModel {
  name: string;
  sendResolved: boolean;
  channels: ReceiverChannels;
  integrations?: ReceiverIntegrations;
  /** Delivers nothing on purpose (`discard: true`): the receiver of alerts nobody must be told about. */
  discard?: boolean;
  /** The receiver the relay notifies when delivery to this one finally fails. */
  fallback?: string;
  origin: Origin;
}

export interface MatcherModel {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
  /** The matcher string as written. */
  text: string;
  origin: Origin;
}

export interface RouteModel {
  matchers: MatcherModel[];
  /** Empty on a route that inherits its parent's receiver. */
  receivers: string[];
  continue: boolean;
  groupBy?: string[];
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  defaultOk: boolean;
  /** Names of `timeIntervals` during which the route sends nothing, and outside of which it sends nothing. */
  muteTimeIntervals?: string[];
  activeTimeIntervals?: string[];
  routes: RouteModel[];
  origin: Origin;
}

/** A named set of Alertmanager time intervals (`timeIntervals.<name>` of Routes). */
export interface TimeIntervalModel {
  name: string;
  intervals: TimeInterval[];
  origin: Origin;
}

export interface InhibitModel {
  sourceMatchers: MatcherModel[];
  targetMatchers: MatcherModel[];
  equal: string[];
  origin: Origin;
}

export interface RoutesModel {
  root: RouteModel;
  inhibit: InhibitModel[];
  timeIntervals?: TimeIntervalModel[];
  origin: Origin;
}

export interface DashboardModel {
  uid: string;
  title: string;
  /** Declarative dashboards. */
  spec?: DashboardSpec;
  /** Dashboards built in TypeScript with the Foundation SDK: the finished Grafana JSON. */
  built?: Record<string, unknown>;
  origin: Origin;
}

/** A PromQL expression somewhere in the definitions, so checks can analyse every one in one place. */
export interface ExpressionModel {
  text: string;
  /** Panel queries may use Grafana variables and macros. */
  grafana: boolean;
  owner: string;
  /** Path of the string in its definition, for positions inside it; absent when the text has no single source string. */
  origin: Origin;
  exact: boolean;
}

export interface ExpectedAlert {
  name: string;
  level?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  origin: Origin;
}

export interface AlertRefModel {
  alert: string;
  level?: string;
  labels: Record<string, string>;
  origin: Origin;
}

/** One user-written test (kind RuleTests): promtool input, expectations, routing and inhibition expectations. */
export interface RuleTestModel {
  name: string;
  interval: string;
  series: { selector: string; values: string; origin: Origin }[];
  expect: {
    at: string;
    alerts?: ExpectedAlert[];
    values: { expr: string; samples: { labels?: string; value: number }[]; origin: Origin }[];
    origin: Origin;
  }[];
  routes: { alert: string; level?: string; labels: Record<string, string>; receivers: string[]; origin: Origin }[];
  inhibitions: { source: AlertRefModel; target: AlertRefModel; inhibited: boolean; origin: Origin }[];
  origin: Origin;
}

// The targets of an environment as deploy reads them from the build (environment.json); the model holds the same shapes.
export type { AlertmanagerPeer, PrometheusTarget };

/** An environment's scrape settings for one catalogue source (the schema's ScrapeSource, keyed by its source). */
export type ScrapeSourceModel = ScrapeSource & { source: string };

export interface EnvironmentModel {
  name: string;
  prometheus: PrometheusTarget[];
  alertmanager: AlertmanagerPeer[];
  /** The secrets directory as the Alertmanager servers see it (named in alertmanager.yml); undefined when peers differ. */
  alertmanagerServerSecretsDir?: string;
  grafana?: { url: string; token?: SecretRef; folder?: string; datasourceUrl: string };
  influxdb?: { url: string; database: string; retention?: string; username?: string; password?: SecretRef };
  retention?: string;
  scrape: ScrapeSourceModel[];
  /** Where batch and training jobs push; `sources` arrive through it instead of a scrape of their own. */
  pushgateway?: { url: string; interval?: string; sources: string[] };
  origin: Origin;
}

/** One entry of a Silences definition. Times are epoch milliseconds; NaN where the text is not a time. */
export interface SilenceModel {
  name: string;
  /** The matchers that parsed; silence/matcher reports the others (in `written`, by index) and they are left out. */
  matchers: MatcherModel[];
  /** Every matcher as written, so a silence whose matchers failed to parse is not taken for one that mutes everything. */
  written: string[];
  startsAt: number;
  /** From endsAt, or startsAt + duration. */
  endsAt: number;
  /** Which of endsAt and duration the definition gave (exactly one is valid: silence/window). */
  given: { endsAt: boolean; duration: boolean };
  createdBy: string;
  comment: string;
  /** Undefined: every Environment. */
  environments?: string[];
  origin: Origin;
}

export interface Model {
  project?: ProjectModel;
  metrics: MetricModel[];
  external: ExternalMetricsModel[];
  severities: SeverityModel[];
  groups: RuleGroupModel[];
  receivers: ReceiverModel[];
  templates: MessageTemplateModel[];
  routes?: RoutesModel;
  dashboards: DashboardModel[];
  ruleTests: RuleTestModel[];
  /** Planned maintenance (kind: Silences), in definition order. */
  silences: SilenceModel[];
  /** Every declared environment; in an environment's build, only that one. */
  environments: EnvironmentModel[];
  /** Set when compiling for one environment: its overrides are already merged into the rest of the model. */
  environment?: EnvironmentModel;
  expressions: ExpressionModel[];
  /** Definitions of kinds that must be unique but were given more than once, and similar structural problems. */
  definitionsByKind: Map<string, Definition[]>;
  /** What the definitions left out of the model (they failed to load or match their schema) may declare. */
  broken: BrokenDefinitions;
}

const alertIndex = new WeakMap<Model, Map<string, AlertModel>>();

/** Alerts by name (the first definition wins when a name repeats; rule/duplicate reports the rest). */
export function alertsByName(model: Model): Map<string, AlertModel> {
  let index = alertIndex.get(model);
  if (!index) {
    index = new Map();
    for (const a of allAlerts(model)) if (!index.has(a.name)) index.set(a.name, a);
    alertIndex.set(model, index);
  }
  return index;
}

export function allAlerts(model: Model): AlertModel[] {
  return model.groups.flatMap((g) => g.alerts);
}

export function allRecordingRules(model: Model): RecordingRuleModel[] {
  return model.groups.flatMap((g) => g.rules);
}
