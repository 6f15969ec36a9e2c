import { crc32 } from 'node:zlib';
import { ProtocolDecodeError, ProtocolEncodeError } from '../primitives/decode-error.ts';
import { CompressionCodec, codecName } from '../compression/codec.ts';
import { compress, decompress } from '../compression/compress.ts';
import type { BatchHeader } from './batch-header.ts';
import { LOG_OVERHEAD, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE } from './batch-header.ts';
import type { DecodedBatch } from './record.ts';
import { DecodedRecord, EMPTY_HEADERS } from './record.ts';

/**
 * Legacy message sets, magic 0 (Kafka 0.8) and magic 1 (0.10, adds timestamps):
 * Kafka's LegacyRecord and AbstractLegacyRecordBatch.
 *
 *   offset      int64
 *   size        int32    bytes of the message that follows
 *   crc         uint32   CRC32 (IEEE, not C) of magic..end of value
 *   magic       int8
 *   attributes  int8     bits 0-2 compression, bit 3 timestamp type (magic 1)
 *   timestamp   int64    magic 1 only
 *   key         int32 length (-1 null), bytes
 *   value       int32 length (-1 null), bytes
 *
 * A compressed "wrapper" message has a null key and a value holding a compressed
 * message set of uncompressed inner messages. Inner offsets are absolute for magic
 * 0; for magic 1 they are relative (0, 1, ...) and the wrapper's offset is the
 * last inner message's absolute offset, so absolute = wrapper - lastInner + inner
 * (a wrapper offset of 0, written by some librdkafka versions, means base 0). With
 * a LogAppendTime wrapper, inner messages report the wrapper's timestamp.
 *
 * The offset, size and magic sit where a v2 batch has baseOffset, batchLength and
 * magic, which is how a reader tells the formats apart.
 */
export const LEGACY_RECORD_OVERHEAD_V0 = 14;
export const LEGACY_RECORD_OVERHEAD_V1 = 22;
export const LEGACY_ATTR_TIMESTAMP_TYPE = 0x08;
export const NO_TIMESTAMP = -1n;

function fail(message: string, offset: number): never {
  throw new ProtocolDecodeError(message, offset);
}

