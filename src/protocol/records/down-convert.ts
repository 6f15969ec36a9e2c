import { ProtocolEncodeError } from '../primitives/decode-error.ts';
import { CompressionCodec, codecName } from '../compression/codec.ts';
import { ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_TIMESTAMP_TYPE_LOG_APPEND } from './batch-header.ts';
import { buildLegacyMessageSet } from './legacy.ts';
import type { DecodedBatch } from './record.ts';

/**
 * Converts decoded batches to a magic 0 or 1 message set for fetchers that only
 * read the old formats (Kafka's RecordsUtil.downConvert): control batches are
 * dropped, headers are lost (the old formats have none), each batch keeps its
 * codec unless `compression` overrides it, offsets stay absolute and LogAppendTime
 * batches stay LogAppendTime (magic 1). zstd has no
 * legacy form; Kafka answers such fetches with UNSUPPORTED_COMPRESSION_TYPE, so
 * this throws unless a legacy codec is given.
 */
export interface DownConvertOptions {
  magic: 0 | 1;
  /** Codec for every converted batch; default: each batch's own. */
  compression?: CompressionCodec;
}

export function downConvert(batches: readonly DecodedBatch[], options: DownConvertOptions): Buffer {
  const parts: Buffer[] = [];
  for (const batch of batches) {
    if ((batch.header.attributes & ATTR_CONTROL) !== 0 || batch.records.length === 0) continue;
    const codec = (options.compression ?? batch.header.attributes & ATTR_COMPRESSION_MASK) as CompressionCodec;
    if (codec === CompressionCodec.ZSTD || codec > CompressionCodec.ZSTD) {
      throw new ProtocolEncodeError(`cannot down-convert ${codecName(codec)} batches to magic ${options.magic}`);
    }
    const messages = batch.records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp, offset: r.offset }));
    const logAppendTime = (batch.header.attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0 ? batch.header.maxTimestamp : undefined;
    parts.push(buildLegacyMessageSet(messages, { magic: options.magic, compression: codec, logAppendTime }));
  }
  return Buffer.concat(parts);
}
