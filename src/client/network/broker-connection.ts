/**
 * One TCP connection to one broker: the client's only way to talk to Kafka.
 *
 * Lifecycle: `BrokerConnection.connect()` opens the socket (within
 * socket.connection.setup.timeout.ms) and performs the ApiVersions handshake
 * before anything else, recording the broker's version range for every API.
 * Then `send(api, request)` picks the newest version both sides speak.
 *
 * Wire contract (Kafka's): every request is `int32 size | request header | body`,
 * the header carrying a fresh correlation id and client.id. Responses on one
 * connection come back in request order, so in-flight requests are a FIFO and a
 * response must match the head's correlation id; anything else is a protocol
 * error and closes the connection (as does a body that does not decode or a frame
 * above maxResponseBytes). A Produce with acks=0 gets no response: it resolves once
 * written and never occupies an in-flight slot.
 *
 * Limits: at most maxInFlight requests are on the wire; later ones wait (already
 * encoded) in a queue. A request unanswered after its timeout closes the
 * connection: a late response would block every later one.
 */
import { connect as netConnect } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import { KafkaError, ErrorCode } from '../../protocol/errors/index.ts';
import { ApiVersionsApi } from '../../protocol/generated/api-keys.ts';
import type { ApiSpec } from '../../protocol/generated/api-keys.ts';
import type { ApiVersionsResponse } from '../../protocol/generated/api-versions-response.ts';
import { requestHeaderVersion, responseHeaderVersion } from '../../protocol/generated/header-versions.ts';
import { encodeRequestHeader } from '../../protocol/generated/request-header.ts';
import { decodeResponseHeader } from '../../protocol/generated/response-header.ts';
import { Reader } from '../../protocol/primitives/reader.ts';
import { Writer } from '../../protocol/primitives/writer.ts';
import { ConnectionError, ProtocolError, RequestTimeoutError } from './errors.ts';
import { DirectFrameReader, FrameReader, FrameSizeError } from './frame-reader.ts';
import { busyPollBegin, busyPollEnd } from './busy-poll.ts';

export const CLIENT_SOFTWARE_NAME = 'samsa';
export const CLIENT_SOFTWARE_VERSION = '0.1.0';

/** Kafka's client defaults, by their config names. */
export const CONNECTION_DEFAULTS = {
  clientId: 'samsa',
  /** socket.connection.setup.timeout.ms */
  connectTimeoutMs: 10_000,
  /** request.timeout.ms */
  requestTimeoutMs: 30_000,
  /** max.in.flight.requests.per.connection */
  maxInFlight: 5,
  /** Largest response frame accepted: above fetch.max.bytes (50 MiB) with room to spare. */
  maxResponseBytes: 256 * 1024 * 1024,
  /** samsa.busy.poll.us: see busy-poll.ts. */
  busyPollUs: 200,
} as const;

export interface BrokerConnectionOptions {
  host: string;
  port: number;
  /** The broker's node id when known (from metadata); -1 for a bootstrap address. */
  nodeId?: number;
  /** client.id, sent in every request header. */
  clientId?: string | null;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  maxInFlight?: number;
  maxResponseBytes?: number;
  /** Busy-poll window per request in µs (samsa.busy.poll.us); 0 never spins. */
  busyPollUs?: number;
  clientSoftwareName?: string;
  clientSoftwareVersion?: string;
  /** Called once when the connection closes, with the reason (null for close()). */
  onClose?: (conn: BrokerConnection, error: Error | null) => void;
}

export interface SendOptions {
  /** Use exactly this version (it must be within both sides' ranges). */
  version?: number;
  /** Use no version above this one (e.g. a caller that cannot fill newer fields). */
  maxVersion?: number;
  /** Overrides request.timeout.ms for this request (a long-poll Fetch adds its max wait). */
  timeoutMs?: number;
  /**
   * Write at once instead of coalescing with the other requests of this tick (the
   * caller groups its own writes with corkWrites()/uncorkWrites() when it has several).
   */
  writeNow?: boolean;
}

