import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuild } from '../../src/cli/build.ts';
import type { CliIO } from '../../src/cli/io.ts';
import { REPO, runVigil } from '../helpers/cli.ts';
import { credentialVariants, ORDINARY_TARGETS, ORDINARY_URLS, targetVariants, webhookVariants, type SecretUrl } from './url-secret-variants.ts';

/**
 * #8 §3: no literal secret, in any form, in any URL of any definition kind. Every variant of the tables is planted,
 * alone, in every place a URL can be written; `vigil build` must report secret/literal at that line and write nothing,
 * so no planted secret can reach generated/. Ordinary URLs in the same places must build cleanly.
 */

const BASE = path.join(REPO, 'test/fixtures/base');
const MARK = '@URL@';

const ENVIRONMENT = `apiVersion: vigil/v1
kind: Environment
name: staging
prometheus:
  - name: prom-0
    url: "http://prometheus-0.staging:9090"
    reloadUrl: "http://prometheus-0.staging:9090/-/reload"
    rulesDir: /etc/prometheus/rules/vigil
alertmanager:
  configFile: /etc/alertmanager/alertmanager.yml
  peers:
    - "http://alertmanager-0.staging:9093"
    - url: "http://alertmanager-1.staging:9093"
      reloadUrl: "http://alertmanager-1.staging:9093/-/reload"
grafana:
  url: "https://grafana.staging.example.com"
  token: { env: GRAFANA_TOKEN }
  datasourceUrl: "http://prometheus-lb.staging:9090"
influxdb: { url: "http://influxdb.staging:8086", database: vigil }
relay: { url: "http://vigil-relay.staging:9095", sms: { provider: http, url: "https://sms-gateway.example.com/send" } }
scrape:
  node_exporter: { targets: ["node-1:9100"], metricsPath: "/metrics" }
  app: { targets: ["app-1:8080"] }
overrides:
  receivers:
    oncall: { webhook: { url: "https://hooks.example.com/oncall" } }
`;

const PROJECT = `apiVersion: vigil/v1
kind: Project
name: fixture
evaluationInterval: 30s
scrapeInterval: 15s
grafana: { url: "https://grafana.example.com", datasourceUid: prometheus }
relay: { url: "http://relay:9095", sms: { provider: http, url: "https://sms-gateway.example.com/send" } }
smtp: { smarthost: "smtp.example.com:587", from: alerts@example.com }
policies:
  requiredAlertLabels: [team]
`;

const RECEIVERS = `apiVersion: vigil/v1
kind: Receivers
receivers:
  - name: team
    email: { to: [team@example.com] }
    webhook: { url: "https://hooks.example.com/team" }
  - name: oncall
    sms: { to: ["+8613800000000"] }
`;

const ALERTS = `apiVersion: vigil/v1
kind: AlertRules
group: app
labels: { team: app }
alerts:
  - name: QueueDeep
    expr: max by (service) (queue_depth)
    thresholds:
      warning: { op: ">", value: 100, for: 5m }
      critical: { op: ">", value: 500, for: 2m }
    summary: "Queue of {{ $labels.service }} holds {{ $value }} items"
    runbook: "https://runbooks.example.com/queue-deep"
    dashboard: app
    annotations:
      description: "Open https://status.example.com/queues for the live view of {{ $labels.service }}"
`;

interface Place {
  name: string;
  file: string;
  template: string;
  /** The value (written in double quotes in the template) replaced by the planted URL. */
  replaces: string;
  /** The URL is part of a longer text: the diagnostic points at the URL inside it. */
  embedded?: boolean;
}

