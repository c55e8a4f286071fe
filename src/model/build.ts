import posixPath from 'node:path/posix';
import type { Diagnostic } from '../diagnostics.ts';
import type { Definition, Path } from '../load/definition.ts';
import type { TypedDefinition } from '../spec/validate.ts';
import { SDK_DASHBOARD_KEY } from '../spec/sdk.ts';
import type {
  AlertRulesSpec,
  DashboardSpec,
  MetricsSpec,
  ProjectSpec,
  ReceiversSpec,
  RecordingRulesSpec,
  Route as RouteSpec,
  RoutesSpec,
  RuleTestsSpec,
  EnvironmentSpec,
  SeveritiesSpec,
} from '../spec/types.gen.ts';
import { BrokenDefinitions } from './broken.ts';
import { parseMatcher } from './matchers.ts';
import type { AlertLevel, DashboardModel, EnvironmentModel, ExpressionModel, MatcherModel, Model, Origin, RouteModel, ThresholdOp } from './types.ts';
import { spanOf } from './types.ts';

export const DEFAULT_INTERVAL = '1m';

/** Maps schema-valid definitions to the normalised model. Pure: no IO, never throws on valid specs. */
export function buildModel(typed: readonly TypedDefinition[]): { model: Model; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const model: Model = {
    metrics: [],
    external: [],
    severities: [],
    groups: [],
    receivers: [],
    dashboards: [],
    ruleTests: [],
    environments: [],
    expressions: [],
    definitionsByKind: new Map(),
    broken: new BrokenDefinitions(),
  };
  for (const { kind, def } of typed) {
    const list = model.definitionsByKind.get(kind) ?? [];
    list.push(def);
    model.definitionsByKind.set(kind, list);
  }
  const at = (def: Definition, path: Path = []): Origin => ({ def, path });
  const matchersOf = (def: Definition, path: Path, list: readonly string[] | undefined): MatcherModel[] => {
    const out: MatcherModel[] = [];
    (list ?? []).forEach((text, i) => {
      const parsed = parseMatcher(text);
      const origin = at(def, [...path, i]);
      if ('error' in parsed) {
        diagnostics.push({
          code: 'route/matcher',
          severity: 'error',
          message: parsed.error,
          span: parsed.start === undefined ? spanOf(origin) : def.locateInString(origin.path, parsed.start, parsed.end ?? parsed.start + 1),
          hint: parsed.hint ?? 'matchers look like severity="critical", team=~"ml|infra" or service!="test"',
        });
      } else out.push({ ...parsed, text, origin });
    });
    return out;
  };

  for (const { kind, def } of typed) {
    switch (kind) {
      case 'Project': {
        if (model.project) break; // reported by the project/single check
        const p = def.value as ProjectSpec;
        model.project = {
          name: p.name,
          evaluationInterval: p.evaluationInterval ?? DEFAULT_INTERVAL,
          scrapeInterval: p.scrapeInterval ?? DEFAULT_INTERVAL,
          externalLabels: { ...(p.externalLabels ?? {}) },
          grafana: { url: p.grafana?.url, datasourceUid: p.grafana?.datasourceUid ?? 'prometheus', folder: p.grafana?.folder, tags: p.grafana?.tags ?? [] },
          relay: p.relay,
          smtp: p.smtp,
          policies: { requiredAlertLabels: p.policies?.requiredAlertLabels ?? [], testCoverage: p.policies?.testCoverage ?? 0, checks: { ...(p.policies?.checks ?? {}) } },
          origin: at(def),
        };
        break;
      }
      case 'Metrics': {
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
        break;
      }
      case 'Severities': {
        if (model.severities.length > 0) break;
        const s = def.value as SeveritiesSpec;
        s.levels.forEach((level, rank) =>
          model.severities.push({
            name: level.name,
            rank,
            groupWait: level.groupWait,
            groupInterval: level.groupInterval,
            repeatInterval: level.repeatInterval,
            escalation: (level.escalation ?? []).map((step, j) => ({
              after: step.after,
              receivers: step.receivers,
              origin: at(def, ['levels', rank, 'escalation', j]),
            })),
            origin: at(def, ['levels', rank]),
          }),
        );
        break;
      }
      case 'AlertRules': {
        const g = def.value as AlertRulesSpec;
        const group = { name: g.group, type: 'alerting' as const, interval: g.interval, alerts: [] as Model['groups'][number]['alerts'], rules: [], origin: at(def, ['group']) };
        g.alerts.forEach((a, i) => {
          const origin = at(def, ['alerts', i]);
          const levels: AlertLevel[] = [];
          if (a.thresholds) {
            for (const [severity, t] of Object.entries(a.thresholds)) {
              levels.push({ severity, op: t.op as ThresholdOp, value: t.value, for: t.for, keepFiringFor: t.keepFiringFor, origin: at(def, ['alerts', i, 'thresholds', severity]) });
            }
          } else if (a.severity) {
            levels.push({ severity: a.severity, for: a.for, keepFiringFor: a.keepFiringFor, origin: at(def, ['alerts', i, 'severity']) });
          }
          const expression: ExpressionModel = { text: a.expr, grafana: false, owner: `alert ${a.name}`, origin: at(def, ['alerts', i, 'expr']), exact: true };
          model.expressions.push(expression);
          group.alerts.push({
            expression,
            name: a.name,
            group: g.group,
            expr: a.expr,
            levels,
            summary: a.summary,
            description: a.description,
            runbook: a.runbook,
            dashboard: a.dashboard,
            labels: { ...(g.labels ?? {}), ...(a.labels ?? {}) },
            annotations: { ...(a.annotations ?? {}) },
            enabled: a.enabled !== false,
            origin,
          });
        });
        model.groups.push(group);
        break;
      }
      case 'RecordingRules': {
        const g = def.value as RecordingRulesSpec;
        model.groups.push({
          name: g.group,
          type: 'recording',
          interval: g.interval,
          alerts: [],
          rules: g.rules.map((r, i) => {
            const expression: ExpressionModel = { text: r.expr, grafana: false, owner: `recording rule ${r.record}`, origin: at(def, ['rules', i, 'expr']), exact: true };
            model.expressions.push(expression);
            return { record: r.record, group: g.group, expr: r.expr, labels: { ...(r.labels ?? {}) }, enabled: r.enabled !== false, origin: at(def, ['rules', i]), expression };
          }),
          origin: at(def, ['group']),
        });
        break;
      }
      case 'Receivers': {
        const r = def.value as ReceiversSpec;
        r.receivers.forEach((rec, i) => {
          const { name, sendResolved, ...channels } = rec;
          model.receivers.push({ name, sendResolved: sendResolved !== false, channels, origin: at(def, ['receivers', i]) });
        });
        break;
      }
      case 'Routes': {
        if (model.routes) break;
        const r = def.value as RoutesSpec;
        const mapRoute = (spec: RouteSpec, path: Path): RouteModel => ({
          matchers: matchersOf(def, [...path, 'matchers'], spec.matchers),
          receivers: spec.receivers ?? (spec.receiver ? [spec.receiver] : []),
          continue: spec.continue === true,
          groupBy: spec.groupBy,
          groupWait: spec.groupWait,
          groupInterval: spec.groupInterval,
          repeatInterval: spec.repeatInterval,
          defaultOk: spec.defaultOk === true,
          routes: (spec.routes ?? []).map((child, i) => mapRoute(child, [...path, 'routes', i])),
          origin: at(def, path),
        });
        const root: RouteModel = {
          matchers: [],
          receivers: [r.receiver],
          continue: false,
          groupBy: r.groupBy,
          groupWait: r.groupWait,
          groupInterval: r.groupInterval,
          repeatInterval: r.repeatInterval,
          defaultOk: false,
          routes: (r.routes ?? []).map((child, i) => mapRoute(child, ['routes', i])),
          origin: at(def, ['receiver']),
        };
        model.routes = {
          root,
          inhibit: (r.inhibit ?? []).map((rule, i) => ({
            sourceMatchers: matchersOf(def, ['inhibit', i, 'sourceMatchers'], rule.sourceMatchers),
            targetMatchers: matchersOf(def, ['inhibit', i, 'targetMatchers'], rule.targetMatchers),
            equal: rule.equal ?? [],
            origin: at(def, ['inhibit', i]),
          })),
          origin: at(def),
        };
        break;
      }
      case 'RuleTests': {
        const spec = def.value as RuleTestsSpec;
        spec.tests.forEach((t, i) => {
          const base = ['tests', i];
          const ref = (r: { alert: string; level?: string; labels?: Record<string, string> }, path: Path) => ({ alert: r.alert, level: r.level, labels: { ...(r.labels ?? {}) }, origin: at(def, path) });
          model.ruleTests.push({
            name: t.name,
            interval: t.interval ?? DEFAULT_INTERVAL,
            series: Object.entries(t.series ?? {}).map(([selector, values]) => ({ selector, values, origin: at(def, [...base, 'series', selector]) })),
            expect: (t.expect ?? []).map((e, j) => ({
              at: e.at,
              alerts: e.alerts?.map((a, k) => ({ name: a.name, level: a.level, labels: { ...(a.labels ?? {}) }, annotations: { ...(a.annotations ?? {}) }, origin: at(def, [...base, 'expect', j, 'alerts', k]) })),
              values: (e.values ?? []).map((v, k) => {
                const origin = at(def, [...base, 'expect', j, 'values', k]);
                model.expressions.push({ text: v.expr, grafana: false, owner: `test "${t.name}"`, origin: at(def, [...base, 'expect', j, 'values', k, 'expr']), exact: true });
                return { expr: v.expr, samples: v.samples, origin };
              }),
              origin: at(def, [...base, 'expect', j]),
            })),
            routes: (t.routes ?? []).map((r, j) => ({ alert: r.alert, level: r.level, labels: { ...(r.labels ?? {}) }, receivers: r.receivers, origin: at(def, [...base, 'routes', j]) })),
            inhibitions: (t.inhibitions ?? []).map((r, j) => ({
              source: ref(r.source, [...base, 'inhibitions', j, 'source']),
              target: ref(r.target, [...base, 'inhibitions', j, 'target']),
              inhibited: r.inhibited,
              origin: at(def, [...base, 'inhibitions', j]),
            })),
            origin: at(def, base),
          });
        });
        break;
      }
      case 'Environment': {
        model.environments.push(environmentModel(def.value as EnvironmentSpec, at(def)));
        break;
      }
      case 'Dashboard': {
        const value = def.value as Record<string, unknown>;
        const dashboard: DashboardModel = SDK_DASHBOARD_KEY in value
          ? sdkDashboard(def, value[SDK_DASHBOARD_KEY] as Record<string, unknown>)
          : { uid: (value as unknown as DashboardSpec).uid, title: (value as unknown as DashboardSpec).title, spec: value as unknown as DashboardSpec, origin: at(def) };
        model.dashboards.push(dashboard);
        model.expressions.push(...dashboardExpressions(dashboard));
        break;
      }
    }
  }
  return { model, diagnostics };
}

