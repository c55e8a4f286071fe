import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { dingtalk } from '../../channels/dingtalk.ts';
import { wecomRobot } from '../../channels/wecom-robot.ts';
import { dingtalkBody, dingtalkRenderedBody, renderDingtalk } from './dingtalk.ts';
import { renderEmail } from './email.ts';
import { smsText } from './sms.ts';
import { chooseTemplate, compileTemplate, markupProblems, messageView, renderTemplate, TemplateError, type TemplateSource } from './template.ts';
import type { Notice } from './types.ts';
import { renderWecomRobot, wecomRobotContent, wecomRobotRenderedContent } from './wecom-robot.ts';
import { alertMaker, noticeMaker } from '../../../test/helpers/notices.ts';

const alert = alertMaker({
  labels: { alertname: 'GpuTemperatureHigh', severity: 'critical', instance: 'gpu-01:9400', gpu: '3' },
  annotations: { summary: 'GPU 3 is at 91°C', runbook_url: 'https://runbooks.example.com/gpu', value: '91' },
});
const notice = noticeMaker(alert);

const template = (overrides: Partial<TemplateSource> = {}) => compileTemplate({ name: 't', channel: 'dingtalk', body: '{{title}}', ...overrides });
const whole = (n: Notice) => ({ shown: n.alerts.length, withMentions: true });

describe('compiling', () => {
  it.each([
    ['an unknown helper', '{{upper alertname}}', /unknown helper upper/],
    ['the log helper', '{{log title}}', /unknown helper log/],
    ['a partial', '{{> header}}', /partials/],
    ['a partial block', '{{#> layout}}x{{/layout}}', /partials/],
    ['a decorator', '{{* inline}}', /decorators/],
    ['unbalanced blocks', '{{#each alerts}}\n{{/if}}', /each doesn't match if/],
    ['an unclosed mustache', 'a {{title', /Parse error|Expecting/],
  ])('refuses %s', (_what, body, message) => {
    let error: unknown;
    try {
      template({ body });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as TemplateError).message).toMatch(message);
    expect((error as TemplateError).field).toBe('body');
  });

  it('says where a syntax error is, in the field', () => {
    try {
      template({ title: 'ok', body: 'line one\n{{#if firing}}\n{{/each}}' });
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ field: 'body', line: 2 });
    }
  });

  it('renders strictly: a name the view lacks is an error, not an empty string', () => {
    const t = template({ body: '{{#each alerts}}{{labels.pod}}{{/each}}' });
    expect(() => renderTemplate(t, notice(), whole(notice()))).toThrow(/"pod" not defined/);
    // …unless the template guards it.
    const guarded = template({ body: '{{#each alerts}}{{#if labels.pod}}{{labels.pod}}{{else}}no pod{{/if}}{{/each}}' });
    expect(renderTemplate(guarded, notice(), whole(notice())).body).toBe('no pod');
  });

  // The view's objects inherit none of Object.prototype's names: a strict lookup of one fails like that of any name
  // the view lacks (it once found the prototype's and printed an empty string, so the build's template check passed
  // `{{labels.constructor}}` for alerts without that label), a guard reads it as absent, and nothing reaches a
  // prototype.
  const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'];
  const PLACES: [string, (name: string) => string][] = [
    ['a label', (name) => `{{#each alerts}}{{labels.${name}}}{{/each}}`],
    ['an annotation', (name) => `{{#each alerts}}{{annotations.${name}}}{{/each}}`],
    ["an alert's field", (name) => `{{#each alerts}}{{${name}}}{{/each}}`],
    ["the message's field", (name) => `{{${name}}}`],
  ];
  it.each(PLACES.flatMap(([place, body]) => PROTOTYPE_NAMES.map((name) => [place, name, body(name)] as const)))('%s named %s is not defined when the notice lacks it', (_place, name, body) => {
    const t = template({ body });
    expect(() => renderTemplate(t, notice(), whole(notice()))).toThrow(new RegExp(`"${name}" not defined`));
  });

  it.each(PROTOTYPE_NAMES)('a guard reads a label %s the alert lacks as absent, and lookup finds nothing', (name) => {
    const t = template({ body: `{{#each alerts}}{{#if labels.${name}}}yes{{else}}no{{/if}}[{{lookup labels "${name}"}}][{{lookup this "${name}"}}]{{/each}}` });
    expect(renderTemplate(t, notice(), whole(notice())).body).toBe('no[][]');
  });

  it.each(PROTOTYPE_NAMES)('a label %s the alert carries is printed like any other', (name) => {
    const labelled = noticeMaker(alertMaker({ labels: { alertname: 'A', severity: 'critical', [name]: `value of ${name}` } }));
    // An SMS template: plain text, no markup escaped.
    const t = template({ channel: 'sms', body: `{{#each alerts}}{{labels.${name}}}|{{#each labels}}{{@key}}={{this}};{{/each}}{{/each}}` });
    expect(renderTemplate(t, labelled(), whole(labelled())).body).toBe(`value of ${name}|alertname=A;severity=critical;${name}=value of ${name};`);
  });

  it('prints a whole view as a plain object prints', () => {
    const t = template({ body: '{{#each alerts}}{{labels}} {{annotations}}{{/each}}' });
    expect(renderTemplate(t, notice(), whole(notice())).body).toBe('[object Object] [object Object]');
  });
});

