// Alerts and notices for the relay's channel tests: each test file states only the defaults it cares about (an alert
// name, its labels, the receiver) and gets numbered alerts (id-1, fp-1, id-2, …) and notices of them.
import type { Fetch, Notice } from '../../src/relay/channels/types.ts';
import type { AlertRecord } from '../../src/relay/types.ts';

/** 2024-01-01 00:00:05 UTC: 08:00:05 in Shanghai. */
export const STARTED = Date.UTC(2024, 0, 1, 0, 0, 5);

export function alertMaker(defaults: Partial<AlertRecord> = {}): (overrides?: Partial<AlertRecord>) => AlertRecord {
  let sequence = 0;
  return (overrides = {}) => {
    const n = ++sequence;
    return {
      id: `id-${n}`,
      fingerprint: `fp-${n}`,
      startsAt: STARTED,
      status: 'open',
      alertname: 'GpuTemperatureHigh',
      severity: 'critical',
      labels: { alertname: 'GpuTemperatureHigh', severity: 'critical' },
      annotations: { summary: 'GPU 3 is at 91°C' },
      generatorURL: '',
      receiver: 'ml-oncall',
      createdAt: STARTED,
      updatedAt: STARTED,
      ...defaults,
      ...overrides,
    };
  };
}

/** Notices of one alert made by `alert` unless told otherwise: firing, in English, in Shanghai time. */
export function noticeMaker(alert: () => AlertRecord, defaults: Partial<Notice> = {}): (overrides?: Partial<Notice>) => Notice {
  return (overrides = {}) => ({
    kind: 'firing',
    receiver: 'ml-oncall',
    alerts: overrides.alerts ?? [alert()],
    externalURL: '',
    language: 'en',
    timeZone: 'Asia/Shanghai',
    ...defaults,
    ...overrides,
  });
}

/** A fetch that answers every request with `status` and `text`, and the requests it was given. */
export function answering(status: number, text: string): { fetch: Fetch; calls: Parameters<Fetch>[] } {
  const calls: Parameters<Fetch>[] = [];
  return {
    calls,
    fetch: async (url, init) => {
      calls.push([url, init]);
      return { status, text: async () => text };
    },
  };
}

/**
 * Answers every chat robot gets from what stands in front of it rather than from the robot (a proxy, a login page):
 * the HTTP status decides, and a 200 without an errcode is not taken for success.
 */
export const ROBOT_HTTP_ANSWERS: [string, number, string, Record<string, unknown>][] = [
  ['server error', 502, '<html>bad gateway</html>', { ok: false, retryable: true, status: 502, error: 'HTTP 502' }],
  ['client error', 404, 'not found', { ok: false, retryable: false, status: 404, error: 'HTTP 404' }],
  ['200 not JSON', 200, '<html>login</html>', { ok: false, retryable: true, answer: '<html>login</html>' }],
  ['200 JSON without errcode', 200, '{"status":"ok"}', { ok: false, retryable: true }],
];
