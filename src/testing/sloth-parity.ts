/**
 * Sloth's generated rules and Vigil's, evaluated side by side by promtool: a temp dir of rule files, `promtool check
 * rules` over them, and `promtool test rules` of one test file whose expectations say that at each time every
 * recorded SLO series has the same value in both and each alert level fires in both or in neither. `vigil import slo
 * --verify` and the Sloth parity test (src/slo/sloth-parity.test.ts) both run through it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';

/** The series an SLO records, in both Sloth's and Vigil's rules (Vigil's names are Sloth's). */
export const SLO_RECORDS: readonly string[] = [
  ...['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d'].map((w) => `slo:sli_error:ratio_rate${w}`),
  'slo:objective:ratio',
  'slo:error_budget:ratio',
  'slo:time_period:days',
  'slo:current_burn_rate:ratio',
  'slo:period_burn_rate:ratio',
  'slo:period_error_budget_remaining:ratio',
];

/** Phases of [increase per minute, minutes] as one counter in promtool's notation (`a+bxn` is n + 1 samples). */
export function counterSeries(phases: readonly (readonly [number, number])[]): string {
  let last = 0;
  return phases
    .map(([step, minutes], i) => {
      const first = i === 0 ? 0 : last + step;
      last = first + step * (minutes - 1);
      return `${first}+${step}x${minutes - 1}`;
    })
    .join(' ');
}

/** One SLO under both names: Vigil's slo/service labels and alert name, Sloth's sloth_slo/sloth_service and alert. */
export interface ParitySlo {
  vigil: { slo: string; service: string; alert?: string };
  sloth: { slo: string; service: string; alert?: string };
}

export interface PromqlExprTest {
  expr: string;
  eval_time: string;
  exp_samples: { labels: string; value: number }[];
}

const holds = (expr: string, at: string): PromqlExprTest => ({ expr, eval_time: at, exp_samples: [{ labels: '{}', value: 1 }] });

/** A count of firing alerts of the selector as a scalar (0 when none fires). */
export const firingCount = (selector: string): string => `scalar(count(ALERTS{${selector},alertstate="firing"}) or vector(0))`;

/**
 * At each time: every record of Vigil equals Sloth's to 1e-9 (relative to its size), and for each alert both name,
 * each burn severity (Sloth's `page`/`ticket`, Vigil's level) fires in both or in neither.
 */
export function parityExpectations(slos: readonly ParitySlo[], times: readonly string[], severities: { page: string; ticket: string }): PromqlExprTest[] {
  const tests: PromqlExprTest[] = [];
  for (const { vigil, sloth } of slos) {
    const ours = `slo="${vigil.slo}",service="${vigil.service}"`;
    const theirs = `sloth_slo="${sloth.slo}",sloth_service="${sloth.service}"`;
    for (const at of times) {
      for (const record of SLO_RECORDS) {
        tests.push(holds(`abs(vector(scalar(${record}{${ours}}) - scalar(${record}{${theirs}}))) < bool (1e-9 * (1 + abs(vector(scalar(${record}{${theirs}})))))`, at));
      }
      if (vigil.alert === undefined || sloth.alert === undefined) continue;
      for (const burn of ['page', 'ticket'] as const) {
        tests.push(holds(`vector(${firingCount(`alertname="${sloth.alert}",sloth_severity="${burn}",${theirs}`)} == bool ${firingCount(`alertname="${vigil.alert}",severity="${severities[burn]}",${ours}`)})`, at));
      }
    }
  }
  return tests;
}

/**
 * Every group in the order the data flows: Sloth's SLI recordings, then its meta recordings (which read them), then
 * Vigil's recordings, then the alerts. Without an order promtool evaluates groups in random order, and a group read
 * one step late would show as a difference that is only a race.
 */
export function evaluationOrder(ruleTexts: readonly string[]): string[] {
  const names = ruleTexts.flatMap((t) => ((parse(t) as { groups?: { name: string }[] } | null)?.groups ?? []).map((g) => g.name));
  const rank = (n: string) => (/sli-recordings/.test(n) ? 0 : /meta-recordings/.test(n) ? 1 : /recordings/.test(n) ? 2 : 3);
  return [...names].sort((a, b) => rank(a) - rank(b));
}

/**
 * One promtool unit test file over the rule files: input counters a minute apart, rules evaluated every 10 minutes.
 * Both sides are evaluated at the same steps, so the step does not change what is compared; promtool's time grows
 * with the evaluations (four days at 5m took twice the CPU of 10m).
 */
export function parityTestFile(ruleFiles: ReadonlyMap<string, string>, series: Readonly<Record<string, string>>, expectations: readonly PromqlExprTest[]): Record<string, unknown> {
  return {
    rule_files: [...ruleFiles.keys()],
    evaluation_interval: '10m',
    group_eval_order: evaluationOrder([...ruleFiles.values()]),
    tests: [{ interval: '1m', input_series: Object.entries(series).map(([s, values]) => ({ series: s, values })), promql_expr_test: expectations }],
  };
}

export interface PromtoolOutcome {
  ok: boolean;
  /** stdout then stderr, blank lines folded. */
  output: string;
}

/** A temp dir holding rule files by base name, and promtool run in it. */
export interface RuleDir {
  readonly dir: string;
  /** `promtool check rules` over every rule file written so far. */
  checkRules(): PromtoolOutcome;
  /** Writes a rule file (its base name) beside the others. */
  addRules(file: string, text: string): Promise<void>;
  /** Writes the test file (YAML of `content`) and runs `promtool test rules` on it. */
  testRules(file: string, content: unknown): Promise<PromtoolOutcome>;
}

export const promtoolAvailable = (): boolean => spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;

function promtool(dir: string, args: string[], timeout: number): PromtoolOutcome {
  const run = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8', timeout });
  return { ok: run.status === 0, output: `${run.stdout ?? ''}${run.stderr ?? ''}`.replace(/\n{2,}/g, '\n') };
}

/** Runs `work` over a temp dir holding the rule files (each under its base name); removes the dir after, whatever happens. */
export async function inRuleDir<T>(ruleFiles: Iterable<readonly [string, string]>, work: (rules: RuleDir) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-slo-promtool-'));
  const names: string[] = [];
  const rules: RuleDir = {
    dir,
    checkRules: () => promtool(dir, ['check', 'rules', ...names], 60_000),
    addRules: async (file, text) => {
      const name = path.basename(file);
      await writeFile(path.join(dir, name), text);
      if (!names.includes(name)) names.push(name);
    },
    testRules: async (file, content) => {
      await writeFile(path.join(dir, file), stringify(content, { lineWidth: 0 }));
      return promtool(dir, ['test', 'rules', file], 300_000);
    },
  };
  try {
    for (const [file, text] of ruleFiles) await rules.addRules(file, text);
    return await work(rules);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
