import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DeployError } from './errors.ts';

export interface PreflightInput {
  ruleFiles: Map<string, string>;
  /** Per replica: prometheus.yml as it will be written, and the rules directory its rule_files names. */
  prometheusConfigs: { replica: string; content: string; rulesDir: string }[];
  alertmanager?: { config: string; templates: Map<string, string> };
  promtool: string;
  amtool: string;
}

/**
 * The real tools on exactly the files about to be written (secrets filled in), staged in a temporary directory:
 * promtool check config (which checks the rule files its rule_files names — pointed at the staged copies) or
 * promtool check rules, and amtool check-config with the templates beside the config. Nothing reaches a server
 * that the tools reject.
 */
export async function preflight(input: PreflightInput): Promise<string[]> {
  const stage = await mkdtemp(path.join(os.tmpdir(), 'vigil-preflight-'));
  const checked: string[] = [];
  try {
    const rulesDir = path.join(stage, 'rules');
    await mkdir(rulesDir, { recursive: true });
    await Promise.all([...input.ruleFiles].map(([name, content]) => writeFile(path.join(rulesDir, name), content)));
    if (input.prometheusConfigs.length) {
      for (const c of input.prometheusConfigs) {
        const file = path.join(stage, `prometheus-${c.replica}.yml`);
        await writeFile(file, pointRuleFilesAt(c.content, c.rulesDir, rulesDir), { mode: 0o600 });
        await run(input.promtool, ['check', 'config', file], `promtool check config (replica ${c.replica})`, stage);
      }
      checked.push(`promtool check config: ${input.prometheusConfigs.length} configuration${input.prometheusConfigs.length === 1 ? '' : 's'} with ${input.ruleFiles.size} rule files`);
    } else if (input.ruleFiles.size) {
      await run(input.promtool, ['check', 'rules', ...[...input.ruleFiles.keys()].map((n) => path.join(rulesDir, n))], 'promtool check rules', stage);
      checked.push(`promtool check rules: ${input.ruleFiles.size} files`);
    }
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

function pointRuleFilesAt(config: string, rulesDir: string, staged: string): string {
  const from = `${rulesDir.replace(/\/+$/, '')}/*.yml`;
  return config.split('\n').map((line) => (line.trim() === `- ${from}` ? line.replace(from, `${staged}/*.yml`) : line)).join('\n');
}

function run(command: string, args: string[], what: string, stage: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (e) => {
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      reject(new DeployError(`${what}: cannot run ${command}: ${missing ? 'not found' : e.message}`, missing ? `install it (Debian: apt-get install ${command === 'amtool' ? 'prometheus-alertmanager' : 'prometheus'}) or set ${command === 'amtool' ? 'VIGIL_AMTOOL' : 'VIGIL_PROMTOOL'}` : undefined, 'deploy/preflight'));
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
