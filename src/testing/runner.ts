import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ownValue } from '../util/own.ts';
import type { CheckContext } from '../checks/check.ts';
import type { Diagnostic, Span } from '../diagnostics.ts';
import { createCheckContext } from '../compile.ts';
import type { Artifact } from '../emit/artifact.ts';
import { alertExpressions, alertsByName, keySpanOf, spanOf, type AlertModel, type Model, type Origin } from '../model/types.ts';
import { analyzePromql, type MatcherFact } from '../promql/index.ts';
import { parseDuration } from '../util/duration.ts';
import { formatTestFile } from '../synth/promtool-format.ts';
import { parsePromtoolOutput, type FiredAlert, type PromtoolError, type PromtoolFileResult } from './promtool-output.ts';
import type { AlertCheck, ExpectedFiring, ExprCheck, LevelSynthesis, TestCase } from '../synth/types.ts';
import { userTestCases, type UserCase } from '../synth/user-tests.ts';

/** The synthesizer's entry point (src/synth/synthesize.ts): generated boundary cases for every level of an alert. */
export type Synthesizer = (model: Model, alert: AlertModel, ctx: CheckContext) => LevelSynthesis[];

/** Where the test files live under the output directory; their rule_files are `../prometheus/rules/<group>.yml`. */
export const TESTS_DIR = 'tests';
const RULES_DIR = 'prometheus/rules';

export class PromtoolMissingError extends Error {
  constructor(binary: string) {
    super(
      `promtool is not installed (no "${binary}" on PATH). vigil test runs the real promtool.\n` +
        `  Debian/Ubuntu: sudo apt-get install prometheus   (provides /usr/bin/promtool)\n` +
        `  elsewhere: download Prometheus from https://prometheus.io/download/ and put promtool on PATH,\n` +
        `  or point VIGIL_PROMTOOL at the binary.`,
    );
  }
}

/** promtool printed something this parser does not understand, or failed in a way no test explains. */
export class PromtoolRunError extends Error {}

// ---------------------------------------------------------------------------------------------------------------------
// Planning: which cases, in which output file.

export interface PlannedCase {
  /** Unique, stable within one run: names the probe file. */
  id: number;
  testCase: TestCase;
  /** The test file under generated/tests/ it is written to, e.g. `training.test.yml`. */
  output: string;
  /** For user tests: where every expectation was written. */
  user?: UserCase;
  /** For generated cases: the alert it was synthesized for. */
  alert?: AlertModel;
}

export interface Plan {
  cases: PlannedCase[];
  syntheses: LevelSynthesis[];
  /** Conversion problems (unknown alerts, missing levels) and synthesizer crashes. */
  problems: Diagnostic[];
}

/**
 * User tests first (in file order), then the generated cases of every enabled alert (by group, then alert order).
 * Output files: one per RuleTests source file (`<path under dir, '/' → '.'>.user.test.yml`) and one per rule group for
 * generated cases (`<group>.test.yml`). promtool's rule_files and evaluation_interval are per FILE, so cases that load
 * different groups or evaluate at different steps cannot share one: such a file is split (`<name>.test.yml`,
 * `<name>.2.test.yml`, … in order of the group sets and steps).
 */
