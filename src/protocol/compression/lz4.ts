import { createRequire } from 'node:module';
import type * as Lz4Napi from 'lz4-napi';

// The native codec loads on first use: a broker whose topics never see this codec
// does not pay its memory.
const requireNative = createRequire(import.meta.url);
let lz4Module: typeof Lz4Napi | undefined;
function lz4(): typeof Lz4Napi {
  return (lz4Module ??= requireNative('lz4-napi') as typeof Lz4Napi);
}
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
  /** Kafka's shape (independent blocks, no block or content checksums): decodable block by block. */
  simple: boolean;
  blockMax: number;
  /** Offset of the first block's size word. */
  blocksStart: number;
  /** Declared content size, -1 if absent. */
  contentSize: number;
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
    const hc = (xxhash32(input, pos + 4, descEnd) >>> 8) & 0xff;
    if (input[descEnd] !== hc) {
      if (!ignoreHeaderChecksum) fail(`frame header checksum 0x${input[descEnd]!.toString(16)}, expected 0x${hc.toString(16)}`, descEnd);
      patchHc = descEnd - start;
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
      // The block bound holds whatever the header declares: a declared content size
      // is checked against the blocks only after decoding, so it cannot relax this.
      if (total + bound > maxOutputBytes) tooLarge(total + bound, maxOutputBytes);
    }
    if ((flg & FLG_CONTENT_CHECKSUM) !== 0) {
      if (n - pos < 4) fail('truncated content checksum', pos);
      pos += 4;
    }
    total += contentSize >= 0 ? Math.min(contentSize, bound) : bound;
    const simple = (flg & (0x20 | FLG_BLOCK_CHECKSUM | FLG_CONTENT_CHECKSUM)) === 0x20;
    frames.push({ start, end: pos, simple, blockMax, blocksStart: descEnd + 1, contentSize, patchHc, hc });
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
    return lz4().decompressFrameSync(frame);
  } catch (e) {
    return fail(`corrupt frame: ${(e as Error).message}`, offset);
  }
}

/**
 * Decodes a frame of independent blocks one block at a time with lz4-napi's block
 * decoder, which is several times faster than its frame decoder. The block API
 * takes a little-endian size prefix that is an upper bound (the frame's block max).
 * The header checksum is not checked on this path; the block structure was
 * checked by walkFrames and the block decoder bounds-checks every block.
 */
function decodeFrameByBlocks(input: Buffer, f: Frame): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  let pos = f.blocksStart;
  let scratch: Buffer | undefined;
  for (;;) {
    const word = input.readUInt32LE(pos);
    pos += 4;
    if (word === 0) break;
    const len = word & 0x7fffffff;
    let out: Buffer;
    if (word >>> 31 === 1) {
      out = input.subarray(pos, pos + len);
    } else {
      if (scratch === undefined || scratch.length < len + 4) scratch = Buffer.allocUnsafe(Math.max(len + 4, 4096));
      scratch.writeUInt32LE(f.blockMax, 0);
      input.copy(scratch, 4, pos, pos + len);
      try {
        out = lz4().uncompressSync(scratch.subarray(0, len + 4));
      } catch (e) {
        return fail(`corrupt block: ${(e as Error).message}`, pos - 4);
      }
    }
    parts.push(out);
    total += out.length;
    pos += len;
    if (f.contentSize >= 0 && total > f.contentSize) {
      fail(`frame declares ${f.contentSize} bytes of content but holds more`, f.start + 6);
    }
  }
  if (f.contentSize >= 0 && total !== f.contentSize) {
    fail(`frame declares ${f.contentSize} bytes of content but holds ${total}`, f.start + 6);
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}

function decodeOne(input: Buffer, f: Frame): Buffer {
  if (f.simple) return decodeFrameByBlocks(input, f);
  return decodeFrame(frameBytes(input, f), f.start);
}

/**
 * Decompresses one or more concatenated LZ4 frames. `legacyMagic0` ignores the
 * header checksum (KAFKA-3160).
 */
