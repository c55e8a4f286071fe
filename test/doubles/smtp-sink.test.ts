// End-to-end proof of sendEmail against a real SMTP server (smtp-server): the mail arrives with its subject, text and
// HTML parts, authenticated when the server requires it; wrong passwords, refused recipients, transient and permanent
// replies, missing TLS and dead servers are classified as the relay needs them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderEmail, sendEmail, type SmtpSettings } from '../../src/relay/channels/email.ts';
import type { Notice } from '../../src/relay/channels/types.ts';
import type { AlertRecord } from '../../src/relay/types.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';

const USER = { username: 'vigil-relay', password: 'smtp-test-password' };

let authed: SmtpSink;
let open: SmtpSink;

beforeAll(async () => {
  authed = await startSmtpSink({ users: [USER], refuseRecipients: { 'gone@example.com': 550, 'busy@example.com': 450 } });
  open = await startSmtpSink();
});
afterAll(async () => {
  await authed?.close();
  await open?.close();
});

function alert(labels: Record<string, string> = {}): AlertRecord {
  return {
    id: 'id-1',
    fingerprint: 'fp-1',
    startsAt: Date.UTC(2024, 0, 1, 0, 0, 5),
    status: 'open',
    alertname: 'GpuTemperatureHigh',
    severity: 'critical',
    labels: { alertname: 'GpuTemperatureHigh', severity: 'critical', ...labels },
    annotations: { summary: 'GPU 3 is at 91°C' },
    generatorURL: '',
    receiver: 'ml-managers',
    createdAt: 0,
    updatedAt: 0,
  };
}
const notice = (language: 'en' | 'zh', labels: Record<string, string> = {}): Notice => ({
  kind: 'escalation',
  receiver: 'ml-managers',
  alerts: [alert(labels)],
  externalURL: '',
  language,
  timeZone: 'Asia/Shanghai',
});

const settings = (sink: SmtpSink, overrides: Partial<SmtpSettings> = {}): SmtpSettings => ({
  host: sink.host,
  port: sink.port,
  secure: false,
  ...USER,
  from: 'Vigil <vigil@example.com>',
  ...overrides,
});

describe('SMTP sink and sendEmail', () => {
  it.each([
    ['en', '[ESCALATED] critical: GpuTemperatureHigh', 'Started: 2024-01-01 08:00:05 Asia/Shanghai'],
    ['zh', '【升级】critical：GpuTemperatureHigh', '开始时间：2024-01-01 08:00:05 Asia/Shanghai'],
  ] as const)('delivers an authenticated mail (%s) with subject, text and HTML', async (language, subject, started) => {
    const before = authed.mails.length;
    const result = await sendEmail(settings(authed), ['ml-managers@example.com', 'lead@example.com'], notice(language));
    expect(result).toMatchObject({ ok: true, retryable: false });
    const [mail] = authed.mails.slice(before);
    expect(mail.user).toBe(USER.username);
    expect(mail.envelope).toEqual({ from: 'vigil@example.com', to: ['ml-managers@example.com', 'lead@example.com'] });
    expect(mail.parsed.subject).toBe(subject);
    expect(mail.parsed.text).toContain(started);
    expect(mail.parsed.html).toBe(renderEmail(notice(language)).html);
  });

  it('delivers hostile label values escaped in the HTML part, exactly as rendered', async () => {
    const hostile = notice('en', { instance: '<img src=x onerror=alert(1)>', '"><script>x</script>': 'v' });
    const before = open.mails.length;
    expect((await sendEmail(settings(open, { username: undefined, password: undefined }), ['ops@example.com'], hostile)).ok).toBe(true);
    const html = open.mails[before].parsed.html as string;
    expect(html).toBe(renderEmail(hostile).html);
    expect(html).not.toMatch(/<img|<script/);
  });

  it('a wrong password is refused for good (535)', async () => {
    const result = await sendEmail(settings(authed, { password: 'wrong' }), ['ops@example.com'], notice('en'));
    expect(result).toMatchObject({ ok: false, retryable: false, status: 535 });
    expect(result.error).toMatch(/^EAUTH/);
  });

  it('no credentials where AUTH is required: refused for good (530)', async () => {
    const result = await sendEmail(settings(authed, { username: undefined, password: undefined }), ['ops@example.com'], notice('en'));
    expect(result).toMatchObject({ ok: false, retryable: false, status: 530 });
  });

  it('a 4xx at DATA is retryable, a 5xx is not', async () => {
    authed.failNext(1, 451);
    expect(await sendEmail(settings(authed), ['ops@example.com'], notice('en'))).toMatchObject({ ok: false, retryable: true, status: 451 });
    authed.failNext(1, 554);
    expect(await sendEmail(settings(authed), ['ops@example.com'], notice('en'))).toMatchObject({ ok: false, retryable: false, status: 554 });
  });

  it('the only recipient refused permanently (550) fails for good; transiently (450) is retryable', async () => {
    expect(await sendEmail(settings(authed), ['gone@example.com'], notice('en'))).toMatchObject({ ok: false, retryable: false, status: 550 });
    expect(await sendEmail(settings(authed), ['busy@example.com'], notice('en'))).toMatchObject({ ok: false, retryable: true, status: 450 });
  });

  it('one of two recipients refused: not ok, says which, not retryable (the other has the mail)', async () => {
    const before = authed.mails.length;
    const result = await sendEmail(settings(authed), ['ops@example.com', 'gone@example.com'], notice('en'));
    expect(result).toMatchObject({ ok: false, retryable: false });
    expect(result.error).toContain('1 of 2 recipients refused');
    expect(result.error).toContain('gone@example.com');
    expect(authed.mails.slice(before).map((m) => m.envelope.to)).toEqual([['ops@example.com']]);
  });

  it('requireTls against a server without STARTTLS: refused before anything is sent, not retryable', async () => {
    const before = open.mails.length;
    const result = await sendEmail(settings(open, { username: undefined, password: undefined, requireTls: true }), ['ops@example.com'], notice('en'));
    expect(result).toMatchObject({ ok: false, retryable: false });
    expect(open.mails.length).toBe(before);
  });

  it('TLS from the first byte against a plain port (secure set wrong): not retryable', async () => {
    const result = await sendEmail(settings(open, { secure: true, username: undefined, password: undefined }), ['ops@example.com'], notice('en'));
    expect(result).toMatchObject({ ok: false, retryable: false });
    expect(result.error).toMatch(/^ESOCKET: .*wrong version number/);
  });

  it('a server that is gone is retryable', async () => {
    const gone = await startSmtpSink();
    const port = gone.port;
    await gone.close();
    const result = await sendEmail(settings(gone, { port, username: undefined, password: undefined }), ['ops@example.com'], notice('en'), 2_000);
    expect(result).toMatchObject({ ok: false, retryable: true });
  });
});
