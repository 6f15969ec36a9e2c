import { crc32c } from '../protocol/crc32c.ts';
import {
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  OFFSET_ATTRIBUTES,
  OFFSET_BASE_OFFSET,
  OFFSET_BATCH_LENGTH,
  OFFSET_CRC,
  OFFSET_MAGIC,
  OFFSET_MAX_TIMESTAMP,
  OFFSET_PARTITION_LEADER_EPOCH,
} from '../protocol/records/batch-header.ts';
import type { BatchInfo } from './batch-scanner.ts';
import { batchInfoAt } from './batch-scanner.ts';
import { StorageError, StorageErrorCode } from './errors.ts';
import type { AppendOrigin, ProducerAppendSession } from './producer-state.ts';

/**
 * The per-batch part of an append, shared by the file and memory engines: framing
 * checks, offset assignment in place (base offset, leader epoch, and for
 * LogAppendTime the max timestamp + CRC), then producer-state checks. Work is per
 * batch, never per record.
 */
export interface PrepareOptions {
  logEndOffset: number;
  /** False for replication: the leader's offsets are kept and must not go backwards. */
  assignOffsets: boolean;
  leaderEpoch?: number;
  /** Broker time to stamp as LogAppendTime, or null for CreateTime. */
  logAppendTimeMs: number | null;
  maxMessageBytes: number;
  /** `topic-partition`, for messages. */
  name: string;
}

export function prepareBatches(records: Buffer, o: PrepareOptions): { batches: BatchInfo[]; recordCount: number } {
  const batches: BatchInfo[] = [];
  let next = o.logEndOffset;
  let recordCount = 0;
  for (let pos = 0; pos < records.length; ) {
    if (records.length - pos < BATCH_HEADER_SIZE) throw new StorageError(StorageErrorCode.CORRUPT_MESSAGE, `Truncated batch header at byte ${pos}`);
    const size = records.readInt32BE(pos + OFFSET_BATCH_LENGTH) + LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE || pos + size > records.length) {
      throw new StorageError(StorageErrorCode.CORRUPT_MESSAGE, `Batch at byte ${pos} claims ${size} bytes, ${records.length - pos} present`);
    }
    if (records[pos + OFFSET_MAGIC] !== 2) {
      throw new StorageError(StorageErrorCode.CORRUPT_MESSAGE, `Batch at byte ${pos} has magic ${records[pos + OFFSET_MAGIC]}; only magic 2 is stored`);
    }
    if (size > o.maxMessageBytes) {
      throw new StorageError(StorageErrorCode.MESSAGE_TOO_LARGE, `Batch of ${size} bytes exceeds max.message.bytes ${o.maxMessageBytes} of ${o.name}`);
    }
    if (o.assignOffsets) {
      records.writeBigInt64BE(BigInt(next), pos + OFFSET_BASE_OFFSET);
      if (o.leaderEpoch !== undefined) records.writeInt32BE(o.leaderEpoch, pos + OFFSET_PARTITION_LEADER_EPOCH);
      if (o.logAppendTimeMs !== null) {
        records.writeInt16BE(records.readInt16BE(pos + OFFSET_ATTRIBUTES) | ATTR_TIMESTAMP_TYPE_LOG_APPEND, pos + OFFSET_ATTRIBUTES);
        records.writeBigInt64BE(BigInt(o.logAppendTimeMs), pos + OFFSET_MAX_TIMESTAMP);
        records.writeUInt32BE(crc32c(records.subarray(pos + OFFSET_ATTRIBUTES, pos + size)), pos + OFFSET_CRC);
      }
    }
    const info = batchInfoAt(records, pos, pos);
    if (info.baseOffset < next) {
      throw new StorageError(StorageErrorCode.CORRUPT_MESSAGE, `Batch base offset ${info.baseOffset} is below the log end offset ${next} of ${o.name}`);
    }
    if (info.lastOffset < info.baseOffset) throw new StorageError(StorageErrorCode.CORRUPT_MESSAGE, `Batch at byte ${pos} has a negative last offset delta`);
    next = info.lastOffset + 1;
    recordCount += info.recordCount;
    batches.push(info);
    pos += size;
  }
  return { batches, recordCount };
}

/**
 * Runs every batch through the producer state. Returns the duplicate answer (the
 * original offsets, Kafka's reply to a retried batch) or null; throws for sequence
 * and epoch errors.
 */
export function checkProducerState(
  session: ProducerAppendSession,
  batches: readonly BatchInfo[],
  origin: AppendOrigin,
): { baseOffset: number; lastOffset: number; logAppendTimeMs: number; duplicate: true; recordCount: number } | null {
  for (const b of batches) {
    const check = session.checkAndRecord(b, origin);
    if (check.result === 'duplicate') {
      return { baseOffset: check.firstOffset, lastOffset: check.lastOffset, logAppendTimeMs: -1, duplicate: true, recordCount: 0 };
    }
    if (check.result === 'error') throw new StorageError(check.code, check.message);
  }
  return null;
}
