import { createHmac } from 'node:crypto';
import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { dingtalk } from '../../channels/dingtalk.ts';
import type { AlertRecord } from '../types.ts';
import { renderDingtalk, sendDingtalk, signedUrl, type DingtalkTarget } from './dingtalk.ts';
import type { Fetch, Notice } from './types.ts';
import { alertMaker, answering, noticeMaker, ROBOT_HTTP_ANSWERS, STARTED } from '../../../test/helpers/notices.ts';

const LIMIT = dingtalk.limits.messageBytes!;

const alert = alertMaker({
  labels: { alertname: 'GpuTemperatureHigh', severity: 'critical', instance: 'gpu-01:9400', gpu: '3', __name__: 'x' },
  annotations: { summary: 'GPU 3 is at 91°C', description: 'Above 85°C for 5 minutes.' },
  generatorURL: 'http://prometheus/graph',
});
const notice = noticeMaker(alert, { externalURL: 'http://alertmanager.example:9093' });

const target = (overrides: Partial<DingtalkTarget> = {}): DingtalkTarget => ({
  webhook: 'https://oapi.dingtalk.com/robot/send?access_token=T',
  atMobiles: [],
  ...overrides,
});

const links = (a: AlertRecord) => ({ confirm: `https://relay.example/a/confirm-${a.id}`, close: `https://relay.example/a/close-${a.id}` });

// any: the message is checked field by field against DingTalk's documented shapes.
function parsed(n: Notice, t: DingtalkTarget = target()): any {
  const rendered = renderDingtalk(n, t);
  expect(rendered.bytes).toBe(Buffer.byteLength(rendered.body, 'utf8'));
  expect(rendered.bytes).toBeLessThanOrEqual(LIMIT);
  return JSON.parse(rendered.body);
}

const textOf = (message: any): string => (message.markdown ?? message.actionCard).text;

describe('renderDingtalk: content', () => {
  it('writes an English firing notice: title, summary, description, labels that matter (sorted), local time', () => {
    const message = parsed(notice());
    expect(message.msgtype).toBe('markdown');
    expect(message.markdown.title).toBe('[FIRING] critical: GpuTemperatureHigh');
    const text = textOf(message);
    expect(text.split('\n')[0]).toBe('### \\[FIRING\\] critical: GpuTemperatureHigh');
    expect(text).toContain('- Summary: GPU 3 is at 91°C');
    expect(text).toContain('- Description: Above 85°C for 5 minutes.');
    expect(text).toContain('- Labels: gpu=3, instance=gpu-01:9400');
    expect(text).not.toMatch(/__name__|alertname=|severity=/);
    expect(text).toContain('- Started: 2024-01-01 08:00:05 Asia/Shanghai');
    expect(message.at).toBeUndefined();
  });

  it('shows times in the notice time zone', () => {
    expect(textOf(parsed(notice({ timeZone: 'America/New_York' })))).toContain('- Started: 2023-12-31 19:00:05 America/New_York');
  });

  it('titles resolved and escalated notices, in English and Chinese', () => {
    expect(parsed(notice({ kind: 'resolved' })).markdown.title).toBe('[RESOLVED] critical: GpuTemperatureHigh');
    expect(parsed(notice({ kind: 'escalation' })).markdown.title).toBe('[ESCALATED] critical: GpuTemperatureHigh');
    expect(parsed(notice({ language: 'zh' })).markdown.title).toBe('【告警】critical：GpuTemperatureHigh');
    expect(parsed(notice({ language: 'zh', kind: 'resolved' })).markdown.title).toBe('【恢复】critical：GpuTemperatureHigh');
    expect(parsed(notice({ language: 'zh', kind: 'escalation' })).markdown.title).toBe('【升级】critical：GpuTemperatureHigh');
  });

  it('writes a Chinese notice with Chinese field names', () => {
    const text = textOf(parsed(notice({ language: 'zh' })));
    expect(text).toContain('- 摘要：GPU 3 is at 91°C');
    expect(text).toContain('- 标签：gpu=3, instance=gpu-01:9400');
    expect(text).toContain('- 开始时间：2024-01-01 08:00:05 Asia/Shanghai');
  });

  it('shows when a resolved alert ended', () => {
    const ended = alert({ endsAt: STARTED + 3_600_000, status: 'resolved' });
    expect(textOf(parsed(notice({ kind: 'resolved', alerts: [ended] })))).toContain('- Ended: 2024-01-01 09:00:05 Asia/Shanghai');
  });

  it('links the runbook and dashboard (either annotation spelling); a runbook that is no URL stays text', () => {
    const linked = alert({ annotations: { runbook_url: 'https://wiki/runbooks/gpu (hot)', dashboard: 'https://grafana/d/gpu' } });
    expect(textOf(parsed(notice({ alerts: [linked] })))).toContain('- [Runbook](https://wiki/runbooks/gpu%20%28hot%29) · [Dashboard](https://grafana/d/gpu)');
    const named = alert({ annotations: { runbook: 'wiki page GPU-heat', dashboard_url: 'javascript:alert(1)' } });
    const text = textOf(parsed(notice({ alerts: [named] })));
    expect(text).toContain('- Runbook: wiki page GPU-heat · Dashboard: javascript:alert\\(1\\)');
    expect(text).not.toContain('](javascript');
  });

  it('sends one alert with links as an actionCard with Confirm and Close buttons (确认/关闭 in Chinese)', () => {
    const one = alert();
    const message = parsed(notice({ alerts: [one], links }));
    expect(message.msgtype).toBe('actionCard');
    expect(message.actionCard.title).toBe('[FIRING] critical: GpuTemperatureHigh');
    expect(message.actionCard.btns).toEqual([
      { title: 'Confirm', actionURL: links(one).confirm },
      { title: 'Close', actionURL: links(one).close },
    ]);
    expect(parsed(notice({ alerts: [one], links, language: 'zh' })).actionCard.btns.map((b: any) => b.title)).toEqual(['确认', '关闭']);
  });

  it('sends several alerts with links as markdown, with each alert its own links and heading', () => {
    const [a, b] = [alert(), alert({ alertname: 'GpuMemoryErrors', severity: 'warning' })];
    const message = parsed(notice({ alerts: [a, b], links }));
    expect(message.msgtype).toBe('markdown');
    expect(message.markdown.title).toBe('[FIRING] critical/warning: 2 alerts');
    const text = textOf(message);
    expect(text).toContain('**GpuTemperatureHigh** (critical)');
    expect(text).toContain('**GpuMemoryErrors** (warning)');
    for (const x of [a, b]) expect(text).toContain(`- [Confirm](${links(x).confirm}) · [Close](${links(x).close})`);
  });

  it('counts several alerts of one name in the title', () => {
    expect(parsed(notice({ alerts: [alert(), alert(), alert()], language: 'zh' })).markdown.title).toBe('【告警】critical：GpuTemperatureHigh (3)');
  });
});

