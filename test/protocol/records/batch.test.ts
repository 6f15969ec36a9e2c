import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { ProtocolDecodeError, ProtocolEncodeError } from '../../../src/protocol/primitives/index.ts';
import { crc32c } from '../../../src/protocol/crc32c.ts';
import {
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  ATTR_TRANSACTIONAL,
  BATCH_HEADER_SIZE,
  TimestampType,
  buildRecordBatch,
  buildRecordBatchAsync,
  compressionOf,
  decodeRecordBatch,
  decodeRecordBatchAsync,
  encodeRecords,
  isTransactional,
  readBatchHeader,
  timestampTypeOf,
} from '../../../src/protocol/records/index.ts';
import type { DecodedBatch, RecordInput } from '../../../src/protocol/records/index.ts';
import { prng, sampleRecords } from './fixtures.ts';

const require = createRequire(import.meta.url);
const CODECS = [0, 1, 2, 3, 4] as const;

function assertSameRecords(decoded: DecodedBatch, input: readonly RecordInput[]): void {
  assert.equal(decoded.records.length, input.length);
  input.forEach((r, i) => {
    const d = decoded.records[i]!;
    assert.equal(d.offsetDelta, r.offsetDelta ?? i);
    assert.equal(d.timestampDelta, r.timestampDelta ?? 0);
    assert.deepEqual(d.key === null ? null : Buffer.from(d.key), r.key === null ? null : Buffer.from(r.key));
    assert.deepEqual(d.value === null ? null : Buffer.from(d.value), r.value === null ? null : Buffer.from(r.value));
    assert.deepEqual(
      d.headers.map((h) => [h.key, h.value === null ? null : Buffer.from(h.value)]),
      (r.headers ?? []).map((h) => [h.key, h.value === null ? null : Buffer.from(h.value)]),
    );
  });
}

test('batches round-trip for every codec: keys, null keys and values, empty values, headers', async () => {
  const records = sampleRecords(300);
  for (const compression of CODECS) {
    const opts = {
      baseOffset: 1234567890123n,
      partitionLeaderEpoch: 17,
      compression,
      baseTimestamp: 1_700_000_000_000,
      producerId: 4242n,
      producerEpoch: 3,
      baseSequence: 99,
    };
    const buf = buildRecordBatch(records, opts);
    const h = readBatchHeader(buf);
    assert.equal(h.batchLength, buf.length - 12);
    assert.equal(h.magic, 2);
    assert.equal(h.crc, crc32c(buf.subarray(21)));
    assert.equal(compressionOf(h.attributes), compression);
    assert.equal(h.lastOffsetDelta, 299);
    assert.equal(h.recordCount, 300);
    assert.equal(h.maxTimestamp, 1_700_000_000_000n + BigInt(Math.max(...records.map((r) => r.timestampDelta!))));
    assert.equal(h.producerId, 4242n);
    assert.equal(h.producerEpoch, 3);
    assert.equal(h.baseSequence, 99);
    assert.equal(h.partitionLeaderEpoch, 17);
    const d = decodeRecordBatch(buf);
    assertSameRecords(d, records);
    assert.equal(d.sizeInBytes, buf.length);
    assert.equal(d.records[5]!.offset, 1234567890128n);
    assert.equal(d.records[5]!.timestamp, 1_700_000_000_000n + BigInt(records[5]!.timestampDelta!));
    assert.equal(d.records[5]!.timestampMs, 1_700_000_000_000 + records[5]!.timestampDelta!);
    assert.deepEqual(await buildRecordBatchAsync(records, opts).then((b) => decodeRecordBatch(b).records.length), 300);
    assertSameRecords(await decodeRecordBatchAsync(buf), records);
  }
});

