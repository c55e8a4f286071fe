import { describe, expect, it } from 'vitest';
import { analyzePromql, type PromqlAnalysis } from './index.ts';

const SEEDS = [
  'sum by (job) (rate(http_requests_total{job="api", code=~"5.."}[5m])) / ignoring(code) group_left sum by (job) (rate(http_requests_total[5m]))',
  'histogram_quantile(0.99, sum without (instance) (rate(x_bucket{a!~"b"}[$__rate_interval])))',
  'label_replace(absent(up{job="x"}), "dst", "$1", "src", "(.*)") or vector(0) > bool 1',
  'max_over_time(rate(x[5m] offset 1h @ 100)[1h:1m]) unless on(a) topk(3, count_values("v", y)) # c',
  "x{a=`r\\d`, b='s\\''} * on(a,b) group_right(c) -y ^ 2 % 3 atan2 4 and z - z offset 1d",
  'sum(rate(x{job=~"$job"}[$__interval])) by ($group) > ${thr} * [[k]] + holt_winters(q[5m], 0.1, 0.2)',
];

/** Invariants every result must satisfy, whatever the input. */
function checkInvariants(expr: string, a: PromqlAnalysis) {
  const inRange = (r: { start: number; end: number }) =>
    Number.isInteger(r.start) && Number.isInteger(r.end) && r.start >= 0 && r.start <= r.end && r.end <= expr.length;
  for (const p of a.problems) {
    if (!inRange(p)) throw new Error(`problem out of range for ${JSON.stringify(expr)}: ${JSON.stringify(p)}`);
    if (p.message.startsWith('internal error')) throw new Error(`internal error for ${JSON.stringify(expr)}: ${p.message}`);
  }
  for (const m of [...a.metrics, ...a.functions]) {
    if (!inRange(m)) throw new Error(`use out of range for ${JSON.stringify(expr)}: ${JSON.stringify(m)}`);
  }
  for (let i = 1; i < a.problems.length; i++) {
    if (a.problems[i]!.start < a.problems[i - 1]!.start) throw new Error(`problems not sorted for ${JSON.stringify(expr)}`);
  }
  if (a.ok !== (a.problems.length === 0)) throw new Error(`ok disagrees with problems for ${JSON.stringify(expr)}`);
}

function run(expr: string, grafana: boolean) {
  checkInvariants(expr, analyzePromql(expr, { grafana }));
}

/** A small deterministic PRNG, so a failure is reproducible. */
function prng(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
}

describe('never throws, offsets stay inside the input', () => {
  it('on every prefix and suffix of valid expressions', () => {
    for (const seed of SEEDS) {
      for (let i = 0; i <= seed.length; i++) {
        for (const grafana of [false, true]) {
          run(seed.slice(0, i), grafana);
          run(seed.slice(i), grafana);
        }
      }
    }
  });

  it('on random edits of valid expressions', () => {
    const rand = prng(42);
    const alphabet = '()[]{}",\'`$#:@=~!<>+-*/%^ \n\\abcxyz019_.';
    for (const seed of SEEDS) {
      for (let k = 0; k < 400; k++) {
        let t = seed;
        for (let edits = 1 + rand(4); edits > 0; edits--) {
          const p = rand(t.length + 1);
          const c = alphabet[rand(alphabet.length)]!;
          const op = rand(3);
          t = op === 0 ? t.slice(0, p) + t.slice(p + 1) : op === 1 ? t.slice(0, p) + c + t.slice(p) : t.slice(0, p) + c + t.slice(p + 1);
        }
        run(t, rand(2) === 0);
      }
    }
  });

  it('on odd inputs', () => {
    for (const expr of ['', ' ', '\n', '(', ')', '[', ']', '{', '}', '"', '`', "'", '\\', '$', '${', '[[', '#', '@', ':', ',', '😀(x)', 'x{a="😀"}', '\u0000', 'x'.repeat(10_000)]) {
      run(expr, false);
      run(expr, true);
    }
  });

  it('on pathological nesting, reporting instead of overflowing the stack', () => {
    for (const expr of ['('.repeat(3000) + 'x' + ')'.repeat(3000), 'x' + ' + x'.repeat(5000), 'sum('.repeat(2000) + 'x' + ')'.repeat(2000), '-'.repeat(5000) + 'x']) {
      const a = analyzePromql(expr);
      checkInvariants(expr, a);
      expect(a.ok).toBe(false);
    }
  });

  it('tolerates a non-string argument from untyped callers', () => {
    const a = analyzePromql(undefined as unknown as string);
    expect(a.problems[0]?.message).toBe('empty expression');
  });
});
