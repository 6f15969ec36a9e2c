import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer, ProtocolDecodeError } from '../../../src/protocol/primitives/index.ts';

test('varints round-trip at their edges', () => {
  const ints = [0, 1, -1, 63, -64, 64, 2 ** 31 - 1, -(2 ** 31)];
  const uints = [0, 1, 127, 128, 16383, 16384, 2 ** 32 - 1];
  const longs = [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 300n];
  const w = new Writer(1);
  for (const v of ints) w.varint(v);
  for (const v of uints) w.unsignedVarint(v);
  for (const v of longs) w.varlong(v);
  for (const v of [0, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) w.varlongNumber(v);
  const r = new Reader(w.finish());
  for (const v of ints) assert.equal(r.varint(), v);
  for (const v of uints) assert.equal(r.unsignedVarint(), v);
  for (const v of longs) assert.equal(r.varlong(), v);
  for (const v of [0, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) assert.equal(r.varlongNumber(), v);
  assert.equal(r.remaining, 0);
});

test('strings, bytes and uuids round-trip, compact and not', () => {
  const w = new Writer();
  w.string('héllo').nullableString(null).compactString('').compactNullableString(null);
  w.bytes(Buffer.from([1, 2])).compactNullableBytes(null).uuid('AAAAAAAAAAAAAAAAAAAAAA');
  const r = new Reader(w.finish());
  assert.equal(r.string(), 'héllo');
  assert.equal(r.nullableString(), null);
  assert.equal(r.compactString(), '');
  assert.equal(r.compactNullableString(), null);
  assert.deepEqual([...r.bytes()], [1, 2]);
  assert.equal(r.compactNullableBytes(), null);
  assert.equal(r.uuid(), 'AAAAAAAAAAAAAAAAAAAAAA');
});

test('lying lengths are refused before allocation', () => {
  const w = new Writer().int32(0x7fffffff);
  assert.throws(() => new Reader(w.finish()).arrayLength(), ProtocolDecodeError);
  assert.throws(() => new Reader(w.finish()).bytes(), ProtocolDecodeError);
  assert.throws(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).unsignedVarint(), ProtocolDecodeError);
  assert.throws(() => new Reader(Buffer.from([0x80])).unsignedVarint(), ProtocolDecodeError);
  assert.throws(() => new Reader(Buffer.alloc(3)).int32(), ProtocolDecodeError);
});

test('large byte fields are spliced by reference and read back identically', () => {
  const big = Buffer.alloc(100_000, 7);
  const plain = new Writer();
  const spliced = new Writer();
  spliced.spliceMinBytes = 1024;
  for (const w of [plain, spliced]) {
    w.int32(0).compactBytes(Buffer.from('small')).bytes(big).string('after').compactBytes(big).int8(1);
  }
  const chunks = spliced.finishChunks();
  assert.ok(chunks.length > 1);
  assert.ok(chunks.some((c) => c === big), 'the big field is not copied');
  assert.equal(spliced.length, plain.pos);
  assert.deepEqual(Buffer.concat(chunks), plain.finish());
  assert.deepEqual(spliced.finish(), plain.finish());
});
