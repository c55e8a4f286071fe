import type { Check } from './check.ts';

/**
 * The checks of `vigil validate --live` (src/live/): they ask a running Prometheus, so they report only there, never
 * in a compile. Listed here so that `vigil checks` shows them and `policies.checks` and disable comments accept them.
 */
const reportedLive = (id: string, severity: Check['severity'], description: string): Check => ({ id, severity, description, live: true, run: () => undefined });

export const liveSeriesMissingCheck = reportedLive(
  'live/series-missing',
  'warning',
  'With validate --live: each selector of an alert, recording rule or panel matches series on the server (else the matcher that empties it is named).',
);
export const liveLabelMissingCheck = reportedLive('live/label-missing', 'warning', "With validate --live: each label a selector matches on is carried by some series of the metric on the server.");
export const liveTypeMismatchCheck = reportedLive('live/type-mismatch', 'warning', "With validate --live: the catalogue's type of a metric is the one the server's metadata gives.");
export const liveUnreachableCheck = reportedLive('live/unreachable', 'error', 'With validate --live: the Prometheus server answers, in time, with Prometheus API answers.');
