import { describe, expect, it } from 'vitest';
import { confirmationExpiresAt, parseRelayConfig, RelayConfigError } from './config.ts';

describe('relay.yml confirmExpiry', () => {
  it('reads the duration of each severity that sets one, in ms', () => {
    const config = parseRelayConfig('relay: null\nreceivers: {}\nescalation: {}\nconfirmExpiry: { critical: 30m, warning: 1h30m }\n');
    expect([...config.confirmExpiryMs]).toEqual([
      ['critical', 30 * 60_000],
      ['warning', 90 * 60_000],
    ]);
    expect(confirmationExpiresAt(config, 'critical', 1_000)).toBe(1_000 + 30 * 60_000);
    expect(confirmationExpiresAt(config, 'info', 1_000)).toBeUndefined();
  });

  it('has no expiry when relay.yml has no confirmExpiry section (a build before it existed)', () => {
    expect(parseRelayConfig('relay: null\nreceivers: {}\nescalation: {}\n').confirmExpiryMs.size).toBe(0);
  });

  it('refuses a value that is not a duration, naming the field', () => {
    expect(() => parseRelayConfig('confirmExpiry: { critical: soon }\n')).toThrow(new RelayConfigError('confirmExpiry.critical: must be a duration such as 30m'));
    expect(() => parseRelayConfig('confirmExpiry: [30m]\n')).toThrow('confirmExpiry: must be a mapping');
  });
});

describe('relay.yml dingtalk.atAll', () => {
  const receiver = (fields: string) => parseRelayConfig(`receivers:\n  oncall: { dingtalk: { webhook: { env: HOOK }${fields} } }\n`).receivers.get('oncall')!.dingtalk!;

  it('reads atAll, false when absent', () => {
    expect(receiver(', atAll: true').atAll).toBe(true);
    expect(receiver(', atAll: false').atAll).toBe(false);
    expect(receiver('').atAll).toBe(false);
  });

  it('refuses an atAll that is not a boolean, naming the field', () => {
    expect(() => receiver(', atAll: "yes"')).toThrow(new RelayConfigError('receivers.oncall.dingtalk.atAll: must be true or false'));
  });
});

describe('relay.yml templates', () => {
  it('compiles each template', () => {
    const config = parseRelayConfig('templates:\n  - { name: t, channel: dingtalk, severities: [critical], title: "{{title}}", body: "{{#each alerts}}{{summary}}{{/each}}" }\n');
    expect(config.templates).toHaveLength(1);
    expect(config.templates[0]!.source).toEqual({ name: 't', channel: 'dingtalk', severities: ['critical'], title: '{{title}}', body: '{{#each alerts}}{{summary}}{{/each}}' });
    expect(typeof config.templates[0]!.title).toBe('function');
  });

  it.each([
    ['templates: {}\n', 'templates: must be a list'],
    ['templates: [{ channel: sms, body: x }]\n', 'templates[0].name: must be a name'],
    ['templates: [{ name: t, channel: fax, body: x }]\n', 'templates[0].channel: must be dingtalk, wecomRobot, sms or email'],
    ['templates: [{ name: t, channel: sms }]\n', 'templates[0].body: must be text'],
    ['templates: [{ name: t, channel: sms, language: fr, body: x }]\n', 'templates[0].language: must be zh or en'],
    ['templates: [{ name: t, channel: sms, body: "{{#if x}}" }]\n', 'templates[0] (t).body: '],
    ['templates: [{ name: t, channel: sms, body: "{{> p}}" }]\n', 'templates[0] (t).body: partials'],
  ])('refuses %j', (yaml, message) => {
    expect(() => parseRelayConfig(yaml)).toThrow(RelayConfigError);
    expect(() => parseRelayConfig(yaml)).toThrow(message);
  });
});