test('defaults: offset 0, epoch -1, no producer, create time; an empty batch is allowed', () => {
  const buf = buildRecordBatch([{ key: null, value: Buffer.from('v') }], { baseTimestamp: 5n });
  const h = readBatchHeader(buf);
  assert.equal(h.baseOffset, 0n);
  assert.equal(h.partitionLeaderEpoch, -1);
  assert.equal(h.producerId, -1n);
  assert.equal(h.producerEpoch, -1);
  assert.equal(h.baseSequence, -1);
  assert.equal(h.attributes, 0);
  assert.equal(h.maxTimestamp, 5n);
  assert.equal(timestampTypeOf(h.attributes), TimestampType.CREATE_TIME);

  const empty = buildRecordBatch([], { baseTimestamp: 10n, lastOffsetDelta: 4, producerId: 1n, producerEpoch: 0, baseSequence: 0 });
  assert.equal(empty.length, BATCH_HEADER_SIZE);
  const d = decodeRecordBatch(empty);
  assert.equal(d.records.length, 0);
  assert.equal(d.header.lastOffsetDelta, 4);
});

test('attribute bits: transactional, control, log append time, delete horizon, raw attributes', () => {
  const buf = buildRecordBatch([{ key: null, value: null }], {
    baseTimestamp: 0,
    transactional: true,
    control: true,
    logAppendTime: true,
    deleteHorizon: true,
    maxTimestamp: 777n,
    producerId: 1n,
    producerEpoch: 0,
  });
  const h = readBatchHeader(buf);
  assert.equal(h.attributes, ATTR_TRANSACTIONAL | ATTR_CONTROL | ATTR_TIMESTAMP_TYPE_LOG_APPEND | 0x40);
  assert.ok(isTransactional(h.attributes));
  // LogAppendTime: records report the batch's maxTimestamp.
  assert.equal(decodeRecordBatch(buf).records[0]!.timestamp, 777n);
  const raw = buildRecordBatch([{ key: null, value: null }], { baseTimestamp: 0, attributes: 0x13 });
  assert.equal(readBatchHeader(raw).attributes, 0x13);
  assert.equal(decodeRecordBatch(raw).records.length, 1);
});

test('explicit deltas, varint and varlong edges, large keys and values', () => {
  const big = Buffer.alloc(300_000, 7);
  const records: RecordInput[] = [
    { offsetDelta: 0, timestampDelta: -1, key: Buffer.alloc(0), value: big },
    { offsetDelta: 63, timestampDelta: 2 ** 31, key: big.subarray(0, 128), value: Buffer.alloc(0) },
    { offsetDelta: 64, timestampDelta: -(2 ** 40), key: null, value: null, headers: [{ key: '', value: Buffer.alloc(0) }] },
    { offsetDelta: 2 ** 31 - 1, timestampDelta: Number.MAX_SAFE_INTEGER, key: null, value: null },
    { offsetDelta: 2 ** 31 - 2, timestampDelta: Number.MIN_SAFE_INTEGER, key: null, value: null },
  ];
  for (const compression of [0, 4] as const) {
    const buf = buildRecordBatch(records, { baseTimestamp: 0n, compression, maxTimestamp: 0n });
    const d = decodeRecordBatch(buf);
    assertSameRecords(d, records);
    assert.equal(d.header.lastOffsetDelta, 2 ** 31 - 2);
  }
  assert.throws(() => buildRecordBatch([{ offsetDelta: 2 ** 31, key: null, value: null }], { baseTimestamp: 0 }), ProtocolEncodeError);
  assert.throws(() => buildRecordBatch([{ timestampDelta: 0.5, key: null, value: null }], { baseTimestamp: 0 }), ProtocolEncodeError);
  assert.throws(() => buildRecordBatch([], { baseTimestamp: 0, producerEpoch: 70000 }), ProtocolEncodeError);
  assert.throws(() => buildRecordBatch([], { baseTimestamp: 0, compression: 6 as 0 }), ProtocolEncodeError);
});

