import { ProtocolEncodeError } from '../primitives/decode-error.ts';
import { crc32c } from '../crc32c.ts';
import { CompressionCodec, isCompressionCodec } from '../compression/codec.ts';
import { compress, compressAsync } from '../compression/compress.ts';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  ATTR_TRANSACTIONAL,
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  MAGIC_V2,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
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
} from './batch-header.ts';
import type { RecordInput } from './record.ts';
import {
  checkInt32,
  checkSafeInteger,
  sizeOfUnsignedVarint,
  sizeOfVarint,
  sizeOfVarlong,
  writeUnsignedVarint,
  writeVarint,
  writeVarlong,
} from './varint.ts';

/**
 * Encodes magic-2 record batches (Kafka's DefaultRecordBatch / MemoryRecordsBuilder).
 *
 * Two passes: the first sizes every record (and remembers the sizes and header key
 * lengths), the second writes them into one buffer of exactly the right size, so
 * nothing is copied or grown. CRC32C is computed once over the finished bytes.
 */
export interface BatchOptions {
  baseOffset?: bigint;
  /** Default -1 (the producer does not know it; the leader stamps it). */
  partitionLeaderEpoch?: number;
  compression?: CompressionCodec;
  /** gzip / zstd level. */
  compressionLevel?: number;
  logAppendTime?: boolean;
  transactional?: boolean;
  control?: boolean;
  /** Attribute bit 6: baseTimestamp holds the delete horizon of a compacted batch. */
  deleteHorizon?: boolean;
  /**
   * Raw attributes, replacing compression, logAppendTime, transactional, control
   * and deleteHorizon when given (for re-encoding a header read elsewhere).
   */
  attributes?: number;
  baseTimestamp: bigint | number;
  /** Default: baseTimestamp + the largest timestampDelta (baseTimestamp when empty). */
  maxTimestamp?: bigint | number;
  /** Default: the last record's offsetDelta; required for an empty batch (else 0). */
  lastOffsetDelta?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
}

let recordSizes = new Int32Array(1024);
let headerKeyLengths = new Int32Array(256);

/** Bytes of the encoded records (without the batch header) and per-record sizes in `recordSizes`. */
function sizeRecords(records: readonly RecordInput[]): { total: number; maxTimestampDelta: number } {
  const n = records.length;
  if (recordSizes.length < n) recordSizes = new Int32Array(Math.max(n, recordSizes.length * 2));
  let total = 0;
  let maxTimestampDelta = -Infinity;
  let hk = 0;
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    const ts = r.timestampDelta ?? 0;
    const od = r.offsetDelta ?? i;
    if (ts > maxTimestampDelta) maxTimestampDelta = ts;
    let size = 1 + sizeOfVarlong(ts) + sizeOfVarint(od);
    const key = r.key;
    size += key === null ? 1 : sizeOfUnsignedVarint(key.length * 2) + key.length;
    const value = r.value;
    size += value === null ? 1 : sizeOfUnsignedVarint(value.length * 2) + value.length;
    const headers = r.headers;
    if (headers === undefined || headers.length === 0) {
      size += 1;
    } else {
      const hn = headers.length;
      size += sizeOfVarint(hn);
      if (headerKeyLengths.length < hk + hn) {
        const next = new Int32Array(Math.max(hk + hn, headerKeyLengths.length * 2));
        next.set(headerKeyLengths.subarray(0, hk));
        headerKeyLengths = next;
      }
      for (let j = 0; j < hn; j++) {
        const h = headers[j]!;
        const kl = Buffer.byteLength(h.key, 'utf8');
        headerKeyLengths[hk++] = kl;
        size += sizeOfVarint(kl) + kl;
        const hv = h.value;
        size += hv === null ? 1 : sizeOfVarint(hv.length) + hv.length;
      }
    }
    if (size > 0x7fffffff) throw new ProtocolEncodeError(`record ${i} is too large (${size} bytes)`);
    recordSizes[i] = size;
    total += sizeOfUnsignedVarint(size * 2) + size;
  }
  if (total > 0x7fffffff - BATCH_HEADER_SIZE) throw new ProtocolEncodeError(`batch is too large (${total} bytes)`);
  return { total, maxTimestampDelta };
}

