// The real promtool 2.42 and amtool 0.25 as oracles: what they say of a regex or a duration is the expectation Vigil
// must meet.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Runs a command; its exit code and combined output, never a throw for a non-zero exit. */
export function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: error ? Number(error.code) : 0, output: `${stdout}\n${stderr}` });
    });
  });
}

/** A PromQL string literal holding `value` exactly. */
export function promqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

export async function inTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-re2-oracle-'));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * What the real promtool 2.42 says of each pattern as a label-matcher regex: one rule per pattern in one rule file,
 * one `promtool check rules` call; undefined = accepted, else promtool's error text.
 */
export function promtoolMatcherVerdicts(patterns: readonly string[]): Promise<(string | undefined)[]> {
  return inTempDir(async (dir) => {
    const rules = patterns.map((p, i) => `  - record: probe_${i}\n    expr: ${JSON.stringify(`up{x=~${promqlString(p)}}`)}`);
    const file = path.join(dir, 'rules.yml');
    await writeFile(file, `groups:\n- name: probe\n  rules:\n${rules.join('\n')}\n`);
    const { code, output: out } = await run('promtool', ['check', 'rules', file]);
    const verdicts: (string | undefined)[] = patterns.map(() => undefined);
    for (const m of out.matchAll(/rule \d+, "probe_(\d+)": (.*)/g)) verdicts[Number(m[1])] = m[2];
    if (code !== 0 && verdicts.every((v) => v === undefined)) throw new Error(`promtool failed without naming a rule:\n${out}`);
    return verdicts;
  });
}

/**
 * What the real promtool 2.42 says of each pattern as the regex of label_replace, which Prometheus compiles only when
 * it evaluates the rule: one `promtool test rules` call evaluating every pattern once.
 */
export function promtoolLabelReplaceVerdicts(patterns: readonly string[]): Promise<(string | undefined)[]> {
  return inTempDir(async (dir) => {
    const tests = patterns.map((p, i) => {
      const expr = `count(label_replace(up, "dst", "x", "job", ${promqlString(p)})) or vector(${i})`;
      return `  - expr: ${JSON.stringify(expr)}\n    eval_time: 0m\n    exp_samples: []`;
    });
    const file = path.join(dir, 'test.yml');
    await writeFile(
      file,
      `evaluation_interval: 1m\ntests:\n- interval: 1m\n  input_series:\n  - series: 'up{job="a"}'\n    values: '1'\n  promql_expr_test:\n${tests.join('\n')}\n`,
    );
    const { output } = await run('promtool', ['test', 'rules', file]);
    const verdicts: (string | undefined)[] = patterns.map(() => undefined);
    for (const line of output.split('\n')) {
      const m = /or vector\((\d+)\)", time: 0s, err: (.*)/.exec(line);
      if (m) verdicts[Number(m[1])] = m[2];
    }
    return verdicts;
  });
}

/** An Alertmanager matcher value, quoted the way Alertmanager 0.25's matcher parser reads it. */
export function alertmanagerMatcherValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * What the real amtool 0.25 says of each pattern as a route matcher regex: Alertmanager stops at the first error, so
 * one `amtool check-config` per pattern, a few at a time.
 */
export function amtoolMatcherVerdicts(patterns: readonly string[]): Promise<(string | undefined)[]> {
  return eachInTempFiles(patterns, (p, file) => {
    const matcher = `x=~${alertmanagerMatcherValue(p)}`;
    return amtoolConfigVerdict(file, `route:\n  receiver: r\n  routes:\n  - receiver: r\n    matchers: [${JSON.stringify(matcher)}]\nreceivers:\n- name: r\n`);
  });
}

/** Runs `check(item, file)` for every item, a few at a time, each with its own file in one temporary folder. */
export function eachInTempFiles<T, R>(items: readonly T[], check: (item: T, file: string) => Promise<R>, parallel = 4): Promise<R[]> {
  return inTempDir(async (dir) => {
    const results: R[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < items.length; i = next++) results[i] = await check(items[i]!, path.join(dir, `probe-${i}.yml`));
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    return results;
  });
}

/** promtool's verdict on a rule file: undefined = accepted, else its output. */
export async function promtoolRuleFileVerdict(file: string, content: string): Promise<string | undefined> {
  await writeFile(file, content);
  const r = await run('promtool', ['check', 'rules', file]);
  return r.code === 0 ? undefined : r.output.trim();
}

