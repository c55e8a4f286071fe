import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DeployError } from './errors.ts';

export interface PreflightInput {
  /** The rule files about to be written (those already on the targets, byte for byte, were checked when written). */
  ruleFiles: Map<string, string>;
  /** Per replica: prometheus.yml as it will be written. */
  prometheusConfigs: { replica: string; content: string }[];
  alertmanager?: { config: string; templates: Map<string, string> };
  promtool: string;
  amtool: string;
}

/**
 * The real tools on exactly the files about to be written (secrets filled in), staged in a temporary directory:
 * promtool check rules on the rule files (in one batch per core: 10,000 rules take promtool seconds), promtool check
 * config --syntax-only on each prometheus.yml (its rule files are the ones checked beside it), and amtool
 * check-config with the templates beside the config. Nothing reaches a server that the tools reject.
 */
export async function preflight(input: PreflightInput): Promise<string[]> {
  const stage = await mkdtemp(path.join(os.tmpdir(), 'vigil-preflight-'));
  const checked: string[] = [];
  try {
    const rulesDir = path.join(stage, 'rules');
    await mkdir(rulesDir, { recursive: true });
    await Promise.all([...input.ruleFiles].map(([name, content]) => writeFile(path.join(rulesDir, name), content)));
    const batches = splitIntoBatches([...input.ruleFiles.keys()].map((n) => path.join(rulesDir, n)), os.availableParallelism());
    const configs = input.prometheusConfigs.map(async (c) => {
      const file = path.join(stage, `prometheus-${c.replica}.yml`);
      await writeFile(file, c.content, { mode: 0o600 });
      await run(input.promtool, ['check', 'config', '--syntax-only', file], `promtool check config (replica ${c.replica})`, stage);
    });
    await Promise.all([...batches.map((files) => run(input.promtool, ['check', 'rules', ...files], 'promtool check rules', stage)), ...configs]);
    if (input.ruleFiles.size) checked.push(`promtool check rules: ${input.ruleFiles.size} changed file${input.ruleFiles.size === 1 ? '' : 's'}`);
    if (input.prometheusConfigs.length) checked.push(`promtool check config: ${input.prometheusConfigs.length} changed configuration${input.prometheusConfigs.length === 1 ? '' : 's'}`);
    if (input.alertmanager) {
      const amDir = path.join(stage, 'alertmanager');
      await mkdir(path.join(amDir, 'templates'), { recursive: true });
      await Promise.all([...input.alertmanager.templates].map(([name, content]) => writeFile(path.join(amDir, 'templates', name), content)));
      await writeFile(path.join(amDir, 'alertmanager.yml'), input.alertmanager.config, { mode: 0o600 });
      await run(input.amtool, ['check-config', path.join(amDir, 'alertmanager.yml')], 'amtool check-config', stage);
      checked.push('amtool check-config: alertmanager.yml');
    }
    return checked;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

function splitIntoBatches<T>(items: T[], count: number): T[][] {
  const size = Math.ceil(items.length / Math.max(1, count));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function run(command: string, args: string[], what: string, stage: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (e) => {
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      reject(new DeployError(`${what}: cannot run ${command}: ${missing ? 'not found' : e.message}`, missing ? `install it (Debian: apt-get install ${command === 'amtool' ? 'prometheus-alertmanager' : 'prometheus'}) or set ${command === 'amtool' ? 'VIGIL_AMTOOL' : 'VIGIL_PROMTOOL'}` : 'check that the tool runs for the deploying user', 'deploy/preflight'));
    });
    child.on('close', (code) => {
      if (code === 0) resolve();
      else {
        const text = output.split(stage).join('<staged>').trim();
        reject(new DeployError(`pre-flight ${what} rejected the build, nothing was deployed:\n${indent(text)}`, 'fix the definitions (vigil validate and vigil test should have caught this; please report it)', 'deploy/preflight'));
      }
    });
  });
}

const indent = (text: string) => text.split('\n').map((l) => `    ${l}`).join('\n');
