import { ProtocolEncodeError } from '../primitives/decode-error.ts';

/**
 * Size and in-place write helpers for the zigzag varints of magic-2 records
 * (Kafka's ByteUtils). The record builder sizes everything first and then writes
 * into one exactly-sized buffer, so these take (buf, pos) and return the new pos
 * instead of going through a growable Writer.
 */

/** Bytes of an unsigned LEB128 varint holding uint32 `u`. */
export function sizeOfUnsignedVarint(u: number): number {
  if (u < 0x80) return 1;
  if (u < 0x4000) return 2;
  if (u < 0x200000) return 3;
  if (u < 0x10000000) return 4;
  return 5;
}

/** Bytes of the zigzag varint of int32 `v`. */
export function sizeOfVarint(v: number): number {
  return sizeOfUnsignedVarint(((v << 1) ^ (v >> 31)) >>> 0);
}

/** Bytes of the zigzag varlong of safe integer `v`. */
export function sizeOfVarlong(v: number): number {
  if (v >= -0x40000000 && v < 0x40000000) return sizeOfUnsignedVarint(((v << 1) ^ (v >> 31)) >>> 0);
  let u = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (u >= 128) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

export function writeUnsignedVarint(buf: Uint8Array, pos: number, u: number): number {
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[pos++] = u;
  return pos;
}

/** Writes int32 `v` zigzag-encoded. The caller guarantees the int32 range. */
export function writeVarint(buf: Uint8Array, pos: number, v: number): number {
  return writeUnsignedVarint(buf, pos, ((v << 1) ^ (v >> 31)) >>> 0);
}

/** Writes safe integer `v` as a zigzag varlong. */
export function writeVarlong(buf: Uint8Array, pos: number, v: number): number {
  if (v >= -0x40000000 && v < 0x40000000) return writeUnsignedVarint(buf, pos, ((v << 1) ^ (v >> 31)) >>> 0);
  if (v >= 2 ** 51 || v <= -(2 ** 51)) {
    // Past 2^52 the doubled value loses its low bit as a double: go through bigint.
    let u = BigInt(v);
    u = u >= 0n ? u << 1n : ((-u) << 1n) - 1n;
    while (u >= 0x80n) {
      buf[pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    buf[pos++] = Number(u);
    return pos;
  }
  let u = v >= 0 ? v * 2 : -v * 2 - 1;
  while (u >= 0x80) {
    buf[pos++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[pos++] = u;
  return pos;
}

export function checkInt32(v: number, what: string): void {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
    throw new ProtocolEncodeError(`${what} is not an int32: ${v}`);
  }
}

export function checkSafeInteger(v: number, what: string): void {
  if (!Number.isSafeInteger(v)) throw new ProtocolEncodeError(`${what} is not a safe integer: ${v}`);
}
