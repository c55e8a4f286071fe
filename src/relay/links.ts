import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Confirm and close links for chat messages: `<publicUrl>/a/<token>`, where the token names one alert and one action,
 * expires, and is signed (HMAC-SHA256) with a key only the relay holds. Nothing else is reachable with it: no login,
 * no other alert, no other action.
 */
export type LinkAction = 'confirm' | 'close';

export interface LinkClaim {
  alertId: string;
  action: LinkAction;
  /** ms */
  expiresAt: number;
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** The signing key, derived from a secret the relay already holds (its notify token): no extra setting to manage. */
export function linkKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('vigil-relay chat links v1').digest();
}

export function signLink(key: Buffer, claim: LinkClaim): string {
  const payload = b64(JSON.stringify({ a: claim.alertId, x: claim.action, e: claim.expiresAt }));
  return `${payload}.${b64(createHmac('sha256', key).update(payload).digest())}`;
}

export type LinkCheck = { ok: true; claim: LinkClaim } | { ok: false; reason: 'malformed' | 'signature' | 'expired' };

export function verifyLink(key: Buffer, token: string, now: number): LinkCheck {
  const m = /^([A-Za-z0-9_-]{1,512})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return { ok: false, reason: 'malformed' };
  const expected = createHmac('sha256', key).update(m[1]!).digest();
  const given = Buffer.from(m[2]!, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature' };
  let doc: { a?: unknown; x?: unknown; e?: unknown };
  try {
    doc = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8')) as typeof doc;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof doc.a !== 'string' || (doc.x !== 'confirm' && doc.x !== 'close') || typeof doc.e !== 'number') return { ok: false, reason: 'malformed' };
  if (doc.e <= now) return { ok: false, reason: 'expired' };
  return { ok: true, claim: { alertId: doc.a, action: doc.x, expiresAt: doc.e } };
}
