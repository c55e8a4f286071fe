import { describe, expect, it } from 'vitest';
import client from 'prom-client';
import { ExpositionError, parseExposition } from './exposition.ts';

describe('parseExposition', () => {
  it('reads families with type, help and the label names of their samples, le and quantile left out', () => {
    const text = [
      '# HELP http_requests_total Requests served, by "code".\\nSecond line \\\\ end',
      '# TYPE http_requests_total counter',
      'http_requests_total{code="200",method="GET"} 10',
      'http_requests_total{code="500", path="a,b=\\"c\\"}"} 2 1712000000000',
      '# TYPE latency_seconds histogram',
      'latency_seconds_bucket{le="0.1",route="/"} 1',
      'latency_seconds_bucket{le="+Inf",route="/"} 2',
      'latency_seconds_sum{route="/"} 0.3',
      'latency_seconds_count{route="/"} 2',
      '# TYPE rpc_seconds summary',
      'rpc_seconds{quantile="0.5"} NaN',
      'rpc_seconds_sum 1e-3',
      'rpc_seconds_count 1',
      '# TYPE idle_vec gauge',
      '# some other comment',
      'no_metadata +Inf',
    ].join('\n');
    expect(parseExposition(text)).toEqual([
      { name: 'http_requests_total', type: 'counter', help: 'Requests served, by "code".\nSecond line \\ end', labels: ['code', 'method', 'path'], sampled: true },
      { name: 'latency_seconds', type: 'histogram', help: '', labels: ['route'], sampled: true },
      { name: 'rpc_seconds', type: 'summary', help: '', labels: [], sampled: true },
      { name: 'idle_vec', type: 'gauge', help: '', labels: [], sampled: false },
      { name: 'no_metadata', type: 'untyped', help: '', labels: [], sampled: true },
    ]);
  });

  it('reads prom-client’s own output, histograms and summaries included', async () => {
    const registry = new client.Registry();
    new client.Histogram({ name: 'job_step_seconds', help: 'Step time.', labelNames: ['job'], registers: [registry] }).observe({ job: 'a' }, 0.2);
    new client.Summary({ name: 'queue_wait_seconds', help: 'Wait.', registers: [registry] }).observe(1);
    new client.Counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['state'], registers: [registry] }).inc({ state: 'ok' });
    const found = parseExposition(await registry.metrics()).map(({ name, type, labels }) => ({ name, type, labels }));
    expect(found).toEqual([
      { name: 'job_step_seconds', type: 'histogram', labels: ['job'] },
      { name: 'queue_wait_seconds', type: 'summary', labels: [] },
      { name: 'jobs_total', type: 'counter', labels: ['state'] },
    ]);
  });

  it.each([
    ['<!doctype html><html><body>hello</body></html>', 1, 'not a sample line'],
    ['# TYPE x countr\nx 1', 1, 'unknown metric type "countr"'],
    ['ok 1\nbad{a="1" 2', 2, 'expected , or }'],
    ['x{a="unterminated} 1', 1, 'unterminated label value'],
    ['x 1 2 3', 1, 'not a sample line'],
    ['\n# just comments\n', 1, 'no metric in it'],
  ])('refuses %j at line %i', (text, line, message) => {
    let error: unknown;
    try {
      parseExposition(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExpositionError);
    expect((error as ExpositionError).line).toBe(line);
    expect((error as ExpositionError).message).toContain(message);
  });
});
