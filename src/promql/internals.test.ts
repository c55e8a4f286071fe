import { describe, expect, it } from 'vitest';
import { AGGREGATIONS, arityOf, FUNCTIONS } from './functions.ts';
import { sameMap } from '../../test/helpers/v8-shapes.ts';
import { applyReplacements, composeMaps, IDENTITY_MAP } from './offsets.ts';
import { rewriteUnknownCalls } from './prepare.ts';
import { checkBrackets, scan } from './scanner.ts';
import { unquote, unquotedValue } from './strings.ts';
import { closestName, editDistance } from './suggest.ts';

describe('function table', () => {
  // Prometheus 2.42's promql/parser/functions.go.
  const PROMETHEUS_2_42 = [
    'abs', 'absent', 'absent_over_time', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'avg_over_time', 'ceil',
    'changes', 'clamp', 'clamp_max', 'clamp_min', 'cos', 'cosh', 'count_over_time', 'day_of_month', 'day_of_week',
    'day_of_year', 'days_in_month', 'deg', 'delta', 'deriv', 'exp', 'floor', 'histogram_count', 'histogram_fraction',
    'histogram_quantile', 'histogram_sum', 'holt_winters', 'hour', 'idelta', 'increase', 'irate', 'label_join',
    'label_replace', 'last_over_time', 'ln', 'log10', 'log2', 'max_over_time', 'min_over_time', 'minute', 'month', 'pi',
    'predict_linear', 'present_over_time', 'quantile_over_time', 'rad', 'rate', 'resets', 'round', 'scalar', 'sgn', 'sin',
    'sinh', 'sort', 'sort_desc', 'sqrt', 'stddev_over_time', 'stdvar_over_time', 'sum_over_time', 'tan', 'tanh', 'time',
    'timestamp', 'vector', 'year',
  ];

  it('has exactly the functions of Prometheus 2.42', () => {
    expect([...FUNCTIONS.keys()].sort()).toEqual([...PROMETHEUS_2_42].sort());
  });

  it.each<[string, { min: number; max: number }]>([
    ['rate', { min: 1, max: 1 }],
    ['time', { min: 0, max: 0 }],
    ['hour', { min: 0, max: 1 }],
    ['round', { min: 1, max: 2 }],
    ['label_join', { min: 3, max: Infinity }],
    ['label_replace', { min: 5, max: 5 }],
    ['holt_winters', { min: 3, max: 3 }],
    ['histogram_fraction', { min: 3, max: 3 }],
  ])('arity of %s', (name, arity) => {
    expect(arityOf(FUNCTIONS.get(name)!)).toEqual(arity);
  });

  it('has the aggregations of Prometheus 2.42 with their parameter types', () => {
    expect(Object.fromEntries([...AGGREGATIONS].map(([k, v]) => [k, v.param ?? null]))).toEqual({
      avg: null, bottomk: 'scalar', count: null, count_values: 'string', group: null, max: null, min: null,
      quantile: 'scalar', stddev: null, stdvar: null, sum: null, topk: 'scalar',
    });
  });
});

