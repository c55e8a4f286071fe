// Runs the simulated platform against a local Prometheus and Pushgateway, for a look at the example's alerts and
// dashboards by hand:
//
//   prometheus-pushgateway --web.listen-address=127.0.0.1:9091 --persistence.file= &
//   node --import tsx test/sim/run.ts [--pushgateway http://127.0.0.1:9091] [--factor 60] [--interval 1s]
//
// It builds the example (under .tmp/, with an environment "sim" of this machine), starts the simulators with the
// platform's usual workload, writes their file_sd targets, and prints the Prometheus command to run. Then it reads
// knob commands on stdin, one per line: a simulator, a method and its arguments as JSON (bare words are strings):
//
//   training diverge job-steady
//   inference deploy checkout m {"serverErrorRatio":0.1}
//   relays.relay-a queue 300
//   nodes.node-hot cpuBusy 0.97
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { exampleScratch } from '../helpers/example.ts';
import { loadInstrumentation } from './instrumentation.ts';
import { startPlatform, startWorkload, type Platform } from './platform.ts';
import { buildSimProject, writeTargets } from './project.ts';

const { values } = parseArgs({
  options: {
    pushgateway: { type: 'string', default: 'http://127.0.0.1:9091' },
    factor: { type: 'string', default: '60' },
    interval: { type: 'string', default: '1s' },
  },
});

const root = await exampleScratch('sim-');
const factor = Number(values.factor);
const project = await buildSimProject(root, { pushgatewayUrl: values.pushgateway!, factor, hold: factor === 1 ? undefined : '2s', interval: values.interval! });
const platform = await startPlatform(await loadInstrumentation(project.generated), { pushgatewayUrl: values.pushgateway! });
await writeTargets(project, platform.targets());
startWorkload(platform);

process.stdout.write(
  [
    `The example is built in ${root} (rules time-compressed by ${factor}).`,
    'Start Prometheus with:',
    `  prometheus --config.file=${project.configFile} --storage.tsdb.path=${project.prometheusDir}/data --web.listen-address=127.0.0.1:9090`,
    `Dashboards to import into a Grafana on it: ${project.generated}/grafana/dashboards/`,
    'Knobs on stdin ("<simulator> <method> <args…>"), Ctrl-D to stop.',
    '',
  ].join('\n'),
);

function knob(line: string): void {
  const [target, method, ...args] = line.trim().split(/\s+/);
  if (!target || !method) return;
  const sim = target.split('.').reduce<unknown>((o, key) => (o as Record<string, unknown> | undefined)?.[key], platform as Platform);
  const fn = (sim as Record<string, unknown> | undefined)?.[method];
  if (typeof fn !== 'function') throw new Error(`no knob ${method} on ${target}`);
  const parsed = args.map((a) => {
    try {
      return JSON.parse(a) as unknown;
    } catch {
      return a;
    }
  });
  void Promise.resolve((fn as (...a: unknown[]) => unknown).apply(sim, parsed)).catch((err: unknown) => process.stderr.write(`${String(err)}\n`));
}

const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  try {
    knob(line);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  }
});
input.on('close', () => void platform.stop().then(() => process.exit(0)));
