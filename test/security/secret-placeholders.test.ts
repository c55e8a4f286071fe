import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.ts';
import { buildView } from '../../src/build/read.ts';
import { compile } from '../../src/compile.ts';
import { lineColAt } from '../../src/diagnostics.ts';
import { prepareTargets } from '../../src/deploy/deploy.ts';
import type { SecretSource } from '../../src/deploy/secrets.ts';
import { loadYamlSources } from '../../src/load/index.ts';
import { loadTypeScript } from '../../src/load/typescript.ts';
import { baseFile } from '../helpers/model.ts';

/**
 * #8 §1: a pull request controls every string of the definitions. Whatever placeholder-shaped text it writes, in
 * whatever YAML shape and whatever field, (a) validate reports it at its position, and (b) even with that check
 * switched off, deploy and plan read no secret but those secrets.json names, so nothing else can reach a file, a
 * status page or a pull-request comment.
 */
const LEAK_ENV = 'VIGIL_TEST_LEAK';
const LEAK_ENV_VALUE = 'leaked-environment-value-7f3a';
const LEAK_FILE_VALUE = 'leaked-file-content-91c2';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'vigil-leak-'));
const LEAK_FILE = path.join(tmp, 'readable');
writeFileSync(LEAK_FILE, `${LEAK_FILE_VALUE}\n`);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The secrets the example Environment legitimately names. */
const LEGIT = { WECOM_API_SECRET: 'legit-wecom', INFLUXDB_PASSWORD: 'legit-influx' };

const ENV_REF = `\${${LEAK_ENV}}`;
const FILE_REF = `\${file:${LEAK_FILE}}`;
/** What an attacker wants a line-scanning substitution to see: a whole `key: "${…}"` line of its own. */
const INJECTED = `2\nx: "${ENV_REF}"\ny: "${FILE_REF}"`;

/** Ways to write a string holding the payload in YAML: each yields the scalar text after `key: `. */
const SHAPES: Record<string, (indent: string) => string> = {
  'double-quoted, multi-line': () => JSON.stringify(INJECTED),
  'double-quoted, escaped dollar': () => `"\\u0024{${LEAK_ENV}}"`,
  'single-quoted': () => `'${ENV_REF}'`,
  plain: () => ENV_REF,
  'literal block': (indent) => `|\n${INJECTED.split('\n').map((l) => `${indent}  ${l}`).join('\n')}`,
  'folded block': (indent) => `>-\n${INJECTED.split('\n').map((l) => `${indent}  ${l}\n`).join('')}`.trimEnd(),
  'with a trailing comment': () => `"${FILE_REF}"   # ${ENV_REF}`,
  'hash inside the value': () => `"a #\\"${ENV_REF}\\""`,
  'anchored': () => `&leak "${FILE_REF}"`,
};

interface Place {
  name: string;
  /** The file and a function writing it with `scalar` as the user-controlled value. */
  file: string;
  text(scalar: (indent: string) => string): string;
}

const RECEIVERS_HEAD = 'apiVersion: vigil/v1\nkind: Receivers\nreceivers:\n  - name: team\n    email: { to: [team@example.com] }\n  - name: oncall\n    sms: { to: ["+8613800000000"] }\n';
const wecom = (field: string, scalar: (indent: string) => string) =>
  `${RECEIVERS_HEAD}  - name: ops\n    wecom:\n      corpId: ww0123\n      agentId: "1000002"\n      apiSecret: { env: WECOM_API_SECRET }\n      ${field}: ${scalar('      ')}\n`;

