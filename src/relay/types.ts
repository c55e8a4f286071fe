/**
 * The relay's vocabulary: Alertmanager's webhook payload as it arrives, the records the store keeps, and the store
 * interface both backends implement. Times are milliseconds since the epoch (numbers) inside the relay and ISO 8601
 * strings at the API.
 */

/** One alert of Alertmanager's webhook payload (version 4). */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** Alertmanager's webhook payload, version 4 (what every `webhook_configs` entry posts). */
export interface WebhookPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

/** open (firing) → confirmed → resolved (by Prometheus) or closed (by a person). */
export type AlertStatus = 'open' | 'confirmed' | 'resolved' | 'closed';

/** One alert from firing to resolved: keyed by fingerprint + startsAt, however often and by whom it is re-sent. */
export interface AlertRecord {
  /** Stable id: derived from fingerprint and startsAt, so two relays (or two peers' posts) name the same alert alike. */
  id: string;
  fingerprint: string;
  /** ms */
  startsAt: number;
  /** ms; set once resolved (Alertmanager's endsAt) or closed. */
  endsAt?: number;
  status: AlertStatus;
  alertname: string;
  severity: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorURL: string;
  /** The receiver whose notification first recorded it. */
  receiver: string;
  /** ms */
  createdAt: number;
  /** ms */
  updatedAt: number;
  confirmedBy?: string;
  confirmedAt?: number;
  confirmComment?: string;
  closedBy?: string;
  closedAt?: number;
  closeReason?: string;
  /** The Alertmanager silence a close created (expired again when the alert resolves). */
  silenceId?: string;
}

export type EventType =
  | 'received'
  | 'notified'
  | 'notify_failed'
  | 'throttled'
  | 'dead_lettered'
  | 'escalated'
  | 'confirmed'
  | 'closed'
  | 'resolved'
  | 'reopened'
  /** A dead letter's alerts handed to the receiver's fallback receiver. */
  | 'fallback';

export interface AlertEvent {
  id: number;
  alertId: string;
  /** ms */
  at: number;
  type: EventType;
  /** Channel, receiver, provider answer, latency, user, comment, …: whatever the event has to say. */
  detail: Record<string, unknown>;
}

/** What the relay must deliver: one message to one receiver's channel, about some alerts. */
export interface NewJob {
  channel: string;
  receiver: string;
  /** What the message is about; the message is rendered from the alerts' records when the job runs. */
  alertIds: string[];
  /** 'firing' or 'resolved': which notice; 'escalation' for a tier of escalation. */
  kind: 'firing' | 'resolved' | 'escalation';
  /** Alertmanager's groupKey (batches the message; never identifies an alert). */
  groupKey: string;
  /** ms: when it may run (now, or later for a retry or a digest). */
  dueAt: number;
}

export interface DeliveryJob extends NewJob {
  id: number;
  attempts: number;
  status: 'pending' | 'done' | 'dead';
  lastError?: string;
  /** ms */
  createdAt: number;
}

/** One step of a severity's escalation, as relay.yml lists them. */
export interface EscalationStep {
  /** ms after the alert started firing (not after the previous step). */
  afterMs: number;
  receivers: string[];
  /** The last step only: ms until it fires again, for as long as the alert stays open. */
  repeatMs?: number;
}

/** The timer step that is not an escalation step: a confirmation's expiry (the alert opens again when it comes due). */
export const CONFIRMATION_EXPIRY_STEP = -1;

export interface EscalationTimer {
  id: number;
  alertId: string;
  /** Index into the alert's severity's escalation steps; -1 (CONFIRMATION_EXPIRY_STEP): the confirmation's expiry. */
  step: number;
  /** ms */
  dueAt: number;
}

/** One notification as Alertmanager posted it, prepared by the relay for the store (nothing is decided by the store). */
export interface IngestInput {
  receiver: string;
  channel: string;
  groupKey: string;
  /** ms */
  receivedAt: number;
  alerts: {
    id: string;
    fingerprint: string;
    status: 'firing' | 'resolved';
    /** ms */
    startsAt: number;
    /** ms; undefined while firing (Alertmanager sends 0001-01-01 or a future time) */
    endsAt?: number;
    alertname: string;
    severity: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    generatorURL: string;
    /** The escalation of the alert's severity; a new open alert gets a timer for the first step. */
    escalation: EscalationStep[];
  }[];
  /**
   * A notice already sent for the same (alert, receiver, channel, status) within this many ms is not sent again: a
   * second Alertmanager peer, or a group re-sent because another alert joined it.
   */
  dedupeWindowMs: number;
  /** Whether this receiver's channel wants a notice when an alert resolves. */
  sendResolved: boolean;
}

export interface IngestResult {
  /** The records after this notification, in the payload's order. */
  alerts: AlertRecord[];
  /** The job enqueued for the alerts that need a notice now; undefined when every alert was a duplicate (or confirmed). */
  job?: DeliveryJob;
}

export type JobOutcome =
  | { ok: true; detail: Record<string, unknown> }
  /** retryAt: when to try again; undefined: it is dead (a dead letter). */
  | {
      ok: false;
      error: string;
      detail: Record<string, unknown>;
      retryAt?: number;
      throttled?: boolean;
      /** Held back by the relay's own rate limit: nothing was sent, so it is not an attempt (retries stay whole). */
      held?: boolean;
      /** A dead letter only: the notices queued for the receiver's fallback, in the same transaction ('fallback' events). */
      fallback?: NewJob[];
    };

