// §6 of the security issue: a duration `vigil validate` accepts is one Prometheus 2.42 and Alertmanager 0.25 accept.
// Every duration of the table goes, in one project, into PromQL (range, offset, subquery range and step), an alert's
// `for`, a rule group's interval and a route's groupWait; promtool and amtool are asked about the same durations in the
// same places, and Vigil's verdict must equal theirs. The table is generated: for every unit the largest count that fits
// int64 nanoseconds and one more, the exact maximum and one millisecond more, and units out of order or repeated.
import { appendFile, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIND_SCHEMAS } from '../../src/spec/schemas.ts';
import { durationFields } from '../../src/checks/duration-range.ts';
import { hasCommand, runVigilAsync } from '../helpers/cli.ts';
import { amtoolConfigVerdict, eachInTempFiles, inTempDir, promtoolRuleFileVerdict, run } from './real-tools.ts';

const MAX_NS = 2n ** 63n - 1n;
const UNITS: [string, bigint][] = [
  ['y', 31_536_000_000_000_000n],
  ['w', 604_800_000_000_000n],
  ['d', 86_400_000_000_000n],
  ['h', 3_600_000_000_000n],
  ['m', 60_000_000_000n],
  ['s', 1_000_000_000n],
  ['ms', 1_000_000n],
];

/** `ms` written with every unit, largest first: 292y24w3d… */
function composite(ms: bigint): string {
  let rest = ms * 1_000_000n;
  let out = '';
  for (const [unit, ns] of UNITS) {
    const n = rest / ns;
    rest -= n * ns;
    if (n > 0n) out += `${n}${unit}`;
  }
  return out;
}

const MAX_MS = MAX_NS / 1_000_000n;
const DURATIONS: readonly string[] = [
  ...UNITS.flatMap(([unit, ns]) => [`${MAX_NS / ns}${unit}`, `${MAX_NS / ns + 1n}${unit}`]),
  composite(MAX_MS),
  composite(MAX_MS + 1n),
  '292y1000w',
  '99999999999999999999y',
  '99999999999999999999999y',
  `${'9'.repeat(60)}ms`,
  '30m1h',
  '1m1m',
  '1ms1s',
  '5m30d',
  '1h30m',
  '5m',
  '0s',
  '1y1w1d1h1m1s1ms',
];

interface Diag {
  code: string;
  severity: string;
  message: string;
  file?: string;
  line?: number;
}

const CONTEXTS = {
  range: (d: string) => `rate(up[${d}])`,
  offset: (d: string) => `up offset ${d}`,
  'subquery range': (d: string) => `max_over_time(up[${d}:1m])`,
  'subquery step': (d: string) => `max_over_time(up[5m:${d}])`,
} as const;
type PromqlContext = keyof typeof CONTEXTS;

const tools = hasCommand('promtool') && hasCommand('amtool');
if (!tools) console.warn('durations.test.ts: skipped, promtool and amtool are not on PATH (.ci/run installs them)');

let dir = '';
/** Per context, per duration: the tool's error (undefined = accepted) and Vigil's diagnostic. */
const real = new Map<string, (string | undefined)[]>();
const vigil = new Map<string, (Diag | undefined)[]>();

/** Which (file, line) of the probe project holds which duration in which context. */
const where = new Map<string, { context: string; index: number }>();
const mark = (file: string, line: number, context: string, index: number) => where.set(`${file}:${line}`, { context, index });

