import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { crc32, gzipSync } from 'node:zlib';
import { ProtocolDecodeError } from '../../../src/protocol/primitives/index.ts';
import { CompressionCodec, compress } from '../../../src/protocol/compression/index.ts';
import {
  buildLegacyMessageSet,
  decodeLegacyEntry,
  decodeRecordSet,
  readLegacyMessage,
} from '../../../src/protocol/records/index.ts';
import type { DecodedBatch } from '../../../src/protocol/records/index.ts';
import { prng } from './fixtures.ts';

const require = createRequire(import.meta.url);

/** A legacy entry assembled field by field, independently of the code under test. */
function entry(offset: bigint, magic: 0 | 1, attributes: number, timestamp: bigint, key: Buffer | null, value: Buffer | null): Buffer {
  const parts: Buffer[] = [Buffer.from([magic, attributes])];
  if (magic === 1) {
    const t = Buffer.alloc(8);
    t.writeBigInt64BE(timestamp);
    parts.push(t);
  }
  for (const b of [key, value]) {
    const len = Buffer.alloc(4);
    len.writeInt32BE(b === null ? -1 : b.length);
    parts.push(len);
    if (b !== null) parts.push(b);
  }
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(16);
  head.writeBigInt64BE(offset, 0);
  head.writeInt32BE(body.length + 4, 8);
  head.writeUInt32BE(crc32(body) >>> 0, 12);
  return Buffer.concat([head, body]);
}

function flat(batches: DecodedBatch[]): Array<[bigint, bigint, string | null, string | null]> {
  return batches.flatMap((b) =>
    b.records.map((r): [bigint, bigint, string | null, string | null] => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null]),
  );
}

test('magic 0 uncompressed: one entry per message, no timestamps', () => {
  const set = Buffer.concat([
    entry(10n, 0, 0, 0n, Buffer.from('a'), Buffer.from('one')),
    entry(11n, 0, 0, 0n, null, Buffer.from('two')),
    entry(12n, 0, 0, 0n, Buffer.from('c'), null),
  ]);
  const { batches, truncated } = decodeRecordSet(set);
  assert.equal(truncated, false);
  assert.equal(batches.length, 3);
  assert.deepEqual(flat(batches), [
    [10n, -1n, 'a', 'one'],
    [11n, -1n, null, 'two'],
    [12n, -1n, 'c', null],
  ]);
  assert.equal(batches[0]!.header.magic, 0);
  assert.equal(batches[0]!.sizeInBytes, 12 + 14 + 1 + 3);
});

test('magic 1 uncompressed: create time and log append time', () => {
  const set = Buffer.concat([entry(0n, 1, 0, 1000n, null, Buffer.from('x')), entry(1n, 1, 0x08, 2000n, null, Buffer.from('y'))]);
  assert.deepEqual(flat(decodeRecordSet(set).batches), [
    [0n, 1000n, null, 'x'],
    [1n, 2000n, null, 'y'],
  ]);
});

test('magic 1 compressed wrappers: relative inner offsets become absolute', () => {
  const inner = Buffer.concat([
    entry(0n, 1, 0, 500n, Buffer.from('k0'), Buffer.from('v0')),
    entry(1n, 1, 0, 700n, Buffer.from('k1'), Buffer.from('v1')),
    entry(2n, 1, 0, 600n, null, Buffer.from('v2')),
  ]);
  for (const codec of [CompressionCodec.GZIP, CompressionCodec.SNAPPY, CompressionCodec.LZ4]) {
    const wrapper = entry(102n, 1, codec, 700n, null, compress(codec, inner, { magic: 1 }));
    const b = decodeLegacyEntry(wrapper, 0);
    assert.deepEqual(flat([b]), [
      [100n, 500n, 'k0', 'v0'],
      [101n, 700n, 'k1', 'v1'],
      [102n, 600n, null, 'v2'],
    ]);
    assert.equal(b.header.baseOffset, 100n);
    assert.equal(b.header.lastOffsetDelta, 2);
    assert.equal(b.header.maxTimestamp, 700n);
    assert.equal(b.header.attributes & 7, codec);
    // LogAppendTime wrapper: inner messages report the wrapper's time.
    const lat = entry(102n, 1, codec | 0x08, 9999n, null, compress(codec, inner));
    assert.deepEqual(flat([decodeLegacyEntry(lat, 0)]).map((r) => r[1]), [9999n, 9999n, 9999n]);
  }
  // librdkafka's wrapper offset 0 means base 0.
  assert.deepEqual(flat([decodeLegacyEntry(entry(0n, 1, 1, 0n, null, gzipSync(inner)), 0)]).map((r) => r[0]), [0n, 1n, 2n]);
  // Wrapper offset below the last inner offset is refused.
  assert.throws(() => decodeLegacyEntry(entry(1n, 1, 1, 0n, null, gzipSync(inner)), 0), /wrapper offset/);
});

