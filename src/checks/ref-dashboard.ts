import { isJsonPanel } from '../model/kinds/dashboard.ts';
import { allAlerts, spanOf } from '../model/types.ts';
import { limitedGuesses } from '../util/closest.ts';
import type { Check } from './check.ts';

export const refDashboardCheck: Check = {
  id: 'ref/dashboard',
  description: 'Alert dashboard links name a defined dashboard uid; panel thresholdsFrom names a defined alert.',
  severity: 'error',
  run(ctx) {
    const uids = ctx.model.dashboards.map((d) => d.uid);
    const uidSet = new Set(uids);
    const guessUid = limitedGuesses(uids);
    const alerts = allAlerts(ctx.model);
    const withLinks = alerts.filter((a) => a.enabled && a.dashboard !== undefined);
    const project = ctx.model.project;
    if (withLinks.length > 0 && project && !project.grafana.url && project.origin) {
      ctx.report({
        severity: 'warning',
        message: `${withLinks.length} alert(s) link a dashboard, but the project has no grafana.url: their dashboard_url annotations will be relative (/d/<uid>) and not clickable in a notification`,
        span: spanOf(project.origin, 'grafana'),
        hint: 'add `grafana: { url: https://grafana.example.com }` to the Project',
      });
    }
    for (const alert of alerts) {
      if (alert.dashboard === undefined || uidSet.has(alert.dashboard)) continue;
      const guess = guessUid(alert.dashboard);
      ctx.report({
        message: `alert ${alert.name}: dashboard "${alert.dashboard}" is not defined`,
        span: spanOf(alert.origin, 'dashboard'),
        dangling: { namespace: 'dashboard', name: alert.dashboard },
        hint: guess ? `did you mean "${guess}"?` : `defined dashboards: ${uids.join(', ') || '(none)'}`,
      });
    }
    const alertNames = alerts.map((a) => a.name);
    const alertNameSet = new Set(alertNames);
    const guessAlert = limitedGuesses(alertNames);
    for (const d of ctx.model.dashboards) {
      const panels = [...(d.spec?.panels ?? []).map((p, i) => ({ p, path: ['panels', i] as (string | number)[] })), ...(d.spec?.rows ?? []).flatMap((row, r) => row.panels.map((p, i) => ({ p, path: ['rows', r, 'panels', i] as (string | number)[] })))];
      for (const { p, path } of panels) {
        if (isJsonPanel(p) || p.thresholdsFrom === undefined || alertNameSet.has(p.thresholdsFrom)) continue;
        const guess = guessAlert(p.thresholdsFrom);
        ctx.report({
          message: `dashboard ${d.uid}, panel "${p.title}": thresholdsFrom names unknown alert "${p.thresholdsFrom}"`,
          span: spanOf(d.origin, ...path, 'thresholdsFrom'),
          dangling: { namespace: 'alert', name: p.thresholdsFrom },
          hint: guess ? `did you mean "${guess}"?` : 'name an alert defined in an AlertRules file',
        });
      }
    }
  },
};
