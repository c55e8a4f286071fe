import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.ts';
import { lineColAt, type Diagnostic } from '../../src/diagnostics.ts';
import { importSlos } from '../../src/import/slo.ts';
import type { LiveServer } from '../../src/live/client.ts';
import { runLiveChecks } from '../../src/live/run.ts';
import { loadYamlSources } from '../../src/load/index.ts';
import type { BurnRate } from '../../src/spec/types.gen.ts';
import { counter, histogram, metrics, projectFiles, slo, slos, sourcesOf, yamlOf, type ProjectFiles } from '../factories/index.ts';

/**
 * The user-caused errors of the SLO, silence, live and SLO-import checks, over hostile variants of their input: each
 * is at a file:line:col inside the file it names, carries its check id and says what to do (a hint). A variant that
 * reports nothing of its family fails too, so the table cannot pass by reporting nothing.
 */
type Located = { code: string; at: string; hint: string };

function located(diagnostics: readonly Diagnostic[], files: ProjectFiles, family: RegExp): Located[] {
  return diagnostics
    .filter((d) => family.test(d.code))
    .map((d) => {
      const text = d.span ? files[d.span.file] : undefined;
      expect(text, `${d.code} "${d.message}" has no position in a file it names`).toBeDefined();
      expect(d.span!.start).toBeLessThanOrEqual(text!.length);
      expect(d.hint?.trim(), `${d.code} "${d.message}" has no hint`).toBeTruthy();
      const { line, col } = lineColAt(text!, d.span!.start);
      return { code: d.code, at: `${d.span!.file}:${line}:${col}`, hint: d.hint! };
    });
}

const compiled = (files: ProjectFiles) => compile(loadYamlSources(sourcesOf(files)), { emit: false });

// ---- SLOs -----------------------------------------------------------------------------------------------------------

const page = (long: string, short: string, factor: number): BurnRate => ({ severity: 'page', long, short, factor });
const alerting = (...burnRates: [BurnRate, ...BurnRate[]]) => ({ runbook: 'https://runbooks.example.com/slo', burnRates });

/** A histogram with its buckets listed, and a counter whose name ends in _bucket. */
const SLO_METRICS = yamlOf(metrics({ source: 'slo', metrics: [histogram('render_duration_seconds', { buckets: [0.1, 0.5] }), counter('jobs_bucket', { help: 'Not a histogram.' })], external: undefined }));

const SLO_VARIANTS: [string, ReturnType<typeof slo>[], RegExp][] = [
  ['objective 0', [slo('a', 'events', {}, { objective: 0 })], /^slo\/objective$/],
  ['objective 100', [slo('a', 'events', {}, { objective: 100 })], /^slo\/objective$/],
  ['a negative objective', [slo('a', 'events', {}, { objective: -5 })], /^slo\/objective$/],
  ['a window of an hour', [slo('a', 'events', {}, { window: '1h' })], /^slo\/window$/],
  ['a window of 0s', [slo('a', 'ratio', {}, { window: '0s' })], /^slo\/window$/],
  ['a long burn window past the SLO window', [slo('a', 'events', {}, { window: '7d', alert: alerting(page('14d', '1h', 2)) })], /^slo\/window$/],
  ['a short window as long as the long one', [slo('a', 'events', {}, { alert: alerting(page('6h', '6h', 6)) })], /^slo\/burn-rate$/],
  ['a factor of 0', [slo('a', 'events', {}, { alert: alerting(page('1h', '5m', 0)) })], /^slo\/burn-rate$/],
  ['a factor past 100 % errors', [slo('a', 'events', {}, { objective: 99, alert: alerting(page('1h', '5m', 1000)) })], /^slo\/burn-rate$/],
  ['a short window under two scrapes', [slo('a', 'events', {}, { alert: alerting(page('1h', '1s', 14.4)) })], /^slo\/short-window$/],
  ['a query with a fixed range', [slo('a', 'events', { errorQuery: 'sum(rate(http_requests_total{code=~"5.."}[5m]))' })], /^slo\/query$/],
  ['a query without any range', [slo('a', 'events', { totalQuery: 'sum(http_requests_total)' })], /^slo\/query$/],
  ['a ratio of an aggregation', [slo('a', 'ratio', { good: 'sum(http_requests_total)' })], /^slo\/sli-metric$/],
  ['a ratio of a histogram', [slo('a', 'ratio', { total: 'request_duration_seconds' })], /^slo\/sli-metric$/],
  ['a latency bucket of a counter', [slo('a', 'latency', { bucket: 'jobs_bucket' })], /^slo\/sli-metric$/],
  ['a latency bucket that is not _bucket (the schema)', [slo('a', 'latency', { bucket: 'request_duration_seconds' })], /^schema$/],
  ['a latency bound that is not a number (the schema)', [slo('a', 'latency', { le: 'fast' })], /^schema$/],
  ['a latency bound the histogram lacks', [slo('a', 'latency', { bucket: 'render_duration_seconds_bucket', le: '0.3' })], /^slo\/sli-metric$/],
  ['a latency bound written differently', [slo('a', 'latency', { le: '0.50' })], /^slo\/sli-metric$/],
  ['two SLOs of one name', [slo('a'), slo('a', 'ratio')], /^slo\/duplicate$/],
];

