/**
 * Where each artifact of a build lives, relative to generated/<env>/: the one home of these paths. Emitters write
 * there, the manifest lists them, and readBuild/buildView read them back by kind.
 */
export const MANIFEST_PATH = 'manifest.json';
export const SECRETS_PATH = 'secrets.json';
/** An environment's build only: where its services are (see build/environment.ts). */
export const ENVIRONMENT_PATH = 'environment.json';
export const PROMETHEUS_RULES_DIR = 'prometheus/rules/';
export const ALERTMANAGER_CONFIG_PATH = 'alertmanager/alertmanager.yml';
/** The silences deploy keeps in Alertmanager (kind: Silences); only when the project declares some. */
export const ALERTMANAGER_SILENCES_PATH = 'alertmanager/silences.json';
export const ALERTMANAGER_TEMPLATES_DIR = 'alertmanager/templates/';
export const ALERTMANAGER_TEMPLATE_PATH = `${ALERTMANAGER_TEMPLATES_DIR}vigil.tmpl`;
export const GRAFANA_DASHBOARDS_DIR = 'grafana/dashboards/';
export const RELAY_CONFIG_PATH = 'relay/relay.yml';

export const ruleFilePath = (file: string) => `${PROMETHEUS_RULES_DIR}${file}`;
export const dashboardPath = (file: string) => `${GRAFANA_DASHBOARDS_DIR}${file}`;
export const prometheusConfigPath = (replica: { name: string }) => `prometheus/prometheus-${replica.name}.yml`;
/** The replica a prometheus-<name>.yml belongs to; undefined for any other path. */
export function prometheusConfigReplica(path: string): string | undefined {
  return /^prometheus\/prometheus-([^/]+)\.yml$/.exec(path)?.[1];
}

/** The files a build of one environment may hold (what the emitters write), and nothing else. */
export const BUILD_FILE = /^(?:prometheus\/(?:rules\/[^/]+\.yml|prometheus-[^/]+\.yml)|alertmanager\/(?:alertmanager\.yml|silences\.json|templates\/[^/]+\.tmpl)|grafana\/(?:dashboards\/[^/]+\.json|export\/[^/]+\.json|provisioning\/[^/]+\/[^/]+\.ya?ml)|relay\/relay\.yml|instrumentation\/[^/]+\.(?:ts|py)|kubernetes\/prometheusrules\.yaml|docs\/[^/]+\.md|secrets\.json|environment\.json)$/;
