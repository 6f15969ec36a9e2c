/**
 * The consumer's batch decoder: a magic-2 batch's records parsed straight into
 * ConsumerRecords — one object per record plus zero-copy key/value views — rather
 * than DecodedRecords wrapped afterwards.
 *
 * Decoding is incremental (Java's CompletedFetch does the same): opening a batch
 * checks its header and CRC32C (and decompresses it), and `next()` then parses one
 * record at a time, when poll() hands it out. A poll therefore allocates only the
 * records it returns, and they die young when the application drops them: a whole
 * batch decoded up front would outlive a poll or two and be promoted to the old
 * generation, which costs mark-compact collections on large fetches.
 *
 * Same checks as src/protocol/records/batch-decoder.ts (CRC32C, lengths within the
 * record, exact record count and size); the per-record ones surface when that
 * record is reached. Legacy (magic 0/1) entries go through the protocol's decoder
 * and are converted.
 */
import { ProtocolDecodeError } from '../../protocol/primitives/decode-error.ts';
import { crc32cRange } from '../../protocol/crc32c.ts';
import { decompress } from '../../protocol/compression/compress.ts';
import type { BatchHeader } from '../../protocol/records/batch-header.ts';
import { ATTR_COMPRESSION_MASK, BATCH_HEADER_SIZE, LOG_OVERHEAD, MAGIC_V2, OFFSET_CRC, readBatchHeader } from '../../protocol/records/batch-header.ts';
import type { RecordHeader } from '../../protocol/records/record.ts';
import { EMPTY_HEADERS } from '../../protocol/records/record.ts';
import { iterateRecordSet } from '../../protocol/records/record-set.ts';
import type { BatchLocation } from '../../protocol/records/record-set.ts';
import { ConsumerRecord } from './consumer-record.ts';

const MIN_RECORD_SIZE = 7;
/** The read position of the varint helpers (module state: no object per call). */
let p = 0;

function fail(message: string): never {
  throw new ProtocolDecodeError(message, p);
}

/** A zig-zag varint (int32) at `p`, advancing `p`. */
function varint(buf: Buffer, limit: number): number {
  if (p >= limit) fail('truncated varint');
  let b = buf[p++]!;
  if (b < 0x80) return (b >>> 1) ^ -(b & 1);
  let u = b & 0x7f;
  for (let shift = 7; shift <= 28; shift += 7) {
    if (p >= limit) fail('truncated varint');
    b = buf[p++]!;
    if (shift === 28 && b > 0x0f) fail('varint longer than 32 bits');
    u |= (b & 0x7f) << shift;
    if (b < 0x80) return (u >>> 1) ^ -(u & 1);
  }
  return fail('varint longer than 5 bytes');
}

/** A zig-zag varlong within the safe integer range at `p`, advancing `p`. */
function varlong(buf: Buffer, limit: number): number {
  if (p >= limit) fail('truncated varlong');
  let b = buf[p++]!;
  if (b < 0x80) return (b >>> 1) ^ -(b & 1);
  let value = b & 0x7f;
  let mul = 128;
  for (let i = 1; i < 10; i++) {
    if (p >= limit) fail('truncated varlong');
    b = buf[p++]!;
    value += (b & 0x7f) * mul;
    if (b < 0x80) {
      if (value > Number.MAX_SAFE_INTEGER) fail('timestamp delta outside the safe integer range');
      return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    }
    mul *= 128;
  }
  return fail('varlong longer than 10 bytes');
}

function headers(buf: Buffer, end: number): readonly RecordHeader[] {
  const count = varint(buf, end);
  if (count === 0) return EMPTY_HEADERS;
  if (count < 0 || count * 2 > end - p) fail(`invalid header count ${count}`);
  const out: RecordHeader[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const kl = varint(buf, end);
    if (kl < 0 || kl > end - p) fail(`invalid header key length ${kl}`);
    const key = buf.toString('utf8', p, p + kl);
    p += kl;
    const vl = varint(buf, end);
    let value: Buffer | null = null;
    if (vl >= 0) {
      if (vl > end - p) fail(`header value of ${vl} bytes overruns the record`);
      value = buf.subarray(p, p + vl);
      p += vl;
    } else if (vl !== -1) fail(`invalid header value length ${vl}`);
    out[i] = { key, value };
  }
  return out;
}

/**
 * One batch being read: its header, and its records decoded one at a time by
 * `next()` (`index` of `count` so far). Key and value stay raw (the drain
 * deserializes them).
 */
export class ConsumerBatch {
  readonly header: BatchHeader;
  readonly count: number;
  index = 0;
  private readonly topic: string;
  private readonly partition: number;
  private readonly src: Buffer;
  private pos: number;
  private readonly end: number;
  /** Legacy (magic 0/1) entries, decoded up front. */
  private readonly legacy: ConsumerRecord<unknown, unknown>[] | null;

  constructor(topic: string, partition: number, header: BatchHeader, src: Buffer, start: number, end: number, count: number, legacy: ConsumerRecord<unknown, unknown>[] | null) {
    this.topic = topic;
    this.partition = partition;
    this.header = header;
    this.src = src;
    this.pos = start;
    this.end = end;
    this.count = count;
    this.legacy = legacy;
  }

  get done(): boolean {
    return this.index >= this.count;
  }

