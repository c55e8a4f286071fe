/**
 * Valid Vigil definitions with every default filled in, so a test states only what differs from a project that
 * compiles cleanly. The defaults are the base fixture's (test/fixtures/base): a Project with a relay (SMS over HTTP)
 * and SMTP, a catalogue of http_requests_total / queue_depth / request_duration_seconds plus node_exporter and up,
 * QueueDeep with warning and critical levels, TargetDown at critical, three severities, an email and an SMS receiver,
 * and routes that page on critical; SLOs (not in the base project) of group app-slos over the same catalogue. Every
 * factory takes overrides: `undefined` removes a key (see merge.ts).
 */
import type {
  AlertRulesSpec,
  EnvironmentSpec,
  MetricsSpec,
  ProjectSpec,
  ReceiversSpec,
  Route,
  RoutesSpec,
  RuleTestsSpec,
  SeveritiesSpec,
  SLOsSpec,
  Threshold,
} from '../../src/spec/types.gen.ts';
import { withDefaults, type Overrides } from './merge.ts';

export const API_VERSION = 'vigil/v1';

export type MetricEntry = NonNullable<MetricsSpec['metrics']>[number];
export type ExternalSource = NonNullable<MetricsSpec['external']>[number];
export type AlertEntry = AlertRulesSpec['alerts'][number];
export type SeverityLevel = SeveritiesSpec['levels'][number];
export type ReceiverEntry = ReceiversSpec['receivers'][number];
export type RuleTest = RuleTestsSpec['tests'][number];
export type SloEntry = SLOsSpec['slos'][number];
export type Definition = ProjectSpec | MetricsSpec | AlertRulesSpec | SeveritiesSpec | ReceiversSpec | RoutesSpec | EnvironmentSpec | RuleTestsSpec | SLOsSpec;

// ---- Project ------------------------------------------------------------------------------------------------------

export function project(overrides: Overrides<ProjectSpec> = {}): ProjectSpec {
  return withDefaults<ProjectSpec>(
    {
      apiVersion: API_VERSION,
      kind: 'Project',
      name: 'fixture',
      evaluationInterval: '30s',
      scrapeInterval: '15s',
      grafana: { url: 'https://grafana.example.com', datasourceUid: 'prometheus' },
      relay: { url: 'http://relay:9095', token: { env: 'VIGIL_RELAY_TOKEN' }, sms: { provider: 'http', url: 'https://sms-gateway.example.com/send' } },
      smtp: { smarthost: 'smtp.example.com:587', from: 'alerts@example.com' },
      policies: { requiredAlertLabels: ['team'] },
    } as ProjectSpec,
    overrides,
  );
}

// ---- Metrics catalogue --------------------------------------------------------------------------------------------

/** One catalogue entry: a gauge unless told otherwise, with a help text naming it. */
export function metric(overrides: Overrides<MetricEntry> = {}): MetricEntry {
  const name = (overrides.name as string | undefined) ?? 'queue_depth';
  return withDefaults<MetricEntry>({ name, type: 'gauge', help: `${name} of the service.`, labels: ['service'] }, overrides);
}

export const counter = (name: string, overrides: Overrides<MetricEntry> = {}): MetricEntry => metric({ name, type: 'counter', ...overrides });
export const gauge = (name: string, overrides: Overrides<MetricEntry> = {}): MetricEntry => metric({ name, type: 'gauge', ...overrides });
export const histogram = (name: string, overrides: Overrides<MetricEntry> = {}): MetricEntry => metric({ name, type: 'histogram', ...overrides });

export const DEFAULT_METRICS: MetricEntry[] = [
  counter('http_requests_total', { help: 'Requests served.', labels: ['service', 'code'] }),
  gauge('queue_depth', { help: 'Items waiting.' }),
  histogram('request_duration_seconds', { help: 'Request latency.' }),
];

export const DEFAULT_EXTERNAL: ExternalSource[] = [
  { source: 'node_exporter', prefixes: ['node_'], labels: ['instance', 'job', 'mountpoint'] },
  { source: 'prometheus', names: ['up'] },
];

export function metrics(overrides: Overrides<MetricsSpec> = {}): MetricsSpec {
  return withDefaults<MetricsSpec>({ apiVersion: API_VERSION, kind: 'Metrics', source: 'app', metrics: DEFAULT_METRICS, external: DEFAULT_EXTERNAL }, overrides);
}

// ---- Alert rules --------------------------------------------------------------------------------------------------

