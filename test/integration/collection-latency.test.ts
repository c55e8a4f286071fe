// Issue #13 §5 with a real Prometheus (Debian's) scraping serveMetrics: the cached exposition is accepted by its
// parser and answers the values it served, and a value set in a service is queryable within the scrape interval + 1 s.
import { Counter, Histogram, Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { serviceScope } from '../helpers/services.ts';
import { measureSampleAges, quantile, queryValue, startSampleAgeRig, type SampleAgeRig } from '../bench/sample-age.ts';

const scope = serviceScope();

// Each case twice: a server formatting a streamed scrape on its main thread, and one writing the histograms' lines on a
// worker thread (formatThreads: 2), each with its own registry and Prometheus. (One describe, titles as written: the
// acceptance matrix cites them.)
describe('a real Prometheus scraping serveMetrics (cached exposition)', () => {
  for (const formatThreads of [1, 2] as const) {
    let rig: SampleAgeRig;
    const registry = new Registry();
    const requests = new Counter({ name: 'probe_requests_total', help: 'Requests with "awkward"\nlabels.', labelNames: ['path'], registers: [registry] });
    const latency = new Histogram({ name: 'probe_latency_seconds', help: 'Latency.', labelNames: ['path'], buckets: [0.1, 1], registers: [registry] });
    // Enough series for the exposition to span hundreds of chunks, with multi-byte label values.
    const WIDE_SERIES = 400;
    const wide = new Histogram({ name: 'probe_wide_seconds', help: 'Wide ✓.', labelNames: ['route'], buckets: [0.1, 1], registers: [registry] });
    const route = (i: number) => `/ünï/${i}/𝄞`;

    beforeAll(async () => {
      requests.inc({ path: 'back\\slash "quoted"\nnewline' }, 3);
      requests.inc({ path: 'ünïcødé' }, 4);
      latency.observe({ path: '/a' }, 0.5);
      for (let i = 0; i < WIDE_SERIES; i++) wide.observe({ route: route(i) }, i / WIDE_SERIES);
      rig = await startSampleAgeRig(scope, registry, 1, { formatThreads });
    }, 60_000);

    it('parses the exposition: escaped and non-ASCII label values, histogram buckets, and the values served', async () => {
      await measureSampleAges(rig, 0);   // waits for the first scrape
      expect(await queryValue(rig.prometheus, 'probe_requests_total{path="back\\\\slash \\"quoted\\"\\nnewline"}')).toBe(3);
      expect(await queryValue(rig.prometheus, 'probe_requests_total{path="ünïcødé"}')).toBe(4);
      expect(await queryValue(rig.prometheus, 'probe_latency_seconds_bucket{path="/a",le="1"}')).toBe(1);
      expect(await queryValue(rig.prometheus, 'scrape_samples_scraped{job="probe"}')).toBe(8 + WIDE_SERIES * 5);
      expect(await queryValue(rig.prometheus, 'up{job="probe"}')).toBe(1);
      expect(await queryValue(rig.prometheus, 'count(probe_wide_seconds_count)')).toBe(WIDE_SERIES);
      expect(await queryValue(rig.prometheus, `probe_wide_seconds_bucket{route="${route(399)}",le="0.1"}`)).toBe(0);
    }, 60_000);

    it('sees series changed, added and removed between scrapes, in the middle of the exposition', async () => {
      for (let i = 0; i < WIDE_SERIES; i += 7) wide.observe({ route: route(i) }, 0.05);
      wide.remove({ route: route(200) });
      wide.observe({ route: '/added' }, 2);
      const expectedSum = 399 / WIDE_SERIES + 0.05;
      for (const deadline = Date.now() + 10_000; ;) {
        const sum = await queryValue(rig.prometheus, `probe_wide_seconds_sum{route="${route(399)}"}`);
        if (sum !== undefined && Math.abs(sum - expectedSum) < 1e-9) break;
        expect(Date.now(), `the change was not scraped: sum ${sum}`).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await queryValue(rig.prometheus, `probe_wide_seconds_bucket{route="${route(7)}",le="0.1"}`)).toBe(2);
      expect(await queryValue(rig.prometheus, 'probe_wide_seconds_count{route="/added"}')).toBe(1);
      expect(await queryValue(rig.prometheus, 'count(probe_wide_seconds_count)')).toBe(WIDE_SERIES);
      expect(await queryValue(rig.prometheus, 'up{job="probe"}')).toBe(1);
    }, 60_000);

    it('parses a scrape that formats a metric as it sends it (chunked, between cached ones): one registered since', async () => {
      // Hundreds of series never written: the next scrape streams that metric, and preparing writes it afterwards.
      const late = new Histogram({ name: 'probe_late_seconds', help: 'Late ✓.', labelNames: ['route'], buckets: [0.1, 1], registers: [registry] });
      for (let i = 0; i < 300; i++) late.observe({ route: route(i) }, i / 300);
      for (const deadline = Date.now() + 10_000; ;) {
        if (await queryValue(rig.prometheus, 'count(probe_late_seconds_count)') === 300) break;
        expect(Date.now(), 'the late metric was not scraped').toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await queryValue(rig.prometheus, `probe_late_seconds_bucket{route="${route(299)}",le="1"}`)).toBe(1);
      expect(await queryValue(rig.prometheus, `probe_late_seconds_bucket{route="${route(31)}",le="0.1"}`)).toBe(0);
      expect(await queryValue(rig.prometheus, 'count(probe_wide_seconds_count)')).toBe(WIDE_SERIES);
      expect(await queryValue(rig.prometheus, 'up{job="probe"}')).toBe(1);
      await rig.server.prepared;
    }, 60_000);

    it('a value set in the service is queryable within the scrape interval + 1 s (p95 under 2 s at a 1 s scrape)', async () => {
      const ages = await measureSampleAges(rig, 20);
      const p95 = quantile(ages, 0.95);
      expect(p95, `sample ages (ms): ${ages.map((a) => a.toFixed(0)).join(' ')}`).toBeLessThan(2_000);
    }, 90_000);
  }
});
