/**
 * The real Alertmanager's word for --verify: `amtool config routes test` routes each label set through the input
 * file and the built one, and `amtool check-config` loads the built one. Absent amtool, this half is skipped and says so.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { showLabels, type Labels } from './alertmanager-verify.ts';

const run = promisify(execFile);

export const amtoolAvailable = (): boolean => spawnSync('amtool', ['--version'], { encoding: 'utf8' }).status === 0;

/** The receivers amtool routes a label set to (as it prints them: comma separated). */
export async function amtoolRoutes(configFile: string, labels: Labels): Promise<string[]> {
  const args = ['config', 'routes', 'test', `--config.file=${configFile}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)];
  const { stdout } = await run('amtool', args, { encoding: 'utf8', timeout: 30_000 });
  return stdout.trim() === '' ? [] : stdout.trim().split(',');
}

export async function amtoolCheck(configFile: string, cwd: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run('amtool', ['check-config', configFile], { cwd, encoding: 'utf8', timeout: 30_000 });
    return { ok: true, output: stdout + stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` || err.message };
  }
}

/** amtool's routing of every label set through both files; a difference per label set where they disagree. */
export async function compareWithAmtool(inputFile: string, builtFile: string, labelSets: readonly Labels[], receiver: (name: string) => string): Promise<string[]> {
  const differences: string[] = [];
  // A few at a time: amtool starts in tens of milliseconds, and the machine is shared.
  const queue = [...labelSets];
  const worker = async () => {
    for (let labels = queue.shift(); labels; labels = queue.shift()) {
      let want: string[];
      let got: string[];
      try {
        [want, got] = await Promise.all([amtoolRoutes(inputFile, labels), amtoolRoutes(builtFile, labels)]);
      } catch (e) {
        const err = e as { stderr?: string; message: string };
        differences.push(`amtool config routes test ${showLabels(labels)} failed: ${(err.stderr || err.message).trim().split('\n').pop()}`);
        continue;
      }
      const mapped = want.map(receiver);
      if (mapped.join(',') !== got.join(',')) differences.push(`amtool config routes test ${showLabels(labels)}: the input routes to ${mapped.join(', ') || 'nothing'}, the build to ${got.join(', ') || 'nothing'}`);
    }
  };
  await Promise.all([worker(), worker()]);
  return differences.sort();
}
