import type { Definition, Path } from '../../load/definition.ts';
import { SDK_DASHBOARD_KEY } from '../../spec/sdk.ts';
import type { DashboardSpec } from '../../spec/types.gen.ts';
import type { DashboardModel, ExpressionModel } from '../types.ts';
import { at, type KindMapper } from './mapper.ts';

export const mapDashboard: KindMapper = (def, { model }) => {
  const value = def.value as Record<string, unknown>;
  const dashboard: DashboardModel = SDK_DASHBOARD_KEY in value
    ? sdkDashboard(def, value[SDK_DASHBOARD_KEY] as Record<string, unknown>)
    : { uid: (value as unknown as DashboardSpec).uid, title: (value as unknown as DashboardSpec).title, spec: value as unknown as DashboardSpec, origin: at(def) };
  model.dashboards.push(dashboard);
  model.expressions.push(...dashboardExpressions(dashboard));
};

function sdkDashboard(def: Definition, built: Record<string, unknown>): DashboardModel {
  return { uid: String(built.uid ?? ''), title: String(built.title ?? ''), built, origin: at(def) };
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
