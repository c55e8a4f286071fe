import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildChanges, type Change } from '../build/changes.ts';
import { changeCount, renderChangesMarkdown, renderChangesText, summarise, type ScopeChanges } from '../build/changes-render.ts';
import { MANIFEST_PATH } from '../build/paths.ts';
import { BuildError, buildView, builtEnvironments, readBuild, type BuildView } from '../build/read.ts';
import { compileProject } from '../compile-project.ts';
import { hasErrors } from '../diagnostics.ts';
import { printableName } from '../load/file-names.ts';
import { EXIT } from './exit.ts';
import { definitionsDirectory, loadDefinitions, styleFor, UsageError, type CliIO } from './io.ts';
import { countSummary, printDiagnostics } from './print.ts';
import { allInOrder } from '../util/all-in-order.ts';

export interface DiffOptions {
  /** The committed build to compare with: this tree on disk, or (with `against`) this path as committed at a git ref. */
  generated: string;
  against?: string;
  /** A built tree to compare, read as data; without it, the definitions in dir are compiled. */
  build?: string;
  format: 'text' | 'json' | 'markdown';
}

export const DIFF_HELP = `Usage: vigil diff [dir] [--against REF | --generated DIR] [--build DIR] [--format text|json|markdown]

Says what a change does, per environment, in the words of the definitions: which alerts (and which levels,
thresholds, expressions, durations, labels), recording rules, routes, receivers, inhibit rules and dashboards are
added, removed or changed. It compares two builds:
  before   the committed build: --generated DIR (default generated) as it is on disk, or, with --against REF, that
           path as committed at the git ref REF (e.g. origin/main: what a pull request changes)
  after    a fresh build of the definitions in dir (default monitoring), or --build DIR, a built tree read as data
           (only files its manifest lists, checked against their sha256; nothing is compiled)
Changes that read the same in every environment are listed once. --format markdown prints a pull-request comment:
every name, label and expression is escaped as in the plan comment. Nothing is written.
Exit 0 (changes or none), 1 on problems in the definitions or a build that cannot be read, 2 on usage errors.`;

const FORMATS = ['text', 'json', 'markdown'] as const;

export function diffFormat(values: Record<string, unknown>): DiffOptions['format'] {
  const f = String(values.format ?? 'text');
  if ((FORMATS as readonly string[]).includes(f)) return f as DiffOptions['format'];
  throw new UsageError(`diff does not take --format ${JSON.stringify(f)}; use text, json or markdown`);
}

/** Each environment's build (undefined key: a project without environments), read from a tree on disk. */
type Builds = Map<string | undefined, BuildView>;

export async function runDiff(io: CliIO, dir: string, options: DiffOptions): Promise<number> {
  try {
    return await diffCommand(io, dir, options);
  } catch (e) {
    if (e instanceof DiffFailed) return EXIT.problems;
    throw e;
  }
}

