/**
 * Errors of the client's network layer. Kafka error codes from a response body are
 * KafkaError (src/protocol/errors); these are the failures that happen before or
 * around a response: no connection, no answer in time, bytes that are not Kafka.
 *
 * Every one carries `broker` (host:port, and node id when known) and `retriable`:
 * a connection or timeout failure may succeed on a new connection (Java's
 * NetworkException / TimeoutException are retriable), a protocol violation will not.
 */

/** The connection could not be made, or was closed before the response arrived. */
export class ConnectionError extends Error {
  readonly broker: string;
  readonly retriable: boolean = true;

  constructor(broker: string, message: string, options?: ErrorOptions) {
    super(`${broker}: ${message}`, options);
    this.name = 'ConnectionError';
    this.broker = broker;
  }
}

/**
 * No response within request.timeout.ms (or the connect within
 * socket.connection.setup.timeout.ms). Responses on one connection arrive in
 * order, so a late response blocks every later one: the connection is closed, as
 * the Java client does.
 */
export class RequestTimeoutError extends ConnectionError {
  readonly timeoutMs: number;

  constructor(broker: string, message: string, timeoutMs: number) {
    super(broker, message);
    this.name = 'RequestTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The peer sent bytes that are not a valid Kafka response: a frame larger than
 * the client accepts, a correlation id out of order, a body that does not decode.
 * The connection is closed; retrying against the same peer will not help.
 */
export class ProtocolError extends ConnectionError {
  override readonly retriable = false;

  constructor(broker: string, message: string, options?: ErrorOptions) {
    super(broker, message, options);
    this.name = 'ProtocolError';
  }
}
