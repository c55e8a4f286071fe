import type { Notice } from './channels/types.ts';
import { deliver, messagesPerMinute, type DeliveryContext } from './delivery.ts';
import type { RelayMetrics } from './metrics.ts';
import { fallbackJobs } from './fallback.ts';
import { OutcomeBatch } from './outcome-batch.ts';
import { SendSlots } from './send-slots.ts';
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
  /** Timers taken per round; jobs claimed and not yet finished, at most. */
  batch: number;
  now?: () => number;
  /** Called when a send made room after a claim was cut short by `batch`: due work is waiting, pump again. */
  wake?: () => void;
}

export const DEFAULT_RETRY_DELAYS_MS = [2_000, 5_000, 15_000, 30_000, 60_000, 120_000, 300_000];

/** Messages in flight to one target at once. */
const SENDS_PER_TARGET = 8;

/**
 * The relay's work: escalation steps that fell due, then notices to deliver. Everything it does is claimed from the
 * store with a lease, so two relays (or a restart) never send one notice twice while both live, and a relay that dies
 * mid-send leaves its work to the next claim. Claiming does not wait for sends: a notice stored while others are in
 * flight is claimed and sent at once (pump), bounded by `batch` claimed jobs and SENDS_PER_TARGET sends per target.
 */
export class Worker {
  private readonly now: () => number;
  private readonly slots = new SendSlots(SENDS_PER_TARGET);
  private readonly outcomes: OutcomeBatch;
  /** Jobs claimed and not yet finished: being sent, or waiting for a slot of their target. */
  private claimed = 0;
  /** The last claim was cut short by `batch`: due work may be left, to claim as soon as a send makes room. */
  private starved = false;

  constructor(
    private readonly store: RelayStore,
    private context: () => DeliveryContext,
    private readonly options: WorkerOptions,
    private readonly metrics?: RelayMetrics,
  ) {
    this.now = options.now ?? Date.now;
    this.outcomes = new OutcomeBatch(store, options.owner, this.now);
  }

  /** One round, whole: due escalation steps and due notices, waiting for those sends to end. */
  async round(): Promise<{ escalated: number; delivered: number }> {
    const { escalated, sends } = await this.pump();
    return { escalated, delivered: await sends };
  }

