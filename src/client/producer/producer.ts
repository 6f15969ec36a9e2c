/**
 * Producer: Kafka's KafkaProducer for Node.js — same config names, same semantics.
 *
 *   const producer = new Producer<string, object>({
 *     'bootstrap.servers': 'localhost:9092',
 *     'key.serializer': StringSerializer,
 *     'value.serializer': JsonSerializer,
 *   });
 *   producer.send({ topic: 'orders', key: 'k', value: { n: 1 } });          // fire and forget
 *   const md = await producer.send({ topic: 'orders', value: { n: 2 } });  // RecordMetadata
 *   producer.send({ topic: 'orders', value: { n: 3 } }, (err, md) => {});  // callback
 *   await producer.flush();
 *   await producer.close();
 *
 * send() never blocks the event loop: where Java's send() blocks (metadata for a
 * new topic, buffer.memory full) the record waits in order, up to max.block.ms,
 * then fails with TimeoutError. It returns a SendFuture, a thenable that makes no
 * promise unless awaited. A failure nobody listens to (no callback, not awaited)
 * is emitted as 'error' (err, { topic, partition, records }).
 *
 * Path of a record: interceptors' onSend → serializers → partition (record's, the
 * partitioner's, murmur2 of the key, or the sticky partition) → encoded into the
 * partition's open batch (RecordAccumulator) → drained by the Sender into one
 * Produce request per broker → acknowledged → callbacks, promises and interceptors'
 * onAcknowledgement.
 */
import { EventEmitter } from 'node:events';
import { Cluster } from '../network/cluster.ts';
import type { PartitionInfo } from '../network/cluster.ts';
import { KafkaError, ErrorCode } from '../../protocol/errors/index.ts';
import { BATCH_HEADER_SIZE } from '../../protocol/records/batch-header.ts';
import { RecordAccumulator, TopicBuffer } from './accumulator.ts';
import { resolveProducerConfig } from './config.ts';
import type { ProducerConfig, ResolvedProducerConfig } from './config.ts';
import { IllegalStateError, ProducerClosedError, TransactionAbortedError, RecordTooLargeError, SerializationError, TimeoutError } from './errors.ts';
import { murmur2Partition, StickyPartitions } from './partitioners.ts';
import type { Partitioner, PartitionerCluster } from './partitioners.ts';
import { ProducerBatch, SendFuture, recordSizeUpperBound } from './producer-batch.ts';
import type { FutureSettler } from './producer-batch.ts';
import type { ProducerHeader, ProducerRecord, RecordMetadata, SendCallback } from './producer-record.ts';
import { Sender } from './sender.ts';
import type { SenderHost } from './sender.ts';
import type { Bytes } from './serializers.ts';
import { TransactionManager } from './transaction-manager.ts';
import type { ConsumerGroupMetadata, TransactionHost } from './transaction-manager.ts';
import type { TopicPartitionOffset } from '../consumer/types.ts';

/** A record waiting for its topic's metadata or for buffer memory. */
interface PendingRecord<K, V> {
  topic: string;
  partition: number;
  key: K | undefined;
  value: V;
  keyBytes: Uint8Array | null;
  valueBytes: Uint8Array | null;
  headers: ProducerHeader[] | undefined;
  timestamp: number;
  size: number;
  future: SendFuture;
  deadline: number;
}

export interface ProducerErrorInfo {
  topic: string;
  partition: number;
  /** Records of the failed batch that nobody was listening for. */
  records: number;
}

export interface CloseOptions {
  /** Wait at most this long for buffered records; then fail them. Default: no limit (Java's close()). */
  timeoutMs?: number;
}

function toMs(ts: number | bigint | Date | undefined, now: number): number {
  if (ts === undefined || ts === null) return now;
  if (typeof ts === 'number') {
    if (!Number.isSafeInteger(ts) || ts < 0) throw new RangeError(`Invalid timestamp: ${ts}. Timestamp should always be non-negative or null.`);
    return ts;
  }
  if (typeof ts === 'bigint') return toMs(Number(ts), now);
  return toMs(ts.getTime(), now);
}