export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

/** One request: queued (frame set) or in flight (frame null). */
interface Pending {
  readonly correlationId: number;
  readonly api: ApiSpec;
  readonly version: number;
  readonly timeoutMs: number;
  readonly deadline: number;
  frame: Buffer | Buffer[] | null;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  /** sendWithCallback(): the listener and its context instead of a promise. */
  readonly cb: ResponseCallback<unknown, unknown> | null;
  readonly ctx: unknown;
  /** Holds the busy poller while in flight (see busy-poll.ts). */
  polling: boolean;
  /** performance.now() when its busy-poll window ends. */
  pollUntil: number;
}

/**
 * The outcome of a request sent with sendWithCallback(): the response (err null),
 * or the error. A response is delivered as soon as it is decoded (from the socket's
 * read callback); an error always in a later microtask.
 */
export type ResponseCallback<Ctx, Res> = (ctx: Ctx, err: Error | null, res: Res | undefined) => void;

function noop(): void {}

/** Delivers a request's outcome to its promise or callback. */
function settle(p: Pending, err: Error | null, body?: unknown): void {
  if (p.polling) {
    p.polling = false;
    busyPollEnd();
  }
  const cb = p.cb;
  if (cb === null) {
    if (err !== null) p.reject(err);
    else p.resolve(body);
  } else if (err !== null) {
    queueMicrotask(() => cb(p.ctx, err, undefined));
  } else {
    try {
      cb(p.ctx, null, body);
    } catch (e) {
      // The listener's failure is not the connection's.
      queueMicrotask(() => {
        throw e;
      });
    }
  }
}

const NO_TIMER = Number.POSITIVE_INFINITY;
const INITIAL_WRITER_BYTES = 4096;
/** Above this the reusable encode buffer is handed off instead of copied from. */
const LARGE_WRITER_BYTES = 1024 * 1024;
/**
 * Produce requests: record batches at least this large are written from the
 * caller's buffer (one writev with the request's other bytes) instead of being
 * copied into the request. The caller keeps them unchanged until the request completes.
 */
const SPLICE_MIN_BYTES = 8192;
/** Busy polling pauses after this many responses in a row that came after their window… */
const POLL_MISS_LIMIT = 16;
/** …for this long. */
const POLL_PAUSE_MS = 1000;

export class BrokerConnection {
  readonly host: string;
  readonly port: number;
  readonly nodeId: number;
  /** "host:port (node N)", for messages. */
  readonly label: string;
  private readonly clientId: string | null;
  private readonly requestTimeoutMs: number;
  private readonly maxInFlight: number;
  private readonly busyPollUs: number;
  /** Responses in a row that came after their busy-poll window; at POLL_MISS_LIMIT polling pauses. */
  private pollMisses = 0;
  private pollPausedUntil = 0;
  private readonly onClose: ((conn: BrokerConnection, error: Error | null) => void) | undefined;
  private readonly socket: Socket;
  private readonly frames: FrameReader;
  private readonly writer = new Writer(INITIAL_WRITER_BYTES);
  private nextCorrelationId = 0;
  private readonly inFlight: Pending[] = [];
  private readonly queued: Pending[] = [];
  private corked = false;
  private timer: NodeJS.Timeout | null = null;
  private timerDeadline = NO_TIMER;
  private closeError: Error | null = null;
  private isClosed = false;
  private ranges = new Map<number, VersionRange>();
  /** The ApiVersions version the broker answered (after any downgrade). */
  apiVersionsVersion = -1;
  /** Finalized feature levels from ApiVersions v3+ (e.g. `transaction.version`); empty before v3. */
  finalizedFeatures: ReadonlyMap<string, number> = new Map();

  private readonly direct: DirectFrameReader | null;

