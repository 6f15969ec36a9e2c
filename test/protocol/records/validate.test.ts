import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolDecodeError } from '../../../src/protocol/primitives/index.ts';
import { ErrorCode } from '../../../src/protocol/errors/index.ts';
import { crc32c } from '../../../src/protocol/crc32c.ts';
import {
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  RecordValidationError,
  assignOffsets,
  buildLegacyMessageSet,
  buildRecordBatch,
  decodeRecordSet,
  readBatchHeader,
  validateBatch,
  validateRecordSet,
} from '../../../src/protocol/records/index.ts';
import type { BatchOptions, ValidateBatchOptions } from '../../../src/protocol/records/index.ts';
import { sampleRecords } from './fixtures.ts';

function batch(options: Partial<BatchOptions> = {}, n = 5): Buffer {
  return buildRecordBatch(sampleRecords(n), { baseTimestamp: 1_700_000_000_000, ...options });
}

function patched(buf: Buffer, f: (b: Buffer) => void, fixCrc = true): Buffer {
  const c = Buffer.from(buf);
  f(c);
  if (fixCrc) c.writeUInt32BE(crc32c(c.subarray(21)), 17);
  return c;
}

function rejects(buf: Buffer, code: number, re: RegExp, options?: ValidateBatchOptions): void {
  assert.throws(
    () => validateBatch(buf, 0, buf.length, options),
    (e: unknown) => {
      assert.ok(e instanceof RecordValidationError, String(e));
      assert.ok(e instanceof ProtocolDecodeError);
      assert.equal(e.errorCode, code, e.message);
      assert.match(e.message, re);
      return true;
    },
  );
}

test('a good batch validates and returns its header', () => {
  const b = batch({ producerId: 5n, producerEpoch: 0, baseSequence: 0, compression: 4 });
  const h = validateBatch(b, 0, b.length);
  assert.deepEqual(h, readBatchHeader(b));
  assert.equal(validateBatch(Buffer.concat([Buffer.alloc(7), b]), 7, b.length + 7).recordCount, 5);
});

test('CORRUPT_MESSAGE: CRC, bad magic, sizes, truncation, impossible counts', () => {
  const b = batch();
  const C = ErrorCode.CORRUPT_MESSAGE;
  rejects(patched(b, (c) => (c[80] ^= 1), false), C, /CRC32C/);
  rejects(patched(b, (c) => (c[16] = 7), false), C, /invalid magic 7/);
  rejects(patched(b, (c) => c.writeInt32BE(48, 8), false), C, /below the minimum 49/);
  rejects(b.subarray(0, b.length - 1), C, /truncated/);
  rejects(b.subarray(0, 10), C, /truncated/);
  rejects(patched(b, (c) => { c.writeInt32BE(100000, 57); c.writeInt32BE(99999, 23); }), C, /cannot fit/);
  assert.doesNotThrow(() => validateBatch(patched(b, (c) => (c[80] ^= 1), false), 0, b.length, { verifyCrc: false }));
});

test('INVALID_RECORD: count vs lastOffsetDelta, empty, control, missing sequence, legacy magic', () => {
  const I = ErrorCode.INVALID_RECORD;
  const b = batch();
  rejects(patched(b, (c) => c.writeInt32BE(5, 23)), I, /inconsistent batch/);
  rejects(patched(b, (c) => c.writeInt32BE(3, 23)), I, /exceeds the offset range/);
  rejects(patched(b, (c) => c.writeInt32BE(-1, 57)), I, /invalid record count/);
  rejects(batch({ lastOffsetDelta: 0 }, 0), I, /no records/);
  rejects(batch({ control: true }), I, /control/);
  rejects(batch({ producerId: 1n, producerEpoch: 0 }), I, /invalid sequence -1/);
  rejects(batch({ transactional: true }), I, /without a producer id/);
  rejects(patched(b, (c) => (c[16] = 1), false), I, /only magic 2/);
  // Compacted batches (count < lastOffsetDelta + 1) and empty ones are fine from replication.
  const compacted = patched(b, (c) => c.writeInt32BE(9, 23));
  assert.equal(validateBatch(compacted, 0, compacted.length, { origin: 'replication' }).lastOffsetDelta, 9);
  const empty = batch({ lastOffsetDelta: 3, producerId: 1n, producerEpoch: 0, baseSequence: 0 }, 0);
  assert.equal(validateBatch(empty, 0, empty.length, { origin: 'replication' }).recordCount, 0);
});

test('other codes: MESSAGE_TOO_LARGE, UNSUPPORTED_COMPRESSION_TYPE, INVALID_TIMESTAMP', () => {
  const b = batch();
  rejects(b, ErrorCode.MESSAGE_TOO_LARGE, /exceeds the maximum 100/, { maxBatchBytes: 100 });
  rejects(patched(b, (c) => c.writeInt16BE(6, 21)), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, /codec id 6/);
  rejects(batch({ logAppendTime: true }), ErrorCode.INVALID_TIMESTAMP, /LogAppendTime/);
  const e = new RecordValidationError(ErrorCode.INVALID_RECORD, 'x', 0);
  assert.equal(e.errorName, 'INVALID_RECORD');
});

