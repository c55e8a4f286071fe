import { describe, expect, it } from 'vitest';
import { credentialVariants, ORDINARY_TARGETS, ORDINARY_URLS, targetVariants, webhookVariants } from '../../test/security/url-secret-variants.ts';
import { decode, findUrlSecrets, isSecretName, looksOpaque, normalizeName } from './secret-url.ts';

const kinds = (text: string) => findUrlSecrets(text).flatMap((f) => f.secrets.map((s) => s.kind));

describe('findUrlSecrets', () => {
  it.each([...webhookVariants(), ...credentialVariants(), ...targetVariants()].map((v) => [v.name, v] as const))('finds %s, and never repeats the secret', (_name, v) => {
    const found = findUrlSecrets(v.url);
    expect(found, v.url).toHaveLength(1);
    expect(found[0]).toMatchObject({ start: 0, end: v.url.length });
    for (const s of found[0]!.secrets) expect(s.kind).not.toContain(v.secret);
    expect(found[0]!.host ?? '').not.toContain(v.secret);
  });

  it.each([...ORDINARY_URLS, ...ORDINARY_TARGETS])('stays silent on the ordinary %s', (url) => {
    expect(kinds(url)).toEqual([]);
  });

  it('names what it found', () => {
    expect(kinds('https://hooks.slack.com/services/T0/B0/abc')).toContain('a Slack webhook token in its path');
    expect(kinds('https://u:p@h')).toEqual(['a password in its user-info (user:password@)']);
    expect(kinds('https://TOKEN@h')).toEqual(['a credential as its user name (user@)']);
    expect(kinds('https://h/?%2574oken=x')).toEqual(['a secret in the query parameter "token"']);
    expect(kinds('https://h/#access_token=x')).toEqual(['a secret in the fragment parameter "access_token"']);
    expect(kinds('https://h/a;sig=x/b')).toEqual(['a secret in the path parameter "sig"']);
  });

  it('finds URLs inside longer text and points at each one', () => {
    const text = 'See https://ok.example.com/a and [the log](https://h.example.com/?token=abc), then https://u:p@h2.';
    const found = findUrlSecrets(text);
    expect(found.map((f) => text.slice(f.start, f.end))).toEqual(['https://h.example.com/?token=abc', 'https://u:p@h2']);
  });

  it('sees through Go templates and placeholders, without treating them as tokens', () => {
    expect(kinds('http://{{ $labels.instance }}:9100/metrics?token={{ .Values.t }}')).toEqual(['a secret in the query parameter "token"']);
    expect(kinds('https://grafana/d/{{ $labels.dashboard_uid_with_a_long_name }}?orgId=1')).toEqual([]);
  });

  it('reads what WHATWG URL refuses, leniently', () => {
    expect(kinds('https://exa mple.com/?token=abc')).toEqual(['a secret in the query parameter "token"']);
    expect(kinds('https://h:99999999/?api-key=abc')).toEqual(['a secret in the query parameter "api-key"']);
    expect(kinds('https:hooks.slack.com/services/T0/B0/abc')).toContain('a Slack webhook token in its path');
  });

  it('ignores a secret-named parameter without a value (nothing to leak)', () => {
    expect(kinds('https://h/?token=&key=')).toEqual([]);
  });

  it('bounds decoding and nesting (a hostile string ends quickly)', () => {
    let name = 'token';
    for (let i = 0; i < 50; i++) name = encodeURIComponent(name).replace(/t/, '%74');
    const started = performance.now();
    findUrlSecrets(`https://h/?${name}=x&${'a=b&'.repeat(100_000)}`);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it.each([
    ['scheme-like runs', 'a.a+a-'.repeat(400_000)],
    ['unclosed templates', '{{ x '.repeat(200_000)],
    ['unclosed placeholders', 'https://h/${'.repeat(200_000)],
    ['many URLs', 'https://h/?token=x '.repeat(50_000)],
    ['a long opaque path', `https://h/${'aB3'.repeat(300_000)}`],
    ['trailing punctuation runs', `see https://h/${'.'.repeat(1_000_000)}x`],
    ['JWT-like runs', `https://h/${'eyJ-'.repeat(250_000)}`],
    ['GitLab-like runs', `https://h/${'glpat-'.repeat(200_000)}`],
    ['Slack-like runs', `https://h/?a=${'xoxb-'.repeat(200_000)}`],
  ])('ends in linear time on %s', (_name, text) => {
    const started = performance.now();
    findUrlSecrets(text);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe('the parts', () => {
  it.each([
    ['access%5Ftoken', 'access_token'],
    ['%2574oken', 'token'],
    ['%E5%AF%86%E7%A0%81', '密码'],
    ['%zz', '%zz'],
  ])('decode(%s) = %s', (raw, want) => expect(decode(raw)).toBe(want));

  it.each([
    ['X-Amz-Signature', 'xamzsignature'],
    ['token[]', 'token'],
    ['token[0]', 'token'],
    [' Access Token ', 'accesstoken'],
    ['api.key', 'apikey'],
  ])('normalizeName(%s) = %s', (raw, want) => expect(normalizeName(raw)).toBe(want));

  it.each(['token', 'api-key', 'apiKey', 'client_secret', 'X-Goog-Signature', 'private_token', 'passwd', 'credentials', 'key', 'routing_key', 'token2'])(
    '%s is a secret name',
    (n) => expect(isSecretName(n)).toBe(true),
  );
  it.each(['keyboard', 'monkey', 'orgId', 'var-key', 'tokens_used', 'from', 'refresh', 'signup', 'author'])('%s is not', (n) => expect(isSecretName(n)).toBe(false));

  it.each(['q8Zr2LkP0wXv7NcA5dYe', 'k3j9x0q2m8w7e5r1t4y6u2i9', 'AbC1dEf2GhI3jKl4MnO5pQr6'])('%s looks opaque', (s) => expect(looksOpaque(s)).toBe(true));
  it.each([
    'KubernetesPodCrashLooping2024Edition',
    'InferenceErrorBudgetBurn',
    '3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39',
    'f47ac10b-58cc-4372-a567-0e02b2c3d479',
    'node-exporter-full-1860',
    'prometheus-2.42.0.linux-amd64.tar.gz',
    'short1A',
  ])('%s does not', (s) => expect(looksOpaque(s)).toBe(false));
});
