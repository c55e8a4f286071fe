// The coverage gate of `npm test`, after scripts/test-suite.mjs ran the unit and the integration tests:
//   1. merges vitest's in-process coverage of both parts (coverage/unit, coverage/integration);
//   2. adds the coverage of the `vigil` subprocesses the tests started (raw V8 coverage in coverage/*-subprocess,
//      written by the bundle scripts/coverage-bundle.mjs builds), mapped back to src/*.ts through its source map;
//   3. prints statements, branches, functions and lines per folder of src/, writes coverage/coverage-final.json, and
//      exits non-zero below the thresholds.
// Subprocess coverage is converted by the same library vitest uses (ast-v8-to-istanbul, same parser), then added to
// vitest's statements, branches and functions found at the same source position: the totals stay vitest's, so code
// run both in-process and in a subprocess is counted once.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mergeProcessCovs } from '@bcoe/v8-coverage';
import astV8ToIstanbul from 'ast-v8-to-istanbul';
import libCoverage from 'istanbul-lib-coverage';
import { CHILD_SOURCE, isBundleModule, isTypeScriptChild, ROOT } from './coverage-bundle.mjs';

export const THRESHOLDS = { lines: 85, statements: 80, folderLines: 70 };
const PARTS = ['unit', 'integration'];
const METRICS = ['statements', 'branches', 'functions', 'lines'];

export function readInProcessCoverage() {
  const map = libCoverage.createCoverageMap({});
  for (const part of PARTS) {
    const file = path.join(ROOT, 'coverage', part, 'coverage-final.json');
    if (!existsSync(file)) throw new Error(`no ${path.relative(ROOT, file)}: run \`npm run test:${part}\` first (or \`npm test\`)`);
    map.merge(JSON.parse(readFileSync(file, 'utf8')));
  }
  return map;
}

/**
 * The scripts whose subprocess coverage counts: the modules of the CLI bundle and the TypeScript definitions' child
 * process (a copy of src/load/typescript-child.mjs beside the bundle, or the source itself).
 */
function isMeasured(url) {
  if (!url.startsWith('file:')) return false;
  const file = fileURLToPath(url);
  return isBundleModule(file) || isTypeScriptChild(file);
}

/** The raw V8 coverage of every subprocess, reduced to the measured scripts and merged per script. */
export function readSubprocessCoverage() {
  let merged = { result: [] };
  let processes = 0;
  for (const part of PARTS) {
    const dir = path.join(ROOT, 'coverage', `${part}-subprocess`);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.json')) continue;
      let raw;
      try {
        raw = JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
      } catch {
        continue; // a process killed while writing its file
      }
      const result = raw.result.filter((script) => isMeasured(script.url));
      if (result.length === 0) continue;
      processes++;
      merged = mergeProcessCovs([merged, { result }]);
    }
  }
  return { scripts: merged.result, processes };
}

/** A bundle module's source map (<file>.map), its sources as file URLs, as ast-v8-to-istanbul resolves them. */
function sourceMapOf(file) {
  const map = JSON.parse(readFileSync(`${file}.map`, 'utf8'));
  map.sources = map.sources.map((source) => pathToFileURL(path.resolve(path.dirname(file), source)).href);
  return map;
}

export async function convertScript(script) {
  const file = fileURLToPath(script.url);
  const code = readFileSync(file, 'utf8');
  const bundled = isBundleModule(file);
  return astV8ToIstanbul({
    code,
    ast: await (await import('vitest/node')).parseAstAsync(code),
    // The child beside the bundle is a copy of src/load/typescript-child.mjs: its coverage is the source's.
    coverage: { url: bundled ? script.url : pathToFileURL(CHILD_SOURCE).href, functions: script.functions },
    ...(bundled ? { sourceMap: sourceMapOf(file) } : {}),
    wrapperLength: 0,
  });
}

/** A column past the end of its line is Infinity when converted and null once written as JSON. */
const column = (position) => (Number.isFinite(position.column) ? position.column : Number.MAX_SAFE_INTEGER);
const at = (position) => `${position.line}:${column(position)}`;
const notAfter = (a, b) => a.line < b.line || (a.line === b.line && column(a) <= column(b));

/**
 * Finds, among `own` items (id → source location), the one at the place of `loc`: the same start, else the same end
 * with a start not after `loc`'s, else the same first and last lines with the nearest start. The bundle's source map
 * places some nodes a token away from where vitest's does (`const NAME = {…}` at the `{`, an end at the end of the
 * line instead of at the `;`).
 */
function placeIndex(own) {
  const byStart = new Map();
  const byEnd = new Map();
  const byLines = new Map();
  const push = (index, key, entry) => index.set(key, [...(index.get(key) ?? []), entry]);
  for (const [id, loc] of own) {
    if (!byStart.has(at(loc.start))) byStart.set(at(loc.start), id);
    push(byEnd, at(loc.end), [id, loc]);
    push(byLines, `${loc.start.line}-${loc.end.line}`, [id, loc]);
  }
  const nearest = (entries, loc) =>
    entries?.reduce((best, entry) => (best === undefined || Math.abs(column(entry[1].start) - column(loc.start)) < Math.abs(column(best[1].start) - column(loc.start)) ? entry : best), undefined);
  return (loc) =>
    byStart.get(at(loc.start)) ??
    byEnd.get(at(loc.end))?.find(([, o]) => notAfter(o.start, loc.start))?.[0] ??
    nearest(byLines.get(`${loc.start.line}-${loc.end.line}`), loc)?.[0];
}