test('magic 0 compressed wrappers keep absolute inner offsets; lz4 uses the KAFKA-3160 checksum', () => {
  const inner = Buffer.concat([entry(40n, 0, 0, 0n, null, Buffer.from('p')), entry(41n, 0, 0, 0n, null, Buffer.from('q'))]);
  for (const codec of [CompressionCodec.GZIP, CompressionCodec.SNAPPY, CompressionCodec.LZ4]) {
    const wrapper = entry(41n, 0, codec, 0n, null, compress(codec, inner, { magic: 0 }));
    assert.deepEqual(flat([decodeLegacyEntry(wrapper, 0)]), [
      [40n, -1n, null, 'p'],
      [41n, -1n, null, 'q'],
    ]);
  }
});

test('inner sets: truncated trailing message ignored; compressed, empty and null wrappers refused', () => {
  const one = entry(0n, 1, 0, 1n, null, Buffer.from('ok'));
  const partial = entry(1n, 1, 0, 1n, null, Buffer.from('cut')).subarray(0, 20);
  assert.equal(decodeLegacyEntry(entry(1n, 1, 1, 0n, null, gzipSync(Buffer.concat([one, partial]))), 0).records.length, 1);
  const nested = entry(0n, 1, 1, 0n, null, gzipSync(one));
  assert.throws(() => decodeLegacyEntry(entry(0n, 1, 1, 0n, null, gzipSync(nested)), 0), /must not be compressed/);
  assert.throws(() => decodeLegacyEntry(entry(0n, 1, 1, 0n, null, gzipSync(Buffer.alloc(0))), 0), /no inner messages/);
  assert.throws(() => decodeLegacyEntry(entry(0n, 1, 1, 0n, null, null), 0), /null value/);
  assert.throws(() => decodeLegacyEntry(entry(0n, 1, 4, 0n, null, Buffer.from('zstd')), 0), /invalid compression zstd/);
});

test('legacy CRC32 is checked unless disabled; bad sizes and lengths fail', () => {
  const e = entry(0n, 1, 0, 1n, Buffer.from('k'), Buffer.from('v'));
  const bad = Buffer.from(e);
  bad[bad.length - 1] ^= 1;
  assert.throws(() => decodeLegacyEntry(bad, 0), /CRC32 mismatch/);
  assert.equal(decodeLegacyEntry(bad, 0, bad.length, { verifyCrc: false }).records[0]!.value!.toString(), 'w');
  const short = Buffer.from(e);
  short.writeInt32BE(13, 8);
  assert.throws(() => readLegacyMessage(short, 0, short.length), /below the minimum/);
  const longKey = Buffer.from(e);
  longKey.writeInt32BE(100, 26);
  assert.throws(() => readLegacyMessage(longKey, 0, longKey.length, false), /overruns/);
});

test('writer round-trips magic 0/1 with every legacy codec and matches kafkajs byte for byte', () => {
  const rnd = prng(3);
  const messages = Array.from({ length: 20 }, (_, i) => ({
    key: rnd() < 0.3 ? null : Buffer.from(`key${i}`),
    value: rnd() < 0.1 ? null : Buffer.from('z'.repeat(Math.floor(rnd() * 100))),
    timestamp: 1_600_000_000_000 + i,
  }));
  for (const magic of [0, 1] as const) {
    for (const compression of [0, 1, 2, 3] as const) {
      const set = buildLegacyMessageSet(messages, { magic, compression, baseOffset: 500n });
      const { batches } = decodeRecordSet(set);
      const records = flat(batches);
      assert.equal(records.length, 20);
      records.forEach(([offset, ts, key, value], i) => {
        assert.equal(offset, 500n + BigInt(i));
        assert.equal(ts, magic === 0 ? -1n : BigInt(messages[i]!.timestamp));
        assert.equal(key, messages[i]!.key?.toString() ?? null);
        assert.equal(value, messages[i]!.value?.toString() ?? null);
      });
    }
    const lat = buildLegacyMessageSet(messages, { magic: 1, compression: 1, logAppendTime: 42n });
    assert.ok(flat(decodeRecordSet(lat).batches).every((r) => r[1] === 42n));
  }
  // kafkajs writes uncompressed message sets with offset -1 and version-0/1 messages.
  const MessageSet = require('kafkajs/src/protocol/messageSet');
  for (const magic of [0, 1] as const) {
    const kjs = MessageSet({ messageVersion: magic, compression: 0, entries: messages }).buffer as Buffer;
    const ours = buildLegacyMessageSet(messages.map((m) => ({ ...m, offset: -1n })), { magic });
    assert.equal(ours.toString('hex'), kjs.toString('hex'));
  }
});

