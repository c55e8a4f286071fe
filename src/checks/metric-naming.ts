import { ownValue } from '../util/own.ts';
import { BUILT_IN_CATALOGUES } from '../catalogues/index.ts';
import type { Span } from '../diagnostics.ts';
import { spanOf, type MetricModel } from '../model/types.ts';
import type { Check, CheckContext } from './check.ts';

interface Unit {
  dimension: 'time' | 'size' | 'ratio' | 'temperature';
  /** The base unit of the dimension, the one Prometheus names use. */
  base: string;
}

const TIME: Unit = { dimension: 'time', base: 'seconds' };
const SIZE: Unit = { dimension: 'size', base: 'bytes' };
const RATIO: Unit = { dimension: 'ratio', base: 'ratio' };
const TEMPERATURE: Unit = { dimension: 'temperature', base: 'celsius' };

/** Unit words, as they appear in names, `unit:` and help text. */
const UNITS: Record<string, Unit> = {
  seconds: TIME, milliseconds: TIME, microseconds: TIME, nanoseconds: TIME, minutes: TIME, hours: TIME, days: TIME,
  bytes: SIZE, kilobytes: SIZE, megabytes: SIZE, gigabytes: SIZE, kibibytes: SIZE, mebibytes: SIZE, gibibytes: SIZE,
  ratio: RATIO, percent: RATIO, percentage: RATIO,
  celsius: TEMPERATURE, fahrenheit: TEMPERATURE,
};
/** Abbreviations: only trusted as a name's last word or a whole `unit:` (`ns` elsewhere may be a namespace). */
const ABBREVIATIONS: Record<string, string> = { s: 'seconds', ms: 'milliseconds', us: 'microseconds', ns: 'nanoseconds', b: 'bytes', kb: 'kilobytes', mb: 'megabytes', gb: 'gigabytes', kib: 'kibibytes', mib: 'mebibytes', gib: 'gibibytes', pct: 'percent', '%': 'percent' };
const RESERVED_SUFFIXES = ['_bucket', '_count', '_sum'];

/** Exporters' own names (DCGM_FI_DEV_GPU_UTIL, node_memory_MemTotal_bytes) are not the project's to rename. */
let thirdParty: Set<string> | undefined;
const isThirdParty = (name: string) => (thirdParty ??= new Set([...BUILT_IN_CATALOGUES.values()].flatMap((c) => c.metrics.map((m) => m.name)))).has(name);

const unitWord = (word: string | undefined, abbreviations: boolean) => {
  if (word === undefined) return undefined;
  const w = word.toLowerCase();
  // The tables' own entries: a metric's word may be `constructor`, which Object.prototype has too.
  return Object.hasOwn(UNITS, w) ? w : abbreviations ? ownValue(ABBREVIATIONS, w) : undefined;
};

/** The unit a name states: its last word, before `_total` for a counter. */
function unitOfName(metric: MetricModel): string | undefined {
  const words = metric.name.replace(/_total$/, '').split('_');
  return unitWord(words.at(-1), true);
}

/** A unit help text states: "… in milliseconds", "(MiB)", "as a percent". */
function unitOfHelp(help: string): { unit: string; text: string } | undefined {
  for (const m of help.matchAll(/\b(?:in|as an?|as)\s+([a-z%]+)(?=[\s.,;:)]|$)|\(([a-z%]+)\)/gi)) {
    const unit = unitWord(m[1] ?? m[2], m[2] !== undefined || m[1] === '%');
    if (unit) return { unit, text: m[0] };
  }
  return undefined;
}

/** Prometheus naming conventions for the catalogue and recording rules (https://prometheus.io/docs/practices/naming/). */
export const metricNamingCheck: Check = {
  id: 'metric/naming',
  description: 'Metric names are snake_case, counters end in _total, units are base units stated as the suffix and agree with unit: and help; recording rules are level:metric:operation.',
  severity: 'error',
  run(ctx) {
    for (const metric of ctx.model.metrics) {
      if (isThirdParty(metric.name)) continue;
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
      checkUnits(ctx, metric, span);
    }
    for (const group of ctx.model.groups) {
      for (const rule of group.rules) checkRecordName(ctx, rule.record, spanOf(rule.origin, 'record'), rule.expr);
    }
  },
};