describe('the view', () => {
  it('shows what the built-in message shows, in the receiver time zone', () => {
    const view = messageView(notice({ links: (a) => ({ confirm: `https://relay.example/a/c-${a.id}`, close: `https://relay.example/a/x-${a.id}` }) }), whole(notice()), 'plain');
    expect(view).toMatchObject({ kind: 'firing', firing: true, resolved: false, count: 1, more: 0, moreText: '', title: '[FIRING] critical: GpuTemperatureHigh' });
    expect(view.alerts[0]).toMatchObject({
      alertname: 'GpuTemperatureHigh',
      severity: 'critical',
      summary: 'GPU 3 is at 91°C',
      value: '91',
      startsAt: '2024-01-01 08:00:05 Asia/Shanghai',
      endsAt: '',
      runbookUrl: 'https://runbooks.example.com/gpu',
      dashboardUrl: '',
      labelList: [{ name: 'gpu', value: '3' }, { name: 'instance', value: 'gpu-01:9400' }],
    });
    expect(view.alerts[0]!.confirmUrl).toMatch(/^https:\/\/relay\.example\/a\/c-/);
  });

  it('has no confirm or close links on a resolved notice', () => {
    const view = messageView(notice({ kind: 'resolved', links: () => ({ confirm: 'https://r/a/c', close: 'https://r/a/x' }) }), whole(notice()), 'markdown');
    expect(view.alerts[0]).toMatchObject({ confirmUrl: '', closeUrl: '' });
  });

  it('views made in turn keep their own fields, each made once when first read', () => {
    const asked: string[] = [];
    const links = (a: { id: string }) => (asked.push(a.id), { confirm: `https://r/c/${a.id}`, close: `https://r/x/${a.id}` });
    const [one, two] = ['one', 'two'].map((service) => messageView(notice({ alerts: [alert({ labels: { alertname: 'A', severity: 'critical', service } })], links }), whole(notice()), 'plain'));
    const [a1, a2] = [one!.alerts[0]!, two!.alerts[0]!];
    expect([a2.labels.service, a1.labels.service, a2.labels.service]).toEqual(['two', 'one', 'two']);
    expect(asked).toEqual([]);
    expect([a1.closeUrl, a2.confirmUrl, a1.confirmUrl, a2.closeUrl]).toEqual([`https://r/x/${a1.id}`, `https://r/c/${a2.id}`, `https://r/c/${a1.id}`, `https://r/x/${a2.id}`]);
    expect(asked).toEqual([a1.id, a2.id]);
    // What Handlebars and #each see: enumerable own fields, in their order.
    expect(Object.keys(a1.labels)).toEqual(['alertname', 'severity', 'service']);
    expect(Object.keys(one!).slice(0, 5)).toEqual(['kind', 'firing', 'resolved', 'escalation', 'title']);
    expect(JSON.parse(JSON.stringify(a1.labels))).toEqual({ alertname: 'A', severity: 'critical', service: 'one' });
  });

  it('a label named __proto__ is a field like any other', () => {
    const labels = JSON.parse('{"alertname": "A", "__proto__": "x*y"}') as Record<string, string>;
    const view = messageView(notice({ alerts: [alert({ labels })] }), whole(notice()), 'markdown');
    expect(Object.keys(view.alerts[0]!.labels)).toEqual(['alertname', '__proto__']);
    expect(Object.getOwnPropertyDescriptor(view.alerts[0]!.labels, '__proto__')?.get?.call(view.alerts[0]!.labels)).toBe('x\\*y');
  });

  it('speaks the notice language', () => {
    const n = notice({ language: 'zh', alerts: [alert(), alert(), alert()] });
    const view = messageView(n, { shown: 1, withMentions: true }, 'plain');
    expect(view.title).toBe('【告警】critical：GpuTemperatureHigh (3)');
    expect(view).toMatchObject({ more: 2, moreText: '…… 另有 2 条' });
  });
});