async function writeProject(): Promise<void> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-durations-'));
  await cp(path.join(import.meta.dirname, '../fixtures/base'), dir, { recursive: true });

  const rules = ['apiVersion: vigil/v1', 'kind: RecordingRules', 'group: duration-probe', 'rules:'];
  for (const [context, expr] of Object.entries(CONTEXTS)) {
    DURATIONS.forEach((d, i) => {
      rules.push(`  - record: probe:${context.replace(' ', '_')}_${i}:max`, `    expr: ${JSON.stringify(`max(${expr(d)})`)}`);
      mark('duration-probe.yaml', rules.length, context, i);
    });
  }
  await writeFile(path.join(dir, 'duration-probe.yaml'), `${rules.join('\n')}\n`);

  const alerts = ['apiVersion: vigil/v1', 'kind: AlertRules', 'group: duration-for', 'labels: { team: app }', 'alerts:'];
  DURATIONS.forEach((d, i) => {
    alerts.push(`  - name: DurationProbe${i}`, '    expr: up == 0', '    severity: critical', `    for: ${d}`);
    mark('duration-for.yaml', alerts.length, 'for', i);
    alerts.push('    summary: "{{ $labels.instance }} is down"', '    runbook: https://runbooks.example.com/target-down');
  });
  await writeFile(path.join(dir, 'duration-for.yaml'), `${alerts.join('\n')}\n`);

  for (const [i, d] of DURATIONS.entries()) {
    const lines = ['apiVersion: vigil/v1', 'kind: RecordingRules', `group: interval-${i}`, `interval: ${d}`];
    mark(`interval-${i}.yaml`, 4, 'interval', i);
    lines.push('rules:', `  - record: probe:interval_${i}:sum`, '    expr: sum(up)');
    await writeFile(path.join(dir, `interval-${i}.yaml`), `${lines.join('\n')}\n`);
  }

  // The base routes.yaml ends inside its `routes:` list (9 lines); each probe route adds a branch there.
  const routes: string[] = [];
  DURATIONS.forEach((d, i) => {
    routes.push(`  - matchers: ['service="probe-${i}"']`, '    receiver: team', `    groupWait: ${d}`);
    mark('routes.yaml', 9 + routes.length, 'groupWait', i);
  });
  await appendFile(path.join(dir, 'routes.yaml'), `${routes.join('\n')}\n`);
}

/** promtool on every PromQL context at once: one rule per (context, duration). */
async function promtoolPromql(): Promise<void> {
  const entries = Object.entries(CONTEXTS).flatMap(([context, expr]) => DURATIONS.map((d, i) => ({ context, i, expr: expr(d) })));
  const out = await inTempDir(async (tmp) => {
    const file = path.join(tmp, 'rules.yml');
    const rules = entries.map((e, k) => `  - record: probe_${k}\n    expr: ${JSON.stringify(e.expr)}`);
    await writeFile(file, `groups:\n- name: probe\n  rules:\n${rules.join('\n')}\n`);
    return (await run('promtool', ['check', 'rules', file])).output;
  });
  for (const context of Object.keys(CONTEXTS)) real.set(context, DURATIONS.map(() => undefined));
  for (const m of out.matchAll(/rule \d+, "probe_(\d+)": (.*)/g)) {
    const e = entries[Number(m[1])]!;
    real.get(e.context)![e.i] = m[2];
  }
}

beforeAll(async () => {
  if (!tools) return;
  await writeProject();
  const [, forVerdicts, intervalVerdicts, groupWaitVerdicts, validate] = await Promise.all([
    promtoolPromql(),
    eachInTempFiles(DURATIONS, (d, file) =>
      promtoolRuleFileVerdict(file, `groups:\n- name: probe\n  rules:\n  - alert: Probe\n    expr: up == 0\n    for: ${d}\n`),
    ),
    eachInTempFiles(DURATIONS, (d, file) => promtoolRuleFileVerdict(file, `groups:\n- name: probe\n  interval: ${d}\n  rules:\n  - record: probe\n    expr: up\n`)),
    eachInTempFiles(DURATIONS, (d, file) =>
      amtoolConfigVerdict(file, `route:\n  receiver: r\n  routes:\n  - receiver: r\n    group_wait: ${d}\nreceivers:\n- name: r\n`),
    ),
    runVigilAsync(['validate', dir, '--format', 'json']),
  ]);
  real.set('for', forVerdicts);
  real.set('interval', intervalVerdicts);
  real.set('groupWait', groupWaitVerdicts);
  for (const context of real.keys()) vigil.set(context, DURATIONS.map(() => undefined));
  const diagnostics = (JSON.parse(validate.stdout) as { diagnostics: Diag[] }).diagnostics.filter((d) => d.severity === 'error');
  const stray: Diag[] = [];
  for (const d of diagnostics) {
    const at = where.get(`${path.basename(d.file ?? '')}:${d.line}`);
    if (at) vigil.get(at.context)![at.index] ??= d;
    else stray.push(d);
  }
  expect(stray, 'errors on no probe line').toEqual([]);
}, 120_000);

afterAll(async () => {
  if (dir && !process.env.KEEP) await rm(dir, { recursive: true, force: true });
});

