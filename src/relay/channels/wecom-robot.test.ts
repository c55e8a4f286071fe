import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { wecomRobot } from '../../channels/wecom-robot.ts';
import type { AlertRecord } from '../types.ts';
import type { Fetch, Notice } from './types.ts';
import { renderWecomRobot, sendWecomRobot, type WecomRobotTarget } from './wecom-robot.ts';
import { alertMaker, answering, noticeMaker, ROBOT_HTTP_ANSWERS, STARTED } from '../../../test/helpers/notices.ts';

const LIMIT = wecomRobot.limits.messageBytes!;

const alert = alertMaker({
  alertname: 'DiskFull',
  severity: 'warning',
  labels: { alertname: 'DiskFull', severity: 'warning', instance: 'db-01:9100', mountpoint: '/var', __name__: 'x' },
  annotations: { summary: 'Disk /var is 97% full', description: 'Less than 3% left for 10 minutes.' },
  generatorURL: 'http://prometheus/graph',
  receiver: 'infra-chat',
});
const notice = noticeMaker(alert, { receiver: 'infra-chat', externalURL: 'http://alertmanager.example:9093' });

const target = (overrides: Partial<WecomRobotTarget> = {}): WecomRobotTarget => ({
  webhook: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K',
  mentions: [],
  ...overrides,
});

const links = (a: AlertRecord) => ({ confirm: `https://relay.example/a/confirm-${a.id}`, close: `https://relay.example/a/close-${a.id}` });

/** The markdown content, checked to be a WeCom markdown message within the limit. */
function content(n: Notice, t: WecomRobotTarget = target()): string {
  const rendered = renderWecomRobot(n, t);
  const body = JSON.parse(rendered.body);
  expect(Object.keys(body).sort()).toEqual(['markdown', 'msgtype']);
  expect(body.msgtype).toBe('markdown');
  expect(rendered.contentBytes).toBe(Buffer.byteLength(body.markdown.content, 'utf8'));
  expect(rendered.contentBytes).toBeLessThanOrEqual(LIMIT);
  return body.markdown.content;
}

const lineStarting = (text: string, prefix: string) => text.split('\n').find((l) => l.startsWith(prefix));

