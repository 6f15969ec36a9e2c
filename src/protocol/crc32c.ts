import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/**
 * CRC32C (Castagnoli), the checksum of magic-2 record batches, as an unsigned
 * 32-bit integer. Native (SSE4.2 / ARMv8 CRC instructions via @node-rs/crc32).
 *
 * `initial` continues a running checksum: crc32c(b, crc32c(a)) === crc32c(a ++ b).
 */
export function crc32c(buf: Uint8Array, initial?: number): number {
  return nativeCrc32c(buf, initial) >>> 0;
}

/** CRC32C of bytes [start, end) of `buf` without copying them. */
export function crc32cRange(buf: Uint8Array, start: number, end: number): number {
  return nativeCrc32c(buf.subarray(start, end)) >>> 0;
}
