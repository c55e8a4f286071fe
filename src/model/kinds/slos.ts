import type { Definition, Path } from '../../load/definition.ts';
import { checkedQueries, composedText, expandSlo, sloDashboardSpec, type ComposedQuery, type SloExpansion, type SloSpec } from '../../slo/index.ts';
import type { SLOsSpec, SeveritiesSpec } from '../../spec/types.gen.ts';
import type { AlertLevel, AlertModel, ExpressionModel, RecordingRuleModel, RuleGroupModel } from '../types.ts';
import { at, type KindMapper, type ModelUnderConstruction } from './mapper.ts';
import { objectArray } from '../../util/object-array.ts';

/**
 * An SLO is sugar over rule groups: its recording rules and its alert (one level per burn severity) join the model
 * like written ones, so routing, inhibition, the alert catalogue and every check downstream treat them alike. The
 * queries the user wrote join the model's expressions once each, located at their fields, so the PromQL checks
 * report there; the generated expressions are not checked again (each problem would repeat once per window).
 */
export const mapSlos: KindMapper = (def, into) => {
  const spec = def.value as SLOsSpec;
  const severities = severityNames(into);
  const recordings: RuleGroupModel = { name: `${spec.group}-recordings`, type: 'recording', interval: spec.interval, alerts: objectArray(), rules: objectArray(), origin: at(def, ['group']) };
  const alerts: RuleGroupModel = { name: `${spec.group}-alerts`, type: 'alerting', interval: spec.interval, alerts: objectArray(), rules: objectArray(), origin: at(def, ['group']) };
  spec.slos.forEach((slo, i) => {
    const base = ['slos', i];
    for (const query of checkedQueries(slo.sli, slo.window)) {
      into.model.expressions.push({ text: composedText(query), grafana: false, owner: `SLO ${slo.name}`, origin: { def: composedDefinition(def, base, query), path: [...base, ...query.field] }, exact: false });
    }
    // A name taken by an earlier SLO is slo/duplicate's to report: its series, alert and dashboard would only repeat
    // that one problem as a rule/duplicate per recording rule.
    if (takenEarlier(into, def, slo.name, i)) return;
    const expansion = expandSlo(slo, { groupLabels: spec.labels, severities });
    recordings.rules.push(...expansion.recordings.map((r): RecordingRuleModel => {
      const origin = { def: generatedDefinition(def), path: [...base, ...r.field] };
      return { record: r.record, group: recordings.name, expr: r.expr, labels: r.labels, enabled: true, origin, expression: generatedExpression(r.expr, `SLO ${slo.name}, recording rule ${r.record}`, origin) };
    }));
    const alert = alertModel(def, base, slo, expansion, alerts.name);
    if (alert) alerts.alerts.push(alert);
    // Built by the dashboard emitter like a written declarative dashboard; its queries read the series recorded above,
    // so they are not checked again (a problem of the SLI is reported once, at the field written).
    const dashboard = sloDashboardSpec(slo, expansion);
    if (dashboard) into.model.dashboards.push({ uid: dashboard.uid, title: dashboard.title!, spec: dashboard, origin: at(def, slo.dashboard ? [...base, 'dashboard'] : [...base, 'name']) });
  });
  into.model.groups.push(recordings);
  if (alerts.alerts.length) into.model.groups.push(alerts);
};

/** Severities may come after the SLOs in definition order; its definition (the first, as the model takes) is read directly. */
function severityNames(into: ModelUnderConstruction): string[] {
  const first = into.model.definitionsByKind.get('Severities')?.[0];
  return first ? (first.value as SeveritiesSpec).levels.map((l) => l.name) : [];
}

/** Whether an SLO before this one (in definition order, as slo/duplicate reads them) has the same name. */
function takenEarlier(into: ModelUnderConstruction, def: Definition, name: string, index: number): boolean {
  for (const other of into.model.definitionsByKind.get('SLOs') ?? []) {
    const slos = (other.value as SLOsSpec).slos;
    const upTo = other === def ? index : slos.length;
    if (slos.slice(0, upTo).some((s) => s.name === name)) return true;
    if (other === def) return false;
  }
  return false;
}

function alertModel(def: Definition, base: Path, slo: SloSpec, expansion: SloExpansion, group: string): AlertModel | undefined {
  const alert = expansion.alert;
  if (!alert) return undefined;
  const alertPath = [...base, 'alert'];
  const alertDef = alertDefinition(def, alertPath, alert.levels.length);
  // Pushed one by one, as alert-rules.ts' levels (see objectArray).
  const levels = objectArray<AlertLevel>();
  for (const level of alert.levels) {
    const origin = { def: alertDef, path: [...base, ...level.field] };
    levels.push({
      severity: level.severity,
      ...(level.for ? { for: level.for } : {}),
      expr: level.expr,
      expression: generatedExpression(level.expr, `SLO ${slo.name}, ${level.burn} alert`, origin),
      annotations: level.annotations,
      origin,
    });
  }
  return {
    name: alert.name,
    group,
    expr: levels[0]!.expr!,
    expression: levels[0]!.expression!,
    levels,
    summary: alert.summary,
    description: alert.description,
    runbook: alert.runbook,
    dashboard: alert.dashboard,
    // Routes read the fixed labels, so those stay on the rule; `slo` comes with the recorded series the expression
    // reads, as the alert's identity: the automatic inhibition (page over ticket) then holds per SLO.
    labels: withoutKey({ ...expansion.labels, ...alert.labels }, 'slo'),
    annotations: alert.annotations,
    enabled: true,
    origin: { def: alertDef, path: alertPath },
  };
}

function generatedExpression(text: string, owner: string, origin: { def: Definition; path: Path }): ExpressionModel {
  return { text, grafana: false, owner, origin, exact: false };
}

/** Text Vigil generated is reported at the whole field it came from. */
function generatedDefinition(def: Definition): Definition {
  return { ...def, locateInString: (path) => def.locate(path) };
}

/**
 * The definition as the alert checks read an alert's own fields: an SLO's alert is an alert with `rules:` (a level
 * per burn severity), whether or not `alert:` is written.
 */
function alertDefinition(def: Definition, alertPath: Path, levels: number): Definition {
  const value = structuredClone(def.value) as SLOsSpec;
  const slo = value.slos[alertPath[1] as number] as unknown as Record<string, unknown>;
  slo.alert = { ...((slo.alert as object | undefined) ?? {}), rules: Array.from({ length: levels }, () => ({})) };
  return { ...generatedDefinition(def), value };
}

/** Positions inside a query assembled from written fields: each written slice maps back into its field's string. */
function composedDefinition(def: Definition, base: Path, query: ComposedQuery): Definition {
  return {
    ...def,
    locateInString(_path, start, end) {
      let offset = 0;
      for (const piece of query.pieces) {
        const pieceEnd = offset + piece.text.length;
        if (start < pieceEnd || (start === pieceEnd && piece === query.pieces[query.pieces.length - 1])) {
          if (!piece.from) return def.locate([...base, ...query.field]);
          const field = [...base, ...piece.from.field];
          const verbatim = piece.from.end - piece.from.start === piece.text.length;
          if (!verbatim) return def.locateInString(field, piece.from.start, piece.from.end);
          return def.locateInString(field, piece.from.start + (start - offset), piece.from.start + Math.min(end, pieceEnd) - offset);
        }
        offset = pieceEnd;
      }
      return def.locate([...base, ...query.field]);
    },
  };
}

function withoutKey(labels: Record<string, string>, key: string): Record<string, string> {
  const { [key]: _, ...rest } = labels;
  return rest;
}
