// The example built for the simulators: a copy with an Environment of this machine (file_sd per source, the
// Pushgateway), built by the real `vigil build`, its rules time-compressed for Prometheus beside it.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { runVigilAsync } from '../helpers/cli.ts';
import { copyExample } from '../helpers/example.ts';
import { compressRuleFile } from './compress-rules.ts';
import type { TargetGroup } from './platform.ts';

export const SCRAPED_SOURCES = ['node_exporter', 'dcgm_exporter', 'trainer', 'model_server', 'platform-api', 'vigil_relay'];

export interface SimProject {
  /** The build's generated/ (instrumentation, rules, dashboards, the sim environment's prometheus.yml). */
  generated: string;
  /** file_sd files, one per source: <source>.json. */
  targetsDir: string;
  /** Where Prometheus runs from: prometheus.yml, rules/, data/. */
  prometheusDir: string;
  configFile: string;
}

export interface SimProjectOptions {
  pushgatewayUrl: string;
  /** Divide every duration in rule expressions by this (1: the example's own timing). */
  factor: number;
  /** `for` and keep_firing_for of every alert (the example's own when factor is 1). */
  hold?: string;
  /** Scrape and evaluation interval. */
  interval: string;
}

/** Copies the example to <root>/monitoring, adds environments/sim.yaml, builds, and writes Prometheus' files. */
export async function buildSimProject(root: string, options: SimProjectOptions): Promise<SimProject> {
  const definitions = await copyExample(root);
  const targetsDir = path.join(root, 'targets');
  const prometheusDir = path.join(root, 'prometheus');
  const configFile = path.join(prometheusDir, 'prometheus.yml');
  await mkdir(targetsDir, { recursive: true });
  await mkdir(path.join(prometheusDir, 'rules'), { recursive: true });
  for (const source of SCRAPED_SOURCES) await writeFile(path.join(targetsDir, `${source}.json`), '[]');
  await writeFile(
    path.join(definitions, 'environments/sim.yaml'),
    [
      'apiVersion: vigil/v1',
      'kind: Environment',
      'name: sim',
      'prometheus:',
      `  - { name: prom-0, url: "http://127.0.0.1:9090", rulesDir: "${prometheusDir}/rules", configFile: "${configFile}" }`,
      `pushgateway: { url: "${options.pushgatewayUrl}" }`,
      'scrape:',
      ...SCRAPED_SOURCES.map((s) => `  ${s}: { fileSd: ["${targetsDir}/${s}.json"] }`),
    ].join('\n') + '\n',
  );
  const build = await runVigilAsync(['build'], root);
  if (build.code !== 0) throw new Error(`vigil build of the example failed:\n${build.stdout}${build.stderr}`);
  const generated = path.join(root, 'generated');

  for (const file of await readdir(path.join(generated, 'prometheus/rules'))) {
    const text = await readFile(path.join(generated, 'prometheus/rules', file), 'utf8');
    const rules = options.factor === 1 && !options.hold ? text : compressRuleFile(text, { factor: options.factor, hold: options.hold ?? '0s' });
    await writeFile(path.join(prometheusDir, 'rules', file), rules);
  }
  const config = parse(await readFile(path.join(generated, 'sim/prometheus/prometheus-prom-0.yml'), 'utf8')) as { global: Record<string, unknown> };
  config.global.scrape_interval = options.interval;
  config.global.evaluation_interval = options.interval;
  await writeFile(configFile, stringify(config));
  return { generated, targetsDir, prometheusDir, configFile };
}

/** Writes the file_sd files; Prometheus picks changes up by itself. */
export async function writeTargets(project: SimProject, targets: Record<string, TargetGroup[]>): Promise<void> {
  for (const [source, groups] of Object.entries(targets)) await writeFile(path.join(project.targetsDir, `${source}.json`), JSON.stringify(groups));
}
