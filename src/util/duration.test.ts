import { describe, expect, it } from 'vitest';
import { durationProblem, parseDuration } from './duration.ts';

// The limits are cross-checked against the real promtool and amtool in test/security/durations.test.ts.
describe('parseDuration / durationProblem: prometheus/common model.ParseDuration', () => {
  it.each([
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1y1w1d1h1m1s1ms', 31_536_000_000 + 604_800_000 + 86_400_000 + 3_600_000 + 60_000 + 1000 + 1],
    ['0s', 0],
    ['292y', 292 * 31_536_000_000],
    ['9223372036854ms', 9_223_372_036_854],
  ])('%s is %d ms', (text, ms) => {
    expect(durationProblem(text)).toBeUndefined();
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['293y', 'duration out of range'],
    ['9223372036855ms', 'duration out of range'],
    ['292y24w3d23h47m16s855ms', 'duration out of range'],
    ['292y1000w', 'duration out of range'],
    ['99999999999999999999999y', 'duration out of range'],
    ['30m1h', 'not a valid duration string: "30m1h"'],
    ['1m1m', 'not a valid duration string: "1m1m"'],
    ['5', 'not a valid duration string: "5"'],
    ['1.5h', 'not a valid duration string: "1.5h"'],
    ['', 'empty duration string'],
  ])('%s: %s', (text, problem) => {
    expect(durationProblem(text)).toBe(problem);
    expect(parseDuration(text)).toBeNaN();
  });
});

describe('durations read again', () => {
  it('gives each text its own answer, read a second time and past the bound of remembered texts', () => {
    // 6,000 distinct texts (more than are remembered), then the first ones again, interleaved with invalid ones.
    const texts = Array.from({ length: 6000 }, (_, i) => (i % 3 === 0 ? `${i}x` : `${i}m${i % 60}s`));
    const expected = (t: string) => (t.endsWith('x') ? NaN : Number(t.split('m')[0]) * 60_000 + Number(t.split('m')[1]!.slice(0, -1)) * 1000);
    for (const round of [1, 2]) {
      for (const t of texts) expect(parseDuration(t), `${t}, round ${round}`).toEqual(expected(t));
    }
    expect(durationProblem('7x')).toBe('not a valid duration string: "7x"');
  });
});
