/**
 * A recording Kafka proxy for capturing golden frames from real clients.
 *
 * Listens on 127.0.0.1, splits each client's byte stream into frames (int32 size
 * + size bytes), records every request frame with its api key/version, and either
 * forwards it to an upstream broker (recording the response frames too, matched
 * by correlation id) or, with no upstream, answers it from a built-in stub:
 *
 *   ApiVersions      every broker API at its full version range
 *   Metadata         one broker (this proxy), each requested topic with one
 *                    partition led by it ("golden" when all topics are asked for)
 *   FindCoordinator  this proxy
 *   anything else    the response type's defaults (error code 0, empty arrays)
 *
 * The stub exists to draw out requests a young broker cannot serve yet (Produce
 * with records, Fetch, group APIs); its responses are our own encoder's output, so
 * only responses from a real upstream are worth keeping as fixtures.
 *
 * Recorded frames are whole wire frames, size prefix included.
 */
import * as net from 'node:net';
import { API_BY_KEY, API_LIST } from '../../src/protocol/generated/api-keys.ts';
import { requestHeaderVersion, responseHeaderVersion } from '../../src/protocol/generated/header-versions.ts';
import { decodeRequestHeader } from '../../src/protocol/generated/request-header.ts';
import { encodeResponseHeader } from '../../src/protocol/generated/response-header.ts';
import { Reader, Writer } from '../../src/protocol/primitives/index.ts';

export type FrameDirection = 'request' | 'response';

export interface RecordedFrame {
  /** Label of the client run that sent (or received) it. */
  client: string;
  direction: FrameDirection;
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  /** The wire frame, int32 size prefix included. */
  frame: Buffer;
  /** 'upstream' for a real broker's response, 'stub' for ours. */
  source: 'client' | 'upstream' | 'stub';
  /** For a response: index in `frames` of the request it answers. */
  requestIndex?: number;
}

export interface ProxyOptions {
  upstream?: { host: string; port: number };
  /** Frames above this size end the connection (the proxy is a test tool, not a broker). */
  maxFrameBytes?: number;
}

const STUB_NODE_ID = 1;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Splits a byte stream into whole frames (size prefix kept). */
class FrameSplitter {
  private buf: Buffer = Buffer.alloc(0);
  private readonly maxFrameBytes: number;

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    while (this.buf.length >= 4) {
      const size = this.buf.readInt32BE(0);
      if (size < 0 || size > this.maxFrameBytes) throw new Error(`frame size ${size} out of range`);
      if (this.buf.length < 4 + size) break;
      out.push(Buffer.from(this.buf.subarray(0, 4 + size)));
      this.buf = this.buf.subarray(4 + size);
    }
    return out;
  }
}