describe('slo/*: hostile SLOs', () => {
  it.each(SLO_VARIANTS)('%s', (_, list, expected) => {
    const files = projectFiles({ 'slos.yaml': yamlOf(slos({ slos: list })), 'slo-metrics.yaml': SLO_METRICS });
    const found = located(compiled(files).diagnostics, files, /^(slo\/|schema$)/);
    expect(found.map((f) => f.code)).toContainEqual(expect.stringMatching(expected));
    for (const f of found) expect(f.at).toMatch(/^slos\.yaml:\d+:\d+$/);
  });
});

// ---- Silences -------------------------------------------------------------------------------------------------------

const silence = (overrides: Record<string, unknown> = {}) => {
  const out: Record<string, unknown> = { name: 'maintenance', matchers: ['alertname="QueueDeep"'], startsAt: '2099-01-01T01:00:00Z', duration: '4h', createdBy: 'alice@example.com', comment: 'OPS-1', ...overrides };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
};
const silenceFile = (...list: Record<string, unknown>[]) => yamlOf({ apiVersion: 'vigil/v1', kind: 'Silences', silences: list });

const SILENCE_VARIANTS: [string, Record<string, unknown>[], RegExp][] = [
  ['both endsAt and duration', [silence({ endsAt: '2099-01-01T02:00:00Z' })], /^silence\/window$/],
  ['no end', [silence({ duration: undefined })], /^silence\/window$/],
  ['an end before the start', [silence({ duration: undefined, endsAt: '2098-12-31T23:59:59Z' })], /^silence\/window$/],
  ['a start on the 31st of February', [silence({ startsAt: '2099-02-31T01:00:00Z' })], /^silence\/window$/],
  ['a duration of ten thousand years', [silence({ duration: '10000y' })], /^silence\/(window|max-duration)$/],
  ['a week and a second', [silence({ duration: '7d1s' })], /^silence\/max-duration$/],
  ['an == matcher', [silence({ matchers: ['alertname=="QueueDeep"'] })], /^silence\/matcher$/],
  ['matchers that all match the empty string', [silence({ matchers: ['alertname=~".*"', 'service!="x"'] })], /^silence\/matcher$/],
  ['a matcher that does not parse', [silence({ matchers: ['alertname="unclosed'] })], /^silence\/matcher$/],
  ['a regex that does not compile', [silence({ matchers: ['alertname=~"(unclosed"'] })], /^silence\/matcher$/],
  ['an Environment that is not defined', [silence({ environments: ['moon'] })], /^silence\/environment$/],
  ['an alert no rule raises', [silence({ matchers: ['alertname="NoSuchAlert"'] })], /^silence\/no-match$/],
  ['one that ended long ago', [silence({ startsAt: '2001-01-01T01:00:00Z' })], /^silence\/expired$/],
  ['two of one name', [silence(), silence({ comment: 'OPS-2' })], /^silence\/duplicate$/],
];

