import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployError } from './errors.ts';
import { SilencesAdapter } from './silences.ts';

/** What the fake Alertmanager answers next: status and body for GET /api/v2/silences and for POST. */
let answer: { list: [number, string]; post: [number, string] } = { list: [200, '[]'], post: [200, '{"silenceID":"x"}'] };
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const [status, body] = req.method === 'POST' ? answer.post : answer.list;
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const wanted = { name: 'gpu', matchers: [{ name: 'instance', value: 'gpu-3', isRegex: false, isEqual: true }], startsAt: '2999-01-01T00:00:00.000Z', endsAt: '2999-01-02T00:00:00.000Z', createdBy: 'alice', comment: '[vigil ml/gpu] OPS-1' };
const adapter = () => new SilencesAdapter({ peers: [{ url, reloadUrl: `${url}/-/reload` }], file: { generator: 'vigil', project: 'ml', silences: [wanted] } });

describe('hostile or failing Alertmanager answers are DeployErrors with a message, never a crash', () => {
  it.each([
    ['not JSON', { list: [200, '<html>proxy</html>'] }, 'deploy/protocol', 'not JSON'],
    ['a JSON object', { list: [200, '{"silences":[]}'] }, 'deploy/protocol', 'not a list of silences: a JSON object'],
    ['null', { list: [200, 'null'] }, 'deploy/protocol', 'a JSON null'],
    ['an entry without an id', { list: [200, '[{"comment":"[vigil ml/gpu] x"}]'] }, 'deploy/protocol', 'entry 0 has no id'],
    ['a scalar entry', { list: [200, '[42]'] }, 'deploy/protocol', 'entry 0 has no id'],
    ['HTTP 500 with a message', { list: [500, '{"message":"storage broken"}'] }, 'deploy/http', 'HTTP 500: storage broken'],
    ['HTTP 404 (not API v2)', { list: [404, 'page not found'] }, 'deploy/http', 'HTTP 404'],
  ] as const)('listing answers %s', async (_what, a, code, message) => {
    answer = { list: [...a.list], post: [200, '{"silenceID":"x"}'] };
    const e = await adapter().plan().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DeployError);
    expect((e as DeployError).code).toBe(code);
    expect((e as DeployError).message).toContain(message);
    expect((e as DeployError).hint).not.toBe('');
  });

  it.each([
    ['without an id', [200, '{}'], 'deploy/protocol', 'answered without its id'],
    ['an empty id', [200, '{"silenceID":""}'], 'deploy/protocol', 'answered without its id'],
    ['not JSON', [200, 'ok'], 'deploy/protocol', 'not JSON'],
    ['HTTP 400 with Alertmanager’s reason', [400, '"silence invalid: at least one matcher must not match the empty string"'], 'deploy/http', 'must not match the empty string'],
  ] as const)('saving a silence answers %s', async (_what, post, code, message) => {
    answer = { list: [200, '[]'], post: [...post] };
    const a = adapter();
    await a.plan();
    const e = await a.apply().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DeployError);
    expect((e as DeployError).code).toBe(code);
    expect((e as DeployError).message).toContain(message);
  });

  it('names and comments from a live silence reach the plan as one line each (render makes controls visible)', async () => {
    answer = { list: [200, JSON.stringify([{ id: 'a', comment: '[vigil ml/old] x\n+ forged line', matchers: [], startsAt: '2999-01-01T00:00:00Z', endsAt: '2999-01-02T00:00:00Z', createdBy: 'x', status: { state: 'pending' } }])], post: [200, '{"silenceID":"x"}'] };
    const p = await adapter().plan();
    expect(p.changes.map((c) => `${c.kind} ${c.object}`)).toEqual(['add silence gpu', 'remove silence old']);
  });
});
