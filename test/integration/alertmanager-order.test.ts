// Alertmanager 0.25 sorts matchers when it loads a config. Vigil emits them in that order and compares them the same
// way, so deploying the example's shared definitions (no route overrides) to a real Alertmanager verifies.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { load as parseYaml } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildView } from '../../src/build/read.ts';
import { compile } from '../../src/compile.ts';
import { deployEnvironment, planTargets, prepareTargets } from '../../src/deploy/deploy.ts';
import { loadDirectory, withExtraFile } from '../../src/load/index.ts';
import { formatMatcher, parseAlertmanagerMatcher, sortMatchers, type SimpleMatcher } from '../../src/routing/matchers.ts';
import { EXAMPLE } from '../helpers/example.ts';
import { serviceScope } from '../helpers/services.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

const OPS = ['=', '!=', '=~', '!~'] as const;

/** A generated class of matcher lists: labels and values that tie, differ in case, in length, beyond ASCII and beyond the BMP. */
function matcherTable(): SimpleMatcher[][] {
  const labels = ['severity', 'alertname', 'Team', 'team', '_x', 'a', 'ab', 'a_b', 'z9'];
  const values = ['warning', 'NodeDisk.+', 'A', 'a', '', 'b', 'é', '\u{1F600}', '\uFB01', 'x y', 'a"b'];
  const table: SimpleMatcher[][] = [];
  for (let seed = 1; seed <= 12; seed++) {
    let s = seed * 7919;
    const next = (n: number) => ((s = (s * 1103515245 + 12345) % 2147483648), s % n);
    const list: SimpleMatcher[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < 3 + (seed % 6); i++) {
      const m = { label: labels[next(labels.length)]!, op: OPS[next(4)]!, value: values[next(values.length)]! };
      const key = formatMatcher(m);
      if (!seen.has(key)) list.push(m), seen.add(key);
    }
    table.push(list);
  }
  // Same label and value, every type; same label, values only ordered by bytes.
  table.push(OPS.map((op) => ({ label: 'team', op, value: 'a' })).reverse());
  table.push(['\u{1F600}', '\uFB01', 'z', 'Z', 'é'].map((value) => ({ label: 'v', op: '=', value })));
  return table;
}

describe('matchers as Alertmanager 0.25 orders them', () => {
  const scope = serviceScope();
  let stack: Stack;
  let dir: string;

  beforeAll(async () => {
    stack = await startStack(scope, { prometheus: 1, alertmanagers: 1, nodeExporter: false });
    dir = await scope.tempDir();
  }, 120_000);

  it('sortMatchers gives the order the real Alertmanager shows, for routes and inhibit rules', async () => {
    const table = matcherTable();
    const config = {
      route: { receiver: 'r', routes: table.map((list) => ({ receiver: 'r', matchers: list.map(formatMatcher) })) },
      inhibit_rules: table.map((list) => ({ source_matchers: list.map(formatMatcher), target_matchers: [...list].reverse().map(formatMatcher) })),
      receivers: [{ name: 'r' }],
    };
    const am = stack.alertmanagers[0]!;
    await writeFile(am.configFile, JSON.stringify(config));
    const reload = await fetch(`${am.service.url}/-/reload`, { method: 'POST' });
    expect(reload.status, await reload.text()).toBe(200);
    const status = (await (await fetch(`${am.service.url}/api/v2/status`)).json()) as { config: { original: string } };
    const live = parseYaml(status.config.original) as { route: { routes: { matchers: string[] }[] }; inhibit_rules: { source_matchers: string[]; target_matchers: string[] }[] };
    const shown = (texts: string[]) => texts.map(parseAlertmanagerMatcher);
    table.forEach((list, i) => {
      expect(shown(live.route.routes[i]!.matchers), `route ${i}`).toEqual(sortMatchers(list));
      expect(shown(live.inhibit_rules[i]!.source_matchers), `inhibit ${i}`).toEqual(sortMatchers(list));
      expect(shown(live.inhibit_rules[i]!.target_matchers), `inhibit ${i}`).toEqual(sortMatchers(list));
      // Alertmanager prints each matcher as Vigil formats it, so the emitted text reads as the status shows it.
      expect(live.route.routes[i]!.matchers).toEqual(sortMatchers(list).map(formatMatcher));
    });
  }, 60_000);

  it('deploys the example’s shared definitions through an Environment without overrides, and verifies', async () => {
    // The example itself (its TypeScript dashboard imports `vigil` and the Grafana SDK from this repository); the
    // Environment file comes from outside it and overrides nothing.
    const project = EXAMPLE;
    const envFile = path.join(dir, 'plain.yaml');
    await writeFile(envFile, stack.environment({ name: 'plain' }));
    // In process, so that the `{ file: /etc/alertmanager/secrets/… }` the example names are read from a table, not /etc.
    const loaded = await withExtraFile(await loadDirectory(project), envFile);
    const compiled = compile(loaded, { environment: 'plain' });
    expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const secrets = { env: { WECOM_API_SECRET: 'wecom-example-secret', VIGIL_RELAY_TOKEN: 'relay-example-token' }, readFile: async (file: string) => `content of ${path.basename(file)}` };
    const build = buildView(compiled.artifacts);
    const input = { environment: build.environment!, build, secrets };
    const report = await deployEnvironment(input);
    expect(report.failure?.error.message).toBeUndefined();
    expect(report.applied).toContain('alertmanager');
    // The file as written already has the order Alertmanager shows, and a second plan sees no change.
    const written = parseYaml(await readFile(stack.alertmanagers[0]!.configFile, 'utf8')) as { route: { routes: { matchers?: string[] }[] } };
    for (const r of written.route.routes) if (r.matchers) expect(r.matchers).toEqual(sortMatchers(r.matchers.map(parseAlertmanagerMatcher)).map(formatMatcher));
    const again = await prepareTargets(input);
    const plans = await planTargets(again.targets);
    expect(plans.flatMap((p) => p.changes)).toEqual([]);
  }, 120_000);
});