export const threshold = (op: Threshold['op'], value: number, overrides: Overrides<Threshold> = {}): Threshold => withDefaults<Threshold>({ op, value }, overrides);

/** An alert with two levels (QueueDeep of the base fixture): warning above 100 for 5m, critical above 500 for 2m. */
export function leveledAlert(overrides: Overrides<AlertEntry> = {}): AlertEntry {
  return withDefaults<AlertEntry>(
    {
      name: 'QueueDeep',
      expr: 'max by (service) (queue_depth)',
      thresholds: { warning: threshold('>', 100, { for: '5m' }), critical: threshold('>', 500, { for: '2m' }) },
      summary: 'Queue of {{ $labels.service }} holds {{ $value }} items',
      runbook: 'https://runbooks.example.com/queue-deep',
    },
    overrides,
  );
}

/** An alert at one severity (TargetDown of the base fixture): critical after 1m. */
export function singleAlert(overrides: Overrides<AlertEntry> = {}): AlertEntry {
  return withDefaults<AlertEntry>(
    { name: 'TargetDown', expr: 'up == 0', severity: 'critical', for: '1m', summary: '{{ $labels.instance }} is down', runbook: 'https://runbooks.example.com/target-down' },
    overrides,
  );
}

export function alertRules(overrides: Overrides<AlertRulesSpec> = {}): AlertRulesSpec {
  return withDefaults<AlertRulesSpec>({ apiVersion: API_VERSION, kind: 'AlertRules', group: 'app', labels: { team: 'app' }, alerts: [leveledAlert(), singleAlert()] }, overrides);
}

// ---- Severities ---------------------------------------------------------------------------------------------------

export const severityLevel = (name: string, overrides: Overrides<SeverityLevel> = {}): SeverityLevel => withDefaults<SeverityLevel>({ name }, overrides);

export const DEFAULT_LEVELS: SeveritiesSpec['levels'] = [
  severityLevel('critical', { groupWait: '10s', groupInterval: '1m', repeatInterval: '1h' }),
  severityLevel('warning', { groupWait: '30s', groupInterval: '5m', repeatInterval: '4h' }),
  severityLevel('info'),
];

export function severities(overrides: Overrides<SeveritiesSpec> = {}): SeveritiesSpec {
  return withDefaults<SeveritiesSpec>({ apiVersion: API_VERSION, kind: 'Severities', levels: DEFAULT_LEVELS }, overrides);
}

// ---- Receivers: one factory per channel ---------------------------------------------------------------------------

/** Each channel's smallest valid configuration; secrets are references, never literals (secret/literal). */
export const CHANNEL_DEFAULTS = {
  email: () => ({ to: ['team@example.com'] }),
  sms: () => ({ to: ['+8613800000000'] }),
  dingtalk: () => ({ webhook: { env: 'DINGTALK_WEBHOOK' }, secret: { env: 'DINGTALK_SECRET' } }),
  wecom: () => ({ corpId: 'ww1', agentId: '1000002', toUser: '@all', apiSecret: { env: 'WECOM_SECRET' } }),
  wecomRobot: () => ({ webhook: { env: 'WECOM_ROBOT_WEBHOOK' } }),
  webhook: () => ({ url: 'https://hooks.example.com/alerts' }),
  signedWebhook: () => ({ url: 'https://hooks.example.com/signed', secret: { env: 'SIGNED_WEBHOOK_SECRET' } }),
} as const;

export type Channel = keyof typeof CHANNEL_DEFAULTS;
export const CHANNELS = Object.keys(CHANNEL_DEFAULTS) as Channel[];

/**
 * A receiver on one channel, its configuration the channel's defaults with `config` over them:
 * `receiver('oncall', 'sms', { to: ['+86…'] })`, `receiver('ding', 'dingtalk', {}, { sendResolved: false })`.
 */
export function receiver(name: string, channel: Channel, config: Record<string, unknown> = {}, overrides: Overrides<ReceiverEntry> = {}): ReceiverEntry {
  return withDefaults<ReceiverEntry>({ name, [channel]: withDefaults(CHANNEL_DEFAULTS[channel](), config) } as ReceiverEntry, overrides);
}

export const DEFAULT_RECEIVERS: ReceiverEntry[] = [receiver('team', 'email'), receiver('oncall', 'sms')];

export function receivers(list: ReceiverEntry[] = DEFAULT_RECEIVERS): ReceiversSpec {
  return { apiVersion: API_VERSION, kind: 'Receivers', receivers: list };
}

