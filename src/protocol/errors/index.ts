/**
 * Kafka error codes on the wire, typed errors in the API.
 *
 * `ErrorCode.NOT_LEADER_OR_FOLLOWER === 6`; `errorInfo(code)` gives the name,
 * retriability and Kafka's default message for any int16 a peer may send;
 * `KafkaError.from(code, detail)` turns a response's error code into something a
 * caller can throw, catch and act on.
 */
import { ERROR_ROWS, META, RETRY } from './error-table.ts';

type Row = (typeof ERROR_ROWS)[number];

/** Kafka's enum name for an error, e.g. 'NOT_LEADER_OR_FOLLOWER'. */
export type ErrorName = Row[1];

/** Name → code for every error Samsa knows, e.g. `ErrorCode.UNKNOWN_TOPIC_ID === 100`. */
export const ErrorCode: { readonly [R in Row as R[1]]: R[0] } = Object.freeze(
  Object.fromEntries(ERROR_ROWS.map((row) => [row[1], row[0]])),
) as { readonly [R in Row as R[1]]: R[0] };

/** Any code in the table. Codes from the wire are plain numbers until looked up. */
export type ErrorCode = Row[0];

export interface ErrorInfo {
  readonly code: number;
  /** Kafka's enum name. A code this table does not know is named UNKNOWN_SERVER_ERROR, as the Java client does. */
  readonly name: ErrorName;
  /** The Java client's exception for this code extends RetriableException. */
  readonly retriable: boolean;
  /** The Java exception extends InvalidMetadataException: refresh metadata, then retry. Implies `retriable`. */
  readonly invalidMetadata: boolean;
  /** Kafka's default message ('' for NONE). */
  readonly message: string;
  /** False for a code this table does not know (a newer broker, or garbage). */
  readonly known: boolean;
}

/** Every known error, in code order (-1 first). */
export const errorTable: readonly ErrorInfo[] = Object.freeze(
  ERROR_ROWS.map(([code, name, kind, message]) =>
    Object.freeze({
      code,
      name,
      retriable: kind === RETRY || kind === META,
      invalidMetadata: kind === META,
      message,
      known: true,
    }),
  ),
);

const byCode = new Map<number, ErrorInfo>(errorTable.map((info) => [info.code, info]));

/**
 * The entry for `code`. Never throws: a code missing from the table (a newer broker's,
 * or one out of int16 range) gets a synthetic, non-retriable entry that keeps the code
 * and says so, because Kafka's own client maps such codes to UNKNOWN_SERVER_ERROR.
 */
export function errorInfo(code: number): ErrorInfo {
  const info = byCode.get(code);
  if (info !== undefined) return info;
  return Object.freeze({
    code,
    name: 'UNKNOWN_SERVER_ERROR',
    retriable: false,
    invalidMetadata: false,
    message: `Unknown error code ${code}; the peer may be newer than Samsa. Treated as UNKNOWN_SERVER_ERROR.`,
    known: false,
  });
}

/** Whether retrying the same request may succeed (Kafka's RetriableException). */
export function isRetriable(code: number): boolean {
  return errorInfo(code).retriable;
}

/** Whether the client's metadata is stale for this error (Kafka's InvalidMetadataException). */
export function isInvalidMetadata(code: number): boolean {
  return errorInfo(code).invalidMetadata;
}

/**
 * An error code from a Kafka response, as an exception. `name` is Kafka's name for
 * the code, so stack traces read `NOT_LEADER_OR_FOLLOWER: For requests intended ...`.
 */
export class KafkaError extends Error {
  readonly code: number;
  override readonly name: ErrorName;
  readonly retriable: boolean;
  readonly invalidMetadata: boolean;

  constructor(info: ErrorInfo, detail?: string, options?: ErrorOptions) {
    super(detail ? `${info.message} (${detail})` : info.message, options);
    this.code = info.code;
    this.name = info.name;
    this.retriable = info.retriable;
    this.invalidMetadata = info.invalidMetadata;
  }

  /**
   * The error for `code`, with an optional detail such as a response's errorMessage
   * or the topic-partition it concerns. NONE is not an error: asking for one is a bug.
   */
  static from(code: number, detail?: string, options?: ErrorOptions): KafkaError {
    if (code === ErrorCode.NONE) throw new RangeError('KafkaError.from(NONE): error code 0 means success');
    return new KafkaError(errorInfo(code), detail, options);
  }
}
