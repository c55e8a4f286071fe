// The acceptance matrix (docs/en/acceptance.md, docs/zh/acceptance.md) cannot drift from the code: both languages
// hold the same rows (ids, statuses, proofs), every proof names a test that exists — its describe/it title path, parsed
// from the file with TypeScript — or a benchmark script with the figure docs/benchmarks.md records, and a criterion not
// met names the issue that is missing. The broken matrices at the end prove each rule fails when it should.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '..');
const MATRICES = { en: 'docs/en/acceptance.md', zh: 'docs/zh/acceptance.md' } as const;
const BENCHMARKS = 'docs/benchmarks.md';

export const STATUSES = ['met', 'met differently', 'partly', 'not yet'] as const;
export const NEEDS_AN_ISSUE = 'needs an issue';
type Status = (typeof STATUSES)[number];

type Proof = { kind: 'test'; file: string; title: string } | { kind: 'bench'; file: string; figure: string };

interface Row {
  id: string;
  status: Status | undefined;
  proofs: Proof[];
  issues: string[];
  line: number;
}

// ---- The matrix: markdown table rows whose first cell is an id in a code span ------------------------------------
//
// | `T01.4` | criterion | `met` … | `test/x.test.ts::describe > it` `bench:test/bench/y.ts::0.19 s` | figure |

const ID = /^`([A-Z][A-Za-z0-9.-]*)`$/;

function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

const codeSpans = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

function proofOf(span: string): Proof | undefined {
  const at = span.indexOf('::');
  if (at < 0) return undefined;
  const target = span.slice(0, at).trim();
  const rest = span.slice(at + 2).trim();
  if (target.startsWith('bench:')) return { kind: 'bench', file: target.slice('bench:'.length), figure: rest };
  return { kind: 'test', file: target, title: rest };
}

