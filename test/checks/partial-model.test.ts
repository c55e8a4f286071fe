import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineColAt } from '../../src/diagnostics.ts';
import { compileProject } from '../../src/compile-project.ts';
import { loadYamlSources, type SourceFile } from '../../src/load/index.ts';

/**
 * One broken definition must not hide the cross-reference problems of every valid one (issue #9 §1), and references
 * into the broken definitions must not be reported as dangling. The break itself varies (a table of ways a file fails
 * before the checks); the real errors elsewhere must be reported identically in every variant.
 */
const BASE = path.join(import.meta.dirname, '../fixtures/base');
const base: SourceFile[] = await Promise.all((await readdir(BASE)).sort().map(async (f) => ({ file: f, text: await readFile(path.join(BASE, f), 'utf8') })));

const brokenReceivers = {
  valid: `apiVersion: vigil/v1\nkind: Receivers\nreceivers:\n  - name: pager\n    webhook: { url: "https://pager.example.com/hook" }\n`,
  schema: `apiVersion: vigil/v1\nkind: Receivers\nreceivers:\n  - name: pager\n    webhook: { url: "https://pager.example.com/hook" }\n    colour: red\n`,
  type: `apiVersion: vigil/v1\nkind: Receivers\nreceivers:\n  - name: pager\n    webhook: 7\n`,
  yaml: `apiVersion: vigil/v1\nkind: Receivers\nreceivers:\n  - name: pager\n    webhook: { url: "https://pager.example.com/hook"\n`,
  kindTypo: `apiVersion: vigil/v1\nkind: Recievers\nreceivers:\n  - name: pager\n    webhook: { url: "https://pager.example.com/hook" }\n`,
};
const brokenAlerts = {
  valid: `apiVersion: vigil/v1\nkind: AlertRules\ngroup: disk\nlabels: { team: infra }\nalerts:\n  - name: DiskFull\n    expr: disk_free_bytes < 1e9\n    severity: info\n    summary: disk full\n    runbook: https://runbooks.example.com/disk\n`,
  schema: `apiVersion: vigil/v1\nkind: AlertRules\ngroup: disk\nlabels: { team: infra }\nalerts:\n  - name: "Disk\\tFull"\n    expr: disk_free_bytes < 1e9\n    severity: info\n    summary: disk full\n    runbook: https://runbooks.example.com/disk\n  - name: DiskFull\n    expr: disk_free_bytes < 1e9\n    severity: info\n    summary: disk full\n`,
  type: `apiVersion: vigil/v1\nkind: AlertRules\ngroup: disk\nlabels: { team: infra }\nalerts:\n  - name: DiskFull\n    expr: [disk_free_bytes]\n    severity: info\n`,
  yaml: `apiVersion: vigil/v1\nkind: AlertRules\ngroup: disk\nalerts:\n  - name: DiskFull\n    expr: disk_free_bytes < 1e9\n   severity: info\n`,
  kindTypo: `apiVersion: vigil/v1\nkind: AlertRule\ngroup: disk\nalerts:\n  - name: DiskFull\n    expr: disk_free_bytes < 1e9\n    severity: info\n`,
};
const brokenMetrics = {
  valid: `apiVersion: vigil/v1\nkind: Metrics\nsource: node\nmetrics:\n  - name: disk_free_bytes\n    type: gauge\n    help: Free bytes.\n    labels: [device]\n`,
  schema: `apiVersion: vigil/v1\nkind: Metrics\nsource: node\nmetrics:\n  - name: disk_free_bytes\n    type: gaugee\n    help: Free bytes.\n    labels: [device]\n`,
  type: `apiVersion: vigil/v1\nkind: Metrics\nsource: node\nmetrics:\n  - name: disk_free_bytes\n    type: gauge\n    help: 7\n    labels: device\n`,
  yaml: `apiVersion: vigil/v1\nkind: Metrics\nsource: node\nmetrics:\n  - name: disk_free_bytes\n    type: gauge\n    help: "Free bytes.\n`,
  kindTypo: `apiVersion: vigil/v1\nkind: Metric\nsource: node\nmetrics:\n  - name: disk_free_bytes\n    type: gauge\n    help: Free bytes.\n`,
};

// Real errors in valid definitions: each must be reported whatever else is broken.
const edits: Record<string, (text: string) => string> = {
  'routes.yaml': (t) => t.replace('receivers: [oncall, team]', 'receivers: [oncal, team]') + `  - matchers: ['severity="info"']\n    receiver: pager\n`,
  'alerts.yaml': (t) => t.replace('holds {{ $value }} items"', 'holds {{ $value }} items on {{ $labels.gpu }}"').replace('dashboard: app', 'dashboard: ap').replace('max by (service) (queue_depth)', 'max by (service) (qeue_depth)'),
};
const tests = `apiVersion: vigil/v1\nkind: RuleTests\ntests:\n  - name: disk\n    series:\n      'disk_free_bytes{device="sda"}': '1x10'\n    expect:\n      - at: 5m\n        alerts: [{ name: DiskFull }]\n      - at: 6m\n        alerts: [{ name: NoSuchAlert }]\n    routes:\n      - { alert: DiskFull, receivers: [pager] }\n`;