/** One claimed job's outcome, as finishJobs records several at once. */
export interface JobFinish {
  id: number;
  outcome: JobOutcome;
}

/** What a take from a target's rate bucket got. */
export interface BucketTake {
  /** Tokens taken: at most what was asked, at most what the bucket held. */
  granted: number;
  /** ms: when the bucket holds a whole token again (now when it still does). */
  nextAt: number;
}

export interface AlertFilter {
  status?: AlertStatus;
  severity?: string;
  /** ms, inclusive: alerts that started at or after */
  startTime?: number;
  /** ms, exclusive: alerts that started before */
  endTime?: number;
}

export interface AlertStatistics {
  total: number;
  /** Count per value of the grouped field (severity or status), keys sorted. */
  groups: Record<string, number>;
  /** Mean seconds from start to confirmation, over confirmed alerts; null when none was confirmed. */
  meanTimeToConfirmSeconds: number | null;
  /** Mean seconds from start to resolution or close; null when none ended. */
  meanTimeToResolveSeconds: number | null;
}

export type ConfirmOutcome = { ok: true; alert: AlertRecord } | { ok: false; reason: 'not_found' | 'not_open'; alert?: AlertRecord };
export type CloseOutcome = { ok: true; alert: AlertRecord } | { ok: false; reason: 'not_found' | 'already_ended'; alert?: AlertRecord };

/**
 * Everything the relay keeps. Each method is one transaction: a notification is persisted whole or not at all, and
 * only then does the relay answer Alertmanager 2xx. Claims take a lease (`owner` until `leaseUntil`): a relay that dies
 * holding one leaves the work to whoever claims after the lease ends, so nothing is lost or done twice while it lives.
 */
export interface RelayStore {
  /** Creates or upgrades the schema. Idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  ingest(input: IngestInput): Promise<IngestResult>;
  /** Records a payload that could not be used (bad JSON, wrong shape), for the history: what arrived and why refused. */
  recordRejected(at: number, receiver: string, channel: string, reason: string, body: string): Promise<void>;

  claimJobs(now: number, owner: string, leaseMs: number, limit: number): Promise<DeliveryJob[]>;
  /** Ends a claimed job: done, retried later, or dead; adds an event per alert. False when the lease was lost. */
  finishJob(id: number, owner: string, outcome: JobOutcome, now: number): Promise<boolean>;
  /** finishJob for several jobs in one transaction (one commit for many sends); a result per job, in order. */
  finishJobs(finishes: readonly JobFinish[], owner: string, now: number): Promise<boolean[]>;

  /**
   * Takes up to `want` tokens from the rate bucket of `target` (a robot), which holds at most `perMinute` and refills
   * at that rate. Atomic, and shared by every relay on the store, so replicas together keep to the robot's limit.
   */
  takeTokens(target: string, perMinute: number, want: number, now: number): Promise<BucketTake>;
  /** Empties the bucket of `target` (the provider said "too fast"): nothing more until it refills. */
  drainTokens(target: string, perMinute: number, now: number): Promise<void>;
  /** Jobs that finally failed, newest first. */
  deadLetters(limit: number): Promise<DeliveryJob[]>;

  claimTimers(now: number, owner: string, leaseMs: number, limit: number): Promise<EscalationTimer[]>;
  /**
   * Fires a claimed timer. An escalation step: the jobs for its receivers, an 'escalated' event, and the next step's
   * timer when there is one; nothing (false) when the alert is no longer open. A confirmation's expiry (step -1): the
   * alert, still confirmed, is open again (its confirmation fields cleared, the 'confirmed' event kept) with a
   * 'reopened' event, the jobs (the new notice) and the `next` escalation timer; nothing (false) when it is no longer
   * confirmed. False as well when the lease was lost.
   */
  fireTimer(id: number, owner: string, now: number, jobs: NewJob[], next?: { step: number; dueAt: number }): Promise<boolean>;

  /** Confirms an open alert and stops its escalation; with `expiresAt`, the confirmation's expiry timer is set then. */
  confirm(alertId: string, user: string, comment: string, now: number, expiresAt?: number): Promise<ConfirmOutcome>;
  close(alertId: string, user: string, reason: string, now: number): Promise<CloseOutcome>;
  /** Remembers the silence a close created (so resolve can expire it). */
  setSilence(alertId: string, silenceId: string): Promise<void>;

  getAlert(id: string): Promise<AlertRecord | undefined>;
  getAlerts(ids: readonly string[]): Promise<AlertRecord[]>;
  events(alertId: string): Promise<AlertEvent[]>;
  /** Newest first. */
  listAlerts(filter: AlertFilter, limit: number, offset: number): Promise<{ total: number; alerts: AlertRecord[] }>;
  statistics(filter: AlertFilter, groupBy: 'severity' | 'status'): Promise<AlertStatistics>;
  /** Counts for /metrics and readiness: pending jobs, due timers, dead letters. */
  gauges(now: number): Promise<{ pendingJobs: number; dueTimers: number; deadLetters: number }>;
}
