// findUrlSecrets answers plain links (a runbook per alert) without parsing them: the same findings as the general
// reading, parsedUrlSecrets, over random links built around the shortcut's edges — provider hosts, token formats at
// and over their shortest lengths, opaque segments, user-info, ports, queries, case, templates and hostile text.
import { describe, expect, it } from 'vitest';
import { findUrlSecrets, isPlainLink, parsedUrlSecrets } from './secret-url.ts';

function random(seed: number) {
  let s = seed >>> 0 || 1;
  return () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
}

const SCHEMES = ['https://', 'http://', 'HTTPS://', 'ftp://', 'https:', 'https:/', 'wss://', ''];
const HOSTS = ['runbooks.example.com', 'example.com', 'hooks.slack.com', 'api.telegram.org', 'open.feishu.cn', 'discord.com', 'x.webhook.office.com', 'outlook.office.com', 'events.pagerduty.com', 'events.eu.pagerduty.com', 'docs.google.com', '1.2.3', '0x7f.1', 'xn--fsq.com', 'Example.COM', 'a-b.c-d', 'user:pw@example.com', 'token@example.com', 'example.com:8080', 'localhost', '告警.example.com'];
const TOKENS = ['xoxb-1234567890', 'xoxb-123456789', 'xoxp-abcdefghijk', 'AKIAABCDEFGHIJKLMNOP', 'ghp_' + 'a1B2'.repeat(8), 'glpat-' + 'x'.repeat(20), 'sk_live_' + 'A1'.repeat(10), 'AIza' + 'b'.repeat(35), 'eyJabcdefghij.eyJabcdefghij.abcdefghij', 'services', 'workflows', 'bot123:abc', 'webhooks', '123456', 'hook', 'open-apis', 'bot', 'v2', 'integration', 'webhook'];
const ALPHABETS = ['abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789', '-_', '.~%;?#=&{}$ :/\\@\n"\'告'];

function segment(rand: () => number): string {
  const r = rand();
  if (r < 0.3) return TOKENS[Math.floor(rand() * TOKENS.length)]!;
  const n = Math.floor(rand() * 26) + (rand() < 0.1 ? 0 : 1);
  // Mostly letters, digits, `-` and `_`, sometimes a character that leaves the shortcut.
  const alphabets = rand() < 0.15 ? ALPHABETS : ALPHABETS.slice(0, 4);
  let text = '';
  for (let i = 0; i < n; i++) {
    const a = alphabets[Math.floor(rand() * alphabets.length)]!;
    text += a[Math.floor(rand() * a.length)];
  }
  return text;
}

function link(rand: () => number): string {
  let text = SCHEMES[Math.floor(rand() * SCHEMES.length)]! + HOSTS[Math.floor(rand() * HOSTS.length)]!;
  const segments = Math.floor(rand() * 6);
  for (let i = 0; i < segments; i++) text += '/' + segment(rand);
  if (rand() < 0.2) text += '/';
  if (rand() < 0.05) text += '?token=abc';
  if (rand() < 0.05) text = ` ${text} `;
  return text;
}

describe('plain links', () => {
  it('findUrlSecrets finds what parsedUrlSecrets finds (20,000 random links), taking the shortcut for many', () => {
    const rand = random(7);
    let plain = 0;
    let found = 0;
    for (let n = 0; n < 20_000; n++) {
      const text = link(rand);
      const general = parsedUrlSecrets(text);
      if (isPlainLink(text)) {
        plain++;
        expect(general, text).toEqual([]);
      }
      if (general.length) found++;
      expect(findUrlSecrets(text), text).toEqual(general);
    }
    // Neither side of the comparison is empty.
    expect(plain).toBeGreaterThan(1000);
    expect(found).toBeGreaterThan(1000);
  });

  it('parses what the shortcut cannot vouch for', () => {
    expect(isPlainLink('https://runbooks.example.com/bench-0')).toBe(true);
    expect(isPlainLink('https://example.com/a/b_c/')).toBe(true);
    for (const text of ['https://hooks.slack.com/services/T0/B0', 'https://example.com/xoxb-1234567890', 'https://example.com/' + 'a'.repeat(20), 'https://u@example.com/', 'https://example.com:1/', 'https://example.com/?a=b', 'https://example.com/#x', 'https://example.com/a;b', 'https://example.com/%41', 'https://Example.com/', 'https://example.com/a.b', 'https://example.com/a\n', 'https://{{ .x }}/']) {
      expect(isPlainLink(text), text).toBe(false);
    }
    expect(findUrlSecrets('https://hooks.slack.com/services/T0/B0/x')).toHaveLength(1);
  });
});
