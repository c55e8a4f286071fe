// `vigil export data` against a real Prometheus (Debian's 2.42) scraping itself every second: the series of an
// expression over a range, as CSV and JSON, from --url or from an Environment's build; a refused query and an
// unreachable server end in a clear message and exit 1.
import { writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort, serviceScope, type RunningService } from '../helpers/services.ts';
import { hasCommand, runVigilAsync } from '../helpers/cli.ts';

describe.skipIf(!hasCommand('prometheus'))('vigil export data', () => {
  const scope = serviceScope();
  let prometheus: RunningService;
  let dir: string;
  let url: string;

  beforeAll(async () => {
    dir = await scope.tempDir('vigil-export-');
    const config = path.join(dir, 'prometheus.yml');
    prometheus = await scope.start({
      name: 'prometheus',
      command: 'prometheus',
      // Prometheus scrapes itself: its own port is known once the helper has chosen it.
      args: (port) => {
        writeFileSync(config, `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: self\n    static_configs: [{ targets: ["127.0.0.1:${port}"] }]\n`);
        return [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`];
      },
      readyPath: '/-/ready',
      readyTimeoutMs: 30_000,
    });
    url = prometheus.url;
    // Prometheus starts scraping a few seconds after it is ready; then a few samples more.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const answer = (await (await fetch(`${url}/api/v1/query?query=up`)).json()) as { data: { result: unknown[] } };
      if (answer.data.result.length > 0) break;
      if (Date.now() > deadline) throw new Error('Prometheus scraped nothing within 30 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    await new Promise((r) => setTimeout(r, 3_000));
  }, 60_000);

  it('writes the series as CSV, one row per sample', async () => {
    const run = await runVigilAsync(['export', 'data', '--query', 'up{job="self"}', '--from', 'now-10s', '--step', '1s', '--url', url], dir);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0], run.stdout + run.stderr).toBe('__name__,instance,job,timestamp,value');
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines.slice(1)) expect(line).toMatch(/^up,127\.0\.0\.1:\d+,self,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z,1$/);
  });

  it('writes JSON to a file', async () => {
    const out = path.join(dir, 'up.json');
    const run = await runVigilAsync(['export', 'data', '--query', 'sum by (job) (up)', '--from', 'now-10s', '--step', '2s', '--format', 'json', '--url', url, '--out', out], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/exported 1 series, \d+ samples from/);
    const doc = JSON.parse(await readFile(out, 'utf8'));
    expect(doc).toMatchObject({ query: 'sum by (job) (up)', step: 2, series: [{ labels: { job: 'self' } }] });
    expect(doc.series[0].values.every(([, v]: [number, string]) => v === '1')).toBe(true);
  });

  it('reads the Environment’s Prometheus from the build', async () => {
    const project = path.join(dir, 'project');
    const { cp } = await import('node:fs/promises');
    await cp(path.join(import.meta.dirname, '../fixtures/base'), path.join(project, 'monitoring'), { recursive: true });
    await writeFile(path.join(project, 'monitoring/env.yaml'), `apiVersion: vigil/v1\nkind: Environment\nname: lab\nprometheus:\n  - url: "${url}"\n    rulesDir: ${dir}/rules\n`);
    const build = await runVigilAsync(['build', 'monitoring'], project);
    expect(build.code, build.stderr).toBe(0);
    const run = await runVigilAsync(['export', 'data', '--query', 'up', '--from', 'now-5s', '--env', 'lab'], project);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(',self,');
  });

  it('says why when Prometheus refuses the query, and asks nothing for one that does not parse', async () => {
    const refused = await runVigilAsync(['export', 'data', '--query', 'rate(up)', '--from', 'now-10s', '--url', url], dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[export/query]: Prometheus at');
    expect(refused.stderr).toContain('bad_data');
    expect(refused.stderr).toContain('hint: ');
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    const broken = await runVigilAsync(['export', 'data', '--query', 'sum(up', '--from', 'now-10s', '--url', url], dir);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('--query:1:4: error[promql/syntax]');
  });

  it('fails clearly when no Prometheus answers', async () => {
    const port = await freePort();
    const run = await runVigilAsync(['export', 'data', '--query', 'up', '--from', 'now-10s', '--url', `http://127.0.0.1:${port}`], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('[export/unreachable]');
    expect(run.stderr).toContain('ECONNREFUSED');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
