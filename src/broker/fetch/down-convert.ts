import { CompressionCodec } from '../../protocol/compression/codec.ts';
import { decodeRecordBatch } from '../../protocol/records/batch-decoder.ts';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  LOG_OVERHEAD,
  MAGIC_V2,
  OFFSET_ATTRIBUTES,
  OFFSET_BATCH_LENGTH,
  OFFSET_MAGIC,
} from '../../protocol/records/batch-header.ts';
import { buildLegacyMessageSet } from '../../protocol/records/legacy.ts';
import type { LegacyMessageInput } from '../../protocol/records/legacy.ts';

/**
 * Fetch v0-3 clients read only message formats 0 (v0-1) and 1 (v2-3): the broker
 * converts magic-2 batches for them (Kafka's RecordsUtil.downConvert), which is
 * the one fetch path that decodes records. Records below the fetch offset are
 * dropped, control batches are skipped, headers cannot be represented and are
 * dropped, and each batch keeps its compression codec.
 */
export function downConvert(records: Buffer, fetchOffset: number, toMagic: 0 | 1): Buffer {
  const parts: Buffer[] = [];
  for (let pos = 0; pos + LOG_OVERHEAD + 5 <= records.length; ) {
    const size = records.readInt32BE(pos + OFFSET_BATCH_LENGTH) + LOG_OVERHEAD;
    if (pos + size > records.length) break;
    const magic = records[pos + OFFSET_MAGIC]!;
    if (magic <= toMagic) {
      parts.push(records.subarray(pos, pos + size));
    } else if (magic === MAGIC_V2 && (records.readInt16BE(pos + OFFSET_ATTRIBUTES) & ATTR_CONTROL) === 0) {
      const batch = decodeRecordBatch(records, pos, { verifyCrc: false });
      const h = batch.header;
      const msgs: LegacyMessageInput[] = [];
      for (const r of batch.records) {
        const offset = h.baseOffset + BigInt(r.offsetDelta);
        if (offset < BigInt(fetchOffset)) continue;
        msgs.push({ key: r.key, value: r.value, timestamp: toMagic === 1 ? r.timestamp : undefined, offset });
      }
      if (msgs.length > 0) {
        const logAppend = (h.attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0;
        parts.push(
          buildLegacyMessageSet(msgs, {
            magic: toMagic,
            compression: (h.attributes & ATTR_COMPRESSION_MASK) as CompressionCodec,
            baseOffset: msgs[0]!.offset,
            logAppendTime: logAppend && toMagic === 1 ? h.maxTimestamp : undefined,
          }),
        );
      }
    }
    pos += size;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** Whether any magic-2 batch in `records` is zstd-compressed (fetch before v10 cannot take it). */
export function containsZstd(records: Buffer): boolean {
  for (let pos = 0; pos + LOG_OVERHEAD + 11 <= records.length; ) {
    const size = records.readInt32BE(pos + OFFSET_BATCH_LENGTH) + LOG_OVERHEAD;
    if (records[pos + OFFSET_MAGIC] === MAGIC_V2 && (records.readInt16BE(pos + OFFSET_ATTRIBUTES) & ATTR_COMPRESSION_MASK) === CompressionCodec.ZSTD) return true;
    pos += size;
  }
  return false;
}
