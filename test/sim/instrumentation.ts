// The generated instrumentation of the example (generated/instrumentation/<source>.ts), loaded from a build in a temp
// directory: the simulators never read the repository's own generated/. The types below are what the simulators
// expect of each module; example-alerts-fire.test.ts type-checks the built modules against them with tsc, so a
// catalogue change that renames a metric or a label breaks that test, as it would break a real service's build.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Registry } from 'prom-client';

type LabelValue = string | number;
type Labels<L extends string> = Record<L, LabelValue>;
export interface Counter<L extends string> { inc: (labels: Labels<L>, value?: number) => void }
export interface Gauge<L extends string> { set: (labels: Labels<L>, value: number) => void }
export interface UnlabelledGauge { set: (value: number) => void }
export interface Histogram<L extends string> { observe: (labels: Labels<L>, value: number) => void }

export interface TrainerMetrics {
  training_loss: Gauge<'job_id' | 'model'>;
  training_samples_processed_total: Counter<'job_id' | 'model'>;
  training_steps_total: Counter<'job_id' | 'model'>;
  training_step_duration_seconds: Histogram<'job_id' | 'model'>;
  training_last_step_timestamp_seconds: Gauge<'job_id' | 'model'>;
  training_epoch: Gauge<'job_id' | 'model'>;
  training_learning_rate: Gauge<'job_id' | 'model'>;
  training_jobs_running: Gauge<'model'>;
}

export interface ModelServerMetrics {
  inference_requests_total: Counter<'service' | 'model' | 'code'>;
  inference_request_duration_seconds: Histogram<'service' | 'model'>;
  inference_queue_depth: Gauge<'service' | 'model'>;
  inference_batch_size: Histogram<'service' | 'model'>;
  inference_model_load_failures_total: Counter<'service' | 'model' | 'reason'>;
  inference_models_loaded: Gauge<'service'>;
}

export interface PlatformApiMetrics {
  optimization_jobs_submitted_total: Counter<'tenant' | 'technique'>;
  optimization_jobs_succeeded_total: Counter<'tenant' | 'technique'>;
  optimization_jobs_failed_total: Counter<'tenant' | 'technique' | 'reason'>;
  optimization_job_duration_seconds: Histogram<'technique'>;
  models_deployed: Gauge<'tenant' | 'environment'>;
  api_calls_total: Counter<'tenant' | 'endpoint' | 'method' | 'code'>;
}

export interface RelayMetrics {
  vigil_relay_notifications_received_total: Counter<'channel' | 'result'>;
  vigil_relay_notifications_total: Counter<'channel' | 'result'>;
  vigil_relay_delivery_duration_seconds: Histogram<'channel'>;
  vigil_relay_throttled_total: Counter<'channel'>;
  vigil_relay_digests_total: Counter<'channel'>;
  vigil_relay_escalations_total: Counter<'severity'>;
  vigil_relay_dead_letters_total: Counter<'channel'>;
  vigil_relay_store_errors_total: Counter<'operation'>;
  vigil_relay_queue_depth: UnlabelledGauge;
  vigil_relay_escalations_due: UnlabelledGauge;
  vigil_relay_dead_letters: UnlabelledGauge;
}

/** createMetrics(registry) of each generated module, as the simulators use them. */
export interface Instrumentation {
  trainer: (registry: Registry) => TrainerMetrics;
  model_server: (registry: Registry) => ModelServerMetrics;
  'platform-api': (registry: Registry) => PlatformApiMetrics;
  vigil_relay: (registry: Registry) => RelayMetrics;
}

/** The module file of each source in generated/instrumentation/. */
export const MODULES: Record<keyof Instrumentation, string> = {
  trainer: 'trainer.ts',
  model_server: 'model_server.ts',
  'platform-api': 'platform-api.ts',
  vigil_relay: 'vigil_relay.ts',
};

/** Imports createMetrics of every source from a build's generated/ directory (it must lie inside this package, for prom-client). */
export async function loadInstrumentation(generatedDir: string): Promise<Instrumentation> {
  const load = async (source: keyof Instrumentation) => {
    const module = (await import(pathToFileURL(path.join(generatedDir, 'instrumentation', MODULES[source])).href)) as { createMetrics: unknown };
    return module.createMetrics;
  };
  return {
    trainer: (await load('trainer')) as Instrumentation['trainer'],
    model_server: (await load('model_server')) as Instrumentation['model_server'],
    'platform-api': (await load('platform-api')) as Instrumentation['platform-api'],
    vigil_relay: (await load('vigil_relay')) as Instrumentation['vigil_relay'],
  };
}

/**
 * A TypeScript file that assigns each built module's createMetrics to the type above: tsc fails on any metric or label
 * the simulators use that the catalogue no longer has (or has with other labels).
 */
export function conformanceSource(generatedDir: string, fromDir: string): string {
  const rel = (file: string) => {
    const p = path.relative(fromDir, file).split(path.sep).join('/');
    return p.startsWith('.') ? p : `./${p}`;
  };
  const lines = [`import type { Instrumentation } from '${rel(path.join(import.meta.dirname, 'instrumentation.ts'))}';`];
  for (const [source, file] of Object.entries(MODULES)) {
    const name = source.replace(/\W/g, '_');
    lines.push(`import { createMetrics as ${name} } from '${rel(path.join(generatedDir, 'instrumentation', file))}';`);
  }
  lines.push('export const conforms: Instrumentation = {');
  for (const source of Object.keys(MODULES)) lines.push(`  '${source}': ${source.replace(/\W/g, '_')},`);
  lines.push('};');
  return lines.join('\n') + '\n';
}
