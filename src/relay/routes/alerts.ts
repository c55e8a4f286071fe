import type { IncomingMessage, ServerResponse } from 'node:http';
import { confirmationExpiresAt } from '../config.ts';
import { HttpError, readBody, requireBearer, sendJson } from '../http.ts';
import type { RelayContext } from '../server.ts';
import type { AlertEvent, AlertFilter, AlertRecord, AlertStatus, CloseOutcome } from '../types.ts';

const STATUSES: readonly AlertStatus[] = ['open', 'confirmed', 'resolved', 'closed'];
const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** An alert as the API shows it (the seed's shape, plus what the relay knows). */
export function alertView(a: AlertRecord) {
  return {
    alert_id: a.id,
    rule_id: a.alertname,
    status: a.status,
    severity: a.severity,
    message: a.annotations.summary ?? a.alertname,
    started_at: iso(a.startsAt),
    ended_at: iso(a.endsAt),
    labels: a.labels,
    annotations: a.annotations,
    fingerprint: a.fingerprint,
    generator_url: a.generatorURL,
    receiver: a.receiver,
    confirmed_by: a.confirmedBy ?? null,
    confirmed_at: iso(a.confirmedAt),
    closed_by: a.closedBy ?? null,
    closed_at: iso(a.closedAt),
  };
}

const eventView = (e: AlertEvent) => ({ at: iso(e.at), type: e.type, ...e.detail });

function readRole(ctx: RelayContext, req: IncomingMessage): void {
  requireBearer(req, [...ctx.tokens.read, ...ctx.tokens.operate], 'the alerts API');
}

function time(params: URLSearchParams, name: string): number | undefined {
  const v = params.get(name);
  if (v === null || v === '') return undefined;
  const ms = Date.parse(v);
  if (!Number.isFinite(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(v)) throw new HttpError(400, 'bad_parameter', `${name}: "${v}" is not an RFC 3339 time such as 2026-06-15T00:00:00Z`);
  return ms;
}

function integer(params: URLSearchParams, name: string, fallback: number, max: number): number {
  const v = params.get(name);
  if (v === null || v === '') return fallback;
  if (!/^\d+$/.test(v) || Number(v) > max) throw new HttpError(400, 'bad_parameter', `${name}: must be a whole number from 0 to ${max}, got "${v}"`);
  return Number(v);
}

function filterOf(params: URLSearchParams): AlertFilter {
  const status = params.get('status') ?? undefined;
  if (status !== undefined && !STATUSES.includes(status as AlertStatus)) throw new HttpError(400, 'bad_parameter', `status: must be one of ${STATUSES.join(', ')}, got "${status}"`);
  const startTime = time(params, 'start_time');
  const endTime = time(params, 'end_time');
  if (startTime !== undefined && endTime !== undefined && endTime < startTime) throw new HttpError(400, 'bad_parameter', 'end_time: must not be before start_time');
  const severity = params.get('severity') || undefined;
  return { ...(status ? { status: status as AlertStatus } : {}), ...(severity ? { severity } : {}), ...(startTime !== undefined ? { startTime } : {}), ...(endTime !== undefined ? { endTime } : {}) };
}

/** GET /api/v1/alerts?status=&severity=&start_time=&end_time=&limit=&offset= */
export async function listAlerts(ctx: RelayContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  readRole(ctx, req);
  const filter = filterOf(url.searchParams);
  const limit = integer(url.searchParams, 'limit', 100, 1000);
  const offset = integer(url.searchParams, 'offset', 0, 1_000_000_000);
  const { total, alerts } = await ctx.store.listAlerts(filter, limit, offset);
  sendJson(res, 200, { total, limit, offset, alerts: alerts.map(alertView) });
}

/** GET /api/v1/alerts/statistics?start_time=&end_time=&group_by=severity|status */
export async function statistics(ctx: RelayContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  readRole(ctx, req);
  const filter = filterOf(url.searchParams);
  const groupBy = url.searchParams.get('group_by') ?? 'severity';
  if (groupBy !== 'severity' && groupBy !== 'status') throw new HttpError(400, 'bad_parameter', `group_by: must be severity or status, got "${groupBy}"`);
  const [bySeverity, byStatus] = await Promise.all([ctx.store.statistics(filter, 'severity'), ctx.store.statistics(filter, 'status')]);
  sendJson(res, 200, {
    start_time: iso(filter.startTime),
    end_time: iso(filter.endTime),
    group_by: groupBy,
    total: bySeverity.total,
    by_severity: bySeverity.groups,
    by_status: byStatus.groups,
    mean_time_to_confirm_seconds: bySeverity.meanTimeToConfirmSeconds,
    mean_time_to_resolve_seconds: bySeverity.meanTimeToResolveSeconds,
  });
}

/** GET /api/v1/alerts/{id}: the alert with its history. */
export async function getAlert(ctx: RelayContext, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  readRole(ctx, req);
  const alert = await ctx.store.getAlert(id);
  if (!alert) throw new HttpError(404, 'not_found', `no alert "${id}"`);
  sendJson(res, 200, { ...alertView(alert), events: (await ctx.store.events(id)).map(eventView) });
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req, 64 * 1024);
  let doc: unknown;
  try {
    doc = JSON.parse(text || '{}');
  } catch {
    throw new HttpError(400, 'bad_body', 'the body is not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new HttpError(400, 'bad_body', 'the body must be a JSON object');
  return doc as Record<string, unknown>;
}

function field(body: Record<string, unknown>, name: string, required: boolean): string {
  const v = body[name];
  if (v === undefined && !required) return '';
  if (typeof v !== 'string' || (required && v.trim() === '') || v.length > 1024) throw new HttpError(400, 'bad_body', `${name}: ${required ? 'a non-empty' : 'a'} string of at most 1024 characters is required`);
  return v;
}

/** POST /api/v1/alerts/{id}/confirm {user_id, comment} */
export async function confirm(ctx: RelayContext, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  requireBearer(req, ctx.tokens.operate, 'confirming an alert');
  const body = await jsonBody(req);
  const user = field(body, 'user_id', true);
  const comment = field(body, 'comment', false);
  const now = ctx.now();
  const known = await ctx.store.getAlert(id);
  const expiresAt = known && confirmationExpiresAt(ctx.state().config, known.severity, now);
  const outcome = await ctx.store.confirm(id, user, comment, now, expiresAt);
  if (!outcome.ok) {
    if (outcome.reason === 'not_found') throw new HttpError(404, 'not_found', `no alert "${id}"`);
    throw new HttpError(409, 'not_open', `alert "${id}" is ${outcome.alert?.status}: only an open alert can be confirmed`);
  }
  const a = outcome.alert;
  sendJson(res, 200, { alert_id: a.id, status: a.status, confirmed_by: a.confirmedBy, confirmed_at: iso(a.confirmedAt) });
}

/**
 * Closes an alert and silences exactly its labels in Alertmanager (the other receivers of its route), until it
 * resolves (the relay expires the silence then) or for the longest a close may last. A close stands even when the
 * silence cannot be made: the relay sends nothing more for a closed alert either way, and the error is returned.
 */
export async function closeAlert(ctx: RelayContext, id: string, user: string, reason: string): Promise<{ outcome: CloseOutcome; silence?: { silence_id: string } | { silence_error: string } }> {
  const outcome = await ctx.store.close(id, user, reason, ctx.now());
  if (!outcome.ok) return { outcome };
  const a = outcome.alert;
  try {
    const silenceId = await ctx.silencer().create(a, user, reason, ctx.now(), ctx.now() + ctx.maxSilenceMs);
    await ctx.store.setSilence(a.id, silenceId);
    return { outcome, silence: { silence_id: silenceId } };
  } catch (e) {
    ctx.log(`alert ${a.id} closed without a silence: ${(e as Error).message}`);
    return { outcome, silence: { silence_error: (e as Error).message } };
  }
}

/** POST /api/v1/alerts/{id}/close {user_id, reason} */
export async function close(ctx: RelayContext, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  requireBearer(req, ctx.tokens.operate, 'closing an alert');
  const body = await jsonBody(req);
  const { outcome, silence } = await closeAlert(ctx, id, field(body, 'user_id', true), field(body, 'reason', true));
  if (!outcome.ok) {
    if (outcome.reason === 'not_found') throw new HttpError(404, 'not_found', `no alert "${id}"`);
    throw new HttpError(409, 'already_ended', `alert "${id}" is already ${outcome.alert?.status}`);
  }
  const a = outcome.alert;
  sendJson(res, 200, { alert_id: a.id, status: a.status, closed_by: a.closedBy, closed_at: iso(a.closedAt), ...silence });
}