export function planCases(model: Model, dir: string, synthesize?: Synthesizer, ctx: CheckContext = checkContext(model)): Plan {
  const problems: Diagnostic[] = [];
  const user = userTestCases(model);
  problems.push(...user.problems);
  const raw: Omit<PlannedCase, 'id'>[] = [];
  for (const u of user.cases) raw.push({ testCase: u.testCase, output: userFileStem(dir, u.test.origin.def.file), user: u });
  const syntheses: LevelSynthesis[] = [];
  if (synthesize) {
    const groupOrder = [...model.groups].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const group of groupOrder) {
      for (const alert of group.alerts) {
        if (!alert.enabled) continue;
        let result: LevelSynthesis[];
        try {
          result = synthesize(model, alert, ctx);
        } catch (e) {
          problems.push({
            code: 'test/synthesize',
            severity: 'warning',
            message: `no generated tests for alert ${alert.name}: the synthesizer failed: ${(e as Error).message}`,
            span: spanOf(alert.origin, 'name'),
            hint: 'this is a bug in Vigil; please report it with the alert definition',
          });
          result = alert.levels.map((l) => ({ alert: alert.name, level: l.severity, unsupported: `the synthesizer failed: ${(e as Error).message}` }));
        }
        for (const s of result) {
          syntheses.push(s);
          if ('cases' in s) for (const c of s.cases) raw.push({ testCase: c, output: alert.group, alert });
        }
      }
    }
  }
  // Split stems by group set, then name the files.
  const byStem = new Map<string, Map<string, Omit<PlannedCase, 'id'>[]>>();
  for (const c of raw) {
    const stem = c.user ? `${c.output}\u0000user` : c.output;
    const sets = byStem.get(stem) ?? new Map<string, Omit<PlannedCase, 'id'>[]>();
    byStem.set(stem, sets);
    // …and by evaluation step, finest first: a file has one evaluation_interval (an SLO's burn cases have their own).
    const step = c.testCase.evaluationInterval === undefined ? '' : String(parseDuration(c.testCase.evaluationInterval)).padStart(15, '0');
    const key = [...[...new Set(c.testCase.groups)].sort(), step].join('\u0000');
    sets.set(key, [...(sets.get(key) ?? []), c]);
  }
  const taken = new Set<string>();
  const cases: PlannedCase[] = [];
  const claim = (wanted: string) => {
    let name = wanted;
    for (let n = 2; taken.has(name); n++) name = wanted.replace(/\.test\.yml$/, `.${n}.test.yml`);
    taken.add(name);
    return name;
  };
  // Generated files claim their names first: `<group>.test.yml` is predictable.
  const stems = [...byStem.keys()].sort((a, b) => Number(a.endsWith('\u0000user')) - Number(b.endsWith('\u0000user')) || (a < b ? -1 : a > b ? 1 : 0));
  const named = new Map<Omit<PlannedCase, 'id'>, string>();
  for (const stem of stems) {
    const sets = byStem.get(stem)!;
    const isUser = stem.endsWith('\u0000user');
    const base = isUser ? `${stem.slice(0, -'\u0000user'.length)}.user.test.yml` : `${stem}.test.yml`;
    for (const key of [...sets.keys()].sort()) {
      const name = claim(base);
      for (const c of sets.get(key)!) named.set(c, name);
    }
  }
  raw.forEach((c, id) => cases.push({ ...c, id, output: named.get(c)! }));
  return { cases, syntheses, problems };
}

/**
 * `monitoring/tests/training.yaml` → `tests.training`: the path inside the definitions directory (files are named
 * `<dir name>/<path inside it>`, see LoadResult), without extension, `/` → `.`.
 */
export function userFileStem(dir: string, file: string): string {
  const root = path.basename(path.resolve(dir));
  const inside = file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file.replace(/^(\.\.\/|\/)+/, '');
  return inside.replace(/\.(ya?ml|ts|mts|js|mjs)$/i, '').replace(/\//g, '.');
}

/** A CheckContext like compile's, for the synthesizer (its reports go nowhere: compile has already reported). */
export function checkContext(model: Model): CheckContext {
  return createCheckContext(model, []).ctx;
}

// ---------------------------------------------------------------------------------------------------------------------
// Running promtool.

export interface PromtoolResult {
  /** Parsed sections by file path as passed to promtool. */
  files: Map<string, PromtoolFileResult>;
  output: string;
}

/** `promtool --version` → `2.42.0`; throws PromtoolMissingError when it cannot be started. */
export async function promtoolVersion(binary: string): Promise<string> {
  const { output, code } = await spawnMerged(binary, ['--version'], process.cwd());
  const m = /version (\S+)/.exec(output);
  if (code !== 0 || !m) throw new PromtoolRunError(`"${binary} --version" failed (exit ${code}): ${output.trim()}`);
  return m[1]!;
}

/**
 * `promtool test rules` over `files` (paths relative to `cwd`), in batches run side by side. stdout and stderr go to ONE
 * file, so the order of `Unit Testing:` headers and errors survives (see promtool-output.ts).
 */
export async function runPromtool(binary: string, cwd: string, files: readonly string[], maxBatch = 100): Promise<PromtoolResult> {
  // promtool runs the files it is given one after the other: small batches taken from a queue by one worker per core,
  // so a slow test (a day of input) does not hold up the rest, and few enough processes that start-up stays cheap.
  const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const batchSize = Math.max(1, Math.min(maxBatch, Math.ceil(files.length / (cores * 4))));
  const batches: string[][] = [];
  for (let i = 0; i < files.length; i += batchSize) batches.push(files.slice(i, i + batchSize));
  const outputs: string[] = new Array(batches.length);
  const parallel = Math.min(batches.length, cores);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < batches.length) {
        const index = next++;
        const { output, code } = await spawnMerged(binary, ['test', 'rules', ...batches[index]!], cwd);
        if (code !== 0 && code !== 1) throw new PromtoolRunError(`promtool test rules exited with ${code}:\n${output.trim()}`);
        outputs[index] = output;
      }
    }),
  );
  const output = outputs.join('');
  const parsed = parsePromtoolOutput(output);
  if (parsed.preamble.length) throw new PromtoolRunError(`promtool test rules: ${parsed.preamble.join('\n')}`);
  const byFile = new Map(parsed.files.map((f) => [f.file, f]));
  const missing = files.filter((f) => !byFile.has(f));
  if (missing.length) throw new PromtoolRunError(`promtool printed no result for ${missing.join(', ')}:\n${output.trim()}`);
  return { files: byFile, output };
}