export function parseMatrix(markdown: string): Row[] {
  const rows: Row[] = [];
  markdown.split('\n').forEach((line, index) => {
    if (!line.trimStart().startsWith('|')) return;
    const c = cells(line);
    const id = ID.exec(c[0] ?? '')?.[1];
    if (!id) return;
    const status = STATUSES.find((s) => codeSpans(c[2] ?? '')[0] === s);
    const proofs = codeSpans(c[3] ?? '').map(proofOf).filter((p): p is Proof => p !== undefined);
    // An unmet criterion names its issue (#15) or, where none is filed yet, says so in the same words in both languages.
    const issues = [...[...line.matchAll(/#(\d+)\b/g)].map((m) => `#${m[1]}`), ...(line.includes(`\`${NEEDS_AN_ISSUE}\``) ? [NEEDS_AN_ISSUE] : [])];
    rows.push({ id, status, proofs, issues, line: index + 1 });
  });
  return rows;
}

// ---- Test titles, from the file's syntax tree -------------------------------------------------------------------

const TEST_FUNCTIONS = new Set(['describe', 'it', 'test', 'suite']);

/** describe / it / test, also through .each(…)(…), .skipIf(…)(…), .skip, .only, .concurrent …: the function's name. */
function testFunctionOf(callee: ts.Expression): string | undefined {
  let e: ts.Expression = callee;
  for (;;) {
    if (ts.isIdentifier(e)) return TEST_FUNCTIONS.has(e.text) ? e.text : undefined;
    if (ts.isPropertyAccessExpression(e)) e = e.expression;
    else if (ts.isCallExpression(e)) e = e.expression;
    else if (ts.isTaggedTemplateExpression(e)) e = e.tag;
    else return undefined;
  }
}

/** A title as a pattern: literal text, with `${…}`, vitest's %s/%d/%j/%i/%f/%o/%# and $name standing for anything. */
function titlePattern(node: ts.Expression | undefined): RegExp {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const withFormats = (s: string) => escape(s).replace(/%[sdijfo#]|\\\$[A-Za-z_][\w.]*/g, '.*?');
  if (node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))) return new RegExp(`^${withFormats(node.text)}$`, 's');
  if (node && ts.isTemplateExpression(node)) {
    const parts = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].map(withFormats);
    return new RegExp(`^${parts.join('.*?')}$`, 's');
  }
  return /^.*$/s; // a title computed at run time: any
}

export interface Declaration {
  path: RegExp[];
  line: number;
}

export function testDeclarations(file: string, text: string): Declaration[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: Declaration[] = [];
  const visit = (node: ts.Node, enclosing: RegExp[]) => {
    if (ts.isCallExpression(node)) {
      const fn = testFunctionOf(node.expression);
      // The call that takes the title: describe('t', …), it.each(table)('t', …); not the inner it.each(table) call.
      const takesTitle = fn !== undefined && !(ts.isCallExpression(node.parent) && node.parent.expression === node);
      if (takesTitle) {
        const here = [...enclosing, titlePattern(node.arguments[0])];
        out.push({ path: here, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
        for (const arg of node.arguments.slice(1)) visit(arg, fn === 'describe' || fn === 'suite' ? here : enclosing);
        return;
      }
    }
    ts.forEachChild(node, (child) => visit(child, enclosing));
  };
  visit(source, []);
  return out;
}

/** Declarations whose title path ends with the proof's segments (`describe > it`, or the leaf title alone). */
export function matchingDeclarations(declarations: Declaration[], title: string): Declaration[] {
  const segments = title.split(' > ');
  return declarations.filter((d) => d.path.length >= segments.length && segments.every((s, i) => d.path[d.path.length - segments.length + i]!.test(s)));
}

// ---- The rules --------------------------------------------------------------------------------------------------

export interface Sources {
  read(file: string): string | undefined;
}

const repoSources: Sources = { read: (file) => (existsSync(path.join(REPO, file)) ? readFileSync(path.join(REPO, file), 'utf8') : undefined) };

const proofText = (p: Proof) => (p.kind === 'bench' ? `bench:${p.file}::${p.figure}` : `${p.file}::${p.title}`);
const squash = (s: string) => s.replace(/\s+/g, ' ');

/** What is wrong with one language's matrix on its own: statuses, proofs that do not exist, unmet rows without an issue. */
export function checkMatrix(name: string, rows: Row[], sources: Sources = repoSources): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const benchmarks = squash(sources.read(BENCHMARKS) ?? '');
  const declarations = new Map<string, Declaration[] | undefined>();
  for (const row of rows) {
    const at = `${name}:${row.line} ${row.id}`;
    if (seen.has(row.id)) problems.push(`${at}: the id appears twice`);
    seen.add(row.id);
    if (!row.status) problems.push(`${at}: no status (one of ${STATUSES.map((s) => `\`${s}\``).join(', ')}, first in its cell)`);
    if ((row.status === 'met' || row.status === 'met differently' || row.status === 'partly') && row.proofs.length === 0) problems.push(`${at}: \`${row.status}\` without a proof`);
    if ((row.status === 'not yet' || row.status === 'partly') && row.issues.length === 0) problems.push(`${at}: \`${row.status}\` without the issue that is missing (#N, or \`${NEEDS_AN_ISSUE}\`)`);
    for (const proof of row.proofs) {
      const text = sources.read(proof.file);
      if (text === undefined) {
        problems.push(`${at}: ${proof.file} does not exist`);
        continue;
      }
      if (proof.kind === 'bench') {
        if (!proof.file.startsWith('test/bench/')) problems.push(`${at}: a benchmark is a script under test/bench/, not ${proof.file}`);
        if (!benchmarks.includes(squash(proof.figure))) problems.push(`${at}: the figure "${proof.figure}" is not in ${BENCHMARKS}`);
        continue;
      }
      if (!declarations.has(proof.file)) declarations.set(proof.file, testDeclarations(proof.file, text));
      const found = matchingDeclarations(declarations.get(proof.file)!, proof.title);
      if (found.length === 0) problems.push(`${at}: no test "${proof.title}" in ${proof.file}`);
      if (found.length > 1) problems.push(`${at}: "${proof.title}" names ${found.length} tests in ${proof.file} (lines ${found.map((d) => d.line).join(', ')}); give its describe path`);
    }
  }
  return problems;
}

