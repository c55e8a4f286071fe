// Secret files of `{ env }` references go where each Alertmanager peer's Environment says (through a mount, here),
// alertmanager.yml names them where the server reads them; and a plan without the deploy secrets is no change on a
// live no-op: it names the files it could not compare instead.
import { cp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO, runOnBuild } from '../helpers/cli.ts';
import { serviceScope } from '../helpers/services.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

const SECRETS = { VIGIL_TEST_WECOM_SECRET: 'wecom-secret-value', VIGIL_TEST_HOOK_TOKEN: 'hook-token-value', VIGIL_TEST_INFLUX_PASSWORD: 'influx-password-value' };
const NONE = { VIGIL_TEST_WECOM_SECRET: '', VIGIL_TEST_HOOK_TOKEN: '', VIGIL_TEST_INFLUX_PASSWORD: '' };

describe('secret files per Alertmanager peer, and plans without the secrets', () => {
  const scope = serviceScope();
  let stack: Stack;
  let dir: string;
  let project: string;
  let envFile: string;
  let serverDir: string;
  const vigil = (args: string[], env: NodeJS.ProcessEnv) => runOnBuild(args, REPO, env);

  beforeAll(async () => {
    stack = await startStack(scope, { prometheus: 1, alertmanagers: 1, influx: true });
    dir = await scope.tempDir();
    project = path.join(dir, 'monitoring');
    await cp(path.join(REPO, 'test/fixtures/deploy/monitoring'), project, { recursive: true });
    const receivers = path.join(project, 'receivers.yaml');
    const text = await readFile(receivers, 'utf8');
    await writeFile(receivers, text.replace('webhook: { url: "http://127.0.0.1:9/team" }', 'webhook: { url: "http://127.0.0.1:9/team", bearerToken: { env: VIGIL_TEST_HOOK_TOKEN } }'));
    // The deploy reaches the Alertmanager host's directory through a mount; the server reads its own path.
    const am = stack.alertmanagers[0]!;
    serverDir = path.dirname(am.configFile);
    const mount = path.join(dir, 'mnt-am');
    await symlink(serverDir, mount);
    const environment = stack
      .environment()
      .replace(`configFile: "${am.configFile}"`, `configFile: "${path.join(mount, 'alertmanager.yml')}"`)
      .replace('alertmanager:\n', `alertmanager:\n  serverSecretsDir: "${path.join(serverDir, 'secrets')}"\n`)
      .replace('retention: 30d }', 'retention: 30d, username: vigil, password: { env: VIGIL_TEST_INFLUX_PASSWORD } }');
    expect(environment).toContain('serverSecretsDir');
    expect(environment).toContain('VIGIL_TEST_INFLUX_PASSWORD');
    envFile = path.join(dir, 'env.yaml');
    await writeFile(envFile, environment);
  }, 120_000);

  it('writes a secret file beside the peer’s configFile through the mount, named in alertmanager.yml as the server reads it', async () => {
    const deploy = await vigil(['deploy', project, '--environment-file', envFile], SECRETS);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    expect(deploy.stdout).toContain('every target verified');
    const serverFile = path.join(serverDir, 'secrets', 'VIGIL_TEST_HOOK_TOKEN');
    expect(await readFile(serverFile, 'utf8')).toBe('hook-token-value');
    expect((await stat(serverFile)).mode & 0o777).toBe(0o600);
    expect(existsSync('/etc/alertmanager/secrets/VIGIL_TEST_HOOK_TOKEN')).toBe(false);
    const status = (await (await fetch(`${stack.alertmanagers[0]!.service.url}/api/v2/status`)).json()) as { config: { original: string } };
    expect(status.config.original).toContain(`credentials_file: ${serverFile}`);
  }, 90_000);

  it('plans a live no-op without any deploy secret as no change (exit 0), naming each file it could not compare', async () => {
    const plan = await vigil(['plan', project, '--environment-file', envFile], NONE);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('No changes: environment test runs this build.');
    const mounted = path.join(dir, 'mnt-am');
    expect(plan.stdout).toContain(`not compared without the secrets: ${path.join(mounted, 'alertmanager.yml')}`);
    expect(plan.stdout).toContain(path.join(mounted, 'secrets', 'VIGIL_TEST_HOOK_TOKEN'));
    expect(plan.stdout).toContain(`${stack.prometheus[0]!.configFile}: compared without the secrets the plan lacks`);
    for (const value of Object.values(SECRETS)) expect(plan.stdout + plan.stderr).not.toContain(value);
    const json = await vigil(['plan', project, '--environment-file', envFile, '--format', 'json'], NONE);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { changes: number }).changes).toBe(0);
  }, 60_000);

  it('still reports a real change without the secrets (exit 3)', async () => {
    const changed = path.join(dir, 'changed.yaml');
    await writeFile(changed, (await readFile(envFile, 'utf8')) + 'overrides:\n  alerts:\n    NodeLoadHigh: { thresholds: { warning: { value: 1500 } } }\n');
    const plan = await vigil(['plan', project, '--environment-file', changed], NONE);
    expect(plan.code, plan.stdout + plan.stderr).toBe(3);
    expect(plan.stdout).toContain('~ rule node/NodeLoadHigh[warning]');
  }, 60_000);

  it('still reports a change to a file that holds a missing secret, in its other settings (exit 3)', async () => {
    const changed = path.join(dir, 'scrape.yaml');
    await writeFile(changed, (await readFile(envFile, 'utf8')).replace('externalLabels: { env: test }', 'externalLabels: { env: test2 }'));
    const plan = await vigil(['plan', project, '--environment-file', changed], NONE);
    expect(plan.code, plan.stdout + plan.stderr).toBe(3);
    expect(plan.stdout).toContain(`configuration ${stack.prometheus[0]!.configFile}`);
    for (const value of Object.values(SECRETS)) expect(plan.stdout + plan.stderr).not.toContain(value);
  }, 60_000);
});
