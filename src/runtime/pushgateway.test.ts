import { Counter, Gauge, Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort, serviceScope, startPushgateway, type RunningService } from '../../test/helpers/services.ts';
import { deleteFromGateway, groupPath, pushAddToGateway, pushPeriodically, pushToGateway, PushgatewayError } from './pushgateway.ts';

const scope = serviceScope();
let gateway: RunningService;
beforeAll(async () => {
  gateway = await startPushgateway(scope);
}, 30_000);

/** The gateway's own exposition, without its pushgateway_/go_/process_ series and metadata lines. */
async function pushed(): Promise<string[]> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  return text.split('\n').filter((l) => l && !l.startsWith('#') && !/^(go|process|pushgateway|push_time_seconds|push_failure_time_seconds)_?/.test(l)).sort();
}

function job(registry = new Registry()) {
  const steps = new Counter({ name: 'steps_total', help: 'Steps.', labelNames: ['model'], registers: [registry] });
  const loss = new Gauge({ name: 'loss', help: 'Loss.', registers: [registry] });
  return { registry, steps, loss };
}

describe('groupPath', () => {
  it('puts the grouping key in the path, base64url-encoding values a segment cannot hold', () => {
    expect(groupPath('trainer', { instance: 'gpu-node-01', job_id: 'j1' })).toBe('/metrics/job/trainer/instance/gpu-node-01/job_id/j1');
    expect(groupPath('trainer', { path: 'a/b', empty: '' })).toBe('/metrics/job/trainer/path@base64/YS9i/empty@base64/=');
    expect(groupPath('a/b')).toBe('/metrics/job@base64/YS9i');
  });

  it('refuses an empty job, a job in the grouping key and an invalid label name', () => {
    expect(() => groupPath('')).toThrow(/must not be empty/);
    expect(() => groupPath('trainer', { job: 'x' })).toThrow(/must not name job/);
    expect(() => groupPath('trainer', { 'job-id': 'x' })).toThrow(/not a valid label name/);
  });
});

describe('pushing to a real Pushgateway', () => {
  it('PUT replaces the group, POST replaces only the metrics it carries, DELETE removes the group', async () => {
    const a = job();
    a.steps.inc({ model: 'bert' }, 5);
    a.loss.set(0.5);
    const key = { url: gateway.url, job: 'trainer', groupingKey: { job_id: 'put-post' } };
    await pushToGateway({ ...key, registry: a.registry });
    expect(await pushed()).toEqual([
      'loss{instance="",job="trainer",job_id="put-post"} 0.5',
      'steps_total{instance="",job="trainer",job_id="put-post",model="bert"} 5',
    ]);

    const onlyLoss = new Registry();
    new Gauge({ name: 'loss', help: 'Loss.', registers: [onlyLoss] }).set(0.25);
    await pushAddToGateway({ ...key, registry: onlyLoss });
    expect(await pushed()).toEqual([
      'loss{instance="",job="trainer",job_id="put-post"} 0.25',
      'steps_total{instance="",job="trainer",job_id="put-post",model="bert"} 5',
    ]);

    await pushToGateway({ ...key, registry: onlyLoss });
    expect(await pushed()).toEqual(['loss{instance="",job="trainer",job_id="put-post"} 0.25']);

    // The gateway accepts a DELETE (202) and removes the group asynchronously: the group goes, soon.
    await deleteFromGateway(key);
    await expect.poll(pushed, { timeout: 5_000, interval: 50 }).toEqual([]);
  });

  it('pushes periodically and once more on stop, so the final state is what stays', async () => {
    const a = job();
    const key = { url: gateway.url, job: 'trainer', groupingKey: { job_id: 'periodic' } };
    const loop = pushPeriodically({ ...key, registry: a.registry, intervalMs: 50 });
    a.loss.set(2);
    await new Promise((r) => setTimeout(r, 200));
    expect(await pushed()).toContain('loss{instance="",job="trainer",job_id="periodic"} 2');
    a.loss.set(1);
    await loop.stop();
    expect(loop.lastError()).toBeUndefined();
    expect(await pushed()).toContain('loss{instance="",job="trainer",job_id="periodic"} 1');
    await deleteFromGateway(key);
  });

  it('says which gateway it could not reach, and what a refusing gateway answered', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const error = await pushToGateway({ url: closed, job: 'trainer', registry: job().registry }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PushgatewayError);
    expect((error as Error).message).toMatch(new RegExp(`cannot reach the Pushgateway at ${closed} \\(PUT ${closed}/metrics/job/trainer\\): .*ECONNREFUSED`));

    // A metric pushed as a counter while another group holds it as a gauge is inconsistent: the gateway answers 400.
    const gaugeGroup = { url: gateway.url, job: 'trainer', groupingKey: { job_id: 'gauge' } };
    await pushToGateway({ ...gaugeGroup, registry: job().registry });
    const clash = new Registry();
    new Counter({ name: 'loss', help: 'Loss.', registers: [clash] }).inc();
    const refused = await pushToGateway({ url: gateway.url, job: 'trainer', groupingKey: { job_id: 'counter' }, registry: clash }).catch((e: unknown) => e);
    await deleteFromGateway(gaugeGroup);
    expect(refused).toBeInstanceOf(PushgatewayError);
    expect((refused as PushgatewayError).status).toBe(400);
    expect((refused as Error).message).toMatch(/answered 400 to PUT .*job_id\/counter: .*inconsistent/);
  });
});