const URL_PLACES: Place[] = [
  { name: 'receiver webhook url', file: 'receivers.yaml', template: RECEIVERS, replaces: 'https://hooks.example.com/team' },
  { name: 'project grafana.url', file: 'project.yaml', template: PROJECT, replaces: 'https://grafana.example.com' },
  { name: 'project relay.url', file: 'project.yaml', template: PROJECT, replaces: 'http://relay:9095' },
  { name: 'alert runbook', file: 'alerts.yaml', template: ALERTS, replaces: 'https://runbooks.example.com/queue-deep' },
  { name: 'alert annotation text', file: 'alerts.yaml', template: ALERTS, replaces: 'https://status.example.com/queues', embedded: true },
  { name: 'environment prometheus[].url', file: 'environment.yaml', template: ENVIRONMENT, replaces: 'http://prometheus-0.staging:9090' },
  { name: 'environment prometheus[].reloadUrl', file: 'environment.yaml', template: ENVIRONMENT, replaces: 'http://prometheus-0.staging:9090/-/reload' },
  { name: 'environment alertmanager peer', file: 'environment.yaml', template: ENVIRONMENT, replaces: 'http://alertmanager-0.staging:9093' },
  { name: 'environment alertmanager peer url', file: 'environment.yaml', template: ENVIRONMENT, replaces: 'http://alertmanager-1.staging:9093' },
  { name: 'environment alertmanager peer reloadUrl', file: 'environment.yaml', template: ENVIRONMENT, replaces: 'http://alertmanager-1.staging:9093/-/reload' },
  { name: 'environment grafana.url', file: 'environment.yaml', template: ENVIRONMENT, replaces: 'https://grafana.staging.example.com' },
  { name: 'environment grafana.datasourceUrl', file: 'environment.yaml', template: ENVIRONMENT, replaces: 'http://prometheus-lb.staging:9090' },
  { name: 'environment influxdb.url', file: 'environment.yaml', template: ENVIRONMENT, replaces: 'http://influxdb.staging:8086' },
  { name: 'environment relay.url', file: 'environment.yaml', template: ENVIRONMENT, replaces: 'http://vigil-relay.staging:9095' },
  { name: 'environment receiver override webhook url', file: 'environment.yaml', template: ENVIRONMENT, replaces: 'https://hooks.example.com/oncall' },
];
const TARGET_PLACE: Place = { name: 'environment scrape target', file: 'environment.yaml', template: ENVIRONMENT, replaces: 'node-1:9100' };
const PATH_PLACE: Place = { name: 'environment scrape metricsPath', file: 'environment.yaml', template: ENVIRONMENT, replaces: '/metrics' };

let work: string;
let base: string;
let counter = 0;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'vigil-literal-secrets-'));
  base = path.join(work, 'base');
  await cp(BASE, base, { recursive: true });
  await writeFile(path.join(base, 'environment.yaml'), ENVIRONMENT);
  await writeFile(path.join(base, 'project.yaml'), PROJECT);
  await writeFile(path.join(base, 'receivers.yaml'), RECEIVERS);
  await writeFile(path.join(base, 'alerts.yaml'), ALERTS);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The file's text with the URL planted, and where the diagnostic must point (1-based line and column). */
function plant(place: Place, url: string): { text: string; line: number; col: number } {
  const quoted = `"${place.replaces}"`;
  const at = place.embedded ? place.template.indexOf(place.replaces) : place.template.indexOf(quoted);
  if (at < 0 || place.template.indexOf(place.embedded ? place.replaces : quoted, at + 1) >= 0) throw new Error(`${place.name}: "${place.replaces}" must occur once`);
  // JSON string escapes are valid YAML double-quoted escapes.
  const literal = JSON.stringify(url);
  const text = place.embedded
    ? place.template.slice(0, at) + literal.slice(1, -1) + place.template.slice(at + place.replaces.length)
    : place.template.slice(0, at) + literal + place.template.slice(at + quoted.length);
  const before = text.slice(0, at).split('\n');
  return { text, line: before.length, col: before[before.length - 1]!.length + 1 };
}

interface JsonDiagnostic {
  code: string;
  severity: string;
  message: string;
  hint?: string;
  file?: string;
  line?: number;
  col?: number;
}

/** `vigil build --format json` (or another format) in process, on the base project with files replaced (name → text). */
async function build(files: Record<string, string>, format: 'json' | 'text' | 'github' = 'json') {
  const dir = path.join(work, `case-${counter++}`);
  const defs = path.join(dir, 'monitoring');
  await cp(base, defs, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(defs, file), text);
  let stdout = '';
  let stderr = '';
  const io: CliIO = { out: (t) => void (stdout += t), err: (t) => void (stderr += t), color: false };
  const out = path.join(dir, 'generated');
  const code = await runBuild(io, defs, { out, check: false, format });
  const report = format === 'json' ? (JSON.parse(stdout) as { ok: boolean; diagnostics: JsonDiagnostic[] }) : { ok: code === 0, diagnostics: [] };
  const wrote = existsSync(out) ? await readdir(out, { recursive: true }) : [];
  await rm(dir, { recursive: true, force: true });
  return { code, report, stdout, stderr, wrote, defs };
}

