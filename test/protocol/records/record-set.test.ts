import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolDecodeError } from '../../../src/protocol/primitives/index.ts';
import {
  buildLegacyMessageSet,
  buildRecordBatch,
  decodeRecordSet,
  iterateRecordSet,
  scanRecordSet,
} from '../../../src/protocol/records/index.ts';
import { sampleRecords } from './fixtures.ts';

function batchesSet(): { set: Buffer; sizes: number[] } {
  const parts = [0, 1, 2, 3, 4].map((compression, i) =>
    buildRecordBatch(sampleRecords(10 + i, i), { baseOffset: BigInt(i * 100), baseTimestamp: 0, compression: compression as 0 }),
  );
  return { set: Buffer.concat(parts), sizes: parts.map((p) => p.length) };
}

test('concatenated batches of every codec decode in order', () => {
  const { set, sizes } = batchesSet();
  const r = decodeRecordSet(set);
  assert.equal(r.truncated, false);
  assert.equal(r.bytesRead, set.length);
  assert.deepEqual(r.batches.map((b) => b.records.length), [10, 11, 12, 13, 14]);
  assert.deepEqual(r.batches.map((b) => b.records[0]!.offset), [0n, 100n, 200n, 300n, 400n]);
  assert.deepEqual(r.batches.map((b) => b.sizeInBytes), sizes);
  const scan = scanRecordSet(set);
  assert.deepEqual(scan.batches.map((b) => b.size), sizes);
  assert.deepEqual(scan.batches.map((b) => b.magic), [2, 2, 2, 2, 2]);
  assert.equal([...iterateRecordSet(set)].length, 5);
});

test('a partial trailing batch (fetch cut at max bytes) is skipped, at every cut point', () => {
  const { set, sizes } = batchesSet();
  const ends = sizes.map((_, i) => sizes.slice(0, i + 1).reduce((a, b) => a + b, 0));
  for (let n = 0; n <= set.length; n++) {
    const r = decodeRecordSet(set.subarray(0, n));
    const complete = ends.filter((e) => e <= n).length;
    assert.equal(r.batches.length, complete, `cut at ${n}`);
    assert.equal(r.bytesRead, complete === 0 ? 0 : ends[complete - 1]);
    assert.equal(r.truncated, n !== r.bytesRead);
  }
  // Ranges within a larger buffer.
  const r = decodeRecordSet(set, sizes[0]!, sizes[0]! + sizes[1]! + 5);
  assert.equal(r.batches.length, 1);
  assert.equal(r.batches[0]!.position, sizes[0]);
  assert.equal(r.truncated, true);
});

test('legacy entries and v2 batches may share a record set (a log upgraded in place)', () => {
  const legacy = buildLegacyMessageSet([{ key: null, value: Buffer.from('old'), timestamp: 5 }], { magic: 1, baseOffset: 0n });
  const gz = buildLegacyMessageSet(
    [
      { key: null, value: Buffer.from('a') },
      { key: null, value: Buffer.from('b') },
    ],
    { magic: 0, baseOffset: 1n, compression: 1 },
  );
  const v2 = buildRecordBatch([{ key: null, value: Buffer.from('new') }], { baseOffset: 3n, baseTimestamp: 9 });
  const r = decodeRecordSet(Buffer.concat([legacy, gz, v2]));
  assert.deepEqual(
    r.batches.flatMap((b) => b.records.map((x) => [x.offset, x.value!.toString(), b.header.magic])),
    [
      [0n, 'old', 1],
      [1n, 'a', 0],
      [2n, 'b', 0],
      [3n, 'new', 2],
    ],
  );
});

test('corruption in complete batches is an error, not a silent stop', () => {
  const { set } = batchesSet();
  const tiny = Buffer.from(set);
  tiny.writeInt32BE(13, 8);
  assert.throws(() => decodeRecordSet(tiny), (e: unknown) => e instanceof ProtocolDecodeError && /below the minimum 14/.test(e.message));
  const magic = Buffer.from(set);
  magic[16] = 3;
  assert.throws(() => decodeRecordSet(magic), /invalid magic 3/);
  assert.throws(() => scanRecordSet(magic), /invalid magic 3/);
  const crc = Buffer.from(set);
  crc[70] ^= 0xff;
  assert.throws(() => decodeRecordSet(crc), /CRC32C/);
});

test('fuzz: random bytes and spliced garbage only ever raise ProtocolDecodeError', async () => {
  const { validateRecordSet, RecordValidationError } = await import('../../../src/protocol/records/index.ts');
  const { prng } = await import('./fixtures.ts');
  const rnd = prng(2024);
  const { set } = batchesSet();
  for (let i = 0; i < 3000; i++) {
    let buf: Buffer;
    if (i % 3 === 0) {
      buf = Buffer.from(Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)));
    } else {
      const cut = Math.floor(rnd() * set.length);
      buf = Buffer.from(set.subarray(0, cut + Math.floor(rnd() * 100)));
      for (let j = 0; j < 1 + Math.floor(rnd() * 4); j++) buf[Math.floor(rnd() * buf.length)] = Math.floor(rnd() * 256);
    }
    try {
      decodeRecordSet(buf, 0, buf.length, { verifyCrc: i % 2 === 0, maxOutputBytes: 1 << 20 });
    } catch (e) {
      assert.ok(e instanceof ProtocolDecodeError, (e as Error).stack);
    }
    try {
      validateRecordSet(buf, 0, buf.length, { allowLegacy: true, origin: i % 2 === 0 ? 'client' : 'replication' });
    } catch (e) {
      assert.ok(e instanceof RecordValidationError, (e as Error).stack);
    }
  }
});
