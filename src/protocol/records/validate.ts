import { crc32 } from 'node:zlib';
import { ErrorCode } from '../errors/index.ts';
import { crc32c } from '../crc32c.ts';
import { CompressionCodec, codecName } from '../compression/codec.ts';
import type { BatchHeader } from './batch-header.ts';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  ATTR_TRANSACTIONAL,
  BATCH_HEADER_SIZE,
  HEADER_SIZE_UP_TO_MAGIC,
  LOG_OVERHEAD,
  MAGIC_V2,
  OFFSET_ATTRIBUTES,
  OFFSET_BATCH_LENGTH,
  OFFSET_CRC,
  OFFSET_LAST_OFFSET_DELTA,
  OFFSET_MAGIC,
  OFFSET_RECORD_COUNT,
  readBatchHeader,
} from './batch-header.ts';
import { MIN_RECORD_SIZE } from './batch-decoder.ts';
import { LEGACY_RECORD_OVERHEAD_V0, LEGACY_RECORD_OVERHEAD_V1 } from './legacy.ts';
import { RecordValidationError } from './validation-error.ts';

/**
 * What the produce path checks before appending, without decoding records
 * (Kafka: ByteBufferLogInputStream, DefaultRecordBatch.ensureValid,
 * ProduceRequest.validateRecords, LogValidator.validateBatch).
 *
 *   CORRUPT_MESSAGE (2)                 sizes, CRC, unknown magic, trailing bytes
 *   INVALID_RECORD (87)                 count vs lastOffsetDelta, control batch or
 *                                       missing sequence from a client, not exactly
 *                                       one magic-2 batch for produce v3+
 *   UNSUPPORTED_FOR_MESSAGE_FORMAT (43) legacy messages where they are not allowed
 *   UNSUPPORTED_COMPRESSION_TYPE (76)   codec id 5-7, zstd before produce v7
 *   MESSAGE_TOO_LARGE (10)              batch larger than maxBatchBytes
 *   INVALID_TIMESTAMP (32)              a client claiming LogAppendTime
 */
export type AppendOrigin = 'client' | 'replication' | 'coordinator';

export interface ValidateBatchOptions {
  /** Default 'client': the checks Kafka applies to produce requests. */
  origin?: AppendOrigin;
  /** max.message.bytes: larger batches are MESSAGE_TOO_LARGE. */
  maxBatchBytes?: number;
  /** Default true. */
  verifyCrc?: boolean;
}

function invalid(code: number, message: string, offset: number): never {
  throw new RecordValidationError(code, message, offset);
}

/**
 * Validates the magic-2 batch at `pos`, which must fit within `end`, and returns
 * its header. Throws RecordValidationError.
 */
