import { spanOf } from '../model/types.ts';
import type { Check } from './check.ts';

const NON_BASE_UNITS: Record<string, string> = {
  milliseconds: 'seconds',
  microseconds: 'seconds',
  nanoseconds: 'seconds',
  minutes: 'seconds',
  hours: 'seconds',
  kilobytes: 'bytes',
  megabytes: 'bytes',
  gigabytes: 'bytes',
  percent: 'ratio (0–1)',
};
const RESERVED_SUFFIXES = ['_bucket', '_count', '_sum'];

/** Prometheus naming conventions for the catalogue and recording rules (https://prometheus.io/docs/practices/naming/). */
export const metricNamingCheck: Check = {
  id: 'metric/naming',
  description: 'Metric names are snake_case, counters end in _total, units are base units; recording rules are level:metric:operation.',
  severity: 'error',
  run(ctx) {
    for (const metric of ctx.model.metrics) {
      const span = spanOf(metric.origin, 'name');
      const name = metric.name;
      if (!/^[a-z_][a-z0-9_]*$/.test(name) || name.includes('__')) {
        ctx.report({ message: `metric "${name}" is not snake_case`, span, hint: 'use lower-case words joined by single underscores; colons are reserved for recording rules' });
        continue;
      }
      if (metric.type === 'counter' && !name.endsWith('_total')) {
        ctx.report({ message: `counter "${name}" does not end in _total`, span, hint: `rename it to "${name}_total"` });
      }
      if (metric.type !== 'counter' && name.endsWith('_total')) {
        ctx.report({ message: `${metric.type} "${name}" ends in _total, which marks counters`, span, hint: 'drop the suffix, or make it a counter if it only goes up' });
      }
      for (const suffix of RESERVED_SUFFIXES) {
        if (name.endsWith(suffix) && (metric.type === 'histogram' || metric.type === 'summary')) {
          ctx.report({ message: `${metric.type} "${name}" is catalogued with its series suffix ${suffix}`, span, hint: `catalogue the base name "${name.slice(0, -suffix.length)}"; Vigil knows its _bucket/_sum/_count series` });
        }
      }
      for (const [unit, base] of Object.entries(NON_BASE_UNITS)) {
        if (name.split('_').includes(unit)) {
          ctx.report({ severity: 'warning', message: `metric "${name}" uses the unit "${unit}"`, span, hint: `Prometheus metrics use base units: ${base}` });
        }
      }
    }
    for (const group of ctx.model.groups) {
      for (const rule of group.rules) {
        // Any colon marks Prometheus' convention: `:metric:sum` (no labels kept) and `level:metric` are common in mixins.
        if (rule.record.includes(':')) continue;
        ctx.report({
          message: `recording rule "${rule.record}" does not follow level:metric:operation`,
          span: spanOf(rule.origin, 'record'),
          hint: 'e.g. "service:inference_requests:rate5m" — the labels kept, the metric, the operations applied',
        });
      }
    }
  },
};