const CONTEXT_NAMES: readonly string[] = [...(Object.keys(CONTEXTS) as PromqlContext[]), 'for', 'interval', 'groupWait'];
const cases = CONTEXT_NAMES.flatMap((context) => DURATIONS.map((d, i) => [context, d.length > 40 ? `${d.slice(0, 30)}…` : d, i] as const));

describe.runIf(tools)('durations: vigil validate agrees with promtool and amtool', () => {
  it('the table holds durations both accepted and rejected in every context', () => {
    for (const context of CONTEXT_NAMES) {
      const rejected = real.get(context)!.filter(Boolean).length;
      expect(rejected, context).toBeGreaterThanOrEqual(10);
      expect(DURATIONS.length - rejected, context).toBeGreaterThanOrEqual(8);
    }
  });

  it.each(cases)('%s: %s', (context, _, i) => {
    const tool = real.get(context)![i];
    const diag = vigil.get(context)![i];
    expect(diag?.message, `${context === 'groupWait' ? 'amtool' : 'promtool'}: ${tool ?? 'accepted'}`).toSatisfy(
      (m: string | undefined) => (m === undefined) === (tool === undefined),
    );
    // Overflow is named as Prometheus names it.
    if (tool?.includes('duration out of range')) expect(diag!.message).toContain('duration out of range');
  });
});

describe('every duration field of every schema is checked', () => {
  it('walks nested and recursive schemas (routes of routes) to each duration', () => {
    const routes = {
      groupWait: '1s',
      routes: [{ groupInterval: '2s', routes: [{ repeatInterval: '3s', routes: [{ groupWait: '4s' }] }] }],
    };
    expect(durationFields(routes, KIND_SCHEMAS.Routes as Record<string, unknown>).map((f) => f.path.join('.'))).toEqual([
      'groupWait',
      'routes.0.groupInterval',
      'routes.0.routes.0.repeatInterval',
      'routes.0.routes.0.routes.0.groupWait',
    ]);
  });

  it.each(Object.entries(KIND_SCHEMAS))('%s: the check reaches every duration field the schema declares', (_, schema) => {
    const declared = new Set([...JSON.stringify(schema).matchAll(/"(\w+)":\{"\$ref":"common\.schema\.json#\/definitions\/duration"/g)].map((m) => m[1]));
    // A value with every field of the schema filled, durations as `1s`.
    const filled = fill(schema as Record<string, unknown>, schema as Record<string, unknown>, 0);
    const reached = new Set(durationFields(filled, schema as Record<string, unknown>).map((f) => String(f.path[f.path.length - 1])));
    expect([...declared].filter((name) => !reached.has(name!))).toEqual([]);
  });
});

/** A value holding one of everything the schema declares, durations as `1s` (depth-limited for recursive schemas). */
function fill(schema: Record<string, unknown>, root: Record<string, unknown>, depth: number): unknown {
  if (depth > 12) return undefined;
  const ref = schema.$ref as string | undefined;
  if (ref === 'common.schema.json#/definitions/duration') return '1s';
  if (ref?.startsWith('#/')) {
    let node: unknown = root;
    for (const seg of ref.slice(2).split('/')) node = (node as Record<string, unknown>)[seg];
    return fill(node as Record<string, unknown>, root, depth + 1);
  }
  const branches = (schema.oneOf ?? schema.anyOf ?? (schema.if ? [schema.then, schema.else].filter(Boolean) : undefined)) as Record<string, unknown>[] | undefined;
  if (branches) {
    const values = branches.map((b) => fill(b, root, depth + 1));
    return values.find((v) => v !== undefined && JSON.stringify(v).includes('"1s"')) ?? values[0];
  }
  if (schema.properties) {
    const out: Record<string, unknown> = {};
    for (const [k, sub] of Object.entries(schema.properties as Record<string, Record<string, unknown>>)) {
      const v = fill(sub, root, depth + 1);
      if (v !== undefined) out[k] = v;
    }
    if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
      const v = fill(schema.additionalProperties as Record<string, unknown>, root, depth + 1);
      if (v !== undefined) out.extra = v;
    }
    return out;
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    const v = fill(schema.additionalProperties as Record<string, unknown>, root, depth + 1);
    return v === undefined ? undefined : { extra: v };
  }
  if (schema.items && typeof schema.items === 'object') {
    const v = fill(schema.items as Record<string, unknown>, root, depth + 1);
    return v === undefined ? undefined : [v];
  }
  return undefined;
}
