import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCommand, runVigil, runVigilAsync } from '../helpers/cli.ts';
import { copyExample, exampleScratch } from '../helpers/example.ts';

/** Issue #3's acceptance, on the example project with the real promtool, amtool and Alertmanager. */
const tools = hasCommand('promtool') && hasCommand('amtool') && hasCommand('prometheus-alertmanager');
let work: string;

beforeAll(async () => {
  work = await exampleScratch('example-tests-');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A copy of the example at `<work>/<name>/monitoring/`; returns `<work>/<name>`, where its commands run. */
async function exampleRoot(name: string): Promise<string> {
  const dir = path.join(work, name);
  await copyExample(dir);
  return dir;
}

describe.skipIf(!tools)('vigil test on the example', () => {
  it('passes with 100% level coverage, the routing matrix agrees with amtool and inhibitions hold live', async () => {
    // The whole example through promtool, amtool and a live Alertmanager: minutes on a loaded machine with coverage on.
    const r = await runVigilAsync(['test', '--live'], await exampleRoot('as-is'), {}, 300_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('coverage     58/58 levels tested (100%), required 100%: met');
    expect(r.stdout).toMatch(/routing {6}58\/58 alert levels agree with amtool/);
    expect(r.stdout).toMatch(/inhibition {3}(\d+)\/\1 checks hold on a live Alertmanager/);
  }, 320_000);

  it('fails, naming alerts and levels, when every threshold is raised a thousandfold (the user tests catch it)', async () => {
    const dir = await exampleRoot('raised');
    const alerts = path.join(dir, 'monitoring/alerts');
    for (const file of await readdir(alerts)) {
      const text = await readFile(path.join(alerts, file), 'utf8');
      await writeFile(path.join(alerts, file), text.replace(/value: (-?[0-9.]+)/g, (_m, v: string) => `value: ${Number(v) * 1000}`));
    }
    const r = await runVigilAsync(['test', '--out', 'out'], dir, { VIGIL_TEST_SYNTHESIZER: 'off' }, 300_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/GpuMemoryHigh\s+critical\s+FAILED/);
    expect(r.stdout).toMatch(/NodeCpuHigh\s+critical\s+FAILED/);
    expect(r.stderr).toContain('test failed');
  }, 320_000);

  it('fails validation, naming the alert and the label, when an aggregation drops a label the annotations use', async () => {
    const dir = await exampleRoot('aggregated');
    const file = path.join(dir, 'monitoring/alerts/inference.yaml');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('expr: sum by (service, model) (increase(inference_model_load_failures_total[15m]))', 'expr: sum by (service) (increase(inference_model_load_failures_total[15m]))'));
    const r = runVigil(['validate'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[template/label]: alert InferenceModelLoadFailures, summary: uses label "model"');
  });
});
