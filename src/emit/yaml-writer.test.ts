import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { isPlainSafe, listItems, toYaml } from './yaml-writer.ts';

/** Go's yaml.v2 reads YAML 1.1; read every output both ways. */
const readBack = (text: string) => [parse(text, { version: '1.1' }), parse(text)];

const NASTY = [
  'on', 'off', 'yes', 'No', 'y', 'NULL', '~', '', ' ', ' lead', 'trail ', '1', '1.5', '0x1f', '0o17', '017', '1_000', '1:30', '.inf', '-.Inf', '.nan',
  '2024-01-01', 'a: b', 'a:', 'a #b', '#x', '- x', '? x', ': x', '{{ $labels.job }}', 'x {{ $value }}%', '[x]', '{x}', '*x', '&x', '!x', '|x', '>x',
  "'x'", '"x"', '%x', '@x', '`x`', 'tab\there', 'line\nbreak', 'ends\n', '\nstarts', 'trailing \nspace', 'multi\n\nblank', 'carriage\r\nreturn',
  'sum by (a) (rate(x[5m]))\n  > 0.5', 'unicode 告警 ✓', 'ls\u2028sep', 'nel\u0085x', 'ctrl\u0001x', 'severity="critical"', 'team=~"a|b"', 'http://x:9093/a?b=c',
  '=', '<<', '-', '--', '---', '...', '-1', '+1', '1e5', '1E-3', 'e5', '12:00:00', 'true ', 'TRUE', 'True',
];

describe('toYaml', () => {
  it.each(NASTY)('round-trips %j as a string under YAML 1.1 and 1.2', (s) => {
    const data = { key: s, list: [s, { inner: s }], [s || 'empty']: 1 };
    for (const back of readBack(toYaml(data))) expect(back).toEqual(data);
  });

  it('round-trips nested structures, numbers, booleans, null and empty collections', () => {
    const data = {
      groups: [{ name: 'g', interval: '30s', rules: [{ alert: 'A', expr: 'up == 0\nor vector(1)', for: '5m', labels: { severity: 'critical' }, annotations: {} }] }],
      numbers: [0, -1, 1.5, 1e21, 123456789],
      flags: [true, false, null],
      empty: [],
      nested: [[1, 2], []],
    };
    for (const back of readBack(toYaml(data))) expect(back).toEqual(data);
  });

  it('writes plain scalars where safe and block literals for multi-line text', () => {
    expect(toYaml({ a: 'GPU at {{ $value | humanize }}% on {{ $labels.instance }}', b: 'x\ny' })).toBe(
      'a: GPU at {{ $value | humanize }}% on {{ $labels.instance }}\nb: |-\n  x\n  y\n',
    );
    expect(toYaml({ list: [{ a: 1, b: 2 }] })).toBe('list:\n  - a: 1\n    b: 2\n');
    expect(isPlainSafe('on')).toBe(false);
    expect(isPlainSafe('severity="critical"')).toBe(true);
  });

  it('round-trips random strings', () => {
    const alphabet = ['a', ' ', ':', '#', '-', '\n', '"', "'", '{', '}', '|', '>', '\\', '1', '.', 'é', '\t', '?', ','];
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(rand() * 12);
      const s = Array.from({ length: len }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
      const data = { v: s, l: [s] };
      for (const back of readBack(toYaml(data))) expect(back, JSON.stringify(s)).toEqual(data);
    }
  });

  it('copies items written before into a list as the list would write them, and refuses another indent', () => {
    const items = [{ source_matchers: ['alertname="A"', 'severity="critical"'], equal: ['instance'] }, { note: 'a: b', lines: 'x\ny' }, 'plain', []];
    const later = [{ z: 1 }];
    const whole = toYaml({ first: true, list: [...items, ...later] });
    expect(toYaml({ first: true, list: [listItems(items.slice(0, 2), '  '), listItems([], '  '), listItems(items.slice(2), '  '), ...later] })).toBe(whole);
    expect(() => toYaml({ list: [listItems(items, '')] })).toThrow(/indent/);
  });
});
