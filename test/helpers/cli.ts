import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const VIGIL_BIN = path.join(REPO, 'bin/vigil.js');

/**
 * Environment for a command line run as an installation runs it: `npm test` has bin/vigil.js run the coverage bundle
 * of src/ instead (VIGIL_COVERAGE_BUNDLE), which skips what bin/vigil.js itself does before the bundle (the code
 * cache, the TypeScript loader started early). A variable set to undefined is left out of the child's environment.
 */
export const AS_SHIPPED: NodeJS.ProcessEnv = { VIGIL_COVERAGE_BUNDLE: undefined };

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

/**
 * Like runVigil, without blocking this process: needed when the command talks to a server the test itself runs
 * (the Grafana test double).
 */
export function runVigilAsync(args: string[], cwd = REPO, env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VIGIL_BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/**
 * `vigil plan|deploy DIR --environment-file FILE …` as a user runs it now that plan and deploy read a build:
 * `vigil build DIR --environment-file FILE --out FILE.build`, then the command on that build (deploy: `--build`; plan:
 * `--targets`, the trusted build, so a `--build` in `args` stays the tree compared). Any other call runs as it is.
 * A failed build is returned as the result.
 */
export async function runOnBuild(args: string[], cwd = REPO, env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const at = args.indexOf('--environment-file');
  if (at < 0 || (args[0] !== 'plan' && args[0] !== 'deploy')) return runVigilAsync(args, cwd, env);
  const file = args[at + 1]!;
  const rest = [...args.slice(0, at), ...args.slice(at + 2)];
  const dir = rest[1] !== undefined && !rest[1].startsWith('--') ? rest[1] : 'monitoring';
  const out = `${path.resolve(cwd, file)}.build`;
  const build = await runVigilAsync(['build', dir, '--environment-file', file, '--out', out], cwd, env);
  if (build.code !== 0) return build;
  return runVigilAsync([...rest, args[0] === 'deploy' ? '--build' : '--targets', out], cwd, env);
}