async function diffCommand(io: CliIO, dir: string, options: DiffOptions): Promise<number> {
  if (options.against !== undefined && (options.against === '' || options.against.startsWith('-'))) throw new UsageError(`--against takes a git ref (a branch, tag or commit), not ${JSON.stringify(options.against)}`);
  const style = styleFor(io);
  let after: Builds;
  if (options.build !== undefined) after = await guarded(io, () => treeBuilds(options.build!));
  else {
    await definitionsDirectory(dir);
    const loaded = await loadDefinitions(dir);
    const project = compileProject(loaded);
    if (hasErrors(project.diagnostics)) {
      printDiagnostics(io, 'text', loaded, project.diagnostics);
      io.err(`${style.red('diff failed')}: ${countSummary(project.diagnostics)} in ${printableName(dir)}/; fix them, then compare\n`);
      return EXIT.problems;
    }
    after = project.environments.length ? new Map(project.environments.map((e) => [e.name, buildView(e.result.artifacts)])) : new Map([[undefined, buildView(project.base.artifacts)]]);
  }
  if (after.size === 0 && options.build !== undefined) throw new UsageError(`--build ${printableName(options.build)} holds no build (no manifest.json)`);
  let before: Builds;
  if (options.against === undefined) before = await guarded(io, () => treeBuilds(options.generated));
  else {
    const copy = await committedTree(options.generated, options.against);
    try {
      before = await guarded(io, () => treeBuilds(copy));
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  }
  const summary = summarise(compare(before, after));
  if (options.format === 'json') io.out(JSON.stringify({ changes: changeCount(summary), ...summary }, null, 2) + '\n');
  else if (options.format === 'markdown') io.out(renderChangesMarkdown(summary));
  else io.out(renderChangesText(summary));
  return EXIT.ok;
}

/** Environments on either side, compared one by one; without any, the project's one build. */
function compare(before: Builds, after: Builds): ScopeChanges[] {
  const environments = [...new Set([...before.keys(), ...after.keys()].filter((k): k is string => k !== undefined))].sort();
  if (environments.length === 0) return [{ changes: buildChanges(before.get(undefined), after.get(undefined)) }];
  return environments.map((scope) => {
    const [b, a] = [before.get(scope), after.get(scope)];
    const whole: Change[] = !b ? [{ kind: 'environment', change: 'added', name: scope, details: [] }] : !a ? [{ kind: 'environment', change: 'removed', name: scope, details: [] }] : [];
    return { scope, changes: [...whole, ...buildChanges(b, a)] };
  });
}

/** A build error ends the command as deploy's do: what is wrong and what to do, exit 1. */
async function guarded<T>(io: CliIO, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (!(e instanceof BuildError)) throw e;
    io.err(`${styleFor(io).red('diff failed')} [${e.code}]: ${e.message}\n  hint: ${e.hint}\n`);
    throw new DiffFailed();
  }
}

/** Thrown after the reason was printed: the command ends with exit 1. */
class DiffFailed extends Error {}

/** The builds a generated/ tree holds; empty when there is none (a first build compares with nothing). */
async function treeBuilds(dir: string): Promise<Builds> {
  const environments = await builtEnvironments(dir);
  if (environments === undefined) return new Map();
  // Read side by side; when several fail (a shared file tampered with fails them all), the first environment's failure.
  if (environments.length) return new Map(await allInOrder(environments.map(async (env) => [env, await readBuild(dir, env)] as const)));
  try {
    await stat(path.join(dir, MANIFEST_PATH));
  } catch {
    return new Map();
  }
  return new Map([[undefined, await readBuild(dir)]]);
}

/**
 * `tree` (a path relative to the working directory) as committed at `ref`, copied into a private temporary folder:
 * regular files only (git's symlinks and submodules are left out), read through git's object database.
 */
async function committedTree(tree: string, ref: string): Promise<string> {
  const git = (args: string[]) => execFileSync('git', args, { maxBuffer: 1024 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  // ls-tree names files relative to the working directory: `tree` is made relative to it too.
  const relative = path.relative(process.cwd(), path.resolve(tree)) || '.';
  let listing: string;
  try {
    listing = git(['ls-tree', '-r', '-z', ref, '--', relative]).toString('utf8');
  } catch (e) {
    const why = String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim().split('\n')[0];
    throw new UsageError(`--against ${ref}: cannot read ${printableName(tree)}/ at that ref (${why})`);
  }
  const root = await mkdtemp(path.join(os.tmpdir(), 'vigil-diff-'));
  const prefix = relative === '.' ? '' : relative.split(path.sep).join('/') + '/';
  for (const entry of listing.split('\0').filter(Boolean)) {
    const [meta, file] = [entry.slice(0, entry.indexOf('\t')), entry.slice(entry.indexOf('\t') + 1)];
    const [mode, type, object] = meta.split(' ');
    if (type !== 'blob' || (mode !== '100644' && mode !== '100755') || !file.startsWith(prefix)) continue;
    const rel = file.slice(prefix.length);
    if (rel.split('/').some((s) => s === '..' || s === '.' || s === '')) continue;
    const target = path.join(root, rel);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, git(['cat-file', 'blob', object!]));
  }
  return root;
}
