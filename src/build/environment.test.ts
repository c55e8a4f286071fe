import { describe, expect, it } from 'vitest';
import { environmentJson, parseEnvironmentJson, type DeployEnvironment } from './environment.ts';

const FULL: DeployEnvironment = {
  name: 'prod',
  prometheus: [
    { name: 'prom-a', url: 'http://prom-a:9090', rulesDir: '/mnt/a/rules', serverRulesDir: '/etc/prometheus/rules', configFile: '/mnt/a/prometheus.yml', reloadUrl: 'http://prom-a:9090/-/reload' },
    { name: 'prom-b', url: 'https://prom-b:9090', rulesDir: 'rules', serverRulesDir: 'rules', reloadUrl: 'https://prom-b:9090/-/reload' },
  ],
  alertmanager: [{ url: 'http://am-0:9093', configFile: '/mnt/am/alertmanager.yml', reloadUrl: 'http://am-0:9093/-/reload', secretsDir: '/mnt/am/secrets' }],
  alertmanagerServerSecretsDir: '/etc/alertmanager/secrets',
  grafana: { url: 'https://grafana.example.com', token: { env: 'GRAFANA_TOKEN' }, folder: 'ML Platform' },
  influxdb: { url: 'http://influx:8086', database: 'prometheus', retention: '90d', username: 'prom', password: { file: '/run/secrets/influx' } },
  relay: { url: 'http://relay:9095', buildDir: '/mnt/relay/build', operateToken: { env: 'VIGIL_RELAY_OPERATE_TOKEN' } },
};
const MINIMAL: DeployEnvironment = { name: 'lab', prometheus: [{ name: 'prom-0', url: 'http://127.0.0.1:9090', rulesDir: '/tmp/r', serverRulesDir: '/tmp/r', reloadUrl: 'http://127.0.0.1:9090/-/reload' }], alertmanager: [] };

describe('environment.json', () => {
  it.each([['every field', FULL], ['the least an Environment says', MINIMAL]])('round-trips %s', (_name, env) => {
    expect(parseEnvironmentJson(environmentJson(env))).toEqual(env);
  });

  it('is byte-stable whatever order the fields were given in', () => {
    const shuffled = JSON.parse(JSON.stringify(FULL), (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v)) as DeployEnvironment;
    expect(environmentJson(shuffled)).toBe(environmentJson(FULL));
  });

  const text = environmentJson(FULL);
  const edit = (f: (doc: Record<string, any>) => void) => {
    const doc = JSON.parse(text) as Record<string, any>;
    f(doc);
    return JSON.stringify(doc);
  };
  // Files a hand or another tool could produce: each is refused naming the field, never half-used.
  it.each([
    ['not JSON', '{', 'not JSON'],
    ['a list', '[]', 'must be an object'],
    ['no generator', edit((d) => delete d.generator), 'not written by Vigil'],
    ['no environment name', edit((d) => delete d.environment), 'environment: must be a non-empty one-line string'],
    ['a name with a newline', edit((d) => (d.environment = 'prod\nx')), 'environment: must be a non-empty one-line string'],
    ['no Prometheus', edit((d) => (d.prometheus = [])), 'prometheus: lists no server'],
    ['a Prometheus URL that is not http', edit((d) => (d.prometheus[0].url = 'file:///etc/passwd')), 'prometheus[0].url: must be an http or https URL'],
    ['a reload URL that is not a URL', edit((d) => (d.prometheus[1].reloadUrl = 'prom-b/-/reload')), 'prometheus[1].reloadUrl: "prom-b/-/reload" is not a URL'],
    ['a rules directory that is a number', edit((d) => (d.prometheus[0].rulesDir = 7)), 'prometheus[0].rulesDir: must be a non-empty one-line string'],
    ['Alertmanager peers not a list', edit((d) => (d.alertmanager = {})), 'alertmanager: must be a list'],
    ['a token that is a value', edit((d) => (d.grafana.token = 'glsa_secret')), 'grafana.token: must be an object'],
    ['a token with both env and file', edit((d) => (d.grafana.token = { env: 'A', file: '/b' })), 'grafana.token: must be a secret reference'],
    ['a token naming a bad variable', edit((d) => (d.grafana.token = { env: 'A-B' })), 'grafana.token: must be a secret reference'],
    ['a password file that is relative', edit((d) => (d.influxdb.password = { file: 'secrets/p' })), 'influxdb.password.file: must be an absolute path'],
    ['an InfluxDB without database', edit((d) => delete d.influxdb.database), 'influxdb.database: must be a non-empty one-line string'],
    ['a relay URL that is not http', edit((d) => (d.relay.url = 'ftp://relay')), 'relay.url: must be an http or https URL'],
    ['a relay token that is a value', edit((d) => (d.relay.operateToken = 'tok')), 'relay.operateToken: must be an object'],
  ])('refuses %s', (_name, input, message) => {
    expect(() => parseEnvironmentJson(input)).toThrow(message);
  });
});