  /** The next record (call only while !done). */
  next(): ConsumerRecord<unknown, unknown> {
    if (this.legacy !== null) return this.legacy[this.index++]!;
    const src = this.src;
    const end = this.end;
    // Single-byte varints (the common case) are read inline; longer ones by the helpers.
    let q = this.pos;
    let length = q < end ? src[q]! : 0xff;
    if (length < 0x80) {
      q++;
      length = (length >>> 1) ^ -(length & 1);
    } else {
      p = q;
      length = varint(src, end);
      q = p;
    }
    if (length < MIN_RECORD_SIZE - 1) {
      p = q;
      fail(`invalid record length ${length}`);
    }
    const recordEnd = q + length;
    if (recordEnd > end) {
      p = q;
      fail(`record of ${length} bytes overruns the batch`);
    }
    // attributes (1 byte), then the timestamp delta: at least 5 more bytes are in the record.
    let timestampDelta = src[++q]!;
    if (timestampDelta < 0x80) {
      q++;
      timestampDelta = (timestampDelta >>> 1) ^ -(timestampDelta & 1);
    } else {
      p = q;
      timestampDelta = varlong(src, recordEnd);
      q = p;
    }
    let offsetDelta = q < recordEnd ? src[q]! : 0xff;
    if (offsetDelta < 0x80) {
      q++;
      offsetDelta = (offsetDelta >>> 1) ^ -(offsetDelta & 1);
    } else {
      p = q;
      offsetDelta = varint(src, recordEnd);
      q = p;
    }
    let key: Buffer | null = null;
    let kl = q < recordEnd ? src[q]! : 0xff;
    if (kl < 0x80) {
      q++;
      kl = (kl >>> 1) ^ -(kl & 1);
    } else {
      p = q;
      kl = varint(src, recordEnd);
      q = p;
    }
    if (kl >= 0) {
      if (kl > recordEnd - q) {
        p = q;
        fail(`key of ${kl} bytes overruns the record`);
      }
      key = src.subarray(q, q + kl);
      q += kl;
    } else if (kl !== -1) {
      p = q;
      fail(`invalid key length ${kl}`);
    }
    p = q;
    let value: Buffer | null = null;
    const vl = varint(src, recordEnd);
    if (vl >= 0) {
      if (vl > recordEnd - p) fail(`value of ${vl} bytes overruns the record`);
      value = src.subarray(p, p + vl);
      p += vl;
    } else if (vl !== -1) fail(`invalid value length ${vl}`);
    let h: readonly RecordHeader[];
    if (p < recordEnd && src[p] === 0) {
      p++;
      h = EMPTY_HEADERS;
    } else h = headers(src, recordEnd);
    if (p !== recordEnd) fail(`record declared ${length} bytes but used ${length - (recordEnd - p)}`);
    this.pos = p;
    if (++this.index === this.count && p !== end) fail(`${end - p} bytes left after the batch's ${this.count} records`);
    return new ConsumerRecord(this.topic, this.partition, this.header, offsetDelta, timestampDelta, key, value, h);
  }
}

/**
 * Opens the batch at `loc` for `topic`-`partition`: header, CRC32C, decompression,
 * record count. `header` is the batch's header when the caller has read it already.
 */
export function decodeConsumerBatch(buf: Buffer, loc: BatchLocation, topic: string, partition: number, verifyCrc: boolean, header?: BatchHeader): ConsumerBatch {
  if (loc.magic !== MAGIC_V2) {
    const out: ConsumerRecord<unknown, unknown>[] = [];
    let h: BatchHeader | null = null;
    for (const b of iterateRecordSet(buf, loc.position, loc.position + loc.size, { verifyCrc })) {
      h = b.header;
      for (const r of b.records) out.push(new ConsumerRecord(topic, partition, r.batch, r.offsetDelta, r.timestampDelta, r.key, r.value, r.headers));
    }
    return new ConsumerBatch(topic, partition, h!, buf, 0, 0, out.length, out);
  }
  const pos = loc.position;
  p = pos;
  if (loc.size < BATCH_HEADER_SIZE) fail(`record batch of ${loc.size} bytes is below the header size`);
  header ??= readBatchHeader(buf, pos);
  const size = header.batchLength + LOG_OVERHEAD;
  if (size !== loc.size) fail('record batch length changed');
  if (verifyCrc) {
    const crc = crc32cRange(buf, pos + OFFSET_CRC + 4, pos + size);
    if (crc !== header.crc) fail(`record batch CRC32C mismatch: stored 0x${header.crc.toString(16)}, computed 0x${crc.toString(16)}`);
  }
  const codec = header.attributes & ATTR_COMPRESSION_MASK;
  let src = buf;
  let start = pos + BATCH_HEADER_SIZE;
  let end = pos + size;
  if (codec !== 0) {
    if (codec > 4) fail(`unknown compression codec ${codec}`);
    src = decompress(codec, buf.subarray(start, end));
    start = 0;
    end = src.length;
  }
  const count = header.recordCount;
  if (count < 0 || count > (end - start) / MIN_RECORD_SIZE) fail(`invalid record count ${count}`);
  if (count === 0 && start !== end) fail(`${end - start} bytes left after the batch's 0 records`);
  return new ConsumerBatch(topic, partition, header, src, start, end, count, null);
}
