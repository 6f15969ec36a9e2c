/**
 * Client test helpers: an in-process Samsa broker, and a fake TCP server whose
 * replies the test scripts byte by byte (for garbage, silence and downgrades).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../src/broker/broker.ts';
import type { Broker } from '../../src/broker/broker.ts';

export interface TestBroker {
  broker: Broker;
  bootstrap: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startTestBroker(config: Record<string, string | number | boolean> = {}): Promise<TestBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-client-'));
  const broker = await startBroker({ config: { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dir, ...config }, log: () => {} });
  const bootstrap = broker.bootstrapServers;
  const i = bootstrap.lastIndexOf(':');
  return {
    broker,
    bootstrap,
    host: bootstrap.slice(0, i),
    port: Number(bootstrap.slice(i + 1)),
    async close() {
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface FakeRequest {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  /** The whole frame after the size prefix. */
  frame: Buffer;
}

/** A TCP server that hands each complete request frame to `onRequest`. */
export interface FakeServer {
  server: Server;
  port: number;
  sockets: Socket[];
  close(): Promise<void>;
}

export async function startFakeServer(onRequest: (req: FakeRequest, socket: Socket) => void): Promise<FakeServer> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    let buf = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4) {
        const size = buf.readInt32BE(0);
        if (buf.length < 4 + size) break;
        const frame = buf.subarray(4, 4 + size);
        buf = buf.subarray(4 + size);
        onRequest({ apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4), frame }, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    server,
    port,
    sockets,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A response frame: size, correlation id, then `body` (header v0). */
export function frameV0(correlationId: number, body: Buffer): Buffer {
  const out = Buffer.alloc(8 + body.length);
  out.writeInt32BE(4 + body.length, 0);
  out.writeInt32BE(correlationId, 4);
  body.copy(out, 8);
  return out;
}