// What a label value (set by whoever controls the metrics) must not do in any template, however the template prints it.
const HOSTILE = [
  ['a link', '[click](https://evil.example)'],
  ['an image', '![x](https://evil.example/x.png)'],
  ['bold', '**LOUD**'],
  ['a heading', '\n# Heading'],
  ['a mention', '@13800000000'],
  ['a WeCom mention', '<@zhang.san>'],
  ['html', '<b>x</b><script>alert(1)</script>'],
  ['a bare URL', 'https://evil.example/path'],
  ['a new line and a list', 'x\n- item'],
  ['a code fence', '```\ncode\n```'],
] as const;

describe('a label value cannot inject markup, links or mentions', () => {
  const markdown = new MarkdownIt({ linkify: true });
  const bodies = ['{{#each alerts}}{{labels.instance}}{{/each}}', '{{#each alerts}}{{{labels.instance}}}{{/each}}', '{{#each alerts}}{{#each labelList}}{{name}}={{value}} {{/each}}{{/each}}'];

  it.each(HOSTILE.flatMap(([what, value]) => bodies.map((body) => [what, value, body] as const)))('%s in markdown: %s via %s', (_what, value, body) => {
    const n = notice({ alerts: [alert({ labels: { instance: value, alertname: 'A', severity: 'critical' } })] });
    const rendered = renderTemplate(template({ body }), n, whole(n)).body;
    const tokens = markdown.parseInline(rendered, {})[0]!.children!;
    expect(tokens.map((t) => t.type).filter((t) => t !== 'text' && t !== 'softbreak' && t !== 'text_special'), rendered).toEqual([]);
    expect(rendered).not.toMatch(/(^|[^\uff20])@\d/);
    expect(rendered).not.toContain('\n');
  });

  it.each(HOSTILE)('%s in email html: %s', (_what, value) => {
    const n = notice({ alerts: [alert({ labels: { instance: value, alertname: 'A', severity: 'critical' } })] });
    const html = renderTemplate(template({ channel: 'email', body: '<p>{{#each alerts}}{{{labels.instance}}}{{/each}}</p>' }), n, whole(n)).body;
    expect(html.match(/<[a-z/]/gi)).toEqual(['<p', '</']);
  });

  it.each(HOSTILE)('%s in a title: one plain line', (_what, value) => {
    const n = notice({ alerts: [alert({ labels: { instance: value, alertname: 'A', severity: 'critical' } })] });
    const title = renderTemplate(template({ title: '{{#each alerts}}{{labels.instance}}{{/each}}' }), n, whole(n)).title!;
    expect(title).not.toContain('\n');
    expect(title).not.toMatch(/(^|[^\uff20])@\d/);
  });
});

describe('choosing', () => {
  const sources: TemplateSource[] = [
    { name: 'any', channel: 'dingtalk', body: 'a' },
    { name: 'critical', channel: 'dingtalk', severities: ['critical'], body: 'b' },
    { name: 'critical-zh', channel: 'dingtalk', severities: ['critical'], language: 'zh', body: 'c' },
    { name: 'oncall', channel: 'dingtalk', receivers: ['oncall'], body: 'd' },
    { name: 'sms', channel: 'sms', body: 'e' },
  ];
  it.each([
    [{ channel: 'dingtalk', receiver: 'team', severity: 'warning', language: 'en' }, 'any'],
    [{ channel: 'dingtalk', receiver: 'team', severity: 'critical', language: 'en' }, 'critical'],
    [{ channel: 'dingtalk', receiver: 'team', severity: 'critical', language: 'zh' }, 'critical-zh'],
    [{ channel: 'dingtalk', receiver: 'oncall', severity: 'critical', language: 'zh' }, 'oncall'],
    [{ channel: 'sms', receiver: 'oncall', severity: 'critical', language: 'zh' }, 'sms'],
    [{ channel: 'wecomRobot', receiver: 'oncall', severity: 'critical', language: 'zh' }, undefined],
  ] as const)('%o → %s', (target, name) => {
    expect(chooseTemplate(sources, target)?.name).toBe(name);
  });
});

