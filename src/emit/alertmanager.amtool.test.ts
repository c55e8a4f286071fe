// Integration tests against the real amtool (Alertmanager 0.25 on these machines): the emitted configuration must pass
// `amtool check-config`, the templates must render, and `routeAlert` must agree with `amtool config routes test` on
// every label set of the routing fixtures.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { fixtureFiles, labelSpace, modelOf, routingCases } from '../../test/fixtures/alertmanager/model.ts';
import type { Model } from '../model/types.ts';
import { quoteMatcherValue } from '../routing/matchers.ts';
import { routeAlert, routeEmittedConfig } from '../routing/route.ts';
import { materialise } from '../deploy/secrets.ts';
import { emitAlertmanager } from './alertmanager.ts';

const run = promisify(execFile);
const amtoolFound = spawnSync('amtool', ['--version'], { encoding: 'utf8' }).status === 0;
if (!amtoolFound) console.warn('alertmanager.amtool.test.ts: skipped, `amtool` is not on PATH (apt-get install prometheus-alertmanager)');

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-amtool-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Writes the emitted artifacts under <dir>/<name>/ and returns the path of alertmanager.yml. */
function write(name: string, model: Model, transform: (yml: string) => string = (s) => s): { file: string; content: string } {
  const { artifacts } = emitAlertmanager(model, { identityLabels: () => ['instance'] });
  const root = path.join(dir, name);
  let content = '';
  for (const a of artifacts) {
    const target = path.join(root, a.path.replace(/^alertmanager\//, ''));
    mkdirSync(path.dirname(target), { recursive: true });
    const text = a.path.endsWith('alertmanager.yml') ? transform(a.content) : a.content;
    writeFileSync(target, text);
    if (a.path.endsWith('alertmanager.yml')) content = text;
  }
  return { file: path.join(root, 'alertmanager.yml'), content };
}

async function amtool(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('amtool', args, { cwd, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** Runs tasks with a bounded number in flight. */
async function pool<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i]!);
      }
    }),
  );
  return results;
}