describe('renderDingtalk: mentions', () => {
  it('names mobiles and user ids in `at` and writes each @ into the text', () => {
    const message = parsed(notice(), target({ atMobiles: ['13800000000'], atUserIds: ['zhang_san'], isAtAll: false }));
    expect(message.at).toEqual({ atMobiles: ['13800000000'], atUserIds: ['zhang_san'], isAtAll: false });
    expect(textOf(message).split('\n').at(-1)).toBe('@13800000000 @zhang_san');
  });

  it('mentions everyone: isAtAll in `at` and @all in the text, which DingTalk needs too', () => {
    const message = parsed(notice({ links }), target({ isAtAll: true }));
    expect(message.msgtype).toBe('markdown');
    expect(message.at).toEqual({ atMobiles: [], atUserIds: [], isAtAll: true });
    expect(textOf(message).split('\n').at(-1)).toBe('@all');
  });

  it('writes @all before the people it also names', () => {
    const message = parsed(notice(), target({ atMobiles: ['13800000000'], isAtAll: true }));
    expect(message.at).toEqual({ atMobiles: ['13800000000'], atUserIds: [], isAtAll: true });
    expect(textOf(message).split('\n').at(-1)).toBe('@all @13800000000');
  });

  it('writes no @all when everyone is not mentioned', () => {
    expect(textOf(parsed(notice(), target({ atMobiles: ['13800000000'] })))).not.toContain('@all');
  });

  it('keeps mentions working when there are links: markdown with links rather than an actionCard (which has no `at`)', () => {
    const one = alert();
    const message = parsed(notice({ alerts: [one], links }), target({ atMobiles: ['13800000000'] }));
    expect(message.msgtype).toBe('markdown');
    expect(message.at.atMobiles).toEqual(['13800000000']);
    expect(textOf(message)).toContain(`[Confirm](${links(one).confirm})`);
    expect(textOf(message)).toContain('@13800000000');
  });
});

/** The text outside every backslash escape: what a renderer could read as syntax. */
function unescapedPart(s: string): string {
  return s.replace(/\\./gs, '');
}

