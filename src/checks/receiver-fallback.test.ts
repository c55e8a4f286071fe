import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { BASE_DIR } from '../../test/helpers/model.ts';
import { compile, type CompileResult } from '../compile.ts';
import { lineColAt } from '../diagnostics.ts';
import { RELAY_CONFIG_PATH } from '../emit/relay.ts';
import { loadYamlSources } from '../load/index.ts';

/** The base project with `receivers` as its Receivers file. */
async function compileWithReceivers(receivers: string): Promise<CompileResult> {
  const sources = [];
  for (const file of (await readdir(BASE_DIR)).sort()) sources.push({ file, text: file === 'receivers.yaml' ? receivers : await readFile(path.join(BASE_DIR, file), 'utf8') });
  return compile(loadYamlSources(sources));
}

const HEAD = 'apiVersion: vigil/v1\nkind: Receivers\nreceivers:\n';

async function fallbackProblems(receivers: string) {
  const text = HEAD + receivers;
  const result = await compileWithReceivers(text);
  return result.diagnostics
    .filter((d) => d.code === 'ref/receiver')
    .map((d) => ({ at: d.span ? lineColAt(text, d.span.start) : undefined, message: d.message, hint: d.hint }));
}

describe('ref/receiver: fallback', () => {
  it('accepts a fallback to a receiver the relay delivers, and relay.yml carries it', async () => {
    const text =
      HEAD +
      [
        '  - name: team',
        '    email: { to: [team@example.com] }',
        '  - name: oncall',
        '    sms: { to: ["+8613800000000"] }',
        '  - name: chat',
        '    dingtalk: { webhook: { env: DINGTALK_WEBHOOK } }',
        '    fallback: oncall',
        '  - name: robot',
        '    wecomRobot: { webhook: { env: WECOM_WEBHOOK } }',
        '    fallback: team',
        '',
      ].join('\n');
    const result = await compileWithReceivers(text);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const artifact = result.artifacts.find((a) => a.path === RELAY_CONFIG_PATH)!;
    const config = parse(artifact.content);
    expect(config.fallback).toEqual({ chat: 'oncall', robot: 'team' });
    // A fallback that only mails: the relay mails it, so relay.yml carries its email channel and the smtp settings.
    expect(config.receivers.team).toEqual({ email: { sendResolved: true, to: ['team@example.com'] } });
    expect(config.smtp).toEqual({ smarthost: 'smtp.example.com:587', from: 'alerts@example.com' });
    expect(Object.keys(config).at(-1)).toBe('fallback');
    // The same definitions, the same bytes.
    expect((await compileWithReceivers(text)).artifacts.find((a) => a.path === RELAY_CONFIG_PATH)!.content).toBe(artifact.content);
  });

  it('leaves fallback out of relay.yml when no receiver sets one', async () => {
    const result = await compileWithReceivers(HEAD + '  - name: team\n    email: { to: [team@example.com] }\n  - name: oncall\n    sms: { to: ["+8613800000000"] }\n');
    expect(parse(result.artifacts.find((a) => a.path === RELAY_CONFIG_PATH)!.content)).not.toHaveProperty('fallback');
  });

  it('refuses an unknown receiver, with a did-you-mean, at the field', async () => {
    expect(await fallbackProblems('  - name: team\n    email: { to: [team@example.com] }\n  - name: oncall\n    sms: { to: ["+8613800000000"] }\n    fallback: teem\n')).toEqual([
      { at: { line: 8, col: 15 }, message: 'receiver oncall: fallback names receiver "teem", which is not defined', hint: 'did you mean "team"?' },
    ]);
  });

  it('refuses the receiver itself', async () => {
    expect(await fallbackProblems('  - name: team\n    email: { to: [team@example.com] }\n  - name: oncall\n    sms: { to: ["+8613800000000"] }\n    fallback: oncall\n')).toMatchObject([
      { at: { line: 8, col: 15 }, message: 'receiver oncall: fallback names the receiver itself' },
    ]);
  });

  it('refuses a receiver without a channel the relay delivers', async () => {
    const receivers = [
      '  - name: team',
      '    email: { to: [team@example.com] }',
      '  - name: hook',
      '    webhook: { url: "https://hooks.example.com/alerts" }',
      '  - name: oncall',
      '    sms: { to: ["+8613800000000"] }',
      '    fallback: hook',
      '',
    ].join('\n');
    expect(await fallbackProblems(receivers)).toMatchObject([
      { at: { line: 10, col: 15 }, message: 'receiver oncall: fallback receiver "hook" has no channel the relay delivers (dingtalk, wecomRobot, sms, signedWebhook or email)' },
    ]);
  });

  it('refuses fallbacks that go round in a circle, once, at the first of them by name', async () => {
    const receivers = [
      '  - name: team',
      '    email: { to: [team@example.com] }',
      '    fallback: oncall',
      '  - name: oncall',
      '    sms: { to: ["+8613800000000"] }',
      '    fallback: chat',
      '  - name: chat',
      '    dingtalk: { webhook: { env: DINGTALK_WEBHOOK } }',
      '    fallback: team',
      '',
    ].join('\n');
    expect(await fallbackProblems(receivers)).toEqual([
      { at: { line: 12, col: 15 }, message: 'fallbacks go round in a circle: chat → team → oncall → chat', hint: 'end the chain at a receiver without a fallback: a dead letter would otherwise be handed on forever' },
    ]);
  });
});