const PLACES: Place[] = [
  { name: 'wecom toParty', file: 'receivers.yaml', text: (s) => wecom('toParty', s) },
  { name: 'wecom toUser', file: 'receivers.yaml', text: (s) => wecom('toUser', s) },
  { name: 'wecom corpId', file: 'receivers.yaml', text: (s) => wecom('corpId', s).replace('      corpId: ww0123\n', '') },
  {
    name: 'route matcher',
    file: 'routes.yaml',
    text: (s) => `apiVersion: vigil/v1\nkind: Routes\nreceiver: team\nroutes:\n  - receiver: oncall\n    matchers:\n      - ${s('      ')}\n`,
  },
  {
    name: 'alert description',
    file: 'extra-alerts.yaml',
    text: (s) =>
      `apiVersion: vigil/v1\nkind: AlertRules\ngroup: extra\nlabels: { team: app }\nalerts:\n  - name: Extra\n    expr: up == 0\n    severity: critical\n    summary: "x"\n    description: ${s('    ')}\n`,
  },
  {
    name: 'alert label value',
    file: 'extra-alerts.yaml',
    text: (s) => `apiVersion: vigil/v1\nkind: AlertRules\ngroup: extra\nlabels: { team: app }\nalerts:\n  - name: Extra\n    expr: up == 0\n    severity: critical\n    summary: "x"\n    labels:\n      note: ${s('      ')}\n`,
  },
  { name: 'environment external label', file: 'env.yaml', text: (s) => environment(`externalLabels:\n  env: ${s('  ')}\n`) },
  { name: 'environment scrape label', file: 'env.yaml', text: (s) => environment(`scrape:\n  node_exporter:\n    targets: ["node:9100"]\n    labels:\n      zone: ${s('      ')}\n`) },
];

function environment(extra: string): string {
  return [
    'apiVersion: vigil/v1',
    'kind: Environment',
    'name: prod',
    'prometheus:',
    '  - { name: a, url: "http://127.0.0.1:1", rulesDir: /nonexistent/rules, configFile: /nonexistent/prometheus.yml }',
    'alertmanager:',
    '  peers: [{ url: "http://127.0.0.1:2", configFile: /nonexistent/alertmanager.yml }]',
    'influxdb: { url: "http://127.0.0.1:3", database: prometheus, username: prometheus, password: { env: INFLUXDB_PASSWORD } }',
    extra.trimEnd(),
    '',
  ].join('\n');
}

async function sources(place: Place, shape: (indent: string) => string) {
  const files = ['alerts.yaml', 'dashboard.yaml', 'metrics.yaml', 'project.yaml', 'receivers.yaml', 'recording.yaml', 'routes.yaml', 'severities.yaml'];
  const out = await Promise.all(files.map(async (file) => ({ file, text: await baseFile(file) })));
  const text = place.text(shape);
  const existing = out.find((s) => s.file === place.file);
  if (existing) existing.text = text;
  else out.push({ file: place.file, text });
  // Every place needs the wecom receiver (its legit secret) and an Environment (its prometheus.yml).
  if (!out.some((s) => s.file === 'env.yaml')) out.push({ file: 'env.yaml', text: environment('') });
  const receivers = out.find((s) => s.file === 'receivers.yaml')!;
  if (!receivers.text.includes('wecom')) receivers.text = wecom('toParty', () => '"2"');
  return out;
}

/** A secret source that records every name it is asked for and answers every one: the worst case for a leak. */
function spyingSource(): { source: SecretSource; asked: string[] } {
  const asked: string[] = [];
  const env = new Proxy({} as NodeJS.ProcessEnv, {
    get(_t, key) {
      if (typeof key !== 'string') return undefined;
      asked.push(key);
      return key === LEAK_ENV ? LEAK_ENV_VALUE : ((LEGIT as Record<string, string>)[key] ?? `value-of-${key}`);
    },
  });
  return {
    asked,
    source: {
      env,
      readFile: async (file) => {
        asked.push(`file:${file}`);
        return file === LEAK_FILE ? `${LEAK_FILE_VALUE}\n` : `content-of-${file}`;
      },
    },
  };
}

const cases = PLACES.flatMap((place) => Object.entries(SHAPES).map(([shape, scalar]) => ({ place, shape, scalar })));

