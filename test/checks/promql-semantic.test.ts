import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineColAt } from '../../src/diagnostics.ts';
import { compileProject } from '../../src/compile-project.ts';
import { loadDirectory, loadYamlSources, type SourceFile } from '../../src/load/index.ts';
import { EXAMPLE } from '../helpers/example.ts';

/**
 * The semantic PromQL checks (issue #9 §2), as tables of good and bad expressions over the fixture catalogue:
 * http_requests_total counter [service, code], queue_depth gauge [service], request_duration_seconds histogram
 * [service], node_* external (labels instance, job, mountpoint), up; scrapeInterval 15s. An Environment `staging`
 * scrapes app every 30s and node_exporter at the project's interval. Each bad row says where the finding must point
 * (the text it underlines); each good row must yield no finding of any of these checks.
 */
const BASE = path.join(import.meta.dirname, '../fixtures/base');
const base: SourceFile[] = await Promise.all((await readdir(BASE)).sort().map(async (f) => ({ file: f, text: await readFile(path.join(BASE, f), 'utf8') })));
const SEMANTIC = /^promql\/(rate-gauge|rate-histogram|counter-compare|label-unknown|range-short|job-unknown|absent-always)$/;

const ENV = `apiVersion: vigil/v1
kind: Environment
name: staging
prometheus:
  - { url: "http://prom:9090", rulesDir: /etc/prometheus/rules }
scrape:
  node_exporter: { targets: ["node:9100"] }
  app: { targets: ["app:8080"], interval: 30s, labels: { cluster: eu } }
`;

interface Finding {
  code: string;
  severity: string;
  underlined: string;
  message: string;
}

function findings(expr: string, options: { thresholds?: boolean; env?: boolean } = {}): Finding[] {
  const level = options.thresholds ? '    thresholds:\n      warning: { op: ">", value: 100 }\n' : '    severity: warning\n';
  const alerts = `apiVersion: vigil/v1\nkind: AlertRules\ngroup: semantic\nlabels: { team: app }\nalerts:\n  - name: Probe\n    expr: '${expr.replace(/'/g, "''")}'\n${level}    summary: probe\n    runbook: https://runbooks.example.com/probe\n`;
  const sources = [...base, { file: 'semantic.yaml', text: alerts }, ...(options.env === false ? [] : [{ file: 'env.yaml', text: ENV }])];
  const texts = new Map(sources.map((s) => [s.file, s.text]));
  return compileProject(loadYamlSources(sources), { emit: false })
    .diagnostics.filter((d) => SEMANTIC.test(d.code))
    .map((d) => {
      const text = texts.get(d.span!.file)!;
      lineColAt(text, d.span!.start);
      return { code: d.code, severity: d.severity, underlined: text.slice(d.span!.start, d.span!.end), message: `${d.message} (hint: ${d.hint})` };
    });
}

type Row = [expr: string, code: string, underlined: string, severity: 'error' | 'warning', message?: string];

