import type { Notice } from './channels/types.ts';
import { deliver, messagesPerMinute, type DeliveryContext } from './delivery.ts';
import type { RelayMetrics } from './metrics.ts';
import { TokenBuckets } from './throttle.ts';
import { mapLimit } from '../util/map-limit.ts';
import type { RelayConfig } from './config.ts';
import { CONFIRMATION_EXPIRY_STEP, type AlertRecord, type DeliveryJob, type EscalationStep, type JobOutcome, type NewJob, type RelayStore } from './types.ts';

export interface WorkerOptions {
  /** Who holds a lease: unique per relay process. */
  owner: string;
  leaseMs: number;
  /** Delay before each retry, by attempt; after the last, a job is a dead letter. */
  retryDelaysMs: readonly number[];
  language: 'en' | 'zh';
  timeZone: string;
  /** Jobs and timers taken per round. */
  batch: number;
  now?: () => number;
}

export const DEFAULT_RETRY_DELAYS_MS = [2_000, 5_000, 15_000, 30_000, 60_000, 120_000, 300_000];

/** Messages in flight to one target at once. */
const SENDS_PER_TARGET = 8;

/**
 * One round of the relay's work: escalation steps that fell due, then notices to deliver. Everything it does is
 * claimed from the store with a lease, so two relays (or a restart) never send one notice twice while both live, and
 * a relay that dies mid-round leaves its work to the next claim.
 */
export class Worker {
  private readonly buckets = new TokenBuckets((key) => messagesPerMinute(key.split('\u0000')[0]!));
  private readonly now: () => number;

  constructor(
    private readonly store: RelayStore,
    private context: () => DeliveryContext,
    private readonly options: WorkerOptions,
    private readonly metrics?: RelayMetrics,
  ) {
    this.now = options.now ?? Date.now;
  }

  async round(): Promise<{ escalated: number; delivered: number }> {
    const escalated = await this.escalate();
    const delivered = await this.deliverDue();
    return { escalated, delivered };
  }

  private async escalate(): Promise<number> {
    const now = this.now();
    const timers = await this.store.claimTimers(now, this.options.owner, this.options.leaseMs, this.options.batch);
    let fired = 0;
    const { config } = this.context();
    for (const timer of timers) {
      const alert = await this.store.getAlert(timer.alertId);
      const steps = alert ? (config.escalation.get(alert.severity) ?? []) : [];
      if (timer.step === CONFIRMATION_EXPIRY_STEP) {
        await this.store.fireTimer(timer.id, this.options.owner, now, alert ? reopenJobs(alert, config, now) : [], restartEscalation(steps, now));
        continue;
      }
      const step = steps[timer.step];
      const jobs: NewJob[] = [];
      for (const receiver of step?.receivers ?? []) {
        const channels = config.receivers.get(receiver);
        for (const channel of Object.keys(channels ?? {})) jobs.push({ channel, receiver, alertIds: [timer.alertId], kind: 'escalation', groupKey: `escalation:${timer.alertId}:${timer.step}`, dueAt: now });
      }
      const nextStep = steps[timer.step + 1];
      // After the last step, its repeat (if any) keeps notifying that tier until someone confirms.
      const repeat = !nextStep && step?.repeatMs ? { step: timer.step, dueAt: now + step.repeatMs } : undefined;
      const next = alert && nextStep ? { step: timer.step + 1, dueAt: Math.max(now, (await this.escalationStart(alert)) + nextStep.afterMs) } : repeat;
      if (await this.store.fireTimer(timer.id, this.options.owner, now, jobs, next)) {
        fired++;
        this.metrics?.escalations.inc({ severity: alert?.severity ?? '' });
      }
    }
    return fired;
  }

  /** What the steps' `after` counts from: the alert's start, or its latest reopening (an expired confirmation restarts it). */
  private async escalationStart(alert: AlertRecord): Promise<number> {
    const reopened = (await this.store.events(alert.id)).filter((e) => e.type === 'reopened').at(-1);
    return Math.max(alert.startsAt, reopened?.at ?? alert.startsAt);
  }

  private async deliverDue(): Promise<number> {
    const now = this.now();
    const jobs = await this.store.claimJobs(now, this.options.owner, this.options.leaseMs, this.options.batch);
    // By target: a robot's messages share its bucket, and what the bucket cannot take now becomes one digest.
    const byTarget = new Map<string, DeliveryJob[]>();
    for (const job of jobs) {
      const key = `${job.channel}\u0000${job.receiver}`;
      byTarget.set(key, [...(byTarget.get(key) ?? []), job]);
    }
    const sent = await Promise.all([...byTarget].map(([key, group]) => this.deliverTarget(key, group, now)));
    return sent.reduce((a, b) => a + b, 0);
  }

