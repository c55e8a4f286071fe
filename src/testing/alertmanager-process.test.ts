import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ephemeralPortRange, freePort } from './alertmanager-process.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-ports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const listening = (port: number) =>
  new Promise<net.Server>((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
const close = (server: net.Server) => new Promise((resolve) => server.close(resolve));
const portOf = (server: net.Server) => (server.address() as net.AddressInfo).port;

describe('freePort', () => {
  // A port given back by the kernel's pick for port 0 could go to the next listen(0) or outgoing connection before the
  // service binds it; below the ephemeral range neither ever takes one.
  it('takes a port below the kernel’s ephemeral range, free to listen on', async () => {
    const range: [number, number] = [32768, 60999];
    for (let i = 0; i < 20; i++) {
      const port = await freePort(range);
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(32768);
      await close(await listening(port));
    }
  });

  it.each([
    ['no range known', undefined],
    ['a range without room below it', [1024, 65535] as [number, number]],
    ['a range with less than 1,000 ports below it', [20_500, 60999] as [number, number]],
  ])("takes the kernel's pick for port 0 with %s", async (_, range) => {
    const port = await freePort(range);
    expect(port).toBeGreaterThan(0);
    await close(await listening(port));
  });

  it.skipIf(ephemeralPortRange() === undefined)("on this machine, listen(0) takes none of the ports freePort takes from", async () => {
    const [low] = ephemeralPortRange()!;
    const servers = await Promise.all(Array.from({ length: 100 }, () => listening(0)));
    try {
      expect(servers.map(portOf).filter((p) => p >= 20_000 && p < low)).toEqual([]);
    } finally {
      await Promise.all(servers.map(close));
    }
  });
});

describe('ephemeralPortRange', () => {
  it.each([
    ['32768\t60999\n', [32768, 60999]],
    ['1024 65535', [1024, 65535]],
    ['', undefined],
    ['60999 32768', undefined],
    ['0 100', undefined],
    ['abc def', undefined],
  ])('reads %j as %j', (text, expected) => {
    const file = path.join(dir, 'range');
    writeFileSync(file, text);
    expect(ephemeralPortRange(file)).toEqual(expected);
  });

  it('is undefined without the file', () => {
    expect(ephemeralPortRange(path.join(dir, 'missing'))).toBeUndefined();
  });
});
