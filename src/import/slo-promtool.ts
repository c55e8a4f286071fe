/**
 * Prometheus's own word for --verify of `vigil import slo`: `promtool check rules` on the built rule files, and, when
 * Sloth's generated rules for an imported spec are given too, Sloth's rules and Vigil's evaluated side by side in one
 * `promtool test rules` over the same synthetic series (quiet, a fast burn, quiet, a slow burn, quiet): at each time
 * every recorded series has the same value in both (to 1e-9, relative to its size) and each alert level fires in both
 * or in neither (the harness of src/testing/sloth-parity.ts). Absent promtool, this half is skipped and says so.
 */
import path from 'node:path';
import { anchoredRegex } from '../synth/synth-eval.ts';
import { regexExamples } from '../synth/synth-regex.ts';
import { splitSelector, type MappedDefinition } from './slo-map.ts';
import type { SlothGeneratedRules } from './slo-sources.ts';
import { defaultAlertName } from '../slo/index.ts';
import { counterSeries, firingCount, inRuleDir, parityExpectations, parityTestFile, type ParitySlo, type RuleDir } from '../testing/sloth-parity.ts';

export { promtoolAvailable } from '../testing/sloth-parity.ts';

export interface PromtoolVerdict {
  checked: string[];
  problems: string[];
  /** SLOs compared with Sloth's generated rules by evaluation, and whether their alerts fired during the burns. */
  evaluated: { slo: string; fired: boolean }[];
}

const TIMES = ['2h', '9h50m', '11h', '14h', '1d12h', '2d12h', '3d12h', '4d'];

// Per minute: quiet for 10h, a fast burn for 2h, quiet for 20h, a slow burn for 40h, quiet.
const STEADY = counterSeries([[1000, 5800]]);
const BURN = counterSeries([[0, 600], [20, 120], [0, 1200], [4, 2400], [0, 1480]]);
// The good events a latency error query subtracts from the total (`_count - _bucket{le}`): all of them but the burns.
const GOOD = counterSeries([[1000, 600], [980, 120], [1000, 1200], [996, 2400], [1000, 1480]]);

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
  const built = new Map([...ruleFiles].map(([file, text]) => [path.basename(file), text]));
  return inRuleDir(built, async (rules) => {
    const check = rules.checkRules();
    if (!check.ok) verdict.problems.push(`promtool check rules: ${check.output.trim().split('\n').slice(-3).join(' ')}`);
    else verdict.checked.push(...built.keys());
    for (const [i, gen] of generated.entries()) {
      const sloth = definitions.filter((d) => d.source === 'sloth');
      const pairs = gen.slos.flatMap((g) => sloth.flatMap((d) => d.expected.filter((e) => e.service === g.service && e.sourceName === g.slo).map((e) => ({ d, e }))));
      if (pairs.length === 0) {
        verdict.problems.push(`${gen.file}: Sloth's generated rules are for ${gen.slos.map((s) => `${s.service}/${s.slo}`).join(', ')}, none of which was imported`);
        continue;
      }
      const slothFile = `sloth-${i}.yml`;
      await rules.addRules(slothFile, gen.text);
      const compared: ParitySlo[] = [];
      const series: Record<string, string> = {};
      for (const { e } of pairs) {
        const entry = (sloth.flatMap((d) => d.definition.slos).find((s) => s.name === e.name && s.service === e.service)?.sli as { events?: { errorQuery: string; totalQuery: string } } | undefined)?.events;
        if (!entry) continue;
        Object.assign(series, inputSeries(entry.errorQuery.replace(/\{\{\s*\.window\s*\}\}/g, '5m'), entry.totalQuery.replace(/\{\{\s*\.window\s*\}\}/g, '5m')));
        compared.push({
          vigil: { slo: e.name, service: e.service, ...(e.alert ? { alert: e.alert.name || defaultAlertName(e.name) } : {}) },
          sloth: { slo: e.sourceName, service: e.service, ...(e.alert ? { alert: e.alert.sourceName } : {}) },
        });
      }
      const run = await rules.testRules(`test-${i}.yml`, parityTestFile(new Map([[slothFile, gen.text], ...built]), series, parityExpectations(compared, TIMES, severities)));
      if (!run.ok) {
        const failures = run.output.split('\n').filter((l) => /expr:|exp:|got:/.test(l)).slice(0, 9).map((l) => l.trim());
        verdict.problems.push(`${gen.file}: Sloth's rules and the build evaluate differently over the same series (promtool test rules): ${failures.join(' | ') || run.output.trim().slice(0, 400)}`);
        continue;
      }
      for (const { e } of pairs) verdict.evaluated.push({ slo: `${e.service}/${e.name}`, fired: e.alert !== undefined && (await firedDuringBurns(rules, slothFile, gen.text, `alertname="${e.alert.sourceName}",sloth_service="${e.service}",sloth_slo="${e.sourceName}"`, series)) });
    }
    return verdict;
  });
}

/** Not vacuous: did Sloth's alert fire at all over the synthetic series (then both fired, the comparison passed)? */
async function firedDuringBurns(rules: RuleDir, slothFile: string, slothText: string, alert: string, series: Record<string, string>): Promise<boolean> {
  const never = TIMES.map((at) => ({ expr: `${firingCount(alert)} == bool 0`, eval_time: at, exp_samples: [{ labels: '{}', value: 1 }] }));
  return !(await rules.testRules('fired.yml', parityTestFile(new Map([[slothFile, slothText]]), series, never))).ok;
}
