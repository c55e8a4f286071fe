import { alertAnnotations } from '../emit/prometheus-rules.ts';
import { alertsByName, keySpanOf, spanOf, type AlertModel, type AlertRefModel } from '../model/types.ts';
import { analyzePromql } from '../promql/index.ts';
import { closest } from '../util/closest.ts';
import { parseDuration } from '../util/duration.ts';
import type { Check, CheckContext } from './check.ts';

/**
 * RuleTests name things that exist: expected alerts and their levels, labels and annotations; receivers of routing
 * expectations; alerts and levels of inhibition expectations. Input series are plain series selectors with exact
 * labels, and `at` lines up with the evaluation interval. (The alert and level of a `routes:` expectation are
 * checked by test/routes, which also routes it.)
 */
export const testRefsCheck: Check = {
  id: 'test/refs',
  description: 'RuleTests name existing alerts, levels, labels, annotations and receivers; input series are series selectors.',
  severity: 'error',
  dependsOn: ['Project'],
  run(ctx) {
    const alerts = alertsByName(ctx.model);
    const receivers = ctx.model.receivers.map((r) => r.name);
    const evaluation = parseDuration(ctx.model.project?.evaluationInterval ?? '1m');
    for (const test of ctx.model.ruleTests) {
      const where = `test "${test.name}"`;
      for (const series of test.series) checkSeries(ctx, where, series.selector, keySpanOf(series.origin));

      for (const entry of test.expect) {
        const at = parseDuration(entry.at);
        if (entry.alerts && Number.isFinite(at) && evaluation > 0 && at % evaluation !== 0) {
          const before = Math.floor(at / evaluation) * evaluation;
          ctx.report({
            message: `${where}: at ${entry.at} is between two rule evaluations (every ${ctx.model.project?.evaluationInterval ?? '1m'}); promtool checks the alerts of the evaluation at ${formatMs(before)}`,
            span: spanOf(entry.origin, 'at'),
            severity: 'warning',
            hint: `write at: ${formatMs(before)} (or a later multiple of the evaluation interval)`,
          });
        }
        for (const expected of entry.alerts ?? []) {
          const alert = resolveAlert(ctx, where, expected.name, alerts, spanOf(expected.origin, 'name'));
          if (!alert) continue;
          const levels = alert.levels.map((l) => l.severity);
          let level = alert.levels.length === 1 ? alert.levels[0] : undefined;
          if (expected.level !== undefined) {
            level = alert.levels.find((l) => l.severity === expected.level);
            if (!level) reportLevel(ctx, where, alert, expected.level, spanOf(expected.origin, 'level'));
          } else if (levels.length > 1) {
            ctx.report({ message: `${where}: alert ${alert.name} has levels ${levels.join(', ')}; say which one fires`, span: spanOf(expected.origin), hint: `add level: ${levels[0]}` });
          }
          const known = ctx.labels.ofAlert(alert);
          if (known.complete) {
            for (const label of Object.keys(expected.labels)) {
              if (known.labels.has(label)) continue;
              const guess = closest(label, known.labels);
              ctx.report({
                message: `${where}: alert ${alert.name} never carries label ${label}`,
                span: keySpanOf(expected.origin, 'labels', label),
                severity: 'warning',
                hint: guess ? `did you mean ${guess}? ${alert.name} carries ${[...known.labels].sort().join(', ')}` : `${alert.name} carries ${[...known.labels].sort().join(', ')}`,
              });
            }
          }
          if (level && 'severity' in expected.labels && expected.labels.severity !== level.severity) {
            ctx.report({ message: `${where}: labels say severity ${expected.labels.severity}, but the level is ${level.severity}`, span: spanOf(expected.origin, 'labels', 'severity'), hint: 'choose the level with level: and leave severity out of labels' });
          }
          if (level) {
            const annotations = Object.keys(alertAnnotations(ctx.model, alert, level));
            for (const name of Object.keys(expected.annotations)) {
              if (annotations.includes(name)) continue;
              const guess = closest(name, annotations);
              ctx.report({
                message: `${where}: alert ${alert.name} has no annotation ${name}`,
                span: keySpanOf(expected.origin, 'annotations', name),
                hint: `${guess ? `did you mean ${guess}? ` : ''}its annotations: ${annotations.join(', ') || 'none'} (runbook becomes runbook_url, dashboard becomes dashboard_url)`,
              });
            }
          }
        }
        for (const value of entry.values) {
          value.samples.forEach((sample, i) => {
            if (sample.labels === undefined || sample.labels.trim() === '' || sample.labels.trim() === '{}') return;
            const parsed = parseSeriesSelector(sample.labels);
            if ('error' in parsed) {
              ctx.report({ message: `${where}: sample labels ${sample.labels} are not a series: ${parsed.error}`, span: spanOf(value.origin, 'samples', i, 'labels'), hint: 'write the exact labels of the result series, e.g. metric{label="value"}' });
            } else if (parsed.matchers.some((m) => m.op !== '=')) {
              ctx.report({ message: `${where}: sample labels ${sample.labels} must be exact (=)`, span: spanOf(value.origin, 'samples', i, 'labels'), hint: 'promtool compares the exact label set of each result series' });
            }
          });
        }
      }

      for (const route of test.routes) {
        route.receivers.forEach((name, i) => {
          if (receivers.includes(name)) return;
          const guess = closest(name, receivers);
          ctx.report({ message: `${where}: receiver "${name}" is not defined`, span: spanOf(route.origin, 'receivers', i), dangling: { namespace: 'receiver', name }, hint: guess ? `did you mean "${guess}"?` : `defined receivers: ${receivers.join(', ')}` });
        });
      }

      for (const inhibition of test.inhibitions) {
        for (const ref of [inhibition.source, inhibition.target]) checkRef(ctx, where, ref, alerts);
      }
    }
  },
};

