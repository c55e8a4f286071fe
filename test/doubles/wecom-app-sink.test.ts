// The WeCom application API double answers what WeCom answers: a token only for a known corp and secret, a message
// only with a live token, the application's own id, a known type with content, and someone in the visible range.
// Requests are written as Alertmanager 0.25's wechat notifier writes them (agentid and safe as strings, empty fields
// left out).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWecomAppSink, type WecomAppSink } from './wecom-app-sink.ts';

const APP = { corpId: 'ww0123456789', agentId: '1000002', secret: 'app-secret-for-tests', parties: ['2', '3'] };
let clock = Date.UTC(2024, 0, 1);
let sink: WecomAppSink;

beforeAll(async () => {
  sink = await startWecomAppSink({ apps: [APP], now: () => clock });
});
afterAll(async () => {
  await sink?.close();
});

async function getToken(corpid: string | undefined, corpsecret: string | undefined): Promise<Record<string, unknown>> {
  const query = new URLSearchParams();
  if (corpsecret !== undefined) query.set('corpsecret', corpsecret);
  if (corpid !== undefined) query.set('corpid', corpid);
  const r = await fetch(`${sink.apiUrl}gettoken?${query}`);
  expect(r.status).toBe(200);
  return (await r.json()) as Record<string, unknown>;
}

async function token(): Promise<string> {
  return (await getToken(APP.corpId, APP.secret)).access_token as string;
}

async function send(accessToken: string | undefined, body: unknown): Promise<Record<string, unknown>> {
  const query = accessToken === undefined ? '' : `?access_token=${encodeURIComponent(accessToken)}`;
  const r = await fetch(`${sink.apiUrl}message/send${query}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  expect(r.status).toBe(200);
  return (await r.json()) as Record<string, unknown>;
}

/** A message as Alertmanager 0.25 encodes it for `to_party: '3'`, `message_type` unset. */
const amMessage = (overrides: Record<string, unknown> = {}) => ({ text: { content: 'NodeDiskSpaceLow firing' }, toparty: '3', agentid: '1000002', safe: '0', msgtype: 'text', ...overrides });

describe('WeCom application API sink', () => {
  it('issues a token for the application’s corp id and secret, and refuses anything else with WeCom’s errcode', async () => {
    const issued = await getToken(APP.corpId, APP.secret);
    expect(issued).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
    expect(issued.access_token).toMatch(/^[\w-]{20,}$/);
    expect(await getToken('ww-other', APP.secret)).toMatchObject({ errcode: 40013 });
    expect(await getToken(APP.corpId, 'wrong-secret')).toMatchObject({ errcode: 40001 });
    expect(await getToken(APP.corpId, undefined)).toMatchObject({ errcode: 41004 });
    expect(await getToken(undefined, APP.secret)).toMatchObject({ errcode: 41002 });
    for (const refused of [getToken('ww-other', APP.secret), getToken(APP.corpId, 'wrong-secret')]) expect((await refused).access_token).toBeUndefined();
  });

  it('accepts a message as Alertmanager sends it and records recipients, agent and content', async () => {
    const before = sink.messages.length;
    const answer = await send(await token(), amMessage());
    expect(answer).toMatchObject({ errcode: 0, errmsg: 'ok' });
    expect(sink.messages.slice(before)).toEqual([
      expect.objectContaining({ corpId: APP.corpId, agentId: '1000002', toParty: ['3'], toUser: [], toTag: [], msgtype: 'text', content: 'NodeDiskSpaceLow firing' }),
    ]);
    // An integer agentid, as WeCom documents it, markdown, and the whole company.
    expect(await send(await token(), { touser: '@all', msgtype: 'markdown', agentid: 1000002, markdown: { content: '**down**' } })).toMatchObject({ errcode: 0 });
    expect(sink.messages.at(-1)).toMatchObject({ toUser: ['@all'], msgtype: 'markdown', content: '**down**' });
  });

  it('refuses a send without a token it issued, or with one that expired', async () => {
    const before = sink.messages.length;
    expect(await send(undefined, amMessage())).toMatchObject({ errcode: 41001 });
    expect(await send('not-a-token', amMessage())).toMatchObject({ errcode: 40014 });
    const old = await token();
    clock += 7200 * 1000;
    expect(await send(old, amMessage())).toMatchObject({ errcode: 42001 });
    const fresh = await token();
    expect(await send(fresh, amMessage())).toMatchObject({ errcode: 0 });
    sink.expireTokens();
    expect(await send(fresh, amMessage())).toMatchObject({ errcode: 42001 });
    expect(sink.messages.length).toBe(before + 1);
  });

  it('refuses a malformed body, another application’s id, an unknown type, no content and nobody to send to', async () => {
    const t = await token();
    const before = sink.messages.length;
    expect(await send(t, '{"agentid": ')).toMatchObject({ errcode: 47001 });
    expect(await send(t, amMessage({ agentid: undefined }))).toMatchObject({ errcode: 41011 });
    expect(await send(t, amMessage({ agentid: '1000003' }))).toMatchObject({ errcode: 40056 });
    expect(await send(t, amMessage({ agentid: 'abc' }))).toMatchObject({ errcode: 40056 });
    expect(await send(t, amMessage({ msgtype: 'news' }))).toMatchObject({ errcode: 40008 });
    expect(await send(t, amMessage({ text: { content: '' } }))).toMatchObject({ errcode: 44004 });
    // Alertmanager writes `text` for markdown too when the template is empty: markdown.content is what counts.
    expect(await send(t, amMessage({ msgtype: 'markdown' }))).toMatchObject({ errcode: 44004 });
    expect(await send(t, amMessage({ toparty: '9' }))).toMatchObject({ errcode: 81013 });
    expect(await send(t, amMessage({ toparty: undefined }))).toMatchObject({ errcode: 81013 });
    expect(sink.messages.length).toBe(before);
  });

  it('cuts text beyond 2,048 bytes of UTF-8 at a character, and refuses markdown that long', async () => {
    const t = await token();
    const long = '磁'.repeat(700); // 2,100 bytes
    expect(await send(t, amMessage({ text: { content: long } }))).toMatchObject({ errcode: 0 });
    const kept = sink.messages.at(-1)!.content;
    expect(kept).toBe('磁'.repeat(682));
    expect(Buffer.byteLength(kept, 'utf8')).toBe(2046);
    const before = sink.messages.length;
    expect(await send(t, amMessage({ msgtype: 'markdown', markdown: { content: long } }))).toMatchObject({ errcode: 45002 });
    expect(await send(t, amMessage({ msgtype: 'markdown', markdown: { content: '磁'.repeat(682) } }))).toMatchObject({ errcode: 0 });
    expect(sink.messages.length).toBe(before + 1);
  });

  it('records every request with the errcode it got, and answers WeCom’s method errors', async () => {
    const before = sink.requests.length;
    const r = await fetch(`${sink.apiUrl}message/send?access_token=x`);
    expect(await r.json()).toMatchObject({ errcode: 43002 });
    await getToken('ww-other', APP.secret);
    expect(sink.requests.slice(before).map((x) => [x.endpoint, x.errcode])).toEqual([
      ['message/send', 43002],
      ['gettoken', 40013],
    ]);
  });
});
