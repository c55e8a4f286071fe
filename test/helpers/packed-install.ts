// The repository as npm publishes it, installed into a new project: what a team gets from `npm install --save-dev
// vigil`. Used by the package's end-to-end test and by the bench that times validate as users run it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './cli.ts';

/**
 * Packs the repository into `temp` (`npm pack`, which builds dist/) and installs the tarball into `<temp>/<name>`, a
 * new project whose package.json is `{ name, private: true, ...packageJson }`. Returns the project's folder; throws
 * with npm's output when a step fails.
 */
export function installPackedVigil(temp: string, name: string, packageJson: Record<string, unknown> = {}): string {
  const run = (args: string[], cwd: string) => {
    const r = spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false' }, timeout: 180_000 });
    return { ok: r.status === 0, stdout: r.stdout ?? '', output: `npm ${args.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}` };
  };
  const packed = run(['pack', '--silent', '--pack-destination', temp], REPO);
  if (!packed.ok) throw new Error(packed.output);
  const tarball = path.join(temp, packed.stdout.trim().split('\n').pop()!);
  const project = path.join(temp, name);
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name, private: true, ...packageJson }, null, 2));
  // From the cache that `npm ci` filled (the registry only for what it lacks). --ignore-scripts: better-sqlite3's
  // install script compiles a native module for a minute where no prebuilt binary can be downloaded, and only the
  // relay's store uses it, not validate, build or test; esbuild works without its postinstall check.
  const flags = ['install', '--save-dev', '--ignore-scripts', '--no-audit', '--no-fund', tarball];
  let install = run([...flags, '--offline'], project);
  if (!install.ok) install = run([...flags, '--prefer-offline'], project);
  if (!install.ok) throw new Error(install.output);
  return project;
}