export class Producer<K = Bytes, V = Bytes> extends EventEmitter implements SenderHost, FutureSettler {
  readonly config: ResolvedProducerConfig<K, V>;
  private readonly cluster: Cluster;
  private readonly accumulator: RecordAccumulator;
  private readonly sender: Sender;
  private readonly sticky: StickyPartitions;
  private readonly partitioner: Partitioner<K, V> | null;
  private readonly ignoreKeys: boolean;
  private readonly hasInterceptors: boolean;
  private readonly metadataWaits = new Map<string, PendingRecord<K, V>[]>();
  private readonly refreshing = new Set<string>();
  private blocked: PendingRecord<K, V>[] = [];
  private blockedHead = 0;
  private blockedTimer: NodeJS.Timeout | null = null;
  private pendingRecords = 0;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private closePromise: Promise<void> | null = null;
  private warnedUnobserved = false;
  private readonly partitionerCluster: PartitionerCluster;
  /** The transactional producer's state machine (null without transactional.id). */
  private readonly txn: TransactionManager | null = null;

  constructor(config: ProducerConfig<K, V>) {
    super();
    this.config = resolveProducerConfig(config, (msg) => process.emitWarning(msg, 'SamsaProducerConfig'));
    const c = this.config;
    this.cluster = new Cluster({
      bootstrapServers: c.bootstrapServers,
      clientId: c.clientId,
      requestTimeoutMs: c.requestTimeoutMs,
      connectTimeoutMs: c.connectTimeoutMs,
      maxInFlight: c.maxInFlight + 1,
      metadataMaxAgeMs: c.metadataMaxAgeMs,
      busyPollUs: c.busyPollUs,
    });
    this.accumulator = new RecordAccumulator(c.batchSize, c.bufferMemory, c.maxRequestSize);
    this.sender = new Sender(c as ResolvedProducerConfig<unknown, unknown>, this.cluster, this.accumulator, this);
    this.sticky = new StickyPartitions(c.batchSize);
    this.partitioner = c.partitioner.kind === 'custom' ? c.partitioner.partitioner : null;
    this.ignoreKeys = c.partitioner.kind === 'default' && c.partitioner.ignoreKeys;
    this.hasInterceptors = c.interceptors.length > 0;
    const topics = this.accumulator.topics;
    this.partitionerCluster = {
      partitionCountForTopic: (t) => topics.get(t)?.numPartitions ?? 0,
      availablePartitionsForTopic: (t) => topics.get(t)?.available ?? [],
    };
    if (c.transactionalId !== null) {
      const sender = this.sender;
      const host: TransactionHost = {
        get producerId() {
          return sender.producerId;
        },
        get producerEpoch() {
          return sender.producerEpoch;
        },
        setIdentity: (id, epoch) => sender.setIdentity(id, epoch),
        flush: () => this.flush(),
        abortUndrained: (err) => this.abortUndrained(err),
        idle: () => this.idle(),
        wakeup: () => sender.wakeup(),
      };
      this.txn = new TransactionManager(c as ResolvedProducerConfig<unknown, unknown>, this.cluster, host);
      sender.txn = this.txn;
    }
  }

  // --- transactions ----------------------------------------------------------

  private requireTxn(method: string): TransactionManager {
    if (this.txn === null) throw new IllegalStateError(`Cannot use transactional methods without enabling transactions by setting the transactional.id configuration property (${method})`);
    if (this.closed) throw new ProducerClosedError();
    return this.txn;
  }

  /**
   * Registers the transactional.id with its coordinator, fencing older producers
   * with the same id and completing (aborting) what they left open. Once per
   * producer, before the first transaction. Waits up to max.block.ms (or
   * `timeoutMs`); after a TimeoutError the call may be repeated.
   */
  async initTransactions(timeoutMs?: number): Promise<void> {
    await this.requireTxn('initTransactions').initTransactions(timeoutMs);
  }