  private constructor(socket: Socket, opts: BrokerConnectionOptions, direct: DirectFrameReader | null = null) {
    this.socket = socket;
    this.direct = direct;
    if (direct !== null) {
      direct.onFrame = (f) => this.onFrame(f);
      direct.onRead = (n) => this.onDirectRead(n);
    }
    this.host = opts.host;
    this.port = opts.port;
    this.nodeId = opts.nodeId ?? -1;
    this.label = this.nodeId >= 0 ? `${opts.host}:${opts.port} (node ${this.nodeId})` : `${opts.host}:${opts.port}`;
    this.clientId = opts.clientId === undefined ? CONNECTION_DEFAULTS.clientId : opts.clientId;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? CONNECTION_DEFAULTS.requestTimeoutMs;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? CONNECTION_DEFAULTS.maxInFlight);
    this.busyPollUs = Math.max(0, opts.busyPollUs ?? CONNECTION_DEFAULTS.busyPollUs);
    this.frames = new FrameReader(opts.maxResponseBytes ?? CONNECTION_DEFAULTS.maxResponseBytes);
    this.onClose = opts.onClose;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new ConnectionError(this.label, `socket error: ${err.message}`, { cause: err })));
    socket.on('close', () => this.fail(new ConnectionError(this.label, 'connection closed by the broker')));
  }

  /** Connects and performs the ApiVersions handshake. Rejects with ConnectionError, RequestTimeoutError, ProtocolError or KafkaError. */
  static async connect(opts: BrokerConnectionOptions): Promise<BrokerConnection> {
    const label = `${opts.host}:${opts.port}`;
    const direct = new DirectFrameReader(opts.maxResponseBytes ?? CONNECTION_DEFAULTS.maxResponseBytes);
    const connectTimeoutMs = opts.connectTimeoutMs ?? CONNECTION_DEFAULTS.connectTimeoutMs;
    const socket = await new Promise<Socket>((resolve, reject) => {
      // Reads go straight into the response's buffer (see DirectFrameReader).
      const s = netConnect({ host: opts.host, port: opts.port, onread: { buffer: () => direct.target(), callback: (n: number) => { direct.onRead(n); return true; } } });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new RequestTimeoutError(label, `connection not established within ${connectTimeoutMs} ms`, connectTimeoutMs));
      }, connectTimeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(new ConnectionError(label, `cannot connect: ${err.message}`, { cause: err }));
      });
    });
    const conn = new BrokerConnection(socket, opts, direct);
    try {
      await conn.handshake(opts.clientSoftwareName ?? CLIENT_SOFTWARE_NAME, opts.clientSoftwareVersion ?? CLIENT_SOFTWARE_VERSION);
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Requests written and awaiting a response, plus those queued behind maxInFlight. */
  get pendingRequests(): number {
    return this.inFlight.length + this.queued.length;
  }

  /** Whether requests written now busy-poll (samsa.busy.poll.us > 0, not paused after late responses). */
  get busyPolling(): boolean {
    return this.busyPollUs > 0 && performance.now() >= this.pollPausedUntil;
  }

  /** The broker's version range per API key, from the handshake. */
  get apiVersions(): ReadonlyMap<number, VersionRange> {
    return this.ranges;
  }

  /** Whether the broker serves `api` in a version this client also speaks. */
  supports(api: ApiSpec): boolean {
    const theirs = this.ranges.get(api.apiKey);
    return theirs !== undefined && Math.max(theirs.min, api.minVersion) <= Math.min(theirs.max, api.maxVersion);
  }

  /**
   * The version to use for `api`: the newest both sides support (skipping a
   * version the spec marks unstable), capped by `maxVersion`, or exactly `version`.
   * Throws KafkaError UNSUPPORTED_VERSION when there is none.
   */
  versionFor(api: ApiSpec, opts?: Pick<SendOptions, 'version' | 'maxVersion'>): number {
    const theirs = this.ranges.get(api.apiKey);
    if (theirs === undefined) {
      throw KafkaError.from(ErrorCode.UNSUPPORTED_VERSION, `broker ${this.label} does not support ${api.name}`);
    }
    const min = Math.max(theirs.min, api.minVersion);
    const max = Math.min(theirs.max, api.maxVersion);
    const wanted = opts?.version;
    if (wanted !== undefined) {
      if (wanted < min || wanted > max) {
        throw KafkaError.from(ErrorCode.UNSUPPORTED_VERSION, `${api.name} v${wanted} requested; broker ${this.label} supports v${theirs.min}-${theirs.max}, client v${api.minVersion}-${api.maxVersion}`);
      }
      return wanted;
    }
    let v = api.latestVersionUnstable && max === api.maxVersion ? max - 1 : max;
    if (opts?.maxVersion !== undefined) v = Math.min(v, opts.maxVersion);
    if (v < min) {
      throw KafkaError.from(ErrorCode.UNSUPPORTED_VERSION, `no common version of ${api.name}: broker ${this.label} supports v${theirs.min}-${theirs.max}, client v${api.minVersion}-${Math.min(api.maxVersion, opts?.maxVersion ?? api.maxVersion)}`);
    }
    return v;
  }

  /**
   * Sends one request and resolves with its decoded response. The version is
   * negotiated (see versionFor) unless given. A Produce with acks=0 resolves with
   * null once written: use sendNoResponse for it.
   */
  send<Req, ReqInit, Res, ResInit>(api: ApiSpec<Req, ReqInit, Res, ResInit>, request: ReqInit, opts?: SendOptions): Promise<Res> {
    if (api.apiKey === 0 && (request as { acks?: number }).acks === 0) {
      return Promise.reject(new TypeError('a Produce request with acks=0 gets no response: use sendNoResponse()'));
    }
    let version: number;
    try {
      version = this.versionFor(api as ApiSpec, opts);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.request(api as ApiSpec, version, request, opts?.timeoutMs ?? this.requestTimeoutMs, opts?.writeNow === true) as Promise<Res>;
  }

  /**
   * As send(), without a promise: `cb(ctx, err, res)` gets the outcome (see
   * ResponseCallback) — never synchronously from this call.
   */
  sendWithCallback<Req, ReqInit, Res, ResInit, Ctx>(api: ApiSpec<Req, ReqInit, Res, ResInit>, request: ReqInit, opts: SendOptions | undefined, cb: ResponseCallback<Ctx, Res>, ctx: Ctx): void {
    let version: number;
    try {
      if (api.apiKey === 0 && (request as { acks?: number }).acks === 0) throw new TypeError('a Produce request with acks=0 gets no response: use sendNoResponse()');
      version = this.versionFor(api as ApiSpec, opts);
    } catch (err) {
      queueMicrotask(() => cb(ctx, err as Error, undefined));
      return;
    }
    void this.request(api as ApiSpec, version, request, opts?.timeoutMs ?? this.requestTimeoutMs, opts?.writeNow === true, cb as ResponseCallback<unknown, unknown>, ctx);
  }

  /**
   * Sends a request that gets no response (Produce with acks=0). Resolves when the
   * bytes are handed to the kernel; never takes an in-flight slot.
   */
  sendNoResponse<Req, ReqInit, Res, ResInit>(api: ApiSpec<Req, ReqInit, Res, ResInit>, request: ReqInit, opts?: SendOptions): Promise<void> {
    if (this.isClosed) return Promise.reject(this.closedError());
    let frame: Buffer | Buffer[];
    try {
      const version = this.versionFor(api as ApiSpec, opts);
      frame = this.encode(api as ApiSpec, version, this.takeCorrelationId(), request);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return new Promise<void>((resolve, reject) => {
      if (opts?.writeNow !== true) this.cork();
      const done = (err: Error | null | undefined): void => (err ? reject(new ConnectionError(this.label, `write failed: ${err.message}`, { cause: err })) : resolve());
      if (Buffer.isBuffer(frame)) {
        this.socket.write(frame, done);
      } else {
        const last = frame.length - 1;
        for (let i = 0; i < last; i++) this.socket.write(frame[i]!);
        this.socket.write(frame[last]!, done);
      }
    });
  }

  /**
   * Holds this connection's writes until uncorkWrites(): requests sent in between
   * (with writeNow) leave in one writev. Calls nest.
   */
  corkWrites(): void {
    this.socket.cork();
  }

  uncorkWrites(): void {
    this.socket.uncork();
  }

  /** Closes the connection; pending requests reject with ConnectionError. */
  close(): void {
    this.shutdown(null);
  }

  // --- internals -------------------------------------------------------------

  private async handshake(softwareName: string, softwareVersion: string): Promise<void> {
    let version = ApiVersionsApi.maxVersion;
    for (;;) {
      const res = (await this.request(ApiVersionsApi as ApiSpec, version, { clientSoftwareName: softwareName, clientSoftwareVersion: softwareVersion }, this.requestTimeoutMs)) as ApiVersionsResponse;
      if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION) {
        // The broker answered in v0 form and lists its own ApiVersions range: retry with the newest it takes.
        const theirs = res.apiKeys.find((k) => k.apiKey === ApiVersionsApi.apiKey);
        const next = Math.min(theirs ? theirs.maxVersion : 0, ApiVersionsApi.maxVersion);
        if (next >= version || next < 0) {
          throw KafkaError.from(ErrorCode.UNSUPPORTED_VERSION, `broker ${this.label} refused ApiVersions v${version} and offers no older version`);
        }
        version = next;
        continue;
      }
      if (res.errorCode !== ErrorCode.NONE) throw KafkaError.from(res.errorCode, `ApiVersions from ${this.label}`);
      const ranges = new Map<number, VersionRange>();
      for (const k of res.apiKeys) ranges.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
      this.ranges = ranges;
      this.apiVersionsVersion = version;
      const features = new Map<string, number>();
      for (const f of res.finalizedFeatures ?? []) features.set(f.name, f.maxVersionLevel);
      this.finalizedFeatures = features;
      return;
    }
  }

  private takeCorrelationId(): number {
    const id = this.nextCorrelationId;
    this.nextCorrelationId = id === 0x7fffffff ? 0 : id + 1;
    return id;
  }

  /**
   * Size prefix, header and body in one buffer of exactly the right size — or, for
   * a Produce request with large record batches, the buffers to write in order:
   * the request's own bytes (copied) and the batches (by reference).
   */
  private encode(api: ApiSpec, version: number, correlationId: number, request: unknown): Buffer | Buffer[] {
    const w = this.writer;
    w.reset();
    w.int32(0);
    encodeRequestHeader(w, { requestApiKey: api.apiKey, requestApiVersion: version, correlationId, clientId: this.clientId }, requestHeaderVersion(api.apiKey, version));
    if (api.apiKey === 0) {
      w.spliceMinBytes = SPLICE_MIN_BYTES;
      try {
        api.encodeRequest(w, request, version);
      } finally {
        w.spliceMinBytes = Infinity;
      }
      if (w.spliced) {
        const chunks = w.finishChunks();
        const total = w.length;
        const own = this.writer.buf;
        // Bytes of the reusable encode buffer are copied (it is overwritten by the next request).
        for (let i = 0; i < chunks.length; i++) {
          const c = chunks[i]!;
          if (c.buffer === own.buffer && c.byteOffset >= own.byteOffset && c.byteOffset < own.byteOffset + own.length) chunks[i] = Buffer.from(c);
        }
        chunks[0]!.writeInt32BE(total - 4, 0);
        w.reset();
        return chunks;
      }
    } else {
      api.encodeRequest(w, request, version);
    }
    let frame: Buffer;
    if (w.buf.length > LARGE_WRITER_BYTES) {
      // A big request keeps its buffer (no copy); the writer starts small again.
      frame = w.finish();
      w.buf = Buffer.allocUnsafe(INITIAL_WRITER_BYTES);
    } else {
      frame = Buffer.allocUnsafe(w.pos);
      w.buf.copy(frame, 0, 0, w.pos);
    }
    frame.writeInt32BE(frame.length - 4, 0);
    return frame;
  }

  /** With `cb`, no promise: the outcome goes to cb(ctx, …) (the returned value is undefined). */
  private request(api: ApiSpec, version: number, request: unknown, timeoutMs: number, writeNow = false, cb: ResponseCallback<unknown, unknown> | null = null, ctx: unknown = null): Promise<unknown> {
    let fail: Error | null = null;
    let frame: Buffer | Buffer[] | null = null;
    let correlationId = -1;
    if (this.isClosed) {
      fail = this.closedError();
    } else {
      correlationId = this.takeCorrelationId();
      try {
        frame = this.encode(api, version, correlationId, request);
      } catch (err) {
        fail = err as Error;
      }
    }
    if (fail !== null) {
      if (cb === null) return Promise.reject(fail);
      const e = fail;
      queueMicrotask(() => cb(ctx, e, undefined));
      return undefined as unknown as Promise<unknown>;
    }
    const deadline = Date.now() + timeoutMs;
    let p!: Pending;
    let promise: Promise<unknown>;
    if (cb === null) {
      promise = new Promise<unknown>((resolve, reject) => {
        p = { correlationId, api, version, timeoutMs, deadline, frame, resolve, reject, cb: null, ctx: null, polling: false, pollUntil: 0 };
      });
    } else {
      promise = undefined as unknown as Promise<unknown>;
      p = { correlationId, api, version, timeoutMs, deadline, frame, resolve: noop, reject: noop, cb, ctx, polling: false, pollUntil: 0 };
    }
    if (this.inFlight.length < this.maxInFlight && this.queued.length === 0) this.write(p, writeNow);
    else this.queued.push(p);
    this.armTimer(deadline);
    return promise;
  }

  private write(p: Pending, writeNow = false): void {
    const frame = p.frame!;
    p.frame = null;
    this.inFlight.push(p);
    if (this.busyPollUs > 0) {
      const now = performance.now();
      if (now >= this.pollPausedUntil) {
        p.polling = true;
        p.pollUntil = now + this.busyPollUs / 1000;
        busyPollBegin(p.pollUntil);
      }
    }
    if (!writeNow) this.cork();
    if (Buffer.isBuffer(frame)) {
      this.socket.write(frame);
    } else {
      // Several buffers: one writev.
      if (writeNow) this.socket.cork();
      for (const c of frame) this.socket.write(c);
      if (writeNow) this.socket.uncork();
    }
  }

  /** Requests made in the same tick leave in one write. */
  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(uncork, this);
  }

  /** @internal */
  uncorkNow(): void {
    this.corked = false;
    this.socket.uncork();
  }

  private onDirectRead(n: number): void {
    if (this.isClosed) return;
    try {
      this.direct!.read(n);
    } catch (err) {
      if (err instanceof FrameSizeError) {
        this.shutdown(new ProtocolError(this.label, err.message, { cause: err }));
      } else {
        this.shutdown(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  private onData(chunk: Buffer): void {
    if (this.isClosed) return;
    try {
      this.frames.push(chunk, (frame) => this.onFrame(frame));
    } catch (err) {
      if (err instanceof FrameSizeError) {
        this.shutdown(new ProtocolError(this.label, err.message, { cause: err }));
      } else {
        this.shutdown(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  private onFrame(frame: Buffer): void {
    if (this.isClosed) return;
    const p = this.inFlight.shift();
    const correlationId = frame.readInt32BE(0);
    if (p === undefined) {
      this.shutdown(new ProtocolError(this.label, `unexpected response (correlation id ${correlationId}) with no request in flight`));
      return;
    }
    if (correlationId !== p.correlationId) {
      this.inFlight.unshift(p);
      this.shutdown(new ProtocolError(this.label, `response correlation id ${correlationId} does not match the oldest request in flight (${p.correlationId}, ${p.api.name} v${p.version})`));
      return;
    }
    let body: unknown;
    try {
      const r = new Reader(frame);
      decodeResponseHeader(r, responseHeaderVersion(p.api.apiKey, p.version));
      let version = p.version;
      // An ApiVersions refusal comes in v0 form whatever version was asked (KIP-511).
      if (p.api.apiKey === ApiVersionsApi.apiKey && r.remaining >= 2 && frame.readInt16BE(r.pos) === ErrorCode.UNSUPPORTED_VERSION) version = 0;
      body = p.api.decodeResponse(r, version);
    } catch (err) {
      this.inFlight.unshift(p);
      this.shutdown(new ProtocolError(this.label, `cannot decode ${p.api.name} v${p.version} response: ${(err as Error).message}`, { cause: err }));
      return;
    }
    if (p.polling) this.countPoll(p);
    settle(p, null, body);
    while (!this.isClosed && this.queued.length > 0 && this.inFlight.length < this.maxInFlight) this.write(this.queued.shift()!);
  }

  /**
   * A broker that keeps answering after the window (a remote one, or long-polled
   * fetches on an idle topic) is not polled for a while: spinning would only burn CPU.
   */
  private countPoll(p: Pending): void {
    const now = performance.now();
    if (now <= p.pollUntil) {
      this.pollMisses = 0;
    } else if (++this.pollMisses >= POLL_MISS_LIMIT) {
      this.pollMisses = 0;
      this.pollPausedUntil = now + POLL_PAUSE_MS;
    }
  }

  private armTimer(deadline: number): void {
    if (deadline >= this.timerDeadline) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerDeadline = deadline;
    this.timer = setTimeout(onTimer, Math.max(0, deadline - Date.now()), this);
  }

  /** @internal Fails expired requests; an expired in-flight one closes the connection. */
  checkTimeouts(): void {
    this.timer = null;
    this.timerDeadline = NO_TIMER;
    if (this.isClosed) return;
    const now = Date.now();
    for (const p of this.inFlight) {
      if (p.deadline <= now) {
        this.shutdown(null, p, new RequestTimeoutError(this.label, `${p.api.name} v${p.version} got no response within ${p.timeoutMs} ms`, p.timeoutMs));
        return;
      }
    }
    let next = NO_TIMER;
    for (let i = 0; i < this.queued.length; i++) {
      const p = this.queued[i]!;
      if (p.deadline <= now) {
        this.queued.splice(i--, 1);
        settle(p, new RequestTimeoutError(this.label, `${p.api.name} v${p.version} not sent within ${p.timeoutMs} ms (${this.maxInFlight} requests in flight)`, p.timeoutMs));
      } else if (p.deadline < next) next = p.deadline;
    }
    for (const p of this.inFlight) if (p.deadline < next) next = p.deadline;
    if (next !== NO_TIMER) this.armTimer(next);
  }

  private fail(err: Error): void {
    this.shutdown(err);
  }

  private closedError(): ConnectionError {
    return new ConnectionError(this.label, this.closeError ? `connection closed: ${this.closeError.message}` : 'connection closed', { cause: this.closeError ?? undefined });
  }

  /**
   * Closes once. `culprit` (a timed-out request) rejects with `culpritError`;
   * every other request rejects with `error` or, for a plain close, ConnectionError.
   */
  private shutdown(error: Error | null, culprit?: Pending, culpritError?: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closeError = error ?? culpritError ?? null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.socket.destroy();
    const others = error ?? new ConnectionError(this.label, culpritError ? `connection closed after a request timed out (${culpritError.message})` : 'connection closed');
    const all = this.inFlight.splice(0).concat(this.queued.splice(0));
    for (const p of all) settle(p, p === culprit && culpritError ? culpritError : others, undefined);
    this.onClose?.(this, this.closeError);
  }
}

function uncork(conn: BrokerConnection): void {
  conn.uncorkNow();
}

function onTimer(conn: BrokerConnection): void {
  conn.checkTimeouts();
}