  /**
   * Fires due escalation steps (unless `timers` is false: a stored notification brings new notices, not due timers)
   * and claims due notices, and returns once their sends have started; `sends` ends with them (how many notices were
   * delivered). The caller must handle its rejection (a store error while recording).
   */
  async pump(what: { timers: boolean } = { timers: true }): Promise<{ escalated: number; sends: Promise<number> }> {
    const escalated = what.timers ? await this.escalate() : 0;
    const { sends } = await this.dispatchDue();
    return { escalated, sends };
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

  private async dispatchDue(): Promise<{ sends: Promise<number> }> {
    const room = this.options.batch - this.claimed;
    if (room <= 0) {
      this.starved = true;
      return { sends: Promise.resolve(0) };
    }
    const now = this.now();
    const jobs = await this.store.claimJobs(now, this.options.owner, this.options.leaseMs, room);
    if (jobs.length === room) this.starved = true;
    this.claimed += jobs.length;
    // By target: a robot's messages share its bucket, and what the bucket cannot take now becomes one digest.
    const byTarget = new Map<string, DeliveryJob[]>();
    for (const job of jobs) {
      const key = targetKey(job);
      byTarget.set(key, [...(byTarget.get(key) ?? []), job]);
    }
    const sends = [...byTarget.values()].map((group) =>
      this.deliverTarget(group, now).finally(() => {
        this.claimed -= group.length;
        if (this.starved) {
          this.starved = false;
          this.options.wake?.();
        }
      }),
    );
    return { sends: Promise.all(sends).then((sent) => sent.reduce((a, b) => a + b, 0)) };
  }

  private async deliverTarget(jobs: DeliveryJob[], now: number): Promise<number> {
    const first = jobs[0]!;
    const rate = messagesPerMinute(first.channel);
    // The bucket is taken before any send, in the store (shared by every relay on it), so sending a target's messages
    // side by side never exceeds its rate; a provider without a rate limit (an SMS gateway) takes a burst at the speed
    // it answers, not one by one.
    const take = rate === undefined ? { granted: jobs.length, nextAt: now } : await this.store.takeTokens(targetKey(first), rate, jobs.length, now);
    if (take.granted < 1) {
      const heldUntil = new Date(take.nextAt).toISOString();
      await Promise.all(jobs.map((job) => this.outcomes.record({ id: job.id, outcome: { ok: false, error: 'held back: the robot’s rate limit', detail: { heldUntil }, retryAt: take.nextAt, throttled: true, held: true } })));
      this.metrics?.throttled.inc({ channel: first.channel }, jobs.length);
      return 0;
    }
    // Alone while the bucket lasts; the rest merged into the last message the bucket allows.
    const tokens = take.granted;
    const messages: DeliveryJob[][] = jobs.length <= tokens ? jobs.map((j) => [j]) : [...jobs.slice(0, tokens - 1).map((j) => [j]), jobs.slice(tokens - 1)];
    for (const merged of messages) if (merged.length > 1) this.metrics?.digests.inc({ channel: first.channel });
    const sent = await Promise.all(messages.map((merged) => this.slots.run(targetKey(first), () => this.send(merged, rate))));
    return messages.reduce((n, merged, i) => n + (sent[i] ? merged.length : 0), 0);
  }

  /** Sends one message for `jobs` (one job, or several merged into a digest) and records the outcome of each. */
  private async send(jobs: DeliveryJob[], rate: number | undefined): Promise<boolean> {
    const now = this.now();
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
    if (result.throttled && rate !== undefined) await this.store.drainTokens(targetKey(first), rate, now);
    const detail = { channel: first.channel, receiver: first.receiver, latencyMs: Math.round(result.latencyMs), ...(result.status !== undefined ? { status: result.status } : {}), ...(result.answer !== undefined ? { answer: result.answer } : {}), ...(jobs.length > 1 ? { digestOf: jobs.length } : {}), ...('omitted' in result && result.omitted ? { omitted: result.omitted } : {}), ...('template' in result && result.template ? { template: result.template } : {}), ...('templateError' in result && result.templateError ? { templateError: result.templateError } : {}) };
    if (result.ok) {
      await this.finish(jobs, () => ({ ok: true, detail }));
      return true;
    }
    const attempt = Math.max(...jobs.map((j) => j.attempts));
    const delay = result.retryable ? this.options.retryDelaysMs[attempt] : undefined;
    // A drained bucket holds its next token one interval from now.
    const refilled = rate === undefined ? now : now + Math.ceil(60_000 / rate);
    const retryAt = delay === undefined ? undefined : result.throttled ? Math.max(now + delay, refilled) : now + delay;
    const failure = { ok: false as const, error: result.error ?? 'failed', detail, ...(retryAt !== undefined ? { retryAt } : {}), ...(result.throttled ? { throttled: true } : {}) };
    if (retryAt !== undefined) {
      await this.finish(jobs, () => failure);
      return false;
    }
    // A dead letter: its alerts go to the receiver's fallback, if it has one, in the same transaction.
    const { config } = this.context();
    let handedOver = 0;
    await this.finish(jobs, (job) => {
      const fallback = fallbackJobs(job, config, now);
      if (fallback.length > 0) handedOver++;
      return fallback.length > 0 ? { ...failure, fallback } : failure;
    });
    this.metrics?.deadLetters.inc({ channel: first.channel }, jobs.length);
    if (handedOver > 0) this.metrics?.fallbacks.inc({ channel: first.channel }, handedOver);
    return false;
  }

  private async finish(jobs: DeliveryJob[], outcome: (job: DeliveryJob) => JobOutcome): Promise<void> {
    await Promise.all(jobs.map((job) => this.outcomes.record({ id: job.id, outcome: outcome(job) })));
  }
}

/** The rate bucket and send slots a job's message counts against: one robot (a channel of a receiver). */
function targetKey(job: DeliveryJob): string {
  return `${job.channel}:${job.receiver}`;
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