async function buildWith(place: Place, url: string) {
  const planted = plant(place, url);
  const r = await build({ [place.file]: planted.text });
  return { ...r, planted, file: path.relative(process.cwd(), path.join(r.defs, place.file)) };
}

/** One build with the same URL planted in every place that accepts it: ordinary URLs must pass them all at once. */
async function buildWithEverywhere(places: readonly Place[], url: string) {
  const files: Record<string, string> = {};
  for (const place of places) files[place.file] = plant({ ...place, template: files[place.file] ?? place.template }, url).text;
  return build(files);
}

async function expectCaught(place: Place, variant: SecretUrl) {
  const r = await buildWith(place, variant.url);
  const literal = r.report.diagnostics.filter((d) => d.code === 'secret/literal');
  expect(literal, `${variant.url} in ${place.name}: ${JSON.stringify(r.report.diagnostics, null, 1)}`).toContainEqual(
    expect.objectContaining({ severity: 'error', file: r.file, line: r.planted.line, col: r.planted.col }),
  );
  // Once, though the shared tree and the environment's compile both see it.
  expect(literal).toHaveLength(1);
  for (const d of literal) {
    expect(d.message).not.toContain(variant.secret);
    expect(d.hint ?? '').not.toContain(variant.secret);
    expect(d.hint).toMatch(/\{ env: [A-Z_]+ \}/);
  }
  expect(r.code).toBe(1);
  expect(r.wrote, 'a build with a planted secret must write nothing').toEqual([]);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}

const webhooks = webhookVariants();
const credentials = credentialVariants();

describe('the tables are what #8 asks for', () => {
  it('has at least 43 webhook-URL variants and the URL-credential variants, each secret distinct', () => {
    expect(webhooks.length).toBeGreaterThanOrEqual(43);
    expect(credentials.length).toBeGreaterThanOrEqual(6);
    for (const v of [...webhooks, ...credentials]) expect(v.url).toContain(v.secret.split(':').pop());
  });
});

describe.each(URL_PLACES)('a secret planted in the $name', (place) => {
  it.each(webhooks.map((v) => [v.name, v] as const))('webhook variant: %s → secret/literal at its line, nothing written', async (_name, variant) => {
    await expectCaught(place, variant);
  });
  it.each(credentials.filter((v) => place.embedded || !v.textOnly).map((v) => [v.name, v] as const))('URL credentials: %s → secret/literal at its line, nothing written', async (_name, variant) => {
    await expectCaught(place, variant);
  });
});

/**
 * A pull request's CI log is read by more people than its diff, and outlives a force-push that removes the secret:
 * no report format prints the planted text, not even in the source excerpt under the caret (masked with `*`).
 */
describe.each([URL_PLACES.find((p) => p.embedded)!, URL_PLACES.find((p) => p.name === 'environment grafana.datasourceUrl')!])('no report prints a secret planted in the $name', (place) => {
  it.each([...webhooks, ...credentials.filter((v) => place.embedded || !v.textOnly)].map((v) => [v.name, v] as const))('%s: text and github output hold no trace of it', async (_name, variant) => {
    const planted = plant(place, variant.url);
    for (const format of ['text', 'github'] as const) {
      const r = await build({ [place.file]: planted.text }, format);
      expect(r.code).toBe(1);
      const output = r.stdout + r.stderr;
      expect(output).toContain('secret/literal');
      expect(output, format).not.toContain(variant.secret.split(':').pop());
    }
  });
});

