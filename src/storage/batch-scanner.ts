import { crc32c } from '../protocol/crc32c.ts';
import {
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  OFFSET_ATTRIBUTES,
  OFFSET_BASE_OFFSET,
  OFFSET_BASE_SEQUENCE,
  OFFSET_BATCH_LENGTH,
  OFFSET_CRC,
  OFFSET_LAST_OFFSET_DELTA,
  OFFSET_MAGIC,
  OFFSET_MAX_TIMESTAMP,
  OFFSET_PARTITION_LEADER_EPOCH,
  OFFSET_PRODUCER_EPOCH,
  OFFSET_PRODUCER_ID,
  OFFSET_RECORD_COUNT,
} from '../protocol/records/batch-header.ts';
import type { FileIO } from './file-io.ts';

/**
 * Sequential walk over the magic-2 batches of a `.log` file (or a buffer), reading the
 * file in large chunks so that a scan costs one read per chunk rather than one per
 * batch. Used by lookups (offset → position), recovery (with CRC validation), index
 * rebuilds, producer-state replay and the cleaner.
 */

/** The header fields the storage layer works with, as plain numbers. */
export interface BatchInfo {
  /** Byte position of the batch in the file or buffer. */
  position: number;
  /** Total size: batchLength + 12. */
  size: number;
  baseOffset: number;
  lastOffset: number;
  partitionLeaderEpoch: number;
  attributes: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/** Smallest legal batch: a header with zero records. */
export const MIN_BATCH_SIZE = BATCH_HEADER_SIZE;

export function batchInfoAt(buf: Buffer, at: number, position: number): BatchInfo {
  const baseOffset = Number(buf.readBigInt64BE(at + OFFSET_BASE_OFFSET));
  return {
    position,
    size: buf.readInt32BE(at + OFFSET_BATCH_LENGTH) + LOG_OVERHEAD,
    baseOffset,
    lastOffset: baseOffset + buf.readInt32BE(at + OFFSET_LAST_OFFSET_DELTA),
    partitionLeaderEpoch: buf.readInt32BE(at + OFFSET_PARTITION_LEADER_EPOCH),
    attributes: buf.readInt16BE(at + OFFSET_ATTRIBUTES),
    maxTimestamp: Number(buf.readBigInt64BE(at + OFFSET_MAX_TIMESTAMP)),
    producerId: Number(buf.readBigInt64BE(at + OFFSET_PRODUCER_ID)),
    producerEpoch: buf.readInt16BE(at + OFFSET_PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(at + OFFSET_BASE_SEQUENCE),
    recordCount: buf.readInt32BE(at + OFFSET_RECORD_COUNT),
  };
}

/**
 * Why the batch at `at` cannot be trusted, or null. `available` is how many bytes of
 * it are present. Checks length sanity, magic, CRC32C (when `checkCrc`), and that
 * offsets do not go backwards (`minBaseOffset`).
 */
export function batchProblem(buf: Buffer, at: number, available: number, maxBatchSize: number, checkCrc: boolean, minBaseOffset: number): string | null {
  if (available < LOG_OVERHEAD) return 'torn batch header';
  const size = buf.readInt32BE(at + OFFSET_BATCH_LENGTH) + LOG_OVERHEAD;
  if (size < MIN_BATCH_SIZE || size > maxBatchSize) return `batch size ${size} out of range`;
  if (available < size) return `torn batch: ${available} of ${size} bytes present`;
  if (buf.readInt8(at + OFFSET_MAGIC) !== 2) return `unsupported magic ${buf.readInt8(at + OFFSET_MAGIC)}`;
  const baseOffset = Number(buf.readBigInt64BE(at + OFFSET_BASE_OFFSET));
  if (baseOffset < minBaseOffset) return `base offset ${baseOffset} below ${minBaseOffset}`;
  if (buf.readInt32BE(at + OFFSET_LAST_OFFSET_DELTA) < 0) return 'negative last offset delta';
  if (checkCrc) {
    const stored = buf.readUInt32BE(at + OFFSET_CRC);
    const actual = crc32c(buf.subarray(at + OFFSET_ATTRIBUTES, at + size));
    if (stored !== actual) return `CRC mismatch (stored ${stored}, computed ${actual})`;
  }
  return null;
}

export interface ScanOptions {
  /** First byte to scan (a batch boundary). */
  from?: number;
  /** Stop before this byte. */
  to?: number;
  /** Validate each batch (size sanity, magic, CRC, monotonic offsets). */
  validate?: boolean;
  /** Also deliver the batch bytes (a view valid only until the next batch). */
  withBytes?: boolean;
  /** Upper bound on one batch's size when validating. */
  maxBatchSize?: number;
  chunkBytes?: number;
}

export interface ScanEnd {
  /** Position after the last good batch. */
  validBytes: number;
  /** Why the scan stopped before `to`, or null if it reached it. */
  problem: string | null;
}

/**
 * Calls `visit` for each batch from `from`; `visit` may return false to stop.
 * Without `validate`, a torn trailing batch ends the scan silently.
 */
export function scanFile(
  io: FileIO,
  fd: number,
  fileSize: number,
  opts: ScanOptions,
  visit: (batch: BatchInfo, bytes: Buffer | null) => boolean | void,
): ScanEnd {
  const to = Math.min(opts.to ?? fileSize, fileSize);
  const chunk = opts.chunkBytes ?? 1 << 20;
  const maxBatch = opts.maxBatchSize ?? 0x7fffffff;
  let window = Buffer.allocUnsafe(Math.min(chunk, Math.max(to - (opts.from ?? 0), BATCH_HEADER_SIZE)));
  let winStart = 0;
  let winLen = 0;
  let pos = opts.from ?? 0;
  let minBase = 0;

  const fill = (at: number, want: number): void => {
    if (want > window.length) window = Buffer.allocUnsafe(want);
    const len = Math.min(Math.max(want, Math.min(window.length, to - at)), to - at);
    let done = 0;
    while (done < len) {
      const n = io.read(fd, window, done, len - done, at + done);
      if (n <= 0) break;
      done += n;
    }
    winStart = at;
    winLen = done;
  };

  while (pos < to) {
    const headerNeed = Math.min(BATCH_HEADER_SIZE, to - pos);
    if (pos < winStart || pos + headerNeed > winStart + winLen) fill(pos, BATCH_HEADER_SIZE);
    let at = pos - winStart;
    let available = winStart + winLen - pos;
    if (available < BATCH_HEADER_SIZE) {
      if (!opts.validate) return { validBytes: pos, problem: available > 0 ? 'torn batch header' : null };
      return { validBytes: pos, problem: 'torn batch header' };
    }
    const size = window.readInt32BE(at + OFFSET_BATCH_LENGTH) + LOG_OVERHEAD;
    const needBytes = opts.validate || opts.withBytes;
    if (needBytes && size >= MIN_BATCH_SIZE && size <= maxBatch && available < size && pos + size <= to) {
      fill(pos, size);
      at = 0;
      available = winLen;
    }
    if (opts.validate) {
      const problem = batchProblem(window, at, Math.min(available, to - pos), maxBatch, true, minBase);
      if (problem !== null) return { validBytes: pos, problem };
    } else if (size < MIN_BATCH_SIZE || pos + size > to) {
      return { validBytes: pos, problem: `torn or invalid batch at ${pos}` };
    }
    const info = batchInfoAt(window, at, pos);
    minBase = info.lastOffset + 1;
    const keepGoing = visit(info, needBytes ? window.subarray(at, at + size) : null);
    pos += size;
    if (keepGoing === false) return { validBytes: pos, problem: null };
  }
  return { validBytes: pos, problem: null };
}

/** Same walk over an in-memory buffer (an incoming append, or a cleaner's output). */
export function forEachBatchInBuffer(buf: Buffer, visit: (batch: BatchInfo, at: number) => void): void {
  let pos = 0;
  while (pos < buf.length) {
    const info = batchInfoAt(buf, pos, pos);
    visit(info, pos);
    pos += info.size;
  }
}
