// A real Prometheus (Debian's) over backfilled history: OpenMetrics text → `promtool tsdb create-blocks-from
// openmetrics` → a TSDB directory it starts on, with rule files and no scrape jobs, so nothing but the rules writes to it.
import { spawn } from 'node:child_process';
import { copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunningService, ServiceScope } from './services.ts';

export interface BackfilledPrometheusOptions {
  /** OpenMetrics exposition with timestamps, ending in `# EOF`. */
  openMetrics: string;
  /** Rule files to load (copied next to the configuration). */
  ruleFiles: string[];
  evaluationInterval: string;
}

export async function startBackfilledPrometheus(scope: ServiceScope, options: BackfilledPrometheusOptions): Promise<RunningService> {
  const dir = await scope.tempDir('vigil-backfill-');
  const input = path.join(dir, 'series.om');
  const dataDir = path.join(dir, 'data');
  await writeFile(input, options.openMetrics);
  await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', input, dataDir]);
  const rules: string[] = [];
  for (const file of options.ruleFiles) {
    const copy = path.join(dir, path.basename(file));
    await copyFile(file, copy);
    rules.push(copy);
  }
  const config = path.join(dir, 'prometheus.yml');
  await writeFile(config, [
    `global: { evaluation_interval: ${options.evaluationInterval} }`,
    'rule_files:',
    ...rules.map((r) => `  - ${JSON.stringify(r)}`),
    '',
  ].join('\n'));
  return scope.start({
    name: 'prometheus',
    command: 'prometheus',
    args: (port) => [`--config.file=${config}`, `--storage.tsdb.path=${dataDir}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=30d'],
    readyPath: '/-/ready',
    readyTimeoutMs: 30_000,
  });
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args);
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`))));
  });
}
