import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

export function sendError(res: ServerResponse, e: HttpError): void {
  sendJson(res, e.status, { error: { code: e.code, message: e.message } });
}

/** The body as text, refused past `limit` bytes (413) without reading the rest into memory. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new HttpError(413, 'too_large', `the body is ${declared} bytes, more than the ${limit} this endpoint takes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, 'too_large', `the body is more than the ${limit} bytes this endpoint takes`);
    chunks.push(chunk as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  const text = bytes.toString('utf8');
  if (Buffer.byteLength(text) !== bytes.length) throw new HttpError(400, 'bad_encoding', 'the body is not UTF-8');
  return text;
}

/**
 * `Authorization: Bearer <token>` against the expected tokens (any of them); compared in constant time. No token
 * configured for a role means the role is closed, never open: the caller decides that by passing none.
 */
export function requireBearer(req: IncomingMessage, tokens: readonly string[], what: string): void {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const given = match ? Buffer.from(match[1]!) : undefined;
  const ok = given !== undefined && tokens.some((t) => {
    const expected = Buffer.from(t);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!ok) throw new HttpError(401, 'unauthorized', `${what} needs a bearer token (Authorization: Bearer …)`);
}
