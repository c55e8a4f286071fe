// The example project as a fixture of the test suite. Tests read examples/ml-platform/, never monitoring/ or
// generated/: those are the repository's own project and its build, which a team that forks Vigil replaces.
import { cp, mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { REPO, runVigilAsync } from './cli.ts';

export const EXAMPLE = path.join(REPO, 'examples/ml-platform');

/**
 * A fresh folder for copies of the example, under REPO/.tmp: the example's TypeScript dashboard imports 'vigil',
 * which resolves only inside this package. The caller removes it.
 */
export async function exampleScratch(prefix: string): Promise<string> {
  await mkdir(path.join(REPO, '.tmp'), { recursive: true });
  return mkdtemp(path.join(REPO, '.tmp', prefix));
}

/**
 * Copies the example to `<root>/monitoring/`, where a repository keeps its definitions: the default directory of every
 * command, and file names read monitoring/… as in a team's repository. Returns the copy's path.
 */
export async function copyExample(root: string): Promise<string> {
  const definitions = path.join(root, 'monitoring');
  await cp(EXAMPLE, definitions, { recursive: true });
  return definitions;
}

/** The example copied to `<root>/monitoring/` and built by `vigil build` into `<root>/generated/` (returned). */
export async function buildExample(root: string): Promise<string> {
  await copyExample(root);
  const build = await runVigilAsync(['build'], root);
  if (build.code !== 0) throw new Error(`vigil build of the example failed:\n${build.stdout}${build.stderr}`);
  return path.join(root, 'generated');
}
