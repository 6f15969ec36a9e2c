/**
 * kafkajs has only gzip built in; its snappy, lz4 and zstd plugins (kafkajs-snappy,
 * kafkajs-lz4, @kafkajs/zstd) are not installed. These stand-ins register the three
 * codecs with kafkajs from independent implementations — the `snappy` and `lz4-napi`
 * packages and node:zlib's zstd — never Samsa's own compression code, so kafkajs can
 * read (and write) every codec in the Samsa-client interop tests.
 *
 * Snappy: Kafka producers write either raw snappy (librdkafka, kafkajs-snappy) or
 * xerial-framed snappy (Java); decompress accepts both, compress writes raw.
 * LZ4: the LZ4 frame format (magic v2 batches). Zstd: a zstd frame.
 */
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import kafkajs from 'kafkajs';

const require = createRequire(import.meta.url);
const snappy = require('snappy') as typeof import('snappy');
const lz4 = require('lz4-napi') as typeof import('lz4-napi');

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

export function snappyDecompress(buf: Buffer): Buffer {
  if (buf.length >= 16 && buf.subarray(0, 8).equals(XERIAL_MAGIC)) {
    const out: Buffer[] = [];
    let pos = 16;
    while (pos < buf.length) {
      const len = buf.readInt32BE(pos);
      pos += 4;
      out.push(snappy.uncompressSync(buf.subarray(pos, pos + len)) as Buffer);
      pos += len;
    }
    return Buffer.concat(out);
  }
  return snappy.uncompressSync(buf) as Buffer;
}

interface KafkajsEncoder {
  buffer: Buffer;
}

let registered = false;

/** Registers snappy, lz4 and zstd with kafkajs (idempotent). */
export function registerKafkajsCodecs(): void {
  if (registered) return;
  registered = true;
  const { CompressionCodecs, CompressionTypes } = kafkajs;
  const codecs = CompressionCodecs as unknown as Record<number, () => { compress(e: KafkajsEncoder): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }>;
  codecs[CompressionTypes.Snappy] = () => ({
    compress: async (e) => snappy.compressSync(e.buffer),
    decompress: async (b) => snappyDecompress(b),
  });
  codecs[CompressionTypes.LZ4] = () => ({
    compress: async (e) => lz4.compressFrameSync(e.buffer),
    decompress: async (b) => lz4.decompressFrameSync(b),
  });
  codecs[CompressionTypes.ZSTD] = () => ({
    compress: async (e) => zlib.zstdCompressSync(e.buffer),
    decompress: async (b) => zlib.zstdDecompressSync(b),
  });
}