  /** Starts a transaction: records sent from now on belong to it until commit or abort. */
  beginTransaction(): void {
    this.requireTxn('beginTransaction').beginTransaction();
  }

  /**
   * Adds consumed offsets to the transaction (consume-transform-produce): they are
   * committed to the group when the transaction commits, and never if it aborts.
   * `group` is the consumer's groupMetadata() (checked against the group's
   * generation by the coordinator) or a group id.
   */
  async sendOffsetsToTransaction(offsets: readonly TopicPartitionOffset[], group: ConsumerGroupMetadata | string, timeoutMs?: number): Promise<void> {
    await this.requireTxn('sendOffsetsToTransaction').sendOffsetsToTransaction(offsets, group, timeoutMs);
  }

  /**
   * Sends every record of the transaction, then commits it. If a record failed,
   * rejects with a TransactionError (abortable): call abortTransaction().
   */
  async commitTransaction(timeoutMs?: number): Promise<void> {
    await this.requireTxn('commitTransaction').commitTransaction(timeoutMs);
  }

  /** Drops records not yet sent, waits for those in flight, and aborts the transaction. */
  async abortTransaction(timeoutMs?: number): Promise<void> {
    await this.requireTxn('abortTransaction').abortTransaction(timeoutMs);
  }

  /** The transaction state (UNINITIALIZED, READY, IN_TRANSACTION, …), or null without transactional.id. */
  get transactionState(): string | null {
    return this.txn?.state ?? null;
  }

  /** Fails queued batches and records still waiting for metadata or memory. */
  private abortUndrained(err: Error): void {
    this.sender.failQueued(err);
    for (const [, list] of this.metadataWaits) {
      for (const p of list) {
        this.pendingRecords--;
        this.failEarly(p.future, err);
      }
      list.length = 0;
    }
    while (this.blockedHead < this.blocked.length) {
      this.pendingRecords--;
      this.failEarly(this.blocked[this.blockedHead++]!.future, err);
    }
    this.compactBlocked();
    this.checkIdle();
  }

  /** Whether records carry a producer id and sequences (enable.idempotence in effect). */
  get idempotent(): boolean {
    return this.config.idempotence;
  }

  /** The producer id and epoch from InitProducerId (-1n/-1 before the first send, or without idempotence). */
  get producerIdAndEpoch(): { producerId: bigint; epoch: number } {
    return { producerId: this.sender.producerId, epoch: this.sender.producerEpoch };
  }