export interface LegacyMessage {
  offset: bigint;
  /** Bytes of the message after the 12-byte log overhead. */
  size: number;
  crc: number;
  magic: number;
  attributes: number;
  /** -1 for magic 0. */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

function readBytes(buf: Buffer, pos: number, end: number, what: string): { bytes: Buffer | null; next: number } {
  if (end - pos < 4) fail(`truncated ${what} length`, pos);
  const len = buf.readInt32BE(pos);
  pos += 4;
  if (len === -1) return { bytes: null, next: pos };
  if (len < 0) fail(`invalid ${what} length ${len}`, pos - 4);
  if (len > end - pos) fail(`${what} of ${len} bytes overruns the message`, pos - 4);
  return { bytes: buf.subarray(pos, pos + len), next: pos + len };
}

/**
 * Reads the legacy entry (log overhead + message) at `pos`, which must lie
 * entirely within `end`. Checks the CRC32 unless `verifyCrc` is false.
 */
export function readLegacyMessage(buf: Buffer, pos: number, end: number, verifyCrc = true): LegacyMessage {
  if (end - pos < LOG_OVERHEAD) fail('truncated legacy message log overhead', pos);
  const offset = buf.readBigInt64BE(pos);
  const size = buf.readInt32BE(pos + 8);
  if (size < LEGACY_RECORD_OVERHEAD_V0) fail(`legacy message size ${size} is below the minimum ${LEGACY_RECORD_OVERHEAD_V0}`, pos + 8);
  const msgEnd = pos + LOG_OVERHEAD + size;
  if (msgEnd > end) fail(`legacy message of ${size} bytes truncated to ${end - pos - LOG_OVERHEAD}`, pos + 8);
  let p = pos + LOG_OVERHEAD;
  const crc = buf.readUInt32BE(p);
  const magic = buf.readInt8(p + 4);
  if (magic !== 0 && magic !== 1) fail(`legacy message magic ${magic}`, p + 4);
  if (magic === 1 && size < LEGACY_RECORD_OVERHEAD_V1) {
    fail(`legacy v1 message size ${size} is below the minimum ${LEGACY_RECORD_OVERHEAD_V1}`, pos + 8);
  }
  if (verifyCrc) {
    const computed = crc32(buf.subarray(p + 4, msgEnd)) >>> 0;
    if (computed !== crc) {
      fail(`legacy message CRC32 mismatch: stored 0x${crc.toString(16)}, computed 0x${computed.toString(16)}`, p);
    }
  }
  const attributes = buf.readInt8(p + 5);
  p += 6;
  let timestamp = NO_TIMESTAMP;
  if (magic === 1) {
    timestamp = buf.readBigInt64BE(p);
    p += 8;
  }
  const k = readBytes(buf, p, msgEnd, 'key');
  const v = readBytes(buf, k.next, msgEnd, 'value');
  if (v.next !== msgEnd) fail(`${msgEnd - v.next} bytes left over in legacy message`, v.next);
  return { offset, size, crc, magic, attributes, timestamp, key: k.bytes, value: v.bytes };
}

export interface LegacyDecodeOptions {
  verifyCrc?: boolean;
  maxOutputBytes?: number;
}

interface InnerRecord {
  offset: bigint;
  timestamp: bigint;
  msg: LegacyMessage;
}

function innerMessages(wrapper: LegacyMessage, wrapperPos: number, options?: LegacyDecodeOptions): InnerRecord[] {
  const codec = wrapper.attributes & 0x07;
  if (codec > CompressionCodec.LZ4) {
    fail(`invalid compression ${codecName(codec)} for a magic ${wrapper.magic} wrapper message`, wrapperPos + 17);
  }
  if (wrapper.value === null) fail('compressed legacy message with a null value', wrapperPos);
  let inner: Buffer;
  try {
    inner = decompress(codec, wrapper.value, { maxOutputBytes: options?.maxOutputBytes, magic: wrapper.magic });
  } catch (e) {
    if (!(e instanceof ProtocolDecodeError)) throw e;
    fail(`${codecName(codec)} wrapper message at ${wrapperPos}: ${e.message}`, wrapperPos);
  }
  const logAppend = wrapper.magic === 1 && (wrapper.attributes & LEGACY_ATTR_TIMESTAMP_TYPE) !== 0;
  const out: InnerRecord[] = [];
  let p = 0;
  try {
    // As Kafka's DataLogInputStream: a truncated trailing inner message ends the set.
    while (inner.length - p >= LOG_OVERHEAD) {
      const size = inner.readInt32BE(p + 8);
      if (size < LEGACY_RECORD_OVERHEAD_V0) fail(`inner message size ${size} is below the minimum`, p + 8);
      if (size > inner.length - p - LOG_OVERHEAD) break;
      const msg = readLegacyMessage(inner, p, inner.length, options?.verifyCrc !== false);
      if ((msg.attributes & 0x07) !== 0) fail('inner messages must not be compressed', p + 17);
      const timestamp = msg.magic === 0 ? NO_TIMESTAMP : logAppend ? wrapper.timestamp : msg.timestamp;
      out.push({ offset: msg.offset, timestamp, msg });
      p += LOG_OVERHEAD + size;
    }
  } catch (e) {
    if (!(e instanceof ProtocolDecodeError)) throw e;
    fail(`in the decompressed messages of the wrapper at ${wrapperPos}: ${e.message}`, wrapperPos);
  }
  if (out.length === 0) fail('compressed legacy message set with no inner messages', wrapperPos);
  if (wrapper.magic === 1) {
    const lastInner = out[out.length - 1]!.offset;
    let base = 0n;
    if (wrapper.offset !== 0n) {
      if (wrapper.offset < lastInner) {
        fail(`wrapper offset ${wrapper.offset} is below the last inner offset ${lastInner}`, wrapperPos);
      }
      base = wrapper.offset - lastInner;
    }
    for (const r of out) r.offset += base;
  }
  return out;
}

/**
 * Decodes the legacy entry at `pos` (within `end`) into a DecodedBatch, expanding a
 * compressed wrapper into its inner messages with absolute offsets.
 */
export function decodeLegacyEntry(buf: Buffer, pos: number, end = buf.length, options?: LegacyDecodeOptions): DecodedBatch {
  const wrapper = readLegacyMessage(buf, pos, end, options?.verifyCrc !== false);
  const codec = wrapper.attributes & 0x07;
  const inner: InnerRecord[] =
    codec === CompressionCodec.NONE ? [{ offset: wrapper.offset, timestamp: wrapper.timestamp, msg: wrapper }] : innerMessages(wrapper, pos, options);
  const first = inner[0]!;
  const last = inner[inner.length - 1]!;
  let maxTimestamp = wrapper.timestamp;
  if (codec === CompressionCodec.NONE || wrapper.magic === 0) {
    for (const r of inner) if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
  }
  const tsAttr = wrapper.magic === 1 ? wrapper.attributes & LEGACY_ATTR_TIMESTAMP_TYPE : 0;
  const header: BatchHeader = {
    baseOffset: first.offset,
    batchLength: wrapper.size,
    partitionLeaderEpoch: -1,
    magic: wrapper.magic,
    crc: wrapper.crc,
    attributes: codec | tsAttr,
    lastOffsetDelta: Number(last.offset - first.offset),
    baseTimestamp: first.timestamp,
    maxTimestamp,
    producerId: NO_PRODUCER_ID,
    producerEpoch: NO_PRODUCER_EPOCH,
    baseSequence: NO_SEQUENCE,
    recordCount: inner.length,
  };
  const records = inner.map(
    (r) =>
      new DecodedRecord(
        header,
        r.msg.attributes,
        Number(r.timestamp - first.timestamp),
        Number(r.offset - first.offset),
        r.msg.key,
        r.msg.value,
        EMPTY_HEADERS,
      ),
  );
  return { header, records, position: pos, sizeInBytes: LOG_OVERHEAD + wrapper.size };
}

export interface LegacyMessageInput {
  key: Uint8Array | null;
  value: Uint8Array | null;
  /** Ignored for magic 0. Default -1 (no timestamp). */
  timestamp?: bigint | number;
  /** Absolute offset; default baseOffset + index. */
  offset?: bigint;
}

export interface LegacyMessageSetOptions {
  magic: 0 | 1;
  /** none, gzip, snappy or lz4 (zstd needs magic 2). */
  compression?: CompressionCodec;
  compressionLevel?: number;
  baseOffset?: bigint;
  /** Magic 1: mark LogAppendTime and stamp the wrapper with this time. */
  logAppendTime?: bigint | number;
}

function messageSize(magic: number, key: Uint8Array | null, value: Uint8Array | null): number {
  return (magic === 0 ? LEGACY_RECORD_OVERHEAD_V0 : LEGACY_RECORD_OVERHEAD_V1) + (key?.length ?? 0) + (value?.length ?? 0);
}

function writeMessage(
  buf: Buffer,
  pos: number,
  offset: bigint,
  magic: number,
  attributes: number,
  timestamp: bigint,
  key: Uint8Array | null,
  value: Uint8Array | null,
): number {
  const size = messageSize(magic, key, value);
  buf.writeBigInt64BE(offset, pos);
  buf.writeInt32BE(size, pos + 8);
  const crcPos = pos + LOG_OVERHEAD;
  let p = crcPos + 4;
  buf[p++] = magic;
  buf[p++] = attributes & 0xff;
  if (magic === 1) {
    buf.writeBigInt64BE(timestamp, p);
    p += 8;
  }
  for (const b of [key, value]) {
    if (b === null) {
      buf.writeInt32BE(-1, p);
      p += 4;
    } else {
      buf.writeInt32BE(b.length, p);
      buf.set(b, p + 4);
      p += 4 + b.length;
    }
  }
  buf.writeUInt32BE(crc32(buf.subarray(crcPos + 4, p)) >>> 0, crcPos);
  return p;
}

function ts(v: bigint | number | undefined): bigint {
  return v === undefined ? NO_TIMESTAMP : BigInt(v);
}

/**
 * Writes a magic 0 or 1 message set as Kafka's MemoryRecordsBuilder does: one
 * entry per message when uncompressed, else a single wrapper whose value is the
 * compressed inner set.
 */
export function buildLegacyMessageSet(messages: readonly LegacyMessageInput[], options: LegacyMessageSetOptions): Buffer {
  const magic = options.magic;
  if (magic !== 0 && magic !== 1) throw new ProtocolEncodeError(`legacy magic must be 0 or 1, not ${magic}`);
  const codec = options.compression ?? CompressionCodec.NONE;
  if (codec > CompressionCodec.LZ4) throw new ProtocolEncodeError(`${codecName(codec)} needs magic 2`);
  const base = options.baseOffset ?? 0n;
  const logAppend = magic === 1 && options.logAppendTime !== undefined;
  const tsAttr = logAppend ? LEGACY_ATTR_TIMESTAMP_TYPE : 0;
  const offsets = messages.map((m, i) => m.offset ?? base + BigInt(i));
  let total = 0;
  for (const m of messages) total += LOG_OVERHEAD + messageSize(magic, m.key, m.value);
  const set = Buffer.allocUnsafe(total);
  let p = 0;
  const first = offsets[0] ?? base;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    // Inner offsets of a compressed magic-1 set are relative to the first.
    const offset = codec !== CompressionCodec.NONE && magic === 1 ? offsets[i]! - first : offsets[i]!;
    p = writeMessage(set, p, offset, magic, tsAttr, ts(m.timestamp), m.key, m.value);
  }
  if (codec === CompressionCodec.NONE) return set;
  if (messages.length === 0) throw new ProtocolEncodeError('a compressed legacy message set needs at least one message');
  const compressed = compress(codec, set, { magic, level: options.compressionLevel });
  let wrapperTs = NO_TIMESTAMP;
  if (magic === 1) {
    if (logAppend) wrapperTs = BigInt(options.logAppendTime!);
    else for (const m of messages) if (ts(m.timestamp) > wrapperTs) wrapperTs = ts(m.timestamp);
  }
  const out = Buffer.allocUnsafe(LOG_OVERHEAD + messageSize(magic, null, compressed));
  writeMessage(out, 0, offsets[offsets.length - 1]!, magic, codec | tsAttr, wrapperTs, null, compressed);
  return out;
}