describe('silence/*: hostile silences', () => {
  it.each(SILENCE_VARIANTS)('%s', (_, list, expected) => {
    const files = projectFiles({ 'silences.yaml': silenceFile(...list) });
    const found = located(compiled(files).diagnostics, files, /^silence\//);
    expect(found.map((f) => f.code)).toContainEqual(expect.stringMatching(expected));
    for (const f of found) expect(f.at).toMatch(/^silences\.yaml:\d+:\d+$/);
  });
});

// ---- vigil import slo -----------------------------------------------------------------------------------------------

const IMPORT_VARIANTS: [string, string][] = [
  ['an unclosed flow sequence', 'version: "prometheus/v1"\nservice: [unclosed\n'],
  ['a tab as indentation', 'version: "prometheus/v1"\nslos:\n\t- name: a\n'],
  ['a duplicated key', 'version: "prometheus/v1"\nservice: a\nservice: b\nslos: []\n'],
  ['a bare scalar', 'just some words\n'],
  ['a sequence at the top', '- 1\n- 2\n'],
  ['a List without items', 'apiVersion: v1\nkind: List\n'],
  ['a ConfigMap', 'apiVersion: v1\nkind: ConfigMap\ndata: {}\n'],
  ['Sloth version 2', 'version: "prometheus/v2"\nservice: x\nslos: []\n'],
  ['Sloth with no service and no SLOs', 'version: "prometheus/v1"\n'],
  ['a Sloth SLO without a name and with a string objective', 'version: "prometheus/v1"\nservice: s\nslos:\n  - objective: "99.9"\n'],
  ['a Sloth SLO with objective 1e999', 'version: "prometheus/v1"\nservice: s\nslos:\n  - name: a\n    objective: 1e999\n'],
  ['Sloth CRD v2', 'apiVersion: sloth.slok.dev/v2\nkind: PrometheusServiceLevel\n'],
  ['a Sloth CRD of another kind', 'apiVersion: sloth.slok.dev/v1\nkind: Other\n'],
  ['Pyrra v1', 'apiVersion: pyrra.dev/v1\nkind: ServiceLevelObjective\n'],
  ['a Pyrra target that is text and a window that is not a duration', 'apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: { name: a }\nspec:\n  target: "high"\n  window: forever\n  indicator: {}\n'],
  ['a Pyrra SLO without a name', 'apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nspec:\n  target: "99"\n  window: 4w\n  indicator: {}\n'],
  ['a rule file Sloth did not generate', 'groups:\n  - name: g\n    rules: []\n'],
  ['an empty file', ''],
  ['a file of comments', '# nothing\n'],
];

describe('import/*: hostile input to vigil import slo', () => {
  it.each(IMPORT_VARIANTS)('%s', (_, text) => {
    const files = { 'in.yaml': text };
    const result = importSlos([{ file: 'in.yaml', text }]);
    const found = located(result.diagnostics, files, /^import\//);
    expect(found.length).toBeGreaterThan(0);
    expect(result.files).toEqual([]);
    for (const f of found) expect(f.at).toMatch(/^in\.yaml:\d+:\d+$/);
  });
});

// ---- validate --live ------------------------------------------------------------------------------------------------

/** A server double: every metric's label names and types as given; values none. */
const server = (labels: Record<string, string[]>, types: Record<string, string[]> = {}): LiveServer => ({
  labelNames: async (match) => labels[/__name__="([^"]+)"/.exec(match)?.[1] ?? /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(match)?.[1] ?? ''] ?? [],
  labelValues: async () => [],
  metricTypes: async (metric) => types[metric] ?? [],
  recordingRules: async () => new Set(),
});

const LIVE_VARIANTS: [string, string, LiveServer, RegExp][] = [
  ['a metric the server has never seen', 'max by (service) (queue_depth) > 1', server({}), /^live\/series-missing$/],
  ['a by() label no series carries', 'sum by (pod) (rate(http_requests_total[5m])) > 1', server({ http_requests_total: ['__name__', 'job'] }), /^live\/label-missing$/],
  ['a matcher on a label no series carries', 'rate(http_requests_total{servce="api"}[5m]) > 1', server({ http_requests_total: ['__name__', 'service'] }), /^live\/label-missing$/],
  ['a counter the server calls a gauge', 'rate(http_requests_total[5m]) > 1', server({ http_requests_total: ['__name__', 'service'] }, { http_requests_total: ['gauge'] }), /^live\/type-mismatch$/],
  ['label names that look like an attack', 'sum by (pod) (rate(http_requests_total[5m])) > 1', server({ http_requests_total: ['__name__', '"; rm -rf /', '\u202eevil', 'x'.repeat(10_000)] }), /^live\/label-missing$/],
];

describe('live/*: hostile answers to validate --live', () => {
  it.each(LIVE_VARIANTS)('%s', async (_, expr, answers, expected) => {
    const files = projectFiles({ 'alerts.yaml': yamlOf({ apiVersion: 'vigil/v1', kind: 'AlertRules', group: 'app', labels: { team: 'app' }, alerts: [{ name: 'Probe', expr, severity: 'critical', summary: 'probe', runbook: 'https://runbooks.example.com/probe' }] }) });
    const loaded = loadYamlSources(sourcesOf(files));
    const result = compile(loaded, { emit: false });
    const live = await runLiveChecks(result.model, loaded.sources, { url: 'http://recorded', lookbackSeconds: 3600, lookbackText: '1h', timeoutMs: 1000, server: answers });
    const found = located(live.diagnostics, files, /^live\//);
    expect(found.map((f) => f.code)).toContainEqual(expect.stringMatching(expected));
    for (const f of found) expect(f.at).toMatch(/^(alerts|metrics)\.yaml:\d+:\d+$/);
  });
});
