// Issue #13 §5 with a real Prometheus (Debian's) scraping serveMetrics: the cached exposition is accepted by its
// parser and answers the values it served, and a value set in a service is queryable within the scrape interval + 1 s.
import { Counter, Histogram, Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { serviceScope } from '../helpers/services.ts';
import { measureSampleAges, quantile, queryValue, startSampleAgeRig, type SampleAgeRig } from '../bench/sample-age.ts';

const scope = serviceScope();
let rig: SampleAgeRig;
const registry = new Registry();
const requests = new Counter({ name: 'probe_requests_total', help: 'Requests with "awkward"\nlabels.', labelNames: ['path'], registers: [registry] });
const latency = new Histogram({ name: 'probe_latency_seconds', help: 'Latency.', labelNames: ['path'], buckets: [0.1, 1], registers: [registry] });

beforeAll(async () => {
  requests.inc({ path: 'back\\slash "quoted"\nnewline' }, 3);
  requests.inc({ path: 'ünïcødé' }, 4);
  latency.observe({ path: '/a' }, 0.5);
  rig = await startSampleAgeRig(scope, registry, 1);
}, 60_000);

describe('a real Prometheus scraping serveMetrics (cached exposition)', () => {
  it('parses the exposition: escaped and non-ASCII label values, histogram buckets, and the values served', async () => {
    await measureSampleAges(rig, 0);   // waits for the first scrape
    expect(await queryValue(rig.prometheus, 'probe_requests_total{path="back\\\\slash \\"quoted\\"\\nnewline"}')).toBe(3);
    expect(await queryValue(rig.prometheus, 'probe_requests_total{path="ünïcødé"}')).toBe(4);
    expect(await queryValue(rig.prometheus, 'probe_latency_seconds_bucket{path="/a",le="1"}')).toBe(1);
    expect(await queryValue(rig.prometheus, 'scrape_samples_scraped{job="probe"}')).toBe(8);
    expect(await queryValue(rig.prometheus, 'up{job="probe"}')).toBe(1);
  }, 60_000);

  it('a value set in the service is queryable within the scrape interval + 1 s (p95 under 2 s at a 1 s scrape)', async () => {
    const ages = await measureSampleAges(rig, 20);
    const p95 = quantile(ages, 0.95);
    expect(p95, `sample ages (ms): ${ages.map((a) => a.toFixed(0)).join(' ')}`).toBeLessThan(2_000);
  }, 90_000);
});
