/**
 * Errors raised by the storage layer. Each carries the Kafka error code the broker
 * puts on the wire, so handlers map them without knowing storage internals.
 */
export const StorageErrorCode = {
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  MESSAGE_TOO_LARGE: 10,
  RECORD_LIST_TOO_LARGE: 18,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  KAFKA_STORAGE_ERROR: 56,
  UNKNOWN_PRODUCER_ID: 59,
  INVALID_RECORD: 87,
} as const;
export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

export class StorageError extends Error {
  readonly code: number;
  constructor(code: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.code = code;
  }
}

/** Wraps an fs error from a data write as KAFKA_STORAGE_ERROR with the path in the message. */
export function storageFailure(what: string, path: string, cause: unknown): StorageError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new StorageError(StorageErrorCode.KAFKA_STORAGE_ERROR, `${what} failed for ${path}: ${reason}`, { cause });
}