  /**
   * Sends a record. Returns at once; the returned SendFuture resolves with the
   * record's RecordMetadata (or rejects), and `callback`, if given, is called
   * with (null, metadata) or (error, null). Throws synchronously only for a
   * closed producer or a serializer error, as Java's send() does.
   */
  send(record: ProducerRecord<K, V>, callback?: SendCallback): SendFuture {
    if (this.closed) throw new ProducerClosedError();
    if (this.txn !== null) this.txn.checkSend();
    if (this.hasInterceptors) {
      for (const i of this.config.interceptors) {
        if (i.onSend === undefined) continue;
        try {
          const r = i.onSend(record);
          if (r !== undefined && r !== null) record = r;
        } catch {
          // Kafka's ProducerInterceptors logs and carries on with the record as it was.
        }
      }
    }
    const topic = record.topic;
    if (typeof topic !== 'string' || topic === '') throw new TypeError('ProducerRecord.topic must be a non-empty string');
    const headers = record.headers;
    if (headers !== undefined && headers !== null) {
      if (!Array.isArray(headers)) throw new TypeError('ProducerRecord.headers must be an array of { key, value }');
      for (const h of headers) {
        if (h === null || typeof h !== 'object' || typeof h.key !== 'string') throw new TypeError('a record header needs a string key');
        const v = h.value;
        if (v !== null && typeof v !== 'string' && !(v instanceof Uint8Array)) throw new TypeError(`header ${h.key}: value must be bytes, a string or null`);
      }
    }
    let keyBytes: Uint8Array | null;
    let valueBytes: Uint8Array | null;
    try {
      keyBytes = this.config.keySerializer.serialize(topic, record.key as K, headers);
    } catch (err) {
      throw new SerializationError(`Can't serialize key of record to topic ${topic}: ${(err as Error).message}`, { cause: err });
    }
    try {
      valueBytes = this.config.valueSerializer.serialize(topic, record.value, headers);
    } catch (err) {
      throw new SerializationError(`Can't serialize value of record to topic ${topic}: ${(err as Error).message}`, { cause: err });
    }
    if (keyBytes === undefined) keyBytes = null;
    if (valueBytes === undefined) valueBytes = null;
    if (keyBytes !== null && !(keyBytes instanceof Uint8Array)) throw new SerializationError(`key.serializer returned ${typeof keyBytes}, not bytes`);
    if (valueBytes !== null && !(valueBytes instanceof Uint8Array)) throw new SerializationError(`value.serializer returned ${typeof valueBytes}, not bytes`);
    const now = Date.now();
    const timestamp = toMs(record.timestamp, now);
    const cb = callback ?? null;
    const future = new SendFuture(this, topic, timestamp, keyBytes === null ? -1 : keyBytes.length, valueBytes === null ? -1 : valueBytes.length, cb, cb !== null || this.hasInterceptors);
    const size = recordSizeUpperBound(keyBytes, valueBytes, headers);
    if (size + BATCH_HEADER_SIZE > this.config.maxRequestSize) {
      this.failEarly(future, new RecordTooLargeError(`The message is ${size + BATCH_HEADER_SIZE} bytes when serialized which is larger than ${this.config.maxRequestSize}, which is the value of the max.request.size configuration.`, size + BATCH_HEADER_SIZE));
      return future;
    }
    if (size + BATCH_HEADER_SIZE > this.config.bufferMemory) {
      this.failEarly(future, new RecordTooLargeError(`The message is ${size + BATCH_HEADER_SIZE} bytes when serialized which is larger than the total memory buffer you have configured with the buffer.memory configuration.`, size + BATCH_HEADER_SIZE));
      return future;
    }
    const partition = record.partition ?? -1;
    if (partition !== -1 && (!Number.isInteger(partition) || partition < 0)) {
      this.failEarly(future, new RangeError(`Invalid partition given with record: ${partition} is not a partition number`));
      return future;
    }
    const t = this.accumulator.topics.get(topic);
    if (t !== undefined && this.blockedHead >= this.blocked.length && this.appendRecord(topic, partition, record.key, record.value, keyBytes, valueBytes, headers, timestamp, size, future, t, now)) return future;
    const p: PendingRecord<K, V> = { topic, partition, key: record.key, value: record.value, keyBytes, valueBytes, headers, timestamp, size, future, deadline: now + this.config.maxBlockMs };
    if (t === undefined) this.waitForTopic(p);
    else this.block(p);
    return future;
  }

  /** Places and appends a record; false when buffer.memory has no room for a new batch. */
  private appendNow(p: PendingRecord<K, V>, t: TopicBuffer, now: number): boolean {
    return this.appendRecord(p.topic, p.partition, p.key, p.value, p.keyBytes, p.valueBytes, p.headers, p.timestamp, p.size, p.future, t, now);
  }