let tempCounter = 0;

async function spawnMerged(binary: string, args: string[], cwd: string): Promise<{ output: string; code: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-promtool-'));
  const file = path.join(dir, `out-${tempCounter++}.txt`);
  // Closed exactly once: a second close could hit a descriptor number the next open already reuses.
  let fd: number | undefined = openSync(file, 'w');
  const close = () => {
    if (fd === undefined) return;
    const open = fd;
    fd = undefined;
    closeSync(open);
  };
  try {
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(binary, args, { cwd, stdio: ['ignore', fd!, fd!] });
      child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? new PromtoolMissingError(binary) : e));
      child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : -1)));
    });
    close();
    return { output: await readFile(file, 'utf8'), code };
  } finally {
    close();
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Matching what fired against partial expectations.

/** Whether a firing satisfies a partial expectation: same severity, expected labels ⊆ its labels, listed annotations equal. */
export function satisfies(expected: ExpectedFiring, fired: FiredAlert): boolean {
  if (severityOf(fired) !== expected.severity) return false;
  for (const [k, v] of Object.entries(expected.labels)) if (ownValue(fired.labels, k) !== v) return false;
  for (const [k, v] of Object.entries(expected.annotations ?? {})) if (fired.annotations[k] !== v) return false;
  return true;
}

export interface Matching {
  ok: boolean;
  /** expected index → fired index. */
  pairs: Map<number, number>;
  unmatchedExpected: number[];
  unexpected: number[];
}

/**
 * A one-to-one matching of expectations to firings (augmenting paths, so an early greedy choice can never hide a perfect
 * matching). The check passes when every expectation and every firing is matched: exactly these firings.
 */
export function matchFirings(expected: readonly ExpectedFiring[], fired: readonly FiredAlert[]): Matching {
  const ownerOf = new Array<number>(fired.length).fill(-1);
  const edges = expected.map((e) => fired.map((f, j) => (satisfies(e, f) ? j : -1)).filter((j) => j >= 0));
  const tryAssign = (i: number, seen: boolean[]): boolean => {
    for (const j of edges[i]!) {
      if (seen[j]) continue;
      seen[j] = true;
      if (ownerOf[j] === -1 || tryAssign(ownerOf[j]!, seen)) {
        ownerOf[j] = i;
        return true;
      }
    }
    return false;
  };
  for (let i = 0; i < expected.length; i++) tryAssign(i, new Array<boolean>(fired.length).fill(false));
  const pairs = new Map<number, number>();
  ownerOf.forEach((i, j) => {
    if (i >= 0) pairs.set(i, j);
  });
  const unmatchedExpected = expected.map((_, i) => i).filter((i) => !pairs.has(i));
  const unexpected = fired.map((_, j) => j).filter((j) => ownerOf[j] === -1);
  return { ok: unmatchedExpected.length === 0 && unexpected.length === 0, pairs, unmatchedExpected, unexpected };
}

/** A fired alert as a complete expectation: every label (but alertname, which promtool adds) and every annotation. */
/** A firing's severity label; '' when it carries none (a level whose severity says `label: false`), as ExpectedFiring writes it. */
function severityOf(fired: FiredAlert): string {
  return fired.labels.severity ?? '';
}

/** A severity as the messages show it. */
function shown(severity: string): string {
  return severity === '' ? '(no severity)' : severity;
}

export function completeFiring(fired: FiredAlert): ExpectedFiring {
  const { alertname: _alertname, severity, ...labels } = fired.labels;
  return { severity: severity ?? '', labels, annotations: { ...fired.annotations } };
}

export function formatLabels(labels: Record<string, string>): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ')}}`;
}