function frameOf(build: (w: Writer) => void): Buffer {
  const w = new Writer(256);
  w.int32(0);
  build(w);
  const frame = Buffer.from(w.finish());
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

export class RecordingProxy {
  /** Label stamped on frames recorded from now on (the capture script sets it per client run). */
  label = 'unlabelled';
  readonly frames: RecordedFrame[] = [];
  private readonly options: ProxyOptions;
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(options: ProxyOptions = {}) {
    this.options = options;
  }

  async listen(port = 0): Promise<number> {
    const server = net.createServer((s) => this.accept(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Drops every open connection (between client runs, so none leaks into the next label). */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.dropConnections();
    const server = this.server;
    if (server === null) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.sockets.add(client);
    const label = this.label;
    const maxFrameBytes = this.options.maxFrameBytes ?? 64 * 1024 * 1024;
    const fromClient = new FrameSplitter(maxFrameBytes);
    const pending = new Map<number, { apiKey: number; apiVersion: number; requestIndex: number }>();
    let upstream: net.Socket | null = null;
    let writes: Promise<void> = Promise.resolve();
    const end = () => {
      client.destroy();
      upstream?.destroy();
      this.sockets.delete(client);
    };
    if (this.options.upstream !== undefined) {
      const up = net.connect(this.options.upstream.port, this.options.upstream.host);
      upstream = up;
      this.sockets.add(up);
      const fromUpstream = new FrameSplitter(maxFrameBytes);
      up.on('data', (chunk: Buffer) => {
        let frames: Buffer[];
        try {
          frames = fromUpstream.push(chunk);
        } catch {
          end();
          return;
        }
        for (const frame of frames) {
          const correlationId = frame.length >= 8 ? frame.readInt32BE(4) : -1;
          const req = pending.get(correlationId);
          if (req !== undefined) {
            pending.delete(correlationId);
            const { apiKey, apiVersion, requestIndex } = req;
            this.frames.push({ client: label, direction: 'response', apiKey, apiVersion, correlationId, frame, source: 'upstream', requestIndex });
          }
          client.write(frame);
        }
      });
      up.on('error', end);
      up.on('close', end);
    }
    client.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = fromClient.push(chunk);
      } catch {
        end();
        return;
      }
      for (const frame of frames) {
        if (frame.length < 12) {
          end();
          return;
        }
        const apiKey = frame.readInt16BE(4);
        const apiVersion = frame.readInt16BE(6);
        const correlationId = frame.readInt32BE(8);
        const requestIndex = this.frames.length;
        this.frames.push({ client: label, direction: 'request', apiKey, apiVersion, correlationId, frame, source: 'client' });
        if (upstream !== null) {
          pending.set(correlationId, { apiKey, apiVersion, requestIndex });
          upstream.write(frame);
          continue;
        }
        let response: Buffer | null;
        try {
          response = this.stubResponse(frame, apiKey, apiVersion, correlationId);
        } catch (e) {
          if (process.env.GOLDEN_DEBUG) console.error(`stub: ${API_BY_KEY.get(apiKey)?.name} v${apiVersion}: ${(e as Error).message}`);
          response = null;
        }
        if (response === null) continue;
        this.frames.push({ client: label, direction: 'response', apiKey, apiVersion, correlationId, frame: response, source: 'stub', requestIndex });
        // An empty Fetch answered at once would make consumers spin; answer after a pause, keeping order.
        const delayMs = apiKey === 1 ? 200 : 0;
        const out = response;
        writes = writes.then(() => (delayMs > 0 ? sleep(delayMs) : undefined)).then(() => {
          if (!client.destroyed) client.write(out);
        });
      }
    });
    client.on('error', end);
    client.on('close', end);
  }

  /** The stub's answer, or null for none (acks=0 produce, unknown API or version). */
  private stubResponse(frame: Buffer, apiKey: number, apiVersion: number, correlationId: number): Buffer | null {
    const api = API_BY_KEY.get(apiKey);
    if (api === undefined) return null;
    if (apiVersion > api.maxVersion || apiVersion < api.minVersion) {
      if (apiKey !== 18) return null;
      // Kafka's answer to a too-new ApiVersions: UNSUPPORTED_VERSION at v0, with the range.
      return frameOf((w) => {
        w.int32(correlationId);
        api.encodeResponse(w, { errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: api.minVersion, maxVersion: api.maxVersion }] }, 0);
      });
    }
    const r = new Reader(frame, 4);
    decodeRequestHeader(r, requestHeaderVersion(apiKey, apiVersion));
    const request = api.decodeRequest(r, apiVersion) as Record<string, unknown>;
    let body: Record<string, unknown> = {};
    switch (apiKey) {
      case 0: {
        if (request.acks === 0) return null;
        const topics = request.topicData as { name: string; topicId?: string; partitionData: { index: number }[] }[];
        body = {
          responses: topics.map((t) => ({
            name: t.name,
            topicId: t.topicId,
            partitionResponses: t.partitionData.map((p) => ({ index: p.index, baseOffset: 0n, logAppendTimeMs: -1n })),
          })),
        };
        break;
      }
      case 1: {
        const topics = request.topics as { topic: string; topicId?: string; partitions: { partition: number }[] }[];
        body = {
          responses: topics.map((t) => ({
            topic: t.topic,
            topicId: t.topicId,
            partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, highWatermark: 0n, lastStableOffset: 0n, records: Buffer.alloc(0) })),
          })),
        };
        break;
      }
      case 2: {
        const topics = request.topics as { name: string; partitions: { partitionIndex: number }[] }[];
        body = {
          topics: topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) =>
              apiVersion === 0 ? { partitionIndex: p.partitionIndex, oldStyleOffsets: [0n] } : { partitionIndex: p.partitionIndex, offset: 0n, timestamp: -1n },
            ),
          })),
        };
        break;
      }
      case 11: {
        // Make the client the leader of a one-member group, so it goes on to SyncGroup.
        const protocols = request.protocols as { name: string; metadata: Buffer }[];
        const memberId = (request.memberId as string) || 'golden-member-1';
        body = {
          generationId: 1,
          protocolType: request.protocolType,
          protocolName: protocols[0]?.name ?? null,
          leader: memberId,
          memberId,
          members: [{ memberId, groupInstanceId: null, metadata: protocols[0]?.metadata ?? Buffer.alloc(0) }],
        };
        break;
      }
      case 14: {
        const assignments = request.assignments as { assignment: Buffer }[];
        body = { protocolType: request.protocolType, protocolName: request.protocolName, assignment: assignments[0]?.assignment ?? Buffer.alloc(0) };
        break;
      }
      case 22:
        body = { producerId: 1000n, producerEpoch: 0 };
        break;
      case 3: {
        const requested = request.topics as { name: string | null }[] | null;
        const names = requested === null || requested.length === 0 ? ['golden'] : requested.map((t) => t.name ?? 'golden');
        body = {
          brokers: [{ nodeId: STUB_NODE_ID, host: '127.0.0.1', port: this.port, rack: null }],
          clusterId: 'golden-stub-cluster',
          controllerId: STUB_NODE_ID,
          topics: names.map((name) => ({
            errorCode: 0,
            name,
            topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
            isInternal: false,
            partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: STUB_NODE_ID, leaderEpoch: 0, replicaNodes: [STUB_NODE_ID], isrNodes: [STUB_NODE_ID], offlineReplicas: [] }],
          })),
        };
        break;
      }
      case 10: {
        const keys = (request.coordinatorKeys as string[] | undefined) ?? [];
        const coordinator = { nodeId: STUB_NODE_ID, host: '127.0.0.1', port: this.port, errorCode: 0, errorMessage: null };
        body = apiVersion >= 4 ? { coordinators: keys.map((key) => ({ key, ...coordinator })) } : coordinator;
        break;
      }
      case 18:
        body = {
          apiKeys: API_LIST.filter((a) => a.listeners.includes('broker')).map((a) => ({
            apiKey: a.apiKey,
            minVersion: a.minVersion,
            maxVersion: a.latestVersionUnstable ? Math.max(a.minVersion, a.maxVersion - 1) : a.maxVersion,
          })),
        };
        break;
    }
    return frameOf((w) => {
      encodeResponseHeader(w, { correlationId }, responseHeaderVersion(apiKey, apiVersion));
      api.encodeResponse(w, body, apiVersion);
    });
  }
}
