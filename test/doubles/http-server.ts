// The HTTP plumbing every sink shares: a body read up to a limit (a longer one is reported truncated, to be refused
// as the real endpoint would), a server listening on a free loopback port, and a close that does not wait for
// kept-alive connections.
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const READ_LIMIT_BYTES = 1_000_000;

export function readBody(req: IncomingMessage, limit = READ_LIMIT_BYTES): Promise<{ raw: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve({ raw: Buffer.concat(chunks), truncated: size > limit }));
    req.on('error', reject);
  });
}

export function listen(server: Server): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address() as AddressInfo));
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // fetch keeps connections alive, and a hanging request keeps one open: without this close() would wait for them.
    server.closeAllConnections();
  });
}
