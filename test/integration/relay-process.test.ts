// `vigil relay` as a process, the way it runs in production: settings and tokens from the build, a SQLite file as the
// store, SIGTERM to stop. The durability promise is tested the hard way: the relay is killed with SIGKILL while an
// escalation is pending, started again on the same store, and the escalation fires exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../src/deploy/target.ts';
import { startDingtalkSink, type DingtalkSink } from '../doubles/dingtalk-sink.ts';
import { REPO, runVigilAsync, VIGIL_BIN } from '../helpers/cli.ts';
import { findPostgres, startPostgres } from '../helpers/postgres.ts';
import { freePort, serviceScope } from '../helpers/services.ts';
import { webhookAlert, webhookPayload } from '../factories/index.ts';

const BASE = path.join(REPO, 'test/fixtures/base');
const NOTIFY = 'notify-token-process';
const READ = 'read-token-process';
const ONCALL = { token: 'oncall-robot', secret: 'SEConcall' };
const LEAD = { token: 'lead-robot', secret: 'SEClead' };

describe('vigil relay, the process', () => {
  const scope = serviceScope();
  let dir: string;
  let sink: DingtalkSink;
  let port: number;
  const running = new Set<ChildProcess>();

  const start = (args: string[] = [], env: NodeJS.ProcessEnv = {}) => {
    const child = spawn(process.execPath, [VIGIL_BIN, 'relay', '--build', path.join(dir, 'generated'), '--store', `sqlite:${path.join(dir, 'relay.db')}`, '--language', 'en', ...args], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', VIGIL_TEST_DT_ONCALL: sink.url(ONCALL.token), VIGIL_TEST_DT_ONCALL_SECRET: ONCALL.secret, VIGIL_TEST_DT_LEAD: sink.url(LEAD.token), VIGIL_TEST_DT_LEAD_SECRET: LEAD.secret, ...env },
    });
    running.add(child);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const exit = new Promise<number | null>((resolve) => child.on('close', (code) => (running.delete(child), resolve(code))));
    return { child, exit, stderr: () => stderr };
  };
  const ready = (at = port) =>
    eventually(async () => {
      const r = await fetch(`http://127.0.0.1:${at}/-/ready`);
      if (r.status !== 200) throw new Error(`not ready: ${r.status}`);
    }, 20_000);
  const post = (body: unknown, token = NOTIFY, at = port) =>
    fetch(`http://127.0.0.1:${at}/api/v1/notify/dingtalk/oncall`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const payload = (name: string, startsAt: string) =>
    webhookPayload({ externalURL: '', alerts: [webhookAlert({ labels: { alertname: name, severity: 'critical', service: 'queue', team: 'shop' }, annotations: { summary: `${name} fired` }, startsAt })] });
  const mentions = (token: string, name: string) => sink.messages(token).filter((m) => JSON.stringify(m.body).includes(name));

  beforeAll(async () => {
    dir = await scope.tempDir('vigil-relay-process-');
    port = await freePort();
    const monitoring = path.join(dir, 'monitoring');
    await cp(BASE, monitoring, { recursive: true });
    await writeFile(path.join(dir, 'notify-token'), `${NOTIFY}\n`);
    await writeFile(path.join(dir, 'read-token'), `${READ}\n`);
    const edit = async (file: string, change: (text: string) => string) => writeFile(path.join(monitoring, file), change(await readFile(path.join(monitoring, file), 'utf8')));
    await edit('project.yaml', (t) => t.replace('relay: { url: http://relay:9095, token: { env: VIGIL_RELAY_TOKEN }, sms: { provider: http, url: "https://sms-gateway.example.com/send" } }', `relay: { url: "http://127.0.0.1:${port}", token: { file: "${dir}/notify-token" }, apiTokens: { read: { file: "${dir}/read-token" } }, storePassword: { env: VIGIL_TEST_PG_PASSWORD } }`));
    await edit('receivers.yaml', (t) =>
      t.replace('    sms: { to: ["+8613800000000"] }', '    dingtalk: { webhook: { env: VIGIL_TEST_DT_ONCALL }, secret: { env: VIGIL_TEST_DT_ONCALL_SECRET } }') +
      '  - name: lead\n    dingtalk: { webhook: { env: VIGIL_TEST_DT_LEAD }, secret: { env: VIGIL_TEST_DT_LEAD_SECRET } }\n',
    );
    await edit('severities.yaml', (t) => t.replace('{ name: critical, groupWait: 10s, groupInterval: 1m, repeatInterval: 1h }', '{ name: critical, groupWait: 10s, groupInterval: 1m, repeatInterval: 1h, escalation: [{ after: 5s, receivers: [lead] }] }'));
    const build = await runVigilAsync(['build', monitoring, '--out', path.join(dir, 'generated')], dir);
    expect(build.code, build.stderr).toBe(0);
    sink = await startDingtalkSink({ robots: [ONCALL, LEAD] });
    scope.onCleanup(async () => {
      for (const child of running) child.kill('SIGKILL');
      await sink.close();
    });
  }, 60_000);

  it('fires an escalation exactly once across a SIGKILL and a restart on the same store', async () => {
    const first = start();
    await ready();
    const startsAt = new Date().toISOString();
    expect((await post(payload('KilledMidway', startsAt))).status).toBe(200);
    await eventually(async () => {
      if (!mentions(ONCALL.token, 'KilledMidway').length) throw new Error('first notice not delivered yet');
    }, 10_000);
    // The escalation is due 5 s after startsAt: the relay dies before, holding nothing but what the store has.
    first.child.kill('SIGKILL');
    await first.exit;
    expect(mentions(LEAD.token, 'KilledMidway')).toHaveLength(0);
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(startsAt) + 5_500 - Date.now())));
    const second = start();
    await ready();
    await eventually(async () => {
      if (!mentions(LEAD.token, 'KilledMidway').length) throw new Error('not escalated yet');
    }, 15_000);
    // The same post again (Alertmanager retrying what it never saw answered) changes nothing either.
    expect((await post(payload('KilledMidway', startsAt))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(mentions(LEAD.token, 'KilledMidway')).toHaveLength(1);
    expect(mentions(ONCALL.token, 'KilledMidway')).toHaveLength(1);
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
    expect(second.stderr()).toContain('vigil relay: stopping');
  }, 60_000);

  it('requires Alertmanager’s token and serves metrics only with a read token', async () => {
    const relay = start();
    await ready();
    expect((await post(payload('NoToken', new Date().toISOString()), 'not-the-token')).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { Authorization: `Bearer ${READ}` } });
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/vigil_relay_notifications_received_total\{channel="dingtalk",result="unauthorized"\} 1/);
    expect(text).toContain('vigil_relay_queue_depth');
    // Series exist from the start, so the first dead letter after a restart is an increase, not a new series.
    expect(text).toMatch(/vigil_relay_dead_letters_total\{channel="dingtalk"\} 0/);
    expect(text).toMatch(/vigil_relay_escalations_total\{severity="critical"\} 0/);
    relay.child.kill('SIGTERM');
    expect(await relay.exit).toBe(0);
  }, 30_000);

  it.each([
    ['a build that is not there', ['--env', 'prod'], 'relay failed [deploy/build]: the build in'],
    ['a listen address that is not one', ['--listen', 'nowhere'], '--listen "nowhere": expected HOST:PORT'],
    ['a time zone that does not exist', ['--time-zone', 'Mars/Olympus'], 'time zone "Mars/Olympus" is not an IANA time zone'],
    ['a store it cannot use', ['--store', 'mysql://relay@db/relay'], 'expected sqlite:PATH or postgres://user@host:5432/database'],
    ['a store URL with a password in it', ['--store', 'postgres://relay:hunter2@db/relay'], 'put it in relay.storePassword'],
  ])('refuses %s, with a clear message and no stack trace', async (_name, args, message) => {
    const relay = start(args);
    const code = await relay.exit;
    expect(code).not.toBe(0);
    expect(relay.stderr()).toContain(message);
    expect(relay.stderr()).not.toMatch(/\n\s+at /);
  }, 20_000);

  it('refuses to start on a build whose relay has no token, unless told it is meant', async () => {
    const generated = path.join(dir, 'generated');
    const open = path.join(dir, 'open');
    await cp(generated, open, { recursive: true });
    const relayYml = path.join(open, 'relay/relay.yml');
    const text = (await readFile(relayYml, 'utf8')).replace(/\n  token:\n    file: [^\n]+/, '');
    await writeFile(relayYml, text);
    // The manifest vouches for every file: an edited relay.yml is refused as such, so re-hash it (as a build would).
    const { createHash } = await import('node:crypto');
    const manifestFile = path.join(open, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as { files: { path: string; sha256: string }[] };
    manifest.files.find((f) => f.path === 'relay/relay.yml')!.sha256 = createHash('sha256').update(text).digest('hex');
    await writeFile(manifestFile, JSON.stringify(manifest));
    const refused = start(['--build', open]);
    expect(await refused.exit).toBe(1);
    expect(refused.stderr()).toContain('relay failed [relay/config]: the build’s relay has no token (relay.token)');
    expect(refused.stderr()).toContain('hint: add `token: { env: VIGIL_RELAY_TOKEN }` to relay');
    const allowed = start(['--build', open, '--insecure-open-notify']);
    await ready();
    expect(allowed.stderr()).toContain('--insecure-open-notify');
    allowed.child.kill('SIGTERM');
    expect(await allowed.exit).toBe(0);
  }, 30_000);

  const pg = findPostgres();
  it.skipIf('missing' in pg)('two replicas on one PostgreSQL: one killed, each notice and each escalation exactly once', async () => {
    const server = await startPostgres(scope);
    const parsed = new URL(server.url);
    const store = `postgres://${parsed.username}@${parsed.host}${parsed.pathname}`;
    const env = { VIGIL_TEST_PG_PASSWORD: decodeURIComponent(parsed.password) };
    const [portA, portB] = [await freePort(), await freePort()];
    const a = start(['--store', store, '--listen', `127.0.0.1:${portA}`], env);
    const b = start(['--store', store, '--listen', `127.0.0.1:${portB}`], env);
    await Promise.all([ready(portA), ready(portB)]);
    const startsAt = new Date().toISOString();
    // The same group reaches both replicas (two Alertmanager peers, or a retry that went to the other one).
    const answers = await Promise.all([post(payload('TwoReplicas', startsAt), NOTIFY, portA), post(payload('TwoReplicas', startsAt), NOTIFY, portB)]);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    await eventually(async () => {
      if (!mentions(ONCALL.token, 'TwoReplicas').length) throw new Error('first notice not delivered yet');
    }, 10_000);
    a.child.kill('SIGKILL');
    await a.exit;
    await eventually(async () => {
      if (!mentions(LEAD.token, 'TwoReplicas').length) throw new Error('not escalated yet');
    }, 20_000);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(mentions(ONCALL.token, 'TwoReplicas')).toHaveLength(1);
    expect(mentions(LEAD.token, 'TwoReplicas')).toHaveLength(1);
    b.child.kill('SIGTERM');
    expect(await b.exit).toBe(0);
  }, 90_000);
});
