// ruleLabels and levelLabels make one object for the common level (no labels of its own, no severity written on the
// alert) instead of three or four: the same keys in the same order, values and prototype as the general spreads,
// kept here as the reference, over random labels with `__proto__`, `severity`, `alertname`, integer-like and CJK keys.
import { describe, expect, it } from 'vitest';
import { levelLabels, ruleLabels, type LevelOrSeverity } from './level-labels.ts';

function referenceRuleLabels(alert: { labels: Record<string, string> }, level: LevelOrSeverity): Record<string, string> {
  if (typeof level === 'string') return { ...alert.labels, severity: level };
  const { severity: _written, ...labels } = { ...alert.labels, ...level.labels };
  return !level.withoutSeverityLabel ? { ...labels, severity: level.severity } : labels;
}

const referenceLevelLabels = (alert: { name: string; labels: Record<string, string> }, level: LevelOrSeverity) => ({ ...referenceRuleLabels(alert, level), alertname: alert.name });

function random(seed: number) {
  let s = seed >>> 0 || 1;
  return () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
}

const KEYS: PropertyKey[] = ['team', 'service', 'severity', 'alertname', '__proto__', 'constructor', '0', '10', '告警', 'a: b', 'x\ny', Symbol.for('vigil')];
const VALUES = ['bench', 'critical', '', '{{ $labels.x }}', '"q"', '# c', '告警'];

function labels(rand: () => number): Record<string, string> {
  const out: Record<string, string> = rand() < 0.2 ? Object.create(null) : {};
  const n = Math.floor(rand() * 5);
  for (let i = 0; i < n; i++) {
    Object.defineProperty(out, KEYS[Math.floor(rand() * KEYS.length)]!, { value: VALUES[Math.floor(rand() * VALUES.length)]!, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Everything an object shows: own keys in order with their values, and its prototype. */
const shape = (o: object) => ({ entries: Reflect.ownKeys(o).map((k) => [k, (o as Record<PropertyKey, unknown>)[k]]), proto: Object.getPrototypeOf(o) });

describe('level labels', () => {
  it('one object for the common level, the same as the general spreads (5,000 random alerts and levels)', () => {
    const rand = random(3);
    for (let n = 0; n < 5000; n++) {
      const alert = { name: rand() < 0.5 ? 'HighErrors' : '告警', labels: labels(rand) };
      const r = rand();
      const level: LevelOrSeverity =
        r < 0.2 ? 'warning' : { severity: rand() < 0.5 ? 'critical' : 'page', labels: r < 0.5 ? undefined : r < 0.7 ? {} : labels(rand), withoutSeverityLabel: rand() < 0.2 ? true : undefined };
      expect(shape(ruleLabels(alert, level))).toEqual(shape(referenceRuleLabels(alert, level)));
      expect(shape(levelLabels(alert, level))).toEqual(shape(referenceLevelLabels(alert, level)));
    }
  });
});
