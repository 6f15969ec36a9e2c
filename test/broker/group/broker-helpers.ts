/**
 * In-process broker and a raw protocol client for the group handler tests: any API
 * version, encoded with the generated codecs, one connection per client (JoinGroup
 * and SyncGroup park their connection, as with Kafka).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startBroker } from '../../../src/broker/broker.ts';
import type { Broker } from '../../../src/broker/broker.ts';
import { groupCoordinatorLoaded } from '../../../src/broker/group/index.ts';
import type { ApiSpec } from '../../../src/protocol/generated/api-keys.ts';
import { requestHeaderVersion, responseHeaderVersion } from '../../../src/protocol/generated/header-versions.ts';
import { encodeRequestHeader } from '../../../src/protocol/generated/request-header.ts';
import { decodeResponseHeader } from '../../../src/protocol/generated/response-header.ts';
import { Reader } from '../../../src/protocol/primitives/reader.ts';
import { Writer } from '../../../src/protocol/primitives/writer.ts';

export interface GroupTestBroker {
  broker: Broker;
  dir: string;
  bootstrap: string;
  lines: string[];
  close(): Promise<void>;
}

export const FAST_GROUP_CONFIG = {
  'group.initial.rebalance.delay.ms': 0,
  'group.min.session.timeout.ms': 1000,
  'offsets.topic.num.partitions': 5,
} as const;

/** Starts a broker (data kept in `dir` across restarts when given) and waits for __consumer_offsets to load. */
export async function startGroupBroker(config: Record<string, string | number | boolean> = {}, dir?: string): Promise<GroupTestBroker> {
  const d = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-group-'));
  const lines: string[] = [];
  const broker = await startBroker({ config: { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': d, ...FAST_GROUP_CONFIG, ...config }, log: (m) => lines.push(m) });
  await groupCoordinatorLoaded(broker);
  return {
    broker,
    dir: d,
    bootstrap: broker.bootstrapServers,
    lines,
    async close() {
      await broker.close();
      if (!dir) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}

export class GroupRawClient {
  private readonly socket: net.Socket;
  private buf = Buffer.alloc(0);
  private readonly waiters = new Map<number, (frame: Buffer) => void>();
  private nextCorrelation = 1;
  clientId: string;

  private constructor(socket: net.Socket, clientId: string) {
    this.socket = socket;
    this.clientId = clientId;
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
  }

  static connect(bootstrap: string, clientId = 'group-test'): Promise<GroupRawClient> {
    const i = bootstrap.lastIndexOf(':');
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: bootstrap.slice(0, i), port: Number(bootstrap.slice(i + 1)) }, () => resolve(new GroupRawClient(s, clientId)));
      s.once('error', reject);
    });
  }

  send<Req, ReqInit, Res>(api: ApiSpec<Req, ReqInit, Res>, version: number, body: ReqInit): Promise<Res> {
    const cid = this.nextCorrelation++;
    const w = new Writer(256);
    w.int32(0);
    encodeRequestHeader(w, { requestApiKey: api.apiKey, requestApiVersion: version, correlationId: cid, clientId: this.clientId }, requestHeaderVersion(api.apiKey, version));
    api.encodeRequest(w, body, version);
    const out = w.finish();
    out.writeInt32BE(out.length - 4, 0);
    const p = new Promise<Res>((resolve, reject) => {
      const onClose = (): void => reject(new Error('connection closed'));
      this.socket.once('close', onClose);
      this.waiters.set(cid, (frame) => {
        this.socket.off('close', onClose);
        const r = new Reader(frame);
        decodeResponseHeader(r, responseHeaderVersion(api.apiKey, version));
        const res = api.decodeResponse(r, version);
        if (r.remaining !== 0) reject(new Error(`${api.name} v${version}: ${r.remaining} bytes left after the response`));
        else resolve(res);
      });
    });
    this.socket.write(out);
    return p;
  }

  close(): void {
    this.socket.destroy();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
