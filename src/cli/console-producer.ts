/**
 * The console producer's engine: a small record accumulator and sender for one
 * topic, until the client's real producer (RecordAccumulator + Sender) exists.
 *
 * Placement is the Java client's: a keyed record goes to
 * toPositive(murmur2(key)) % partitions; unkeyed records stick to one partition
 * until its batch is full (batch.size bytes), then move to another at random.
 * Each partition has one open batch; full or lingered batches are sent grouped by
 * leader (one ProduceRequest per broker, one batch per partition). Retriable errors
 * refresh the metadata and resend, up to `retries` times; the first error that
 * cannot be retried is kept and reported by flush().
 *
 * Limits: at most maxBufferedBytes (buffer.memory) of records are held; `send`
 * waits when above it.
 */
import { ErrorCode, KafkaError, errorInfo } from '../protocol/errors/index.ts';
import { InitProducerIdApi, ProduceApi } from '../protocol/generated/api-keys.ts';
import type { ProduceResponse } from '../protocol/generated/produce-response.ts';
import { defaultPartition } from '../protocol/murmur2.ts';
import { buildRecordBatchAsync } from '../protocol/records/batch-builder.ts';
import type { RecordHeaderInput, RecordInput } from '../protocol/records/record.ts';
import type { CompressionCodec } from '../protocol/compression/codec.ts';
import type { Cluster } from '../client/network/cluster.ts';
import { ConnectionError } from '../client/network/errors.ts';

export interface ProducerRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeaderInput[];
}

export interface ConsoleProducerOptions {
  topic: string;
  /** -1 (all), 0, 1. */
  acks: number;
  compression: CompressionCodec;
  /** batch.size */
  batchSize: number;
  /** linger.ms */
  lingerMs: number;
  /** request.timeout.ms, also the broker-side timeoutMs of acks=-1 produces. */
  requestTimeoutMs: number;
  retries: number;
  retryBackoffMs: number;
  /** buffer.memory */
  maxBufferedBytes: number;
  /**
   * enable.idempotence: a producer id from InitProducerId and a sequence per
   * partition, so a retried batch is written once. Needs acks=-1; ignored (off)
   * when the broker has no InitProducerId.
   */
  idempotent: boolean;
  /** Called once per failed record batch. */
  onError?: (err: Error, partition: number, records: number) => void;
}

interface OpenBatch {
  partition: number;
  records: RecordInput[];
  bytes: number;
  baseTimestamp: number;
  createdAt: number;
}

const RECORD_OVERHEAD = 24;

export class ConsoleProducer {
  private readonly cluster: Cluster;
  private readonly o: ConsoleProducerOptions;
  private partitions = 0;
  private readonly open = new Map<number, OpenBatch>();
  private stickyPartition = -1;
  private buffered = 0;
  private inFlight = new Set<Promise<void>>();
  private lingerTimer: NodeJS.Timeout | null = null;
  private waiters: (() => void)[] = [];
  private producerId = -1n;
  private producerEpoch = -1;
  private readonly sequences = new Map<number, number>();
  firstError: Error | null = null;
  acked = 0;
  failed = 0;

  constructor(cluster: Cluster, options: ConsoleProducerOptions) {
    this.cluster = cluster;
    this.o = options;
  }

  /** Fetches the topic's metadata (creating it if the broker auto-creates topics). */
  async init(maxBlockMs = 60_000): Promise<void> {
    // A topic just auto-created may have no leader yet (LEADER_NOT_AVAILABLE): wait
    // for it up to max.block.ms, as the Java producer does. An unknown topic fails at once.
    const deadline = Date.now() + maxBlockMs;
    for (;;) {
      try {
        const t = await this.cluster.topic(this.o.topic, { allowAutoTopicCreation: true });
        this.partitions = t.partitions.length;
        if (this.partitions === 0) throw KafkaError.from(ErrorCode.LEADER_NOT_AVAILABLE, `topic ${this.o.topic} has no partitions`);
        break;
      } catch (err) {
        const waitable = err instanceof KafkaError && (err.code === ErrorCode.LEADER_NOT_AVAILABLE || err.code === ErrorCode.REQUEST_TIMED_OUT);
        if (!waitable || Date.now() + this.o.retryBackoffMs > deadline) throw err;
        this.cluster.invalidate(this.o.topic);
        await new Promise((r) => setTimeout(r, this.o.retryBackoffMs));
      }
    }
    if (this.o.idempotent && this.o.acks === -1) {
      const conn = await this.cluster.anyConnection();
      if (conn.supports(InitProducerIdApi)) {
        const res = await conn.send(InitProducerIdApi, { transactionalId: null, transactionTimeoutMs: -1, producerId: -1n, producerEpoch: -1 });
        if (res.errorCode !== ErrorCode.NONE) throw KafkaError.from(res.errorCode, 'InitProducerId');
        this.producerId = res.producerId;
        this.producerEpoch = res.producerEpoch;
      }
    }
  }

  /** Whether records carry a producer id and sequences (enable.idempotence took effect). */
  get idempotent(): boolean {
    return this.producerId >= 0n;
  }

