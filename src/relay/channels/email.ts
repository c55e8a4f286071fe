/**
 * Email delivery over SMTP (nodemailer): a notice becomes one message with a one-line subject, a plain-text body and
 * an HTML body. Label and annotation values come from whoever controls the metrics, so in the HTML every one of them
 * is escaped and only http(s) URLs become links: a value can neither add markup nor a link it did not have.
 */
import { createTransport } from 'nodemailer';
import type { AlertRecord } from '../types.ts';
import { cutText, escapeHtml, markdownUrl } from './escape.ts';
import { labelsThatMatter } from './message.ts';
import { renderTemplate, type CompiledTemplate } from './template.ts';
import { formatTime } from './time.ts';
import type { Notice, SendResult } from './types.ts';
import { WORDS, type Words } from './words.ts';

export interface SmtpSettings {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  username?: string;
  password?: string;
  from: string;
  /** Refuse to send unless the connection is upgraded with STARTTLS. */
  requireTls?: boolean;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** A mail with hundreds of alerts is read by nobody: the rest is counted and linked to Alertmanager. */
const MAX_ALERTS_SHOWN = 50;
const SUBJECT_NAME_CHARS = 100;
const ERROR_CHARS = 300;


// ---------------------------------------------------------------------------------------------------------------
// Rendering

/** Line breaks, other control characters and the bidirectional controls that make text display unlike what it is. */
const CONTROLS = /\r\n|[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]/g;

/** One line of text: controls become spaces (an address or `@` stays as it is: mail mentions nobody). */
function oneLine(s: string): string {
  return s.replace(CONTROLS, ' ');
}


/** `[FIRING] critical: GpuTemperatureHigh` on one line, control characters gone (a header cannot be split). */
function subjectLine(notice: Notice, words: Words): string {
  const alerts = notice.alerts;
  const severities = [...new Set(alerts.map((a) => cutText(a.severity, SUBJECT_NAME_CHARS)))];
  const names = [...new Set(alerts.map((a) => a.alertname))];
  let name = names.length === 1 ? cutText(names[0], SUBJECT_NAME_CHARS) : words.alerts(alerts.length);
  if (names.length === 1 && alerts.length > 1) name += ` (${alerts.length})`;
  return oneLine(`${words[notice.kind]}${severities.join('/')}${words.colon}${name}`).replace(/\s+/g, ' ').trim();
}

interface Field {
  name: string;
  value: string;
  /** An http(s) URL the HTML links to. */
  href?: string;
}

/** What one alert shows, as plain strings; each body format escapes them its own way. */
function alertFields(alert: AlertRecord, notice: Notice, words: Words): Field[] {
  const fields: Field[] = [];
  const { summary, description } = alert.annotations;
  if (summary) fields.push({ name: words.summary, value: summary });
  if (description) fields.push({ name: words.description, value: description });
  if (alert.annotations.value) fields.push({ name: words.value, value: alert.annotations.value });
  if (alert.annotations.threshold) fields.push({ name: words.threshold, value: alert.annotations.threshold });
  const labels = labelsThatMatter(alert.labels);
  if (labels.length > 0) fields.push({ name: words.labels, value: labels.map(([k, v]) => `${k}=${v}`).join(', ') });
  fields.push({ name: words.started, value: formatTime(alert.startsAt, notice.timeZone) });
  if (notice.kind === 'resolved' && alert.endsAt !== undefined) fields.push({ name: words.ended, value: formatTime(alert.endsAt, notice.timeZone) });
  const reference = (name: string, value: string | undefined) => {
    if (value) fields.push({ name, value, href: markdownUrl(value) });
  };
  reference(words.runbook, alert.annotations.runbook_url ?? alert.annotations.runbook);
  reference(words.dashboard, alert.annotations.dashboard_url ?? alert.annotations.dashboard);
  const links = notice.links?.(alert);
  if (links) {
    const confirm = markdownUrl(links.confirm);
    const close = markdownUrl(links.close);
    if (confirm) fields.push({ name: words.confirm, value: confirm, href: confirm });
    if (close) fields.push({ name: words.close, value: close, href: close });
  }
  return fields;
}

/** Subject, text and HTML; with `template`, the team's subject (when it has a title) and HTML body. */
export function renderEmail(notice: Notice, template?: CompiledTemplate): RenderedEmail {
  const words = WORDS[notice.language];
  const builtIn = renderBuiltInEmail(notice);
  if (!template) return builtIn;
  const rendered = renderTemplate(template, notice, { shown: Math.min(notice.alerts.length, MAX_ALERTS_SHOWN), withMentions: false });
  return { subject: rendered.title ? rendered.title.replace(/\s+/g, ' ') : subjectLine(notice, words), text: builtIn.text, html: rendered.body };
}

function renderBuiltInEmail(notice: Notice): RenderedEmail {
  const words = WORDS[notice.language];
  const subject = subjectLine(notice, words);
  const shown = notice.alerts.slice(0, MAX_ALERTS_SHOWN);
  const omitted = notice.alerts.length - shown.length;
  const heading = (a: AlertRecord) => `${a.alertname} (${a.severity})`;
  const am = notice.externalURL ? markdownUrl(notice.externalURL) : undefined;

  const textBlocks = shown.map((a) => {
    const lines = alertFields(a, notice, words).map((f) => `${f.name}${words.colon}${oneLine(f.value)}`);
    return [oneLine(heading(a)), ...lines].join('\n');
  });
  if (omitted > 0) textBlocks.push(am ? `${words.more(omitted)}: ${am}` : words.more(omitted));
  const text = `${subject}\n\n${textBlocks.join('\n\n')}\n`;

  const htmlBlocks = shown.map((a) => {
    const rows = alertFields(a, notice, words).map((f) => {
      const value = f.href ? `<a href="${escapeHtml(f.href)}">${escapeHtml(oneLine(f.value))}</a>` : escapeHtml(oneLine(f.value));
      return `<tr><th align="left" valign="top">${escapeHtml(f.name)}</th><td>${value}</td></tr>`;
    });
    return `<h3>${escapeHtml(oneLine(heading(a)))}</h3>\n<table>\n${rows.join('\n')}\n</table>`;
  });
  if (omitted > 0) {
    const more = escapeHtml(words.more(omitted));
    htmlBlocks.push(am ? `<p>${more}: <a href="${escapeHtml(am)}">Alertmanager</a></p>` : `<p>${more}</p>`);
  }
  const lang = notice.language === 'zh' ? 'zh-CN' : 'en';
  const html = `<!DOCTYPE html>\n<html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>\n<body>\n<h2>${escapeHtml(subject)}</h2>\n${htmlBlocks.join('\n')}\n</body></html>\n`;
  return { subject, text, html };
}

// ---------------------------------------------------------------------------------------------------------------
// Sending

interface SmtpError {
  name?: string;
  code?: string;
  /** The socket's own code under nodemailer's ESOCKET, e.g. ERR_SSL_WRONG_VERSION_NUMBER. */
  originalCode?: string;
  responseCode?: number;
  response?: string;
  message?: string;
  rejectedErrors?: SmtpError[];
}

/** Errors with no SMTP reply that the same message and settings will meet again (credentials, TLS, addresses). */
const SETTINGS_ERRORS = new Set(['EAUTH', 'ETLS', 'EREQUIRETLS', 'ECONFIG', 'EENVELOPE', 'EMESSAGE', 'EMAXRECIPIENTS']);

/** SMTP replies: 4xx says "try later" (RFC 5321 transient), 5xx says "never like this" (permanent). */
function classifyError(error: SmtpError): Omit<SendResult, 'latencyMs'> {
  const reason = short(oneLine(`${error.code ?? error.name ?? 'error'}: ${error.response ?? error.message ?? ''}`).trim());
  if (typeof error.responseCode === 'number') {
    return { ok: false, retryable: error.responseCode < 500, status: error.responseCode, error: reason };
  }
  if (error.name === 'AbortError' || error.code === 'EABORT') return { ok: false, retryable: true, error: reason };
  // TLS spoken to a plain port or the reverse (`secure` set wrong): every retry meets the same port.
  if (error.originalCode?.startsWith('ERR_SSL_')) return { ok: false, retryable: false, error: reason };
  return { ok: false, retryable: !SETTINGS_ERRORS.has(error.code ?? ''), error: reason };
}

export async function sendEmail(smtp: SmtpSettings, to: string[], notice: Notice, timeoutMs = 10_000, template?: CompiledTemplate): Promise<SendResult> {
  const started = performance.now();
  const latency = () => performance.now() - started;
  const recipients = [...new Set(to.map((address) => address.trim()).filter((address) => address !== ''))];
  if (recipients.length === 0) return { ok: false, retryable: false, error: 'no address to send to', latencyMs: 0 };

  const { subject, text, html } = renderEmail(notice, template);
  const transport = createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: smtp.requireTls === true,
    auth: smtp.username !== undefined ? { user: smtp.username, pass: smtp.password ?? '' } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  try {
    const info = await transport.sendMail({ from: smtp.from, to: recipients, subject, text, html, signal: AbortSignal.timeout(timeoutMs) });
    const answer = { messageId: info.messageId, response: info.response, accepted: info.accepted, rejected: info.rejected };
    const rejected = (info.rejected ?? []).map(String);
    if (rejected.length === 0) return { ok: true, retryable: false, answer, latencyMs: latency() };
    // Some recipients refused, the others have the mail: a retry would send it to them again, so only when every
    // refusal was transient (4xx).
    const errors = (info.rejectedErrors ?? []) as SmtpError[];
    const transient = errors.length > 0 && errors.every((e) => typeof e.responseCode === 'number' && e.responseCode < 500);
    const error = short(`${rejected.length} of ${recipients.length} recipients refused: ${errors.map((e) => e.response ?? e.message).join('; ') || rejected.join(', ')}`);
    return { ok: false, retryable: transient, error, answer, latencyMs: latency() };
  } catch (error) {
    return { ...classifyError(error as SmtpError), latencyMs: latency() };
  } finally {
    transport.close();
  }
}

function short(s: string): string {
  return s.length <= ERROR_CHARS ? s : `${s.slice(0, ERROR_CHARS)}…`;
}
