import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { randomBytes } from 'node:crypto';
import * as snappy from 'snappy';
import * as lz4 from 'lz4-napi';
import { ProtocolDecodeError } from '../../../src/protocol/primitives/index.ts';
import {
  CompressionCodec,
  XERIAL_HEADER,
  codecFromName,
  codecName,
  compress,
  compressAsync,
  decompress,
  decompressAsync,
  isXerialFramed,
  lz4Compress,
  snappyCompressRaw,
  snappyCompressXerial,
  xxhash32,
} from '../../../src/protocol/compression/index.ts';

const CODECS = [CompressionCodec.NONE, CompressionCodec.GZIP, CompressionCodec.SNAPPY, CompressionCodec.LZ4, CompressionCodec.ZSTD];

function sample(n: number, seed = 1): Buffer {
  // JSON-ish, compressible but not trivially.
  const parts: string[] = [];
  let x = seed;
  while (parts.join('').length < n) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    parts.push(`{"id":${x % 100000},"user":"u${x % 977}","event":"click","ts":${1700000000000 + (x % 86400000)}}\n`);
  }
  return Buffer.from(parts.join('').slice(0, n));
}

test('codec ids and names follow Kafka', () => {
  assert.deepEqual(CODECS, [0, 1, 2, 3, 4]);
  assert.equal(codecName(2), 'snappy');
  assert.equal(codecFromName('ZSTD'), 4);
  assert.equal(codecFromName('brotli'), undefined);
  assert.equal(codecName(7), 'unknown(7)');
});

test('every codec round-trips, sync and async, small, empty and multi-block inputs', async () => {
  for (const size of [0, 1, 100, 32 * 1024, 32 * 1024 + 1, 300_000]) {
    const input = sample(size, size + 3);
    for (const codec of CODECS) {
      const c = compress(codec, input);
      assert.deepEqual(decompress(codec, c), input, `${codecName(codec)} sync ${size}`);
      const ca = await compressAsync(codec, input);
      assert.deepEqual(await decompressAsync(codec, ca), input, `${codecName(codec)} async ${size}`);
      assert.deepEqual(decompress(codec, ca), input);
    }
  }
});

test('compression levels are honoured for gzip and zstd', () => {
  const input = sample(200_000);
  const fast = compress(CompressionCodec.GZIP, input, { level: 1 });
  const best = compress(CompressionCodec.GZIP, input, { level: 9 });
  assert.ok(best.length < fast.length);
  assert.deepEqual(decompress(CompressionCodec.GZIP, best), input);
  const z1 = compress(CompressionCodec.ZSTD, input, { level: 1 });
  const z19 = compress(CompressionCodec.ZSTD, input, { level: 19 });
  assert.ok(z19.length < z1.length);
  assert.deepEqual(decompress(CompressionCodec.ZSTD, z19), input);
});

test('gzip and zstd read what other zlib/zstd writers produce, including concatenated gzip members', () => {
  const a = sample(1000, 1);
  const b = sample(2000, 2);
  const members = Buffer.concat([zlib.gzipSync(a), zlib.gzipSync(b)]);
  assert.deepEqual(decompress(CompressionCodec.GZIP, members), Buffer.concat([a, b]));
  assert.deepEqual(decompress(CompressionCodec.ZSTD, zlib.zstdCompressSync(a)), a);
});

test('snappy writes xerial framing exactly as snappy-java: header, then 32 KiB blocks', () => {
  const input = sample(70_000);
  const out = snappyCompressXerial(input);
  assert.deepEqual(out.subarray(0, 16), Buffer.from('82534e41505059000000000100000001', 'hex'));
  assert.deepEqual(XERIAL_HEADER, out.subarray(0, 16));
  assert.ok(isXerialFramed(out));
  // Three blocks: 32768 + 32768 + 4464 bytes of input, each an int32 length + raw snappy.
  let pos = 16;
  const sizes: number[] = [];
  while (pos < out.length) {
    const len = out.readInt32BE(pos);
    const block = out.subarray(pos + 4, pos + 4 + len);
    sizes.push((snappy.uncompressSync(block) as Buffer).length);
    pos += 4 + len;
  }
  assert.equal(pos, out.length);
  assert.deepEqual(sizes, [32768, 32768, 70_000 - 65536]);
});

