import * as lz4 from 'lz4-napi';
import { ProtocolDecodeError } from '../primitives/decode-error.ts';
import { xxhash32 } from './xxhash32.ts';

/**
 * LZ4 frame format (lz4.org "LZ4 Frame Format Description"), which Kafka uses for
 * every magic since 0.8.2:
 *
 *   u32le magic 0x184D2204
 *   FLG   bits 7-6 version (01), 5 block independence, 4 block checksum,
 *         3 content size, 2 content checksum, 1 reserved, 0 dictionary id
 *   BD    bits 6-4 block max size (4: 64 KiB, 5: 256 KiB, 6: 1 MiB, 7: 4 MiB)
 *   [u64le content size] [u32le dictionary id]
 *   HC    (xxh32(descriptor) >> 8) & 0xff, the descriptor being FLG..dict id
 *   blocks: u32le size (high bit: stored uncompressed), data, [u32le checksum]
 *   u32le 0 end mark, [u32le content checksum]
 *
 * KAFKA-3160: before magic 1, Kafka computed HC over the magic number too (the
 * descriptor starting at byte 0 instead of byte 4) and kept doing so for magic 0
 * to stay compatible. For magic 0 we therefore ignore HC when reading and write the
 * broken value when writing.
 *
 * Decompression bombs: the frame structure is walked before anything is
 * decompressed. The output is bounded by the declared content size when present,
 * otherwise per block by min(block max size, 255 × compressed size) (an LZ4
 * sequence cannot expand more than 255-fold), so a frame whose bound exceeds the
 * limit is refused unread.
 */
const FRAME_MAGIC = 0x184d2204;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_DICT_ID = 0x01;
const BLOCK_MAX_SIZES = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];
const MAX_EXPANSION = 255;

function fail(message: string, offset: number): never {
  throw new ProtocolDecodeError(`lz4: ${message}`, offset);
}

interface Frame {
  start: number;
  end: number;
  /** Offset of the HC byte when it must be rewritten before decoding (magic 0), else -1. */
  patchHc: number;
  hc: number;
}

function walkFrames(input: Buffer, maxOutputBytes: number, ignoreHeaderChecksum: boolean): Frame[] {
  const frames: Frame[] = [];
  let total = 0;
  let pos = 0;
  const n = input.length;
  if (n === 0) fail('empty input', 0);
  while (pos < n) {
    const start = pos;
    if (n - pos < 7) fail('truncated frame header', pos);
    const magic = input.readUInt32LE(pos);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      // Skippable frame: u32le size, then that many bytes to ignore.
      const size = input.readUInt32LE(pos + 4);
      if (size > n - pos - 8) fail('truncated skippable frame', pos);
      pos += 8 + size;
      continue;
    }
    if (magic !== FRAME_MAGIC) fail(`bad frame magic 0x${magic.toString(16)}`, pos);
    const flg = input[pos + 4]!;
    const bd = input[pos + 5]!;
    if (flg >> 6 !== 1) fail(`unsupported frame version ${flg >> 6}`, pos + 4);
    if ((flg & 0x02) !== 0 || (bd & 0x8f) !== 0) fail('reserved bits set in frame descriptor', pos + 4);
    if ((flg & FLG_DICT_ID) !== 0) fail('frames with a dictionary id are not supported', pos + 4);
    const blockMax = BLOCK_MAX_SIZES[(bd >> 4) & 7]!;
    if (blockMax === 0) fail(`invalid block max size id ${(bd >> 4) & 7}`, pos + 5);
    const descEnd = pos + 6 + ((flg & FLG_CONTENT_SIZE) !== 0 ? 8 : 0);
    if (descEnd + 1 > n) fail('truncated frame descriptor', pos);
    let contentSize = -1;
    if ((flg & FLG_CONTENT_SIZE) !== 0) {
      const cs = input.readBigUInt64LE(pos + 6);
      contentSize = cs > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(cs);
      if (total + contentSize > maxOutputBytes) tooLarge(total + contentSize, maxOutputBytes);
    }
    let patchHc = -1;
    let hc = 0;
    if (ignoreHeaderChecksum) {
      hc = (xxhash32(input, pos + 4, descEnd) >>> 8) & 0xff;
      if (input[descEnd] !== hc) patchHc = descEnd - start;
    }
    pos = descEnd + 1;
    const blockChecksum = (flg & FLG_BLOCK_CHECKSUM) !== 0 ? 4 : 0;
    let bound = 0;
    for (;;) {
      if (n - pos < 4) fail('truncated block size (no end mark)', pos);
      const word = input.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      const len = word & 0x7fffffff;
      if (len > blockMax) fail(`block of ${len} bytes exceeds the frame's block max size ${blockMax}`, pos - 4);
      if (len + blockChecksum > n - pos) fail(`truncated block of ${len} bytes`, pos - 4);
      pos += len + blockChecksum;
      bound += word >>> 31 === 1 ? len : Math.min(blockMax, len * MAX_EXPANSION);
      if (contentSize < 0 && total + bound > maxOutputBytes) tooLarge(total + bound, maxOutputBytes);
    }
    if ((flg & FLG_CONTENT_CHECKSUM) !== 0) {
      if (n - pos < 4) fail('truncated content checksum', pos);
      pos += 4;
    }
    total += contentSize >= 0 ? contentSize : bound;
    frames.push({ start, end: pos, patchHc, hc });
  }
  return frames;
}

