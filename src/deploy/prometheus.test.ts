import { describe, expect, it } from 'vitest';
import { configDifference } from './prometheus.ts';

const config = (jobs: string, extra = '') => `global:\n  scrape_interval: 15s\nscrape_configs:\n${jobs}${extra}`;

describe('what changed in prometheus.yml, for the plan', () => {
  it('names scrape jobs by name and other sections by key', () => {
    const before = config('  - job_name: node\n    static_configs: [{ targets: ["a:9100"] }]\n  - job_name: old\n');
    const after = config('  - job_name: node\n    static_configs: [{ targets: ["a:9100", "b:9100"] }]\n  - job_name: api\n', 'remote_write:\n  - url: http://influx:8086/api/v1/prom/write?db=p\n');
    expect(configDifference(before, after)).toBe('scrape job api added, scrape job old removed, scrape job node, remote_write');
  });

  it('says when only comments or formatting differ', () => {
    expect(configDifference('# old\nglobal: { scrape_interval: 15s }\n', 'global:\n  scrape_interval: 15s\n')).toBe('comments or formatting only');
  });
});
