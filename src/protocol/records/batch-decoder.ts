import { ProtocolDecodeError } from '../primitives/decode-error.ts';
import { crc32c } from '../crc32c.ts';
import { codecName } from '../compression/codec.ts';
import { decompress, decompressAsync } from '../compression/compress.ts';
import type { BatchHeader } from './batch-header.ts';
import {
  ATTR_COMPRESSION_MASK,
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  MAGIC_V2,
  OFFSET_CRC,
  readBatchHeader,
} from './batch-header.ts';
import type { DecodedBatch, RecordHeader } from './record.ts';
import { DecodedRecord, EMPTY_HEADERS } from './record.ts';

/**
 * Decodes magic-2 batches into records (Kafka's DefaultRecordBatch iterators).
 *
 * Hot loop notes: the record parser keeps its cursor in a module variable rather
 * than a Reader object, reads varints with single-byte fast paths, and makes
 * keys/values zero-copy views. Every length is checked against the enclosing
 * record's declared end before use, and a record must end exactly where its length
 * says (Kafka: "Invalid record size"). The batch must contain exactly
 * `recordCount` records and nothing after them.
 */
export interface DecodeOptions {
  /** Check the CRC32C before decoding (Kafka's check.crcs). Default true. */
  verifyCrc?: boolean;
  /** Ceiling for one decompressed payload. Default DEFAULT_MAX_DECOMPRESSED_BYTES. */
  maxOutputBytes?: number;
}

/** Smallest encoded record: one byte each for length, attributes, timestamp, offset, key, value, header count. */
export const MIN_RECORD_SIZE = 7;

let p = 0;

function fail(message: string, at = p): never {
  throw new ProtocolDecodeError(message, at);
}

function readVarint(buf: Buffer, limit: number): number {
  if (p >= limit) fail('truncated varint');
  let b = buf[p++]!;
  if (b < 0x80) return (b >>> 1) ^ -(b & 1);
  let u = b & 0x7f;
  for (let shift = 7; shift <= 28; shift += 7) {
    if (p >= limit) fail('truncated varint');
    b = buf[p++]!;
    if (shift === 28 && b > 0x0f) fail('varint longer than 32 bits', p - 1);
    u |= (b & 0x7f) << shift;
    if (b < 0x80) return (u >>> 1) ^ -(u & 1);
  }
  return fail('varint longer than 5 bytes');
}

function readVarlong(buf: Buffer, limit: number): number {
  if (p >= limit) fail('truncated varlong');
  let b = buf[p++]!;
  if (b < 0x80) return (b >>> 1) ^ -(b & 1);
  // Up to 4 bytes (28 bits) with int arithmetic, then doubles up to 2^53, then bigint.
  let u = b & 0x7f;
  for (let shift = 7; shift < 28; shift += 7) {
    if (p >= limit) fail('truncated varlong');
    b = buf[p++]!;
    u |= (b & 0x7f) << shift;
    if (b < 0x80) return (u >>> 1) ^ -(u & 1);
  }
  const start = p - 4;
  let value = u;
  let mul = 2 ** 28;
  for (let i = 4; i < 10; i++) {
    if (p >= limit) fail('truncated varlong');
    b = buf[p++]!;
    if (i === 9 && b > 0x01) fail('varlong longer than 64 bits', p - 1);
    value += (b & 0x7f) * mul;
    if (b < 0x80) {
      if (value <= Number.MAX_SAFE_INTEGER) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
      return bigVarlong(buf, start);
    }
    mul *= 128;
  }
  return fail('varlong longer than 10 bytes');
}

function bigVarlong(buf: Buffer, start: number): number {
  let u = 0n;
  let shift = 0n;
  for (let i = start; i < p; i++) {
    u |= BigInt(buf[i]! & 0x7f) << shift;
    shift += 7n;
  }
  const v = (u >> 1n) ^ -(u & 1n);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    fail('timestamp delta outside the safe integer range', start);
  }
  return Number(v);
}

function readHeaders(buf: Buffer, recordEnd: number): readonly RecordHeader[] {
  const count = readVarint(buf, recordEnd);
  if (count === 0) return EMPTY_HEADERS;
  if (count < 0) fail(`invalid header count ${count}`);
  if (count * 2 > recordEnd - p) fail(`${count} headers cannot fit in ${recordEnd - p} bytes`);
  const headers: RecordHeader[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const kl = readVarint(buf, recordEnd);
    if (kl < 0) fail('null header key');
    if (kl > recordEnd - p) fail(`header key of ${kl} bytes overruns the record`);
    const key = buf.toString('utf8', p, p + kl);
    p += kl;
    const vl = readVarint(buf, recordEnd);
    let value: Buffer | null = null;
    if (vl >= 0) {
      if (vl > recordEnd - p) fail(`header value of ${vl} bytes overruns the record`);
      value = buf.subarray(p, p + vl);
      p += vl;
    } else if (vl !== -1) {
      fail(`invalid header value length ${vl}`);
    }
    headers[i] = { key, value };
  }
  return headers;
}

/**
 * Decodes exactly `count` records from [start, end) of `buf`. Throws
 * ProtocolDecodeError if they do not fill that range exactly.
 */
