import type { BatchHeader } from './batch-header.ts';
import { ATTR_TIMESTAMP_TYPE_LOG_APPEND } from './batch-header.ts';

/**
 * One magic-2 record (Kafka's DefaultRecord). On the wire, all varints zigzag:
 *
 *   length          varint   bytes after this field
 *   attributes      int8     unused, 0
 *   timestampDelta  varlong  from the batch's baseTimestamp
 *   offsetDelta     varint   from the batch's baseOffset
 *   keyLength       varint   -1 for a null key
 *   key             bytes
 *   valueLength     varint   -1 for a null value
 *   value           bytes
 *   headerCount     varint
 *   headers         headerKeyLength varint, key utf8, headerValueLength varint
 *                   (-1 null), value
 */
export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** A record to encode. Deltas are relative to the batch's baseOffset and baseTimestamp. */
export interface RecordInput {
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number;
  /** Defaults to 0. */
  timestampDelta?: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers?: readonly RecordHeaderInput[];
}

export interface RecordHeaderInput {
  key: string;
  value: Uint8Array | null;
}

export const EMPTY_HEADERS: readonly RecordHeader[] = Object.freeze([]);

/**
 * A record read back from a batch (any magic). Key, value and header values are
 * views of the input (or of the decompressed payload): copy them to keep them
 * beyond the input's life. Absolute offset and timestamp are computed on demand
 * from the batch header so a parse allocates no bigints.
 */
export class DecodedRecord {
  readonly batch: BatchHeader;
  readonly attributes: number;
  readonly timestampDelta: number;
  readonly offsetDelta: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];

  constructor(
    batch: BatchHeader,
    attributes: number,
    timestampDelta: number,
    offsetDelta: number,
    key: Buffer | null,
    value: Buffer | null,
    headers: readonly RecordHeader[],
  ) {
    this.batch = batch;
    this.attributes = attributes;
    this.timestampDelta = timestampDelta;
    this.offsetDelta = offsetDelta;
    this.key = key;
    this.value = value;
    this.headers = headers;
  }

  get offset(): bigint {
    return this.batch.baseOffset + BigInt(this.offsetDelta);
  }

  /** Create time, or for LogAppendTime batches the batch's maxTimestamp (as Kafka reports it). */
  get timestamp(): bigint {
    const b = this.batch;
    if ((b.attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0) return b.maxTimestamp;
    return b.baseTimestamp + BigInt(this.timestampDelta);
  }

  /** The timestamp as a number of milliseconds (exact for any real date). */
  get timestampMs(): number {
    const b = this.batch;
    if ((b.attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0) return Number(b.maxTimestamp);
    return Number(b.baseTimestamp) + this.timestampDelta;
  }
}

/** A batch (or a legacy message-set entry) with its records decoded. */
export interface DecodedBatch {
  /**
   * The v2 header as read. For magic 0/1 entries it is synthesised: baseOffset is
   * the first record's offset, lastOffsetDelta spans the records, producer fields
   * are -1, and attributes carry the wrapper's compression and timestamp type.
   */
  header: BatchHeader;
  records: DecodedRecord[];
  /** Position of the batch in the input and the bytes it occupies there. */
  position: number;
  sizeInBytes: number;
}
