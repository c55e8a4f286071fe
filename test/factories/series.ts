/**
 * Input series for promtool: the selector text and values in promtool's expanding notation. `vigil test`'s RuleTests
 * take them as a mapping (selector → values), promtool's own test files as `input_series` entries.
 */

/** `value` held for `steps` more samples: '600x20'. */
export const steady = (value: number, steps: number): string => `${value}x${steps}`;
/** From `start`, `step` added per sample for `steps` more samples: '0+10x30' (a counter's rate). */
export const ramp = (start: number, step: number, steps: number): string => `${start}${step < 0 ? '' : '+'}${step}x${steps}`;
/** Segments one after the other: sequence(steady(1, 4), steady(0, 20)) → '1x4 0x20'. (Not `then`: a module exporting
 * `then` is a thenable, and awaiting its import never settles.) */
export const sequence = (...segments: string[]): string => segments.join(' ');

/** A series selector: selector('up', { job: 'node' }) → 'up{job="node"}'; values are escaped as PromQL strings. */
export function selector(name: string, labels: Record<string, string> = {}): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return pairs.length ? `${name}{${pairs.join(', ')}}` : name;
}

export interface InputSeries {
  series: string;
  values: string;
}

/** One `input_series` entry of a promtool test file. */
export const inputSeries = (name: string, labels: Record<string, string>, values: string): InputSeries => ({ series: selector(name, labels), values });

/** The RuleTests form of several series: selector → values. */
export const seriesMap = (...entries: InputSeries[]): Record<string, string> => Object.fromEntries(entries.map((e) => [e.series, e.values]));