function tooLarge(n: number, max: number): never {
  throw new ProtocolDecodeError(
    `lz4: decompressed size could reach ${n} bytes, over the limit of ${max} (possible decompression bomb)`,
    0,
  );
}

function frameBytes(input: Buffer, f: Frame): Buffer {
  if (f.patchHc < 0) return f.start === 0 && f.end === input.length ? input : input.subarray(f.start, f.end);
  const copy = Buffer.from(input.subarray(f.start, f.end));
  copy[f.patchHc] = f.hc;
  return copy;
}

function asBuffer(input: Uint8Array): Buffer {
  return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}

function checkSize(out: Buffer, max: number): Buffer {
  if (out.length > max) tooLarge(out.length, max);
  return out;
}

function decodeFrame(frame: Buffer, offset: number): Buffer {
  try {
    return lz4.decompressFrameSync(frame);
  } catch (e) {
    return fail(`corrupt frame: ${(e as Error).message}`, offset);
  }
}

/**
 * Decompresses one or more concatenated LZ4 frames. `legacyMagic0` ignores the
 * header checksum (KAFKA-3160).
 */
export function lz4Decompress(input: Uint8Array, maxOutputBytes: number, legacyMagic0 = false): Buffer {
  const buf = asBuffer(input);
  const frames = walkFrames(buf, maxOutputBytes, legacyMagic0);
  if (frames.length === 1) return checkSize(decodeFrame(frameBytes(buf, frames[0]!), frames[0]!.start), maxOutputBytes);
  const parts = frames.map((f) => decodeFrame(frameBytes(buf, f), f.start));
  return checkSize(Buffer.concat(parts), maxOutputBytes);
}

export async function lz4DecompressAsync(input: Uint8Array, maxOutputBytes: number, legacyMagic0 = false): Promise<Buffer> {
  const buf = asBuffer(input);
  const frames = walkFrames(buf, maxOutputBytes, legacyMagic0);
  const parts = await Promise.all(
    frames.map(async (f) => {
      try {
        return await lz4.decompressFrame(frameBytes(buf, f));
      } catch (e) {
        return fail(`corrupt frame: ${(e as Error).message}`, f.start);
      }
    }),
  );
  return checkSize(parts.length === 1 ? parts[0]! : Buffer.concat(parts), maxOutputBytes);
}

/**
 * One LZ4 frame: independent blocks, no checksums besides HC, like Kafka's
 * KafkaLZ4BlockOutputStream (which uses 64 KiB blocks; lz4_flex picks 64 KiB or
 * larger from the input size — Kafka's reader accepts every block size).
 * `legacyMagic0` writes KAFKA-3160's HC.
 */
export function lz4Compress(input: Uint8Array, legacyMagic0 = false): Buffer {
  const out = lz4.compressFrameSync(asBuffer(input));
  if (legacyMagic0) breakHeaderChecksum(out);
  return out;
}

export async function lz4CompressAsync(input: Uint8Array, legacyMagic0 = false): Promise<Buffer> {
  const out = await lz4.compressFrame(input);
  if (legacyMagic0) breakHeaderChecksum(out);
  return out;
}

/** Rewrites HC the way Kafka does for magic 0: xxh32 over magic number and descriptor. */
function breakHeaderChecksum(frame: Buffer): void {
  const flg = frame[4]!;
  const descEnd = 6 + ((flg & FLG_CONTENT_SIZE) !== 0 ? 8 : 0) + ((flg & FLG_DICT_ID) !== 0 ? 4 : 0);
  frame[descEnd] = (xxhash32(frame, 0, descEnd) >>> 8) & 0xff;
}
