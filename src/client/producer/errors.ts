/**
 * The producer's typed errors, named after the Java client's exceptions.
 *
 * Broker error codes arrive as KafkaError (src/protocol/errors) with `.retriable`;
 * network failures as ConnectionError / RequestTimeoutError (retriable). These are
 * the failures the producer itself decides on. Each has `retriable` so a caller can
 * treat every producer error the same way.
 */

/** A config value is missing, malformed, or conflicts with another (Kafka's ConfigException). */
export class ConfigException extends Error {
  readonly retriable = false;
  readonly config: string | null;

  constructor(message: string, config: string | null = null) {
    super(message);
    this.name = 'ConfigException';
    this.config = config;
  }
}

/**
 * Something did not happen in time: metadata or buffer space within max.block.ms,
 * delivery within delivery.timeout.ms, close within its timeout (Kafka's
 * TimeoutException, which is retriable: the same send may succeed later).
 */
export class TimeoutError extends Error {
  readonly retriable = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TimeoutError';
  }
}

/** A record larger than max.request.size or buffer.memory (Kafka's RecordTooLargeException). */
export class RecordTooLargeError extends Error {
  readonly retriable = false;
  readonly sizeInBytes: number;

  constructor(message: string, sizeInBytes: number) {
    super(message);
    this.name = 'RecordTooLargeError';
    this.sizeInBytes = sizeInBytes;
  }
}

/** A key or value serializer threw or returned something that is not bytes. */
export class SerializationError extends Error {
  readonly retriable = false;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SerializationError';
  }
}

/** send() after close(), or a record still buffered when close() gave up. */
export class ProducerClosedError extends Error {
  readonly retriable = false;

  constructor(message = 'Cannot perform operation after producer has been closed') {
    super(message);
    this.name = 'ProducerClosedError';
  }
}

/** A method called in a state that does not allow it, e.g. send() outside a transaction (one class for producer and consumer). */
export { IllegalStateError } from '../consumer/errors.ts';

/** A record of a transaction that was aborted before the record was sent (Java's TransactionAbortedException). */
export class TransactionAbortedError extends Error {
  readonly retriable = false;

  constructor(message = 'Failing batch since transaction was aborted') {
    super(message);
    this.name = 'TransactionAbortedError';
  }
}

/**
 * A transactional method called after an earlier error (Java's KafkaException
 * "Cannot execute transactional method because we are in an error state"). `cause`
 * is the error that put the producer there. When `abortable`, abortTransaction()
 * recovers and a new transaction can begin; otherwise (fenced by a newer producer
 * with the same transactional.id, or not authorized) the producer can only be closed.
 */
export class TransactionError extends Error {
  readonly retriable = false;
  readonly abortable: boolean;

  constructor(message: string, abortable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TransactionError';
    this.abortable = abortable;
  }
}
