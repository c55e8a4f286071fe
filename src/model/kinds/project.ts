import type { ProjectSpec } from '../../spec/types.gen.ts';
import { at, DEFAULT_INTERVAL, type KindMapper } from './mapper.ts';

export const mapProject: KindMapper = (def, { model }) => {
  if (model.project) return; // the second one is reported by project/singleton
  const p = def.value as ProjectSpec;
  model.project = {
    name: p.name,
    evaluationInterval: p.evaluationInterval ?? DEFAULT_INTERVAL,
    scrapeInterval: p.scrapeInterval ?? DEFAULT_INTERVAL,
    externalLabels: { ...(p.externalLabels ?? {}) },
    grafana: { url: p.grafana?.url, datasourceUid: p.grafana?.datasourceUid ?? 'prometheus', folder: p.grafana?.folder, tags: p.grafana?.tags ?? [], ...(p.grafana?.exportFormat ? { exportFormat: true } : {}) },
    relay: p.relay,
    smtp: p.smtp,
    alertmanager: p.alertmanager,
    ...(p.prometheusRule ? { prometheusRule: p.prometheusRule } : {}),
    policies: { requiredAlertLabels: p.policies?.requiredAlertLabels ?? [], testCoverage: p.policies?.testCoverage ?? 0, ...(p.policies?.silenceMaxDuration ? { silenceMaxDuration: p.policies.silenceMaxDuration } : {}), checks: { ...(p.policies?.checks ?? {}) } },
    origin: at(def),
  };
};