test('snappy reads both raw blocks and xerial framing', () => {
  const input = sample(50_000);
  const raw = snappyCompressRaw(input);
  assert.ok(!isXerialFramed(raw));
  assert.deepEqual(decompress(CompressionCodec.SNAPPY, raw), input);
  assert.deepEqual(decompress(CompressionCodec.SNAPPY, snappy.compressSync(input)), input);
  // Hand-built xerial stream with an uneven split, as another writer might use.
  const parts = [input.subarray(0, 1000), input.subarray(1000)];
  const blocks = parts.map((p) => snappy.compressSync(p));
  const framed = Buffer.concat([
    XERIAL_HEADER,
    ...blocks.flatMap((b) => {
      const len = Buffer.alloc(4);
      len.writeInt32BE(b.length);
      return [len, b];
    }),
  ]);
  assert.deepEqual(decompress(CompressionCodec.SNAPPY, framed), input);
  // Header only (snappy-java writes this for an empty stream).
  assert.deepEqual(decompress(CompressionCodec.SNAPPY, XERIAL_HEADER), Buffer.alloc(0));
});

test('lz4 writes frames laid out as Kafka does: FLG 0x60, 64 KiB blocks, raw blocks when incompressible', async () => {
  const input = sample(200_000);
  for (const frame of [lz4Compress(input), await compressAsync(CompressionCodec.LZ4, input)]) {
    assert.equal(frame.readUInt32LE(0), 0x184d2204);
    assert.equal(frame[4], 0x60); // version 01, independent blocks, no checksums
    assert.equal(frame[5], 0x40); // 64 KiB blocks
    assert.equal(frame[6], (xxhash32(frame, 4, 6) >>> 8) & 0xff);
    assert.deepEqual(lz4.decompressFrameSync(frame), input);
    // Four blocks (3 x 64 KiB + the rest) and an end mark.
    let pos = 7;
    let blocks = 0;
    for (;;) {
      const w = frame.readUInt32LE(pos);
      pos += 4;
      if (w === 0) break;
      pos += w & 0x7fffffff;
      blocks++;
    }
    assert.equal(blocks, 4);
    assert.equal(pos, frame.length);
  }
  const rnd = randomBytes(70_000);
  const stored = lz4Compress(rnd);
  assert.equal(stored.readUInt32LE(7) >>> 31, 1, 'incompressible block stored raw');
  assert.deepEqual(lz4.decompressFrameSync(stored), rnd);
  assert.deepEqual(decompress(CompressionCodec.LZ4, stored), rnd);
  assert.deepEqual(decompress(CompressionCodec.LZ4, lz4Compress(Buffer.alloc(0))), Buffer.alloc(0));
});

test('xxhash32 matches the reference and the HC byte lz4 frames carry', () => {
  assert.equal(xxhash32(Buffer.alloc(0)), 0x02cc5d05);
  assert.equal(xxhash32(Buffer.from('abc')), 0x32d153ff);
  for (const n of [0, 10, 5000]) {
    const frame = lz4.compressFrameSync(sample(n));
    // Descriptor FLG BD at bytes 4..6 (no content size), HC at 6.
    assert.equal((xxhash32(frame, 4, 6) >>> 8) & 0xff, frame[6]);
  }
});

test('lz4 for magic 0 writes and reads the broken header checksum of KAFKA-3160', () => {
  const input = sample(10_000);
  const broken = compress(CompressionCodec.LZ4, input, { magic: 0 });
  assert.equal(broken[6], (xxhash32(broken, 0, 6) >>> 8) & 0xff);
  assert.notEqual(broken[6], (xxhash32(broken, 4, 6) >>> 8) & 0xff);
  // Strict readers (magic 1+) refuse it; magic 0 ignores HC.
  assert.throws(() => decompress(CompressionCodec.LZ4, broken), ProtocolDecodeError);
  assert.deepEqual(decompress(CompressionCodec.LZ4, broken, { magic: 0 }), input);
  // A correct frame is also fine under magic 0.
  assert.deepEqual(decompress(CompressionCodec.LZ4, lz4Compress(input), { magic: 0 }), input);
});

test('lz4 reads concatenated frames and frames with content size and checksums', () => {
  const a = sample(1000, 5);
  const b = sample(3000, 6);
  const two = Buffer.concat([lz4Compress(a), lz4.compressFrameSync(b, { contentChecksum: true, blockChecksums: true })]);
  assert.deepEqual(decompress(CompressionCodec.LZ4, two), Buffer.concat([a, b]));
});