function resolveAlert(ctx: CheckContext, where: string, name: string, alerts: Map<string, AlertModel>, span: ReturnType<typeof spanOf>): AlertModel | undefined {
  const alert = alerts.get(name);
  if (!alert) {
    const guess = closest(name, alerts.keys());
    ctx.report({ message: `${where}: unknown alert "${name}"`, span, dangling: { namespace: 'alert', name }, hint: guess ? `did you mean ${guess}?` : 'name an alert of an AlertRules file' });
    return undefined;
  }
  if (!alert.enabled) {
    ctx.report({ message: `${where}: alert ${alert.name} is disabled (enabled: false); it never fires`, span, hint: 'enable the alert or drop the expectation' });
    return undefined;
  }
  return alert;
}

function reportLevel(ctx: CheckContext, where: string, alert: AlertModel, level: string, span: ReturnType<typeof spanOf>): void {
  const levels = alert.levels.map((l) => l.severity);
  const guess = closest(level, levels);
  ctx.report({ message: `${where}: alert ${alert.name} has no level ${level}`, span, hint: `${guess ? `did you mean ${guess}? ` : ''}its levels: ${levels.join(', ')}` });
}

function checkRef(ctx: CheckContext, where: string, ref: AlertRefModel, alerts: Map<string, AlertModel>): void {
  const alert = resolveAlert(ctx, where, ref.alert, alerts, spanOf(ref.origin, 'alert'));
  if (alert && ref.level !== undefined && !alert.levels.some((l) => l.severity === ref.level)) reportLevel(ctx, where, alert, ref.level, spanOf(ref.origin, 'level'));
}