test('kafkajs v1 gzip produce payload (wrapper offset 0, relative inner offsets) decodes', async () => {
  const MessageSet = require('kafkajs/src/protocol/messageSet');
  const { lookupCodec } = require('kafkajs/src/protocol/message/compression');
  const entries = [
    { key: Buffer.from('a'), value: Buffer.from('1'), timestamp: 10 },
    { key: null, value: Buffer.from('2'), timestamp: 20 },
  ];
  const inner = MessageSet({ messageVersion: 1, compression: 1, entries });
  const compressed = await lookupCodec(1).compress(inner);
  const outer = MessageSet({ messageVersion: 1, entries: [{ compression: 1, timestamp: 10, value: compressed }] }).buffer as Buffer;
  assert.deepEqual(flat(decodeRecordSet(outer).batches), [
    [0n, 10n, 'a', '1'],
    [1n, 20n, null, '2'],
  ]);
});

test('truncated or corrupted legacy entries fail with ProtocolDecodeError only', () => {
  const rnd = prng(5);
  const sets = [0, 1, 2, 3].map((c) =>
    buildLegacyMessageSet([{ key: Buffer.from('k'), value: Buffer.from('v'.repeat(50)), timestamp: 1 }, { key: null, value: null }], {
      magic: 1,
      compression: c as 0,
    }),
  );
  for (const set of sets) {
    const first = 12 + set.readInt32BE(8);
    for (let n = 0; n < set.length; n++) {
      if (n < first) assert.throws(() => decodeLegacyEntry(set.subarray(0, n), 0), ProtocolDecodeError);
      assert.doesNotThrow(() => decodeRecordSet(set.subarray(0, n)));
    }
    for (let i = 0; i < 300; i++) {
      const c = Buffer.from(set);
      c[Math.floor(rnd() * c.length)] = Math.floor(rnd() * 256);
      try {
        decodeRecordSet(c, 0, c.length, { verifyCrc: rnd() < 0.5 });
      } catch (e) {
        assert.ok(e instanceof ProtocolDecodeError, (e as Error).stack);
      }
    }
  }
});

test('downConvert: v2 batches to magic 0/1, control batches dropped, gaps in offsets kept, zstd refused', async () => {
  const { buildRecordBatch, buildEndTransactionMarkerBatch, downConvert } = await import('../../../src/protocol/records/index.ts');
  const compacted = buildRecordBatch(
    [
      { offsetDelta: 0, timestampDelta: 1, key: Buffer.from('a'), value: Buffer.from('1'), headers: [{ key: 'h', value: null }] },
      { offsetDelta: 3, timestampDelta: 2, key: Buffer.from('b'), value: null },
    ],
    { baseOffset: 10n, baseTimestamp: 1000, compression: 1 },
  );
  const marker = buildEndTransactionMarkerBatch({ commit: true, producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 0, baseOffset: 14n });
  const plain = buildRecordBatch([{ key: null, value: Buffer.from('z') }], { baseOffset: 15n, baseTimestamp: 2000 });
  const batches = decodeRecordSet(Buffer.concat([compacted, marker, plain])).batches;
  for (const magic of [0, 1] as const) {
    const out = decodeRecordSet(downConvert(batches, { magic }));
    assert.deepEqual(
      flat(out.batches),
      [
        [10n, magic === 1 ? 1001n : -1n, 'a', '1'],
        [13n, magic === 1 ? 1002n : -1n, 'b', null],
        [15n, magic === 1 ? 2000n : -1n, null, 'z'],
      ],
    );
    assert.deepEqual(out.batches.map((b) => b.header.magic), [magic, magic]);
    assert.equal(out.batches[0]!.header.attributes & 7, 1);
  }
  const z = decodeRecordSet(buildRecordBatch([{ key: null, value: Buffer.from('q') }], { baseTimestamp: 0, compression: 4 })).batches;
  assert.throws(() => downConvert(z, { magic: 1 }), /zstd/);
  assert.equal(flat(decodeRecordSet(downConvert(z, { magic: 1, compression: 2 })).batches)[0]![3], 'q');
});