test('lz4 frames with stored (uncompressed) blocks and a declared content size decode; a wrong size fails', () => {
  const hc = (b: Buffer, end: number) => (xxhash32(b, 4, end) >>> 8) & 0xff;
  const header = Buffer.from('04224d186040', 'hex');
  const payload = Buffer.from('stored block, not compressed');
  const stored = Buffer.alloc(4);
  stored.writeUInt32LE((0x80000000 | payload.length) >>> 0);
  const frame = Buffer.concat([header, Buffer.from([hc(header, 6)]), stored, payload, lz4Compress(Buffer.from('x')).subarray(7)]);
  // Second block comes from a real frame of 'x' (its blocks and end mark).
  assert.deepEqual(decompress(CompressionCodec.LZ4, frame), Buffer.concat([payload, Buffer.from('x')]));
  const sized = Buffer.concat([Buffer.from('04224d186840', 'hex'), Buffer.alloc(8), Buffer.alloc(1), stored, payload, Buffer.alloc(4)]);
  sized.writeBigUInt64LE(BigInt(payload.length), 6);
  sized[14] = hc(sized, 14);
  assert.deepEqual(decompress(CompressionCodec.LZ4, sized), payload);
  sized.writeBigUInt64LE(BigInt(payload.length + 1), 6);
  sized[14] = hc(sized, 14);
  assert.throws(() => decompress(CompressionCodec.LZ4, sized), /declares/);
});

test('decompression bombs are refused before allocation, for every codec', async () => {
  const zeros = Buffer.alloc(4 * 1024 * 1024);
  for (const codec of [CompressionCodec.GZIP, CompressionCodec.SNAPPY, CompressionCodec.LZ4, CompressionCodec.ZSTD]) {
    const c = compress(codec, zeros);
    assert.ok(c.length < zeros.length / 20, `${codecName(codec)} compresses zeros`);
    assert.throws(
      () => decompress(codec, c, { maxOutputBytes: 1024 * 1024 }),
      (e: unknown) => e instanceof ProtocolDecodeError && /limit|bomb/.test(e.message),
      codecName(codec),
    );
    await assert.rejects(decompressAsync(codec, c, { maxOutputBytes: 1024 * 1024 }), ProtocolDecodeError);
    assert.equal(decompress(codec, c, { maxOutputBytes: zeros.length }).length, zeros.length);
  }
  // Raw snappy: the declared length alone is enough to refuse.
  const lying = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
  assert.throws(() => decompress(CompressionCodec.SNAPPY, lying, { maxOutputBytes: 1 << 20 }), /limit/);
  // lz4 with a declared content size over the limit.
  const cs = Buffer.from(lz4Compress(Buffer.from('x')));
  const withSize = Buffer.concat([cs.subarray(0, 4), Buffer.from([cs[4]! | 0x08, cs[5]!]), Buffer.alloc(8), Buffer.alloc(1), cs.subarray(7)]);
  withSize.writeBigUInt64LE(1n << 40n, 6);
  withSize[14] = (xxhash32(withSize, 4, 14) >>> 8) & 0xff;
  assert.throws(() => decompress(CompressionCodec.LZ4, withSize, { maxOutputBytes: 1 << 20 }), /limit/);
});

test('garbage and truncated inputs fail with ProtocolDecodeError for every codec', async () => {
  const input = sample(100_000);
  for (const codec of [CompressionCodec.GZIP, CompressionCodec.SNAPPY, CompressionCodec.LZ4, CompressionCodec.ZSTD]) {
    const c = compress(codec, input);
    const cases = [Buffer.alloc(0), Buffer.from('garbage!garbage!garbage!'), c.subarray(0, c.length >> 1), c.subarray(0, 20)];
    const flipped = Buffer.from(c);
    flipped[flipped.length >> 1] ^= 0x5a;
    cases.push(flipped);
    for (const bad of cases) {
      let out: Buffer | undefined;
      try {
        out = decompress(codec, bad);
      } catch (e) {
        assert.ok(e instanceof ProtocolDecodeError, `${codecName(codec)}: ${(e as Error).name} ${(e as Error).message}`);
        continue;
      }
      // A flipped byte inside a literal run can decode to different bytes; it must not decode to the input.
      assert.notDeepEqual(out, input, `${codecName(codec)} accepted corrupted input unchanged`);
    }
    await assert.rejects(decompressAsync(codec, Buffer.from('garbage!garbage!garbage!')), ProtocolDecodeError);
  }
  assert.throws(() => decompress(6, Buffer.alloc(10)), ProtocolDecodeError);
});
