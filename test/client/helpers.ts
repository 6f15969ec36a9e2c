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
import { encodeApiVersionsResponse } from '../../src/protocol/generated/api-versions-response.ts';
import { encodeMetadataResponse } from '../../src/protocol/generated/metadata-response.ts';
import type { MetadataResponseMetadataResponseTopicInit } from '../../src/protocol/generated/metadata-response.ts';
import { Writer } from '../../src/protocol/primitives/writer.ts';

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

/**
 * Scripted Kafka nodes: each answers ApiVersions (Metadata 0-12) and Metadata
 * with `metadata()` as it is at the time of the request (so a test can move
 * leaders), filling in every node's address. `requests` logs (node, apiKey).
 */
export interface FakeKafka {
  nodes: FakeServer[];
  requests: { node: number; apiKey: number }[];
  close(): Promise<void>;
}

export async function startFakeKafka(nodeCount: number, metadata: () => { topics: MetadataResponseMetadataResponseTopicInit[]; controllerId?: number }): Promise<FakeKafka> {
  const nodes: FakeServer[] = [];
  const requests: { node: number; apiKey: number }[] = [];
  const respond = (req: FakeRequest, socket: Socket, flexible: boolean, encode: (w: Writer) => void): void => {
    const w = new Writer(256);
    w.int32(0).int32(req.correlationId);
    if (flexible) w.unsignedVarint(0);
    encode(w);
    const out = w.finish();
    out.writeInt32BE(out.length - 4, 0);
    socket.write(Buffer.from(out));
  };
  for (let id = 1; id <= nodeCount; id++) {
    nodes.push(
      await startFakeServer((req, socket) => {
        requests.push({ node: id, apiKey: req.apiKey });
        if (req.apiKey === 18) {
          respond(req, socket, false, (w) => encodeApiVersionsResponse(w, { apiKeys: [{ apiKey: 3, minVersion: 0, maxVersion: 12 }, { apiKey: 18, minVersion: 0, maxVersion: 4 }] }, req.apiVersion));
        } else if (req.apiKey === 3) {
          const m = metadata();
          respond(req, socket, req.apiVersion >= 9, (w) =>
            encodeMetadataResponse(w, { brokers: nodes.map((n, i) => ({ nodeId: i + 1, host: '127.0.0.1', port: n.port })), clusterId: 'fake', controllerId: m.controllerId ?? 1, topics: m.topics }, req.apiVersion),
          );
        }
      }),
    );
  }
  return {
    nodes,
    requests,
    async close() {
      for (const n of nodes) await n.close();
    },
  };
}