export interface CheckFailure {
  /** One line that names the alert and the level(s): every unmatched expectation and every unexpected firing. */
  message: string;
  /** Expected and got, several lines. */
  diff: string;
  /** Index in `expected` of the first expectation that failed, if one did (else only unexpected alerts fired). */
  expectedIndex?: number;
}

/** Explains a failed matching: each unmatched expectation against its nearest firing, and each unexpected firing. */
export function explainMismatch(check: AlertCheck, fired: readonly FiredAlert[], matching: Matching): CheckFailure {
  const at = check.evalTime;
  const name = check.alertname;
  const diff = [
    `expected at ${at}:`,
    ...(check.expected.length
      ? check.expected.map((e) => `  ${name} ${shown(e.severity)} ${formatLabels(e.labels)}${e.annotations && Object.keys(e.annotations).length ? ` ${formatAnnotations(e.annotations)}` : ''}`)
      : [`  no ${name}`]),
    `got:`,
    ...(fired.length ? fired.map((f) => `  ${name} ${shown(severityOf(f))} ${formatLabels(withoutName(f.labels))} ${formatAnnotations(f.annotations)}`.trimEnd()) : [`  no ${name}`]),
  ].join('\n');
  const reasons: string[] = [];
  const free = matching.unexpected.map((j) => fired[j]!);
  for (const i of matching.unmatchedExpected) {
    const e = check.expected[i]!;
    const sameLevel = fired.filter((f) => severityOf(f) === e.severity);
    if (sameLevel.length === 0) {
      const others = [...new Set(fired.map((f) => shown(severityOf(f))))];
      reasons.push(`${name} level ${shown(e.severity)} did not fire at ${at}${others.length ? ` (firing: ${others.join(', ')})` : ' (nothing fired)'}`);
      continue;
    }
    const candidates = free.filter((f) => severityOf(f) === e.severity);
    const pool = candidates.length ? candidates : sameLevel;
    const nearest = pool.map((f) => ({ f, d: differences(e, f) })).sort((a, b) => a.d.length - b.d.length)[0]!;
    reasons.push(nearest.d.length ? `${name} level ${shown(e.severity)} fired at ${at}, but ${nearest.d.join('; ')}` : `${name} level ${shown(e.severity)} fired at ${at}, but fewer times than expected`);
  }
  // Firings already explained as "fired, but label x differs" are not repeated as unexpected.
  const explained = new Set(matching.unmatchedExpected.map((i) => check.expected[i]!.severity));
  for (const j of matching.unexpected) {
    const f = fired[j]!;
    if (explained.has(severityOf(f))) continue;
    const level = shown(severityOf(f));
    const expectedLevels = check.expected.filter((e) => e.severity === severityOf(f)).length;
    reasons.push(
      check.expected.length === 0
        ? `${name} level ${level} fired at ${at} ${formatLabels(withoutName(f.labels))}; the test expects no ${name} then`
        : `${name} level ${level} also fired at ${at} ${formatLabels(withoutName(f.labels))}, ${expectedLevels ? 'one firing more than expected' : 'which is not expected'}`,
    );
  }
  return { message: reasons.join('; '), diff, ...(matching.unmatchedExpected.length ? { expectedIndex: matching.unmatchedExpected[0]! } : {}) };
}

function withoutName(labels: Record<string, string>): Record<string, string> {
  const { alertname: _a, severity: _s, ...rest } = labels;
  return rest;
}

function formatAnnotations(annotations: Record<string, string>): string {
  const keys = Object.keys(annotations).sort();
  return keys.length ? `annotations ${formatLabels(annotations)}` : '';
}

