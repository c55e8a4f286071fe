import type { AlertLevel } from '../model/types.ts';
import { parseDuration } from '../util/duration.ts';
import type { Check } from './check.ts';
import { severityRank } from '../model/severity-rank.ts';

const RISING = new Set(['>', '>=']);
const FALLING = new Set(['<', '<=']);

/**
 * With `>` a more severe level needs a higher value (critical 95 above warning 85); with `<` a lower one. Otherwise the
 * less severe level could never fire alone, or the more severe one would fire first.
 */
export const thresholdOrderCheck: Check = {
  id: 'threshold/order',
  description: 'Multi-level thresholds use one comparison direction and get stricter as severity rises.',
  severity: 'error',
  run() {},
  // Each alert on its own (its levels, the severities): per file.
  perFile(ctx, file) {
    const rank = severityRank(ctx.model);
    for (const group of file.groups) {
      for (const alert of group.alerts) {
        const levels = alert.levels.filter((l) => l.op !== undefined && rank.declares(l.severity));
        if (levels.length < 2) continue;
        const sorted = rank.sortLevels(levels);
        // The directions the levels compare in, without a list of them per alert.
        let rising = false;
        let falling = false;
        let neither = false;
        for (const l of sorted) {
          if (RISING.has(l.op!)) rising = true;
          else if (FALLING.has(l.op!)) falling = true;
          else neither = true;
        }
        if (neither || (rising && falling)) {
          const bad = sorted.find((l) => l.op !== sorted[0]!.op) ?? sorted[0]!;
          ctx.report({
            message: `alert ${alert.name}: levels mix comparison operators (${sorted.map((l) => `${l.severity} ${l.op}`).join(', ')})`,
            span: opSpan(bad),
            hint: 'multi-level thresholds must all use > / >= or all use < / <=; use a single-level alert for == or !=',
          });
          continue;
        }
        const up = rising;
        for (let i = 1; i < sorted.length; i++) {
          const stricter = sorted[i - 1]!;
          const looser = sorted[i]!;
          const ordered = up ? stricter.value! > looser.value! : stricter.value! < looser.value!;
          if (!ordered) {
            ctx.report({
              message: `alert ${alert.name}: ${stricter.severity} threshold ${stricter.op} ${stricter.value} is not ${up ? 'above' : 'below'} ${looser.severity} threshold ${looser.op} ${looser.value}`,
              span: valueSpan(stricter),
              hint: `a more severe level must be ${up ? 'higher' : 'lower'}; swap the values or the level names`,
              related: [{ span: valueSpan(looser), message: `${looser.severity} level` }],
            });
          } else if (parseDuration(stricter.for ?? '0s') > parseDuration(looser.for ?? '0s')) {
            ctx.report({
              severity: 'warning',
              message: `alert ${alert.name}: ${stricter.severity} waits longer (for: ${stricter.for}) than ${looser.severity} (for: ${looser.for ?? '0s'})`,
              span: forSpan(stricter),
              hint: 'usually the more severe level should fire at least as fast; ignore if intended',
            });
          }
        }
      }
    }
  },
};

const opSpan = (l: AlertLevel) => l.origin.def.locate([...l.origin.path, 'op']);
const valueSpan = (l: AlertLevel) => l.origin.def.locate([...l.origin.path, 'value']);
const forSpan = (l: AlertLevel) => l.origin.def.locate([...l.origin.path, 'for']);
