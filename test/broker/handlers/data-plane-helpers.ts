/**
 * Test helpers for the data-plane handlers: an in-process broker in a temp dir and
 * a raw protocol client that sends any API version with the generated encoders.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startBroker } from '../../../src/broker/broker.ts';
import type { Broker } from '../../../src/broker/broker.ts';
import type { ApiSpec } from '../../../src/protocol/generated/api-keys.ts';
import { requestHeaderVersion, responseHeaderVersion } from '../../../src/protocol/generated/header-versions.ts';
import { encodeRequestHeader } from '../../../src/protocol/generated/request-header.ts';
import { decodeResponseHeader } from '../../../src/protocol/generated/response-header.ts';
import { Reader } from '../../../src/protocol/primitives/reader.ts';
import { Writer } from '../../../src/protocol/primitives/writer.ts';
import { buildRecordBatch } from '../../../src/protocol/records/batch-builder.ts';
import type { BatchOptions } from '../../../src/protocol/records/batch-builder.ts';

export interface TestBroker {
  broker: Broker;
  dir: string;
  bootstrap: string;
  close(): Promise<void>;
}

export async function startTestBroker(config: Record<string, string | number | boolean> = {}, dir?: string): Promise<TestBroker> {
  const d = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-dp-'));
  const broker = await startBroker({ config: { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': d, ...config }, log: () => {} });
  return {
    broker,
    dir: d,
    bootstrap: broker.bootstrapServers,
    async close() {
      await broker.close();
      if (!dir) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}

/** A raw Kafka connection: one request at a time, or pipelined with sendNoWait. */
export class RawClient {
  private readonly socket: net.Socket;
  private buf = Buffer.alloc(0);
  private waiters = new Map<number, (frame: Buffer) => void>();
  private nextCorrelation = 1;
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      while (this.buf.length >= 4) {
        const size = this.buf.readInt32BE(0);
        if (this.buf.length < 4 + size) break;
        const frame = this.buf.subarray(4, 4 + size);
        this.buf = this.buf.subarray(4 + size);
        const cid = frame.readInt32BE(0);
        const w = this.waiters.get(cid);
        this.waiters.delete(cid);
        w?.(frame);
      }
    });
    socket.on('close', () => {
      this.closed = true;
    });
  }

  static connect(bootstrap: string): Promise<RawClient> {
    const [host, port] = [bootstrap.slice(0, bootstrap.lastIndexOf(':')), Number(bootstrap.slice(bootstrap.lastIndexOf(':') + 1))];
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private frame<ReqInit>(api: ApiSpec<unknown, ReqInit>, version: number, body: ReqInit, clientId: string): { cid: number; data: Buffer } {
    const cid = this.nextCorrelation++;
    const w = new Writer(256);
    w.int32(0);
    encodeRequestHeader(w, { requestApiKey: api.apiKey, requestApiVersion: version, correlationId: cid, clientId }, requestHeaderVersion(api.apiKey, version));
    api.encodeRequest(w, body, version);
    const out = w.finish();
    out.writeInt32BE(out.length - 4, 0);
    return { cid, data: out };
  }

  /** Sends a request and decodes its response. */
  send<Req, ReqInit, Res>(api: ApiSpec<Req, ReqInit, Res>, version: number, body: ReqInit, clientId = 'samsa-test'): Promise<Res> {
    const { cid, data } = this.frame(api, version, body, clientId);
    const p = new Promise<Res>((resolve, reject) => {
      const onClose = () => reject(new Error('connection closed'));
      this.socket.once('close', onClose);
      this.waiters.set(cid, (frame) => {
        this.socket.off('close', onClose);
        const r = new Reader(frame);
        decodeResponseHeader(r, responseHeaderVersion(api.apiKey, version));
        resolve(api.decodeResponse(r, version));
      });
    });
    this.socket.write(data);
    return p;
  }

  /** Sends a request that gets no response (acks=0 produce). */
  sendNoResponse<ReqInit>(api: ApiSpec<unknown, ReqInit>, version: number, body: ReqInit): void {
    this.socket.write(this.frame(api, version, body, 'samsa-test').data);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A magic-2 batch of string values (null key unless `keys`). */
export function batchOf(values: string[], opts: Partial<BatchOptions> & { keys?: (string | null)[] } = {}): Buffer {
  const { keys, ...rest } = opts;
  return buildRecordBatch(
    values.map((v, i) => ({ key: keys?.[i] == null ? null : Buffer.from(keys[i]!), value: Buffer.from(v), timestampDelta: 0 })),
    { baseTimestamp: Date.now(), ...rest },
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
