// Finds where a test's source reads the repository's own monitoring/ or generated/, which `npm test` must not
// (a team that forks Vigil replaces them). A static scan of the usual ways in; copies of a project in a temp folder
// named monitoring/ and expected messages that name monitoring/… are not uses.

export interface ProjectUse {
  line: number;
  text: string;
  why: string;
}

const DIRS = '(?:monitoring|generated)\\b';
const QUOTE = '[\'"`]';

/** Line-by-line patterns: a path from the repository root, a path climbing to it, a read relative to the cwd. */
const PATTERNS: [RegExp, string][] = [
  [new RegExp(`\\b(?:REPO|REPO_ROOT|ROOT|repo)\\s*,\\s*${QUOTE}(?:\\./)?${DIRS}`), 'a path from the repository root into monitoring/ or generated/'],
  [new RegExp(`${QUOTE}(?:\\.\\./)+${DIRS}`), 'a relative path climbing to the repository’s monitoring/ or generated/'],
  [
    new RegExp(`\\b(?:loadDirectory|readdirSync|readdir|readFileSync|readFile|existsSync|statSync|cpSync|cp)\\(\\s*${QUOTE}(?:\\./)?${DIRS}`),
    'a read of monitoring/ or generated/ relative to the working directory (the repository, under vitest)',
  ],
];

const CLI_CALL = /\b(runVigil|runVigilAsync|runOnBuild)\(/g;

/** Every use in one file's text. */
export function repositoryProjectUses(text: string): ProjectUse[] {
  const lines = text.split('\n');
  const uses: ProjectUse[] = [];
  lines.forEach((line, i) => {
    for (const [pattern, why] of PATTERNS) if (pattern.test(line)) uses.push({ line: i + 1, text: line.trim(), why });
  });
  for (const call of cliCalls(text)) {
    const why = cliCallUse(call.args);
    if (why) uses.push({ line: lineOf(text, call.at), text: call.source, why });
  }
  return uses.sort((a, b) => a.line - b.line);
}

/**
 * Why a CLI run reads the repository's project, if it does. Without a working directory it runs in the repository
 * (the helpers' default), where any command but help, or `validate` of another directory, reads or writes
 * monitoring/ and generated/ (build, test, plan and deploy default to generated/). Told to run in REPO, it does when
 * it names monitoring/ or generated/, or gives no definitions directory.
 */
function cliCallUse(args: string[]): string | undefined {
  const [argv, cwd] = args;
  // Arguments built elsewhere (a wrapper's `args`) are judged where the wrapper is called.
  if (argv === undefined || !argv.startsWith('[')) return undefined;
  const items = topLevelItems(argv.replace(/^\[|\]$/g, ''));
  if (items.some((a) => /^['"]--(help|version)['"]$/.test(a))) return undefined;
  const dir = items[1];
  const namesProject = items.some((a) => new RegExp(`^${QUOTE}(?:\\./)?${DIRS}`).test(a));
  const namesNoDir = dir === undefined || /^['"`]-/.test(dir);
  if (cwd === undefined) {
    if (/^['"]validate['"]$/.test(items[0] ?? '') && !namesNoDir && !namesProject) return undefined;
    return 'a CLI run without a working directory runs in the repository, on its monitoring/ and generated/';
  }
  if (cwd.trim() !== 'REPO') return undefined;
  if (namesProject) return 'a CLI run in the repository on its monitoring/ or generated/';
  if (namesNoDir) return 'a CLI run in the repository without a definitions directory reads its monitoring/';
  return undefined;
}

interface Call {
  at: number;
  source: string;
  args: string[];
}

/** Calls of the CLI helpers with their top-level arguments (function declarations are not calls). */
function cliCalls(text: string): Call[] {
  const calls: Call[] = [];
  for (const m of text.matchAll(CLI_CALL)) {
    if (/function\s*$/.test(text.slice(Math.max(0, m.index - 20), m.index))) continue;
    const open = m.index + m[0].length;
    const close = matchingClose(text, open);
    calls.push({ at: m.index, source: text.slice(m.index, close + 1).replace(/\s+/g, ' '), args: topLevelItems(text.slice(open, close)) });
  }
  return calls;
}

/** The index of the bracket closing the one just before `from`, skipping strings. */
function matchingClose(text: string, from: number): number {
  let depth = 1;
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c) && --depth === 0) return i;
  }
  return text.length;
}

/** The comma-separated items of a list's inner text, split at its top level only. */
function topLevelItems(inner: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      items.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  items.push(inner.slice(start).trim());
  return items.filter((s) => s !== '');
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}
