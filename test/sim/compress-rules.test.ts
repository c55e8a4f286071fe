import { describe, expect, it } from 'vitest';
import { compressExpr, compressRuleFile, formatDuration } from './compress-rules.ts';

describe('time compression of rule files', () => {
  it('divides ranges, subqueries and offsets, and leaves numbers and thresholds alone', () => {
    expect(compressExpr('rate(x_total[5m]) > 300', 60)).toBe('rate(x_total[5s]) > 300');
    expect(compressExpr('avg_over_time(r[1d] offset 1h) and predict_linear(a[6h], 24 * 3600) < 0', 60)).toBe('avg_over_time(r[24m] offset 1m) and predict_linear(a[6m], 24 * 3600) < 0');
    expect(compressExpr('max_over_time(rate(x[5m])[1h:1m]) offset -2h', 60)).toBe('max_over_time(rate(x[5s])[1m:1s]) offset -2m');
    expect(compressExpr('increase(x[1h30m])', 60)).toBe('increase(x[90s])');
    expect(compressExpr('rate(x[90s])', 60)).toBe('rate(x[1500ms])');
  });

  it('writes whole milliseconds in the largest unit that divides them', () => {
    expect([formatDuration(60_000), formatDuration(5_000), formatDuration(1_500), formatDuration(0.2)]).toEqual(['1m', '5s', '1500ms', '1ms']);
  });

  it('shortens for and keep_firing_for to the hold and drops group intervals', () => {
    const out = compressRuleFile(
      'groups:\n  - name: g\n    interval: 2m\n    rules:\n      - alert: A\n        expr: rate(x[15m]) > 0\n        for: 2h\n        keep_firing_for: 5m\n      - record: r\n        expr: sum(rate(x[5m]))\n',
      { factor: 60, hold: '2s' },
    );
    expect(out).toBe('groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(x[15s]) > 0\n        for: 2s\n        keep_firing_for: 2s\n      - record: r\n        expr: sum(rate(x[5s]))\n');
  });
});