describe('renderWecomRobot: content', () => {
  it('writes an English firing notice: coloured title, quoted fields, labels that matter (sorted), local time', () => {
    const text = content(notice());
    expect(text.split('\n')[0]).toBe('### <font color="warning">\\[FIRING\\] warning: DiskFull</font>');
    expect(text).toContain('> Summary: Disk /var is 97% full');
    expect(text).toContain('> Description: Less than 3% left for 10 minutes.');
    expect(text).toContain('> Labels: instance=db-01:9100, mountpoint=/var');
    expect(text).not.toMatch(/__name__|alertname=|severity=/);
    expect(text).toContain('> Started: <font color="comment">2024-01-01 08:00:05 Asia/Shanghai</font>');
    expect(text).not.toContain('<@');
  });

  it('writes a Chinese notice with Chinese words, and shows times in the notice time zone', () => {
    const text = content(notice({ language: 'zh', timeZone: 'America/New_York' }));
    expect(text.split('\n')[0]).toBe('### <font color="warning">【告警】warning：DiskFull</font>');
    expect(text).toContain('> 摘要：Disk /var is 97% full');
    expect(text).toContain('> 标签：instance=db-01:9100, mountpoint=/var');
    expect(text).toContain('> 开始时间：<font color="comment">2023-12-31 19:00:05 America/New_York</font>');
  });

  it.each([
    ['en', 'resolved', '### <font color="info">\\[RESOLVED\\] warning: DiskFull</font>'],
    ['en', 'escalation', '### <font color="warning">\\[ESCALATED\\] warning: DiskFull</font>'],
    ['zh', 'resolved', '### <font color="info">【恢复】warning：DiskFull</font>'],
    ['zh', 'escalation', '### <font color="warning">【升级】warning：DiskFull</font>'],
  ] as const)('titles a %s %s notice, green when resolved', (language, kind, title) => {
    expect(content(notice({ language, kind })).split('\n')[0]).toBe(title);
  });

  it('shows when a resolved alert ended', () => {
    const ended = alert({ endsAt: STARTED + 3_600_000, status: 'resolved' });
    expect(content(notice({ kind: 'resolved', alerts: [ended], language: 'zh' }))).toContain('> 结束时间：<font color="comment">2024-01-01 09:00:05 Asia/Shanghai</font>');
  });

  it('links the runbook and dashboard; a runbook that is no URL stays text, a javascript: URL no link', () => {
    const linked = alert({ annotations: { runbook_url: 'https://wiki/runbooks/disk (full)', dashboard: 'https://grafana/d/disk' } });
    expect(content(notice({ alerts: [linked] }))).toContain('[Runbook](https://wiki/runbooks/disk%20%28full%29) · [Dashboard](https://grafana/d/disk)');
    const named = alert({ annotations: { runbook: 'wiki page Disk-full', dashboard_url: 'javascript:alert(1)' } });
    const text = content(notice({ alerts: [named] }));
    expect(text).toContain('Runbook: wiki page Disk-full · Dashboard: javascript:alert\\(1\\)');
    expect(text).not.toContain('](javascript');
  });

  it('gives each alert its confirm and close links (确认/关闭 in Chinese), and none when the relay has no public URL', () => {
    const [a, b] = [alert(), alert({ alertname: 'DiskSlow', severity: 'info' })];
    const text = content(notice({ alerts: [a, b], links }));
    for (const x of [a, b]) expect(text).toContain(`[Confirm](${links(x).confirm}) · [Close](${links(x).close})`);
    expect(content(notice({ alerts: [a], links, language: 'zh' }))).toContain(`[确认](${links(a).confirm}) · [关闭](${links(a).close})`);
    expect(content(notice({ alerts: [a] }))).not.toContain('relay.example');
  });

  it('heads each alert of a group with its name, and titles the group by count', () => {
    const text = content(notice({ alerts: [alert(), alert({ alertname: 'DiskSlow', severity: 'info' })] }));
    expect(text.split('\n')[0]).toBe('### <font color="warning">\\[FIRING\\] warning/info: 2 alerts</font>');
    expect(text).toContain('**DiskFull** (warning)');
    expect(text).toContain('**DiskSlow** (info)');
    expect(content(notice({ alerts: [alert(), alert(), alert()], language: 'zh' })).split('\n')[0]).toBe('### <font color="warning">【告警】warning：DiskFull \\(3\\)</font>');
  });
});

describe('renderWecomRobot: mentions', () => {
  it('appends <@userid> for each user id of the receiver, on the last line', () => {
    const text = content(notice(), target({ mentions: ['zhang.san', 'li-si', 'wang_wu@corp'] }));
    expect(text.split('\n').at(-1)).toBe('<@zhang.san> <@li-si> <@wang_wu@corp>');
  });

  it('leaves out an id that could end the tag or inject markup, keeping the others', () => {
    const text = content(notice(), target({ mentions: ['ok', 'a> <@all', 'b c', '', '<@x>', '[x](http://evil)'] }));
    expect(text.split('\n').at(-1)).toBe('<@ok>');
    expect(text.match(/<@[^>]*>/g)).toEqual(['<@ok>']);
  });

  it('keeps the mentions when the message is cut', () => {
    const rendered = renderWecomRobot(notice({ alerts: alertsOfBytes(30_000) }), target({ mentions: ['zhang.san'] }));
    expect(rendered.omitted).toBeGreaterThan(0);
    expect(JSON.parse(rendered.body).markdown.content.split('\n').at(-1)).toBe('<@zhang.san>');
  });
});

/** The text outside every backslash escape: what a renderer could read as syntax. */
function unescapedPart(s: string): string {
  return s.replace(/\\./gs, '');
}