/** What differs between the languages: the rows, in order, with their statuses and proofs. */
export function compareMatrices(a: { name: string; rows: Row[] }, b: { name: string; rows: Row[] }): string[] {
  const problems: string[] = [];
  const byId = new Map(b.rows.map((r) => [r.id, r]));
  for (const row of a.rows) {
    const other = byId.get(row.id);
    if (!other) {
      problems.push(`${row.id}: in ${a.name}, not in ${b.name}`);
      continue;
    }
    if (row.status !== other.status) problems.push(`${row.id}: status \`${row.status}\` in ${a.name}, \`${other.status}\` in ${b.name}`);
    const [pa, pb] = [row.proofs.map(proofText), other.proofs.map(proofText)];
    if (pa.join('\n') !== pb.join('\n')) problems.push(`${row.id}: proofs differ: ${a.name} [${pa.join('; ')}], ${b.name} [${pb.join('; ')}]`);
  }
  for (const row of b.rows) if (!a.rows.some((r) => r.id === row.id)) problems.push(`${row.id}: in ${b.name}, not in ${a.name}`);
  if (problems.length === 0 && a.rows.map((r) => r.id).join() !== b.rows.map((r) => r.id).join()) problems.push(`the rows are in another order in ${a.name} and ${b.name}`);
  return problems;
}

// ---- The repository's matrices ----------------------------------------------------------------------------------

const en = { name: MATRICES.en, rows: parseMatrix(repoSources.read(MATRICES.en) ?? '') };
const zh = { name: MATRICES.zh, rows: parseMatrix(repoSources.read(MATRICES.zh) ?? '') };

/** Every acceptance criterion of the plan's tasks (5 each for -01 … -06, 4 each for -07 … -09), §5.1's nine endpoints, §6's items. */
const PLAN_IDS = [
  ...[1, 2, 3, 4, 5, 6].flatMap((t) => [1, 2, 3, 4, 5].map((c) => `T0${t}.${c}`)),
  ...[7, 8, 9].flatMap((t) => [1, 2, 3, 4].map((c) => `T0${t}.${c}`)),
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => `API.${n}`),
];

describe('the acceptance matrix', () => {
  it('covers every acceptance criterion of the plan\'s tasks and every endpoint of §5.1', () => {
    const ids = new Set(en.rows.map((r) => r.id));
    expect(PLAN_IDS.filter((id) => !ids.has(id))).toEqual([]);
    expect(en.rows.filter((r) => r.id.startsWith('TP.')).length).toBeGreaterThanOrEqual(6 + 6 + 5); // §6.1, §6.2, §6.3
  });

  it('has the same rows, statuses and proofs in English and Chinese', () => {
    expect(en.rows.length).toBeGreaterThan(0);
    expect(compareMatrices(en, zh)).toEqual([]);
  });

  it.each([en, zh])('$name: every proof exists, every unmet criterion names its issue', (matrix) => {
    expect(checkMatrix(matrix.name, matrix.rows)).toEqual([]);
  });

  it('every page of the documentation is in English and in Chinese (T09.4)', () => {
    const pages = (language: string) => readdirSync(path.join(REPO, 'docs', language)).filter((f) => f.endsWith('.md')).sort();
    expect(pages('en').length).toBeGreaterThan(5);
    expect(pages('zh')).toEqual(pages('en'));
  });
});

// ---- Broken matrices: each rule fails ---------------------------------------------------------------------------

const REAL_TEST = 'test/factories/factories.test.ts';
const REAL_TITLE = 'overrides > replace, add and (with undefined) remove keys, leaving the defaults untouched';
const row = (id: string, status: string, proof: string, rest = '') => `| \`${id}\` | criterion | \`${status}\` | ${proof} | ${rest} |`;