export function lz4Decompress(input: Uint8Array, maxOutputBytes: number, legacyMagic0 = false): Buffer {
  const buf = asBuffer(input);
  const frames = walkFrames(buf, maxOutputBytes, legacyMagic0);
  if (frames.length === 1) return checkSize(decodeOne(buf, frames[0]!), maxOutputBytes);
  return checkSize(Buffer.concat(frames.map((f) => decodeOne(buf, f))), maxOutputBytes);
}

export async function lz4DecompressAsync(input: Uint8Array, maxOutputBytes: number, legacyMagic0 = false): Promise<Buffer> {
  const buf = asBuffer(input);
  const frames = walkFrames(buf, maxOutputBytes, legacyMagic0);
  const parts = await Promise.all(
    frames.map(async (f) => {
      try {
        return await lz4().decompressFrame(frameBytes(buf, f));
      } catch (e) {
        return fail(`corrupt frame: ${(e as Error).message}`, f.start);
      }
    }),
  );
  return checkSize(parts.length === 1 ? parts[0]! : Buffer.concat(parts), maxOutputBytes);
}

/** Kafka's KafkaLZ4BlockOutputStream block size. */
const WRITE_BLOCK_SIZE = 64 * 1024;
/** FLG: version 01, independent blocks; BD: 64 KiB max block. */
const WRITE_FLG = 0x60;
const WRITE_BD = 0x40;

/**
 * One LZ4 frame laid out exactly as Kafka's KafkaLZ4BlockOutputStream writes it:
 * FLG 0x60 (independent blocks, no checksums besides HC), BD 0x40 (64 KiB
 * blocks), each block compressed on its own and stored raw (size high bit set)
 * when compression does not shrink it, then the end mark. Blocks go through
 * lz4-napi's block compressor, measured about twice as fast as its frame encoder.
 * `legacyMagic0` writes KAFKA-3160's HC.
 */
export function lz4Compress(input: Uint8Array, legacyMagic0 = false): Buffer {
  const src = asBuffer(input);
  const blocks: Buffer[] = [];
  for (let i = 0; i < src.length; i += WRITE_BLOCK_SIZE) {
    // compressSync prepends the uncompressed size (u32le); the frame block is what follows.
    blocks.push(lz4().compressSync(src.subarray(i, Math.min(src.length, i + WRITE_BLOCK_SIZE))).subarray(4));
  }
  return assembleFrame(src, blocks, legacyMagic0);
}

export async function lz4CompressAsync(input: Uint8Array, legacyMagic0 = false): Promise<Buffer> {
  const src = asBuffer(input);
  const pending: Promise<Buffer>[] = [];
  for (let i = 0; i < src.length; i += WRITE_BLOCK_SIZE) {
    pending.push(lz4().compress(src.subarray(i, Math.min(src.length, i + WRITE_BLOCK_SIZE))));
  }
  const blocks = (await Promise.all(pending)).map((b) => b.subarray(4));
  return assembleFrame(src, blocks, legacyMagic0);
}

function assembleFrame(src: Buffer, compressed: Buffer[], legacyMagic0: boolean): Buffer {
  let total = 7 + 4;
  for (let b = 0; b < compressed.length; b++) {
    const chunkLen = Math.min(WRITE_BLOCK_SIZE, src.length - b * WRITE_BLOCK_SIZE);
    total += 4 + Math.min(chunkLen, compressed[b]!.length);
  }
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32LE(FRAME_MAGIC, 0);
  out[4] = WRITE_FLG;
  out[5] = WRITE_BD;
  out[6] = (xxhash32(out, legacyMagic0 ? 0 : 4, 6) >>> 8) & 0xff;
  let pos = 7;
  for (let b = 0; b < compressed.length; b++) {
    const start = b * WRITE_BLOCK_SIZE;
    const chunkLen = Math.min(WRITE_BLOCK_SIZE, src.length - start);
    const block = compressed[b]!;
    if (block.length >= chunkLen) {
      // Incompressible: store the chunk as is, flagged by the size word's high bit.
      out.writeUInt32LE((0x80000000 | chunkLen) >>> 0, pos);
      src.copy(out, pos + 4, start, start + chunkLen);
      pos += 4 + chunkLen;
    } else {
      out.writeUInt32LE(block.length, pos);
      block.copy(out, pos + 4);
      pos += 4 + block.length;
    }
  }
  out.writeUInt32LE(0, pos);
  return out;
}