/** amtool's verdict on an Alertmanager configuration: undefined = accepted, else its output. */
export async function amtoolConfigVerdict(file: string, content: string): Promise<string | undefined> {
  await writeFile(file, content);
  const r = await run('amtool', ['check-config', file]);
  return r.code === 0 ? undefined : r.output.trim();
}

/**
 * Which of `samples` the real Prometheus matches with each pattern as `job=~pattern`: one `promtool test rules` run in
 * which every pattern's expected matches are `expected(pattern)`; returns the indexes of the patterns where Prometheus
 * disagrees, with promtool's account.
 */
export function promtoolMatchDisagreements(
  patterns: readonly string[],
  samples: readonly string[],
  expected: (pattern: string) => boolean[],
): Promise<Map<number, string>> {
  return inTempDir(async (dir) => {
    const series = samples.map((v, k) => `  - series: ${JSON.stringify(`up{job=${promqlString(v)}, k="${k}"}`)}\n    values: '1'`);
    const tests = patterns.map((p, i) => {
      const want = expected(p)
        .map((hit, k) => (hit ? `      - labels: ${JSON.stringify(`up{job=${promqlString(samples[k]!)}, k="${k}"}`)}\n        value: 1` : ''))
        .filter(Boolean);
      const expr = `up{job=~${promqlString(p)}, k!="probe-${i}"}`;
      return `  - expr: ${JSON.stringify(expr)}\n    eval_time: 0m\n    exp_samples:${want.length ? `\n${want.join('\n')}` : ' []'}`;
    });
    const file = path.join(dir, 'match.yml');
    await writeFile(file, `evaluation_interval: 1m\ntests:\n- interval: 1m\n  input_series:\n${series.join('\n')}\n  promql_expr_test:\n${tests.join('\n')}\n`);
    const { code, output } = await run('promtool', ['test', 'rules', file]);
    const disagreements = new Map<number, string>();
    const blocks = output.split(/\n(?=\s*expr:)/);
    for (const block of blocks) {
      const m = /probe-(\d+)/.exec(block);
      if (m) disagreements.set(Number(m[1]), block.trim());
    }
    if (code !== 0 && disagreements.size === 0) throw new Error(`promtool test rules failed:\n${output}`);
    return disagreements;
  });
}

/**
 * What the real Prometheus makes of label_replace(up, "out", replacement, "job", pattern) on every sample, compared
 * with `expected(pattern, replacement, sample)` (the new `out` value, or undefined for none): the indexes of the cases
 * where it disagrees, with promtool's account.
 */
export function promtoolLabelReplaceDisagreements(
  cases: readonly { pattern: string; replacement: string }[],
  samples: readonly string[],
  expected: (pattern: string, replacement: string, sample: string) => string | undefined,
): Promise<Map<number, string>> {
  return inTempDir(async (dir) => {
    const series = samples.map((v, k) => `  - series: ${JSON.stringify(`up{job=${promqlString(v)}, k="${k}"}`)}\n    values: '1'`);
    const tests = cases.map(({ pattern, replacement }, i) => {
      const want = samples.map((v, k) => {
        const out = expected(pattern, replacement, v);
        const labels = `up{job=${promqlString(v)}, k="${k}"${out ? `, out=${promqlString(out)}` : ''}}`;
        return `      - labels: ${JSON.stringify(labels)}\n        value: 1`;
      });
      const expr = `label_replace(up{k!="probe-${i}"}, "out", ${promqlString(replacement)}, "job", ${promqlString(pattern)})`;
      return `  - expr: ${JSON.stringify(expr)}\n    eval_time: 0m\n    exp_samples:\n${want.join('\n')}`;
    });
    const file = path.join(dir, 'label-replace.yml');
    await writeFile(file, `evaluation_interval: 1m\ntests:\n- interval: 1m\n  input_series:\n${series.join('\n')}\n  promql_expr_test:\n${tests.join('\n')}\n`);
    const { code, output } = await run('promtool', ['test', 'rules', file]);
    const disagreements = new Map<number, string>();
    for (const block of output.split(/\n(?=\s*expr:)/)) {
      const m = /probe-(\d+)/.exec(block);
      if (m) disagreements.set(Number(m[1]), block.trim());
    }
    if (code !== 0 && disagreements.size === 0) throw new Error(`promtool test rules failed:\n${output}`);
    return disagreements;
  });
}