describe.skipIf(!amtoolFound)('amtool check-config', () => {
  it('accepts the fixture project, templates included, from another working directory', async () => {
    const { file } = write('project', modelOf(fixtureFiles('project')));
    const r = await amtool(['check-config', file], '/');
    expect(r.stdout + r.stderr).toMatch(/1 templates\s+SUCCESS/);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('accepts the configuration with the placeholders substituted by hostile secret values', async () => {
    const model = modelOf(fixtureFiles('project'));
    const { artifacts, secrets } = emitAlertmanager(model, { identityLabels: () => ['instance'] });
    expect(secrets.filter((s) => s.as === 'placeholder').length).toBeGreaterThan(0);
    const hostile = 'se"cr\\et: #x\n{{ y }}';
    const source = { env: new Proxy({}, { get: () => hostile }), readFile: async () => hostile };
    const filled = await materialise(artifacts[0]!.path, artifacts[0]!.content, secrets, source);
    expect(filled.holdsSecrets).toBe(true);
    const { file } = write('substituted', model, () => filled.content);
    const r = await amtool(['check-config', file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('accepts the configuration of every routing fixture', async () => {
    for (const c of routingCases()) {
      const { file } = write(path.basename(c.file, '.yaml'), c.model);
      const r = await amtool(['check-config', file]);
      expect(r.code, `${c.file}: ${r.stdout}${r.stderr}`).toBe(0);
    }
  });

  it('rejects a broken template, so the check above is meaningful', async () => {
    const { file } = write('broken', modelOf(fixtureFiles('project')));
    writeFileSync(path.join(path.dirname(file), 'templates', 'broken.tmpl'), '{{ define "x" }}{{ .Status | nosuchfunction }}{{ end }}');
    const r = await amtool(['check-config', file]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('nosuchfunction');
  });
});

describe.skipIf(!amtoolFound)('amtool template render', () => {
  const data = {
    receiver: 'ops',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'GpuMemoryHigh', severity: 'critical', instance: 'gpu-1', team: '机器学习' },
        annotations: { summary: 'GPU 显存 96% <b>', description: 'Jobs may fail', runbook_url: 'https://runbooks.example.com/gpu', dashboard_url: 'https://grafana/d/x' },
        startsAt: '2024-01-01T10:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prom:9090/graph?g0.expr=x&g0.tab=1',
        fingerprint: 'a1',
      },
      {
        status: 'resolved',
        labels: { alertname: 'GpuMemoryHigh', severity: 'critical', instance: 'gpu-2' },
        annotations: { summary: 'recovered' },
        startsAt: '2024-01-01T09:00:00Z',
        endsAt: '2024-01-01T09:30:00Z',
        generatorURL: '',
        fingerprint: 'a2',
      },
    ],
    groupLabels: { alertname: 'GpuMemoryHigh', service: 'training' },
    commonLabels: { alertname: 'GpuMemoryHigh', severity: 'critical' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
  };

  async function render(name: string, type: 'text' | 'html'): Promise<string> {
    const { file } = write('render', modelOf(fixtureFiles('project')));
    const root = path.dirname(file);
    writeFileSync(path.join(root, 'data.json'), JSON.stringify(data));
    const r = await amtool(
      ['template', 'render', `--template.glob=${root}/templates/*.tmpl`, `--template.text={{ template "${name}" . }}`, `--template.type=${type}`, `--template.data=${root}/data.json`],
      root,
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return r.stdout;
  }

  it('renders the email subject on one line', async () => {
    expect((await render('vigil.email.subject', 'text')).trim()).toBe('[FIRING:1] critical GpuMemoryHigh service=training');
  });

  it('renders the email body as escaped HTML', async () => {
    const html = await render('vigil.email.html', 'html');
    expect(html).toContain('GPU 显存 96% &lt;b&gt;');
    expect(html).toContain('<a href="https://runbooks.example.com/gpu">Runbook</a>');
    expect(html).toContain('Firing (1)');
    expect(html).toContain('Resolved (1)');
    expect(html).toContain('since 2024-01-01 10:00:00 UTC');
  });

  it('renders the WeCom message as plain text with every field', async () => {
    const text = await render('vigil.wecom.message', 'text');
    expect(text).toContain('1 条告警 firing, 1 条恢复 resolved');
    expect(text).toContain('【告警 FIRING】GpuMemoryHigh\n级别 severity: critical\n摘要 summary: GPU 显存 96% <b>\n描述 description: Jobs may fail\n');
    expect(text).toContain('手册 runbook: https://runbooks.example.com/gpu\n');
    expect(text).toContain('标签 labels: instance=gpu-1 team=机器学习');
    expect(text).toContain('【恢复 RESOLVED】GpuMemoryHigh');
    expect(text).toContain('恢复 resolved: 2024-01-01 09:30:00 UTC');
  });
});

describe.skipIf(!amtoolFound)('routeAlert agrees with amtool config routes test', () => {
  const project = fixtureFiles('project');
  const projectRoutes = project['test/fixtures/alertmanager/project/routes.yaml']!;
  const cases = [
    ...routingCases(150),
    { file: 'test/fixtures/alertmanager/project/routes.yaml', text: projectRoutes, model: modelOf(project), labelSets: labelSpace(projectRoutes, 150) },
  ];

  it.each(cases.map((c) => [c.file, c] as const))('%s', async (_file, c) => {
    const { file, content } = write(`routes-${path.basename(path.dirname(c.file))}-${path.basename(c.file, '.yaml')}`, c.model);
    const emittedRoute = (parse(content) as { route: object }).route;
    const outcomes = await pool(c.labelSets, 4, async (labels) => {
      const expected = routeAlert(c.model.routes!, labels).receivers;
      const args = Object.entries(labels).map(([k, v]) => `${k}=${quoteMatcherValue(v)}`);
      const r = await amtool(['config', 'routes', 'test', `--config.file=${file}`, `--verify.receivers=${expected.join(',')}`, ...args]);
      return { labels, expected: expected.join(','), amtool: r.stdout.trim().split('\n')[0], code: r.code, emitted: routeEmittedConfig(emittedRoute, labels).receivers.join(',') };
    });
    const disagreements = outcomes.filter((o) => o.code !== 0 || o.amtool !== o.expected || o.emitted !== o.expected);
    expect(disagreements, `${disagreements.length} of ${outcomes.length} label sets disagree`).toEqual([]);
    expect(outcomes.length).toBeGreaterThanOrEqual(100);
    // the label sets reach several different outcomes, not one receiver over and over
    expect(new Set(outcomes.map((o) => o.expected)).size).toBeGreaterThan(3);
  });
});
