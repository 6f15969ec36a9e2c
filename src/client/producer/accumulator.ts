/**
 * RecordAccumulator: a record buffer per partition (franz-go's recBuf, Kafka's
 * per-partition deque), and the memory they may use (buffer.memory).
 *
 * Each PartitionBuffer holds, in order: batches waiting to be sent (the last one
 * open for appends while not closed), and — for ordering with idempotence — the
 * batches in flight, in sequence order. A batch that fails with a retriable error
 * goes back into `batches` at its place by creation order, so retries keep the
 * original order.
 *
 * Memory: every batch buffer is counted against buffer.memory from creation until
 * the batch completes. A batch starts small and grows (doubling) up to batch.size;
 * a partition whose last batch was large starts its next one at that size.
 * Buffers of the starting size are kept in a free list and reused (Kafka's
 * BufferPool); larger ones are left to the GC.
 */
import type { TopicInfo } from '../network/cluster.ts';
import { BATCH_HEADER_SIZE } from '../../protocol/records/batch-header.ts';
import { ProducerBatch } from './producer-batch.ts';
import type { ProducerHeader } from './producer-record.ts';

/** Removes `x` from `arr` (usually its head: shift() allocates nothing, splice() an array). */
export function removeFrom<T>(arr: T[], x: T): void {
  const i = arr.indexOf(x);
  if (i === 0) arr.shift();
  else if (i > 0) arr.splice(i, 1);
}

export class PartitionBuffer {
  readonly topic: string;
  readonly partition: number;
  /** Not yet sent (or sent and put back for a retry), oldest first. */
  readonly batches: ProducerBatch[] = [];
  /** Sent and unanswered, oldest first. */
  readonly inFlight: ProducerBatch[] = [];
  /** Next base sequence to hand out (idempotence). */
  nextSequence = 0;
  /** Listed in the accumulator's set of partitions with something to send. */
  active = false;
  /**
   * Bytes the partition's last batch held: its next batch starts with a buffer that
   * size (a busy partition's batches start at full size instead of growing, and
   * copying, again; a quiet one's stay small).
   */
  sizeHint = 0;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }
}

export class TopicBuffer {
  readonly name: string;
  numPartitions = 0;
  /** Partitions with a leader, from the last metadata seen. */
  available: number[] = [];
  partitions: PartitionBuffer[] = [];

  constructor(name: string) {
    this.name = name;
  }

  update(info: TopicInfo): void {
    const n = info.partitions.length;
    if (n > this.numPartitions) {
      for (let p = this.numPartitions; p < n; p++) this.partitions.push(new PartitionBuffer(this.name, p));
      this.numPartitions = n;
    }
    const available: number[] = [];
    for (const p of info.partitions) if (p.leader >= 0) available.push(p.partition);
    this.available = available;
  }
}

/** Where a record went (see RecordAccumulator.append). */
export interface AppendResult {
  batch: ProducerBatch;
  bytes: number;
  newBatch: boolean;
  closedPrevious: boolean;
}

export class RecordAccumulator {
  readonly topics = new Map<string, TopicBuffer>();
  /** Partitions with batches waiting to be sent. */
  readonly active = new Set<PartitionBuffer>();
  private readonly batchSize: number;
  /**
   * Batches start with a buffer of this size (batch.size up to 16 KiB) and double
   * up to batch.size while records keep coming: a large batch.size costs memory
   * only where batches actually fill.
   */
  private readonly chunkSize: number;
  private readonly totalMemory: number;
  private usedMemory = 0;
  /** Free buffers by size (batch sizes are the starting chunk size doubled, or batch.size). */
  private readonly free = new Map<number, Buffer[]>();
  private freeBytes = 0;
  /** Batches not yet completed (queued or in flight). */
  incompleteBatches = 0;
  /** Records appended and not yet completed. */
  incompleteRecords = 0;

  constructor(batchSize: number, bufferMemory: number, maxRequestSize = Infinity) {
    // A batch must fit in a request (with room for the request's own headers). As in
    // Java, a batch always takes its first record, whatever batch.size says (0: one
    // record per batch, unless a second fits in the first one's buffer).
    this.batchSize = Math.max(0, Math.min(batchSize, maxRequestSize - 1024));
    this.chunkSize = Math.min(this.batchSize, 16384);
    this.totalMemory = bufferMemory;
  }

  get bufferAvailableBytes(): number {
    return this.totalMemory - this.usedMemory;
  }

  /** The starting buffer size for a batch expected to hold `bytes`: the chunk size doubled (as grow() does), up to batch.size. */
  private startSize(bytes: number): number {
    let size = this.chunkSize;
    while (size < bytes && size < this.batchSize) size *= 2;
    return Math.min(size, this.batchSize);
  }

