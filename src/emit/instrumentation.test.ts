import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileBase } from '../../test/helpers/model.ts';
import { DEFAULT_BUCKETS, emitInstrumentation, instrumentedSources, literal, moduleNames, pythonModule, typescriptModule, type InstrumentedSource } from './instrumentation.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** Debian's python3 with python3-prometheus-client (.ci/run installs it); a pyenv python3 on PATH may lack it. */
const PYTHON = '/usr/bin/python3';
const temps: string[] = [];
afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));

function temp(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-instrumentation-'));
  temps.push(dir);
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

const CATALOGUE = `apiVersion: vigil/v1
kind: Metrics
source: trainer
metrics:
  - { name: training_steps_total, type: counter, help: Steps done., unit: steps, labels: [job_id, model, instance, job] }
  - { name: training_loss, type: gauge, help: Latest loss., labels: [job_id, model] }
  - { name: training_step_seconds, type: histogram, help: Step time., unit: seconds, labels: [job_id, le], buckets: [0.1, 1, 10] }
  - { name: training_queue_seconds, type: summary, help: Queue wait., labels: [model, quantile] }
  - { name: trainer_up, type: gauge, help: The trainer runs., labels: [instance] }
  - { name: batch_runs_total, type: counter, help: Batches run., source: batch }
`;

async function modelWith(catalogue: string) {
  const result = await compileBase({ 'instrumented.yaml': catalogue });
  return result;
}

describe('typed instrumentation from the catalogue', () => {
  it('one TypeScript and one Python module per application source, with the labels the service sets', async () => {
    const { model, artifacts, diagnostics } = await modelWith(CATALOGUE);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    // The base project's own source (app) too; exporters (external:) get none.
    expect(artifacts.filter((a) => a.path.startsWith('instrumentation/')).map((a) => a.path).sort()).toEqual(['instrumentation/app.py', 'instrumentation/app.ts', 'instrumentation/batch.py', 'instrumentation/batch.ts', 'instrumentation/trainer.py', 'instrumentation/trainer.ts']);
    const trainer = instrumentedSources(model).find((s) => s.source === 'trainer')!;
    expect(trainer.metrics.map((m) => [m.name, m.labels, m.buckets])).toEqual([
      ['trainer_up', [], undefined],
      ['training_loss', ['job_id', 'model'], undefined],
      ['training_queue_seconds', ['model'], undefined],
      ['training_step_seconds', ['job_id'], [0.1, 1, 10]],
      ['training_steps_total', ['job_id', 'model'], undefined],
    ]);
    expect(trainer.metrics.find((m) => m.name === 'training_steps_total')!.help).toBe('Steps done. (steps)');
    // The same bytes every time: generated/ is committed.
    expect(emitInstrumentation(model)).toEqual(emitInstrumentation(model));
  });

  it('labels an Environment scrape config adds to the source are not the service\'s to set', async () => {
    const result = await compileBase({
      'instrumented.yaml': CATALOGUE,
      'env.yaml': 'apiVersion: vigil/v1\nkind: Environment\nname: prod\nprometheus: [{ url: "http://127.0.0.1:9090", rulesDir: /tmp/r }]\nscrape: { trainer: { targets: ["trainer:9100"], labels: { model: shared } } }\n',
    });
    const trainer = instrumentedSources(result.model).find((s) => s.source === 'trainer')!;
    expect(trainer.metrics.find((m) => m.name === 'training_loss')!.labels).toEqual(['job_id']);
  });

  // A source is any text; a module name never leaves instrumentation/ and two sources never share one.
  const sources: [string, { ts: RegExp; py: RegExp }][] = [
    ['trainer', { ts: /^trainer$/, py: /^trainer$/ }],
    ['platform-api', { ts: /^platform-api$/, py: /^platform_api$/ }],
    ['model_server', { ts: /^model_server$/, py: /^model_server$/ }],
    ['../../etc/passwd', { ts: /^etc-passwd-[0-9a-f]{8}$/, py: /^etc_passwd_[0-9a-f]{8}$/ }],
    ['a b/c', { ts: /^a-b-c-[0-9a-f]{8}$/, py: /^a_b_c_[0-9a-f]{8}$/ }],
    ['Trainer', { ts: /^trainer-[0-9a-f]{8}$/, py: /^trainer_[0-9a-f]{8}$/ }],
    ['9lives', { ts: /^9lives-[0-9a-f]{8}$/, py: /^source_9lives_[0-9a-f]{8}$/ }],
    ['训练', { ts: /^source-[0-9a-f]{8}$/, py: /^source_[0-9a-f]{8}$/ }],
    ['', { ts: /^source-[0-9a-f]{8}$/, py: /^source_[0-9a-f]{8}$/ }],
  ];
  it.each(sources)('source %j gets safe module names', (source, expected) => {
    const names = moduleNames(source);
    expect(names.ts).toMatch(expected.ts);
    expect(names.py).toMatch(expected.py);
  });

  it('sources whose module names would meet get a digest each', async () => {
    const { model } = await modelWith(`apiVersion: vigil/v1
kind: Metrics
metrics:
  - { name: a_total, type: counter, help: A., source: platform-api }
  - { name: b_total, type: counter, help: B., source: platform_api }
`);
    const files = instrumentedSources(model).filter((s) => s.source.startsWith('platform')).map((s) => s.files);
    expect(new Set(files.map((f) => f.py)).size).toBe(2);
    expect(new Set(files.map((f) => f.ts)).size).toBe(2);
  });

  it('literals stay on their line in TypeScript and Python, whatever the text holds', () => {
    for (const text of ['a\u2028b', 'a\u2029b', 'a\u0085b', 'a\nb', 'a"""b', 'a*/b', 'a\\b']) expect(literal(text)).not.toMatch(/[\n\u2028\u2029\u0085]/);
  });
});

/** A source exercising every wrapper, and names and help texts that try to break out of literals and comments. */
const HOSTILE: InstrumentedSource = {
  source: 'hostile */ """ \u2028 ${x}',
  files: moduleNames('hostile */ """ \u2028 ${x}'),
  metrics: [
    { name: 'evil_total', type: 'counter', help: 'ends */ a comment """ and a string \' " \\ ${x} \u2028 alert(1)', labels: ['from', 'class'] },
    { name: 'up_plain', type: 'gauge', help: 'no labels', labels: [] },
    { name: 'lat_seconds', type: 'histogram', help: 'latency', labels: ['route'], buckets: DEFAULT_BUCKETS },
    { name: 'lat_plain_seconds', type: 'histogram', help: 'latency', labels: [], buckets: [1, 2] },
    { name: 'wait_seconds', type: 'summary', help: 'wait', labels: ['queue'] },
    { name: 'count_total', type: 'counter', help: 'count', labels: [] },
    { name: 'level', type: 'gauge', help: 'level', labels: ['tier'] },
    { name: 'sum_plain', type: 'summary', help: 'sum', labels: [] },
  ],
};

describe('the TypeScript module', () => {
  it('compiles strictly, types labels exactly, and records what the catalogue says (promtool check metrics)', () => {
    const dir = temp();
    writeFileSync(path.join(dir, 'metrics.ts'), typescriptModule(HOSTILE));
    writeFileSync(
      path.join(dir, 'use.ts'),
      `import { Registry } from 'prom-client';
import { createMetrics } from './metrics.ts';
const registry = new Registry();
const m = createMetrics(registry);
m.evil_total.inc({ from: 'a', class: 1 });
m.evil_total.inc({ from: 'a', class: 'b' }, 2);
m.up_plain.set(1);
m.lat_seconds.observe({ route: '/x' }, 0.2);
const end = m.lat_seconds.startTimer({ route: '/y' });
end();
m.lat_plain_seconds.observe(1.5);
m.wait_seconds.observe({ queue: 'q' }, 3);
m.count_total.inc();
m.level.dec({ tier: 'gold' });
m.sum_plain.observe(1);
// Type errors only: never run.
export function typeErrors() {
  // @ts-expect-error a label is missing
  m.evil_total.inc({ from: 'a' });
  // @ts-expect-error a label is unknown
  m.level.set({ tier: 'gold', colour: 'red' }, 1);
  // @ts-expect-error the metric has no labels
  m.up_plain.set({ tier: 'gold' }, 1);
  // @ts-expect-error a value is a number
  m.level.set({ tier: 'gold' }, 'high');
}
process.stdout.write(await registry.metrics());
`,
    );
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, noUnusedLocals: true, allowImportingTsExtensions: true, skipLibCheck: true, types: ['node'] }, include: ['*.ts'] }));
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    const tsc = spawnSync(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', dir], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);

    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, 'use.ts')], { cwd: ROOT, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const exposition = run.stdout;
    expect(exposition).toContain('evil_total{from="a",class="1"} 1');
    expect(exposition).toContain('evil_total{from="a",class="b"} 2');
    expect(exposition).toContain('lat_plain_seconds_bucket{le="2"} 1');
    expect(exposition).toContain('level{tier="gold"} -1');
    expect(exposition).toMatch(/# HELP evil_total ends \*\/ a comment """ and a string ' " \\\\ \$\{x\} \u2028 alert\(1\)\n/);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
    // promtool lints conventions (no _total on a counter, units): the format itself must be accepted.
    expect(check.stdout + check.stderr).not.toMatch(/error while linting|parse error|unexpected/i);
    expect(check.status).not.toBe(1);
  }, 60_000);
});

