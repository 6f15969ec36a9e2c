/**
 * The consumer's batch decoder: a magic-2 batch's records parsed straight into
 * ConsumerRecords — one object per record plus zero-copy key/value views — rather
 * than DecodedRecords wrapped afterwards (a third fewer allocations on the hot
 * path). Same checks as src/protocol/records/batch-decoder.ts (CRC32C, lengths
 * within the record, exact record count and size). Legacy (magic 0/1) entries go
 * through the protocol's decoder and are converted.
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
let p = 0;

function fail(message: string): never {
  throw new ProtocolDecodeError(message, p);
}

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

export interface ConsumerBatch {
  header: BatchHeader;
  /** Records with key/value still raw (the drain deserializes them). */
  records: ConsumerRecord<unknown, unknown>[];
}

/** Decodes the batch at `loc` for `topic`-`partition`. */
export function decodeConsumerBatch(buf: Buffer, loc: BatchLocation, topic: string, partition: number, verifyCrc: boolean): ConsumerBatch {
  if (loc.magic !== MAGIC_V2) {
    const out: ConsumerRecord<unknown, unknown>[] = [];
    let header: BatchHeader | null = null;
    for (const b of iterateRecordSet(buf, loc.position, loc.position + loc.size, { verifyCrc })) {
      header = b.header;
      for (const r of b.records) out.push(new ConsumerRecord(topic, partition, r.batch, r.offsetDelta, r.timestampDelta, r.key, r.value, r.headers));
    }
    return { header: header!, records: out };
  }
  const pos = loc.position;
  p = pos;
  if (loc.size < BATCH_HEADER_SIZE) fail(`record batch of ${loc.size} bytes is below the header size`);
  const header = readBatchHeader(buf, pos);
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
  const records: ConsumerRecord<unknown, unknown>[] = new Array(count);
  p = start;
  for (let i = 0; i < count; i++) {
    const length = varint(src, end);
    if (length < MIN_RECORD_SIZE - 1) fail(`invalid record length ${length}`);
    const recordEnd = p + length;
    if (recordEnd > end) fail(`record of ${length} bytes overruns the batch`);
    p++; // attributes
    const timestampDelta = varlong(src, recordEnd);
    const offsetDelta = varint(src, recordEnd);
    let key: Buffer | null = null;
    const kl = varint(src, recordEnd);
    if (kl >= 0) {
      if (kl > recordEnd - p) fail(`key of ${kl} bytes overruns the record`);
      key = src.subarray(p, p + kl);
      p += kl;
    } else if (kl !== -1) fail(`invalid key length ${kl}`);
    let value: Buffer | null = null;
    const vl = varint(src, recordEnd);
    if (vl >= 0) {
      if (vl > recordEnd - p) fail(`value of ${vl} bytes overruns the record`);
      value = src.subarray(p, p + vl);
      p += vl;
    } else if (vl !== -1) fail(`invalid value length ${vl}`);
    const h = headers(src, recordEnd);
    if (p !== recordEnd) fail(`record declared ${length} bytes but used ${length - (recordEnd - p)}`);
    records[i] = new ConsumerRecord(topic, partition, header, offsetDelta, timestampDelta, key, value, h);
  }
  if (p !== end) fail(`${end - p} bytes left after the batch's ${count} records`);
  return { header, records };
}