describe('secret placeholders written by a definition', () => {
  it.each(cases.map((c) => [`${c.place.name}, ${c.shape}`, c] as const))('%s: validate reports it where it is written', async (_name, c) => {
    const files = await sources(c.place, c.scalar);
    const result = compile(loadYamlSources(files), { environment: 'prod' });
    const found = result.diagnostics.filter((d) => d.code === 'secret/placeholder');
    expect(found.length, JSON.stringify(result.diagnostics.map((d) => [d.code, d.message]))).toBeGreaterThan(0);
    expect(result.artifacts).toEqual([]);
    const text = files.find((f) => f.file === c.place.file)!.text;
    for (const d of found) {
      expect(d.span!.file).toBe(c.place.file);
      // The span points into the user's value: the text there starts a placeholder (or its escaped form).
      const at = text.slice(d.span!.start, d.span!.start + 8);
      expect(at, `${lineColAt(text, d.span!.start).line}: ${at}`).toMatch(/^(\$\{|\\u0024\{)/);
    }
  });

  it.each(cases.map((c) => [`${c.place.name}, ${c.shape}`, c] as const))('%s: deploy reads no secret but those secrets.json names, even with the check off', async (_name, c) => {
    const files = await sources(c.place, c.scalar);
    const result = compile(loadYamlSources(files), { environment: 'prod', checks: CHECKS.filter((k) => k.id !== 'secret/placeholder'), emitOnError: true });
    expect(result.model.environment).toBeDefined();
    const { source, asked } = spyingSource();
    const build = buildView(result.artifacts);
    const prepared = await prepareTargets({ environment: build.environment!, build, secrets: source });
    expect([...new Set(asked)].sort()).toEqual(['INFLUXDB_PASSWORD', 'VIGIL_RELAY_TOKEN', 'WECOM_API_SECRET']);
    const written = [prepared.alertmanager!.config, ...prepared.prometheus.map((p) => (p as unknown as { desired: { config?: { content: string } } }).desired.config?.content ?? '')].join('\n');
    expect(written).toContain('legit-wecom');
    expect(written).toContain('legit-influx');
    expect(written).not.toContain(LEAK_ENV_VALUE);
    expect(written).not.toContain(LEAK_FILE_VALUE);
  });

  it('a TypeScript definition building the payload at run time is reported too', async () => {
    const file = path.join(tmp, 'receivers.ts');
    const ts = [
      "const dollar = String.fromCharCode(36);",
      'export default {',
      "  apiVersion: 'vigil/v1', kind: 'Receivers',",
      "  receivers: [{ name: 'ops', wecom: { corpId: 'ww1', agentId: '1', apiSecret: { env: 'WECOM_API_SECRET' },",
      `    toParty: ['2', 'x: "' + dollar + '{${LEAK_ENV}}"'].join('\\n') } }],`,
      '};',
      '',
    ].join('\n');
    writeFileSync(file, ts);
    const loaded = await loadTypeScript('receivers.ts', file, ts);
    expect(loaded.diagnostics).toEqual([]);
    const yaml = loadYamlSources([{ file: 'project.yaml', text: await baseFile('project.yaml') }]);
    const result = compile({ ...yaml, definitions: [...yaml.definitions, ...loaded.definitions] });
    expect(result.diagnostics.filter((d) => d.code === 'secret/placeholder').map((d) => d.span?.file)).toEqual(['receivers.ts']);
  });

  it('dashboards may use Grafana variables: ${…} there is not a placeholder', async () => {
    const dashboard = (await baseFile('dashboard.yaml')).replace("title: App", 'title: "App ${instance}"').replace("legend: \"{{service}}\"", 'legend: "${service}"');
    expect(dashboard).toContain('${instance}');
    const result = compile(loadYamlSources([{ file: 'dashboard.yaml', text: dashboard }]), { emit: false });
    expect(result.diagnostics.filter((d) => d.code === 'secret/placeholder')).toEqual([]);
  });
});