function rejectsSet(buf: Buffer, code: number, re: RegExp, options?: Parameters<typeof validateRecordSet>[3]): void {
  assert.throws(
    () => validateRecordSet(buf, 0, buf.length, options),
    (e: unknown) => e instanceof RecordValidationError && e.errorCode === code && re.test(e.message),
  );
}

test('validateRecordSet: exactly consumed, one batch for produce v3+, zstd from v7, legacy gated', () => {
  const a = batch({ baseSequence: 0, producerId: 1n, producerEpoch: 0 });
  const z = batch({ compression: 4 });
  const two = Buffer.concat([a, batch()]);
  const ok = validateRecordSet(two, 0, two.length);
  assert.equal(ok.entries.length, 2);
  assert.equal(ok.recordCount, 10);
  assert.equal(ok.offsetCount, 10);
  assert.equal(ok.magic, 2);
  assert.equal(validateRecordSet(a, 0, a.length, { produceVersion: 9 }).entries[0]!.header!.producerId, 1n);
  rejectsSet(two, ErrorCode.INVALID_RECORD, /exactly one record batch/, { produceVersion: 3 });
  rejectsSet(Buffer.concat([a, Buffer.alloc(5)]), ErrorCode.CORRUPT_MESSAGE, /5 trailing bytes/);
  rejectsSet(Buffer.concat([a, a.subarray(0, 30)]), ErrorCode.CORRUPT_MESSAGE, /truncated/);
  rejectsSet(Buffer.alloc(0), ErrorCode.INVALID_RECORD, /no batches/);
  rejectsSet(z, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, /zstd/, { produceVersion: 6 });
  assert.doesNotThrow(() => validateRecordSet(z, 0, z.length, { produceVersion: 7 }));

  const legacy = buildLegacyMessageSet([{ key: null, value: Buffer.from('v') }, { key: null, value: null }], { magic: 1, compression: 1 });
  rejectsSet(legacy, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, /magic 1/, { produceVersion: 2 });
  rejectsSet(legacy, ErrorCode.INVALID_RECORD, /only contain magic 2/, { produceVersion: 3, allowLegacy: true });
  const v = validateRecordSet(legacy, 0, legacy.length, { produceVersion: 2, allowLegacy: true });
  assert.deepEqual(v.entries.map((e) => [e.magic, e.header, e.size]), [[1, null, legacy.length]]);
  const badCrc = Buffer.from(legacy);
  badCrc[badCrc.length - 1] ^= 1;
  rejectsSet(badCrc, ErrorCode.CORRUPT_MESSAGE, /CRC32/, { allowLegacy: true });
  const plain = buildLegacyMessageSet([{ key: null, value: Buffer.from('v') }], { magic: 0 });
  rejectsSet(Buffer.concat([plain, legacy]), ErrorCode.INVALID_RECORD, /differs/, { allowLegacy: true });
});

test('assignOffsets patches base offsets and epochs in place; CRCs stay valid', () => {
  const set = Buffer.concat([batch({}, 3), batch({}, 4)]);
  const r = assignOffsets(set, 0, set.length, 1000n, { partitionLeaderEpoch: 12 });
  assert.deepEqual(
    [r.firstOffset, r.lastOffset, r.nextOffset, r.batchCount],
    [1000n, 1006n, 1007n, 2],
  );
  assert.doesNotThrow(() => validateRecordSet(set, 0, set.length));
  const decoded = decodeRecordSet(set).batches;
  assert.deepEqual(decoded.flatMap((b) => b.records.map((x) => x.offset)), [1000n, 1001n, 1002n, 1003n, 1004n, 1005n, 1006n]);
  assert.deepEqual(decoded.map((b) => b.header.partitionLeaderEpoch), [12, 12]);
  assert.equal(r.maxTimestamp, decoded.map((b) => b.header.maxTimestamp).reduce((a, b) => (a > b ? a : b)));
});

test('assignOffsets with LogAppendTime sets the timestamp type and maxTimestamp and recomputes the CRC', () => {
  const set = Buffer.concat([batch({ compression: 1 }, 3), batch({}, 2)]);
  const r = assignOffsets(set, 0, set.length, 0n, { logAppendTimeMs: 1_800_000_000_000 });
  assert.equal(r.maxTimestamp, 1_800_000_000_000n);
  assert.equal(r.offsetOfMaxTimestamp, 4n);
  assert.doesNotThrow(() => validateRecordSet(set, 0, set.length, { origin: 'replication' }));
  for (const b of decodeRecordSet(set).batches) {
    assert.ok((b.header.attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0);
    assert.ok(b.records.every((x) => x.timestamp === 1_800_000_000_000n));
  }
});
