// The signedWebhook channel through a whole compile: what the emitters write, and what the checks say about it.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { baseFile, compileBase } from '../../test/helpers/model.ts';
import { RELAY_CONFIG_PATH } from '../build/paths.ts';

const HOOK = '    signedWebhook: { url: "https://hooks.example.com/vigil", secret: { env: HOOK_SIGNING_SECRET } }\n';

let receiversText = '';

async function compileWith(receiverLines: string, replace: Record<string, string> = {}) {
  receiversText = (await baseFile('receivers.yaml')).replace('    sms: { to: ["+8613800000000"] }\n', receiverLines);
  return compileBase({ 'receivers.yaml': receiversText, ...replace });
}

/** The 1-based line of receivers.yaml a diagnostic's span starts on. */
const lineOf = (span: { file: string; start: number } | undefined) => (span?.file === 'receivers.yaml' ? receiversText.slice(0, span.start).split('\n').length : undefined);
const CHANNEL_LINE = 7;

describe('a signedWebhook receiver', () => {
  it('compiles to a relay webhook in alertmanager.yml and an entry with its secret as a reference in relay.yml', async () => {
    const result = await compileWith(HOOK);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const am = parse(result.artifacts.find((a) => a.path.endsWith('alertmanager.yml'))!.content);
    const oncall = am.receivers.find((r: { name: string }) => r.name === 'oncall');
    expect(oncall.webhook_configs).toEqual([
      { send_resolved: true, url: 'http://relay:9095/api/v1/notify/signedWebhook/oncall', http_config: { authorization: { type: 'Bearer', credentials_file: expect.any(String) } } },
    ]);
    expect(JSON.stringify(am)).not.toContain('hooks.example.com');
    const relay = parse(result.artifacts.find((a) => a.path === RELAY_CONFIG_PATH)!.content);
    expect(relay.receivers.oncall).toEqual({
      signedWebhook: { header: 'X-Vigil-Signature', secret: { env: 'HOOK_SIGNING_SECRET' }, sendResolved: true, url: 'https://hooks.example.com/vigil' },
    });
  });

  it('is an escalation tier the relay posts to', async () => {
    const severities = (await baseFile('severities.yaml')).replace(
      '- { name: critical, groupWait: 10s, groupInterval: 1m, repeatInterval: 1h }',
      '- { name: critical, groupWait: 10s, groupInterval: 1m, repeatInterval: 1h, escalation: [{ after: 15m, receivers: [oncall] }] }',
    );
    const result = await compileWith(HOOK, { 'severities.yaml': severities });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const relay = parse(result.artifacts.find((a) => a.path === RELAY_CONFIG_PATH)!.content);
    expect(relay.escalation).toEqual({ critical: [{ after: '15m', receivers: ['oncall'] }] });
    expect(relay.receivers.oncall.signedWebhook.url).toBe('https://hooks.example.com/vigil');
  });

  it('without a relay: receiver/delivery at the channel, and nothing in alertmanager.yml', async () => {
    const project = (await baseFile('project.yaml')).replace(/^relay: .*\n/m, '');
    const result = await compileWith(HOOK, { 'project.yaml': project });
    const errors = result.diagnostics.filter((d) => d.code === 'receiver/delivery');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ severity: 'error', message: 'receiver oncall uses signedWebhook, which is delivered by the Vigil relay, but the project has no relay url' });
    expect(lineOf(errors[0]!.span)).toBe(CHANNEL_LINE);
    expect(errors[0]!.hint).toContain('relay: { url:');
  });

  it.each([
    { name: 'user-info', url: 'https://user:hunter2@hooks.example.com/vigil' },
    { name: 'a token parameter', url: 'https://hooks.example.com/vigil?token=abc123def456' },
  ])('refuses credentials in the URL ($name): secret/literal', async ({ url }) => {
    const result = await compileWith(`    signedWebhook: { url: "${url}", secret: { env: HOOK_SIGNING_SECRET } }\n`);
    const found = result.diagnostics.filter((d) => d.code === 'secret/literal');
    expect(found).toHaveLength(1);
    expect(found[0]!.severity).toBe('error');
    expect(lineOf(found[0]!.span)).toBe(CHANNEL_LINE);
    expect(found[0]!.hint).toBeTruthy();
    expect(found[0]!.message).not.toContain('hunter2');
  });

  it.each([
    { name: 'no secret', lines: '    signedWebhook: { url: "https://hooks.example.com/vigil" }\n' },
    { name: 'a literal secret', lines: '    signedWebhook: { url: "https://hooks.example.com/vigil", secret: "s3cr3t" }\n' },
    { name: 'a URL that is not http(s)', lines: '    signedWebhook: { url: "ftp://hooks.example.com/vigil", secret: { env: S } }\n' },
    { name: 'a header with a space', lines: '    signedWebhook: { url: "https://hooks.example.com/vigil", secret: { env: S }, header: "X Sig" }\n' },
  ])('the schema refuses $name at its place', async ({ lines }) => {
    const result = await compileWith(lines);
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.map((d) => lineOf(d.span))).toEqual(errors.map(() => CHANNEL_LINE));
  });
});
