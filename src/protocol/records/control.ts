import { ProtocolDecodeError } from '../primitives/decode-error.ts';
import { ATTR_CONTROL } from './batch-header.ts';
import type { BatchHeader } from './batch-header.ts';
import { buildRecordBatch } from './batch-builder.ts';
import type { DecodedBatch } from './record.ts';

/**
 * Control records (Kafka's ControlRecordType, EndTransactionMarker). A control
 * batch has the control attribute bit set and carries one record whose
 *
 *   key   = int16 version (0), int16 type
 *   value = for ABORT / COMMIT: int16 version (0), int32 coordinatorEpoch
 *
 * Transaction markers are also transactional batches carrying the producer's id
 * and epoch, with no sequence. Types 2-6 are written by the Raft layer
 * (leader change, snapshot header/footer, kraft.version, voters).
 */
export const ControlRecordType = {
  ABORT: 0,
  COMMIT: 1,
  LEADER_CHANGE: 2,
  SNAPSHOT_HEADER: 3,
  SNAPSHOT_FOOTER: 4,
  KRAFT_VERSION: 5,
  KRAFT_VOTERS: 6,
} as const;
export type ControlRecordType = (typeof ControlRecordType)[keyof typeof ControlRecordType];

/** Returned by readControlRecordType for a type this code does not know (Kafka: UNKNOWN). */
export const UNKNOWN_CONTROL_RECORD_TYPE = -1;

export const CONTROL_KEY_VERSION = 0;
export const END_TXN_MARKER_VERSION = 0;
const CONTROL_KEY_SIZE = 4;
const END_TXN_MARKER_SIZE = 6;

export function encodeControlKey(type: number): Buffer {
  const b = Buffer.allocUnsafe(CONTROL_KEY_SIZE);
  b.writeInt16BE(CONTROL_KEY_VERSION, 0);
  b.writeInt16BE(type, 2);
  return b;
}

/**
 * The type of a control record from its key. As Kafka: a negative version is
 * refused, later versions are read for their type (they may only append fields).
 */
export function readControlRecordType(key: Buffer | null): number {
  if (key === null || key.length < CONTROL_KEY_SIZE) {
    throw new ProtocolDecodeError(`control record key of ${key === null ? 'null' : key.length} bytes, need 4`, 0);
  }
  const version = key.readInt16BE(0);
  if (version < 0) throw new ProtocolDecodeError(`invalid control record key version ${version}`, 0);
  const type = key.readInt16BE(2);
  return type >= 0 && type <= 6 ? type : UNKNOWN_CONTROL_RECORD_TYPE;
}

export interface EndTransactionMarker {
  /** ControlRecordType.ABORT or COMMIT. */
  type: number;
  coordinatorEpoch: number;
}

export function encodeEndTransactionMarkerValue(coordinatorEpoch: number): Buffer {
  const b = Buffer.allocUnsafe(END_TXN_MARKER_SIZE);
  b.writeInt16BE(END_TXN_MARKER_VERSION, 0);
  b.writeInt32BE(coordinatorEpoch, 2);
  return b;
}

export function readEndTransactionMarkerValue(value: Buffer | null): { version: number; coordinatorEpoch: number } {
  if (value === null || value.length < END_TXN_MARKER_SIZE) {
    throw new ProtocolDecodeError(`end transaction marker value of ${value === null ? 'null' : value.length} bytes, need 6`, 0);
  }
  const version = value.readInt16BE(0);
  if (version < 0) throw new ProtocolDecodeError(`invalid end transaction marker version ${version}`, 0);
  return { version, coordinatorEpoch: value.readInt32BE(2) };
}

export function isControlBatch(header: Pick<BatchHeader, 'attributes'>): boolean {
  return (header.attributes & ATTR_CONTROL) !== 0;
}

export interface EndTransactionMarkerBatchOptions {
  commit: boolean;
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  /** Written as baseTimestamp and maxTimestamp (ms). */
  timestamp: bigint | number;
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
}

/** The batch a transaction coordinator's WriteTxnMarkers makes a leader append. */
export function buildEndTransactionMarkerBatch(o: EndTransactionMarkerBatchOptions): Buffer {
  const type = o.commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT;
  return buildRecordBatch(
    [{ offsetDelta: 0, timestampDelta: 0, key: encodeControlKey(type), value: encodeEndTransactionMarkerValue(o.coordinatorEpoch) }],
    {
      baseOffset: o.baseOffset,
      partitionLeaderEpoch: o.partitionLeaderEpoch,
      transactional: true,
      control: true,
      baseTimestamp: o.timestamp,
      maxTimestamp: o.timestamp,
      producerId: o.producerId,
      producerEpoch: o.producerEpoch,
    },
  );
}

/**
 * The marker in a decoded control batch, or null if the batch is not a control
 * batch or holds another control type. Throws ProtocolDecodeError on a malformed one.
 */
export function readEndTransactionMarker(batch: DecodedBatch): EndTransactionMarker | null {
  if (!isControlBatch(batch.header)) return null;
  const record = batch.records[0];
  if (record === undefined) return null;
  const type = readControlRecordType(record.key);
  if (type !== ControlRecordType.ABORT && type !== ControlRecordType.COMMIT) return null;
  return { type, coordinatorEpoch: readEndTransactionMarkerValue(record.value).coordinatorEpoch };
}