/**
 * Adds the hits of `extra` to the statements, functions and branches of `target` at the same place in the source
 * (both converted from the same source by the same library). Returns how many items with hits found no counterpart
 * (imports, which vitest leaves out, and nodes the source map does not place).
 */
export function addHits(target, extra) {
  const data = target.data;
  let unmatched = 0;
  const add = (ownMap, extraMap, extraHits, locOf, addTo, alike = () => true) => {
    const find = placeIndex(Object.entries(ownMap).map(([id, item]) => [id, locOf(item)]));
    for (const [id, item] of Object.entries(extraMap)) {
      if (![extraHits[id]].flat().some(Boolean)) continue;
      const own = find(locOf(item));
      if (own === undefined || !alike(ownMap[own], item)) unmatched++;
      else addTo(own, extraHits[id]);
    }
  };
  add(data.statementMap, extra.statementMap, extra.s, (loc) => loc, (own, hits) => (data.s[own] += hits));
  add(data.fnMap, extra.fnMap, extra.f, (fn) => fn.loc, (own, hits) => (data.f[own] += hits));
  add(
    data.branchMap,
    extra.branchMap,
    extra.b,
    (b) => b.loc,
    (own, hits) => hits.forEach((h, i) => (data.b[own][i] += h)),
    (a, b) => a.type === b.type && a.locations.length === b.locations.length,
  );
  return unmatched;
}

/** src/<folder>/… → "<folder>/"; files directly in src/ → "(src/)". */
function folderOf(file) {
  const [first, ...rest] = path.relative(path.join(ROOT, 'src'), file).split(path.sep);
  return rest.length === 0 ? '(src/)' : `${first}/`;
}

function summarise(map) {
  const folders = new Map();
  const total = libCoverage.createCoverageSummary();
  for (const file of map.files()) {
    const summary = map.fileCoverageFor(file).toSummary();
    const folder = folderOf(file);
    if (!folders.has(folder)) folders.set(folder, libCoverage.createCoverageSummary());
    folders.get(folder).merge(summary);
    total.merge(summary);
  }
  return { folders: [...folders].sort(([a], [b]) => a.localeCompare(b)), total };
}

function formatTable(folders, total) {
  const cell = (m) => `${m.pct.toFixed(1).padStart(6)}% ${`${m.covered}/${m.total}`.padStart(13)}`;
  const header = `${'folder'.padEnd(14)}${METRICS.map((m) => m.padStart(22)).join('')}`;
  const row = (name, s) => `${name.padEnd(14)}${METRICS.map((m) => cell(s[m]).padStart(22)).join('')}`;
  return [header, ...folders.map(([name, s]) => row(name, s)), row('all files', total)].join('\n');
}

/** The threshold failures of a summary, as sentences; empty when every threshold is met. */
export function thresholdFailures(folders, total, thresholds = THRESHOLDS) {
  const failures = [];
  if (total.lines.pct < thresholds.lines) failures.push(`lines ${total.lines.pct.toFixed(1)}% < ${thresholds.lines}% overall`);
  if (total.statements.pct < thresholds.statements) failures.push(`statements ${total.statements.pct.toFixed(1)}% < ${thresholds.statements}% overall`);
  for (const [name, s] of folders) {
    if (s.lines.total > 0 && s.lines.pct < thresholds.folderLines) failures.push(`src/${name} lines ${s.lines.pct.toFixed(1)}% < ${thresholds.folderLines}%`);
  }
  return failures;
}

async function main() {
  const map = readInProcessCoverage();
  const before = summarise(map).total;
  const { scripts, processes } = readSubprocessCoverage();
  let unmatched = 0;
  for (const script of scripts) {
    const converted = libCoverage.createCoverageMap(await convertScript(script));
    for (const file of converted.files()) {
      if (map.files().includes(file)) unmatched += addHits(map.fileCoverageFor(file), converted.fileCoverageFor(file).data);
    }
  }
  writeFileSync(path.join(ROOT, 'coverage', 'coverage-final.json'), JSON.stringify(map.toJSON()));
  const { folders, total } = summarise(map);
  process.stdout.write(`\ncoverage of src/ (unit + integration tests, in-process and ${processes} measured subprocesses; generated code excluded)\n`);
  process.stdout.write(`${formatTable(folders, total)}\n`);
  process.stdout.write(`in-process only: statements ${before.statements.pct.toFixed(1)}%, lines ${before.lines.pct.toFixed(1)}%`);
  process.stdout.write(`; subprocess items without an in-process counterpart (not counted): ${unmatched}\n`);
  const failures = thresholdFailures(folders, total);
  if (failures.length > 0) {
    process.stdout.write(`coverage below the thresholds (lines ≥ ${THRESHOLDS.lines}%, statements ≥ ${THRESHOLDS.statements}% overall, every folder's lines ≥ ${THRESHOLDS.folderLines}%):\n${failures.map((f) => `  ${f}\n`).join('')}`);
    process.exit(1);
  }
  process.stdout.write(`coverage thresholds met (lines ≥ ${THRESHOLDS.lines}%, statements ≥ ${THRESHOLDS.statements}% overall, every folder's lines ≥ ${THRESHOLDS.folderLines}%)\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main().catch((error) => {
    process.stderr.write(`coverage: ${error.message}\n`);
    process.exit(2);
  });
}
