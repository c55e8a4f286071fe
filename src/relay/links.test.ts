import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { linkKey, signLink, verifyLink } from './links.ts';

const key = linkKey('notify-token');
const NOW = 1_800_000_000_000;
const good = signLink(key, { alertId: 'a1b2c3', action: 'confirm', expiresAt: NOW + 60_000 });

describe('chat link tokens', () => {
  it('round-trips: the alert, the action and the expiry it was signed for', () => {
    expect(verifyLink(key, good, NOW)).toEqual({ ok: true, claim: { alertId: 'a1b2c3', action: 'confirm', expiresAt: NOW + 60_000 } });
  });

  const [payload, signature] = good.split('.') as [string, string];
  const reSigned = (doc: unknown, k = key) => {
    const p = Buffer.from(JSON.stringify(doc)).toString('base64url');
    return `${p}.${createHmac('sha256', k).update(p).digest('base64url')}`;
  };
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  // Every way a link can be wrong is refused, and says which (the page tells expired apart from forged).
  it.each([
    ['another alert, same signature', `${Buffer.from(JSON.stringify({ a: 'zzzzzz', x: 'confirm', e: NOW + 60_000 })).toString('base64url')}.${signature}`, 'signature'],
    ['confirm turned into close', `${Buffer.from(JSON.stringify({ a: 'a1b2c3', x: 'close', e: NOW + 60_000 })).toString('base64url')}.${signature}`, 'signature'],
    ['a later expiry', `${Buffer.from(JSON.stringify({ a: 'a1b2c3', x: 'confirm', e: NOW + 9e12 })).toString('base64url')}.${signature}`, 'signature'],
    ['one character of the signature', `${payload}.${flip(signature, 5)}`, 'signature'],
    ['signed with another relay’s key', reSigned({ a: 'a1b2c3', x: 'confirm', e: NOW + 60_000 }, linkKey('other-token')), 'signature'],
    ['expired', signLink(key, { alertId: 'a1b2c3', action: 'close', expiresAt: NOW - 1 }), 'expired'],
    ['an action that does not exist', reSigned({ a: 'a1b2c3', x: 'delete', e: NOW + 60_000 }), 'malformed'],
    ['no dot', payload, 'malformed'],
    ['empty', '', 'malformed'],
    ['a path in it', `../${good}`, 'malformed'],
    ['a payload that is not JSON', `${Buffer.from('not json').toString('base64url')}.${createHmac('sha256', key).update(Buffer.from('not json').toString('base64url')).digest('base64url')}`, 'malformed'],
  ])('refuses %s', (_name, token, reason) => {
    expect(verifyLink(key, token, NOW)).toEqual({ ok: false, reason });
  });
});
