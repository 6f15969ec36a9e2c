import { ProtocolEncodeError } from '../primitives/decode-error.ts';
import { crc32c } from '../crc32c.ts';
import {
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  LOG_OVERHEAD,
  MAGIC_V2,
  OFFSET_ATTRIBUTES,
  OFFSET_BASE_OFFSET,
  OFFSET_BATCH_LENGTH,
  OFFSET_CRC,
  OFFSET_LAST_OFFSET_DELTA,
  OFFSET_MAGIC,
  OFFSET_MAX_TIMESTAMP,
  OFFSET_PARTITION_LEADER_EPOCH,
} from './batch-header.ts';

/**
 * The leader's in-place rewrite of validated magic-2 batches before they are
 * appended (Kafka's LogValidator.assignOffsetsNonCompressed and the in-place
 * branch of the compressed path): base offsets from the log end offset onward,
 * the leader epoch, and for LogAppendTime topics the timestamp type and
 * maxTimestamp — the only case that needs the CRC recomputed, since the CRC
 * starts after the partition leader epoch.
 */
export interface AssignOffsetsOptions {
  /** Stamp this partition leader epoch on every batch. */
  partitionLeaderEpoch?: number;
  /** Topic uses LogAppendTime: mark the batches so and set maxTimestamp to this time (ms). */
  logAppendTimeMs?: bigint | number;
}

export interface AssignOffsetsResult {
  firstOffset: bigint;
  lastOffset: bigint;
  /** Offset the next append starts at. */
  nextOffset: bigint;
  /** Largest maxTimestamp among the batches (the log append time if set), -1 if none. */
  maxTimestamp: bigint;
  /** Last offset of the batch holding maxTimestamp (Kafka's shallowOffsetOfMaxTimestamp). */
  offsetOfMaxTimestamp: bigint;
  batchCount: number;
}

/**
 * Assigns offsets to the batches in [start, end), which must already be validated
 * (validateRecordSet) and all magic 2. Each batch takes lastOffsetDelta + 1 offsets.
 */
export function assignOffsets(
  buf: Buffer,
  start: number,
  end: number,
  firstOffset: bigint,
  options?: AssignOffsetsOptions,
): AssignOffsetsResult {
  const epoch = options?.partitionLeaderEpoch;
  const appendTime = options?.logAppendTimeMs === undefined ? undefined : BigInt(options.logAppendTimeMs);
  let next = firstOffset;
  let maxTimestamp = -1n;
  let offsetOfMaxTimestamp = -1n;
  let batchCount = 0;
  let pos = start;
  while (pos < end) {
    if (buf[pos + OFFSET_MAGIC] !== MAGIC_V2) {
      throw new ProtocolEncodeError(`assignOffsets: batch at ${pos} has magic ${buf[pos + OFFSET_MAGIC]}, not 2`);
    }
    const size = buf.readInt32BE(pos + OFFSET_BATCH_LENGTH) + LOG_OVERHEAD;
    if (size > end - pos) throw new ProtocolEncodeError(`assignOffsets: batch at ${pos} overruns the record set`);
    buf.writeBigInt64BE(next, pos + OFFSET_BASE_OFFSET);
    const last = next + BigInt(buf.readInt32BE(pos + OFFSET_LAST_OFFSET_DELTA));
    if (epoch !== undefined) buf.writeInt32BE(epoch, pos + OFFSET_PARTITION_LEADER_EPOCH);
    let batchMax: bigint;
    if (appendTime !== undefined) {
      const attributes = buf.readInt16BE(pos + OFFSET_ATTRIBUTES);
      const current = buf.readBigInt64BE(pos + OFFSET_MAX_TIMESTAMP);
      if ((attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) === 0 || current !== appendTime) {
        buf.writeInt16BE(attributes | ATTR_TIMESTAMP_TYPE_LOG_APPEND, pos + OFFSET_ATTRIBUTES);
        buf.writeBigInt64BE(appendTime, pos + OFFSET_MAX_TIMESTAMP);
        buf.writeUInt32BE(crc32c(buf.subarray(pos + OFFSET_CRC + 4, pos + size)), pos + OFFSET_CRC);
      }
      batchMax = appendTime;
    } else {
      batchMax = buf.readBigInt64BE(pos + OFFSET_MAX_TIMESTAMP);
    }
    if (batchMax > maxTimestamp) {
      maxTimestamp = batchMax;
      offsetOfMaxTimestamp = last;
    }
    next = last + 1n;
    pos += size;
    batchCount++;
  }
  // As Kafka: with LogAppendTime every record has the max timestamp; report the last.
  if (appendTime !== undefined && batchCount > 0) offsetOfMaxTimestamp = next - 1n;
  return { firstOffset, lastOffset: next - 1n, nextOffset: next, maxTimestamp, offsetOfMaxTimestamp, batchCount };
}