function differences(e: ExpectedFiring, f: FiredAlert): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(e.labels)) {
    const value = ownValue(f.labels, k);
    if (value === undefined) out.push(`it has no label ${k} (expected ${k}=${JSON.stringify(v)})`);
    else if (value !== v) out.push(`label ${k} is ${JSON.stringify(value)}, expected ${JSON.stringify(v)}`);
  }
  for (const [k, v] of Object.entries(e.annotations ?? {})) {
    if (f.annotations[k] === undefined) out.push(`it has no annotation ${k}`);
    else if (f.annotations[k] !== v) out.push(`annotation ${k} is ${JSON.stringify(f.annotations[k])}, expected ${JSON.stringify(v)}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// Probing and evaluating.

export interface CaseFailure {
  /** test/failed (an expectation), test/series (input does not parse), test/eval (a rule fails to evaluate),
   *  test/rules (promtool rejects a rule file), test/promtool (anything else promtool reports). */
  code: string;
  message: string;
  diff?: string;
  span?: Span;
}

export interface CaseResult {
  planned: PlannedCase;
  passed: boolean;
  failures: CaseFailure[];
  /** The case with every expectation completed from what fired; present when it passed. */
  completed?: TestCase;
}

export interface ProjectSettings {
  evaluationInterval: string;
  externalLabels: Record<string, string>;
}

export function projectSettings(model: Model): ProjectSettings {
  return { evaluationInterval: model.project?.evaluationInterval ?? '1m', externalLabels: { ...(model.project?.externalLabels ?? {}) } };
}

/** The temporary tree a probe or verdict runs in: `prometheus/rules/*.yml` from compile, test files under `tests/`. */
export async function stageRules(artifacts: readonly Artifact[]): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'vigil-test-'));
  await mkdir(path.join(root, RULES_DIR), { recursive: true });
  await mkdir(path.join(root, TESTS_DIR), { recursive: true });
  await Promise.all(artifacts.filter((a) => a.path.startsWith(`${RULES_DIR}/`)).map((a) => writeFile(path.join(root, a.path), a.content)));
  return root;
}

/**
 * The order promtool evaluates the loaded groups in, each step: a group that records a series before every group that
 * reads it, recording groups before alerting ones, then by name (a dependency cycle falls back to that order). So an
 * alert sees the value its recording rules computed at the same step, deterministically. A selector reads a group's
 * recording only when its `=`/`!=` matchers accept the labels the rule sets: every SLO records the same slo:* names,
 * and an SLO's groups read only their own (slo="…").
 */
export function groupEvalOrder(model: Model, groupNames: readonly string[]): string[] {
  const names = [...new Set(groupNames)].sort();
  const groups = new Map(model.groups.filter((g) => names.includes(g.name)).map((g) => [g.name, g]));
  const recorders = new Map<string, { group: string; labels: Record<string, string> }[]>();
  for (const g of groups.values()) {
    for (const r of g.rules) if (r.enabled) recorders.set(r.record, [...(recorders.get(r.record) ?? []), { group: g.name, labels: r.labels }]);
  }
  const needs = new Map<string, Set<string>>(names.map((n) => [n, new Set<string>()]));
  for (const g of groups.values()) {
    const exprs = [...g.rules.filter((r) => r.enabled).map((r) => r.expr), ...g.alerts.filter((a) => a.enabled).flatMap((a) => alertExpressions(a).map((e) => e.text))];
    for (const expr of exprs) {
      for (const use of seriesReadBy(expr)) {
        for (const from of recorders.get(use.metric) ?? []) if (from.group !== g.name && acceptsLabels(use.matchers, from.labels)) needs.get(g.name)!.add(from.group);
      }
    }
  }
  const rank = (n: string) => (groups.get(n)?.type === 'alerting' ? 1 : 0);
  const byPriority = (a: string, b: string) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
  const order: string[] = [];
  const left = new Set(names);
  while (left.size) {
    const ready = [...left].filter((n) => [...needs.get(n)!].every((d) => !left.has(d))).sort(byPriority);
    const next = ready[0] ?? [...left].sort(byPriority)[0]!;
    order.push(next);
    left.delete(next);
  }
  return order;
}

/** The named selectors of an expression with their matchers (every metric it names, unmatched, when it does not parse). */
function seriesReadBy(expr: string): { metric: string; matchers: readonly MatcherFact[] }[] {
  const analysis = analyzePromql(expr);
  if (!analysis.facts) return analysis.metrics.map((m) => ({ metric: m.name, matchers: [] }));
  return analysis.facts.selectors.flatMap((s) => (s.metric ? [{ metric: s.metric, matchers: s.matchers }] : []));
}

/** Whether a series with these static labels can pass the matchers: regex matchers are taken to pass (a guess on the safe side). */
function acceptsLabels(matchers: readonly MatcherFact[], labels: Readonly<Record<string, string>>): boolean {
  return matchers.every((m) => {
    const value = ownValue(labels, m.label);
    return value === undefined || (m.op === '=' ? value === m.value : m.op === '!=' ? value !== m.value : true);
  });
}

export function ruleFilesOf(testCase: TestCase, artifacts: readonly Artifact[]): string[] {
  const present = new Set(artifacts.map((a) => a.path));
  return [...new Set(testCase.groups)].sort().map((g) => {
    const file = `${RULES_DIR}/${g}.yml`;
    if (!present.has(file)) throw new PromtoolRunError(`test "${testCase.name}" loads rule group "${g}", which has no rule file`);
    return `../${file}`;
  });
}