// ---- Routes -------------------------------------------------------------------------------------------------------

export const route = (overrides: Overrides<Route> = {}): Route => withDefaults<Route>({ matchers: ['severity="critical"'], receiver: 'oncall' }, overrides);

export function routes(overrides: Overrides<RoutesSpec> = {}): RoutesSpec {
  return withDefaults<RoutesSpec>(
    {
      apiVersion: API_VERSION,
      kind: 'Routes',
      receiver: 'team',
      groupBy: ['alertname', 'service'],
      routes: [route({ receiver: undefined, receivers: ['oncall', 'team'] }), route({ matchers: ['severity="warning"'], receiver: 'team' })],
    },
    overrides,
  );
}

// ---- Environment --------------------------------------------------------------------------------------------------

/** A production environment: one Prometheus with a rules directory, scraping node_exporter and the app. */
export function environment(overrides: Overrides<EnvironmentSpec> = {}): EnvironmentSpec {
  return withDefaults<EnvironmentSpec>(
    {
      apiVersion: API_VERSION,
      kind: 'Environment',
      name: 'prod',
      prometheus: [{ url: 'http://prom:9090', rulesDir: '/etc/prometheus/rules' }],
      scrape: { node_exporter: { targets: ['node:9100'] }, app: { targets: ['app:8080'] } },
    } as EnvironmentSpec,
    overrides,
  );
}

// ---- Rule tests ---------------------------------------------------------------------------------------------------

/** A unit test of the default QueueDeep: the queue of `api` stays at 600, warning at 6m, critical from 8m. */
export function ruleTest(overrides: Overrides<RuleTest> = {}): RuleTest {
  return withDefaults<RuleTest>(
    {
      name: 'a deep queue warns, then pages',
      interval: '1m',
      series: { 'queue_depth{service="api"}': '600x20' },
      expect: [
        { at: '1m', alerts: [] },
        { at: '3m', alerts: [{ name: 'QueueDeep', level: 'critical', labels: { service: 'api' } }] },
        { at: '6m', alerts: [{ name: 'QueueDeep', level: 'critical', labels: { service: 'api' } }, { name: 'QueueDeep', level: 'warning', labels: { service: 'api' } }] },
      ],
    },
    overrides,
  );
}

export function ruleTests(tests: RuleTest[] = [ruleTest()]): RuleTestsSpec {
  return { apiVersion: API_VERSION, kind: 'RuleTests', tests: tests as RuleTestsSpec['tests'] };
}

// ---- SLOs ---------------------------------------------------------------------------------------------------------

/** Each SLI kind over the default catalogue: 5xx of http_requests_total, and request_duration_seconds at 0.5 s. */
export const SLI_DEFAULTS = {
  events: () => ({
    errorQuery: 'sum(rate(http_requests_total{code=~"5.."}[{{ .window }}]))',
    totalQuery: 'sum(rate(http_requests_total[{{ .window }}]))',
  }),
  ratio: () => ({ good: 'http_requests_total{code!~"5.."}', total: 'http_requests_total' }),
  latency: () => ({ bucket: 'request_duration_seconds_bucket', le: '0.5', selector: '{service="app"}' }),
} as const;

export type SliKind = keyof typeof SLI_DEFAULTS;

/**
 * An SLO of service `app` on one SLI kind, 99.9 % over 30d, alerting with the default burn-rate pairs, its SLI the
 * kind's defaults with `sli` over them: `slo('app-ratio', 'ratio', {}, { objective: 99.5, alert: false })`.
 */
export function slo(name = 'app-availability', kind: SliKind = 'events', sli: Record<string, unknown> = {}, overrides: Overrides<SloEntry> = {}): SloEntry {
  return withDefaults<SloEntry>(
    { name, service: 'app', objective: 99.9, window: '30d', sli: { [kind]: withDefaults(SLI_DEFAULTS[kind](), sli) }, alert: { runbook: 'https://runbooks.example.com/slo' } },
    overrides,
  );
}

/** Group app-slos of team app, its SLOs the events one of slo() unless told. */
export function slos(overrides: Overrides<SLOsSpec> = {}): SLOsSpec {
  return withDefaults<SLOsSpec>({ apiVersion: API_VERSION, kind: 'SLOs', group: 'app-slos', labels: { team: 'app' }, slos: [slo()] }, overrides);
}