function checkUnits(ctx: CheckContext, metric: MetricModel, span: Span): void {
  const name = metric.name;
  const named = unitOfName(metric);
  const words = name.split('_');
  for (const word of words) {
    const unit = unitWord(word, word === words.at(-1) || (word === words.at(-2) && name.endsWith('_total')));
    if (unit && UNITS[unit]!.base !== unit) {
      ctx.report({ severity: 'warning', message: `metric "${name}" uses the unit "${word}"`, span, hint: `Prometheus metrics use base units: ${UNITS[unit]!.base}${UNITS[unit]!.base === 'ratio' ? ' (0–1)' : ''}` });
    }
  }
  const declared = metric.unit === undefined ? undefined : unitWord(metric.unit.trim(), true);
  const counter = metric.type === 'counter' ? '_total' : '';
  if (declared && named && declared !== named) {
    ctx.report({
      message: `metric "${name}" is in ${named} by its name, but its unit is "${metric.unit}"`,
      span: spanOf(metric.origin, 'unit'),
      hint: `one of them is wrong: ${UNITS[declared]!.dimension === UNITS[named]!.dimension ? `record the value in ${UNITS[named]!.base} and write unit: ${UNITS[named]!.base}` : 'they are not even the same kind of quantity'}`,
    });
  } else if (declared && !named && UNITS[declared]!.base === declared) {
    const base = name.replace(/_total$/, '');
    ctx.report({ message: `metric "${name}" is in ${declared} (its unit) but its name does not say so`, span, hint: `Prometheus names end in their unit: rename it to "${base}_${declared}${counter}"` });
  }
  const helped = unitOfHelp(metric.help);
  if (helped && named && helped.unit !== named && UNITS[helped.unit]!.dimension === UNITS[named]!.dimension) {
    ctx.report({
      message: `metric "${name}" is in ${named} by its name, but its help says "${helped.text}"`,
      span: spanOf(metric.origin, 'help'),
      hint: `expose the value in ${UNITS[named]!.base} and say so in the help, or fix the help text`,
    });
  } else if (helped && !named && !declared && UNITS[helped.unit]!.base === helped.unit) {
    const base = name.replace(/_total$/, '');
    ctx.report({ message: `metric "${name}" is in ${helped.unit} (its help says "${helped.text}") but its name does not say so`, span, hint: `Prometheus names end in their unit: rename it to "${base}_${helped.unit}${counter}"` });
  }
}

const COUNTER_FUNCTIONS = /\b(?:rate|irate|increase)\s*\(/;

function checkRecordName(ctx: CheckContext, record: string, span: Span, expression: string): void {
  // Prometheus' convention is level:metric:operations; a missing level (`:node_memory:sum`, no labels kept) and a
  // missing operation (`apiserver_request:burnrate1h`) are common in mixins and pass.
  const parts = record.split(':');
  if (parts.length === 1) {
    ctx.report({ message: `recording rule "${record}" does not follow level:metric:operation`, span, hint: 'e.g. "service:inference_requests:rate5m" — the labels kept, the metric, the operations applied' });
    return;
  }
  if (parts.length > 3) {
    ctx.report({
      severity: 'warning',
      message: `recording rule "${record}" has ${parts.length - 1} colons: level:metric:operations has two`,
      span,
      hint: 'join the labels kept, or the operations, with underscores: e.g. "tenant:api_calls:avg_over_time1d_rate5m"',
    });
    return;
  }
  if (parts.some((p, i) => p === '' && !(i === 0 && parts.length === 3))) {
    ctx.report({
      severity: 'warning',
      message: `recording rule "${record}" leaves its ${parts.length === 3 && parts[1] === '' ? 'metric' : parts.at(-1) === '' ? 'operations' : 'metric'} part empty: only the level of level:metric:operations may be`,
      span,
      hint: 'e.g. "service:inference_requests:rate5m", or ":inference_requests:sum" when no label is kept',
    });
    return;
  }
  const metric = parts.length === 3 ? parts[1]! : parts[0]!;
  if (parts.length === 3 && metric.endsWith('_total') && COUNTER_FUNCTIONS.test(expression)) {
    ctx.report({
      severity: 'warning',
      message: `recording rule "${record}" keeps _total in its metric part although it records a rate`,
      span,
      hint: `a rate is not a total: name it "${parts[0]}:${metric.slice(0, -'_total'.length)}:${parts[2]}"`,
    });
  }
}
