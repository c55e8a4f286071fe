// `vigil plan` and `vigil deploy` with the relay as one more target: the relay's part of the build written under
// relay.buildDir/<env>/, the relay reloaded, and verified by the sha256 of relay.yml it reports — next to a real
// Prometheus and Alertmanager, from the build `vigil build` made.
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/build/manifest.ts';
import { eventually } from '../../src/deploy/target.ts';
import { REPO, runVigilAsync, VIGIL_BIN } from '../helpers/cli.ts';
import { freePort, serviceScope } from '../helpers/services.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

const BASE = path.join(REPO, 'test/fixtures/base');
const OPERATE = 'operate-token-deploy';

describe('the relay as a deploy target', () => {
  const scope = serviceScope();
  let stack: Stack;
  let dir: string;
  let port: number;
  let relay: ChildProcess | undefined;
  const monitoring = () => path.join(dir, 'monitoring');
  const relayDir = () => path.join(dir, 'relay-build');
  const READ = 'read-token-deploy';
  const tokens = { VIGIL_TEST_RELAY_READ: READ, VIGIL_TEST_RELAY_OPERATE: OPERATE };
  const vigil = (args: string[], env: NodeJS.ProcessEnv = tokens) => runVigilAsync(args, dir, { VIGIL_TEST_RELAY_READ: '', VIGIL_TEST_RELAY_OPERATE: '', ...env });
  const build = async (out: string) => {
    const r = await vigil(['build', monitoring(), '--environment-file', path.join(dir, 'env.yaml'), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
  };
  const status = async () => (await (await fetch(`http://127.0.0.1:${port}/api/v1/status`, { headers: { Authorization: `Bearer ${OPERATE}` } })).json()) as { build: { relayConfigSha256: string } };

  beforeAll(async () => {
    stack = await startStack(scope, { prometheus: 1, alertmanagers: 1 });
    dir = await scope.tempDir('vigil-relay-deploy-');
    port = await freePort();
    await cp(BASE, monitoring(), { recursive: true });
    await writeFile(path.join(dir, 'notify-token'), 'notify-token-deploy\n');
    const relaySettings = `relay:\n  url: "http://127.0.0.1:${port}"\n  token: { file: "${dir}/notify-token" }\n  apiTokens: { read: { env: VIGIL_TEST_RELAY_READ }, operate: { env: VIGIL_TEST_RELAY_OPERATE } }\n  buildDir: "${relayDir()}"\n`;
    await writeFile(path.join(dir, 'env.yaml'), stack.environment({ extra: relaySettings }));
    // The relay's first build: a whole `vigil build` of the environment (later deploys write only its part).
    await build(relayDir());
    relay = spawn(process.execPath, [VIGIL_BIN, 'relay', '--build', relayDir(), '--env', 'test', '--store', `sqlite:${path.join(dir, 'relay.db')}`], { cwd: dir, stdio: 'ignore', env: { ...process.env, ...tokens } });
    scope.onCleanup(async () => void relay?.kill('SIGKILL'));
    await eventually(async () => {
      if ((await fetch(`http://127.0.0.1:${port}/-/ready`)).status !== 200) throw new Error('relay not ready');
    }, 20_000);
  }, 120_000);

  it('plans a changed escalation as a relay change, deploys it, and the relay serves it', async () => {
    const severities = path.join(monitoring(), 'severities.yaml');
    await writeFile(severities, (await readFile(severities, 'utf8')).replace('{ name: critical, groupWait: 10s, groupInterval: 1m, repeatInterval: 1h }', '{ name: critical, groupWait: 10s, groupInterval: 1m, repeatInterval: 1h, escalation: [{ after: 15m, receivers: [team] }] }'));
    const generated = path.join(dir, 'generated');
    await build(generated);
    const want = sha256(await readFile(path.join(generated, 'test/relay/relay.yml'), 'utf8'));
    expect((await status()).build.relayConfigSha256).not.toBe(want);

    // A plan holds only the read token (a pull request's plan job has no operate credentials).
    const plan = await vigil(['plan', monitoring(), '--targets', generated], { VIGIL_TEST_RELAY_READ: READ });
    expect(plan.code, plan.stdout + plan.stderr).toBe(3);
    expect(plan.stdout).toContain('~ relay configuration');

    const deploy = await vigil(['deploy', monitoring(), '--build', generated]);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stderr).toContain('relay: verified');
    expect((await status()).build.relayConfigSha256).toBe(want);
    // What the relay reads now is the build's, vouched for by a manifest of its own.
    expect(await readFile(path.join(relayDir(), 'test/relay/relay.yml'), 'utf8')).toBe(await readFile(path.join(generated, 'test/relay/relay.yml'), 'utf8'));

    const again = await vigil(['plan', monitoring(), '--targets', generated]);
    expect(again.code, again.stdout).toBe(0);
  }, 60_000);

  it('fails before changing anything when the relay cannot be reached', async () => {
    relay?.kill('SIGKILL');
    await new Promise((r) => relay!.once('close', r));
    const before = await readFile(path.join(relayDir(), 'test/relay/relay.yml'), 'utf8');
    const severities = path.join(monitoring(), 'severities.yaml');
    await writeFile(severities, (await readFile(severities, 'utf8')).replace('after: 15m', 'after: 20m'));
    const generated = path.join(dir, 'generated');
    await build(generated);
    const deploy = await vigil(['deploy', monitoring(), '--build', generated]);
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain(`deploy failed [deploy/unreachable]: cannot reach relay http://127.0.0.1:${port}`);
    expect(await readFile(path.join(relayDir(), 'test/relay/relay.yml'), 'utf8')).toBe(before);
  }, 60_000);
});
