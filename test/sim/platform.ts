// The example platform, healthy: a GPU node training, a model server serving, the platform API busy, two relay
// replicas, hosts. Tests and `run.ts` start it, then turn the simulators' knobs.
import { BusinessSim, TECHNIQUES } from './business.ts';
import { InferenceSim } from './inference.ts';
import type { Instrumentation } from './instrumentation.ts';
import { NodeSim } from './node.ts';
import { RelaySim } from './relay.ts';
import { TrainingSim } from './training.ts';

/** The host name of the GPU node: instance of its DCGM target, of its node_exporter target and of pushed trainer series. */
export const GPU_NODE = 'gpu-node-01';

/** One file_sd target group: Prometheus gives each target the bare host name as instance, as the example's scrape files do. */
export interface TargetGroup {
  targets: string[];
  labels: { instance: string };
}

export interface Platform {
  training: TrainingSim;
  inference: InferenceSim;
  business: BusinessSim;
  relays: Record<'relay-a' | 'relay-b', RelaySim>;
  nodes: Record<typeof GPU_NODE | 'node-hot' | 'node-hotter', NodeSim>;
  /** Scrape targets per catalogue source, for file_sd files (the trainer pushes: it has none). */
  targets(): Record<string, TargetGroup[]>;
  stop(): Promise<void>;
}

export async function startPlatform(instrumentation: Instrumentation, options: { pushgatewayUrl: string; gpus?: number }): Promise<Platform> {
  const training = new TrainingSim(instrumentation.trainer, { pushgatewayUrl: options.pushgatewayUrl, instance: GPU_NODE, gpus: options.gpus ?? 6, idleModel: 'llama-7b' });
  const inference = new InferenceSim(instrumentation.model_server);
  const business = new BusinessSim(instrumentation['platform-api']);
  const relays = { 'relay-a': new RelaySim(instrumentation.vigil_relay), 'relay-b': new RelaySim(instrumentation.vigil_relay) };
  const nodes = { [GPU_NODE]: new NodeSim(), 'node-hot': new NodeSim(), 'node-hotter': new NodeSim() } as Platform['nodes'];

  await training.start();
  await inference.start();
  await business.start();
  for (const relay of Object.values(relays)) await relay.start();
  for (const node of Object.values(nodes)) await node.start();

  inference.deploy('llm-gateway', 'llama-7b-int8');
  inference.deploy('vision-api', 'vit-b16-pruned', { requestsPerSecond: 8, latencySeconds: 0.03 });
  for (const tenant of ['acme', 'globex', 'initech']) business.tenant(tenant, { callsPerSecond: 10, swing: 0.3, swingPeriodSeconds: 5 });
  business.modelsDeployed('acme', 'prod', 4);
  business.modelsDeployed('globex', 'staging', 2);
  for (const relay of Object.values(relays)) {
    for (const channel of ['sms', 'email']) relay.channel(channel, { messagesPerSecond: 1 });
    // Chat robots are rate-limited: a few notices wait and go out merged.
    for (const channel of ['dingtalk', 'wecom']) relay.channel(channel, { messagesPerSecond: 1, throttledRatio: 0.1 });
    relay.escalating(0.05);
  }
  nodes[GPU_NODE].filesystem('/data', { sizeBytes: 4e12, availBytes: 3e12 });

  const group = (target: string | undefined, instance: string): TargetGroup[] => (target ? [{ targets: [target], labels: { instance } }] : []);
  return {
    training,
    inference,
    business,
    relays,
    nodes,
    targets: () => ({
      dcgm_exporter: group(training.dcgmServer?.target, GPU_NODE),
      node_exporter: Object.entries(nodes).flatMap(([host, n]) => group(n.server?.target, host)),
      model_server: group(inference.server?.target, 'inference-01'),
      'platform-api': group(business.server?.target, 'platform-api-0'),
      vigil_relay: Object.entries(relays).flatMap(([name, r]) => group(r.server?.target, name)),
      trainer: [],
    }),
    async stop() {
      await Promise.allSettled([training.stop(), inference.stop(), business.stop(), ...Object.values(relays).map((r) => r.stop()), ...Object.values(nodes).map((n) => n.stop())]);
    },
  };
}

/** The platform's usual workload once it is running: jobs training, optimization jobs flowing. */
export function startWorkload(platform: Platform): void {
  platform.training.startJob('job-steady', { model: 'llama-7b', samplesPerSecond: 120, stepSeconds: 0.5 });
  for (const technique of TECHNIQUES) platform.business.jobFlow(technique, { submittedPerSecond: 1, finishedPerSecond: 1, failureRatio: 0.02 });
}
