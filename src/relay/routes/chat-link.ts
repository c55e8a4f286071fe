import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeHtml } from '../channels/escape.ts';
import { confirmationExpiresAt } from '../config.ts';
import { HttpError, readBody } from '../http.ts';
import { linkKey, verifyLink, type LinkAction } from '../links.ts';
import type { RelayContext } from '../server.ts';
import type { AlertRecord } from '../types.ts';
import { closeAlert } from './alerts.ts';

const WORDS = {
  en: { confirm: 'Confirm', close: 'Close', name: 'Your name', note: { confirm: 'Comment', close: 'Reason' }, done: { confirm: 'Confirmed', close: 'Closed' }, invalid: 'This link is not valid: it was altered, or it is not one the relay made.', expired: 'This link has expired. Open the alert from a newer message, or use the API.', already: 'Nothing to do: the alert is', started: 'Started' },
  zh: { confirm: '确认', close: '关闭', name: '您的姓名', note: { confirm: '备注', close: '原因' }, done: { confirm: '已确认', close: '已关闭' }, invalid: '此链接无效：它被修改过，或不是中继生成的。', expired: '此链接已过期。请从更新的消息打开该告警，或使用 API。', already: '无需操作：该告警当前为', started: '开始时间' },
} as const;

/** The page of a chat link: small, no script, nothing loaded from elsewhere, never framed, never sends a Referer. */
function page(res: ServerResponse, status: number, lang: 'en' | 'zh', title: string, body: string): void {
  const html = `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}label{display:block;margin-top:1rem}input,textarea{width:100%;font:inherit;padding:.4rem}button{margin-top:1rem;font:inherit;padding:.5rem 1.5rem}</style></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  });
  res.end(html);
}

function summary(alert: AlertRecord, lang: 'en' | 'zh'): string {
  const when = new Date(alert.startsAt).toISOString().replace('T', ' ').slice(0, 19);
  return `<p><strong>${escapeHtml(alert.severity)}</strong>: ${escapeHtml(alert.alertname)}</p>${alert.annotations.summary ? `<p>${escapeHtml(alert.annotations.summary)}</p>` : ''}<p>${WORDS[lang].started}: ${when} UTC</p>`;
}

/**
 * GET /a/<token>: the page of one alert with a form for the one action the token allows; POST /a/<token>: does it,
 * recording the name typed. The token is the only credential: signed by the relay, for one alert and one action, and
 * expiring. Without a notify token the relay has no key, so it makes no links and takes none.
 */
export async function chatLink(ctx: RelayContext, req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
  const lang = ctx.state().config.settings.language ?? 'zh';
  const words = WORDS[lang];
  const secret = ctx.tokens.notify[0];
  const check = secret ? verifyLink(linkKey(secret), token, ctx.now()) : ({ ok: false, reason: 'signature' } as const);
  if (!check.ok) return page(res, check.reason === 'expired' ? 410 : 403, lang, check.reason === 'expired' ? words.expired : words.invalid, '');
  const { alertId, action } = check.claim;
  const alert = await ctx.store.getAlert(alertId);
  if (!alert) return page(res, 404, lang, words.invalid, '');
  const allowed = action === 'confirm' ? alert.status === 'open' : alert.status === 'open' || alert.status === 'confirmed';
  if (req.method === 'GET') {
    if (!allowed) return page(res, 409, lang, `${words.already} ${alert.status}`, summary(alert, lang));
    const form = `<form method="post"><label>${words.name}<input name="user" required maxlength="128" autocomplete="name"></label><label>${words.note[action]}<textarea name="note" maxlength="1024" ${action === 'close' ? 'required' : ''}></textarea></label><button type="submit">${words[action]}</button></form>`;
    return page(res, 200, lang, `${words[action]}: ${alert.alertname}`, summary(alert, lang) + form);
  }
  if (req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', '/a/<token> takes GET or POST');
  const form = new URLSearchParams(await readBody(req, 16 * 1024));
  const user = (form.get('user') ?? '').trim().slice(0, 128);
  const note = (form.get('note') ?? '').trim().slice(0, 1024);
  if (!user || (action === 'close' && !note)) return page(res, 400, lang, `${words[action]}: ${alert.alertname}`, `<p>${words.name} / ${words.note[action]}?</p>`);
  const outcome = await doAction(ctx, action, alertId, user, note);
  if (!outcome) {
    const now = await ctx.store.getAlert(alertId);
    return page(res, 409, lang, `${words.already} ${now?.status ?? alert.status}`, summary(now ?? alert, lang));
  }
  page(res, 200, lang, `${words.done[action]}: ${alert.alertname}`, summary(outcome, lang) + `<p>${escapeHtml(user)}</p>`);
}

async function doAction(ctx: RelayContext, action: LinkAction, id: string, user: string, note: string): Promise<AlertRecord | undefined> {
  // Who clicked is the name typed: recorded as such (the link proves which alert and action, not who).
  const by = `${user} (chat link)`;
  if (action === 'confirm') {
    const now = ctx.now();
    const alert = await ctx.store.getAlert(id);
    const outcome = await ctx.store.confirm(id, by, note, now, alert && confirmationExpiresAt(ctx.state().config, alert.severity, now));
    return outcome.ok ? outcome.alert : undefined;
  }
  const { outcome } = await closeAlert(ctx, id, by, note);
  return outcome.ok ? outcome.alert : undefined;
}
