export * from './batch-header.ts';
export { DecodedRecord, EMPTY_HEADERS } from './record.ts';
export type { DecodedBatch, RecordHeader, RecordHeaderInput, RecordInput } from './record.ts';
export { buildRecordBatch, buildRecordBatchAsync, encodeRecords } from './batch-builder.ts';
export type { BatchOptions } from './batch-builder.ts';
export { MIN_RECORD_SIZE, decodeRecordBatch, decodeRecordBatchAsync, decodeRecords } from './batch-decoder.ts';
export type { DecodeOptions } from './batch-decoder.ts';
export { decodeRecordSet, iterateRecordSet, nextBatchLocation, scanRecordSet } from './record-set.ts';
export type { BatchLocation, DecodedRecordSet, RecordSetScan } from './record-set.ts';
export {
  CONTROL_KEY_VERSION,
  ControlRecordType,
  END_TXN_MARKER_VERSION,
  UNKNOWN_CONTROL_RECORD_TYPE,
  buildEndTransactionMarkerBatch,
  encodeControlKey,
  encodeEndTransactionMarkerValue,
  isControlBatch,
  readControlRecordType,
  readEndTransactionMarker,
  readEndTransactionMarkerValue,
} from './control.ts';
export type { EndTransactionMarker, EndTransactionMarkerBatchOptions } from './control.ts';
export {
  LEGACY_ATTR_TIMESTAMP_TYPE,
  LEGACY_RECORD_OVERHEAD_V0,
  LEGACY_RECORD_OVERHEAD_V1,
  NO_TIMESTAMP,
  buildLegacyMessageSet,
  decodeLegacyEntry,
  readLegacyMessage,
} from './legacy.ts';
export type { LegacyDecodeOptions, LegacyMessage, LegacyMessageInput, LegacyMessageSetOptions } from './legacy.ts';
export { RecordValidationError } from './validation-error.ts';
export { validateBatch, validateLegacyEntry, validateRecordSet } from './validate.ts';
export type {
  AppendOrigin,
  ValidateBatchOptions,
  ValidateRecordSetOptions,
  ValidatedEntry,
  ValidatedRecordSet,
} from './validate.ts';
export { assignOffsets } from './assign-offsets.ts';
export type { AssignOffsetsOptions, AssignOffsetsResult } from './assign-offsets.ts';
export { downConvert } from './down-convert.ts';
export type { DownConvertOptions } from './down-convert.ts';