function checkSeries(ctx: CheckContext, where: string, selector: string, span: ReturnType<typeof spanOf>): void {
  const analysis = analyzePromql(selector);
  if (!analysis.ok) {
    const problem = analysis.problems[0]!;
    ctx.report({ message: `${where}: input series ${selector} does not parse: ${problem.message}`, span, hint: 'write a series selector with exact labels, e.g. metric{label="value"}' });
    return;
  }
  const parsed = parseSeriesSelector(selector);
  if ('error' in parsed || analysis.resultType !== 'vector') {
    ctx.report({ message: `${where}: input series ${selector} is not a series selector${'error' in parsed ? `: ${parsed.error}` : ''}`, span, hint: 'an input series is a metric name and exact labels, e.g. metric{label="value"}; expressions go under expect[].values' });
    return;
  }
  const loose = parsed.matchers.filter((m) => m.op !== '=');
  if (loose.length) {
    ctx.report({ message: `${where}: input series ${selector} uses ${loose.map((m) => m.op).join(', ')}; an input series has exact labels`, span, hint: `write ${loose.map((m) => `${m.label}="…"`).join(', ')}` });
    return;
  }
  const seen = new Set<string>();
  for (const m of parsed.matchers) {
    if (seen.has(m.label)) ctx.report({ message: `${where}: input series ${selector} sets label ${m.label} twice`, span });
    seen.add(m.label);
  }
  const name = parsed.name ?? parsed.matchers.find((m) => m.label === '__name__')?.value;
  if (name === undefined) {
    ctx.report({ message: `${where}: input series ${selector} has no metric name`, span, severity: 'warning', hint: 'rules select series by name; name it, e.g. metric{…}' });
  } else if (!ctx.catalog.resolve(name)) {
    const guess = closest(name, ctx.catalog.knownNames());
    ctx.report({ message: `${where}: input series ${name} is not in the catalogue, so no rule reads it`, span, severity: 'warning', hint: guess ? `did you mean ${guess}?` : 'add it to a Metrics file if a rule should read it' });
  }
}

export interface SeriesSelector {
  name?: string;
  matchers: { label: string; op: '=' | '!=' | '=~' | '!~'; value: string }[];
}

/**
 * `metric{a="1", b='2'}`, `metric`, `{__name__="metric"}`: a metric name and/or a brace list of label matchers, with
 * PromQL string quoting (", ' and `), nothing else. The operators are returned as written; callers decide which they
 * accept.
 */
export function parseSeriesSelector(text: string): SeriesSelector | { error: string } {
  const s = text.trim();
  let i = 0;
  const out: SeriesSelector = { matchers: [] };
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(s);
  if (name) {
    out.name = name[0];
    i = name[0].length;
  }
  while (s[i] === ' ' || s[i] === '\t') i++;
  if (i === s.length) return out.name ? out : { error: 'it is empty' };
  if (s[i] !== '{') return { error: `unexpected ${JSON.stringify(s.slice(i, i + 10))} after the metric name` };
  i++;
  const skip = () => {
    while (/\s/.test(s[i] ?? '')) i++;
  };
  for (;;) {
    skip();
    if (s[i] === '}') {
      i++;
      break;
    }
    const label = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(s.slice(i));
    if (!label) return { error: `expected a label name at ${JSON.stringify(s.slice(i, i + 10))}` };
    i += label[0].length;
    skip();
    const op = /^(=~|!~|!=|=)/.exec(s.slice(i));
    if (!op) return { error: `expected =, !=, =~ or !~ after ${label[0]}` };
    i += op[0].length;
    skip();
    const quote = s[i];
    if (quote !== '"' && quote !== "'" && quote !== '`') return { error: `expected a quoted value for ${label[0]}` };
    let value = '';
    i++;
    for (;;) {
      const c = s[i];
      if (c === undefined) return { error: `unterminated value of ${label[0]}` };
      if (c === quote) {
        i++;
        break;
      }
      if (c === '\\' && quote !== '`') {
        const next = s[i + 1];
        if (next === undefined) return { error: `unterminated value of ${label[0]}` };
        value += next === 'n' ? '\n' : next === 't' ? '\t' : next;
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    out.matchers.push({ label: label[0], op: op[0] as SeriesSelector['matchers'][number]['op'], value });
    skip();
    if (s[i] === ',') {
      i++;
      continue;
    }
    if (s[i] === '}') {
      i++;
      break;
    }
    return { error: `expected , or } after the value of ${label[0]}` };
  }
  skip();
  if (i !== s.length) return { error: `unexpected ${JSON.stringify(s.slice(i, i + 10))} after the labels` };
  return out;
}

function formatMs(ms: number): string {
  if (ms === 0) return '0s';
  const units: [string, number][] = [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]];
  let rest = ms;
  let out = '';
  for (const [u, n] of units) {
    if (rest >= n) {
      out += `${Math.floor(rest / n)}${u}`;
      rest %= n;
    }
  }
  return out;
}