describe('ordinary URLs, planted in every place at once', () => {
  it.each(ORDINARY_URLS)('%s builds cleanly, with no finding', async (url) => {
    // An Environment's URLs are server addresses: the schema accepts no template, fragment or space there.
    const places = URL_PLACES.filter((p) => p.file !== 'environment.yaml' || !/[{}#\s]/.test(url));
    const r = await buildWithEverywhere(places, url);
    expect(r.report.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.wrote.length).toBeGreaterThan(0);
  });
});

describe('a secret planted in a scrape target (host:port)', () => {
  it.each(targetVariants().map((v) => [v.name, v] as const))('%s → secret/literal, nothing written', async (_name, variant) => {
    await expectCaught(TARGET_PLACE, variant);
  });
  it('ordinary targets build cleanly', async () => {
    for (const target of ORDINARY_TARGETS) {
      const r = await buildWith(TARGET_PLACE, target);
      expect(r.report.diagnostics.filter((d) => d.severity === 'error'), target).toEqual([]);
      expect(r.code).toBe(0);
    }
  });
});

describe('a secret planted in a scrape metricsPath', () => {
  const variants = webhooks.filter((v) => v.url.startsWith('https://hooks.example.com/alerts?')).map((v) => ({ ...v, url: v.url.replace('https://hooks.example.com/alerts', '/metrics') }));
  it.each(variants.map((v) => [v.name, v] as const))('%s → secret/literal, nothing written', async (_name, variant) => {
    await expectCaught(PATH_PLACE, variant);
  });
  it('an ordinary path builds cleanly', async () => {
    for (const p of ['/metrics', '/federate?match[]={job="node"}', '/probe?module=http_2xx']) {
      const r = await buildWith(PATH_PLACE, p);
      expect(r.report.diagnostics.filter((d) => d.severity === 'error'), p).toEqual([]);
    }
  });
});

describe('a secret built by a TypeScript definition', () => {
  it('is found in the values the definition exports, at its file, and nothing is written', async () => {
    const secret = webhooks.find((v) => v.name === 'Discord webhook')!;
    const [head, tail] = [secret.url.slice(0, 30), secret.url.slice(30)];
    const ts = `const parts = [${JSON.stringify(head)}, ${JSON.stringify(tail)}];
export default {
  apiVersion: 'vigil/v1',
  kind: 'AlertRules',
  group: 'built',
  labels: { team: 'app' },
  alerts: [{ name: 'BuiltDown', expr: 'up == 0', severity: 'critical', summary: 'down', runbook: 'https://runbooks.example.com/built', annotations: { chat: parts.join('') } }],
};
`;
    const r = await build({ 'built.ts': ts });
    const literal = r.report.diagnostics.filter((d) => d.code === 'secret/literal');
    expect(literal, JSON.stringify(r.report.diagnostics, null, 1)).toEqual([expect.objectContaining({ severity: 'error', file: path.relative(process.cwd(), path.join(r.defs, 'built.ts')) })]);
    expect(literal[0]!.message).toContain('a Discord webhook token in its path');
    expect(literal[0]!.message).not.toContain(secret.secret);
    expect(r.code).toBe(1);
    expect(r.wrote).toEqual([]);
  });
});

describe('the real CLI', () => {
  it('vigil validate and vigil build report the planted secret at file:line:col, mask it, exit 1 and write nothing', async () => {
    const dir = path.join(work, 'cli');
    await cp(base, path.join(dir, 'monitoring'), { recursive: true });
    const secret = webhooks.find((v) => v.name === 'Slack incoming webhook')!;
    const planted = plant(URL_PLACES.find((p) => p.name === 'environment grafana.datasourceUrl')!, secret.url);
    await writeFile(path.join(dir, 'monitoring/environment.yaml'), planted.text);
    const validate = runVigil(['validate'], dir);
    expect(validate.code).toBe(1);
    const where = `monitoring/environment.yaml:${planted.line}:${planted.col}: error[secret/literal]`;
    expect(validate.stderr).toContain(where);
    const build = runVigil(['build'], dir);
    expect(build.code).toBe(1);
    expect(build.stderr).toContain(where);
    expect(build.stderr).toContain('nothing was written');
    expect(existsSync(path.join(dir, 'generated'))).toBe(false);
    // Neither the diagnostic's words nor the source excerpt under the caret show the secret: the excerpt masks it.
    for (const output of [validate.stderr, build.stderr]) {
      expect(output).not.toContain(secret.secret);
      expect(output).toMatch(/\| .*\*{20,}/);
    }
    const text = await readFile(path.join(dir, 'monitoring/environment.yaml'), 'utf8');
    expect(text).toContain(secret.secret);
  });
});