  /** appendNow() with the record's fields as arguments (send()'s fast path allocates no PendingRecord). */
  private appendRecord(topic: string, partition: number, key: K | undefined, value: V, keyBytes: Uint8Array | null, valueBytes: Uint8Array | null, headers: ProducerHeader[] | undefined, timestamp: number, size: number, future: SendFuture, t: TopicBuffer, now: number): boolean {
    let sticky = false;
    const n = t.numPartitions;
    if (partition >= 0) {
      if (partition >= n) {
        this.failEarly(future, KafkaError.from(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Invalid partition given with record: ${partition} is not in the range [0...${n}]`));
        return true;
      }
    } else if (this.partitioner !== null) {
      try {
        partition = this.partitioner.partition(topic, key, keyBytes, value, valueBytes, this.partitionerCluster);
      } catch (err) {
        this.failEarly(future, err as Error);
        return true;
      }
      if (!Number.isInteger(partition) || partition < 0 || partition >= n) {
        this.failEarly(future, new RangeError(`partitioner.class returned partition ${partition} for topic ${topic}, which has ${n} partitions`));
        return true;
      }
    } else if (keyBytes !== null && !this.ignoreKeys) {
      partition = murmur2Partition(keyBytes, n);
    } else {
      sticky = true;
      partition = this.sticky.partition(topic, n, t.available);
    }
    const pb = t.partitions[partition]!;
    const txn = this.txn;
    if (txn !== null) {
      const e = txn.appendError();
      if (e !== null) {
        this.failEarly(future, e);
        return true;
      }
    }
    const r = this.accumulator.append(pb, now, timestamp, keyBytes, valueBytes, headers, size);
    if (r === null) return false;
    const batch = r.batch;
    future.batch = batch;
    future.index = batch.recordCount - 1;
    future.partition = partition;
    if (future.listening) batch.listen(future);
    if (txn !== null) txn.maybeAddPartition(pb);
    if (sticky) this.sticky.appended(topic, partition, r.bytes, n, t.available);
    // Full: a batch with less room left than this record took is sent as is.
    if (batch.limit - batch.pos < r.bytes) batch.closed = true;
    if (this.config.lingerMs === 0) this.sender.wakeupNow();
    else if (batch.closed || r.closedPrevious || this.sender.flushing > 0) this.sender.wakeup();
    else if (r.newBatch) this.sender.wakeAt(now + this.config.lingerMs);
    return true;
  }

  private failEarly(future: SendFuture, err: Error): void {
    future.earlyError = err;
    if (future.listening) {
      future.resolveNow();
      return;
    }
    // Failed inside send(): the caller may still attach (await, .catch) this turn.
    setImmediate(() => {
      if (!future.listening) this.unobservedError(err, future.topic, future.partition, 1);
    });
  }

  // --- waiting for metadata ------------------------------------------------

  private waitForTopic(p: PendingRecord<K, V>): void {
    this.pendingRecords++;
    let list = this.metadataWaits.get(p.topic);
    if (list !== undefined) {
      list.push(p);
      return;
    }
    list = [p];
    this.metadataWaits.set(p.topic, list);
    void this.fetchTopicFor(p.topic, list);
  }

  private async fetchTopicFor(topic: string, list: PendingRecord<K, V>[]): Promise<void> {
    for (;;) {
      let error: Error | null = null;
      try {
        const info = await this.cluster.topic(topic, { allowAutoTopicCreation: true });
        if (info.partitions.length > 0 && !this.closedHard) {
          let t = this.accumulator.topics.get(topic);
          if (t === undefined) {
            t = new TopicBuffer(topic);
            this.accumulator.topics.set(topic, t);
          }
          t.update(info);
          this.metadataWaits.delete(topic);
          const now = Date.now();
          for (const p of list) {
            this.pendingRecords--;
            if (this.blockedHead < this.blocked.length || !this.appendNow(p, t, now)) this.block(p);
          }
          this.checkIdle();
          return;
        }
      } catch (err) {
        error = err as Error;
      }
      const fatal = this.closedHard || (error !== null && (error as { retriable?: boolean }).retriable === false);
      const now = Date.now();
      // Records past max.block.ms fail (Java: "Topic X not present in metadata after N ms").
      let kept = 0;
      for (const p of list) {
        if (fatal || p.deadline <= now) {
          this.pendingRecords--;
          this.failEarly(p.future, fatal && error !== null ? error : this.closedHard ? new ProducerClosedError() : new TimeoutError(`Topic ${topic} not present in metadata after ${this.config.maxBlockMs} ms.`, { cause: error ?? undefined }));
        } else {
          list[kept++] = p;
        }
      }
      list.length = kept;
      if (kept === 0) {
        this.metadataWaits.delete(topic);
        this.checkIdle();
        return;
      }
      this.cluster.invalidate(topic);
      const wait = Math.max(0, Math.min(this.config.retryBackoffMs, list[0]!.deadline - now));
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** SenderHost: fetches a topic's metadata again (deduplicated), then wakes the sender. */
  refreshTopic(topic: string): void {
    if (this.refreshing.has(topic) || this.closedHard) return;
    this.refreshing.add(topic);
    this.cluster.topic(topic, { allowAutoTopicCreation: true }).then(
      (info) => {
        this.refreshing.delete(topic);
        this.accumulator.topics.get(topic)?.update(info);
        this.sender.wakeup();
      },
      () => {
        setTimeout(() => {
          this.refreshing.delete(topic);
          this.sender.wakeup();
        }, this.config.retryBackoffMs).unref();
      },
    );
  }

  // --- waiting for memory --------------------------------------------------

  get memoryWaiters(): number {
    return this.blocked.length - this.blockedHead;
  }

  private block(p: PendingRecord<K, V>): void {
    this.pendingRecords++;
    this.blocked.push(p);
    if (this.blockedTimer === null) this.armBlockedTimer();
    this.sender.wakeup();
  }

  private armBlockedTimer(): void {
    if (this.blockedHead >= this.blocked.length) return;
    const head = this.blocked[this.blockedHead]!;
    this.blockedTimer = setTimeout(() => {
      this.blockedTimer = null;
      this.expireBlocked();
      this.armBlockedTimer();
    }, Math.max(0, head.deadline - Date.now()));
  }

  private expireBlocked(): void {
    const now = Date.now();
    while (this.blockedHead < this.blocked.length && this.blocked[this.blockedHead]!.deadline <= now) {
      const p = this.blocked[this.blockedHead++]!;
      this.pendingRecords--;
      this.failEarly(p.future, new TimeoutError(`Failed to allocate memory within the configured max blocking time ${this.config.maxBlockMs} ms.`));
    }
    this.compactBlocked();
    this.checkIdle();
  }

  private compactBlocked(): void {
    if (this.blockedHead === this.blocked.length) {
      this.blocked = [];
      this.blockedHead = 0;
      if (this.blockedTimer !== null) {
        clearTimeout(this.blockedTimer);
        this.blockedTimer = null;
      }
    } else if (this.blockedHead > 1024 && this.blockedHead * 2 > this.blocked.length) {
      this.blocked = this.blocked.slice(this.blockedHead);
      this.blockedHead = 0;
    }
  }

  private appendBlocked(): void {
    if (this.blockedHead >= this.blocked.length) return;
    const now = Date.now();
    while (this.blockedHead < this.blocked.length) {
      const p = this.blocked[this.blockedHead]!;
      if (p.deadline <= now) {
        this.blockedHead++;
        this.pendingRecords--;
        this.failEarly(p.future, new TimeoutError(`Failed to allocate memory within the configured max blocking time ${this.config.maxBlockMs} ms.`));
        continue;
      }
      if (!this.appendNow(p, this.accumulator.topics.get(p.topic)!, now)) break;
      this.blockedHead++;
      this.pendingRecords--;
    }
    this.compactBlocked();
  }

  // --- completion ----------------------------------------------------------

  /** SenderHost: a batch finished; settle what listens to it, free memory, wake flushers. */
  batchDone(batch: ProducerBatch): void {
    const waiting = batch.waiting;
    let observed = 0;
    if (waiting !== null) {
      observed = waiting.length;
      for (let i = 0; i < waiting.length; i++) waiting[i]!.resolveNow();
    }
    if (batch.error !== null && observed < batch.recordCount) this.unobservedError(batch.error, batch.topic, batch.partition, batch.recordCount - observed);
    this.appendBlocked();
    this.checkIdle();
  }

  /** FutureSettler: interceptors' onAcknowledgement and the callback, once per record. */
  settle(f: SendFuture): void {
    const err = f.error;
    if (this.hasInterceptors) {
      const md = f.metadata;
      for (const i of this.config.interceptors) {
        try {
          i.onAcknowledgement?.(md, err);
        } catch {
          // ignored, as Kafka's ProducerInterceptors does
        }
      }
    }
    const cb = f.callback;
    if (cb !== null) {
      try {
        if (err !== null) cb(err, null);
        else cb(null, f.metadata);
      } catch (e) {
        // A throwing callback must not break delivery of the others.
        process.nextTick(() => {
          throw e;
        });
      }
    }
  }

  private unobservedError(err: Error, topic: string, partition: number, records: number): void {
    if (this.listenerCount('error') > 0) {
      this.emit('error', err, { topic, partition, records } satisfies ProducerErrorInfo);
    } else if (!this.warnedUnobserved && !(err instanceof TransactionAbortedError)) {
      this.warnedUnobserved = true;
      process.emitWarning(`producer: ${records} record(s) to ${topic}-${partition} failed with nobody listening (add an 'error' listener, a callback, or await send()): ${err.message}`, 'SamsaProducerWarning');
    }
  }

  // --- flush and close -----------------------------------------------------

  private checkIdle(): void {
    if (this.idleWaiters.length === 0 || this.accumulator.incompleteRecords > 0 || this.pendingRecords > 0) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of w) resolve();
  }

  private idle(): Promise<void> {
    if (this.accumulator.incompleteRecords === 0 && this.pendingRecords === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Sends every buffered record now (ignoring linger.ms) and waits until each has completed. */
  async flush(): Promise<void> {
    this.sender.flushing++;
    this.sender.wakeup();
    try {
      await this.idle();
    } finally {
      this.sender.flushing--;
    }
  }

  private closedHard = false;

  /**
   * Stops accepting records, sends what is buffered and waits for it (at most
   * `timeoutMs`; then the rest fails with ProducerClosedError), then closes the
   * connections. Later calls return the same promise.
   */
  close(opts: CloseOptions = {}): Promise<void> {
    if (this.closePromise !== null) return this.closePromise;
    this.closed = true;
    this.closePromise = (async () => {
      const timeoutMs = opts.timeoutMs ?? Infinity;
      this.sender.flushing++;
      this.sender.wakeup();
      if (timeoutMs > 0) {
        let timer: NodeJS.Timeout | null = null;
        await Promise.race([
          this.idle(),
          timeoutMs === Infinity ? new Promise<never>(() => {}) : new Promise<void>((r) => (timer = setTimeout(r, timeoutMs))),
        ]);
        if (timer !== null) clearTimeout(timer);
      }
      this.closedHard = true;
      const err = new ProducerClosedError(timeoutMs === 0 ? 'Producer is closed forcefully.' : `Producer closed before the record was sent (close timeout ${timeoutMs} ms)`);
      this.sender.abortAll(err);
      for (const [, list] of this.metadataWaits) for (const p of list) this.failEarly(p.future, err);
      this.metadataWaits.clear();
      while (this.blockedHead < this.blocked.length) this.failEarly(this.blocked[this.blockedHead++]!.future, err);
      this.pendingRecords = 0;
      this.compactBlocked();
      this.sender.stop();
      this.cluster.close();
      for (const i of this.config.interceptors) i.close?.();
      this.partitioner?.close?.();
      this.checkIdle();
    })();
    return this.closePromise;
  }

  /** The topic's partitions (Java's partitionsFor), fetching metadata if needed. */
  async partitionsFor(topic: string): Promise<readonly PartitionInfo[]> {
    return (await this.cluster.topic(topic, { allowAutoTopicCreation: true })).partitions;
  }
}

export type { RecordMetadata };