function validateRecords(records: readonly RecordInput[]): void {
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.offsetDelta !== undefined) checkInt32(r.offsetDelta, `record ${i} offsetDelta`);
    if (r.timestampDelta !== undefined) checkSafeInteger(r.timestampDelta, `record ${i} timestampDelta`);
  }
}

/** Writes the sized records at `pos`; returns the end position. */
function writeRecords(buf: Buffer, pos: number, records: readonly RecordInput[]): number {
  let hk = 0;
  for (let i = 0, n = records.length; i < n; i++) {
    const r = records[i]!;
    pos = writeVarint(buf, pos, recordSizes[i]!);
    buf[pos++] = 0;
    pos = writeVarlong(buf, pos, r.timestampDelta ?? 0);
    pos = writeVarint(buf, pos, r.offsetDelta ?? i);
    const key = r.key;
    if (key === null) {
      buf[pos++] = 1; // zigzag(-1)
    } else {
      pos = writeUnsignedVarint(buf, pos, key.length * 2);
      buf.set(key, pos);
      pos += key.length;
    }
    const value = r.value;
    if (value === null) {
      buf[pos++] = 1;
    } else {
      pos = writeUnsignedVarint(buf, pos, value.length * 2);
      buf.set(value, pos);
      pos += value.length;
    }
    const headers = r.headers;
    if (headers === undefined || headers.length === 0) {
      buf[pos++] = 0;
    } else {
      pos = writeVarint(buf, pos, headers.length);
      for (let j = 0; j < headers.length; j++) {
        const h = headers[j]!;
        const kl = headerKeyLengths[hk++]!;
        pos = writeVarint(buf, pos, kl);
        pos += buf.write(h.key, pos, kl, 'utf8');
        const hv = h.value;
        if (hv === null) {
          buf[pos++] = 1;
        } else {
          pos = writeVarint(buf, pos, hv.length);
          buf.set(hv, pos);
          pos += hv.length;
        }
      }
    }
  }
  return pos;
}

function attributesOf(o: BatchOptions): number {
  if (o.attributes !== undefined) return o.attributes;
  const codec = o.compression ?? CompressionCodec.NONE;
  if (!isCompressionCodec(codec)) throw new ProtocolEncodeError(`unknown compression codec ${codec}`);
  let a = codec & ATTR_COMPRESSION_MASK;
  if (o.logAppendTime) a |= ATTR_TIMESTAMP_TYPE_LOG_APPEND;
  if (o.transactional) a |= ATTR_TRANSACTIONAL;
  if (o.control) a |= ATTR_CONTROL;
  if (o.deleteHorizon) a |= ATTR_DELETE_HORIZON;
  return a;
}

function toBigInt(v: bigint | number, what: string): bigint {
  if (typeof v === 'bigint') return v;
  checkSafeInteger(v, what);
  return BigInt(v);
}

