import { describe, expect, it } from 'vitest';
import { escapeHtml } from './escape.ts';
import { renderEmail, sendEmail } from './email.ts';
import { smsText } from './sms.ts';
import { alertMaker, noticeMaker, STARTED } from '../../../test/helpers/notices.ts';


const alert = alertMaker({
  id: 'id-1',
  fingerprint: 'fp-1',
  labels: { alertname: 'GpuTemperatureHigh', severity: 'critical', instance: 'gpu-01:9400', __name__: 'x' },
  annotations: { summary: 'GPU 3 is at 91°C', description: 'Above 85°C for 5 minutes.', runbook_url: 'https://wiki.example/gpu' },
  receiver: 'ml-managers',
});
const notice = noticeMaker(alert, { receiver: 'ml-managers', externalURL: 'http://am.example:9093' });

/** Every tag name in the HTML, in order: a value that adds markup changes this list. */
const tags = (html: string) => [...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[0]);
const hrefs = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);

describe('renderEmail', () => {
  it('writes the subject like the chat titles, in English and Chinese', () => {
    expect(renderEmail(notice()).subject).toBe('[FIRING] critical: GpuTemperatureHigh');
    expect(renderEmail(notice({ language: 'zh' })).subject).toBe('【告警】critical：GpuTemperatureHigh');
    expect(renderEmail(notice({ kind: 'resolved', language: 'zh' })).subject).toBe('【恢复】critical：GpuTemperatureHigh');
    expect(renderEmail(notice({ kind: 'escalation', alerts: [alert(), alert({ severity: 'warning' })] })).subject).toBe('[ESCALATED] critical/warning: GpuTemperatureHigh (2)');
    expect(renderEmail(notice({ alerts: [alert(), alert({ alertname: 'Other' })] })).subject).toBe('[FIRING] critical: 2 alerts');
  });

  it('shows summary, description, labels that matter, the time in the notice\'s zone and the runbook link', () => {
    const { text, html } = renderEmail(notice());
    expect(text).toContain('Summary: GPU 3 is at 91°C');
    expect(text).toContain('Labels: instance=gpu-01:9400');
    expect(text).not.toContain('__name__');
    expect(text).toContain('Started: 2024-01-01 08:00:05 Asia/Shanghai');
    expect(renderEmail(notice({ timeZone: 'America/New_York' })).text).toContain('Started: 2023-12-31 19:00:05 America/New_York');
    expect(hrefs(html)).toEqual(['https://wiki.example/gpu']);
    expect(renderEmail(notice({ language: 'zh' })).text).toContain('开始时间：2024-01-01 08:00:05 Asia/Shanghai');
  });

  it('shows the end time of a resolved alert and the confirm and close links', () => {
    const resolved = renderEmail(notice({ kind: 'resolved', alerts: [alert({ endsAt: STARTED + 60_000 })] }));
    expect(resolved.text).toContain('Ended: 2024-01-01 08:01:05 Asia/Shanghai');
    const linked = renderEmail(notice({ links: (a) => ({ confirm: `https://relay.example/a/c-${a.id}`, close: `https://relay.example/a/x-${a.id}` }) }));
    expect(hrefs(linked.html)).toEqual(['https://wiki.example/gpu', 'https://relay.example/a/c-id-1', 'https://relay.example/a/x-id-1']);
  });

  it('counts the alerts beyond the first 50 and links Alertmanager', () => {
    const many = Array.from({ length: 53 }, (_, i) => alert({ id: `id-${i}` }));
    const { text, html } = renderEmail(notice({ alerts: many }));
    expect(text).toContain('… and 3 more: http://am.example:9093/');
    expect(html.match(/<h3>/g)).toHaveLength(50);
  });

  describe('hostile label and annotation values stay inert (HTML tags and links unchanged, SMS text plain)', () => {
    const inertRunbook = (hostile: string) => (hostile.startsWith('javascript:') ? hostile : 'https://wiki.example/gpu');
    /** The same notice with harmless values: the runbook is a link exactly when the hostile one is a URL. */
    const benignTags = (hostile: string) => tags(renderEmail(notice({ alerts: [alert({ annotations: { summary: 's', description: 'd', runbook_url: inertRunbook(hostile) === hostile ? 'a wiki page' : 'https://wiki.example/gpu' } })] })).html);
    it.each([
      ['a script tag', '<script>alert(1)</script>'],
      ['an image with onerror', '<img src=x onerror=alert(1)>'],
      ['an attribute break-out', '" onmouseover="alert(1)'],
      ['a single-quote break-out', "' onfocus='alert(1)"],
      ['a link', '<a href="https://evil.example">click</a>'],
      ['an HTML comment', '<!-- x --><b>bold</b>'],
      ['an entity', '&lt;script&gt;'],
      ['a CRLF header injection', 'x\r\nBcc: victim@example.com'],
      ['bidirectional overrides', '\u202egpj.exe\u202c'],
      ['a javascript: runbook', 'javascript:alert(1)'],
    ])('%s', (_what, hostile) => {
      const n = notice({
        alerts: [
          alert({
            alertname: hostile,
            severity: hostile,
            labels: { alertname: hostile, severity: hostile, instance: hostile, [hostile]: 'v' },
            annotations: { summary: hostile, description: hostile, runbook_url: inertRunbook(hostile) },
          }),
        ],
      });
      const { html, subject, text } = renderEmail(n);
      expect(tags(html)).toEqual(benignTags(hostile));
      expect(hrefs(html).every((h) => h.startsWith('https://'))).toBe(true);
      expect(html).not.toMatch(/<script|<img|<a href="https:\/\/evil|onmouseover="|onfocus='/);
      expect(subject).not.toMatch(/[\r\n\u202e]/);
      expect(text).not.toMatch(/[\r\u202e]/);
      expect(text.split('\n').some((line) => line.startsWith('Bcc:'))).toBe(false);

      const sms = smsText(n, 500);
      expect(sms.text).not.toMatch(/[\u0000-\u001f\u202e]/);
      expect(Object.values(sms.params).join('')).not.toMatch(/[\u0000-\u001f\u202e]/);
    });
  });

  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;&#60;/a&#62;');
  });
});

describe('sendEmail without a server', () => {
  it('refuses to send to nobody', async () => {
    const result = await sendEmail({ host: '127.0.0.1', port: 1, secure: false, from: 'vigil@example.com' }, [' '], notice());
    expect(result).toMatchObject({ ok: false, retryable: false, error: 'no address to send to' });
  });

  it('a refused connection is retryable', async () => {
    const result = await sendEmail({ host: '127.0.0.1', port: 1, secure: false, from: 'vigil@example.com' }, ['ops@example.com'], notice(), 2_000);
    expect(result).toMatchObject({ ok: false, retryable: true });
    expect(result.error).toMatch(/^ESOCKET|^ECONNECTION/);
  });
});
