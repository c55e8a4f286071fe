import type { AlertRecord } from '../types.ts';

/** What one message says: a notice about some alerts to one receiver, rendered per channel. */
export interface Notice {
  kind: 'firing' | 'resolved' | 'escalation';
  receiver: string;
  alerts: AlertRecord[];
  /** Alertmanager's external URL, for a link back (may be ''). */
  externalURL: string;
  /** Links a person follows from the chat to confirm or close one alert; absent when the relay has no public URL. */
  links?: (alert: AlertRecord) => { confirm: string; close: string } | undefined;
  language: 'en' | 'zh';
  /** IANA time zone the times are shown in, e.g. Asia/Shanghai. */
  timeZone: string;
}

/** The provider's answer, classified: what the relay does next depends on it. */
export interface SendResult {
  ok: boolean;
  /** Worth trying again later (network error, 5xx, throttled); false: it will never work as it is (bad secret, 4xx). */
  retryable: boolean;
  /** The provider said "too fast": wait for the robot's window before sending to it again. */
  throttled?: boolean;
  /** Short human text: errcode and errmsg, HTTP status, network error. */
  error?: string;
  /** HTTP status when there was an answer. */
  status?: number;
  /** The provider's answer body (parsed JSON when it was JSON), for the history. */
  answer?: unknown;
  latencyMs: number;
}

/** How the relay talks HTTP: injectable, so tests can count and time calls. */
export type Fetch = (url: string, init: { method: 'POST'; headers: Record<string, string>; body: string; signal?: AbortSignal }) => Promise<{ status: number; text(): Promise<string> }>;