describe('markup the channel would break on', () => {
  it.each([
    ['dingtalk', '**bold** and [link](https://x.example)', []],
    ['dingtalk', '**bold', ['bold (**) is opened and not closed']],
    ['dingtalk', 'escaped \\*\\* stars', []],
    ['dingtalk', '```\ncode', ['a code fence (```) is opened and not closed']],
    ['dingtalk', '```\n**\n```', []],
    ['dingtalk', '[Confirm]()', ['the link [Confirm]() has no URL (guard it: {{#if confirmUrl}}…{{/if}})']],
    ['dingtalk', '[x](javascript:alert(1))', ['the link [x](javascript:alert(1) is not to an http(s) URL']],
    ['dingtalk', '[x] is text', []],
    ['dingtalk', '[Runbook](https://x.example', ['a link [text](… is not closed with ) on its line']],
    ['wecomRobot', '<font color="warning">x</font>', []],
    ['wecomRobot', '<font color="red">x</font>', ['<font color="red">: WeCom knows only info, comment and warning']],
    ['wecomRobot', '<font color="info">x', ['1 <font> tags but 0 </font>']],
    ['email', '<table><tr><td>x</td></tr></table><br>', []],
    ['email', '<p><b>x</p>', ['<b> is not closed before </p>']],
    ['email', '</div>', ['</div> closes nothing']],
    ['email', '<p>x', ['<p> is not closed']],
    ['email', '<p>x</p><a href="', ['a tag is opened and not ended with >']],
    ['sms', '**anything [goes', []],
  ] as const)('%s: %j', (channel, text, problems) => {
    expect(markupProblems(channel, text)).toEqual(problems);
  });
});

describe('channels render a template', () => {
  it('DingTalk: the template as markdown, mentions added by the relay, title from the template', () => {
    const t = template({ title: '{{#each alerts}}{{alertname}}{{/each}} on fire', body: '## {{title}}\n{{#each alerts}}- {{summary}} ({{value}}°C){{/each}}' });
    const body = JSON.parse(renderDingtalk(notice(), { webhook: 'w', atMobiles: ['13800000000'] }, t).body);
    expect(body).toEqual({
      msgtype: 'markdown',
      markdown: { title: 'GpuTemperatureHigh on fire', text: '## \\[FIRING\\] critical: GpuTemperatureHigh\n- GPU 3 is at 91°C (91°C)\n\n@13800000000' },
      at: { atMobiles: ['13800000000'], atUserIds: [], isAtAll: false },
    });
  });

  it('DingTalk: a 30,000-byte group is cut to the limit with "… and N more", never refused', () => {
    const t = template({ body: '{{#each alerts}}- {{alertname}} {{summary}}\n{{/each}}{{moreText}}' });
    const alerts = Array.from({ length: 300 }, () => alert({ annotations: { summary: 'x'.repeat(100) } }));
    const rendered = renderDingtalk(notice({ alerts }), { webhook: 'w', atMobiles: [] }, t);
    expect(rendered.bytes).toBeLessThanOrEqual(dingtalk.limits.messageBytes!);
    expect(rendered.omitted).toBeGreaterThan(0);
    expect(JSON.parse(rendered.body).markdown.text).toContain(`… and ${rendered.omitted} more`);
  });

  it('WeCom: the content fits 4,096 bytes and carries the mentions', () => {
    const t = template({ channel: 'wecomRobot', body: '{{#each alerts}}> {{summary}}\n{{/each}}{{moreText}}' });
    const alerts = Array.from({ length: 100 }, () => alert({ annotations: { summary: '温度过高'.repeat(20) } }));
    const rendered = renderWecomRobot(notice({ alerts, language: 'zh' }), { webhook: 'w', mentions: ['zhang.san'] }, t);
    expect(rendered.contentBytes).toBeLessThanOrEqual(wecomRobot.limits.messageBytes!);
    const content = JSON.parse(rendered.body).markdown.content as string;
    expect(content).toContain('<@zhang.san>');
    expect(content).toContain(`…… 另有 ${rendered.omitted} 条`);
  });

  it('SMS: the template text, its line breaks kept, cut to the length', () => {
    const t = template({ channel: 'sms', body: '{{#each alerts}}{{severity}} {{alertname}}\n\n\n{{summary}}{{/each}}' });
    expect(smsText(notice(), 70, 35, t).text).toBe('critical GpuTemperatureHigh\n\nGPU 3 is at 91°C');
    expect(smsText(notice(), 20, 35, t).text).toHaveLength(20);
  });

  it('email: the subject and HTML from the template, the text part built in', () => {
    const t = template({ channel: 'email', title: 'Alert: {{#each alerts}}{{alertname}}{{/each}}', body: '<h1>{{title}}</h1>' });
    const mail = renderEmail(notice(), t);
    expect(mail.subject).toBe('Alert: GpuTemperatureHigh');
    expect(mail.html).toBe('<h1>[FIRING] critical: GpuTemperatureHigh</h1>');
    expect(mail.text).toContain('GPU 3 is at 91°C');
  });
});

