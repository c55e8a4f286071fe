import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../compile.ts';
import { lineColAt } from '../diagnostics.ts';
import { loadYamlSources } from '../load/index.ts';
import type { LiveServer } from './client.ts';
import { runLiveChecks } from './run.ts';

/** The pass over a compiled model with a recorded server: positions, the project's policies, disable comments. */
const BASE = path.resolve(import.meta.dirname, '../../test/fixtures/base');

async function project(replace: (file: string, text: string) => string) {
  const sources = [];
  for (const file of (await readdir(BASE)).sort()) sources.push({ file, text: replace(file, await readFile(path.join(BASE, file), 'utf8')) });
  const loaded = loadYamlSources(sources);
  return { loaded, result: compile(loaded, { emit: false }) };
}

/** Series with job and instance (http_requests_total: service and code too); queue_depth and the recording rule's output have none. */
const SERVER: LiveServer = {
  labelNames: async (match) => {
    if (/"(queue_depth|service:http_requests:rate5m)"|service=/.test(match)) return [];
    return match.includes('"http_requests_total"') ? ['__name__', 'code', 'instance', 'job', 'service'] : ['__name__', 'instance', 'job'];
  },
  labelValues: async () => [],
  metricTypes: async (metric) => (metric === 'http_requests_total' ? ['gauge'] : []),
  recordingRules: async () => new Set(),
};

const where = (loaded: Awaited<ReturnType<typeof project>>['loaded'], d: { code: string; severity: string; span?: { file: string; start: number } }) => {
  const text = loaded.sources.find((s) => s.file === d.span?.file)?.text ?? '';
  const { line, col } = lineColAt(text, d.span?.start ?? 0);
  return `${d.code} ${d.severity} ${d.span?.file}:${line}:${col}`;
};

describe('runLiveChecks', () => {
  it('reports each check at its position, with the default severities', async () => {
    const { loaded, result } = await project((_, t) => t);
    const live = await runLiveChecks(result.model, loaded.sources, { url: 'http://recorded', lookbackSeconds: 3600, lookbackText: '1h', timeoutMs: 1000, server: SERVER });
    expect(live.diagnostics.map((d) => where(loaded, d)).sort()).toEqual([
      // max by (service) (queue_depth) in alerts.yaml and max(queue_depth) in the dashboard
      'live/series-missing warning alerts.yaml:7:29',
      'live/series-missing warning dashboard.yaml:15:32',
      'live/type-mismatch warning metrics.yaml:6:11',
    ]);
    expect(live.summary).toMatch(/^live: \d+ selectors \(\d+ distinct\) and 3 catalogued metrics asked of http:\/\/recorded over the last 1h/);
    expect(live.summary).toContain('; 1 selector of recording rules the server has not loaded yet not judged (service:http_requests:rate5m)');
  });

  it("follows the project's policies.checks and the definitions' disable comments", async () => {
    const { loaded, result } = await project((file, t) => {
      if (file === 'project.yaml') return t.replace('policies:\n', "policies:\n  checks: { 'live/type-mismatch': error, 'live/series-missing': off }\n");
      return t;
    });
    const live = await runLiveChecks(result.model, loaded.sources, { url: 'http://recorded', lookbackSeconds: 3600, lookbackText: '1h', timeoutMs: 1000, server: SERVER });
    expect(live.diagnostics.map((d) => where(loaded, d))).toEqual(['live/type-mismatch error metrics.yaml:6:11']);
  });

  it('a disable comment that silences a live problem is not reported as unused', async () => {
    const { loaded, result } = await project((file, t) => (file === 'alerts.yaml' ? t.replace('    expr: max by', '    # vigil-disable-next-line live/series-missing: written only under load\n    expr: max by') : t));
    // A compile cannot know: it does not call the comment unused (validate without --live stays quiet).
    expect(result.diagnostics.filter((d) => d.code === 'disable/unused')).toEqual([]);
    const live = await runLiveChecks(result.model, loaded.sources, { url: 'http://recorded', lookbackSeconds: 3600, lookbackText: '1h', timeoutMs: 1000, server: SERVER });
    expect(live.diagnostics.map((d) => where(loaded, d)).sort()).toEqual(['live/series-missing warning dashboard.yaml:15:32', 'live/type-mismatch warning metrics.yaml:6:11']);
  });

  it('a comment naming live checks only is judged by the live pass: unused there, it is reported there', async () => {
    const { loaded, result } = await project((file, t) => (file === 'alerts.yaml' ? t.replace('    expr: up == 0', '    # vigil-disable-next-line live/series-missing: up always has series\n    expr: up == 0') : t));
    expect(result.diagnostics.filter((d) => d.code === 'disable/unused')).toEqual([]);
    const live = await runLiveChecks(result.model, loaded.sources, { url: 'http://recorded', lookbackSeconds: 3600, lookbackText: '1h', timeoutMs: 1000, server: SERVER });
    expect(live.diagnostics.filter((d) => d.code === 'disable/unused').map((d) => where(loaded, d))).toEqual(['disable/unused warning alerts.yaml:15:7']);
  });

  it('a comment naming an offline and a live check is unused only if neither pass used it', async () => {
    const comment = '    # vigil-disable-next-line live/series-missing, metric/naming: both\n';
    const { loaded, result } = await project((file, t) => (file === 'alerts.yaml' ? t.replace('    expr: max by', `${comment}    expr: max by`).replace('    expr: up == 0', `${comment}    expr: up == 0`) : t));
    const unused = result.diagnostics.filter((d) => d.code === 'disable/unused');
    expect(unused).toHaveLength(2);
    const live = await runLiveChecks(result.model, loaded.sources, { url: 'http://recorded', lookbackSeconds: 3600, lookbackText: '1h', timeoutMs: 1000, server: SERVER });
    // The first silences queue_depth's missing series live; the second silences nothing in either pass.
    expect(unused.filter(live.stillUnused).map((d) => where(loaded, d))).toEqual(['disable/unused warning alerts.yaml:16:7']);
  });

  it('a server that cannot be asked is one located-nowhere error, nothing else', async () => {
    const { loaded, result } = await project((_, t) => t);
    const live = await runLiveChecks(result.model, loaded.sources, { url: 'ftp://prometheus', lookbackSeconds: 3600, lookbackText: '1h', timeoutMs: 1000 });
    expect(live.diagnostics).toEqual([expect.objectContaining({ code: 'live/unreachable', severity: 'error', message: expect.stringContaining('is not an http:// or https:// URL') })]);
    expect(live.summary).toBe('live: no answer from ftp://prometheus; nothing was judged');
  });
});