const BAD: Row[] = [
  // rate()/irate()/increase() of a gauge
  ['rate(queue_depth[5m]) > 1', 'promql/rate-gauge', 'rate', 'error', 'gauge'],
  ['sum by (service) (irate(queue_depth[1m])) > 1', 'promql/rate-gauge', 'irate', 'error'],
  ['increase(queue_depth{service="a"}[1h] offset 5m) > 1', 'promql/rate-gauge', 'increase', 'error'],
  ['rate({__name__="queue_depth"}[5m]) > 1', 'promql/rate-gauge', 'rate', 'error'],
  ['rate((queue_depth[5m])) > 1', 'promql/rate-gauge', 'rate', 'error'],
  // … of a histogram's base name
  ['rate(request_duration_seconds[5m]) > 1', 'promql/rate-histogram', 'request_duration_seconds', 'error', 'request_duration_seconds_bucket'],
  ['histogram_quantile(0.9, sum by (le) (increase(request_duration_seconds[10m]))) > 1', 'promql/rate-histogram', 'request_duration_seconds', 'error'],
  ['irate(request_duration_seconds{service="a"}[1m]) > 1', 'promql/rate-histogram', 'request_duration_seconds', 'error'],
  // a raw counter compared with a number
  ['http_requests_total > 1000', 'promql/counter-compare', 'http_requests_total', 'warning', 'rate(http_requests_total[5m]) >'],
  ['1000 < http_requests_total{service="a"}', 'promql/counter-compare', 'http_requests_total', 'warning'],
  ['(http_requests_total) >= 5', 'promql/counter-compare', 'http_requests_total', 'warning'],
  ['request_duration_seconds_count > 10', 'promql/counter-compare', 'request_duration_seconds_count', 'warning'],
  ['http_requests_total offset 1h == 0', 'promql/counter-compare', 'http_requests_total', 'warning'],
  // a label the catalogue does not declare
  ['rate(http_requests_total{status="500"}[5m]) > 1', 'promql/label-unknown', 'status', 'error', 'did you mean "code"?'],
  ['queue_depth{servce="a"} > 1', 'promql/label-unknown', 'servce', 'error', 'did you mean "service"?'],
  ['queue_depth{region=~"eu.+"} > 1', 'promql/label-unknown', 'region', 'error'],
  ['queue_depth{region!="eu"} > 1', 'promql/label-unknown', 'region', 'warning', 'matches every series'],
  ['queue_depth{region=~".*"} > 1', 'promql/label-unknown', 'region', 'warning'],
  ['rate(request_duration_seconds_sum{le="1"}[5m]) > 1', 'promql/label-unknown', 'le', 'error'],
  // a range shorter than 2 × the scrape interval
  ['rate(http_requests_total[15s]) > 1', 'promql/range-short', '15s', 'error', 'scrape interval (15s)'],
  ['increase(http_requests_total[29s]) > 1', 'promql/range-short', '29s', 'error'],
  ['rate(http_requests_total[45s]) > 1', 'promql/range-short', '45s', 'error', 'source app (30s in environment staging)'],
  ['deriv(queue_depth[20s]) > 1', 'promql/range-short', '20s', 'error'],
  ['irate(node_cpu_seconds_total[15s]) > 1', 'promql/range-short', '15s', 'error'],
  ['rate(service:http_requests:rate5m[30s]) > 1', 'promql/range-short', '30s', 'error', 'evaluation interval'],
  // a job no generated scrape job has
  ['up{job="node"} == 0', 'promql/job-unknown', 'node', 'error', 'did you mean "node_exporter"?'],
  ['node_load1{job="app"} > 1', 'promql/job-unknown', 'app', 'error', 'job="node_exporter"'],
  ['up{job=~"node|nodes"} == 0', 'promql/job-unknown', 'node|nodes', 'error'],
  ['rate(http_requests_total{job="api"}[5m]) > 1', 'promql/job-unknown', 'api', 'error'],
  // absent() of something always present
  ['absent(up)', 'promql/absent-always', 'absent', 'error', 'up without matchers'],
  ['absent(sum(up))', 'promql/absent-always', 'absent', 'error'],
  ['absent(vector(1))', 'promql/absent-always', 'absent', 'error'],
  ['absent(sum(http_requests_total) or vector(0))', 'promql/absent-always', 'absent', 'error'],
  ['absent_over_time(up[5m])', 'promql/absent-always', 'absent_over_time', 'error'],
  ['absent((scrape_duration_seconds))', 'promql/absent-always', 'absent', 'error'],
];

const GOOD: string[] = [
  'rate(http_requests_total[5m]) > 1',
  'sum by (service) (increase(http_requests_total{code="500"}[1h])) > 10',
  'deriv(queue_depth[10m]) > 1',
  'delta(queue_depth[1h]) > 100',
  'queue_depth > 100',
  'max_over_time(queue_depth[15s]) > 1',
  'histogram_quantile(0.95, sum by (le) (rate(request_duration_seconds_bucket[5m]))) > 1',
  'rate(request_duration_seconds_sum[5m]) / rate(request_duration_seconds_count[5m]) > 1',
  'sum(http_requests_total) > 1000',
  'rate(http_requests_total[5m]) > 1000',
  'http_requests_total - http_requests_total offset 1h > 10',
  'http_requests_total{service="a"} and queue_depth > 0',
  'queue_depth{service="a", instance="h:1", job="app"} > 1',
  'queue_depth{cluster="eu"} > 1',
  'rate(request_duration_seconds_bucket{le="0.5"}[5m]) > 1',
  'node_filesystem_avail_bytes{mountpoint="/", device="sda"} < 1e9',
  'rate(node_cpu_seconds_total[30s]) > 1',
  'rate(http_requests_total[1m]) > 1',
  'rate(service:http_requests:rate5m[1m]) > 1',
  'rate(http_requests_total[5m:15s]) > 1',
  'up{job="node_exporter"} == 0',
  'up{job="app"} == 0',
  'up{job=~"node_.+"} == 0',
  'node_load1{job="node_exporter"} > 1',
  'service:http_requests:rate5m{job="whatever"} > 1',
  'absent(up{job="app"})',
  'absent(http_requests_total)',
  'absent(sum(http_requests_total))',
  'absent_over_time(up{job="node_exporter"}[5m])',
  'absent(nonexistent_metric_total)',
];