describe('offset maps', () => {
  it('maps starts and ends around, inside and after replacements', () => {
    const { text, map } = applyReplacements('ab$VARcd$Xe', [
      { start: 2, end: 6, text: '1' },
      { start: 8, end: 10, text: 'xyz' },
    ]);
    expect(text).toBe('ab1cdxyze');
    expect([map.start(0), map.end(2)]).toEqual([0, 2]);
    expect([map.start(2), map.end(3)]).toEqual([2, 6]);
    expect([map.start(3), map.end(5)]).toEqual([6, 8]);
    expect([map.start(6), map.end(7)]).toEqual([8, 10]);
    expect([map.start(8), map.end(9)]).toEqual([10, 11]);
  });

  it('composes', () => {
    const first = applyReplacements('$a + $b', [
      { start: 0, end: 2, text: 'x' },
      { start: 5, end: 7, text: 'y' },
    ]);
    const second = applyReplacements(first.text, [{ start: 4, end: 5, text: 'long' }]);
    const map = composeMaps(first.map, second.map);
    expect(second.text).toBe('x + long');
    expect([map.start(4), map.end(8)]).toEqual([5, 7]);
    expect([map.start(2), map.end(3)]).toEqual([3, 4]);
  });

  it('composes a composed map, and the identity on either side', () => {
    // $a → x, then x → yy, then yy → zzz: each step's map applied in turn.
    const first = applyReplacements('$a + 1', [{ start: 0, end: 2, text: 'x' }]);
    const second = applyReplacements(first.text, [{ start: 0, end: 1, text: 'yy' }]);
    const third = applyReplacements(second.text, [{ start: 0, end: 2, text: 'zzz' }, { start: 5, end: 6, text: '22' }]);
    expect(third.text).toBe('zzz + 22');
    const all = composeMaps(composeMaps(first.map, second.map), third.map);
    const stepwise = (p: number, side: 'start' | 'end') => first.map[side](second.map[side](third.map[side](p)));
    for (let p = 0; p <= third.text.length; p++) {
      expect([all.start(p), all.end(p)]).toEqual([stepwise(p, 'start'), stepwise(p, 'end')]);
      expect(composeMaps(first.map, composeMaps(second.map, third.map)).start(p)).toBe(stepwise(p, 'start'));
    }
    expect([all.start(0), all.end(3)]).toEqual([0, 2]);
    expect([all.start(6), all.end(8)]).toEqual([5, 6]);
    expect(composeMaps(IDENTITY_MAP, first.map)).toBe(first.map);
    expect(composeMaps(first.map, IDENTITY_MAP)).toBe(first.map);
    expect(applyReplacements('x', [])).toEqual({ text: 'x', map: IDENTITY_MAP });
  });

  it('gives the identity and a replacement map one shape', () => {
    // The analysis calls start and end for every node: the same two functions on every map, read from objects of one
    // hidden class, whose segment lists are of one array kind.
    const replaced = applyReplacements('$a', [{ start: 0, end: 2, text: 'x' }]).map;
    expect([replaced.start, replaced.end]).toEqual([IDENTITY_MAP.start, IDENTITY_MAP.end]);
    expect(sameMap(replaced, IDENTITY_MAP)).toBe(true);
    const segments = (m: object) => (m as unknown as { segments: object[] }).segments;
    expect(sameMap(segments(replaced), segments(IDENTITY_MAP))).toBe(true);
    // The identity's only segment (the end marker) is of the replaced parts' hidden class.
    expect(segments(IDENTITY_MAP)).toHaveLength(1);
    expect(sameMap(segments(replaced)[0]!, segments(IDENTITY_MAP)[0]!)).toBe(true);
  });

  it('maps every offset as a plain walk through the replaced parts does, for random replacements', () => {
    // The reference: each offset inside a replaced part maps to the part's start (start) or end (end), any other is
    // shifted by the parts before it.
    const reference = (parts: { srcStart: number; srcEnd: number; genStart: number; genEnd: number }[], p: number, side: 'start' | 'end') => {
      let shift = 0;
      for (const s of parts) {
        if (side === 'start' ? p >= s.genStart && p < s.genEnd : p > s.genStart && p <= s.genEnd) return side === 'start' ? s.srcStart : s.srcEnd;
        if (s.genEnd <= p) shift = s.srcEnd - s.genEnd;
        else break;
      }
      return p + shift;
    };
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let round = 0; round < 300; round++) {
      const source = 'x'.repeat(5 + random(40));
      const replacements = [];
      for (let at = random(4); at < source.length; at += 1 + random(8)) {
        const end = Math.min(source.length, at + random(4));
        replacements.push({ start: at, end, text: 'y'.repeat(random(5)) });
        at = end;
      }
      const { text, map } = applyReplacements(source, replacements);
      const parts = [];
      let gen = 0;
      let last = 0;
      for (const r of replacements) {
        gen += r.start - last;
        parts.push({ srcStart: r.start, srcEnd: r.end, genStart: gen, genEnd: gen + r.text.length });
        gen += r.text.length;
        last = r.end;
      }
      for (let p = 0; p <= text.length; p++) {
        expect([map.start(p), map.end(p)], `${JSON.stringify(replacements)} at ${p}`).toEqual([reference(parts, p, 'start'), reference(parts, p, 'end')]);
      }
    }
  });
});

