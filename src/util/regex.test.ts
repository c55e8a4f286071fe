import { describe, expect, it } from 'vitest';
import { prometheusRegex } from './regex.ts';

// test/security/re2.test.ts checks every valid pattern of its table against the real Prometheus on 41 label values;
// these pin the translation's policy.
describe('prometheusRegex: RE2 evaluated in JavaScript, anchored', () => {
  it.each([
    ['(?P<name>x)|y', 'y', true],
    ['(?P<n>a)(?P<n>b)', 'ab', true],
    ['\\pL+', 'é', true],
    ['\\p{Greek}', 'a', false],
    ['[[:^digit:]]', '7', false],
    ['\\Qa.b\\E', 'axb', false],
    ['.', '\r', true],
    ['.', '\n', false],
    ['(?s).', '\n', true],
    ['\\s', '\v', false],
    ['(?m)a$\\nb', 'a\nb', true],
    ['1(?i)a', '1A', true],
    ['a{', 'a{', true],
    ['^*a', 'a', true],
    ['a*(?i)*', 'aaa', true],
    ['a)(b', 'ab', true],
  ] as const)('%s on %j: %s', (pattern, value, expected) => {
    expect(prometheusRegex(pattern)?.test(value)).toBe(expected);
  });

  it('keeps capture groups numbered as RE2 does, and unique names for label_replace', () => {
    const m = prometheusRegex('(?P<host>[^:]+):(\\d+)')!.exec('db:5432')!;
    expect([m[1], m[2], m.groups?.host]).toEqual(['db', '5432', 'db']);
    expect(prometheusRegex('(?P<n>a)|(?P<n>b)')!.exec('b')![2]).toBe('b');
  });

  it('is undefined for invalid RE2, even when JavaScript could read it', () => {
    for (const p of ['(?=a)a', '(a)\\1', 'a++', '(?<n>a)']) expect(prometheusRegex(p)).toBeUndefined();
  });

  it('is undefined only where case-insensitivity changes mid-pattern', () => {
    expect(prometheusRegex('a(?i)b')).toBeUndefined();
    expect(prometheusRegex('(?i)ab')?.test('AB')).toBe(true);
  });
});
