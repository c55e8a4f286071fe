import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closest } from '../util/closest.ts';
import { EXIT } from './exit.ts';
import { UsageError, type CliIO } from './io.ts';

export const INIT_HELP = `Usage: vigil init [dir] [--example minimal|ml-platform] [--force]

Scaffolds a monitoring repository in dir (default: the current directory), ready for \`vigil validate\`, \`build\`
and \`test\`:
  monitoring/                     Project, a metric catalogue, severities, one alert with two levels, receivers,
                                  routes, a dashboard, rule tests and a production Environment
  .github/workflows/vigil.yml     CI: validate, build --check, test; plan comment on pull requests; deploy on main
  .vscode/settings.json           the JSON Schemas of node_modules/vigil/schemas mapped onto the definition folders
  README.md, .gitignore           for the team
--example ml-platform puts Vigil's full example (a machine-learning platform: five teams, three environments,
DingTalk, WeCom and SMS through the relay) in monitoring/ instead of the minimal project.
The directory must be empty, apart from what npm and git put there (package.json, package-lock.json, node_modules,
.npmrc, .git); --force writes into it anyway, replacing files of the same name.
Exit 0 when written, 2 on a usage error or a directory that is not empty.`;

const EXAMPLES = ['minimal', 'ml-platform'] as const;
type Example = (typeof EXAMPLES)[number];

/** What installing Vigil leaves in a directory: init still counts it as empty. */
const NPM_AND_GIT = new Set(['.git', 'node_modules', 'package.json', 'package-lock.json', '.npmrc']);

/** The environment the scaffolded workflow plans and deploys. */
const WORKFLOW_ENVIRONMENT: Record<Example, string> = { minimal: 'production', 'ml-platform': 'prod' };

export const initCommand = {
  help: INIT_HELP,
  options: { example: { type: 'string' as const, default: 'minimal' }, force: { type: 'boolean' as const, default: false } },
  run: (io: CliIO, _dir: string, values: Record<string, unknown>, positionals: string[]) =>
    runInit(io, positionals[0] ?? '.', { example: exampleOf(values.example), force: values.force === true }),
};

function exampleOf(value: unknown): Example {
  const name = String(value);
  if ((EXAMPLES as readonly string[]).includes(name)) return name as Example;
  const guess = closest(name, [...EXAMPLES]);
  throw new UsageError(`--example "${name}" is not one of ${EXAMPLES.join(', ')}${guess ? `; did you mean ${guess}?` : ''}`);
}

export async function runInit(io: CliIO, dir: string, options: { example: Example; force: boolean }): Promise<number> {
  const occupied = await occupiedEntries(dir);
  if (occupied === 'not a directory') throw new UsageError(`"${dir}" exists and is not a directory`);
  if (occupied.length && !options.force) {
    const shown = occupied.slice(0, 5).join(', ') + (occupied.length > 5 ? `, … (${occupied.length} entries)` : '');
    io.err(`vigil init: ${dir} is not empty (${shown}); nothing was written\nhint: choose a new directory (vigil init my-monitoring), or --force to write into this one, replacing files of the same name\n`);
    return EXIT.usage;
  }
  const files = await scaffold(options.example);
  for (const file of files) {
    const target = path.join(dir, file.path);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, file.text);
  }
  const cd = path.resolve(dir) === process.cwd() ? '' : `cd ${dir} && `;
  io.out(
    `vigil init: wrote ${files.length} files (${options.example}) to ${dir}\n\nNext:\n` +
      `  ${cd}npx vigil validate && npx vigil build && npx vigil test\n` +
      `  git add . && git commit -m "Monitoring as code with Vigil"   # generated/ included: CI checks it\n` +
      `Then set the secrets of .github/workflows/vigil.yml (GRAFANA_TOKEN, …) in the repository's ${WORKFLOW_ENVIRONMENT[options.example]} environment.\n`,
  );
  return EXIT.ok;
}

/** The entries of dir that npm and git did not put there; none when it does not exist yet. */
async function occupiedEntries(dir: string): Promise<string[] | 'not a directory'> {
  try {
    if (!(await stat(dir)).isDirectory()) return 'not a directory';
  } catch {
    return [];
  }
  return (await readdir(dir)).filter((name) => !NPM_AND_GIT.has(name)).sort();
}

interface ScaffoldFile {
  /** Relative to the target directory, with `/`. */
  path: string;
  text: string;
}

// Beside the sources (src/cli/init.ts) or beside the bundle (dist/vigil.cjs): the package root.
const PACKAGE_ROOT = ['../..', '..'].map((rel) => fileURLToPath(new URL(`${rel}/`, import.meta.url))).find((p) => existsSync(path.join(p, 'templates', 'init')));

async function scaffold(example: Example): Promise<ScaffoldFile[]> {
  if (!PACKAGE_ROOT) throw new Error('the init templates (templates/init) are missing from this installation');
  const minimal = await readTree(path.join(PACKAGE_ROOT, 'templates', 'init', 'minimal'));
  const repositoryFiles = minimal.filter((f) => !f.path.startsWith('monitoring/')).map((f) => ({ ...f, path: dotted(f.path) }));
  const definitions = example === 'minimal' ? minimal.filter((f) => f.path.startsWith('monitoring/')) : await exampleDefinitions();
  return [...repositoryFiles, ...definitions].map((f) => (f.path === '.github/workflows/vigil.yml' ? { ...f, text: f.text.replaceAll('production', WORKFLOW_ENVIRONMENT[example]) } : f));
}

/** npm leaves dot-files out of packages or renames them, so the templates spell a leading `.` as `dot-`. */
const dotted = (p: string) => p.replace(/(^|\/)dot-/g, '$1.');

/** Vigil's example project, moved from monitoring/ to examples/ml-platform/; its schema comments point into node_modules. */
async function exampleDefinitions(): Promise<ScaffoldFile[]> {
  const source = ['examples/ml-platform', 'monitoring'].map((p) => path.join(PACKAGE_ROOT!, p)).find((p) => existsSync(p));
  if (!source) throw new Error('the ml-platform example is missing from this installation');
  return (await readTree(source)).map((f) => {
    const target = `monitoring/${f.path}`;
    const schemas = path.posix.relative(path.posix.dirname(target), 'node_modules/vigil/schemas');
    return { path: target, text: f.text.replace(/(\$schema=)\S*?schemas\/([a-z-]+\.schema\.json)/g, `$1${schemas}/$2`) };
  });
}

async function readTree(root: string, prefix = ''): Promise<ScaffoldFile[]> {
  const files: ScaffoldFile[] = [];
  for (const entry of (await readdir(path.join(root, prefix), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await readTree(root, rel)));
    else if (entry.isFile()) files.push({ path: rel, text: await readFile(path.join(root, rel), 'utf8') });
  }
  return files;
}