export function decodeRecords(buf: Buffer, start: number, end: number, count: number, header: BatchHeader): DecodedRecord[] {
  if (count < 0) fail(`invalid record count ${count}`, start);
  if (count > (end - start) / MIN_RECORD_SIZE) fail(`record count ${count} cannot fit in ${end - start} bytes`, start);
  const records: DecodedRecord[] = new Array(count);
  p = start;
  for (let i = 0; i < count; i++) {
    const length = readVarint(buf, end);
    if (length < MIN_RECORD_SIZE - 1) fail(`invalid record length ${length}`);
    const recordEnd = p + length;
    if (recordEnd > end) fail(`record of ${length} bytes overruns the batch`);
    const attributes = buf[p++]!;
    const timestampDelta = readVarlong(buf, recordEnd);
    const offsetDelta = readVarint(buf, recordEnd);
    let key: Buffer | null = null;
    const kl = readVarint(buf, recordEnd);
    if (kl >= 0) {
      if (kl > recordEnd - p) fail(`key of ${kl} bytes overruns the record`);
      key = buf.subarray(p, p + kl);
      p += kl;
    } else if (kl !== -1) {
      fail(`invalid key length ${kl}`);
    }
    let value: Buffer | null = null;
    const vl = readVarint(buf, recordEnd);
    if (vl >= 0) {
      if (vl > recordEnd - p) fail(`value of ${vl} bytes overruns the record`);
      value = buf.subarray(p, p + vl);
      p += vl;
    } else if (vl !== -1) {
      fail(`invalid value length ${vl}`);
    }
    const headers = readHeaders(buf, recordEnd);
    if (p !== recordEnd) fail(`record declared ${length} bytes but used ${length - (recordEnd - p)}`);
    records[i] = new DecodedRecord(header, attributes, timestampDelta, offsetDelta, key, value, headers);
  }
  if (p !== end) fail(`${end - p} bytes left after the batch's ${count} records`);
  return records;
}

interface CheckedBatch {
  header: BatchHeader;
  size: number;
  codec: number;
}

function checkBatch(buf: Buffer, pos: number, options: DecodeOptions | undefined): CheckedBatch {
  if (pos < 0 || buf.length - pos < BATCH_HEADER_SIZE) {
    fail(`truncated record batch: ${buf.length - pos} bytes, header needs ${BATCH_HEADER_SIZE}`, pos);
  }
  const header = readBatchHeader(buf, pos);
  if (header.magic !== MAGIC_V2) fail(`record batch magic ${header.magic}, expected 2`, pos + 16);
  const size = header.batchLength + LOG_OVERHEAD;
  if (header.batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) fail(`record batch length ${header.batchLength} is below the header size`, pos + 8);
  if (size > buf.length - pos) fail(`record batch of ${size} bytes truncated to ${buf.length - pos}`, pos + 8);
  if (options?.verifyCrc !== false) {
    const crc = crc32c(buf.subarray(pos + OFFSET_CRC + 4, pos + size));
    if (crc !== header.crc) {
      fail(`record batch CRC32C mismatch: stored 0x${header.crc.toString(16)}, computed 0x${crc.toString(16)}`, pos + OFFSET_CRC);
    }
  }
  const codec = header.attributes & ATTR_COMPRESSION_MASK;
  if (codec > 4) fail(`unknown compression codec ${codec}`, pos + 21);
  if (header.recordCount < 0) fail(`invalid record count ${header.recordCount}`, pos + 57);
  return { header, size, codec };
}

function decompressionFailed(e: unknown, codec: number, pos: number): never {
  if (e instanceof ProtocolDecodeError) {
    throw new ProtocolDecodeError(`${codecName(codec)} payload of the batch at ${pos}: ${e.message}`, pos + BATCH_HEADER_SIZE);
  }
  throw e;
}

function recordsOf(src: Buffer, start: number, end: number, c: CheckedBatch, pos: number, compressed: boolean): DecodedBatch {
  let records: DecodedRecord[];
  try {
    records = decodeRecords(src, start, end, c.header.recordCount, c.header);
  } catch (e) {
    if (compressed && e instanceof ProtocolDecodeError) {
      throw new ProtocolDecodeError(`in the decompressed records of the batch at ${pos}: ${e.message}`, pos + BATCH_HEADER_SIZE);
    }
    throw e;
  }
  return { header: c.header, records, position: pos, sizeInBytes: c.size };
}

/** Decodes the magic-2 batch at `pos`, decompressing its records if needed. */
export function decodeRecordBatch(buf: Buffer, pos = 0, options?: DecodeOptions): DecodedBatch {
  const c = checkBatch(buf, pos, options);
  const start = pos + BATCH_HEADER_SIZE;
  const end = pos + c.size;
  if (c.codec === 0) return recordsOf(buf, start, end, c, pos, false);
  let src: Buffer;
  try {
    src = decompress(c.codec, buf.subarray(start, end), { maxOutputBytes: options?.maxOutputBytes });
  } catch (e) {
    return decompressionFailed(e, c.codec, pos);
  }
  return recordsOf(src, 0, src.length, c, pos, true);
}

/** As decodeRecordBatch, decompressing off the main thread. */
export async function decodeRecordBatchAsync(buf: Buffer, pos = 0, options?: DecodeOptions): Promise<DecodedBatch> {
  const c = checkBatch(buf, pos, options);
  const start = pos + BATCH_HEADER_SIZE;
  const end = pos + c.size;
  if (c.codec === 0) return recordsOf(buf, start, end, c, pos, false);
  let src: Buffer;
  try {
    src = await decompressAsync(c.codec, buf.subarray(start, end), { maxOutputBytes: options?.maxOutputBytes });
  } catch (e) {
    return decompressionFailed(e, c.codec, pos);
  }
  return recordsOf(src, 0, src.length, c, pos, true);
}