describe('renderDingtalk: hostile label and annotation values are inert', () => {
  const hostile: [string, string][] = [
    ['markdown link', '[x](http://evil)'],
    ['image', '![pic](http://evil/p.png)'],
    ['heading', '# heading'],
    ['mobile mention', '@13800000000'],
    ['mention all', '@all'],
    ['chinese name mention', '@张三'],
    ['newlines', 'a\nb\r\n### injected\n- item'],
    ['control characters', 'a\u0000b\u001bc\u202ed'],
    ['html link', '<a href="http://evil">click</a>'],
    ['backticks', '`code` ```block```'],
    ['emphasis', '**bold** _it_ ~~gone~~'],
    ['quote and table', '> quote | a | b |'],
    ['bare url', 'http://evil.example/path www.evil.example'],
    ['entity mention', '&#64;13800000000'],
    ['escape attempt', '\\[x\\](http://evil)'],
    ['list start', '- 1. + = 2) item'],
  ];
  const md = new MarkdownIt();

  it.each(hostile)('%s', (_name, value) => {
    const a = alert({
      labels: { alertname: 'A', severity: 'critical', hostile: value },
      annotations: { summary: value, description: value },
    });
    const message = parsed(notice({ alerts: [a] }), target({ atMobiles: ['13900000000'] }));
    const text: string = textOf(message);
    const lines = text.split('\n');
    const line = (prefix: string) => lines.find((l) => l.startsWith(prefix))!;
    for (const field of [line('- Summary: ').slice('- Summary: '.length), line('- Labels: hostile=').slice('- Labels: hostile='.length)]) {
      expect(field).not.toMatch(/[\n\r\u0000-\u001f\u202e]/);
      expect(unescapedPart(field)).not.toMatch(/[[\]()<>`*_#!~|&\\]|:\/\/|www\./);
      expect(field).not.toMatch(/@[\p{L}\p{N}_]/u);
    }
    // Rendered as CommonMark: no link, image, heading, HTML, code or emphasis comes from the value.
    const html = md.render(text);
    expect(html.match(/<a /g) ?? []).toHaveLength(0);
    expect(html).not.toMatch(/<img|<code|<em>|<strong>|<del>|<blockquote|<h[1-24-6]|<ol|<table/);
    expect(html.match(/<h3>/g)).toHaveLength(1);
    // The only mention is the receiver's own.
    expect(text.match(/@[\p{L}\p{N}_]+/gu)).toEqual(['@13900000000']);
    expect(message.markdown.title).not.toMatch(/[\n@]/);
  });

  it('shows the value literally once rendered (the escapes are invisible)', () => {
    const value = '[x](http://evil) *b* <i> `c` #h @138 &amp;';
    const a = alert({ labels: { alertname: 'A', severity: 'critical', v: value }, annotations: {} });
    const html = new MarkdownIt().renderInline(textOf(parsed(notice({ alerts: [a] }))).split('\n').find((l) => l.startsWith('- Labels'))!);
    const shown = html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    expect(shown).toBe(`- Labels: v=${value.replace('@138', '\uff20138')}`);
  });

  it('an alert name cannot inject either', () => {
    const a = alert({ alertname: '[x](http://evil) @13800000000', labels: {} });
    const message = parsed(notice({ alerts: [a] }));
    expect(message.markdown.title).toBe('[FIRING] critical: [x](http://evil) \uff2013800000000');
    expect(new MarkdownIt().render(textOf(message))).not.toContain('<a ');
  });
});

function alertsOfBytes(totalBytes: number, each = 600): AlertRecord[] {
  return Array.from({ length: Math.ceil(totalBytes / each) }, (_, i) =>
    alert({ alertname: `Alert${i}`, annotations: { summary: `alert number ${i}`, description: 'd'.repeat(each - 100) } }),
  );
}

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('renderDingtalk: size', () => {
  it.each(['en', 'zh'] as const)('cuts 30,000 bytes of alerts to fit, naming how many are left out (%s)', (language) => {
    const alerts = alertsOfBytes(30_000);
    const rendered = renderDingtalk(notice({ alerts, language }), target({ atMobiles: ['13800000000'] }));
    expect(rendered.bytes).toBeLessThanOrEqual(LIMIT);
    expect(rendered.bytes).toBeGreaterThan(LIMIT - 1_000); // cut at the limit, not far below it
    expect(rendered.omitted).toBeGreaterThan(0);
    const text = textOf(JSON.parse(rendered.body));
    const shown = alerts.filter((a) => text.includes(`**${a.alertname}**`)).length;
    expect(shown + rendered.omitted).toBe(alerts.length);
    expect(text).toContain(`**Alert${shown - 1}**`); // dropped from the end
    const more = language === 'en' ? `… and ${rendered.omitted} more` : `…… 另有 ${rendered.omitted} 条`;
    expect(text).toContain(`${more} · [Alertmanager](http://alertmanager.example:9093/)`);
    expect(text).toContain('@13800000000');
  });

  it('names the left-out alerts without a link when Alertmanager has no external URL', () => {
    const rendered = renderDingtalk(notice({ alerts: alertsOfBytes(30_000), externalURL: '' }), target());
    expect(textOf(JSON.parse(rendered.body))).toMatch(new RegExp(`… and ${rendered.omitted} more$`));
  });

  it('cuts one alert with 50,000 bytes of Chinese description on a character boundary', () => {
    const description = '温度过高'.repeat(4_200) + '🔥'.repeat(10); // 50,400 + 40 bytes
    const a = alert({ annotations: { summary: '显卡过热', description } });
    const rendered = renderDingtalk(notice({ alerts: [a], language: 'zh' }), target());
    expect(rendered.bytes).toBeLessThanOrEqual(LIMIT);
    expect(rendered.omitted).toBe(0);
    const text: string = textOf(JSON.parse(rendered.body));
    const shownDescription = text.split('\n').find((l) => l.startsWith('- 描述：'))!.slice('- 描述：'.length);
    expect(shownDescription.endsWith('…')).toBe(true);
    expect(description.startsWith(shownDescription.slice(0, -1))).toBe(true);
    expect(shownDescription.length).toBeGreaterThan(4_000);
    expect(text).not.toMatch(loneSurrogate);
    expect(text).toContain('- 摘要：显卡过热');
    expect(text).toContain('- 开始时间：');
  });

  const cutDescription = (description: string): string => {
    const text: string = textOf(JSON.parse(renderDingtalk(notice({ alerts: [alert({ annotations: { description } })] }), target()).body));
    const shown = text.split('\n').find((l) => l.startsWith('- Description: '))!.slice('- Description: '.length);
    expect(shown.endsWith('…')).toBe(true);
    return shown.slice(0, -1);
  };

  it.each(['\\', '*', '[]', '<&'])('never cuts inside an escape sequence (%s)', (unit) => {
    const shown = cutDescription(unit.repeat(Math.ceil(40_000 / unit.length)));
    expect(shown.length).toBeGreaterThan(1_000);
    expect(unescapedPart(shown) === '').toBe(true);
  });

  it('never cuts inside a surrogate pair', () => {
    const shown = cutDescription('a' + '😀'.repeat(10_000));
    expect(shown.length).toBeGreaterThan(1_000);
    expect(loneSurrogate.test(shown)).toBe(false);
  });

  it('cuts label values too when one alert has a huge label', () => {
    const a = alert({ labels: { alertname: 'A', severity: 'critical', blob: 'x'.repeat(40_000) } });
    const rendered = renderDingtalk(notice({ alerts: [a] }), target());
    expect(rendered.bytes).toBeLessThanOrEqual(LIMIT);
    expect(textOf(JSON.parse(rendered.body))).toMatch(/blob=x+…/);
  });

  it('fits when the first alert is huge and others follow: the first cut, the rest named', () => {
    const big = alert({ annotations: { description: '长'.repeat(30_000) } });
    const rendered = renderDingtalk(notice({ alerts: [big, alert(), alert()] }), target());
    expect(rendered.bytes).toBeLessThanOrEqual(LIMIT);
    expect(rendered.omitted).toBe(2);
    expect(textOf(JSON.parse(rendered.body))).toContain('… and 2 more');
  });
});

describe('signedUrl', () => {
  it('matches a published known answer (timestamp 1700000000000, secret "secret")', () => {
    expect(signedUrl('https://oapi.dingtalk.com/robot/send?access_token=T', 'secret', 1_700_000_000_000)).toBe(
      'https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=1700000000000&sign=OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D',
    );
  });

  it('signs timestamp + "\\n" + secret with the secret, Base64 then URL-encoded', () => {
    const secret = 'SEC0123456789abcdef';
    const now = 1_712_345_678_901;
    const expected = encodeURIComponent(createHmac('sha256', secret).update(`${now}\n${secret}`).digest('base64'));
    const url = new URL(signedUrl('https://oapi.dingtalk.com/robot/send?access_token=T', secret, now));
    expect(url.searchParams.get('access_token')).toBe('T');
    expect(url.searchParams.get('timestamp')).toBe(String(now));
    expect(encodeURIComponent(url.searchParams.get('sign')!)).toBe(expected);
  });

  it('starts the query when the webhook has none, and leaves an unsigned robot’s webhook alone', () => {
    expect(signedUrl('http://sink/robot/send', 's', 5)).toMatch(/^http:\/\/sink\/robot\/send\?timestamp=5&sign=/);
    expect(signedUrl('http://sink/robot/send?', 's', 5)).toMatch(/^http:\/\/sink\/robot\/send\?timestamp=5&sign=/);
    expect(signedUrl('http://sink/robot/send?access_token=T', undefined, 5)).toBe('http://sink/robot/send?access_token=T');
    expect(signedUrl('http://sink/robot/send?access_token=T', '', 5)).toBe('http://sink/robot/send?access_token=T');
  });
});

describe('sendDingtalk: classifying the answer', () => {
  const send = (fetch: Fetch, t = target({ secret: 'S' })) => sendDingtalk('{"msgtype":"text","text":{"content":"x"}}', t, fetch, 1_700_000_000_000);

  it('posts JSON to the signed URL with a timeout signal', async () => {
    const { fetch, calls } = answering(200, '{"errcode":0,"errmsg":"ok"}');
    const result = await send(fetch);
    expect(result).toMatchObject({ ok: true, status: 200, answer: { errcode: 0, errmsg: 'ok' } });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    const [url, init] = calls[0];
    expect(url).toBe(signedUrl(target().webhook, 'S', 1_700_000_000_000));
    expect(init).toMatchObject({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"msgtype":"text","text":{"content":"x"}}' });
    expect(init.signal).toBeInstanceOf(AbortSignal);
  });

  it.each([
    ['throttled', 200, '{"errcode":130101,"errmsg":"send too fast"}', { ok: false, retryable: true, throttled: true, error: 'errcode 130101: send too fast' }],
    ['system busy', 200, '{"errcode":-1,"errmsg":"系统繁忙"}', { ok: false, retryable: true, error: 'errcode -1: 系统繁忙' }],
    ['too long', 200, '{"errcode":460101,"errmsg":"message too long"}', { ok: false, retryable: false }],
    ['bad signature', 200, '{"errcode":310000,"errmsg":"sign not match"}', { ok: false, retryable: false, error: 'errcode 310000: sign not match' }],
    ['unknown token', 200, '{"errcode":300001,"errmsg":"token is not exist"}', { ok: false, retryable: false }],
    ...ROBOT_HTTP_ANSWERS,
  ])('%s', async (_name, status, text, expected) => {
    const result = await send(answering(status, text).fetch);
    expect(result).toMatchObject(expected);
    if (!('throttled' in expected)) expect(result.throttled).toBeFalsy();
  });

  it('a network error is retryable and does not leak the webhook token', async () => {
    const failing: Fetch = async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
    };
    const result = await send(failing, target({ webhook: 'http://127.0.0.1:1/robot/send?access_token=SECRET_TOKEN' }));
    expect(result).toMatchObject({ ok: false, retryable: true, error: 'network error: fetch failed: connect ECONNREFUSED 127.0.0.1:1' });
    expect(result.error).not.toContain('SECRET_TOKEN');
  });

  it('gives up after the timeout, retryable', async () => {
    const never: Fetch = (_url, init) =>
      new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    const result = await sendDingtalk('{}', target(), never, Date.now(), 50);
    expect(result).toMatchObject({ ok: false, retryable: true, error: 'no answer within 50 ms' });
    expect(result.latencyMs).toBeGreaterThanOrEqual(45);
  });
});

describe('the built-in message shows value and threshold when the rule sets them', () => {
  it.each([
    ['en', '- Value: 91\n- Threshold: \\> 85'],
    ['zh', '- 当前值：91\n- 阈值：\\> 85'],
  ] as const)('%s', (language, lines) => {
    const n = notice({ language, alerts: [alert({ annotations: { summary: 's', value: '91', threshold: '> 85' } })] });
    expect(JSON.parse(renderDingtalk(n, target()).body).markdown?.text ?? JSON.parse(renderDingtalk(n, target()).body).actionCard.text).toContain(lines);
    const without = notice({ language, alerts: [alert({ annotations: { summary: 's' } })] });
    expect(renderDingtalk(without, target()).body).not.toMatch(/Value|Threshold|当前值|阈值/);
  });
});
