import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../compile.ts';
import { loadYamlSources } from '../load/index.ts';
import { importSlos } from './slo.ts';
import { verifySlos } from './slo-verify.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../test/fixtures');
const LEVELS = { page: 'critical', ticket: 'warning' };

function imported(file: string) {
  const result = importSlos([{ file, text: readFileSync(path.join(FIXTURES, file), 'utf8') }]);
  const built = compile(loadYamlSources(result.files.map((f) => ({ file: f.path, text: f.content }))));
  expect(built.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const rules = new Map(built.artifacts.filter((a) => a.path.startsWith('prometheus/rules/')).map((a) => [a.path, a.content]));
  return { definitions: result.definitions, rules };
}

const tampered = (rules: Map<string, string>, from: string | RegExp, to: string) => new Map([...rules].map(([p, text]) => [p, text.replace(from, to)]));

describe('--verify of vigil import slo: the build against the source spec', () => {
  it.each(['sloth/getting-started.yml', 'sloth/kubernetes-apiserver.yml', 'pyrra/caddy-response-latency.yaml', 'pyrra/prometheus-http.yaml'])('%s: no difference', (file) => {
    const { definitions, rules } = imported(file);
    const trip = verifySlos(definitions, rules, LEVELS);
    expect(trip.differences).toEqual([]);
    expect(trip.compared.burnPairs).toBeGreaterThan(0);
  });

  it.each([
    ['the objective', 'vector(0.999)', 'vector(0.99)', /objective 0.999 in the source, vector\(0.99\) in the build/],
    ['the period', 'vector(30)', 'vector(28)', /a 30d period in the source, vector\(28\)/],
    ['the error query', 'code=~"(5..|429)"}[5m]', 'code=~"5.."}[5m]', /the 5m error ratio differs/],
    ['a burn factor', /\(14\.4 \* 0\.001\)/g, '(14 * 0.001)', /the page alert of the build has no 14.4× burn over 1h and 5m/],
    ['a burn window', /ratio_rate6h\{/g, 'ratio_rate5h{', /no 6× burn over 6h and 30m/],
    ['a severity', /severity: warning/g, 'severity: info', /no ticket alert \(severity warning\) in the build/],
  ])('Sloth: a change of %s is a difference', (_what, from, to, message) => {
    const { definitions, rules } = imported('sloth/getting-started.yml');
    const trip = verifySlos(definitions, tampered(rules, from, to), LEVELS);
    expect(trip.differences.join('\n')).toMatch(message);
  });

  it('Pyrra: a latency SLI reading other series is a difference', () => {
    const { definitions, rules } = imported('pyrra/caddy-response-latency.yaml');
    const trip = verifySlos(definitions, tampered(rules, /le="0\.05"/g, 'le="0.1"'), LEVELS);
    expect(trip.differences.join('\n')).toContain('does not read caddy_http_response_duration_seconds_bucket{job="caddy",handler="subroute",code!~"5..",le="0.05"}');
  });
});
