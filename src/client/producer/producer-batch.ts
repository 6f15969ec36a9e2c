/**
 * ProducerBatch: one partition's records on their way to the broker, encoded
 * straight into the bytes that go on the wire (Kafka's ProducerBatch +
 * MemoryRecordsBuilder).
 *
 * Layout of `buf` while open: bytes [0, 61) are left for the magic-2 batch header;
 * records follow, each written once, in its final form, as it is appended (no
 * intermediate record objects). seal() finishes the batch: compresses the records
 * when a codec is set and fills the header except producer id, epoch, base
 * sequence and CRC; stamp() writes those (the sender assigns sequences when it
 * drains the batch, and again after an epoch bump) and the CRC.
 *
 * Per record only what the producer must report back is kept, and only for records
 * someone listens to (a callback, an awaited send, an interceptor): fire-and-forget
 * records cost no allocation beyond their bytes.
 */
import { compress } from '../../protocol/compression/compress.ts';
import { CompressionCodec } from '../../protocol/compression/codec.ts';
import { crc32c } from '../../protocol/crc32c.ts';
import {
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  MAGIC_V2,
  OFFSET_ATTRIBUTES,
  OFFSET_BASE_OFFSET,
  OFFSET_BASE_SEQUENCE,
  OFFSET_BASE_TIMESTAMP,
  OFFSET_BATCH_LENGTH,
  OFFSET_CRC,
  OFFSET_LAST_OFFSET_DELTA,
  OFFSET_MAGIC,
  OFFSET_MAX_TIMESTAMP,
  OFFSET_PARTITION_LEADER_EPOCH,
  OFFSET_PRODUCER_EPOCH,
  OFFSET_PRODUCER_ID,
  OFFSET_RECORD_COUNT,
} from '../../protocol/records/batch-header.ts';
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from '../../protocol/records/varint.ts';
import type { ProducerHeader, RecordMetadata, SendCallback } from './producer-record.ts';

export const BatchState = { OPEN: 0, SEALED: 1, DONE: 2, FAILED: 3 } as const;

let nextBatchId = 0;