describe('semantic PromQL checks (issue #9 §2)', () => {
  it.each(BAD)('%s → %s at "%s"', (expr, code, underlined, severity, message) => {
    const got = findings(expr);
    const found = got.find((f) => f.code === code && f.underlined === underlined);
    expect(found, JSON.stringify(got, null, 1)).toBeDefined();
    expect(found!.severity).toBe(severity);
    if (message) expect(found!.message).toContain(message);
  });

  it.each(GOOD)('%s → no finding', (expr) => {
    expect(findings(expr)).toEqual([]);
  });

  it('an alert whose thresholds compare a bare counter is a counter comparison', () => {
    expect(findings('http_requests_total{code="500"}', { thresholds: true }).map((f) => [f.code, f.underlined])).toEqual([['promql/counter-compare', 'http_requests_total']]);
    expect(findings('rate(http_requests_total{code="500"}[5m])', { thresholds: true })).toEqual([]);
    expect(findings('queue_depth', { thresholds: true })).toEqual([]);
  });

  it('a job an Environment does not scrape is env/scrape\'s warning, not an unknown job: every catalogue source names one', () => {
    // staging scrapes node_exporter and app only; prometheus is a catalogue source all the same.
    expect(findings('up{job="prometheus"} == 0')).toEqual([]);
    expect(findings('up{job="promethues"} == 0').map((f) => f.code)).toEqual(['promql/job-unknown']);
  });

  it('without an Environment Vigil writes no scrape jobs, so job names are not judged', () => {
    expect(findings('up{job="node"} == 0', { env: false })).toEqual([]);
  });

  it('each Environment is judged at its own interval', () => {
    // The project scrapes every 15s; staging scrapes app every 30s, so 40s is short there only.
    const atProject = findings('rate(http_requests_total[20s]) > 1', { env: false });
    expect(atProject.map((f) => f.code)).toEqual(['promql/range-short']);
    const withStaging = findings('rate(http_requests_total[40s]) > 1');
    expect(withStaging.map((f) => f.message).join('\n')).toContain('environment staging');
    expect(findings('rate(http_requests_total[40s]) > 1', { env: false })).toEqual([]);
  });

  it('the example project has none of these mistakes, apart from the job names reported to the lead', async () => {
    const loaded = await loadDirectory(EXAMPLE);
    const found = compileProject(loaded, { emit: false }).diagnostics.filter((d) => SEMANTIC.test(d.code) && d.code !== 'promql/job-unknown');
    expect(found.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  });
});

describe('dashboard queries', () => {
  const dashboard = (expr: string) => base.map((s) => (s.file === 'dashboard.yaml' ? { ...s, text: s.text.replace("'max(queue_depth)'", `'${expr}'`) } : s));
  const codes = (expr: string) =>
    compileProject(loadYamlSources([...dashboard(expr), { file: 'env.yaml', text: ENV }]), { emit: false })
      .diagnostics.filter((d) => SEMANTIC.test(d.code))
      .map((d) => d.code);

  it.each([
    ['sum(up{job="node"})', ['promql/job-unknown']],
    ['sum(rate(http_requests_total{status="500"}[5m]))', ['promql/label-unknown']],
    ['sum(rate(queue_depth[5m]))', ['promql/rate-gauge']],
    ['sum(up{job="$job"})', []],
    ['sum(up{job=~"$job"})', []],
    ['sum(rate(http_requests_total{code=~"$code"}[$__rate_interval]))', []],
    ['sum(rate(http_requests_total[$__rate_interval]))', []],
  ] as const)('%s → %j', (expr, want) => {
    expect(codes(expr)).toEqual(want);
  });
});