test('byte-exact against a hand-assembled batch', () => {
  const buf = buildRecordBatch(
    [{ key: Buffer.from('k'), value: Buffer.from('hello'), timestampDelta: 3, headers: [{ key: 'h', value: Buffer.from('v') }] }],
    { baseOffset: 5n, baseTimestamp: 1000n, partitionLeaderEpoch: 2 },
  );
  // length=16: attrs 0, ts 3 -> 06, off 0 -> 00, key 1 -> 02 'k', value 5 -> 0a 'hello',
  // 1 header -> 02, key 1 -> 02 'h', value 1 -> 02 'v'
  const record = Buffer.from('20' + '00' + '06' + '00' + '026b' + '0a68656c6c6f' + '02' + '0268' + '0276', 'hex');
  const expected = Buffer.alloc(61 + record.length);
  expected.writeBigInt64BE(5n, 0);
  expected.writeInt32BE(49 + record.length, 8);
  expected.writeInt32BE(2, 12);
  expected[16] = 2;
  expected.writeInt16BE(0, 21);
  expected.writeInt32BE(0, 23);
  expected.writeBigInt64BE(1000n, 27);
  expected.writeBigInt64BE(1003n, 35);
  expected.writeBigInt64BE(-1n, 43);
  expected.writeInt16BE(-1, 51);
  expected.writeInt32BE(-1, 53);
  expected.writeInt32BE(1, 57);
  record.copy(expected, 61);
  expected.writeUInt32BE(crc32c(expected.subarray(21)), 17);
  assert.equal(buf.toString('hex'), expected.toString('hex'));
});

test('kafkajs cross-check: its encoder and ours agree byte for byte; each decodes the other', async () => {
  const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
  const Record = require('kafkajs/src/protocol/recordBatch/record/v0');
  const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');
  const KDecoder = require('kafkajs/src/protocol/decoder');
  const Long = require('kafkajs/src/utils/long');
  const rnd = prng(11);
  const inputs: RecordInput[] = [];
  for (let i = 0; i < 50; i++) {
    inputs.push({
      offsetDelta: i,
      timestampDelta: Math.floor(rnd() * 100000),
      key: rnd() < 0.3 ? null : Buffer.from(`k${i}`),
      value: rnd() < 0.1 ? null : Buffer.from('v'.repeat(Math.floor(rnd() * 300))),
      headers: rnd() < 0.5 ? [] : [{ key: `h${i}`, value: Buffer.from(`hv${i}`) }],
    });
  }
  for (const compression of [0, 1] as const) {
    const fields = {
      compression,
      firstOffset: Long.fromValue(42),
      firstTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_099_999,
      partitionLeaderEpoch: 0,
      lastOffsetDelta: 49,
      transactional: true,
      producerId: Long.fromValue(77),
      producerEpoch: 1,
      firstSequence: 10,
    };
    const kjsRecords = inputs.map((r) =>
      Record({
        offsetDelta: r.offsetDelta,
        timestampDelta: r.timestampDelta,
        key: r.key,
        value: r.value,
        headers: Object.fromEntries((r.headers ?? []).map((h) => [h.key, h.value])),
      }),
    );
    const kjs = (await RecordBatch({ ...fields, records: kjsRecords })).buffer as Buffer;
    const ours = buildRecordBatch(inputs, {
      compression,
      baseOffset: 42n,
      baseTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_099_999,
      partitionLeaderEpoch: 0,
      transactional: true,
      producerId: 77n,
      producerEpoch: 1,
      baseSequence: 10,
    });
    if (compression === 0) assert.equal(ours.toString('hex'), kjs.toString('hex'));
    assertSameRecords(decodeRecordBatch(kjs), inputs);
    const back = await decodeBatch(new KDecoder(ours));
    assert.equal(back.records.length, 50);
    back.records.forEach((r: { offset: string; key: Buffer | null; value: Buffer | null; timestamp: string }, i: number) => {
      assert.equal(r.offset, String(42 + i));
      assert.equal(r.timestamp, String(1_700_000_000_000 + inputs[i]!.timestampDelta!));
      assert.deepEqual(r.key, inputs[i]!.key);
      assert.deepEqual(r.value, inputs[i]!.value);
    });
  }
});

