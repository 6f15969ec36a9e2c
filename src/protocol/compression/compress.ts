import * as zlib from 'node:zlib';
import { promisify } from 'node:util';
import { ProtocolDecodeError, ProtocolEncodeError } from '../primitives/decode-error.ts';
import { CompressionCodec, DEFAULT_MAX_DECOMPRESSED_BYTES, codecName } from './codec.ts';
import { lz4Compress, lz4CompressAsync, lz4Decompress, lz4DecompressAsync } from './lz4.ts';
import {
  snappyCompressXerial,
  snappyCompressXerialAsync,
  snappyDecompress,
  snappyDecompressAsync,
} from './snappy.ts';

/**
 * One entry point per direction over Kafka's codecs. gzip and zstd come from
 * node:zlib, snappy and lz4 from native npm packages. What is written is what
 * Kafka's Java producer writes (gzip members, xerial-framed snappy, LZ4 frames,
 * zstd frames), so any Kafka client can read it.
 *
 * Every decompressor takes `maxOutputBytes` and refuses, with ProtocolDecodeError,
 * to produce more; bad input of any kind is a ProtocolDecodeError too.
 */
export interface CompressOptions {
  /** gzip: 1-9 (Kafka's default 6 is zlib's); zstd: 1-22 (default 3). Ignored by snappy and lz4. */
  level?: number;
  /**
   * Message format the payload is for. Only lz4 cares: magic 0 wrote a broken
   * frame header checksum (KAFKA-3160). Default 2.
   */
  magic?: number;
}

const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip) as (buf: Uint8Array, opts: zlib.ZlibOptions) => Promise<Buffer>;
const zstdCompressAsync = promisify(zlib.zstdCompress) as (buf: Uint8Array, opts: zlib.ZstdOptions) => Promise<Buffer>;
const zstdDecompressAsync = promisify(zlib.zstdDecompress) as (buf: Uint8Array, opts: zlib.ZstdOptions) => Promise<Buffer>;

function gzipOptions(o?: CompressOptions): zlib.ZlibOptions {
  return o?.level === undefined ? {} : { level: o.level };
}

function zstdOptions(o?: CompressOptions): zlib.ZstdOptions {
  return o?.level === undefined ? {} : { params: { [zlib.constants.ZSTD_c_compressionLevel]: o.level } };
}

function unknownCodec(codec: number): never {
  throw new ProtocolEncodeError(`unknown compression codec id ${codec}`);
}

export function compress(codec: CompressionCodec, input: Uint8Array, options?: CompressOptions): Buffer {
  switch (codec) {
    case CompressionCodec.NONE:
      return Buffer.isBuffer(input) ? input : Buffer.from(input);
    case CompressionCodec.GZIP:
      return zlib.gzipSync(input, gzipOptions(options));
    case CompressionCodec.SNAPPY:
      return snappyCompressXerial(input);
    case CompressionCodec.LZ4:
      return lz4Compress(input, options?.magic === 0);
    case CompressionCodec.ZSTD:
      return zlib.zstdCompressSync(input, zstdOptions(options));
    default:
      return unknownCodec(codec);
  }
}

export async function compressAsync(codec: CompressionCodec, input: Uint8Array, options?: CompressOptions): Promise<Buffer> {
  switch (codec) {
    case CompressionCodec.NONE:
      return Buffer.isBuffer(input) ? input : Buffer.from(input);
    case CompressionCodec.GZIP:
      return gzipAsync(input, gzipOptions(options));
    case CompressionCodec.SNAPPY:
      return snappyCompressXerialAsync(input);
    case CompressionCodec.LZ4:
      return lz4CompressAsync(input, options?.magic === 0);
    case CompressionCodec.ZSTD:
      return zstdCompressAsync(input, zstdOptions(options));
    default:
      return unknownCodec(codec);
  }
}

/** Maps zlib's exceptions (RangeError for the size cap, Error with a Z_/ZSTD_ code for bad data). */
function zlibError(codec: number, e: unknown, max: number): never {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ERR_BUFFER_TOO_LARGE') {
    throw new ProtocolDecodeError(
      `${codecName(codec)}: decompressed size exceeds the limit of ${max} bytes (possible decompression bomb)`,
      0,
    );
  }
  throw new ProtocolDecodeError(`${codecName(codec)}: corrupt input: ${err.message}`, 0);
}

export interface DecompressOptions {
  /** Refuse to produce more than this many bytes. Default DEFAULT_MAX_DECOMPRESSED_BYTES. */
  maxOutputBytes?: number;
  /** See CompressOptions.magic. */
  magic?: number;
}

export function decompress(codec: number, input: Uint8Array, options?: DecompressOptions): Buffer {
  const max = options?.maxOutputBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  switch (codec) {
    case CompressionCodec.NONE:
      if (input.length > max) zlibError(codec, { code: 'ERR_BUFFER_TOO_LARGE' }, max);
      return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    case CompressionCodec.GZIP:
      try {
        return zlib.gunzipSync(input, { maxOutputLength: Math.max(1, max) });
      } catch (e) {
        return zlibError(codec, e, max);
      }
    case CompressionCodec.SNAPPY:
      return snappyDecompress(input, max);
    case CompressionCodec.LZ4:
      return lz4Decompress(input, max, options?.magic === 0);
    case CompressionCodec.ZSTD:
      try {
        return zlib.zstdDecompressSync(input, { maxOutputLength: Math.max(1, max) });
      } catch (e) {
        return zlibError(codec, e, max);
      }
    default:
      throw new ProtocolDecodeError(`unknown compression codec id ${codec}`, 0);
  }
}

export async function decompressAsync(codec: number, input: Uint8Array, options?: DecompressOptions): Promise<Buffer> {
  const max = options?.maxOutputBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  switch (codec) {
    case CompressionCodec.NONE:
    case CompressionCodec.SNAPPY:
      return codec === CompressionCodec.NONE ? decompress(codec, input, options) : snappyDecompressAsync(input, max);
    case CompressionCodec.GZIP:
      try {
        return await gunzipAsync(input, { maxOutputLength: Math.max(1, max) });
      } catch (e) {
        return zlibError(codec, e, max);
      }
    case CompressionCodec.LZ4:
      return lz4DecompressAsync(input, max, options?.magic === 0);
    case CompressionCodec.ZSTD:
      try {
        return await zstdDecompressAsync(input, { maxOutputLength: Math.max(1, max) });
      } catch (e) {
        return zlibError(codec, e, max);
      }
    default:
      throw new ProtocolDecodeError(`unknown compression codec id ${codec}`, 0);
  }
}
