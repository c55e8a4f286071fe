/**
 * Prometheus's own word for --verify of `vigil import slo`: `promtool check rules` on the built rule files, and, when
 * Sloth's generated rules for an imported spec are given too, Sloth's rules and Vigil's evaluated side by side in one
 * `promtool test rules` over the same synthetic series (quiet, a fast burn, quiet, a slow burn, quiet): at each time
 * every recorded series has the same value in both (to 1e-9, relative to its size) and each alert level fires in both or in neither. Absent
 * promtool, this half is skipped and says so.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { anchoredRegex } from '../synth/synth-eval.ts';
import { regexExamples } from '../synth/synth-regex.ts';
import { splitSelector, type MappedDefinition } from './slo-map.ts';
import type { SlothGeneratedRules } from './slo-sources.ts';
import { defaultAlertName } from '../slo/index.ts';

export const promtoolAvailable = (): boolean => spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;

export interface PromtoolVerdict {
  checked: string[];
  problems: string[];
  /** SLOs compared with Sloth's generated rules by evaluation, and whether their alerts fired during the burns. */
  evaluated: { slo: string; fired: boolean }[];
}

const RECORDS = [
  ...['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d'].map((w) => `slo:sli_error:ratio_rate${w}`),
  'slo:objective:ratio',
  'slo:error_budget:ratio',
  'slo:time_period:days',
  'slo:current_burn_rate:ratio',
  'slo:period_burn_rate:ratio',
  'slo:period_error_budget_remaining:ratio',
];
const TIMES = ['2h', '9h55m', '11h', '14h', '1d12h', '2d12h', '3d12h', '4d'];

/** Per minute: quiet for 10h, `fast` for 2h, quiet for 20h, `slow` for 40h, quiet (promtool's counter notation). */
function counter(phases: [number, number][]): string {
  let last = 0;
  return phases
    .map(([step, minutes], i) => {
      const first = i === 0 ? 0 : last + step;
      last = first + step * (minutes - 1);
      return `${first}+${step}x${minutes - 1}`;
    })
    .join(' ');
}
const STEADY = counter([[1000, 5800]]);
const BURN = counter([[0, 600], [20, 120], [0, 1200], [4, 2400], [0, 1480]]);
// The good events a latency error query subtracts from the total (`_count - _bucket{le}`): all of them but the burns.
const GOOD = counter([[1000, 600], [980, 120], [1000, 1200], [996, 2400], [1000, 1480]]);

/** A label set every matcher of the selector accepts (regexes by example), or undefined when none is found. */
function seriesOf(selector: string): string | undefined {
  const s = splitSelector(selector);
  if (!s) return undefined;
  const labels: string[] = [];
  for (const m of s.matchers) {
    const parts = /^([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)"((?:[^"\\]|\\.)*)"$/.exec(m);
    if (!parts) return undefined;
    const [, name, op, raw] = parts;
    const value = JSON.parse(`"${raw}"`) as string;
    let chosen: string | undefined;
    if (op === '=') chosen = value;
    else if (op === '=~') chosen = regexExamples(value)[0];
    else if (op === '!=') chosen = value === 'other' ? 'another' : 'other';
    else chosen = ['other', 'x', 'zz9'].find((c) => !anchoredRegex(value).test(c));
    if (chosen === undefined) return undefined;
    if (chosen !== '') labels.push(`${name}=${JSON.stringify(chosen)}`);
  }
  return `${s.name}{${labels.join(',')}}`;
}