/**
 * Asks promtool what each case's alerts really do: one probe file per case (so every error is attributable), every
 * alert check expecting nothing, expression checks as written. Then matches the partial expectations and completes
 * the passing ones.
 */
export async function probeAndEvaluate(model: Model, plan: readonly PlannedCase[], artifacts: readonly Artifact[], promtool: string): Promise<CaseResult[]> {
  if (plan.length === 0) return [];
  const settings = projectSettings(model);
  const root = await stageRules(artifacts);
  try {
    const files = new Map<string, PlannedCase>();
    await Promise.all(
      plan.map(async (c) => {
        const file = `${TESTS_DIR}/probe-${c.id}.yml`;
        files.set(file, c);
        const content = formatTestFile(
          [c.testCase],
          { ruleFiles: ruleFilesOf(c.testCase, artifacts), evaluationInterval: c.testCase.evaluationInterval ?? settings.evaluationInterval, groupEvalOrder: groupEvalOrder(model, c.testCase.groups), externalLabels: settings.externalLabels },
          { probe: true, name: 'probe' },
        );
        await writeFile(path.join(root, file), content);
      }),
    );
    const names = [...files.keys()].sort((a, b) => files.get(a)!.id - files.get(b)!.id);
    const run = await runPromtool(promtool, root, names);
    const results: CaseResult[] = [];
    for (const file of names) {
      const planned = files.get(file)!;
      results.push(await evaluateCase(model, planned, run.files.get(file)!, { root, promtool }));
    }
    return results;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Times as keys: `90s` and `1m30s` are the same evaluation. */
function timeKey(alertname: string, ms: number): string {
  return `${alertname}\u0000${ms}`;
}

async function evaluateCase(model: Model, planned: PlannedCase, result: PromtoolFileResult, env: { root: string; promtool: string }): Promise<CaseResult> {
  const tc = planned.testCase;
  const failures: CaseFailure[] = [];
  const fired = new Map<string, FiredAlert[]>();
  const exprErrors: Extract<PromtoolError, { kind: 'expr' }>[] = [];
  for (const error of result.errors) {
    switch (error.kind) {
      case 'alert':
        fired.set(timeKey(error.alertname, error.timeMs), error.got);
        break;
      case 'expr':
        exprErrors.push(error);
        break;
      case 'eval':
        // promtool stops the test at the first evaluation error, so nothing after it can be checked.
        failures.push({ code: 'test/eval', message: `${caseLabel(planned)}: rule ${error.rule} fails to evaluate at ${error.time}: ${error.error}`, span: caseSpan(model, planned) });
        break;
      case 'series':
        failures.push(...(await seriesFailure(planned, error, env)));
        break;
      case 'other':
        failures.push(otherFailure(model, planned, error.text));
        break;
    }
  }
  if (failures.length) return { planned, passed: false, failures };

  const completedAlerts: AlertCheck[] = [];
  for (const check of tc.alertChecks) {
    const ms = parseDuration(check.evalTime);
    const got = fired.get(timeKey(check.alertname, ms)) ?? [];
    const matching = matchFirings(check.expected, got);
    if (matching.ok) {
      completedAlerts.push({ evalTime: check.evalTime, alertname: check.alertname, expected: got.map(completeFiring) });
      continue;
    }
    const f = explainMismatch(check, got, matching);
    failures.push({ code: 'test/failed', message: `${caseLabel(planned)}: ${f.message}`, diff: f.diff, span: alertCheckSpan(model, planned, check, f.expectedIndex) });
  }
  for (const e of exprErrors) {
    const checks = tc.exprChecks.filter((c) => c.expr === e.expr && parseDuration(c.evalTime) === e.timeMs);
    const span = checks.length && planned.user ? spanOfOrigin(planned.user.exprOrigins.get(checks[0]!)) : caseSpan(model, planned);
    failures.push(
      e.error !== undefined
        ? { code: 'test/failed', message: `${caseLabel(planned)}: ${e.expr} at ${e.time} fails: ${e.error}`, span }
        : { code: 'test/failed', message: `${caseLabel(planned)}: ${e.expr} at ${e.time} does not give the expected samples`, diff: `expected: ${e.expected}\ngot:      ${e.got}`, span },
    );
  }
  if (failures.length) return { planned, passed: false, failures };
  return { planned, passed: true, failures: [], completed: { ...tc, alertChecks: completedAlerts, exprChecks: tc.exprChecks.map((c) => ({ ...c, expSamples: c.expSamples.map((s) => ({ ...s })) })) } };
}

export function caseLabel(planned: PlannedCase): string {
  return `test "${planned.testCase.name}"`;
}

function spanOfOrigin(origin: Origin | undefined): Span | undefined {
  return origin ? spanOf(origin) : undefined;
}

/** A user test's name; for a generated case, the level it tests in the alert definition. */
export function caseSpan(model: Model, planned: PlannedCase): Span | undefined {
  if (planned.user) return spanOf(planned.user.test.origin, 'name');
  const alert = planned.alert ?? alertsByName(model).get(planned.testCase.covers[0]?.alert ?? '');
  if (!alert) return undefined;
  const level = alert.levels.find((l) => planned.testCase.covers.some((c) => c.alert === alert.name && c.level === l.severity));
  if (level) return level.op ? keySpanOf(level.origin) : spanOf(level.origin);
  return spanOf(alert.origin, 'name');
}

function alertCheckSpan(model: Model, planned: PlannedCase, check: AlertCheck, expectedIndex: number | undefined): Span | undefined {
  const origins = planned.user?.alertOrigins.get(check);
  if (!origins) return caseSpan(model, planned);
  if (expectedIndex !== undefined && origins.firings[expectedIndex]) return spanOf(origins.firings[expectedIndex]!);
  // An unexpected firing: the `alerts:` list of the entry (or the entry when it has none of this alert).
  return spanOf(origins.entry, 'alerts');
}

/**
 * promtool says `1:10: parse error: …` for an input series, relative to ONE line `<series> <values>` but without telling
 * which: every series is probed alone to find it, and the column mapped into the YAML (the values string precisely,
 * the selector at its key).
 */
async function seriesFailure(planned: PlannedCase, error: Extract<PromtoolError, { kind: 'series' }>, env: { root: string; promtool: string }): Promise<CaseFailure[]> {
  const tc = planned.testCase;
  // For each series: the selector with a value that surely parses, then the series as written.
  const probes = tc.inputSeries.flatMap((s, j) => [
    { j, part: 'selector' as const, file: `${TESTS_DIR}/series-${planned.id}-${j}-selector.yml`, series: { series: s.series, values: '1' } },
    { j, part: 'values' as const, file: `${TESTS_DIR}/series-${planned.id}-${j}-values.yml`, series: s },
  ]);
  await Promise.all(
    probes.map((p) => writeFile(path.join(env.root, p.file), formatTestFile([{ ...tc, inputSeries: [p.series], alertChecks: [], exprChecks: [] }], { ruleFiles: [], evaluationInterval: '1m' }, { name: 'series' }))),
  );
  const run = probes.length ? await runPromtool(env.promtool, env.root, probes.map((p) => p.file)) : undefined;
  const errorOf = (file: string) => run?.files.get(file)?.errors.find((e) => e.kind === 'series') as Extract<PromtoolError, { kind: 'series' }> | undefined;
  const out: CaseFailure[] = [];
  tc.inputSeries.forEach((s, j) => {
    const origin = planned.user?.test.series[j]?.origin;
    const selectorError = errorOf(probes[2 * j]!.file);
    if (selectorError) {
      out.push({ code: 'test/series', message: `${caseLabel(planned)}: input series '${s.series}' is not a series selector promtool accepts: ${selectorError.message}`, ...(origin ? { span: keySpanOf(origin) } : {}) });
      return;
    }
    const valuesError = errorOf(probes[2 * j + 1]!.file);
    if (!valuesError) return;
    // promtool's columns are 1-based BYTE offsets into the line `<series> <values>`.
    const line = Buffer.from(`${s.series} ${s.values}`, 'utf8');
    const at = Buffer.from(line.subarray(0, Math.max(0, valuesError.col - 1))).toString('utf8').length;
    const offset = Math.max(0, Math.min(at - s.series.length - 1, s.values.length));
    const span = origin ? origin.def.locateInString(origin.path, offset, Math.min(offset + 1, s.values.length)) : undefined;
    out.push({ code: 'test/series', message: `${caseLabel(planned)}: values '${s.values}' of input series '${s.series}' do not parse at character ${offset + 1}: ${valuesError.message}`, ...(span ? { span } : {}) });
  });
  if (out.length === 0) out.push({ code: 'test/series', message: `${caseLabel(planned)}: the input series do not parse: ${error.text}`, ...(planned.user ? { span: spanOf(planned.user.test.origin, 'series') } : {}) });
  return out;
}

/** A rule file promtool rejects is Vigil's fault, but the message names the group, at its definition. */
function otherFailure(model: Model, planned: PlannedCase, text: string): CaseFailure {
  // promtool names the rule file as it resolved it: `prometheus/rules/<group>.yml`, relative to where it runs.
  const rule = /^(?:.*\/)?prometheus\/rules\/([^/]+?)\.yml: (.*)$/s.exec(text);
  if (rule) {
    const group = model.groups.find((g) => g.name === rule[1]);
    return { code: 'test/rules', message: `${caseLabel(planned)}: promtool rejects the rule file of group ${rule[1]}: ${rule[2]}`, span: group ? spanOf(group.origin) : undefined };
  }
  return { code: 'test/promtool', message: `${caseLabel(planned)}: promtool: ${text}`, span: caseSpan(model, planned) };
}

// ---------------------------------------------------------------------------------------------------------------------
// The committed files and the final verdict.

export interface TestFile {
  /** Under the output directory: `tests/<name>.test.yml`. */
  path: string;
  content: string;
  cases: CaseResult[];
  /** The definition files its cases came from. */
  sources: string[];
}

/** One file per output name, cases in plan order; only for passing cases (a failing one has nothing to complete). */
export function testFiles(model: Model, results: readonly CaseResult[], artifacts: readonly Artifact[]): TestFile[] {
  const settings = projectSettings(model);
  const byOutput = new Map<string, CaseResult[]>();
  for (const r of [...results].sort((a, b) => a.planned.id - b.planned.id)) byOutput.set(r.planned.output, [...(byOutput.get(r.planned.output) ?? []), r]);
  const files: TestFile[] = [];
  for (const [name, cases] of [...byOutput].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const completed = cases.map((c) => c.completed ?? c.planned.testCase);
    const sources = [...new Set(cases.map((c) => (c.planned.user ? c.planned.user.test.origin.def.file : (c.planned.alert?.origin.def.file ?? ''))).filter(Boolean))].sort();
    const kind = cases[0]!.planned.user ? 'the tests in' : 'boundary tests generated from';
    // One step for the file: the cases' own when they agree (an SLO's burn cases), else the project's, which is finer.
    const steps = new Set(completed.map((c) => c.evaluationInterval ?? settings.evaluationInterval));
    const content = formatTestFile(completed, {
      ruleFiles: ruleFilesOf(completed[0]!, artifacts),
      evaluationInterval: steps.size === 1 ? [...steps][0]! : settings.evaluationInterval,
      groupEvalOrder: groupEvalOrder(model, completed[0]!.groups),
      externalLabels: settings.externalLabels,
      header: `Generated by Vigil from ${kind} ${sources.join(', ')}. Do not edit: change the definitions and run \`vigil test\`.`,
    });
    files.push({ path: `${TESTS_DIR}/${name}`, content, cases, sources });
  }
  return files;
}

export interface VerdictFailure {
  file: string;
  /** Cases the failure is attributed to (by test name; all of the file's when promtool does not say). */
  cases: CaseResult[];
  text: string;
}

/**
 * The final verdict: the real `promtool test rules` over the completed files. `root` must hold them under tests/ next
 * to prometheus/rules/. Every failure is attributed to the cases it names and marks them failed.
 */
export async function verdict(model: Model, root: string, files: readonly TestFile[], promtool: string): Promise<VerdictFailure[]> {
  if (files.length === 0) return [];
  const run = await runPromtool(promtool, root, files.map((f) => f.path));
  const failures: VerdictFailure[] = [];
  for (const file of files) {
    const result = run.files.get(file.path)!;
    if (result.passed && result.errors.length === 0) continue;
    for (const error of result.errors.length ? result.errors : [{ kind: 'other' as const, text: 'FAILED' }]) {
      const named = 'test' in error && error.test !== undefined ? file.cases.filter((c) => c.planned.testCase.name.replace(/\s*[\r\n]+\s*/g, ' ') === error.test) : [];
      const cases = named.length ? named : file.cases;
      for (const c of cases) {
        c.passed = false;
        c.failures.push({ code: 'test/verdict', message: `${caseLabel(c.planned)}: promtool test rules fails on ${file.path}`, diff: error.text, span: caseSpan(model, c.planned) });
      }
      failures.push({ file: file.path, cases, text: error.text });
    }
  }
  return failures;
}