describe('checking a matrix', () => {
  it('accepts a good one: a describe path, a leaf title alone, a template title, a benchmark figure', () => {
    const good = [
      row('A.1', 'met', `\`${REAL_TEST}::${REAL_TITLE}\``),
      row('A.2', 'met', `\`${REAL_TEST}::Alertmanager webhook payloads (version 4, as Alertmanager 0.25 posts them) > pass the relay\'s parser unchanged\``),
      row('A.3', 'partly', `\`${REAL_TEST}::the default project > compiles with no error, checks included\``, '#15'),
      row('A.4', 'met', '`bench:test/bench/query-bench.ts::slowest query 0.19 s alone`'),
      row('A.5', 'not yet', '—', 'issue #14'),
      row('A.7', 'partly', `\`${REAL_TEST}::${REAL_TITLE}\``, '`needs an issue`'),
      row('A.6', 'met', '`test/acceptance-matrix.test.ts::$name: every proof exists, every unmet criterion names its issue`'),
    ];
    const rows = parseMatrix(good.join('\n'));
    expect(checkMatrix('good', rows)).toEqual([]);
    expect(rows.map((r) => r.status)).toEqual(['met', 'met', 'partly', 'met', 'not yet', 'partly', 'met']);
  });

  it.each([
    ['a renamed test', row('B.1', 'met', `\`${REAL_TEST}::overrides > replace, add and remove keys\``), 'no test "overrides > replace, add and remove keys"'],
    ['a test moved to another describe', row('B.1', 'met', `\`${REAL_TEST}::relay events > ${REAL_TITLE.split(' > ')[1]}\``), 'no test'],
    ['a file that does not exist', row('B.1', 'met', '`test/nowhere.test.ts::x`'), 'test/nowhere.test.ts does not exist'],
    ['an ambiguous leaf title', row('B.1', 'met', `\`${REAL_TEST}::%s\``), 'names'],
    ['a benchmark figure not recorded', row('B.1', 'met', '`bench:test/bench/query-bench.ts::slowest query 0.01 s`'), 'is not in docs/benchmarks.md'],
    ['a benchmark that is not a script', row('B.1', 'met', '`bench:docs/benchmarks.md::0.19 s`'), 'not docs/benchmarks.md'],
    ['a met row without a proof', row('B.1', 'met', '—'), 'without a proof'],
    ['a not-yet row without its issue', row('B.1', 'not yet', '—'), 'without the issue'],
    ['an unknown status', row('B.1', 'done', `\`${REAL_TEST}::${REAL_TITLE}\``), 'no status'],
    ['a duplicated id', [row('B.1', 'met', `\`${REAL_TEST}::${REAL_TITLE}\``), row('B.1', 'met', `\`${REAL_TEST}::${REAL_TITLE}\``)].join('\n'), 'twice'],
  ])('refuses %s', (_name, markdown, problem) => {
    const problems = checkMatrix('broken', parseMatrix(markdown));
    expect(problems.join('\n')).toContain(problem);
  });

  it.each([
    ['a row missing in one language', [row('C.1', 'met', '`a::b`'), row('C.2', 'met', '`a::b`')], [row('C.1', 'met', '`a::b`')], 'C.2: in en, not in zh'],
    ['another status', [row('C.1', 'met', '`a::b`')], [row('C.1', 'partly', '`a::b`')], 'status `met` in en, `partly` in zh'],
    ['another proof', [row('C.1', 'met', '`a::b`')], [row('C.1', 'met', '`a::c`')], 'proofs differ'],
    ['another order', [row('C.1', 'met', '`a::b`'), row('C.2', 'met', '`a::b`')], [row('C.2', 'met', '`a::b`'), row('C.1', 'met', '`a::b`')], 'another order'],
  ])('refuses languages that differ: %s', (_name, a, b, problem) => {
    const problems = compareMatrices({ name: 'en', rows: parseMatrix(a.join('\n')) }, { name: 'zh', rows: parseMatrix(b.join('\n')) });
    expect(problems.join('\n')).toContain(problem);
  });
});

describe('reading test titles', () => {
  const source = [
    "describe('outer', () => {",
    "  describe.each([1, 2])('inner %s', (n) => {",
    "    it('leaf', () => {});",
    '    it.each([[1]])(`case ${"x"} of %s`, () => {});',
    '  });',
    "  it.skipIf(true)('skipped but declared', () => {});",
    "  test(\"double quoted\", () => {});",
    '});',
    "it('top', () => { const s = ')'; /* describe('not a test') */ });",
  ].join('\n');
  const declarations = testDeclarations('x.test.ts', source);

  it.each([
    ['outer > inner 7 > leaf', 1],
    ['inner 7 > leaf', 1],
    ['leaf', 1],
    ['outer > inner 1 > case anything of 3', 1],
    ['outer > skipped but declared', 1],
    ['double quoted', 1],
    ['top', 1],
    ['not a test', 0],
    ['outer > leaf', 0],
    ['inner > leaf', 0],
  ])('"%s" matches %i declaration(s)', (title, count) => {
    expect(matchingDeclarations(declarations, title)).toHaveLength(count);
  });
});
