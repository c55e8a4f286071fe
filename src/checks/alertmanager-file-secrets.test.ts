import { describe, expect, it } from 'vitest';
import { modelOf } from '../../test/fixtures/alertmanager/model.ts';
import type { CheckContext, Report } from './check.ts';
import { envSecretsDirCheck } from './env-secrets-dir.ts';

const PROJECT = 'apiVersion: vigil/v1\nkind: Project\nname: p\n';
const ENVIRONMENT = `apiVersion: vigil/v1
kind: Environment
name: prod
prometheus:
  - { url: "http://prom:9090", rulesDir: /etc/prometheus/rules }
alertmanager:
  peers:
    - { url: "http://am-0:9093", configFile: /mnt/am-0/alertmanager.yml }
    - { url: "http://am-1:9093", configFile: /mnt/am-1/alertmanager.yml }
`;

function reports(files: Record<string, string>): Report[] {
  const model = modelOf({ 'project.yaml': PROJECT, 'env.yaml': ENVIRONMENT, ...files });
  const found: Report[] = [];
  envSecretsDirCheck.run({ model, report: (r: Report) => found.push(r) } as unknown as CheckContext);
  return found;
}

/** Peers with a secrets directory each (a mount per host) and no serverSecretsDir: alertmanager.yml cannot name where a secret file is. */
describe('env/secrets-dir sees the file secrets of integrations and of the global http_config', () => {
  it.each([
    ['a slack api_url', 'slack_configs: [{ channel: "#a", api_url: { env: SLACK_URL } }]', 'SLACK_URL'],
    ['a pagerduty routing_key', 'pagerduty_configs: [{ routing_key: { env: PD_KEY } }]', 'PD_KEY'],
    ['a webhook http_config credential', 'webhook_configs: [{ url: "https://h.example.com", http_config: { authorization: { credentials: { env: HOOK } } } }]', 'HOOK'],
  ])('%s', (_what, integration, variable) => {
    const found = reports({ 'receivers.yaml': `apiVersion: vigil/v1\nkind: Receivers\nreceivers:\n  - name: r\n    alertmanager:\n      ${integration}\n` });
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain(`$${variable}`);
    expect(found[0]!.hint).toContain('serverSecretsDir');
  });

  it('the global http_config', () => {
    const project = `${PROJECT}alertmanager:\n  httpConfig: { proxyUrl: "http://proxy:3128", basicAuth: { username: u, password: { env: PROXY_PASSWORD } } }\n`;
    const found = reports({ 'project.yaml': project });
    expect(found.map((r) => r.message)).toEqual([expect.stringContaining('$PROXY_PASSWORD')]);
  });

  it('a placeholder secret (no *_file variant) is not a file: nothing to say', () => {
    expect(reports({ 'receivers.yaml': 'apiVersion: vigil/v1\nkind: Receivers\nreceivers:\n  - name: r\n    alertmanager:\n      telegram_configs: [{ bot_token: { env: TG }, chat_id: 1 }]\n' })).toEqual([]);
  });
});