describe('by() and without() labels', () => {
  const cases = [
    { expr: 'sum by (pod) (rate(http_requests_total[5m])) > 1', reported: ['alerts.yaml:7:19 by (pod) groups everything into one series without it'] },
    { expr: 'sum without (pod) (rate(http_requests_total[5m])) > 1', reported: ['alerts.yaml:7:24 without (pod) removes nothing'] },
    { expr: 'sum(rate(http_requests_total[5m])) by (job, servce) > 1', reported: ['alerts.yaml:7:55 by (servce) groups everything'] },
    { expr: 'sum by (service, code) (rate(http_requests_total[5m])) > 1', reported: [] },
    // One of the metrics has the label: fine.
    { expr: 'sum by (service) (rate(http_requests_total[5m]) / on (job) group_left up) > 1', reported: [] },
    // The label may be made by label_replace, or chosen by an inner aggregation: not judged.
    { expr: 'sum by (pod) (label_replace(http_requests_total, "pod", "$1", "job", "(.*)")) > 1', reported: [] },
    { expr: 'max by (pod) (sum by (job) (http_requests_total)) > 1', reported: [] },
    // queue_depth has no series: live/series-missing says so, not the grouping.
    { expr: 'max by (pod) (queue_depth) > 1', reported: [] },
  ];
  it.each(cases)('$expr', async ({ expr, reported }) => {
    const { loaded, result } = await project((file, t) => (file === 'alerts.yaml' ? t.replace('expr: max by (service) (queue_depth)', `expr: ${expr}`) : t));
    const live = await runLiveChecks(result.model, loaded.sources, { url: 'http://recorded', lookbackSeconds: 3600, lookbackText: '1h', timeoutMs: 1000, server: SERVER });
    const found = live.diagnostics.filter((d) => d.code === 'live/label-missing').map((d) => `${where(loaded, d).split(' ')[2]} ${d.message.replace(/.*\), so /, '')}`);
    expect(found.length).toBe(reported.length);
    for (const [i, want] of reported.entries()) expect(found[i]).toContain(want);
  });
});