/** Bytes of header `h`'s value as written (strings as UTF-8). */
function headerValueBytes(v: Uint8Array | string | null): Uint8Array | null {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

/** Upper bound of one record's encoded size (Kafka's DefaultRecord.sizeInBytes with worst-case varints). */
export function recordSizeUpperBound(keyBytes: Uint8Array | null, valueBytes: Uint8Array | null, headers: ProducerHeader[] | undefined): number {
  let size = 5 + 1 + 10 + 5 + 5 + (keyBytes?.length ?? 0) + 5 + (valueBytes?.length ?? 0) + 5;
  if (headers) {
    for (const h of headers) {
      size += 5 + Buffer.byteLength(h.key, 'utf8') + 5;
      const v = h.value;
      if (v !== null) size += typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length;
    }
  }
  return size;
}

export class ProducerBatch {
  readonly id = nextBatchId++;
  readonly topic: string;
  readonly partition: number;
  readonly createdMs: number;
  /** Records are written here; length is what buffer.memory accounts for. */
  buf: Buffer;
  pos = BATCH_HEADER_SIZE;
  recordCount = 0;
  readonly baseTimestamp: number;
  maxTimestamp: number;
  /** No more appends (full, or drained). */
  closed = false;
  /** Finished bytes (after seal()); `buf` itself when uncompressed. */
  wire: Buffer | null = null;
  state: number = BatchState.OPEN;
  /** Futures to settle when the batch completes (those with a listener). */
  waiting: SendFuture[] | null = null;
  /** Stamped producer identity; baseSequence -1 until the sender assigns one. */
  producerId = -1n;
  producerEpoch = -1;
  baseSequence = -1;
  attempts = 0;
  retryAtMs = 0;
  /** Outcome: base offset (-1n unknown), broker append time (-1 when CreateTime), error. */
  baseOffset = -1n;
  logAppendTimeMs = -1;
  error: Error | null = null;

  /** Largest size the batch may grow to (batch.size, or its one oversized record). */
  readonly limit: number;

  constructor(topic: string, partition: number, buf: Buffer, nowMs: number, timestamp: number, limit: number) {
    this.limit = limit;
    this.topic = topic;
    this.partition = partition;
    this.buf = buf;
    this.createdMs = nowMs;
    this.baseTimestamp = timestamp;
    this.maxTimestamp = timestamp;
  }

  /** Bytes the batch holds so far (header included). */
  get sizeInBytes(): number {
    return this.wire !== null ? this.wire.length : this.pos;
  }

  /**
   * Encodes one record at the end of the batch. Returns the bytes written, or 0 when
   * it does not fit (the caller starts a new batch) — never 0 for the first record
   * of a batch sized for it.
   */
  tryAppend(timestamp: number, key: Uint8Array | null, value: Uint8Array | null, headers: ProducerHeader[] | undefined): number {
    const tsDelta = timestamp - this.baseTimestamp;
    const offsetDelta = this.recordCount;
    let body = 1 + sizeOfVarlong(tsDelta) + sizeOfVarint(offsetDelta);
    body += key === null ? 1 : sizeOfVarint(key.length) + key.length;
    body += value === null ? 1 : sizeOfVarint(value.length) + value.length;
    let hvals: (Uint8Array | null)[] | null = null;
    if (headers === undefined || headers.length === 0) {
      body += 1;
    } else {
      hvals = [];
      body += sizeOfVarint(headers.length);
      for (let j = 0; j < headers.length; j++) {
        const h = headers[j]!;
        const kl = Buffer.byteLength(h.key, 'utf8');
        const hv = headerValueBytes(h.value);
        hvals.push(hv);
        body += sizeOfVarint(kl) + kl + (hv === null ? 1 : sizeOfVarint(hv.length) + hv.length);
      }
    }
    const total = sizeOfVarint(body) + body;
    const buf = this.buf;
    let pos = this.pos;
    if (pos + total > buf.length) return 0;
    pos = writeVarint(buf, pos, body);
    buf[pos++] = 0;
    pos = writeVarlong(buf, pos, tsDelta);
    pos = writeVarint(buf, pos, offsetDelta);
    if (key === null) {
      buf[pos++] = 1;
    } else {
      pos = writeVarint(buf, pos, key.length);
      buf.set(key, pos);
      pos += key.length;
    }
    if (value === null) {
      buf[pos++] = 1;
    } else {
      pos = writeVarint(buf, pos, value.length);
      buf.set(value, pos);
      pos += value.length;
    }
    if (hvals === null) {
      buf[pos++] = 0;
    } else {
      pos = writeVarint(buf, pos, hvals.length);
      for (let j = 0; j < hvals.length; j++) {
        const k = headers![j]!.key;
        const kl = Buffer.byteLength(k, 'utf8');
        pos = writeVarint(buf, pos, kl);
        pos += buf.write(k, pos, kl, 'utf8');
        const hv = hvals[j]!;
        if (hv === null) {
          buf[pos++] = 1;
        } else {
          pos = writeVarint(buf, pos, hv.length);
          buf.set(hv, pos);
          pos += hv.length;
        }
      }
    }
    this.pos = pos;
    this.recordCount++;
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
    return total;
  }

  /** Finishes the bytes: compression and every header field but producer identity and CRC. */
  seal(codec: CompressionCodec, level: number | undefined): void {
    if (this.wire !== null) return;
    this.closed = true;
    this.state = BatchState.SEALED;
    let wire: Buffer;
    if (codec === CompressionCodec.NONE) {
      wire = this.buf.subarray(0, this.pos);
    } else {
      const compressed = compress(codec, this.buf.subarray(BATCH_HEADER_SIZE, this.pos), { level });
      wire = Buffer.allocUnsafe(BATCH_HEADER_SIZE + compressed.length);
      compressed.copy(wire, BATCH_HEADER_SIZE);
    }
    wire.writeBigInt64BE(0n, OFFSET_BASE_OFFSET);
    wire.writeInt32BE(wire.length - LOG_OVERHEAD, OFFSET_BATCH_LENGTH);
    wire.writeInt32BE(-1, OFFSET_PARTITION_LEADER_EPOCH);
    wire[OFFSET_MAGIC] = MAGIC_V2;
    wire.writeInt16BE(codec, OFFSET_ATTRIBUTES);
    wire.writeInt32BE(this.recordCount - 1, OFFSET_LAST_OFFSET_DELTA);
    writeInt64(wire, OFFSET_BASE_TIMESTAMP, this.baseTimestamp);
    writeInt64(wire, OFFSET_MAX_TIMESTAMP, this.maxTimestamp);
    wire.writeInt32BE(this.recordCount, OFFSET_RECORD_COUNT);
    this.wire = wire;
  }

  /** Writes producer id, epoch and base sequence, then the CRC (which covers them). */
  stamp(producerId: bigint, producerEpoch: number, baseSequence: number): void {
    const wire = this.wire!;
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.baseSequence = baseSequence;
    wire.writeBigInt64BE(producerId, OFFSET_PRODUCER_ID);
    wire.writeInt16BE(producerEpoch, OFFSET_PRODUCER_EPOCH);
    wire.writeInt32BE(baseSequence, OFFSET_BASE_SEQUENCE);
    wire.writeUInt32BE(crc32c(wire.subarray(OFFSET_CRC + 4)), OFFSET_CRC);
  }

  /** Registers a future to settle on completion. */
  listen(f: SendFuture): void {
    // A literal of one (the usual case with linger.ms=0): no 17-slot backing store per batch.
    if (this.waiting === null) this.waiting = [f];
    else this.waiting.push(f);
  }

  get done(): boolean {
    return this.state >= BatchState.DONE;
  }
}

/** Writes a non-negative or negative safe integer as int64 big-endian without a bigint. */
function writeInt64(buf: Buffer, pos: number, v: number): void {
  const hi = Math.floor(v / 0x100000000);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(v - hi * 0x100000000, pos + 4);
}

/** What settles a future: the producer (callbacks, interceptors, the 'error' event). */
export interface FutureSettler {
  settle(f: SendFuture): void;
}

/**
 * The result of send(): a lazy thenable. No promise exists until someone awaits it
 * (then/catch/finally); a fire-and-forget send allocates only this small object.
 */
export class SendFuture implements Promise<RecordMetadata> {
  get [Symbol.toStringTag](): string {
    return 'SendFuture';
  }

  readonly topic: string;
  partition = -1;
  /** Index in its batch; the offset is the batch's base offset + this. */
  index = -1;
  batch: ProducerBatch | null = null;
  timestamp: number;
  keySize: number;
  valueSize: number;
  callback: SendCallback | null;
  /** A listener exists (callback, promise, interceptor): the batch settles this future. */
  listening: boolean;
  /** Failed before reaching a batch (metadata, memory, size, close). */
  earlyError: Error | null = null;
  settled = false;
  private promise: Promise<RecordMetadata> | null = null;
  private resolveFn: ((md: RecordMetadata) => void) | null = null;
  private rejectFn: ((err: Error) => void) | null = null;
  private readonly settler: FutureSettler;

  constructor(settler: FutureSettler, topic: string, timestamp: number, keySize: number, valueSize: number, callback: SendCallback | null, listening: boolean) {
    this.settler = settler;
    this.topic = topic;
    this.timestamp = timestamp;
    this.keySize = keySize;
    this.valueSize = valueSize;
    this.callback = callback;
    this.listening = listening;
  }

  /** The outcome's error, or null for success (valid once settled or its batch is done). */
  get error(): Error | null {
    return this.earlyError ?? this.batch?.error ?? null;
  }

  get metadata(): RecordMetadata {
    const b = this.batch;
    let offset = -1n;
    let timestamp = this.timestamp;
    if (b !== null && b.error === null && this.earlyError === null) {
      if (b.baseOffset >= 0n) offset = b.baseOffset + BigInt(this.index);
      if (b.logAppendTimeMs >= 0) timestamp = b.logAppendTimeMs;
    }
    return { topic: this.topic, partition: this.partition, offset, timestamp, serializedKeySize: this.keySize, serializedValueSize: this.valueSize };
  }

  /** @internal Called once, when the outcome is known. */
  resolveNow(): void {
    if (this.settled) return;
    this.settled = true;
    this.settler.settle(this);
    if (this.resolveFn !== null) {
      const err = this.error;
      if (err !== null) this.rejectFn!(err);
      else this.resolveFn(this.metadata);
    }
  }

  private toPromise(): Promise<RecordMetadata> {
    if (this.promise !== null) return this.promise;
    const err = this.error;
    if (this.settled || this.earlyError !== null || this.batch?.done === true) {
      this.listening = true;
      this.promise = err !== null ? Promise.reject(err) : Promise.resolve(this.metadata);
      return this.promise;
    }
    this.promise = new Promise<RecordMetadata>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
    if (!this.listening) {
      this.listening = true;
      this.batch?.listen(this);
    }
    return this.promise;
  }

  then<A = RecordMetadata, B = never>(onFulfilled?: ((md: RecordMetadata) => A | PromiseLike<A>) | null, onRejected?: ((err: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.toPromise().then(onFulfilled, onRejected);
  }

  catch<B = never>(onRejected?: ((err: unknown) => B | PromiseLike<B>) | null): Promise<RecordMetadata | B> {
    return this.toPromise().catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<RecordMetadata> {
    return this.toPromise().finally(onFinally);
  }
}