test('encodeRecords is the payload of an uncompressed batch', () => {
  const records = sampleRecords(20);
  const buf = buildRecordBatch(records, { baseTimestamp: 0 });
  assert.deepEqual(encodeRecords(records), buf.subarray(61));
});

function mutate(buf: Buffer, f: (b: Buffer) => void, fixCrc = true): Buffer {
  const c = Buffer.from(buf);
  f(c);
  if (fixCrc) c.writeUInt32BE(crc32c(c.subarray(21)), 17);
  return c;
}

test('structural errors are ProtocolDecodeError: CRC, magic, counts, record lengths, trailing bytes', () => {
  const buf = buildRecordBatch(sampleRecords(5), { baseTimestamp: 0 });
  const bad = (b: Buffer, re: RegExp) => assert.throws(() => decodeRecordBatch(b), (e: unknown) => e instanceof ProtocolDecodeError && re.test(e.message));
  bad(mutate(buf, (c) => (c[100] ^= 1), false), /CRC32C/);
  bad(mutate(buf, (c) => (c[16] = 1), false), /magic 1/);
  bad(mutate(buf, (c) => c.writeInt32BE(6, 57)), /truncated varint/);
  bad(mutate(buf, (c) => c.writeInt32BE(4, 57)), /bytes left after the batch's 4 records/);
  bad(mutate(buf, (c) => c.writeInt32BE(-1, 57)), /record count/);
  bad(mutate(buf, (c) => c.writeInt32BE(100000, 57)), /cannot fit/);
  bad(mutate(buf, (c) => c.writeInt16BE(5, 21)), /codec 5/);
  bad(mutate(buf, (c) => c.writeInt32BE(10, 8)), /below the header size/);
  bad(buf.subarray(0, buf.length - 1), /truncated/);
  // A record whose declared length disagrees with its fields.
  bad(mutate(buf, (c) => (c[61] = c[61]! + 2)), /record|overruns|left/);
  // Verification can be skipped.
  assert.equal(decodeRecordBatch(mutate(buf, (c) => (c[30] ^= 1), false), 0, { verifyCrc: false }).records.length, 5);
});

test('every truncation and random corruption fails with ProtocolDecodeError only (all codecs)', () => {
  const rnd = prng(99);
  for (const compression of CODECS) {
    const buf = buildRecordBatch(sampleRecords(12, compression + 1), { baseTimestamp: 0, compression });
    for (let n = 0; n < buf.length; n++) {
      assert.throws(() => decodeRecordBatch(buf.subarray(0, n)), ProtocolDecodeError);
    }
    for (let i = 0; i < 400; i++) {
      const c = Buffer.from(buf);
      const flips = 1 + Math.floor(rnd() * 3);
      for (let j = 0; j < flips; j++) c[Math.floor(rnd() * c.length)] = Math.floor(rnd() * 256);
      for (const verifyCrc of [true, false]) {
        try {
          decodeRecordBatch(c, 0, { verifyCrc, maxOutputBytes: 1 << 20 });
        } catch (e) {
          assert.ok(e instanceof ProtocolDecodeError, `codec ${compression}: ${(e as Error).stack}`);
        }
      }
    }
  }
});

test('a decompressed payload over maxOutputBytes is refused', () => {
  const records = [{ key: null, value: Buffer.alloc(2_000_000) }];
  for (const compression of [1, 2, 3, 4] as const) {
    const buf = buildRecordBatch(records, { baseTimestamp: 0, compression });
    assert.throws(() => decodeRecordBatch(buf, 0, { maxOutputBytes: 1_000_000 }), /limit/);
    assert.equal(decodeRecordBatch(buf, 0, { maxOutputBytes: 3_000_000 }).records[0]!.value!.length, 2_000_000);
  }
});
