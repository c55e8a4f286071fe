import { describe, expect, it } from 'vitest';
import { compileBase } from '../../test/helpers/model.ts';
import { emitDashboard } from '../emit/grafana-dashboards.ts';
import { alertsByName, type Model } from '../model/types.ts';
import { analyzePromql } from '../promql/index.ts';
import { validateDashboardJson } from '../spec/dashboard-json.ts';
import type { SLOsSpec } from '../spec/types.gen.ts';
import { expandSlo } from './expand.ts';

const slos = (extra: string, alert = '') => `apiVersion: vigil/v1
kind: SLOs
group: app-slos
labels: { team: app }
slos:
  - name: app-availability
    service: app
    objective: 99.5
    window: 28d
    sli:
      events:
        errorQuery: sum(rate(http_requests_total{code=~"5.."}[{{ .window }}]))
        totalQuery: sum(rate(http_requests_total[{{ .window }}]))
${extra}${alert}`;

type Json = Record<string, unknown>;
interface PanelJson {
  type: string;
  title: string;
  targets: { expr: string }[];
  fieldConfig: { defaults: { thresholds?: { steps: { value: number | null; color: string }[] } } };
}

async function compiled(text: string): Promise<Model> {
  const { model, diagnostics } = await compileBase({ 'slos.yaml': text });
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return model;
}

function dashboardOf(model: Model, uid: string): { json: Json; panels: PanelJson[] } {
  const d = model.dashboards.find((x) => x.uid === uid);
  expect(d, `dashboard ${uid}`).toBeDefined();
  const json = JSON.parse(emitDashboard(model, d!).content) as Json;
  return { json, panels: json.panels as PanelJson[] };
}

describe('the error-budget dashboard of an SLO', () => {
  it('is emitted as slo-<name>, validates strictly, and every query parses and reads series the SLO records', async () => {
    const model = await compiled(slos(''));
    const { json, panels } = dashboardOf(model, 'slo-app-availability');
    expect(json.title).toBe('SLO app-availability');
    expect(validateDashboardJson(json, { carried: false })).toEqual([]);
    const spec = (model.definitionsByKind.get('SLOs')![0]!.value as SLOsSpec).slos[0]!;
    const recorded = new Set(expandSlo(spec, { groupLabels: { team: 'app' }, severities: [] }).recordings.map((r) => r.record));
    const exprs = panels.flatMap((p) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(5);
    for (const expr of exprs) {
      const analysis = analyzePromql(expr);
      expect(analysis.problems, expr).toEqual([]);
      expect(analysis.metrics.length, expr).toBeGreaterThan(0);
      for (const m of analysis.metrics) {
        expect(recorded.has(m.name), `${m.name} in ${expr}`).toBe(true);
        expect(m.matchers.map((x) => `${x.label}${x.op}${x.value}`).sort(), expr).toEqual(['service=app', 'slo=app-availability']);
      }
    }
  });

  it('has the budget (stat and timeseries), the SLI against the objective, the 5m error ratio, and the burn rates with the factors as thresholds', async () => {
    const { panels } = dashboardOf(await compiled(slos('')), 'slo-app-availability');
    const byTitle = new Map(panels.map((p) => [p.title, p]));
    const reads = (title: string) => byTitle.get(title)!.targets.map((t) => analyzePromql(t.expr).metrics.map((m) => m.name).join(' '));
    expect(panels.map((p) => `${p.type}: ${p.title}`)).toEqual([
      'stat: Error budget remaining',
      'timeseries: Error budget remaining over 28d',
      'timeseries: SLI over 28d vs objective',
      'timeseries: Error ratio (5m)',
      'timeseries: Burn rates at the alert windows',
    ]);
    expect(reads('Error budget remaining')).toEqual(['slo:period_error_budget_remaining:ratio']);
    expect(reads('SLI over 28d vs objective')).toEqual(['slo:sli_error:ratio_rate28d', 'slo:objective:ratio']);
    expect(reads('Error ratio (5m)')).toEqual(['slo:sli_error:ratio_rate5m', 'slo:error_budget:ratio']);
    // One series per alert window, shortest first; the 28d workbook factors as thresholds, page red, ticket orange.
    expect(reads('Burn rates at the alert windows')).toEqual(['5m', '30m', '1h', '2h', '6h', '1d', '3d'].map((w) => `slo:sli_error:ratio_rate${w} slo:error_budget:ratio`));
    expect(byTitle.get('Burn rates at the alert windows')!.fieldConfig.defaults.thresholds!.steps).toEqual([
      { value: null, color: 'green' },
      { value: 0.933333333333, color: 'orange' },
      { value: 2.8, color: 'orange' },
      { value: 5.6, color: 'red' },
      { value: 13.44, color: 'red' },
    ]);
  });

  it("is what the SLO alert's dashboard annotation links by default; a written link, a uid and title, or false win", async () => {
    const cases: { extra: string; alert: string; uid?: string; link?: string }[] = [
      { extra: '', alert: '', uid: 'slo-app-availability', link: 'slo-app-availability' },
      { extra: '    dashboard: { uid: app-budget, title: App budget }\n', alert: '', uid: 'app-budget', link: 'app-budget' },
      { extra: '    dashboard: false\n', alert: '', link: undefined },
      { extra: '', alert: '    alert: { dashboard: app-main }\n', uid: 'slo-app-availability', link: 'app-main' },
    ];
    for (const c of cases) {
      const text = slos(c.extra, c.alert);
      const { model, diagnostics } = await compileBase({ 'slos.yaml': text, ...(c.link === 'app-main' ? { 'app-main.yaml': APP_MAIN } : {}) });
      expect(diagnostics.filter((d) => d.severity === 'error'), text).toEqual([]);
      const sloDashboards = model.dashboards.filter((d) => d.origin.def.file === 'slos.yaml').map((d) => d.uid);
      expect(sloDashboards, text).toEqual(c.uid ? [c.uid] : []);
      expect(alertsByName(model).get('AppAvailabilityErrorBudgetBurn')!.dashboard, text).toBe(c.link);
    }
    const titled = await compiled(slos('    dashboard: { uid: app-budget, title: App budget }\n'));
    expect(dashboardOf(titled, 'app-budget').json.title).toBe('App budget');
  });

  it('is the same JSON on every compile', async () => {
    const first = emitDashboard(...(await pick()));
    const second = emitDashboard(...(await pick()));
    expect(second.content).toBe(first.content);
    async function pick(): Promise<Parameters<typeof emitDashboard>> {
      const model = await compiled(slos(''));
      return [model, model.dashboards.find((d) => d.uid === 'slo-app-availability')!];
    }
  });
});

const APP_MAIN = `apiVersion: vigil/v1
kind: Dashboard
uid: app-main
title: App
panels:
  - { title: Requests, type: timeseries, queries: [{ expr: 'sum(rate(http_requests_total[5m]))' }] }
`;
