import type { Check } from './check.ts';
import { alertsByName, spanOf, type AlertLevel, type AlertModel, type RuleTestModel } from '../model/types.ts';
import { formatMatcher } from '../routing/matchers.ts';
import { routeAlert } from '../routing/route.ts';
import { closest } from '../util/closest.ts';
import { levelLabels } from '../model/level-labels.ts';
import { ownValue } from '../util/own.ts';

type RouteExpectation = RuleTestModel['routes'][number];

/**
 * The `routes:` expectations of RuleTests hold: an alert level, with its static labels, alertname, severity (unless
 * its severity says `label: false`) and the expectation's labels, reaches exactly the receivers listed, in Alertmanager's order (a receiver reached twice is
 * listed twice). Pure: it uses Vigil's router, which is proven against amtool (src/routing/route.test.ts,
 * src/testing/routing-proof.ts), so a wrong expectation fails at `vigil validate` already.
 */
export const testRoutesCheck: Check = {
  id: 'test/routes',
  description: 'Routing expectations of RuleTests (routes:) name an alert level and the receivers it reaches, in order.',
  severity: 'error',
  dependsOn: ['Routes'],
  run(ctx) {
    const routes = ctx.model.routes;
    const alerts = alertsByName(ctx.model);
    for (const test of ctx.model.ruleTests) {
      for (const expectation of test.routes) {
        const resolved = resolveLevel(expectation, alerts);
        if ('problem' in resolved) {
          ctx.report({ message: `test "${test.name}": ${resolved.problem}`, span: resolved.span, ...(resolved.hint ? { hint: resolved.hint } : {}), ...(alerts.has(expectation.alert) ? {} : { dangling: { namespace: 'alert' as const, name: expectation.alert } }) });
          continue;
        }
        const { alert, level } = resolved;
        if (!routes) {
          ctx.report({ message: `test "${test.name}": no Routes definition to route ${alert.name} through`, span: spanOf(expectation.origin) });
          continue;
        }
        const fixed = levelLabels(alert, level);
        // The level's own labels only: `constructor` or `toString` is a label name a test may give too.
        const conflicts = Object.entries(expectation.labels).filter(([name, value]) => {
          const have = ownValue(fixed, name);
          return have !== undefined && have !== value;
        });
        for (const [name, value] of conflicts) {
          ctx.report({
            message: `test "${test.name}": every ${alert.name} notification carries ${formatMatcher({ label: name, op: '=', value: fixed[name]! })}, so ${formatMatcher({ label: name, op: '=', value })} never occurs`,
            span: spanOf(expectation.origin, 'labels', name),
            hint: name === 'severity' ? 'choose the level with level:' : `remove ${name} from labels`,
          });
        }
        if (conflicts.length > 0) continue;
        const labels = { ...expectation.labels, ...fixed };
        const result = routeAlert(routes, labels);
        if (sameList(result.receivers, expectation.receivers)) continue;
        const extra = Object.keys(expectation.labels)
          .filter((name) => ownValue(fixed, name) === undefined)
          .sort()
          .map((name) => formatMatcher({ label: name, op: '=', value: expectation.labels[name]! }));
        ctx.report({
          message:
            `test "${test.name}": ${alert.name} at ${level.severity}${extra.length > 0 ? ` with {${extra.join(', ')}}` : ''} reaches ` +
            `[${result.receivers.join(', ')}], expected [${expectation.receivers.join(', ')}]`,
          span: spanOf(expectation.origin),
          hint: hintFor(result.receivers, expectation.receivers),
          related: result.deliveries.map((d) => ({
            span: spanOf(d.node.source.origin),
            message: d.receiverFrom === d.node.source ? `delivers to ${d.receiver}` : `delivers to ${d.receiver} (inherited)`,
          })),
        });
      }
    }
  },
};

type Resolved = { alert: AlertModel; level: AlertLevel } | { problem: string; span: ReturnType<typeof spanOf>; hint?: string };

/** The alert and level an expectation names; a level may be left out only for a single-level alert. */
function resolveLevel(expectation: RouteExpectation, alerts: Map<string, AlertModel>): Resolved {
  const alert = alerts.get(expectation.alert);
  if (!alert) {
    const guess = closest(expectation.alert, alerts.keys());
    return { problem: `unknown alert "${expectation.alert}"`, span: spanOf(expectation.origin, 'alert'), ...(guess ? { hint: `did you mean ${guess}?` } : {}) };
  }
  if (!alert.enabled) return { problem: `alert ${alert.name} is disabled: it never fires, so it is never routed`, span: spanOf(expectation.origin, 'alert') };
  const levels = alert.levels.map((l) => l.severity);
  if (expectation.level === undefined) {
    if (levels.length === 1) return { alert, level: alert.levels[0]! };
    return { problem: `alert ${alert.name} has levels ${levels.join(', ')}: say which one is routed`, span: spanOf(expectation.origin), hint: `add level: ${levels[0]}` };
  }
  if (!levels.includes(expectation.level)) {
    return { problem: `alert ${alert.name} has no level ${expectation.level} (it has ${levels.join(', ')})`, span: spanOf(expectation.origin, 'level') };
  }
  return { alert, level: alert.levels[levels.indexOf(expectation.level)]! };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function hintFor(actual: readonly string[], expected: readonly string[]): string {
  const sorted = (l: readonly string[]) => [...l].sort().join('\n');
  if (sorted(actual) === sorted(expected)) return 'the same receivers in another order: Alertmanager notifies in the order of the routes';
  if (new Set(actual).size === new Set(expected).size && [...new Set(actual)].every((r) => expected.includes(r))) {
    return 'a receiver reached by two routes is listed twice, once per route';
  }
  return 'fix the routes, or the expectation if the routing is what you want (generated/docs/routing.md lists what every level reaches)';
}