/** The series each query's selectors read: those only the error query reads burn (or, a histogram's buckets, are the good events but the burn), the others grow steadily. */
function inputSeries(errorQuery: string, totalQuery: string): Record<string, string> {
  // The series SLIs read are under a range: `name{…}[5m]` or `name[5m]`.
  const selectors = (q: string) => [...q.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?\s*\[/g)].map((m) => `${m[1]}${m[2] ?? ''}`);
  const errors = selectors(errorQuery).map(seriesOf);
  const totals = new Set(selectors(totalQuery).map(seriesOf));
  const out: Record<string, string> = {};
  for (const s of totals) if (s) out[s] = STEADY;
  for (const s of errors) if (s && !totals.has(s)) out[s] = /_bucket\{/.test(s) ? GOOD : BURN;
  return out;
}

export async function promtoolVerify(definitions: readonly MappedDefinition[], ruleFiles: ReadonlyMap<string, string>, generated: readonly SlothGeneratedRules[], severities: { page: string; ticket: string }): Promise<PromtoolVerdict> {
  const verdict: PromtoolVerdict = { checked: [], problems: [], evaluated: [] };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-import-slo-'));
  try {
    const names: string[] = [];
    for (const [file, text] of ruleFiles) {
      const name = path.basename(file);
      names.push(name);
      await writeFile(path.join(dir, name), text);
    }
    const check = spawnSync('promtool', ['check', 'rules', ...names], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    if (check.status !== 0) verdict.problems.push(`promtool check rules: ${(check.stdout + check.stderr).trim().split('\n').slice(-3).join(' ')}`);
    else verdict.checked.push(...names);
    for (const [i, gen] of generated.entries()) {
      const sloth = definitions.filter((d) => d.source === 'sloth');
      const pairs = gen.slos.flatMap((g) => sloth.flatMap((d) => d.expected.filter((e) => e.service === g.service && e.sourceName === g.slo).map((e) => ({ d, e }))));
      if (pairs.length === 0) {
        verdict.problems.push(`${gen.file}: Sloth's generated rules are for ${gen.slos.map((s) => `${s.service}/${s.slo}`).join(', ')}, none of which was imported`);
        continue;
      }
      const slothFile = `sloth-${i}.yml`;
      await writeFile(path.join(dir, slothFile), gen.text);
      const tests: Record<string, unknown>[] = [];
      const series: Record<string, string> = {};
      for (const { e } of pairs) {
        const entry = (sloth.flatMap((d) => d.definition.slos).find((s) => s.name === e.name && s.service === e.service)?.sli as { events?: { errorQuery: string; totalQuery: string } } | undefined)?.events;
        if (!entry) continue;
        Object.assign(series, inputSeries(entry.errorQuery.replace(/\{\{\s*\.window\s*\}\}/g, '5m'), entry.totalQuery.replace(/\{\{\s*\.window\s*\}\}/g, '5m')));
        const vigil = `slo="${e.name}",service="${e.service}"`;
        const theirs = `sloth_slo="${e.sourceName}",sloth_service="${e.service}"`;
        for (const at of TIMES) {
          for (const record of RECORDS) tests.push({ expr: `abs(vector(scalar(${record}{${vigil}}) - scalar(${record}{${theirs}}))) < bool (1e-9 * (1 + abs(vector(scalar(${record}{${theirs}})))))`, eval_time: at, exp_samples: [{ labels: '{}', value: 1 }] });
          if (!e.alert) continue;
          for (const [burn, severity] of [['page', severities.page], ['ticket', severities.ticket]] as const) {
            const firing = (sel: string) => `scalar(count(ALERTS{${sel},alertstate="firing"}) or vector(0))`;
            tests.push({ expr: `vector(${firing(`alertname="${e.alert.sourceName}",sloth_severity="${burn}",sloth_service="${e.service}",sloth_slo="${e.sourceName}"`)} == bool ${firing(`alertname="${e.alert.name || defaultAlertName(e.name)}",severity="${severity}",slo="${e.name}"`)})`, eval_time: at, exp_samples: [{ labels: '{}', value: 1 }] });
          }
        }
      }
      const testFile = { rule_files: [slothFile, ...names], evaluation_interval: '5m', group_eval_order: evaluationOrder([gen.text, ...ruleFiles.values()]), tests: [{ interval: '1m', input_series: Object.entries(series).map(([s, values]) => ({ series: s, values })), promql_expr_test: tests }] };
      await writeFile(path.join(dir, `test-${i}.yml`), stringify(testFile, { lineWidth: 0 }));
      const run = spawnSync('promtool', ['test', 'rules', `test-${i}.yml`], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
      if (run.status !== 0) {
        const failures = (run.stdout + run.stderr).split('\n').filter((l) => /expr:|exp:|got:/.test(l)).slice(0, 9).map((l) => l.trim());
        verdict.problems.push(`${gen.file}: Sloth's rules and the build evaluate differently over the same series (promtool test rules): ${failures.join(' | ') || (run.stdout + run.stderr).trim().slice(0, 400)}`);
        continue;
      }
      for (const { e } of pairs) verdict.evaluated.push({ slo: `${e.service}/${e.name}`, fired: e.alert !== undefined && (await firedDuringBurns(dir, slothFile, `alertname="${e.alert.sourceName}",sloth_service="${e.service}",sloth_slo="${e.sourceName}"`, series)) });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return verdict;
}

/**
 * Every group in the order Prometheus's data flows: Sloth's SLI recordings, then its meta recordings (which read them),
 * then Vigil's recordings, then the alerts. Without an order promtool evaluates groups in random order, and a group
 * read one step late would show as a difference that is only a race.
 */
function evaluationOrder(texts: readonly string[]): string[] {
  const names = texts.flatMap((t) => ((parse(t) as { groups?: { name: string }[] } | null)?.groups ?? []).map((g) => g.name));
  const rank = (n: string) => (/sli-recordings/.test(n) ? 0 : /meta-recordings/.test(n) ? 1 : /recordings/.test(n) ? 2 : 3);
  return [...names].sort((a, b) => rank(a) - rank(b));
}

/** Not vacuous: did Sloth's alert fire at all over the synthetic series (then both fired, the comparison passed)? */
async function firedDuringBurns(dir: string, slothFile: string, alert: string, series: Record<string, string>): Promise<boolean> {
  const tests = TIMES.map((at) => ({ expr: `count(ALERTS{${alert},alertstate="firing"}) or vector(0)`, eval_time: at, exp_samples: [{ labels: '{}', value: 0 }] }));
  const testFile = { rule_files: [slothFile], evaluation_interval: '5m', tests: [{ interval: '1m', input_series: Object.entries(series).map(([s, values]) => ({ series: s, values })), promql_expr_test: tests }] };
  await writeFile(path.join(dir, 'fired.yml'), stringify(testFile, { lineWidth: 0 }));
  return spawnSync('promtool', ['test', 'rules', 'fired.yml'], { cwd: dir, encoding: 'utf8', timeout: 300_000 }).status !== 0;
}
