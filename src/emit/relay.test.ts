import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compileBase } from '../../test/helpers/model.ts';
import { DEFAULT_LEVELS, receiver, receivers, severities, severityLevel, yamlOf } from '../../test/factories/index.ts';
import { parseRelayConfig } from '../relay/config.ts';
import { RELAY_CONFIG_PATH } from './relay.ts';

describe('relay config', () => {
  it('carries the DingTalk and SMS channels as references and the escalation steps', async () => {
    const dingtalk = { webhook: { env: 'DINGTALK_ONCALL_WEBHOOK' }, secret: { file: '/run/secrets/ding' }, atMobiles: ['13800000000'] };
    const critical = severityLevel('critical', { groupWait: '10s', groupInterval: '1m', repeatInterval: '1h', escalation: [{ after: '15m', receivers: ['team'], repeat: '30m' }] });
    const result = await compileBase({
      'receivers.yaml': yamlOf(receivers([receiver('team', 'email'), receiver('oncall', 'sms', {}, { dingtalk })])),
      'severities.yaml': yamlOf(severities({ levels: [critical, ...DEFAULT_LEVELS.slice(1)] })),
    });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const artifact = result.artifacts.find((a) => a.path === RELAY_CONFIG_PATH)!;
    const config = parse(artifact.content);
    expect(config.relay).toEqual({ url: 'http://relay:9095', token: { env: 'VIGIL_RELAY_TOKEN' }, sms: { provider: 'http', url: 'https://sms-gateway.example.com/send' } });
    expect(config.receivers).toEqual({
      oncall: {
        sms: { sendResolved: true, to: ['+8613800000000'] },
        dingtalk: { sendResolved: true, webhook: { env: 'DINGTALK_ONCALL_WEBHOOK' }, secret: { file: '/run/secrets/ding' }, atMobiles: ['13800000000'] },
      },
      // An escalation tier the relay mails itself (Alertmanager mails only what routes send it), through the smtp below.
      team: { email: { sendResolved: true, to: ['team@example.com'] } },
    });
    expect(config.smtp).toEqual({ smarthost: 'smtp.example.com:587', from: 'alerts@example.com' });
    expect(config.escalation).toEqual({ critical: [{ after: '15m', receivers: ['team'], repeat: '30m' }] });
    expect(config).not.toHaveProperty('confirmExpiry');
    expect(artifact.sources).toEqual(expect.arrayContaining(['receivers.yaml', 'severities.yaml', 'project.yaml']));
  });

  it('carries dingtalk.atAll, so the relay can mention everyone', async () => {
    const dingtalk = { webhook: { env: 'DINGTALK_ONCALL_WEBHOOK' }, atAll: true };
    const result = await compileBase({ 'receivers.yaml': yamlOf(receivers([receiver('team', 'email'), receiver('oncall', 'sms', {}, { dingtalk })])) });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const config = parse(result.artifacts.find((a) => a.path === RELAY_CONFIG_PATH)!.content);
    expect(config.receivers.oncall.dingtalk).toEqual({ atAll: true, sendResolved: true, webhook: { env: 'DINGTALK_ONCALL_WEBHOOK' } });
  });

  it('carries confirmExpiry for the severities that set one, and only those', async () => {
    const critical = severityLevel('critical', { groupWait: '10s', groupInterval: '1m', repeatInterval: '1h', confirmExpiry: '30m' });
    const severitiesYaml = yamlOf(severities({ levels: [critical, ...DEFAULT_LEVELS.slice(1)] }));
    expect(severitiesYaml).toContain('confirmExpiry: 30m');
    const result = await compileBase({ 'severities.yaml': severitiesYaml });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const artifact = result.artifacts.find((a) => a.path === RELAY_CONFIG_PATH)!;
    expect(parse(artifact.content).confirmExpiry).toEqual({ critical: '30m' });
    expect(artifact.sources).toContain('severities.yaml');
  });
});

describe('relay config: message templates', () => {
  it('carries each template sorted by name, fields in a fixed order, and the relay compiles what it wrote', async () => {
    const templates = [
      'apiVersion: vigil/v1',
      'kind: Templates',
      'templates:',
      '  - name: zz-sms',
      '    channel: sms',
      '    body: "{{#each alerts}}{{alertname}} {{labels.service}}{{/each}}"',
      '  - name: aa-critical',
      '    language: zh',
      '    severities: [critical]',
      '    receivers: [oncall]',
      '    channel: sms',
      '    body: |',
      '      {{title}}',
      '      {{#each alerts}}{{summary}}{{/each}}',
      '',
    ].join('\n');
    const result = await compileBase({ 'templates.yaml': templates });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const artifact = result.artifacts.find((a) => a.path === RELAY_CONFIG_PATH)!;
    const config = parse(artifact.content);
    expect(config.templates).toEqual([
      { name: 'aa-critical', channel: 'sms', receivers: ['oncall'], severities: ['critical'], language: 'zh', body: '{{title}}\n{{#each alerts}}{{summary}}{{/each}}\n' },
      { name: 'zz-sms', channel: 'sms', body: '{{#each alerts}}{{alertname}} {{labels.service}}{{/each}}' },
    ]);
    expect(artifact.sources).toContain('templates.yaml');
    const relay = parseRelayConfig(artifact.content);
    expect(relay.templates.map((t) => t.source.name)).toEqual(['aa-critical', 'zz-sms']);
  });

  it('has no templates section without templates', async () => {
    const result = await compileBase({});
    expect(parse(result.artifacts.find((a) => a.path === RELAY_CONFIG_PATH)!.content)).not.toHaveProperty('templates');
  });
});
