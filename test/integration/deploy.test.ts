import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO, runVigilAsync } from '../helpers/cli.ts';
import { serviceScope } from '../helpers/services.ts';
import { GRAFANA_TOKEN_VAR, startStack, type Stack } from '../helpers/stack.ts';

const FIXTURE = path.join(REPO, 'test/fixtures/deploy/monitoring');
const SECRETS = { [GRAFANA_TOKEN_VAR]: 'glsa_vigil_test', VIGIL_TEST_WECOM_SECRET: 'wecom-secret-value' };

describe('vigil plan and deploy against real services', () => {
  const scope = serviceScope();
  let stack: Stack;
  let envFile: string;

  beforeAll(async () => {
    stack = await startStack(scope, { prometheus: 2, alertmanagers: 3, influx: true, grafana: true });
    envFile = path.join(await scope.tempDir(), 'test.yaml');
    await writeFile(envFile, stack.environment());
  }, 120_000);

  it('plans, deploys, verifies, and a second deploy changes nothing', async () => {
    const plan = await runVigilAsync(['plan', FIXTURE, '--env-file', envFile], REPO, SECRETS);
    console.log(plan.stdout, plan.stderr);
    expect(plan.code).toBe(3);
    const deploy = await runVigilAsync(['deploy', FIXTURE, '--env-file', envFile], REPO, SECRETS);
    console.log(deploy.stdout, deploy.stderr);
    expect(deploy.code).toBe(0);
    const again = await runVigilAsync(['deploy', FIXTURE, '--env-file', envFile], REPO, SECRETS);
    console.log(again.stdout, again.stderr);
    expect(again.code).toBe(0);
    const plan2 = await runVigilAsync(['plan', FIXTURE, '--env-file', envFile], REPO, SECRETS);
    console.log(plan2.stdout, plan2.stderr);
    expect(plan2.code).toBe(0);
  }, 180_000);
});
