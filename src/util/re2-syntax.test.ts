import { describe, expect, it } from 'vitest';
import { anchoredRe2SyntaxError, prometheusMatcherRegexError, re2SyntaxError } from './re2-syntax.ts';

// The verdicts are cross-checked against the real promtool and amtool in test/security/re2.test.ts; these pin the
// wording (Go's) and the offsets a diagnostic points at.
describe('re2SyntaxError: Go regexp/syntax wording and the offending text', () => {
  it.each([
    ['((', 'missing closing ): `((`', 1, 2],
    ['a)', 'unexpected ): `a)`', 1, 2],
    ['\\1', 'invalid escape sequence: `\\1`', 0, 2],
    ['ab(c)\\2', 'invalid escape sequence: `\\2`', 5, 7],
    ['\\Z', 'invalid escape sequence: `\\Z`', 0, 2],
    ['\\C', 'invalid escape sequence: `\\C`', 0, 2],
    ['x(?!y)', 'invalid or unsupported Perl syntax: `(?!`', 1, 4],
    ['(?<=y)', 'invalid or unsupported Perl syntax: `(?<`', 0, 3],
    ['(?i-m-s)', 'invalid or unsupported Perl syntax: `(?i-m-`', 0, 6],
    ['(?P<a-b>x)', 'invalid named capture: `(?P<a-b>`', 0, 8],
    ['a++', 'invalid nested repetition operator: `++`', 1, 3],
    ['x{2}{3}', 'invalid nested repetition operator: `{2}{3}`', 1, 7],
    ['*a', 'missing argument to repetition operator: `*`', 0, 1],
    ['a|+', 'missing argument to repetition operator: `+`', 2, 3],
    ['x{1001}', 'invalid repeat count: `{1001}`', 1, 7],
    ['x{3,2}', 'invalid repeat count: `{3,2}`', 1, 6],
    ['(x{10}){101}', 'invalid repeat count: `{101}`', 7, 12],
    ['[z-a]', 'invalid character class range: `z-a`', 1, 4],
    ['[[:word:][:nope:]]', 'invalid character class range: `[:nope:]`', 9, 17],
    ['\\p{Klingon}', 'invalid character class range: `\\p{Klingon}`', 0, 11],
    ['[abc', 'missing closing ]: `[abc`', 0, 4],
    ['abc\\', 'trailing backslash at end of expression', 3, 4],
    ['a\uD800b', 'invalid UTF-8: `\uD800`', 1, 2],
  ] as const)('%s', (pattern, message, offset, end) => {
    const error = re2SyntaxError(pattern);
    expect(error?.message.slice(0, 80)).toBe(message.slice(0, 80));
    expect([error?.offset, error?.end]).toEqual([offset, end]);
  });

  it.each([
    'a', '', 'a|', '|', '()', '(?:)', '(?)', '(?i)a(?-i)b', '(?P<name_1>x)', '(?P<n>x)(?P<n>y)', '\\pL\\PN\\p{Han}\\p{^Greek}\\p{Any}',
    '[[:alpha:][:^space:]]', '[]a]', '[^]a]', '[a-]', '\\Q*+?\\E', '\\Qno end', '\\x{10FFFF}\\x41\\101\\0\\12', '\\_\\.\\-', '^*$*\\b*',
    'a{', 'a{1', 'a{,2}', 'a{01}', 'x{1000}', '(x{10}){100}', 'a*?b+?c??d{2}?', 'a(?i)*',
  ])('accepts %s', (pattern) => {
    expect(re2SyntaxError(pattern)).toBeUndefined();
  });

  it('limits the nesting to the height Go allows (1000), with a short message', () => {
    expect(re2SyntaxError(nestedGroups(998))).toBeUndefined();
    expect(re2SyntaxError(nestedGroups(1000))).toEqual({
      message: 'expression nests too deeply: `((((((((((((((((((((((((((((((((((((((((…))))))))))`',
      offset: 0,
      end: 2001,
    });
  });
});

describe('the anchoring Prometheus and Alertmanager add, ^(?:…)$', () => {
  it('decides validity where it changes the grouping', () => {
    // `a)(b` closes the anchoring group early: Go compiles ^(?:a)(b)$ happily.
    expect(anchoredRe2SyntaxError('a)(b')).toBeUndefined();
    // \Q quotes the anchoring's own `)$`.
    expect(anchoredRe2SyntaxError('\\Qabc')?.message).toMatch(/^missing closing \)/);
    expect(re2SyntaxError('\\Qabc')).toBeUndefined();
  });

  it("keeps the user's offsets and wording", () => {
    expect(anchoredRe2SyntaxError('ab(c')).toEqual({ message: 'missing closing ): `ab(c`', offset: 2, end: 4 });
    expect(anchoredRe2SyntaxError('ab)')).toEqual({ message: 'unexpected ): `)`', offset: 2, end: 3 });
    expect(anchoredRe2SyntaxError('ab\\')).toMatchObject({ message: 'trailing backslash at end of expression', offset: 2 });
    expect(anchoredRe2SyntaxError('x|(?!y)')).toEqual({ message: 'invalid or unsupported Perl syntax: `(?!`', offset: 2, end: 5 });
    expect(anchoredRe2SyntaxError('[a')).toMatchObject({ message: 'missing closing ]: `[a)$`', offset: 0 });
  });

  it('PromQL matchers must also parse alone (Prometheus 2.42 parses the bare pattern to optimise it)', () => {
    expect(prometheusMatcherRegexError('a)(b')).toMatchObject({ message: 'unexpected ): `a)(b`', offset: 1 });
    expect(prometheusMatcherRegexError('(?P<n>x)|y')).toBeUndefined();
  });
});

describe('bounded work on hostile patterns', () => {
  it.each([
    ['100,000 open parentheses', '('.repeat(100_000)],
    ['100,000 alternatives', 'a|'.repeat(100_000)],
    ['a 100,000-rune class', `[${'a'.repeat(100_000)}`],
    ['10,000 counted repeats', '(?:a{1000})'.repeat(10_000)],
  ])('%s ends quickly, with an error or without', (_, pattern) => {
    const started = Date.now();
    re2SyntaxError(pattern);
    anchoredRe2SyntaxError(pattern);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

function nestedGroups(depth: number): string {
  return `${'('.repeat(depth)}a${')'.repeat(depth)}`;
}