export function validateBatch(buf: Buffer, pos: number, end: number, options?: ValidateBatchOptions): BatchHeader {
  if (end > buf.length) end = buf.length;
  const available = end - pos;
  if (available < HEADER_SIZE_UP_TO_MAGIC) {
    invalid(ErrorCode.CORRUPT_MESSAGE, `record batch truncated to ${available} bytes`, pos);
  }
  const batchLength = buf.readInt32BE(pos + OFFSET_BATCH_LENGTH);
  const magic = buf.readInt8(pos + OFFSET_MAGIC);
  if (magic !== MAGIC_V2) {
    if (magic === 0 || magic === 1) {
      invalid(ErrorCode.INVALID_RECORD, `record batch magic ${magic}: only magic 2 batches are accepted here`, pos + OFFSET_MAGIC);
    }
    invalid(ErrorCode.CORRUPT_MESSAGE, `invalid magic ${magic}`, pos + OFFSET_MAGIC);
  }
  if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) {
    invalid(ErrorCode.CORRUPT_MESSAGE, `record batch length ${batchLength} is below the minimum ${BATCH_HEADER_SIZE - LOG_OVERHEAD}`, pos + OFFSET_BATCH_LENGTH);
  }
  const size = batchLength + LOG_OVERHEAD;
  if (size > available) {
    invalid(ErrorCode.CORRUPT_MESSAGE, `record batch of ${size} bytes truncated to ${available}`, pos + OFFSET_BATCH_LENGTH);
  }
  if (options?.maxBatchBytes !== undefined && size > options.maxBatchBytes) {
    invalid(ErrorCode.MESSAGE_TOO_LARGE, `record batch of ${size} bytes exceeds the maximum ${options.maxBatchBytes}`, pos);
  }
  const header = readBatchHeader(buf, pos);
  if (options?.verifyCrc !== false) {
    const crc = crc32c(buf.subarray(pos + OFFSET_CRC + 4, pos + size));
    if (crc !== header.crc) {
      invalid(
        ErrorCode.CORRUPT_MESSAGE,
        `record batch CRC32C mismatch: stored 0x${header.crc.toString(16)}, computed 0x${crc.toString(16)}`,
        pos + OFFSET_CRC,
      );
    }
  }
  const attributes = header.attributes;
  const codec = attributes & ATTR_COMPRESSION_MASK;
  if (codec > CompressionCodec.ZSTD) {
    invalid(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression codec id ${codec}`, pos + OFFSET_ATTRIBUTES);
  }
  const count = header.recordCount;
  const lastOffsetDelta = header.lastOffsetDelta;
  if (count < 0) invalid(ErrorCode.INVALID_RECORD, `invalid record count ${count}`, pos + OFFSET_RECORD_COUNT);
  if (lastOffsetDelta < 0) {
    invalid(ErrorCode.INVALID_RECORD, `invalid lastOffsetDelta ${lastOffsetDelta}`, pos + OFFSET_LAST_OFFSET_DELTA);
  }
  // Without decompressing, an uncompressed batch still bounds its count: every record takes >= 7 bytes.
  if (codec === CompressionCodec.NONE && count > (size - BATCH_HEADER_SIZE) / MIN_RECORD_SIZE) {
    invalid(ErrorCode.CORRUPT_MESSAGE, `record count ${count} cannot fit in ${size - BATCH_HEADER_SIZE} bytes`, pos + OFFSET_RECORD_COUNT);
  }
  const origin = options?.origin ?? 'client';
  if (count > lastOffsetDelta + 1) {
    invalid(ErrorCode.INVALID_RECORD, `record count ${count} exceeds the offset range of lastOffsetDelta ${lastOffsetDelta}`, pos + OFFSET_RECORD_COUNT);
  }
  if ((attributes & ATTR_TRANSACTIONAL) !== 0 && header.producerId < 0n) {
    invalid(ErrorCode.INVALID_RECORD, 'transactional record batch without a producer id', pos + OFFSET_ATTRIBUTES);
  }
  if (origin === 'client') {
    if (count === 0) invalid(ErrorCode.INVALID_RECORD, 'record batch from a client with no records', pos + OFFSET_RECORD_COUNT);
    if (count !== lastOffsetDelta + 1) {
      invalid(
        ErrorCode.INVALID_RECORD,
        `inconsistent batch: lastOffsetDelta ${lastOffsetDelta} spans ${lastOffsetDelta + 1} offsets but the count is ${count}`,
        pos + OFFSET_RECORD_COUNT,
      );
    }
    if ((attributes & ATTR_CONTROL) !== 0) {
      invalid(ErrorCode.INVALID_RECORD, 'clients may not write control batches', pos + OFFSET_ATTRIBUTES);
    }
    if (header.producerId >= 0n && header.baseSequence < 0) {
      invalid(ErrorCode.INVALID_RECORD, `invalid sequence ${header.baseSequence} for producer id ${header.producerId}`, pos + 53);
    }
    if ((attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0) {
      invalid(ErrorCode.INVALID_TIMESTAMP, 'producers may not set the timestamp type to LogAppendTime', pos + OFFSET_ATTRIBUTES);
    }
  }
  return header;
}

/** Shallow check of one legacy (magic 0/1) entry: sizes, CRC32, codec. */
export function validateLegacyEntry(buf: Buffer, pos: number, end: number, options?: ValidateBatchOptions): number {
  if (end > buf.length) end = buf.length;
  const available = end - pos;
  if (available < HEADER_SIZE_UP_TO_MAGIC + 1) invalid(ErrorCode.CORRUPT_MESSAGE, `legacy message truncated to ${available} bytes`, pos);
  const sizeField = buf.readInt32BE(pos + OFFSET_BATCH_LENGTH);
  const magic = buf.readInt8(pos + OFFSET_MAGIC);
  const min = magic === 0 ? LEGACY_RECORD_OVERHEAD_V0 : LEGACY_RECORD_OVERHEAD_V1;
  if (sizeField < min) invalid(ErrorCode.CORRUPT_MESSAGE, `legacy message size ${sizeField} is below the minimum ${min}`, pos + 8);
  const size = sizeField + LOG_OVERHEAD;
  if (size > available) invalid(ErrorCode.CORRUPT_MESSAGE, `legacy message of ${size} bytes truncated to ${available}`, pos + 8);
  if (options?.maxBatchBytes !== undefined && size > options.maxBatchBytes) {
    invalid(ErrorCode.MESSAGE_TOO_LARGE, `legacy message of ${size} bytes exceeds the maximum ${options.maxBatchBytes}`, pos);
  }
  if (options?.verifyCrc !== false) {
    const stored = buf.readUInt32BE(pos + LOG_OVERHEAD);
    const crc = crc32(buf.subarray(pos + OFFSET_MAGIC, pos + size)) >>> 0;
    if (crc !== stored) {
      invalid(ErrorCode.CORRUPT_MESSAGE, `legacy message CRC32 mismatch: stored 0x${stored.toString(16)}, computed 0x${crc.toString(16)}`, pos + 12);
    }
  }
  const codec = buf[pos + OFFSET_MAGIC + 1]! & ATTR_COMPRESSION_MASK;
  if (codec > CompressionCodec.LZ4) {
    invalid(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `${codecName(codec)} compression needs magic 2`, pos + OFFSET_MAGIC + 1);
  }
  return size;
}

export interface ValidateRecordSetOptions extends ValidateBatchOptions {
  /**
   * Produce request version. v3+ must carry exactly one magic-2 batch; zstd needs
   * v7+. Omit for non-produce record sets (replication, recovery).
   */
  produceVersion?: number;
  /** Accept magic 0/1 entries (old producers; the caller converts them). Default false. */
  allowLegacy?: boolean;
}

export interface ValidatedEntry {
  position: number;
  size: number;
  magic: number;
  /** The v2 header; null for a legacy entry. */
  header: BatchHeader | null;
}

export interface ValidatedRecordSet {
  entries: ValidatedEntry[];
  magic: number;
  /** Sum of recordCount over the v2 batches. */
  recordCount: number;
  /** Offsets the v2 batches will take (sum of lastOffsetDelta + 1). */
  offsetCount: number;
}

/**
 * Validates a whole `records` field: a sequence of batches of one magic that must
 * consume [start, end) exactly.
 */
export function validateRecordSet(buf: Buffer, start: number, end: number, options?: ValidateRecordSetOptions): ValidatedRecordSet {
  if (end > buf.length) end = buf.length;
  const entries: ValidatedEntry[] = [];
  const version = options?.produceVersion;
  let magic = -1;
  let recordCount = 0;
  let offsetCount = 0;
  let pos = start;
  if (end - pos <= 0) invalid(ErrorCode.INVALID_RECORD, 'record set has no batches', pos);
  while (pos < end) {
    if (end - pos < HEADER_SIZE_UP_TO_MAGIC) {
      invalid(ErrorCode.CORRUPT_MESSAGE, `${end - pos} trailing bytes after the last batch`, pos);
    }
    const m = buf.readInt8(pos + OFFSET_MAGIC);
    if (magic !== -1 && m !== magic) {
      invalid(ErrorCode.INVALID_RECORD, `batch magic ${m} differs from the first batch's magic ${magic}`, pos + OFFSET_MAGIC);
    }
    if (m === 0 || m === 1) {
      if (version !== undefined && version >= 3) {
        invalid(ErrorCode.INVALID_RECORD, `produce v${version} requests may only contain magic 2 batches, found magic ${m}`, pos + OFFSET_MAGIC);
      }
      if (options?.allowLegacy !== true) {
        invalid(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `message format magic ${m} is not accepted`, pos + OFFSET_MAGIC);
      }
      const size = validateLegacyEntry(buf, pos, end, options);
      entries.push({ position: pos, size, magic: m, header: null });
      pos += size;
    } else {
      const header = validateBatch(buf, pos, end, options);
      const codec = header.attributes & ATTR_COMPRESSION_MASK;
      if (codec === CompressionCodec.ZSTD && version !== undefined && version < 7) {
        invalid(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `zstd compression needs produce v7+, request is v${version}`, pos + OFFSET_ATTRIBUTES);
      }
      const size = header.batchLength + LOG_OVERHEAD;
      entries.push({ position: pos, size, magic: m, header });
      recordCount += header.recordCount;
      offsetCount += header.lastOffsetDelta + 1;
      pos += size;
    }
    magic = m;
    if (version !== undefined && version >= 3 && end - pos >= HEADER_SIZE_UP_TO_MAGIC) {
      invalid(ErrorCode.INVALID_RECORD, `produce v${version} requests must contain exactly one record batch`, pos);
    }
  }
  return { entries, magic, recordCount, offsetCount };
}
