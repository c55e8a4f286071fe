import { describe, expect, it } from 'vitest';
import { matches, parseMatcher } from '../model/matchers.ts';
import { formatMatcher, matchesAll, parseAlertmanagerMatcher, parseAlertmanagerMatchers, quoteMatcherValue } from './matchers.ts';

describe('formatMatcher', () => {
  it.each([
    ['severity="critical"', 'severity="critical"'],
    ['severity=critical', 'severity="critical"'],
    ['  team =~ "ml|infra" ', 'team=~"ml|infra"'],
    ['service!=test', 'service!="test"'],
    ['env!~"dev|test"', 'env!~"dev|test"'],
    ['path="a,b"', 'path="a,b"'],
    ['q="say \\"hi\\""', 'q="say \\"hi\\""'],
    ['r=~"db\\\\d+"', 'r=~"db\\\\d+"'],
    ['e=""', 'e=""'],
  ])('%s → %s', (text, expected) => {
    const m = parseMatcher(text);
    if ('error' in m) throw new Error(m.error);
    expect(formatMatcher(m)).toBe(expected);
  });

  it.each(['plain', 'a,b', 'say "hi"', 'back\\slash', 'two\\\\', 'new\nline', '{x}', '机器学习', 'on', '', 'trailing\\'])(
    'round-trips %j through Alertmanager parsing',
    (value) => {
      for (const op of ['=', '!=', '=~', '!~'] as const) {
        const text = formatMatcher({ label: 'l', op, value: op.includes('~') ? value.replace(/[\\{}]/g, '\\$&') : value });
        const parsed = parseAlertmanagerMatchers(text);
        expect(parsed).toHaveLength(1);
        expect(parsed[0]).toEqual({ label: 'l', op, value: op.includes('~') ? value.replace(/[\\{}]/g, '\\$&') : value });
      }
    },
  );

  it('quotes only what Alertmanager unescapes', () => {
    expect(quoteMatcherValue('a\tb')).toBe('"a\tb"');
    expect(quoteMatcherValue('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
  });
});

describe('parseAlertmanagerMatchers (Alertmanager 0.25 semantics)', () => {
  it('splits on commas outside quotes and strips braces', () => {
    expect(parseAlertmanagerMatchers('{a="1,2", b=~"x|y",c!=3}')).toEqual([
      { label: 'a', op: '=', value: '1,2' },
      { label: 'b', op: '=~', value: 'x|y' },
      { label: 'c', op: '!=', value: '3' },
    ]);
  });
  it('keeps a spurious escape literally, as Go does', () => {
    expect(parseAlertmanagerMatcher('a=~"\\d+"')).toEqual({ label: 'a', op: '=~', value: '\\d+' });
  });
  it('rejects an unescaped quote', () => {
    expect(() => parseAlertmanagerMatcher('a="x"y"')).toThrow(/unescaped double quote/);
  });
});

describe('matchesAll', () => {
  const m = (text: string) => {
    const p = parseMatcher(text);
    if ('error' in p) throw new Error(p.error);
    return p;
  };
  it('treats a missing label as the empty string', () => {
    expect(matchesAll([m('x=""')], {})).toBe(true);
    expect(matchesAll([m('x!=""')], {})).toBe(false);
    expect(matchesAll([m('x=~".*"')], {})).toBe(true);
    expect(matchesAll([m('x=~".+"')], {})).toBe(false);
  });
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])('reads a label named %s only from the set itself (not its prototype)', (name) => {
    expect(matchesAll([m(`${name}=""`)], {})).toBe(true);
    expect(matchesAll([m(`${name}!=""`)], {})).toBe(false);
    expect(matchesAll([m(`${name}=~".+"`)], {})).toBe(false);
    expect(matchesAll([m(`${name}!~".*"`)], {})).toBe(false);
    const own = JSON.parse(`{"${name}": "x"}`) as Record<string, string>;
    expect(matchesAll([m(`${name}="x"`)], own)).toBe(true);
    expect(matchesAll([m(`${name}=""`)], own)).toBe(false);
  });
  it('anchors regexes on both ends', () => {
    expect(matchesAll([m('x=~"warn"')], { x: 'warning' })).toBe(false);
    expect(matchesAll([m('x=~"warn|crit"')], { x: 'xcrit' })).toBe(false);
    expect(matchesAll([m('x!~"warn"')], { x: 'warning' })).toBe(true);
  });
  it('needs every matcher', () => {
    expect(matchesAll([m('a="1"'), m('b="2"')], { a: '1', b: '2' })).toBe(true);
    expect(matchesAll([m('a="1"'), m('b="2"')], { a: '1' })).toBe(false);
    expect(matchesAll([], {})).toBe(true);
  });
});

describe('regex matchers with RE2 inline flags', () => {
  it('reads (?i) as case-insensitive, as Alertmanager does', () => {
    const m = parseMatcher('team=~"(?i)ML.*"');
    expect('error' in m).toBe(false);
    expect(matches(m as { label: string; op: string; value: string }, { team: 'ml-platform' })).toBe(true);
    expect(matches(m as { label: string; op: string; value: string }, { team: 'infra' })).toBe(false);
  });
});