const REAL_ERRORS = [
  { code: 'ref/receiver', file: 'routes.yaml', message: 'names receiver "oncal"' },
  { code: 'template/label', file: 'alerts.yaml', message: 'uses label "gpu"' },
  { code: 'ref/dashboard', file: 'alerts.yaml', message: 'dashboard "ap" is not defined' },
  { code: 'ref/metric', file: 'alerts.yaml', message: 'metric "qeue_depth"' },
  { code: 'test/refs', file: 'tests.yaml', message: 'unknown alert "NoSuchAlert"' },
];

function compileWith(variant: keyof typeof brokenAlerts) {
  const sources = base.map((s) => ({ file: s.file, text: edits[s.file]?.(s.text) ?? s.text }));
  sources.push(
    { file: 'extra-receivers.yaml', text: brokenReceivers[variant] },
    { file: 'extra-alerts.yaml', text: brokenAlerts[variant] },
    { file: 'extra-metrics.yaml', text: brokenMetrics[variant] },
    { file: 'tests.yaml', text: tests },
  );
  const texts = new Map(sources.map((s) => [s.file, s.text]));
  const result = compileProject(loadYamlSources(sources), { emit: false });
  return result.diagnostics.map((d) => ({ ...d, at: d.span ? `${d.span.file}:${lineColAt(texts.get(d.span.file) ?? '', d.span.start).line}` : '' }));
}

