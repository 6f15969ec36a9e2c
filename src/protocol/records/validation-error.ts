import { ProtocolDecodeError } from '../primitives/decode-error.ts';
import { errorInfo } from '../errors/index.ts';
import type { ErrorName } from '../errors/index.ts';

/**
 * A record set the broker refuses, with the Kafka error code to answer with
 * (CORRUPT_MESSAGE, INVALID_RECORD, UNSUPPORTED_FOR_MESSAGE_FORMAT,
 * UNSUPPORTED_COMPRESSION_TYPE, MESSAGE_TOO_LARGE, INVALID_TIMESTAMP).
 *
 * It is a ProtocolDecodeError, so code that only knows "these bytes are bad"
 * (the fuzzers, a generic request loop) still catches it.
 */
export class RecordValidationError extends ProtocolDecodeError {
  readonly errorCode: number;
  readonly errorName: ErrorName;

  constructor(errorCode: number, message: string, offset: number) {
    super(message, offset);
    this.name = 'RecordValidationError';
    this.errorCode = errorCode;
    this.errorName = errorInfo(errorCode).name;
  }
}
