// `vigil diff`: what a change does, per environment, between the committed build and a new one.
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runVigilAsync } from '../helpers/cli.ts';
import { EXAMPLE } from '../helpers/example.ts';

let root: string;
const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });
const vigil = (...args: string[]) => runVigilAsync(args, root);

beforeAll(async () => {
  await mkdir(path.join(REPO, '.tmp'), { recursive: true });
  root = await mkdtemp(path.join(REPO, '.tmp', 'diff-'));
  await cp(EXAMPLE, path.join(root, 'monitoring'), { recursive: true });
  git('init', '-q');
  expect((await vigil('build')).code).toBe(0);
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'build');
  const file = path.join(root, 'monitoring/alerts/inference.yaml');
  await writeFile(file, (await readFile(file, 'utf8')).replace('warning:  { op: ">", value: 0.01, for: 10m }', 'warning:  { op: ">", value: 0.02, for: 10m }'));
  const prod = path.join(root, 'monitoring/environments/prod.yaml');
  await writeFile(prod, (await readFile(prod, 'utf8')).replace('thresholds: { warning: { value: 90 } }', 'thresholds: { warning: { value: 91 } }'));
}, 120_000);
afterAll(() => rm(root, { recursive: true, force: true }));

describe('vigil diff', () => {
  it('before the build: the definitions against generated/ on disk, a shared change once, an override under its environment', async () => {
    const r = await vigil('diff');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      'every environment:\n  ~ alert InferenceErrorRatioHigh: level warning: threshold > 0.01 → > 0.02\nprod:\n' +
        '  ~ alert GpuMemoryHigh: level warning: threshold > 90 → > 91\n  ~ dashboard System overview (system-overview): panels changed: GPU memory used\n  ~ dashboard Training overview (training-overview): panels changed: GPU memory\n',
    );
  }, 60_000);

  it('after the build: the same summary against the last commit (--against), and from a built tree read as data (--build)', async () => {
    expect((await vigil('build')).code).toBe(0);
    expect((await vigil('diff')).stdout).toBe('No changes to alerts, recording rules, routes, receivers, inhibit rules or dashboards.\n');
    const against = await vigil('diff', '--against', 'HEAD', '--format', 'markdown');
    expect(against.code, against.stderr).toBe(0);
    expect(against.stdout).toContain('#### every environment\n');
    expect(against.stdout).toContain('| ~ | alert | `InferenceErrorRatioHigh` | level warning: threshold `> 0.01` → `> 0.02` |');
    expect(against.stdout).toContain('#### `prod`\n');
    await cp(path.join(root, 'generated'), path.join(root, 'pull-request-build'), { recursive: true });
    git('stash', '-q');
    try {
      const data = await vigil('diff', '--build', 'pull-request-build', '--format', 'markdown');
      expect(data.code, data.stderr).toBe(0);
      expect(data.stdout).toBe(against.stdout);
    } finally {
      git('stash', 'pop', '-q');
    }
  }, 120_000);

  it.each([
    [['diff', '--against', 'no-such-ref'], 2, '--against no-such-ref: cannot read generated/ at that ref'],
    [['diff', '--against=--output=x'], 2, '--against takes a git ref'],
    [['diff', '--format', 'github'], 2, 'diff does not take --format "github"'],
  ])('refuses %j with a reason', async (args, code, words) => {
    const r = await vigil(...args);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(words);
  });

  it('refuses a tampered built tree (--build) as plan does', async () => {
    const tampered = path.join(root, 'tampered');
    await cp(path.join(root, 'generated'), tampered, { recursive: true });
    await writeFile(path.join(tampered, 'prometheus/rules/inference.yml'), 'groups: []\n');
    const r = await vigil('diff', '--build', 'tampered');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[deploy/build]: the build in tampered/dev cannot be used: the shared tree's prometheus/rules/inference.yml is not the file its manifest lists");
  });
});
