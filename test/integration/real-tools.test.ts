import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCommand, REPO, runVigil } from '../helpers/cli.ts';
import { EXAMPLE } from '../helpers/example.ts';

/** The example project, built by the real CLI, must be accepted by the real promtool and amtool. */
const tools = hasCommand('promtool') && hasCommand('amtool');
let out: string;

beforeAll(async () => {
  out = await mkdtemp(path.join(os.tmpdir(), 'vigil-real-tools-'));
  const build = runVigil(['build', EXAMPLE, '--out', out], REPO);
  expect(build.code, build.stderr).toBe(0);
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe.skipIf(!tools)('generated files against the real tools', () => {
  it('promtool check rules --lint-fatal accepts every rule file', async () => {
    const dir = path.join(out, 'prometheus/rules');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.yml')).map((f) => path.join(dir, f));
    expect(files.length).toBeGreaterThanOrEqual(4);
    const r = spawnSync('promtool', ['check', 'rules', '--lint-fatal', ...files], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('amtool check-config accepts alertmanager.yml with its templates', () => {
    const r = spawnSync('amtool', ['check-config', path.join(out, 'alertmanager/alertmanager.yml')], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('SUCCESS');
    expect(r.stdout).toMatch(/Found:[\s\S]*- \d+ receivers[\s\S]*- \d+ templates/);
  });

  it('promtool check config accepts the prometheus.yml of every replica of dev, staging and prod', async () => {
    const files: string[] = [];
    for (const env of ['dev', 'staging', 'prod']) {
      const dir = path.join(out, env, 'prometheus');
      files.push(...(await readdir(dir)).filter((f) => /^prometheus-.+\.yml$/.test(f)).map((f) => path.join(dir, f)));
    }
    expect(files.length).toBe(5);
    for (const file of files) {
      const r = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('is valid prometheus config file syntax');
    }
  });

  it('each environment applies its overrides: prod warns GPU memory at 90, dev has no GpuMemoryHigh and pages no phone', async () => {
    const { readFile } = await import('node:fs/promises');
    const rules = (env: string) => readFile(path.join(out, env, 'prometheus/rules/training.yml'), 'utf8');
    expect(await rules('prod')).toMatch(/alert: GpuMemoryHigh\n\s+expr: \(instance_gpu:dcgm_fb_used:ratio \* 100\) > 90\n/);
    expect(await rules('staging')).toMatch(/\) > 92\n/);
    expect(await rules('dev')).not.toContain('GpuMemoryHigh');
    const relay = (env: string) => readFile(path.join(out, env, 'relay/relay.yml'), 'utf8');
    expect(await relay('prod')).toContain('+8613700000000');
    expect((await relay('dev')).split('escalation:')[0]).not.toMatch(/oncall:\n(\s{4,}.*\n)*\s+sms:/);
  });

  it('promtool rejects what Vigil would reject: a deliberately broken copy fails', () => {
    // Guards the test itself: promtool really is checking the files we hand it.
    const r = spawnSync('sh', ['-c', `printf 'groups:\\n- name: x\\n  rules:\\n  - alert: A\\n    expr: rate(x)\\n' > ${out}/broken.yml && promtool check rules ${out}/broken.yml`], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
  });
});


it('the example project validates without errors', () => {
  const r = runVigil(['validate', EXAMPLE], REPO);
  expect(r.code, r.stderr).toBe(0);
});