describe('the Python module', () => {
  it('imports with Debian\'s prometheus_client, records, and refuses a missing or unknown label', () => {
    const dir = temp();
    mkdirSync(path.join(dir, 'pkg'));
    writeFileSync(path.join(dir, 'pkg', 'metrics.py'), pythonModule(HOSTILE));
    const script = `
import sys
sys.path.insert(0, ${JSON.stringify(path.join(dir, 'pkg'))})
from prometheus_client import CollectorRegistry, generate_latest
import metrics
r = CollectorRegistry()
m = metrics.Metrics(r)
m.evil_total.inc({"from": "a", "class": 1})
m.up_plain.set({}, 1)
m.lat_seconds.observe({"route": "/x"}, 0.2)
with m.lat_seconds.time({"route": "/y"}):
    pass
m.lat_plain_seconds.observe({}, 1.5)
m.wait_seconds.observe({"queue": "q"}, 3)
m.count_total.inc({})
m.level.dec({"tier": "gold"})
m.sum_plain.observe({}, 1)
for bad in (lambda: m.evil_total.inc({"from": "a"}), lambda: m.level.set({"tier": "gold", "colour": "red"}, 1), lambda: m.up_plain.set({"tier": "gold"}, 1)):
    try:
        bad()
        print("ACCEPTED")
    except TypeError as e:
        print("REFUSED", e)
sys.stdout.write(generate_latest(r).decode())
`;
    const run = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const out = run.stdout;
    expect(out).not.toContain('ACCEPTED');
    expect(out.match(/^REFUSED /gm)).toHaveLength(3);
    expect(out).toContain("REFUSED labels: missing ['class'], unknown []");
    expect(out).toContain('evil_total{class="1",from="a"} 1.0');
    expect(out).toContain('lat_plain_seconds_bucket{le="2.0"} 1.0');
    expect(out).toContain('level{tier="gold"} -1.0');
    expect(out).toMatch(/# HELP evil_total ends \*\/ a comment """ and a string ' " \\\\ \$\{x\}/);
  });

  it('is valid Python for every catalogue the schema allows: byte-compiled as a module', async () => {
    const { model } = await modelWith(CATALOGUE);
    const dir = temp();
    for (const s of instrumentedSources(model)) writeFileSync(path.join(dir, `${s.files.py}.py`), pythonModule(s));
    expect(() => execFileSync(PYTHON, ['-m', 'py_compile', ...instrumentedSources(model).map((s) => path.join(dir, `${s.files.py}.py`))], { encoding: 'utf8' })).not.toThrow();
  });
});