describe('renderWecomRobot: hostile label and annotation values are inert', () => {
  const hostile: [string, string][] = [
    ['mention all', '<@all>'],
    ['mention a user', '<@zhang.san> and @all'],
    ['font colour', '<font color="info">resolved</font>'],
    ['markdown link', '[x](http://evil)'],
    ['image', '![pic](http://evil/p.png)'],
    ['heading', '# heading'],
    ['newlines', 'a\nb\r\n### injected\n> quote'],
    ['control characters', 'a\u0000b\u001bc\u202ed'],
    ['html link', '<a href="http://evil">click</a>'],
    ['backticks', '`code` ```block```'],
    ['emphasis', '**bold** _it_ ~~gone~~'],
    ['bare url', 'http://evil.example/path www.evil.example'],
    ['entity', '&lt;@all&gt; &#64;all'],
    ['escape attempt', '\\<@all\\>'],
  ];
  const md = new MarkdownIt({ html: true });

  it.each(hostile)('%s', (_name, value) => {
    const a = alert({ labels: { alertname: 'A', severity: 'critical', hostile: value }, annotations: { summary: value, description: value } });
    const text = content(notice({ alerts: [a] }), target({ mentions: ['oncall.lead'] }));
    const summary = lineStarting(text, '> Summary: ')!.slice('> Summary: '.length);
    const label = lineStarting(text, '> Labels: hostile=')!.slice('> Labels: hostile='.length);
    for (const field of [summary, label]) {
      expect(field).not.toMatch(/[\n\r\u0000-\u001f\u202e]/);
      expect(unescapedPart(field)).not.toMatch(/[[\]()<>`*_#!~|&\\]|:\/\/|www\./);
      expect(field).not.toMatch(/@[\p{L}\p{N}_]/u);
    }
    // The only mention and the only font tags are the relay's own.
    expect(text.match(/<@[^>]*>/g)).toEqual(['<@oncall.lead>']);
    expect(unescapedPart(text).match(/<font color="(\w+)">/g)).toEqual(['<font color="warning">', '<font color="comment">']);
    // Rendered as CommonMark with HTML allowed: no link, image, heading, tag or code comes from the value.
    const html = md.render(text);
    expect(html).not.toMatch(/<a |<img|<code|<em>|<strong>|<del>|<h[1-24-6]/);
    expect(html.match(/<h3>/g)).toHaveLength(1);
    expect(html.match(/<font /g)).toHaveLength(2);
  });

  it('an alert name cannot inject either', () => {
    const a = alert({ alertname: '[x](http://evil) <@all> <font color="info">', labels: {} });
    const text = content(notice({ alerts: [a] }));
    expect(text.match(/<@[^>]*>/g)).toBeNull();
    expect(new MarkdownIt({ html: true }).render(text)).not.toMatch(/<a |<font color="info"/);
  });
});

function alertsOfBytes(totalBytes: number, each = 600): AlertRecord[] {
  return Array.from({ length: Math.ceil(totalBytes / each) }, (_, i) =>
    alert({ alertname: `Alert${i}`, annotations: { summary: `alert number ${i}`, description: 'd'.repeat(each - 100) } }),
  );
}

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('renderWecomRobot: size (markdown.content ≤ 4,096 bytes)', () => {
  it.each(['en', 'zh'] as const)('cuts a 30,000-byte group to fit, naming how many are left out (%s)', (language) => {
    const alerts = alertsOfBytes(30_000);
    const rendered = renderWecomRobot(notice({ alerts, language }), target());
    expect(rendered.contentBytes).toBeLessThanOrEqual(LIMIT);
    expect(rendered.contentBytes).toBeGreaterThan(LIMIT - 700); // cut at the limit, not far below it
    expect(rendered.omitted).toBeGreaterThan(0);
    const text = content(notice({ alerts, language }));
    const shown = alerts.filter((a) => text.includes(`**${a.alertname}**`)).length;
    expect(shown).toBeGreaterThan(0);
    expect(shown + rendered.omitted).toBe(alerts.length);
    expect(text).toContain(`**Alert${shown - 1}**`); // dropped from the end
    const more = language === 'en' ? `… and ${rendered.omitted} more` : `…… 另有 ${rendered.omitted} 条`;
    expect(text).toContain(`${more} · [Alertmanager](http://alertmanager.example:9093/)`);
  });

  it('names the left-out alerts without a link when Alertmanager has no external URL', () => {
    const rendered = renderWecomRobot(notice({ alerts: alertsOfBytes(30_000), externalURL: '' }), target());
    expect(JSON.parse(rendered.body).markdown.content).toMatch(new RegExp(`… and ${rendered.omitted} more$`));
  });

  it('cuts one alert with a 20,000-byte Chinese description on a character boundary', () => {
    const description = '磁盘已满'.repeat(1_660) + '🔥'.repeat(10); // 19,920 + 40 bytes
    const a = alert({ annotations: { summary: '磁盘将满', description } });
    const rendered = renderWecomRobot(notice({ alerts: [a], language: 'zh' }), target());
    expect(rendered.contentBytes).toBeLessThanOrEqual(LIMIT);
    expect(rendered.contentBytes).toBeGreaterThan(LIMIT - 10);
    expect(rendered.omitted).toBe(0);
    const text = content(notice({ alerts: [a], language: 'zh' }));
    const shownDescription = lineStarting(text, '> 描述：')!.slice('> 描述：'.length);
    expect(shownDescription.endsWith('…')).toBe(true);
    expect(description.startsWith(shownDescription.slice(0, -1))).toBe(true);
    expect(shownDescription.length).toBeGreaterThan(1_000);
    expect(text).not.toMatch(loneSurrogate);
    expect(text).toContain('> 摘要：磁盘将满');
    expect(text).toContain('> 开始时间：');
  });

  it('never cuts inside an escape sequence', () => {
    const text = content(notice({ alerts: [alert({ annotations: { description: '<'.repeat(10_000) } })] }));
    const shown = lineStarting(text, '> Description: ')!.slice('> Description: '.length, -1);
    expect(shown.length).toBeGreaterThan(1_000);
    expect(unescapedPart(shown)).toBe('');
  });

  it('cuts label values too when one alert has a huge label', () => {
    const a = alert({ labels: { alertname: 'A', severity: 'critical', blob: 'x'.repeat(10_000) } });
    expect(content(notice({ alerts: [a] }))).toMatch(/blob=x+…/);
  });

  it('fits when the first alert is huge and others follow: the first cut, the rest named', () => {
    const big = alert({ annotations: { description: '长'.repeat(10_000) } });
    const rendered = renderWecomRobot(notice({ alerts: [big, alert(), alert()] }), target());
    expect(rendered.contentBytes).toBeLessThanOrEqual(LIMIT);
    expect(rendered.omitted).toBe(2);
    expect(JSON.parse(rendered.body).markdown.content).toContain('… and 2 more');
  });
});

describe('sendWecomRobot: classifying the answer', () => {
  const body = '{"msgtype":"markdown","markdown":{"content":"x"}}';
  const send = (fetch: Fetch, t = target()) => sendWecomRobot(body, t, fetch);

  it('posts JSON to the webhook as given, with a timeout signal', async () => {
    const { fetch, calls } = answering(200, '{"errcode":0,"errmsg":"ok"}');
    const result = await send(fetch);
    expect(result).toMatchObject({ ok: true, status: 200, answer: { errcode: 0, errmsg: 'ok' } });
    const [url, init] = calls[0]!;
    expect(url).toBe(target().webhook);
    expect(init).toMatchObject({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    expect(init.signal).toBeInstanceOf(AbortSignal);
  });

  it.each([
    ['throttled', 200, '{"errcode":45009,"errmsg":"api freq out of limit"}', { ok: false, retryable: true, throttled: true, error: 'errcode 45009: api freq out of limit' }],
    ['system busy', 200, '{"errcode":-1,"errmsg":"system busy"}', { ok: false, retryable: true, error: 'errcode -1: system busy' }],
    ['too long', 200, '{"errcode":40058,"errmsg":"markdown.content exceed max length 4096"}', { ok: false, retryable: false }],
    ['invalid key', 200, '{"errcode":93000,"errmsg":"invalid webhook url"}', { ok: false, retryable: false, error: 'errcode 93000: invalid webhook url' }],
    ['untrusted IP', 200, '{"errcode":60020,"errmsg":"not allow to access from your ip"}', { ok: false, retryable: false }],
    ...ROBOT_HTTP_ANSWERS,
  ])('%s', async (_name, status, text, expected) => {
    const result = await send(answering(status, text).fetch);
    expect(result).toMatchObject(expected);
    if (!('throttled' in expected)) expect(result.throttled).toBeFalsy();
  });

  it('a network error is retryable and does not leak the webhook key', async () => {
    const failing: Fetch = async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
    };
    const result = await send(failing, target({ webhook: 'http://127.0.0.1:1/cgi-bin/webhook/send?key=SECRET_KEY' }));
    expect(result).toMatchObject({ ok: false, retryable: true, error: 'network error: fetch failed: connect ECONNREFUSED 127.0.0.1:1' });
    expect(result.error).not.toContain('SECRET_KEY');
  });

  it('gives up after the timeout, retryable', async () => {
    const never: Fetch = (_url, init) => new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    const result = await sendWecomRobot(body, target(), never, 50);
    expect(result).toMatchObject({ ok: false, retryable: true, error: 'no answer within 50 ms' });
  });
});