/** Fills the 61-byte header at 0 and the CRC over [21, end). */
function writeHeader(
  buf: Buffer,
  records: readonly RecordInput[],
  o: BatchOptions,
  attributes: number,
  maxTimestampDelta: number,
): void {
  const n = records.length;
  const baseTimestamp = toBigInt(o.baseTimestamp, 'baseTimestamp');
  const maxTimestamp =
    o.maxTimestamp !== undefined
      ? toBigInt(o.maxTimestamp, 'maxTimestamp')
      : n === 0
        ? baseTimestamp
        : baseTimestamp + BigInt(maxTimestampDelta);
  const lastOffsetDelta = o.lastOffsetDelta ?? (n === 0 ? 0 : (records[n - 1]!.offsetDelta ?? n - 1));
  checkInt32(lastOffsetDelta, 'lastOffsetDelta');
  try {
    buf.writeBigInt64BE(o.baseOffset ?? 0n, OFFSET_BASE_OFFSET);
    buf.writeInt32BE(buf.length - LOG_OVERHEAD, OFFSET_BATCH_LENGTH);
    buf.writeInt32BE(o.partitionLeaderEpoch ?? -1, OFFSET_PARTITION_LEADER_EPOCH);
    buf[OFFSET_MAGIC] = MAGIC_V2;
    buf.writeInt16BE(attributes, OFFSET_ATTRIBUTES);
    buf.writeInt32BE(lastOffsetDelta, OFFSET_LAST_OFFSET_DELTA);
    buf.writeBigInt64BE(baseTimestamp, OFFSET_BASE_TIMESTAMP);
    buf.writeBigInt64BE(maxTimestamp, OFFSET_MAX_TIMESTAMP);
    buf.writeBigInt64BE(o.producerId ?? NO_PRODUCER_ID, OFFSET_PRODUCER_ID);
    buf.writeInt16BE(o.producerEpoch ?? NO_PRODUCER_EPOCH, OFFSET_PRODUCER_EPOCH);
    buf.writeInt32BE(o.baseSequence ?? NO_SEQUENCE, OFFSET_BASE_SEQUENCE);
    buf.writeInt32BE(n, OFFSET_RECORD_COUNT);
  } catch (e) {
    throw new ProtocolEncodeError(`batch header field out of range: ${(e as Error).message}`);
  }
  buf.writeUInt32BE(crc32c(buf.subarray(OFFSET_CRC + 4)), OFFSET_CRC);
}

/** Encodes the records only (the payload that a compressed batch compresses). */
export function encodeRecords(records: readonly RecordInput[]): Buffer {
  validateRecords(records);
  const { total } = sizeRecords(records);
  const buf = Buffer.allocUnsafe(total);
  writeRecords(buf, 0, records);
  return buf;
}

/** Builds one magic-2 batch. Synchronous, compression included. */
export function buildRecordBatch(records: readonly RecordInput[], options: BatchOptions): Buffer {
  validateRecords(records);
  const attributes = attributesOf(options);
  const codec = attributes & ATTR_COMPRESSION_MASK;
  const { total, maxTimestampDelta } = sizeRecords(records);
  let buf: Buffer;
  if (codec === CompressionCodec.NONE) {
    buf = Buffer.allocUnsafe(BATCH_HEADER_SIZE + total);
    writeRecords(buf, BATCH_HEADER_SIZE, records);
  } else {
    const payload = Buffer.allocUnsafe(total);
    writeRecords(payload, 0, records);
    const compressed = compress(codec as CompressionCodec, payload, { level: options.compressionLevel });
    buf = Buffer.allocUnsafe(BATCH_HEADER_SIZE + compressed.length);
    compressed.copy(buf, BATCH_HEADER_SIZE);
  }
  writeHeader(buf, records, options, attributes, maxTimestampDelta);
  return buf;
}

/** As buildRecordBatch, compressing off the main thread (gzip, zstd, snappy, lz4 all have async paths). */
export async function buildRecordBatchAsync(records: readonly RecordInput[], options: BatchOptions): Promise<Buffer> {
  const attributes = attributesOf(options);
  const codec = attributes & ATTR_COMPRESSION_MASK;
  if (codec === CompressionCodec.NONE) return buildRecordBatch(records, options);
  validateRecords(records);
  const { total, maxTimestampDelta } = sizeRecords(records);
  const payload = Buffer.allocUnsafe(total);
  writeRecords(payload, 0, records);
  const compressed = await compressAsync(codec as CompressionCodec, payload, { level: options.compressionLevel });
  const buf = Buffer.allocUnsafe(BATCH_HEADER_SIZE + compressed.length);
  compressed.copy(buf, BATCH_HEADER_SIZE);
  writeHeader(buf, records, options, attributes, maxTimestampDelta);
  return buf;
}
