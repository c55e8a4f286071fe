import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { compile } from '../compile.ts';
import { loadYamlSources } from '../load/index.ts';
import type { EnvironmentSpec } from '../spec/types.gen.ts';
import { environment, yamlOf } from '../../test/factories/index.ts';
import { GRAFANA_DATASOURCE_PATH } from './grafana-provisioning.ts';

const BASE_DIR = path.resolve(import.meta.dirname, '../../test/fixtures/base');
const base = readdirSync(BASE_DIR).sort().map((file) => ({ file, text: readFileSync(path.join(BASE_DIR, file), 'utf8') }));
const env = (grafana: EnvironmentSpec['grafana']) => ({
  file: 'env.yaml',
  text: yamlOf(environment({ prometheus: [{ url: 'http://prom-a:9090/', rulesDir: '/r' }], grafana, scrape: { app: { targets: ['a:1'] }, node_exporter: { targets: ['n:1'] } } })),
});

const datasourceOf = (grafana: EnvironmentSpec['grafana']) => {
  const result = compile(loadYamlSources([...base, env(grafana)]), { environment: 'prod' });
  const file = result.artifacts.find((a) => a.path === GRAFANA_DATASOURCE_PATH);
  return file && (load(file.content) as { datasources: Record<string, unknown>[] }).datasources;
};

describe('Grafana data source provisioning', () => {
  it('points the dashboards’ data source uid at the environment’s Prometheus', () => {
    expect(datasourceOf({ url: 'https://g' })).toEqual([
      { name: 'Prometheus (prod)', type: 'prometheus', uid: 'prometheus', access: 'proxy', url: 'http://prom-a:9090', isDefault: true, editable: false, jsonData: { httpMethod: 'POST', timeInterval: '15s' } },
    ]);
  });

  it('uses the load balancer URL when the environment gives one', () => {
    expect(datasourceOf({ url: 'https://g', datasourceUrl: 'http://prom-lb:9090' })![0]!.url).toBe('http://prom-lb:9090');
  });

  it('is not emitted for an environment without Grafana', () => {
    expect(datasourceOf(undefined)).toBeUndefined();
  });
});