describe('a message from fields rendered already (what template/message measures) is the message renderTemplate makes', () => {
  /** A seeded generator, so a failing case can be run again. */
  const random = (seed: number) => () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
  const next = random(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const TEXTS = ['', 'plain', '**bold** [x](y) `c`', '<b>&amp;</b>', '显卡 3 号 91°C', '  padded\n second line  ', 'x'.repeat(300), '${VAR} {{title}}'];
  const TITLES = [undefined, '{{title}}', '  {{#each alerts}}{{alertname}} {{/each}}  ', '{{#if confirmUrl}}act{{/if}}\n{{receiver}}', ''];
  const BODIES = ['{{title}}', '{{#each alerts}}- {{summary}} {{labels.gpu}}\n{{#if confirmUrl}}[ok]({{confirmUrl}}){{/if}}{{/each}}{{moreText}}', '### {{title}}\n{{#each alerts}}{{description}} {{value}}{{/each}}'];

  it('DingTalk and WeCom, 300 random notices and templates: the same text, byte for byte', () => {
    for (let n = 0; n < 300; n++) {
      const channel = pick(['dingtalk', 'wecomRobot'] as const);
      const source: TemplateSource = { name: 't', channel, body: pick(BODIES), ...(channel === 'dingtalk' ? { title: pick(TITLES) } : {}) };
      if (source.title === undefined) delete source.title;
      const compiled = compileTemplate(source);
      const make = alertMaker({ labels: { alertname: 'A', severity: 'critical', gpu: pick(TEXTS) }, annotations: { summary: pick(TEXTS), description: pick(TEXTS), value: pick(TEXTS) } });
      const alerts = Array.from({ length: 1 + Math.floor(next() * 3) }, () => make());
      const confirm = `https://relay.example.com/${pick(TEXTS).length}/c`;
      const links = next() < 0.5 ? { links: () => ({ confirm, close: 'https://relay.example.com/x' }) } : {};
      const notice = noticeMaker(make)({ alerts, kind: pick(['firing', 'resolved', 'escalation'] as const), language: pick(['zh', 'en'] as const), ...links });
      const shape = { shown: Math.max(1, alerts.length - Math.floor(next() * 2)), withMentions: next() < 0.5 };
      // What template/message measures: the fields rendered once, then the channel's message made from them.
      const rendered = renderTemplate(compiled, notice, shape);
      if (channel === 'dingtalk') {
        const target = { webhook: '', atMobiles: next() < 0.5 ? ['13800000000'] : [] };
        expect(dingtalkRenderedBody(notice, target, shape, rendered), JSON.stringify(source)).toBe(dingtalkBody(notice, target, shape, compiled));
      } else {
        const target = { webhook: '', mentions: next() < 0.5 ? ['zhangsan'] : [] };
        expect(wecomRobotRenderedContent(target, shape, rendered.body), JSON.stringify(source)).toBe(wecomRobotContent(notice, target, shape, compiled));
      }
    }
  });
});
