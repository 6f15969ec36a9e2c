/**
 * The one error every decoder throws for bytes it cannot accept: truncated input,
 * a length or count that claims more than the bytes present, a value outside its
 * domain. Callers (the broker's connection loop, the client's response reader, the
 * fuzzers) catch this type and nothing else; any other exception from a decoder is
 * a bug.
 */
export class ProtocolDecodeError extends Error {
  /** Byte offset in the input where decoding failed. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`${message} (at byte ${offset})`);
    this.name = 'ProtocolDecodeError';
    this.offset = offset;
  }
}

/** Thrown when a value cannot be encoded in the requested version or type. */
export class ProtocolEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolEncodeError';
  }
}