function alertmanagerPeers(e: EnvironmentSpec): EnvironmentModel['alertmanager'] {
  if (!e.alertmanager) return [];
  return e.alertmanager.peers.map((peer) => {
    const p = typeof peer === 'string' ? { url: peer } : peer;
    const configFile = ('configFile' in p && p.configFile) || e.alertmanager!.configFile;
    const secretsDir = ('secretsDir' in p && p.secretsDir) || e.alertmanager!.secretsDir || (configFile ? posixPath.join(posixPath.dirname(configFile), 'secrets') : undefined);
    return { url: trimSlash(p.url), configFile, reloadUrl: ('reloadUrl' in p && p.reloadUrl) || `${trimSlash(p.url)}/-/reload`, secretsDir };
  });
}

/** One alertmanager.yml serves every peer, so it can name their secrets directory only when there is one. */
function alertmanagerServerSecretsDir(e: EnvironmentSpec): string | undefined {
  if (e.alertmanager?.serverSecretsDir) return e.alertmanager.serverSecretsDir;
  const dirs = new Set(alertmanagerPeers(e).map((p) => p.secretsDir));
  return dirs.size === 1 ? [...dirs][0] : undefined;
}

function environmentModel(e: EnvironmentSpec, origin: Origin): EnvironmentModel {
  return {
    name: e.name,
    prometheus: e.prometheus.map((p, i) => ({
      name: p.name ?? `prom-${i}`,
      url: trimSlash(p.url),
      rulesDir: p.rulesDir,
      serverRulesDir: p.serverRulesDir ?? p.rulesDir,
      configFile: p.configFile,
      reloadUrl: p.reloadUrl ?? `${trimSlash(p.url)}/-/reload`,
    })),
    alertmanager: alertmanagerPeers(e),
    alertmanagerServerSecretsDir: alertmanagerServerSecretsDir(e),
    grafana: e.grafana
      ? { url: trimSlash(e.grafana.url), token: e.grafana.token, folder: e.grafana.folder, datasourceUrl: trimSlash(e.grafana.datasourceUrl ?? e.prometheus[0]!.url) }
      : undefined,
    influxdb: e.influxdb ? { ...e.influxdb, url: trimSlash(e.influxdb.url) } : undefined,
    retention: e.retention,
    scrape: Object.entries(e.scrape ?? {}).map(([source, s]) => ({ source, ...s })),
    origin,
  };
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

function sdkDashboard(def: Definition, built: Record<string, unknown>): DashboardModel {
  return { uid: String(built.uid ?? ''), title: String(built.title ?? ''), built, origin: { def, path: [] } };
}

/** Every PromQL query of a dashboard: panel targets of declarative and SDK dashboards alike. */
export function dashboardExpressions(d: DashboardModel): ExpressionModel[] {
  const out: ExpressionModel[] = [];
  if (d.spec) {
    const visit = (panels: DashboardSpec['panels'], base: Path) =>
      (panels ?? []).forEach((panel, i) =>
        panel.queries.forEach((q, j) =>
          out.push({ text: q.expr, grafana: true, owner: `dashboard ${d.uid}, panel "${panel.title}"`, origin: { def: d.origin.def, path: [...base, i, 'queries', j, 'expr'] }, exact: true }),
        ),
      );
    visit(d.spec.panels, ['panels']);
    (d.spec.rows ?? []).forEach((row, r) => visit(row.panels, ['rows', r, 'panels']));
  } else if (d.built) {
    const panels = (d.built.panels as Record<string, unknown>[] | undefined) ?? [];
    const visit = (list: Record<string, unknown>[], base: Path) =>
      list.forEach((panel, i) => {
        ((panel.targets as Record<string, unknown>[] | undefined) ?? []).forEach((t, j) => {
          if (typeof t.expr === 'string') {
            out.push({ text: t.expr, grafana: true, owner: `dashboard ${d.uid}, panel "${String(panel.title ?? '')}"`, origin: { def: d.origin.def, path: [...base, i, 'targets', j, 'expr'] }, exact: false });
          }
        });
        if (Array.isArray(panel.panels)) visit(panel.panels as Record<string, unknown>[], [...base, i, 'panels']);
      });
    visit(panels, [SDK_DASHBOARD_KEY, 'panels']);
  }
  return out;
}