  /** A buffer of at least `size` bytes, or null when buffer.memory would be exceeded. */
  allocate(size: number): Buffer | null {
    const want = Math.max(size, this.chunkSize);
    if (this.usedMemory + want > this.totalMemory && this.usedMemory > 0) return null;
    this.usedMemory += want;
    const pooled = this.free.get(want)?.pop();
    if (pooled !== undefined) {
      this.freeBytes -= want;
      return pooled;
    }
    return Buffer.allocUnsafeSlow(want);
  }

  release(buf: Buffer): void {
    this.usedMemory -= buf.length;
    // Keep buffers of the sizes batches use (up to a quarter of buffer.memory) for reuse.
    if (buf.length > this.batchSize || this.freeBytes + buf.length > this.totalMemory / 4) return;
    let l = this.free.get(buf.length);
    if (l === undefined) {
      l = [];
      this.free.set(buf.length, l);
    }
    l.push(buf);
    this.freeBytes += buf.length;
  }

  /** Moves a batch to a buffer twice as large (up to its limit); false when memory is short. */
  private grow(batch: ProducerBatch, needed: number): boolean {
    const size = Math.min(batch.limit, Math.max(batch.buf.length * 2, batch.pos + needed));
    if (size <= batch.buf.length) return false;
    const next = this.allocate(size);
    if (next === null) return false;
    batch.buf.copy(next, 0, 0, batch.pos);
    this.release(batch.buf);
    batch.buf = next;
    return true;
  }

  /**
   * Appends to the partition's open batch, opening one if needed. Returns the batch
   * and the bytes written, or null when no memory is left for a new batch.
   */
  append(pb: PartitionBuffer, nowMs: number, timestamp: number, key: Uint8Array | null, value: Uint8Array | null, headers: ProducerHeader[] | undefined, sizeUpperBound: number): AppendResult | null {
    const batches = pb.batches;
    const last = batches.length > 0 ? batches[batches.length - 1]! : undefined;
    let closedPrevious = false;
    if (last !== undefined && !last.closed) {
      let bytes = last.tryAppend(timestamp, key, value, headers);
      if (bytes === 0 && last.buf.length < last.limit && this.grow(last, sizeUpperBound)) bytes = last.tryAppend(timestamp, key, value, headers);
      if (bytes > 0) {
        this.incompleteRecords++;
        return this.result(last, bytes, false, closedPrevious);
      }
      last.closed = true;
      closedPrevious = true;
      pb.sizeHint = last.pos;
    }
    const need = BATCH_HEADER_SIZE + sizeUpperBound;
    const start = this.startSize(pb.sizeHint);
    // The hinted size when memory allows, else just what the record needs.
    const buf = (start > need ? this.allocate(start) : null) ?? this.allocate(need);
    if (buf === null) return null;
    const batch = new ProducerBatch(pb.topic, pb.partition, buf, nowMs, timestamp, Math.max(this.batchSize, buf.length));
    const bytes = batch.tryAppend(timestamp, key, value, headers);
    batches.push(batch);
    this.incompleteBatches++;
    this.incompleteRecords++;
    if (!pb.active) {
      pb.active = true;
      this.active.add(pb);
    }
    return this.result(batch, bytes, true, closedPrevious);
  }

  /** append()'s answer: one object, reused (valid until the next append). */
  private readonly appended: AppendResult = { batch: null!, bytes: 0, newBatch: false, closedPrevious: false };

  private result(batch: ProducerBatch, bytes: number, newBatch: boolean, closedPrevious: boolean): AppendResult {
    const r = this.appended;
    r.batch = batch;
    r.bytes = bytes;
    r.newBatch = newBatch;
    r.closedPrevious = closedPrevious;
    return r;
  }

  /** A batch reached its end (success or failure): its memory goes back. */
  completed(batch: ProducerBatch): void {
    this.incompleteBatches--;
    this.incompleteRecords -= batch.recordCount;
    this.release(batch.buf);
  }

  /** Puts a batch back for a retry, before every batch created after it. */
  reenqueue(pb: PartitionBuffer, batch: ProducerBatch): void {
    removeFrom(pb.inFlight, batch);
    const batches = pb.batches;
    let at = 0;
    while (at < batches.length && batches[at]!.id < batch.id) at++;
    batches.splice(at, 0, batch);
    if (!pb.active) {
      pb.active = true;
      this.active.add(pb);
    }
  }

  *allPartitions(): Generator<PartitionBuffer> {
    for (const t of this.topics.values()) yield* t.partitions;
  }
}