describe('rewriteUnknownCalls', () => {
  it.each([
    ['holt_winters(x[5m], 0.1, 0.2)', 'abs(x[5m], 0.1, 0.2)'],
    ['rat(x) + rate(x[5m])', 'abs(x) + rate(x[5m])'],
    ['sum by (job) (x) and on (a) y', 'sum by (job) (x) and on (a) y'],
    ['x{f="rat(x)"} # rat(x)', 'x{f="rat(x)"} # rat(x)'],
    ['x @ start() offset 5m', 'x @ start() offset 5m'],
    ['x[max_of(1m, 2m)]', 'x[max_of(1m, 2m)]'],
    ['SUM(x) BY (a)', 'SUM(x) BY (a)'],
  ])('%s', (input, output) => {
    expect(rewriteUnknownCalls(input).text).toBe(output);
  });
});

describe('scanner', () => {
  it('tokenizes strings, comments, numbers, durations and identifiers', () => {
    const text = 'a:b{c="d\\"e"} # x\n[5m:1m] 1e-3 0x1F `r`';
    expect(scan(text).map((t) => [t.kind, text.slice(t.start, t.end)])).toEqual([
      ['ident', 'a:b'],
      ['punct', '{'],
      ['ident', 'c'],
      ['op', '='],
      ['string', '"d\\"e"'],
      ['punct', '}'],
      ['comment', '# x'],
      ['punct', '['],
      ['number', '5m'],
      ['op', ':'],
      ['number', '1m'],
      ['punct', ']'],
      ['number', '1e-3'],
      ['number', '0x1F'],
      ['string', '`r`'],
    ]);
  });

  it('finds unclosed and unmatched brackets', () => {
    const text = 'a(b[c)';
    expect(checkBrackets(text, scan(text)).map((p) => [p.kind, p.char, p.token.start])).toEqual([['unclosed', '[', 3]]);
    const text2 = ')(';
    expect(checkBrackets(text2, scan(text2)).map((p) => [p.kind, p.char, p.token.start])).toEqual([
      ['unmatched', ')', 0],
      ['unclosed', '(', 1],
    ]);
  });
});

describe('unquote', () => {
  it.each<[string, string]>([
    ['"a\\tb"', 'a\tb'],
    ['"\\u00e9\\x41\\101\\U0001F600"', 'éAA😀'],
    ["'it\\'s'", "it's"],
    ['`\\d+`', '\\d+'],
  ])('%s', (literal, value) => {
    expect(unquote(literal)).toMatchObject({ value, problems: [] });
  });

  it('rejects escapes Go does not know, and escaping the other quote', () => {
    expect(unquote('"\\d"').problems).toEqual([{ message: "unknown escape sequence '\\d'", start: 1, end: 3 }]);
    expect(unquote('"\\\'"').problems).toEqual([{ message: "unknown escape sequence '\\''", start: 1, end: 3 }]);
    expect(unquote('"\\u12"').problems).toEqual([{ message: "invalid escape sequence '\\u12'", start: 1, end: 5 }]);
  });

  it('unquotedValue is the value unquote gives, for any literal (quoted, raw, unclosed, escaped or not)', () => {
    const chars = ['a', 'é', '😀', '"', "'", '`', '\\', 'n', 'x', '4', '1', ' '];
    let seed = 7;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 5000; i++) {
      let literal = ['"', "'", '`', '', 'a'][next(5)]!;
      for (let k = next(8); k > 0; k--) literal += chars[next(chars.length)];
      if (next(2)) literal += literal[0] ?? '';
      expect(unquotedValue(literal), literal).toBe(unquote(literal).value);
    }
  });
});

describe('suggestions', () => {
  it('computes edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('prefers the candidate sharing the longer prefix and rejects far-off words', () => {
    expect(closestName('rat', ['rad', 'rate'])).toBe('rate');
    expect(closestName('foo', ['cos', 'exp'])).toBeUndefined();
    expect(closestName('histgram_quantile', ['histogram_quantile', 'histogram_count'])).toBe('histogram_quantile');
  });
});
