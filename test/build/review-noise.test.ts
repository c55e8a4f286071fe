// Issue #12 §2: a definition change shows once in generated/. The example is built into a git repository, committed,
// changed in one place, rebuilt, and the files git sees changed are counted.
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runVigilAsync } from '../helpers/cli.ts';
import { EXAMPLE } from '../helpers/example.ts';

const ENVIRONMENTS = ['dev', 'prod', 'staging'];

let root: string;
const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });
/** The files `git status` shows changed (or added, or removed) since the last commit. */
const changedFiles = () =>
  git('status', '--porcelain', '--untracked-files=all')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(3))
    .sort();

async function edit(file: string, from: string, to: string): Promise<void> {
  const at = path.join(root, 'monitoring', file);
  const text = await readFile(at, 'utf8');
  expect(text, `${file} holds ${from}`).toContain(from);
  await writeFile(at, text.replace(from, to));
}

async function rebuild(): Promise<void> {
  const r = await runVigilAsync(['build'], root);
  expect(r.code, r.stdout + r.stderr).toBe(0);
}

beforeAll(async () => {
  // Under the repository: the example's TypeScript dashboard imports 'vigil', which resolves only inside this package.
  await mkdir(path.join(REPO, '.tmp'), { recursive: true });
  root = await mkdtemp(path.join(REPO, '.tmp', 'review-noise-'));
  await cp(EXAMPLE, path.join(root, 'monitoring'), { recursive: true });
  git('init', '-q');
  await rebuild();
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'build');
}, 120_000);
afterAll(() => rm(root, { recursive: true, force: true }));

describe('review noise: what one definition change rewrites in generated/', () => {
  it('a shared alert threshold (one line, the same in every environment) touches the shared rule file, the shared catalogue and the manifest, plus one file per environment: its alert catalogue', async () => {
    await edit('alerts/inference.yaml', 'warning:  { op: ">", value: 0.01, for: 10m }', 'warning:  { op: ">", value: 0.02, for: 10m }');
    expect(changedFiles()).toEqual(['monitoring/alerts/inference.yaml']);
    await rebuild();
    const changed = changedFiles().filter((f) => f.startsWith('generated/'));
    // Issue #12 measured 19 files for such a change before environment trees became overlays.
    expect(changed).toEqual(['generated/dev/docs/alerts.md', 'generated/docs/alerts.md', 'generated/manifest.json', 'generated/prod/docs/alerts.md', 'generated/prometheus/rules/inference.yml', 'generated/staging/docs/alerts.md']);
    for (const env of ENVIRONMENTS) expect(changed.filter((f) => f.startsWith(`generated/${env}/`)).length, env).toBeLessThanOrEqual(1);
    git('checkout', '-q', '--', '.');
  }, 120_000);

  it('a threshold inside one environment\'s override touches only that environment\'s files and the manifest', async () => {
    await edit('environments/prod.yaml', 'thresholds: { warning: { value: 90 } }', 'thresholds: { warning: { value: 91 } }');
    await rebuild();
    const changed = changedFiles().filter((f) => f.startsWith('generated/'));
    expect(changed.filter((f) => !f.startsWith('generated/prod/'))).toEqual(['generated/manifest.json']);
    // The rule, the catalogue, and the dashboards that draw the alert's thresholds.
    expect(changed).toEqual([
      'generated/manifest.json',
      'generated/prod/docs/alerts.md',
      'generated/prod/grafana/dashboards/system-overview.json',
      'generated/prod/grafana/dashboards/training-overview.json',
      'generated/prod/prometheus/rules/training.yml',
    ]);
    git('checkout', '-q', '--', '.');
  }, 120_000);
});