  private async deliverTarget(key: string, jobs: DeliveryJob[], now: number): Promise<number> {
    const tokens = this.buckets.available(key, now);
    if (tokens < 1) {
      const retryAt = this.buckets.nextAt(key, now);
      for (const job of jobs) await this.finish([job], { ok: false, error: 'held back: the robot’s rate limit', detail: { heldUntil: new Date(retryAt).toISOString() }, retryAt, throttled: true, held: true }, now);
      this.metrics?.throttled.inc({ channel: jobs[0]!.channel }, jobs.length);
      return 0;
    }
    // Alone while the bucket lasts; the rest merged into the last message the bucket allows.
    const messages: DeliveryJob[][] = jobs.length <= tokens ? jobs.map((j) => [j]) : [...jobs.slice(0, tokens - 1).map((j) => [j]), jobs.slice(tokens - 1)];
    // The bucket is taken before any send, so sending a target's messages side by side never exceeds its rate; a
    // provider without a rate limit (an SMS gateway) then takes a burst at the speed it answers, not one by one.
    for (const merged of messages) {
      this.buckets.take(key, now);
      if (merged.length > 1) this.metrics?.digests.inc({ channel: merged[0]!.channel });
    }
    const sent = await mapLimit(messages, SENDS_PER_TARGET, (merged) => this.send(key, merged, now));
    return messages.reduce((n, merged, i) => n + (sent[i] ? merged.length : 0), 0);
  }

  /** Sends one message for `jobs` (one job, or several merged into a digest) and records the outcome of each. */
  private async send(key: string, jobs: DeliveryJob[], now: number): Promise<boolean> {
    const first = jobs[0]!;
    const ids = [...new Set(jobs.flatMap((j) => j.alertIds))];
    const alerts = await this.store.getAlerts(ids);
    const notice: Notice = {
      kind: jobs.some((j) => j.kind === 'escalation') ? 'escalation' : alerts.some((a) => a.status === 'open' || a.status === 'confirmed') ? 'firing' : 'resolved',
      receiver: first.receiver,
      alerts: orderForMessage(alerts),
      externalURL: '',
      language: this.options.language,
      timeZone: this.options.timeZone,
    };
    const context = this.context();
    // Links only where someone can still act: an open or confirmed alert, not a resolved notice.
    if (context.links && notice.kind !== 'resolved') notice.links = context.links;
    const started = performance.now();
    let result;
    try {
      result = await deliver(first.channel, notice, context, now);
    } catch (e) {
      result = { ok: false, retryable: true, error: `internal: ${(e as Error).message}`, latencyMs: performance.now() - started };
    }
    this.metrics?.deliveryLatency.observe({ channel: first.channel }, result.latencyMs / 1000);
    this.metrics?.notifications.inc({ channel: first.channel, result: result.ok ? 'ok' : result.throttled ? 'throttled' : 'failed' });
    if (result.throttled) this.buckets.drain(key, now);
    const detail = { channel: first.channel, receiver: first.receiver, latencyMs: Math.round(result.latencyMs), ...(result.status !== undefined ? { status: result.status } : {}), ...(result.answer !== undefined ? { answer: result.answer } : {}), ...(jobs.length > 1 ? { digestOf: jobs.length } : {}), ...('omitted' in result && result.omitted ? { omitted: result.omitted } : {}) };
    if (result.ok) {
      await this.finish(jobs, { ok: true, detail }, now);
      return true;
    }
    const attempt = Math.max(...jobs.map((j) => j.attempts));
    const delay = result.retryable ? this.options.retryDelaysMs[attempt] : undefined;
    const retryAt = delay === undefined ? undefined : result.throttled ? Math.max(now + delay, this.buckets.nextAt(key, now)) : now + delay;
    await this.finish(jobs, { ok: false, error: result.error ?? 'failed', detail, ...(retryAt !== undefined ? { retryAt } : {}), ...(result.throttled ? { throttled: true } : {}) }, now);
    if (retryAt === undefined) this.metrics?.deadLetters.inc({ channel: first.channel }, jobs.length);
    return false;
  }

  private async finish(jobs: DeliveryJob[], outcome: JobOutcome, now: number): Promise<void> {
    for (const job of jobs) await this.store.finishJob(job.id, this.options.owner, outcome, now);
  }
}

/**
 * The notice of an alert open again after its confirmation expired: to the receiver that first recorded it, on each of
 * its relay channels. A receiver Alertmanager delivers itself (email, Slack, …) is not told by the relay, and
 * Alertmanager does not know the alert reopened, so the notice goes to the first escalation step's receivers instead;
 * none when neither has a relay channel.
 */
export function reopenJobs(alert: AlertRecord, config: RelayConfig, now: number): NewJob[] {
  const jobsFor = (receiver: string): NewJob[] =>
    Object.keys(config.receivers.get(receiver) ?? {}).map((channel) => ({ channel, receiver, alertIds: [alert.id], kind: 'firing', groupKey: `reopened:${alert.id}`, dueAt: now }));
  const own = jobsFor(alert.receiver);
  if (own.length) return own;
  const firstStep = config.escalation.get(alert.severity)?.[0]?.receivers ?? [];
  return [...new Set(firstStep)].flatMap(jobsFor);
}

/** An expired confirmation starts the escalation over: its first step, counted from now. */
function restartEscalation(steps: readonly EscalationStep[], now: number): { step: number; dueAt: number } | undefined {
  const first = steps[0];
  return first ? { step: 0, dueAt: now + first.afterMs } : undefined;
}

/** Firing before resolved, then by start time, oldest first. */
function orderForMessage(alerts: AlertRecord[]): AlertRecord[] {
  const rank = (a: AlertRecord) => (a.status === 'open' || a.status === 'confirmed' ? 0 : 1);
  return [...alerts].sort((a, b) => rank(a) - rank(b) || a.startsAt - b.startsAt || (a.id < b.id ? -1 : 1));
}
