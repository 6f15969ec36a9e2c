/**
 * Sender: drains ready batches into Produce requests, one sink per broker node
 * (franz-go's sink; Kafka's Sender thread, here driven by the event loop).
 *
 * A drain runs after appends (setImmediate, so a burst of sends becomes one
 * request), when a linger or backoff deadline passes, and when a response frees an
 * in-flight slot. Per node it sends up to max.in.flight.requests.per.connection
 * requests, each holding at most one batch per partition (the broker takes one
 * magic-2 batch per partition per request) and at most max.request.size bytes.
 *
 * A partition's head batch is ready when it is closed (full), or its linger.ms has
 * passed, or there are more batches behind it, or a flush/close is in progress, or
 * sends are waiting for buffer memory — and it is not in retry backoff, and (with
 * idempotence) it is not a retry while other batches of the partition are in
 * flight: a retried batch goes alone, so sequences reach the broker in order.
 *
 * Idempotence: a producer id and epoch from InitProducerId before the first
 * Produce; a base sequence per batch at drain time. UNKNOWN_PRODUCER_ID, and
 * OUT_OF_ORDER_SEQUENCE_NUMBER on the partition's oldest unacknowledged batch, bump
 * the epoch (KIP-360): once nothing is in flight a new id/epoch is fetched and every
 * partition's sequences restart from 0.
 */
import type { BrokerConnection } from '../network/broker-connection.ts';
import type { Cluster } from '../network/cluster.ts';
import { ConnectionError } from '../network/errors.ts';
import { ErrorCode, KafkaError, errorInfo } from '../../protocol/errors/index.ts';
import { InitProducerIdApi } from '../../protocol/generated/api-keys.ts';
// Produce v12 (Kafka 4.0; the body of v11): a transactional batch joins the transaction on the leader (transactions v2).
import { ProduceApiKip890 as ProduceApi } from '../../protocol/kip890-versions.ts';
import type { ProduceResponse } from '../../protocol/generated/produce-response.ts';
import { ATTR_TRANSACTIONAL, OFFSET_ATTRIBUTES } from '../../protocol/records/batch-header.ts';
import type { PartitionBuffer, RecordAccumulator } from './accumulator.ts';
import { removeFrom } from './accumulator.ts';
import { TimeoutError } from './errors.ts';
import type { ProducerBatch } from './producer-batch.ts';
import type { ResolvedProducerConfig } from './config.ts';
import type { TransactionManager } from './transaction-manager.ts';

export interface SenderHost {
  /** A batch is complete (state DONE or FAILED): settle its futures. */
  batchDone(batch: ProducerBatch): void;
  /** The sender needs fresh metadata for a topic (unknown leader, stale, error). */
  refreshTopic(topic: string): void;
  /** Sends are waiting for buffer memory: every batch counts as ready. */
  readonly memoryWaiters: number;
}

/** One broker node's connection and request budget. */
class Sink {
  readonly nodeId: number;
  conn: BrokerConnection | null = null;
  connecting = false;
  inFlight = 0;
  throttledUntil = 0;
  reconnectAt = 0;
  failures = 0;
  /** Partitions picked for the request being built: the first nPicked (entries are reused, not cleared: no reallocation per request). */
  readonly picked: PartitionBuffer[] = [];
  nPicked = 0;

  constructor(nodeId: number) {
    this.nodeId = nodeId;
  }
}

const MAX_SEQUENCE = 0x7fffffff;
const WRITE_NOW = { writeNow: true } as const;

type ProduceRequestInit = Parameters<typeof ProduceApi.encodeRequest>[1];

/** A Produce request built by a drain, written at its end. */
interface Outgoing {
  sink: Sink;
  conn: BrokerConnection;
  request: ProduceRequestInit;
  sent: ProducerBatch[];
}

export class Sender {
  private readonly cfg: ResolvedProducerConfig<unknown, unknown>;
  private readonly cluster: Cluster;
  private readonly acc: RecordAccumulator;
  private readonly host: SenderHost;
  private readonly sinks = new Map<number, Sink>();
  /** The first nOut entries: requests built by the drain in progress. */
  private readonly outbox: (Outgoing | null)[] = [];
  private nOut = 0;
  /** Sinks with picked partitions in the current drain round (the first nUsed). */
  private readonly used: Sink[] = [];
  private drainScheduled = false;
  /** Inside drain() or a batch's completion: no drain from wakeupNow() (it schedules one). */
  private draining = false;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  /** flush()/close() in progress: every batch is ready now. */
  flushing = 0;
  /** close() gave up: nothing more is sent. */
  private stopped = false;
  // Idempotence state.
  private readonly idempotent: boolean;
  producerId = -1n;
  producerEpoch = -1;
  private initializing = false;
  private bumpPending = false;
  private initBackoffUntil = 0;
  private totalInFlight = 0;
  /** The transactional producer's manager: partitions join the transaction before their batches go out. */
  txn: TransactionManager | null = null;

