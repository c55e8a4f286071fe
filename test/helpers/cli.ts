import { spawnSync } from 'node:child_process';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const VIGIL_BIN = path.join(REPO, 'bin/vigil.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `vigil` executable, as a user would, in `cwd`. */
export function runVigil(args: string[], cwd = REPO, env: NodeJS.ProcessEnv = {}): CliRun {
  const r = spawnSync(process.execPath, [VIGIL_BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Whether a command is on PATH (the real promtool/amtool are required in CI; .ci/run installs them). */
export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}