  /** Appends a record; resolves once it is buffered (waiting while buffer.memory is full). */
  async send(record: ProducerRecord): Promise<void> {
    while (this.buffered >= this.o.maxBufferedBytes) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const partition = record.key !== null ? defaultPartition(record.key, this.partitions) : this.sticky();
    const size = RECORD_OVERHEAD + (record.key?.length ?? 0) + (record.value?.length ?? 0) + (record.headers?.reduce((n, h) => n + h.key.length + (h.value?.length ?? 0) + 4, 0) ?? 0);
    const now = Date.now();
    let batch = this.open.get(partition);
    if (batch && batch.bytes + size > this.o.batchSize && batch.records.length > 0) {
      this.seal(batch);
      batch = undefined;
    }
    if (!batch) {
      batch = { partition, records: [], bytes: 0, baseTimestamp: now, createdAt: now };
      this.open.set(partition, batch);
    }
    batch.records.push({ key: record.key, value: record.value, headers: record.headers ?? [], timestampDelta: now - batch.baseTimestamp });
    batch.bytes += size;
    this.buffered += size;
    if (batch.bytes >= this.o.batchSize) this.seal(batch);
    else this.armLinger();
  }

  private sticky(): number {
    if (this.stickyPartition < 0) this.stickyPartition = Math.floor(Math.random() * this.partitions);
    return this.stickyPartition;
  }

  private armLinger(): void {
    if (this.lingerTimer !== null) return;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = null;
      for (const b of [...this.open.values()]) this.seal(b);
    }, this.o.lingerMs);
  }

  /** Closes a partition's open batch and sends it. */
  private seal(batch: OpenBatch): void {
    this.open.delete(batch.partition);
    if (batch.partition === this.stickyPartition && this.partitions > 1) {
      let next = this.stickyPartition;
      while (next === this.stickyPartition) next = Math.floor(Math.random() * this.partitions);
      this.stickyPartition = next;
    }
    // Batches build (compress) concurrently but go out one at a time per partition, in order.
    const previous = this.lastSend.get(batch.partition);
    const p = this.sendBatch(batch, previous).finally(() => {
      if (this.lastSend.get(batch.partition) === p) this.lastSend.delete(batch.partition);
      this.inFlight.delete(p);
      this.buffered -= batch.bytes;
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    });
    this.inFlight.add(p);
    this.lastSend.set(batch.partition, p);
  }

  private readonly lastSend = new Map<number, Promise<void>>();

  private async sendBatch(batch: OpenBatch, previous: Promise<void> | undefined): Promise<void> {
    let bytes: Buffer;
    try {
      // Sequences are taken in seal order, which is send order per partition.
      let idempotence = {};
      if (this.producerId >= 0n) {
        const baseSequence = this.sequences.get(batch.partition) ?? 0;
        this.sequences.set(batch.partition, (baseSequence + batch.records.length) % 0x80000000);
        idempotence = { producerId: this.producerId, producerEpoch: this.producerEpoch, baseSequence };
      }
      const built = buildRecordBatchAsync(batch.records, { baseTimestamp: batch.baseTimestamp, compression: this.o.compression, ...idempotence });
      if (previous) {
        built.catch(() => {}); // observed below; not an unhandled rejection meanwhile
        await previous;
      }
      bytes = await built;
    } catch (err) {
      this.fail(err as Error, batch);
      return;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const code = await this.produceOnce(batch.partition, bytes);
        // A retry of a batch the broker already wrote: it answers DUPLICATE_SEQUENCE_NUMBER.
        if (code === ErrorCode.NONE || (code === ErrorCode.DUPLICATE_SEQUENCE_NUMBER && this.producerId >= 0n)) {
          this.acked += batch.records.length;
          return;
        }
        const info = errorInfo(code);
        if (info.invalidMetadata) this.cluster.invalidate(this.o.topic);
        if (!info.retriable || attempt >= this.o.retries) {
          this.fail(KafkaError.from(code, `${this.o.topic}-${batch.partition}`), batch);
          return;
        }
      } catch (err) {
        const retriable = (err instanceof ConnectionError || err instanceof KafkaError) && err.retriable;
        if (err instanceof KafkaError && err.invalidMetadata) this.cluster.invalidate(this.o.topic);
        if (!retriable || attempt >= this.o.retries) {
          this.fail(err as Error, batch);
          return;
        }
      }
      await new Promise((r) => setTimeout(r, this.o.retryBackoffMs));
    }
  }

  /** One produce of one batch; resolves with the partition's error code. */
  private async produceOnce(partition: number, records: Buffer): Promise<number> {
    const conn = await this.cluster.leaderConnection(this.o.topic, partition);
    const request = {
      acks: this.o.acks,
      timeoutMs: this.o.requestTimeoutMs,
      topicData: [{ name: this.o.topic, partitionData: [{ index: partition, records }] }],
    };
    if (this.o.acks === 0) {
      await conn.sendNoResponse(ProduceApi, request);
      return ErrorCode.NONE;
    }
    const res: ProduceResponse = await conn.send(ProduceApi, request);
    const pr = res.responses.find((t) => t.name === this.o.topic)?.partitionResponses.find((x) => x.index === partition);
    if (!pr) throw KafkaError.from(ErrorCode.UNKNOWN_SERVER_ERROR, `no response for ${this.o.topic}-${partition}`);
    if (pr.errorCode !== ErrorCode.NONE && pr.errorMessage) this.lastErrorMessage = pr.errorMessage;
    return pr.errorCode;
  }

  private lastErrorMessage: string | null = null;

  private fail(err: Error, batch: OpenBatch): void {
    if (err instanceof KafkaError && this.lastErrorMessage) {
      err.message += `: ${this.lastErrorMessage}`;
      this.lastErrorMessage = null;
    }
    this.failed += batch.records.length;
    this.firstError ??= err;
    this.o.onError?.(err, batch.partition, batch.records.length);
  }

  /** Sends every open batch and waits for every answer. */
  async flush(): Promise<void> {
    if (this.lingerTimer !== null) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
    for (const b of [...this.open.values()]) this.seal(b);
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}