describe('one broken definition hides nothing else (issue #9 §1)', () => {
  it.each(['valid', 'schema', 'type', 'yaml', 'kindTypo'] as const)('%s: every real cross-reference error is reported', (variant) => {
    const problems = compileWith(variant);
    for (const want of REAL_ERRORS) {
      const found = problems.find((p) => p.code === want.code && p.span?.file === want.file && p.message.includes(want.message));
      expect(found, `${want.code} ${want.message}; got:\n${problems.map((p) => `${p.code} ${p.at} ${p.message}`).join('\n')}`).toBeDefined();
    }
    if (variant !== 'valid') {
      // The break itself is reported in each broken file.
      for (const file of ['extra-receivers.yaml', 'extra-alerts.yaml', 'extra-metrics.yaml']) expect(problems.some((p) => p.severity === 'error' && p.span?.file === file), file).toBe(true);
    }
  });

  it.each(['valid', 'schema', 'type', 'yaml', 'kindTypo'] as const)('%s: references into the broken files are not reported as dangling', (variant) => {
    const problems = compileWith(variant);
    const dangling = problems.filter((p) => /"pager"|"DiskFull"|DiskFull"|"disk_free_bytes"|no Project|no Routes/.test(p.message) && p.span?.file?.startsWith('extra-') !== true);
    expect(dangling.map((p) => `${p.code} ${p.at} ${p.message}`)).toEqual([]);
  });

  it.each(['schema', 'type', 'yaml'] as const)('%s: no cross-reference check is skipped wholesale for a broken alert, receiver or metric file', (variant) => {
    const problems = compileWith(variant);
    const crossReference = /ref\/|template\/label|test\/refs|test\/routes|alert\/required-labels|project\/singleton|receiver\/delivery|route\/unreachable-severity|env\/scrape/;
    expect(problems.filter((p) => p.code === 'skipped' && crossReference.test(p.message)).map((p) => p.message)).toEqual([]);
  });

  it('a broken Project skips only what reads the project, and says so', () => {
    const sources = base.map((s) => (s.file === 'project.yaml' ? { ...s, text: s.text.replace('name: fixture', 'name: fixture\ncolour: red') } : { file: s.file, text: edits[s.file]?.(s.text) ?? s.text }));
    const problems = compileProject(loadYamlSources(sources), { emit: false }).diagnostics;
    expect(problems.some((p) => p.code === 'ref/receiver' && p.message.includes('"oncal"'))).toBe(true);
    expect(problems.some((p) => p.code === 'project/singleton')).toBe(false);
    const skipped = problems.filter((p) => p.code === 'skipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.message).toContain('Project');
    expect(skipped[0]!.message).not.toContain('ref/receiver');
  });
});

describe('a broken Metrics file with external metrics listed with their labels', () => {
  it('keeps those names declared: an alert reading one is not told the metric is unknown', () => {
    const external = (extra: string) => `apiVersion: vigil/v1\nkind: Metrics\nexternal:\n  - source: disk_exporter\n    metrics:\n      - { name: disk_io_seconds_total, labels: [device] }\n${extra}`;
    const alert = `apiVersion: vigil/v1\nkind: AlertRules\ngroup: io\nlabels: { team: infra }\nalerts:\n  - name: DiskBusy\n    expr: rate(disk_io_seconds_total[5m]) > 0.9\n    severity: info\n    summary: disk busy\n    runbook: https://runbooks.example.com/io\n`;
    const compileWithExternal = (text: string) => compileProject(loadYamlSources([...base, { file: 'extra-metrics.yaml', text }, { file: 'io.yaml', text: alert }]), { emit: false }).diagnostics;
    const broken = compileWithExternal(external('colour: red\n'));
    expect(broken.some((p) => p.span?.file === 'extra-metrics.yaml' && p.severity === 'error')).toBe(true);
    expect(broken.filter((p) => p.code === 'ref/metric' && p.message.includes('disk_io_seconds_total')).map((p) => p.message)).toEqual([]);
    // The same alert without any declaration is reported: the assertion above can fail.
    expect(compileWithExternal('apiVersion: vigil/v1\nkind: Metrics\ncolour: red\n').some((p) => p.code === 'ref/metric' && p.message.includes('disk_io_seconds_total'))).toBe(true);
  });
});

describe('a broken Metrics file that references a built-in catalogue', () => {
  const alert = `apiVersion: vigil/v1\nkind: AlertRules\ngroup: gpu\nlabels: { team: infra }\nalerts:\n  - name: GpuBusy\n    expr: avg by (instance) (DCGM_FI_DEV_GPU_UTIL) > 90\n    severity: info\n    summary: busy\n    runbook: https://runbooks.example.com/cpu\n  - name: GpuTypo\n    expr: avg by (instance) (DCGM_FI_DEV_GPU_UTILS) > 90\n    severity: info\n    summary: typo\n    runbook: https://runbooks.example.com/cpu\n`;
  const unknown = (text: string) =>
    compileProject(loadYamlSources([...base, { file: 'gpu-metrics.yaml', text }, { file: 'gpu.yaml', text: alert }]), { emit: false })
      .diagnostics.filter((p) => p.code === 'ref/metric')
      .map((p) => p.message.match(/"([^"]+)"/)?.[1]);
  const metrics = (catalogue: string, extra: string) => `apiVersion: vigil/v1\nkind: Metrics\nexternal:\n  - catalogue: ${catalogue}\n${extra}`;
  it('a schema error beside it: the catalogue’s metrics stay declared, and a name it does not list is still a typo', () => {
    expect(unknown(metrics('dcgm_exporter', 'colour: red\n'))).toEqual(['DCGM_FI_DEV_GPU_UTILS']);
  });
  it('a YAML error in the file: its catalogue cannot be read, so no metric is called unknown', () => {
    expect(unknown(metrics('dcgm_exporter', 'colour: [red\n'))).toEqual([]);
  });
  it('an unknown catalogue name (the schema error) may be any catalogue: nothing is called unknown while it is broken', () => {
    expect(unknown(metrics('dcgm_exportr', ''))).toEqual([]);
  });
  it('the same file without the error reports only the typo: the assertions above can fail', () => {
    expect(unknown(metrics('dcgm_exporter', ''))).toEqual(['DCGM_FI_DEV_GPU_UTILS']);
  });
});

describe('a TypeScript definition that fails to load', () => {
  it('hides the names of its kind only: references to its alerts are not dangling, receiver references are still checked', async () => {
    const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const os = await import('node:os');
    const { loadDirectory } = await import('../../src/load/index.ts');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-partial-ts-'));
    try {
      for (const s of base) await writeFile(path.join(dir, s.file), edits[s.file]?.(s.text) ?? s.text);
      await writeFile(path.join(dir, 'tests.yaml'), tests);
      await writeFile(path.join(dir, 'extra-receivers.yaml'), brokenReceivers.valid);
      await writeFile(path.join(dir, 'extra-metrics.yaml'), brokenMetrics.valid);
      const index = path.join(import.meta.dirname, '../../src/index.ts');
      await writeFile(path.join(dir, 'extra-alerts.ts'), `import { defineAlertRules } from '${index}';\nconst name = ['Disk', 'Full'].join('');\nthrow new Error('cannot compute ' + name);\nexport default defineAlertRules({ group: 'disk', alerts: [] });\n`);
      const problems = compileProject(await loadDirectory(dir), { emit: false }).diagnostics;
      expect(problems.some((p) => p.code === 'ts/load' && p.span?.file.endsWith('extra-alerts.ts'))).toBe(true);
      expect(problems.filter((p) => p.code !== 'ts/load' && p.message.includes('DiskFull')).map((p) => p.message)).toEqual([]);
      expect(problems.filter((p) => p.message.includes('NoSuchAlert')).map((p) => p.message)).toEqual([]);
      expect(problems.some((p) => p.code === 'ref/receiver' && p.message.includes('"oncal"'))).toBe(true);
      expect(problems.some((p) => p.code === 'template/label' && p.message.includes('"gpu"'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
