import { ProtocolDecodeError } from '../primitives/decode-error.ts';
import { HEADER_SIZE_UP_TO_MAGIC, LOG_OVERHEAD, MAGIC_V2, OFFSET_BATCH_LENGTH, OFFSET_MAGIC } from './batch-header.ts';
import type { DecodeOptions } from './batch-decoder.ts';
import { decodeRecordBatch } from './batch-decoder.ts';
import { LEGACY_RECORD_OVERHEAD_V0, decodeLegacyEntry } from './legacy.ts';
import type { DecodedBatch } from './record.ts';

/**
 * A `records` field: batches (or legacy entries) back to back, as in a fetch
 * response or a segment file. Kafka's ByteBufferLogInputStream rules:
 *
 * - fewer than 17 bytes left (up to the magic) ends the set;
 * - a size field below 14 (the smallest legacy message) is corruption;
 * - a batch extending past the end is a partial batch — brokers cut fetch
 *   responses at a byte limit — and ends the set without error;
 * - a complete batch with a magic other than 0, 1, 2 is corruption.
 *
 * `truncated` tells a consumer that bytes were skipped: if no batch was complete,
 * the first batch is larger than what it asked for.
 */
export interface BatchLocation {
  position: number;
  /** Bytes including the 12-byte log overhead. */
  size: number;
  magic: number;
}

export interface RecordSetScan {
  batches: BatchLocation[];
  /** Bytes covered by complete batches (start + bytesRead is where the partial tail begins). */
  bytesRead: number;
  truncated: boolean;
}

/** Locates the next complete batch at `pos`, or returns null at a partial tail / the end. */
export function nextBatchLocation(buf: Buffer, pos: number, end: number): BatchLocation | null {
  if (end > buf.length) end = buf.length;
  if (end - pos < HEADER_SIZE_UP_TO_MAGIC) return null;
  const sizeField = buf.readInt32BE(pos + OFFSET_BATCH_LENGTH);
  if (sizeField < LEGACY_RECORD_OVERHEAD_V0) {
    throw new ProtocolDecodeError(`record batch size ${sizeField} is below the minimum ${LEGACY_RECORD_OVERHEAD_V0}`, pos + OFFSET_BATCH_LENGTH);
  }
  const size = sizeField + LOG_OVERHEAD;
  if (size > end - pos) return null;
  const magic = buf.readInt8(pos + OFFSET_MAGIC);
  if (magic < 0 || magic > MAGIC_V2) throw new ProtocolDecodeError(`invalid magic ${magic}`, pos + OFFSET_MAGIC);
  return { position: pos, size, magic };
}

/** Finds the batches without decoding or checking them (no CRC): for storage and fetch paths. */
export function scanRecordSet(buf: Buffer, start = 0, end = buf.length): RecordSetScan {
  const batches: BatchLocation[] = [];
  let pos = start;
  for (;;) {
    const loc = nextBatchLocation(buf, pos, end);
    if (loc === null) break;
    batches.push(loc);
    pos += loc.size;
  }
  return { batches, bytesRead: pos - start, truncated: pos < end };
}

function decodeAt(buf: Buffer, loc: BatchLocation, options?: DecodeOptions): DecodedBatch {
  if (loc.magic === MAGIC_V2) {
    // Bound the view so a lying length cannot reach past the record set.
    const view = buf.subarray(0, loc.position + loc.size);
    return decodeRecordBatch(view, loc.position, options);
  }
  return decodeLegacyEntry(buf, loc.position, loc.position + loc.size, options);
}

/** Decodes each complete batch lazily, in order. Stops silently at a partial tail. */
export function* iterateRecordSet(buf: Buffer, start = 0, end = buf.length, options?: DecodeOptions): Generator<DecodedBatch> {
  let pos = start;
  for (;;) {
    const loc = nextBatchLocation(buf, pos, end);
    if (loc === null) return;
    yield decodeAt(buf, loc, options);
    pos += loc.size;
  }
}

export interface DecodedRecordSet {
  batches: DecodedBatch[];
  bytesRead: number;
  truncated: boolean;
}

/** Decodes every complete batch (any magic) of a records field. */
export function decodeRecordSet(buf: Buffer, start = 0, end = buf.length, options?: DecodeOptions): DecodedRecordSet {
  const batches: DecodedBatch[] = [];
  let pos = start;
  for (;;) {
    const loc = nextBatchLocation(buf, pos, end);
    if (loc === null) break;
    batches.push(decodeAt(buf, loc, options));
    pos += loc.size;
  }
  return { batches, bytesRead: pos - start, truncated: pos < end };
}