  constructor(cfg: ResolvedProducerConfig<unknown, unknown>, cluster: Cluster, acc: RecordAccumulator, host: SenderHost) {
    this.cfg = cfg;
    this.cluster = cluster;
    this.acc = acc;
    this.host = host;
    this.idempotent = cfg.idempotence;
  }

  get requestsInFlight(): number {
    return this.totalInFlight;
  }

  /** Drains on the next turn of the event loop (many appends → one drain). */
  wakeup(): void {
    if (this.drainScheduled || this.stopped) return;
    this.drainScheduled = true;
    // A microtask: after the caller's synchronous burst of sends, before any I/O.
    queueMicrotask(() => runDrain(this));
  }

  /**
   * linger.ms=0: drains at once when nothing is in flight, so an awaited send is on
   * the wire before send() returns; otherwise as wakeup() (later records of a burst
   * go together once the first request is out).
   */
  wakeupNow(): void {
    if (this.totalInFlight > 0 || this.draining || this.stopped || this.txn !== null || this.bumpPending || (this.producerId < 0n && this.idempotent && this.cfg.acks !== 0)) {
      this.wakeup();
      return;
    }
    try {
      this.drain();
    } catch (err) {
      // As a drain run from a microtask would: reported, not thrown at the caller of send().
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  /** Drains no later than `atMs` (a linger or backoff deadline). */
  wakeAt(atMs: number): void {
    if (atMs >= this.timerAt || this.stopped) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = atMs;
    this.timer = setTimeout(onTimer, Math.max(0, atMs - Date.now()), this);
  }

  /** @internal */
  timerFired(): void {
    this.timer = null;
    this.timerAt = Infinity;
    this.drain();
  }

  /** @internal */
  scheduledDrain(): void {
    this.drainScheduled = false;
    this.drain();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private backoffMs(attempts: number): number {
    // Exponential with ±20% jitter, as Kafka's ExponentialBackoff (KIP-580).
    const base = this.cfg.retryBackoffMs;
    const max = Math.max(base, this.cfg.retryBackoffMaxMs);
    const exp = Math.min(max, base * 2 ** Math.max(0, attempts - 1));
    return Math.round(Math.min(max, exp * (0.8 + Math.random() * 0.4)));
  }

  drain(): void {
    if (this.stopped) return;
    const was = this.draining;
    this.draining = true;
    try {
      this.drainNow();
    } finally {
      this.draining = was;
    }
  }

  private drainNow(): void {
    const now = Date.now();
    let wake = Infinity;
    const txn = this.txn;
    if (txn !== null) {
      // The producer id comes from initTransactions(); nothing is queued before it.
      if (this.producerId < 0n) {
        this.expireAll(now);
        return;
      }
      txn.maybeSendAddPartitions();
    } else if (this.idempotent && this.cfg.acks !== 0) {
      if (this.bumpPending || this.producerId < 0n) {
        // A new id/epoch once nothing is in flight (an epoch bump waits for every answer).
        if (this.totalInFlight === 0 && !this.initializing) {
          if (now >= this.initBackoffUntil) this.initProducerId();
          else this.wakeAt(this.initBackoffUntil);
        }
        this.expireAll(now);
        return;
      }
    }
    const cfg = this.cfg;
    const allReady = this.flushing > 0 || this.host.memoryWaiters > 0;
    const used = this.used;
    for (let round = 0; round < cfg.maxInFlight; round++) {
      let nUsed = 0;
      for (const pb of this.acc.active) {
        const batches = pb.batches;
        // Expire batches that waited past delivery.timeout.ms (Kafka's expiredBatches).
        while (batches.length > 0 && now - batches[0]!.createdMs >= cfg.deliveryTimeoutMs) {
          const b = batches.shift()!;
          this.fail(b, new TimeoutError(`Expiring ${b.recordCount} record(s) for ${b.topic}-${b.partition}: ${now - b.createdMs} ms has passed since batch creation`));
        }
        if (batches.length === 0) {
          pb.active = false;
          this.acc.active.delete(pb);
          continue;
        }
        const head = batches[0]!;
        wake = Math.min(wake, head.createdMs + cfg.deliveryTimeoutMs);
        if (!(head.closed || batches.length > 1 || allReady)) {
          const at = head.createdMs + cfg.lingerMs;
          if (now < at) {
            wake = Math.min(wake, at);
            continue;
          }
        }
        if (head.retryAtMs > now) {
          wake = Math.min(wake, head.retryAtMs);
          continue;
        }
        if (this.idempotent && head.baseSequence >= 0 && pb.inFlight.length > 0) continue;
        if (txn !== null && !txn.isSendAllowed(pb)) continue;
        const leader = this.leaderOf(pb, now);
        if (leader < 0) continue;
        let sink = this.sinks.get(leader);
        if (sink === undefined) {
          sink = new Sink(leader);
          this.sinks.set(leader, sink);
        }
        if (sink.nPicked === 0) {
          if (sink.inFlight >= cfg.maxInFlight) continue;
          if (sink.throttledUntil > now) {
            wake = Math.min(wake, sink.throttledUntil);
            continue;
          }
          const conn = this.connectionOf(sink, now);
          if (conn === null) {
            if (sink.reconnectAt > now) wake = Math.min(wake, sink.reconnectAt);
            continue;
          }
          used[nUsed++] = sink;
        }
        sink.picked[sink.nPicked++] = pb;
      }
      if (nUsed === 0) break;
      for (let i = 0; i < nUsed; i++) this.sendTo(used[i]!);
    }
    if (this.nOut > 0) this.flushOutbox();
    if (wake !== Infinity) this.wakeAt(wake);
  }

  /**
   * Writes the requests this drain built: each at once (no wait for the end of the
   * tick), several to one connection in one writev.
   */
  private flushOutbox(): void {
    const out = this.outbox;
    const n = this.nOut;
    this.nOut = 0;
    let corked: BrokerConnection[] | null = null;
    if (n > 1) {
      for (let i = 1; i < n; i++) {
        const conn = out[i]!.conn;
        for (let j = 0; j < i; j++) {
          if (out[j]!.conn === conn) {
            if (corked === null) corked = [];
            if (!corked.includes(conn)) {
              corked.push(conn);
              conn.corkWrites();
            }
            break;
          }
        }
      }
    }
    for (let i = 0; i < n; i++) {
      const o = out[i]!;
      out[i] = null;
      this.dispatch(o.sink, o.conn, o.request, o.sent);
    }
    if (corked !== null) for (const conn of corked) conn.uncorkWrites();
  }

  /** Fails queued batches past delivery.timeout.ms while no producer id is at hand. */
  private expireAll(now: number): void {
    for (const pb of this.acc.active) {
      const batches = pb.batches;
      while (batches.length > 0 && now - batches[0]!.createdMs >= this.cfg.deliveryTimeoutMs) {
        const b = batches.shift()!;
        this.fail(b, new TimeoutError(`Expiring ${b.recordCount} record(s) for ${b.topic}-${b.partition}: ${now - b.createdMs} ms has passed since batch creation`));
      }
      if (batches.length > 0) this.wakeAt(batches[0]!.createdMs + this.cfg.deliveryTimeoutMs);
    }
  }

  private leaderOf(pb: PartitionBuffer, now: number): number {
    const t = this.cluster.cachedTopic(pb.topic);
    if (t === undefined) {
      this.host.refreshTopic(pb.topic);
      return -1;
    }
    if (now - t.fetchedAt >= this.cfg.metadataMaxAgeMs) this.host.refreshTopic(pb.topic);
    const p = t.partitions[pb.partition];
    if (p === undefined || p.partition !== pb.partition || p.leader < 0) {
      this.host.refreshTopic(pb.topic);
      return -1;
    }
    return p.leader;
  }

  private connectionOf(sink: Sink, now: number): BrokerConnection | null {
    const c = sink.conn;
    if (c !== null && !c.closed) return c;
    sink.conn = null;
    if (sink.connecting || now < sink.reconnectAt) return null;
    sink.connecting = true;
    this.cluster.connection(sink.nodeId).then(
      (conn) => {
        sink.connecting = false;
        sink.failures = 0;
        sink.conn = conn;
        this.wakeup();
      },
      () => {
        sink.connecting = false;
        sink.failures++;
        const backoff = Math.min(this.cfg.reconnectBackoffMaxMs, this.cfg.reconnectBackoffMs * 2 ** (sink.failures - 1));
        sink.reconnectAt = Date.now() + Math.round(backoff * (0.8 + Math.random() * 0.4));
        // The node may be gone or moved: ask for metadata again.
        for (const pb of this.acc.active) this.host.refreshTopic(pb.topic);
        this.wakeAt(sink.reconnectAt);
      },
    );
    return null;
  }

  /** Takes the head batch of every picked partition into one Produce request. */
  private sendTo(sink: Sink): void {
    const picked = sink.picked;
    const n = sink.nPicked;
    sink.nPicked = 0;
    const conn = sink.conn!;
    const cfg = this.cfg;
    // Built with exact-size literals (one partition: the usual case), grown only for more.
    let sent: ProducerBatch[] | null = null;
    let topicData: { name: string; partitionData: { index: number; records: Buffer }[] }[] = [];
    let size = 0;
    for (let k = 0; k < n; k++) {
      const pb = picked[k]!;
      const batch = pb.batches[0]!;
      if (!batch.closed) batch.closed = true;
      batch.seal(cfg.compression, cfg.compressionLevel);
      // The transactional bit (attributes bit 4), set before stamp() computes the CRC.
      if (this.txn !== null) batch.wire![OFFSET_ATTRIBUTES + 1] |= ATTR_TRANSACTIONAL;
      const bytes = batch.wire!.length;
      if (sent !== null && size + bytes > cfg.maxRequestSize) continue;
      size += bytes;
      pb.batches.shift();
      // The next batch starts with the buffer this one needed.
      pb.sizeHint = batch.pos;
      if (this.idempotent && cfg.acks !== 0) {
        if (batch.baseSequence < 0 || batch.producerId !== this.producerId || batch.producerEpoch !== this.producerEpoch) {
          const seq = pb.nextSequence;
          pb.nextSequence = (seq + batch.recordCount) % (MAX_SEQUENCE + 1);
          batch.stamp(this.producerId, this.producerEpoch, seq);
        }
        pb.inFlight.push(batch);
      } else if (batch.attempts === 0) {
        batch.stamp(-1n, -1, -1);
      }
      batch.attempts++;
      if (sent === null) {
        sent = [batch];
        topicData = [{ name: pb.topic, partitionData: [{ index: pb.partition, records: batch.wire! }] }];
        continue;
      }
      sent.push(batch);
      // Few topics per request: a linear search beats a Map.
      let parts: { index: number; records: Buffer }[] | undefined;
      for (let t = 0; t < topicData.length; t++) {
        if (topicData[t]!.name === pb.topic) {
          parts = topicData[t]!.partitionData;
          break;
        }
      }
      if (parts === undefined) topicData.push({ name: pb.topic, partitionData: [{ index: pb.partition, records: batch.wire! }] });
      else parts.push({ index: pb.partition, records: batch.wire! });
    }
    if (sent === null) return;
    const request: ProduceRequestInit = { acks: cfg.acks, timeoutMs: cfg.requestTimeoutMs, transactionalId: cfg.transactionalId, topicData };
    sink.inFlight++;
    this.totalInFlight++;
    this.outbox[this.nOut++] = { sink, conn, request, sent };
  }

  private dispatch(sink: Sink, conn: BrokerConnection, request: ProduceRequestInit, sent: ProducerBatch[]): void {
    if (this.cfg.acks === 0) {
      conn.sendNoResponse(ProduceApi, request, WRITE_NOW).then(
        () => {
          this.requestDone(sink);
          for (const b of sent) this.complete(b, -1n, -1);
          this.wakeup();
        },
        (err: unknown) => this.requestFailed(sink, sent, err as Error),
      );
      return;
    }
    conn.sendWithCallback(ProduceApi, request, WRITE_NOW, onProduceDone, { sender: this, sink, sent });
  }

  /** @internal */
  produceDone(sink: Sink, sent: ProducerBatch[], err: Error | null, res: ProduceResponse | undefined): void {
    if (err !== null) this.requestFailed(sink, sent, err);
    else this.onResponse(sink, sent, res!);
  }

  private requestDone(sink: Sink): void {
    sink.inFlight--;
    this.totalInFlight--;
  }

  private onResponse(sink: Sink, sent: ProducerBatch[], res: ProduceResponse): void {
    this.requestDone(sink);
    if (res.throttleTimeMs > 0) sink.throttledUntil = Date.now() + res.throttleTimeMs;
    for (const b of sent) {
      let pr = null;
      for (const t of res.responses) {
        if (t.name !== b.topic) continue;
        for (const p of t.partitionResponses) {
          if (p.index === b.partition) {
            pr = p;
            break;
          }
        }
        if (pr !== null) break;
      }
      if (pr === null) {
        this.batchError(b, KafkaError.from(ErrorCode.UNKNOWN_SERVER_ERROR, `no response for ${b.topic}-${b.partition}`), ErrorCode.UNKNOWN_SERVER_ERROR);
        continue;
      }
      const code = pr.errorCode;
      if (code === ErrorCode.NONE || (code === ErrorCode.DUPLICATE_SEQUENCE_NUMBER && this.idempotent)) {
        this.complete(b, code === ErrorCode.NONE ? pr.baseOffset : -1n, Number(pr.logAppendTimeMs));
      } else {
        const detail = `${b.topic}-${b.partition}${pr.errorMessage ? `: ${pr.errorMessage}` : ''}`;
        this.batchError(b, KafkaError.from(code, detail), code);
      }
    }
    // A freed in-flight slot matters to queued batches, a pending epoch bump, records waiting for memory.
    if (this.acc.active.size > 0 || this.bumpPending || this.host.memoryWaiters > 0) this.wakeup();
  }

  private requestFailed(sink: Sink, sent: ProducerBatch[], err: Error): void {
    this.requestDone(sink);
    if (err instanceof ConnectionError) {
      sink.conn = null;
      for (const b of sent) this.host.refreshTopic(b.topic);
    }
    for (const b of sent) this.batchError(b, err, -1);
    this.wakeup();
  }

  private partitionOf(b: ProducerBatch): PartitionBuffer | undefined {
    return this.acc.topics.get(b.topic)?.partitions[b.partition];
  }

  private complete(b: ProducerBatch, baseOffset: bigint, logAppendTimeMs: number): void {
    if (b.done) return;
    const pb = this.partitionOf(b);
    if (pb !== undefined) {
      removeFrom(pb.inFlight, b);
    }
    b.baseOffset = baseOffset;
    b.logAppendTimeMs = logAppendTimeMs;
    b.state = 2;
    this.acc.completed(b);
    this.batchDone(b);
  }

  /**
   * Settles a batch's futures. What that triggers (callbacks sending more, records
   * waiting for memory) drains later, never from inside this completion.
   */
  private batchDone(b: ProducerBatch): void {
    const was = this.draining;
    this.draining = true;
    try {
      this.host.batchDone(b);
    } finally {
      this.draining = was;
    }
  }

  /** Fails a batch for good. */
  fail(b: ProducerBatch, err: Error): void {
    if (b.done) return;
    const pb = this.partitionOf(b);
    if (pb !== undefined) {
      removeFrom(pb.inFlight, b);
      // A batch with a sequence that never made it leaves a gap: the broker would
      // refuse the next sequence. Start over with a new epoch (Kafka does the same).
      const gap = this.idempotent && b.baseSequence >= 0 && b.producerEpoch === this.producerEpoch && b.producerId === this.producerId && !this.stopped;
      if (this.txn !== null) this.txn.batchFailed(err, gap);
      else if (gap) this.requestEpochBump();
    }
    b.error = err;
    b.state = 3;
    this.acc.completed(b);
    this.batchDone(b);
  }

  private batchError(b: ProducerBatch, err: Error, code: number): void {
    if (b.done) return;
    const pb = this.partitionOf(b);
    const now = Date.now();
    let retriable = (err as { retriable?: boolean }).retriable === true;
    if (this.idempotent && pb !== undefined && b.producerId === this.producerId && b.producerEpoch === this.producerEpoch) {
      if (code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER) {
        // Out of order behind an earlier batch that failed too: resend in order.
        // On the oldest unacknowledged batch: the broker lost our state; fail it, bump the epoch.
        const earlier = pb.inFlight.some((x) => x.id < b.id && x !== b) || pb.batches.some((x) => x.id < b.id);
        retriable = earlier;
        if (!earlier) {
          this.fail(b, err);
          return;
        }
      } else if (this.txn !== null && (code === ErrorCode.INVALID_PRODUCER_EPOCH || code === ErrorCode.PRODUCER_FENCED || code === ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)) {
        // A newer producer with our transactional.id took over: nothing more can be sent.
        this.fail(b, err);
        this.txn.fatal(err);
        return;
      } else if (this.txn !== null && (code === ErrorCode.UNKNOWN_PRODUCER_ID || code === ErrorCode.INVALID_TXN_STATE)) {
        // The transaction cannot complete: it must be aborted (and the epoch bumped after).
        this.fail(b, err);
        return;
      } else if (code === ErrorCode.UNKNOWN_PRODUCER_ID || code === ErrorCode.INVALID_PRODUCER_EPOCH) {
        this.requestEpochBump();
        retriable = true;
      }
    }
    if (code >= 0 && errorInfo(code).invalidMetadata) {
      this.cluster.invalidate(b.topic);
      this.host.refreshTopic(b.topic);
    }
    if (!retriable || b.attempts > this.cfg.retries || now - b.createdMs >= this.cfg.deliveryTimeoutMs || pb === undefined || this.stopped) {
      if (retriable && now - b.createdMs >= this.cfg.deliveryTimeoutMs) {
        err = new TimeoutError(`Expiring ${b.recordCount} record(s) for ${b.topic}-${b.partition}: ${now - b.createdMs} ms has passed since batch creation (last error: ${err.message})`, { cause: err });
      }
      this.fail(b, err);
      return;
    }
    // A batch stamped under an older producer id/epoch gets a fresh sequence when resent.
    if (b.producerId !== this.producerId || b.producerEpoch !== this.producerEpoch) b.baseSequence = -1;
    b.retryAtMs = now + this.backoffMs(b.attempts);
    this.acc.reenqueue(pb, b);
    this.wakeAt(b.retryAtMs);
  }

  private requestEpochBump(): void {
    if (!this.idempotent || this.bumpPending) return;
    this.bumpPending = true;
    this.wakeup();
  }

  private initProducerId(): void {
    this.initializing = true;
    const bump = this.bumpPending && this.producerId >= 0n;
    const run = async (): Promise<void> => {
      const conn = await this.cluster.anyConnection();
      if (!conn.supports(InitProducerIdApi)) throw KafkaError.from(ErrorCode.UNSUPPORTED_VERSION, `broker ${conn.label} has no InitProducerId: idempotence needs it`);
      const version = conn.versionFor(InitProducerIdApi);
      const request = bump && version >= 3
        ? { transactionalId: null, transactionTimeoutMs: -1, producerId: this.producerId, producerEpoch: this.producerEpoch }
        : { transactionalId: null, transactionTimeoutMs: -1, producerId: -1n, producerEpoch: -1 };
      const res = await conn.send(InitProducerIdApi, request, { version });
      if (res.errorCode !== ErrorCode.NONE) throw KafkaError.from(res.errorCode, 'InitProducerId');
      this.setIdentity(res.producerId, res.producerEpoch);
      this.bumpPending = false;
    };
    run().then(
      () => {
        this.initializing = false;
        this.wakeup();
      },
      (err: unknown) => {
        this.initializing = false;
        const e = err as Error & { retriable?: boolean };
        if (e.retriable === false) {
          // Nothing can be sent idempotently: fail what is queued.
          for (const pb of [...this.acc.active]) while (pb.batches.length > 0) this.fail(pb.batches.shift()!, e);
        }
        this.initBackoffUntil = Date.now() + this.backoffMs(2);
        this.wakeAt(this.initBackoffUntil);
      },
    );
  }

  /** A new producer id/epoch: sequences restart at 0; queued batches get new ones when sent. */
  setIdentity(producerId: bigint, epoch: number): void {
    this.producerId = producerId;
    this.producerEpoch = epoch;
    for (const pb of this.acc.allPartitions()) {
      pb.nextSequence = 0;
      for (const b of pb.batches) b.baseSequence = -1;
    }
    this.wakeup();
  }

  /** Fails every batch not yet sent (a transaction that cannot go on). */
  failQueued(err: Error): void {
    for (const pb of [...this.acc.allPartitions()]) while (pb.batches.length > 0) this.fail(pb.batches.shift()!, err);
  }

  /** Fails every queued and in-flight batch (close() that timed out). */
  abortAll(err: Error): void {
    for (const pb of [...this.acc.allPartitions()]) {
      while (pb.batches.length > 0) this.fail(pb.batches.shift()!, err);
      while (pb.inFlight.length > 0) this.fail(pb.inFlight[0]!, err);
    }
  }
}

interface ProduceContext {
  sender: Sender;
  sink: Sink;
  sent: ProducerBatch[];
}

function onProduceDone(ctx: ProduceContext, err: Error | null, res: ProduceResponse | undefined): void {
  ctx.sender.produceDone(ctx.sink, ctx.sent, err, res);
}

function runDrain(s: Sender): void {
  s.scheduledDrain();
}

function onTimer(s: Sender): void {
  s.timerFired();
}
