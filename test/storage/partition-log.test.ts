import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../../src/storage/clock.ts';
import { StorageError, StorageErrorCode } from '../../src/storage/errors.ts';
import { PartitionLog } from '../../src/storage/partition-log.ts';
import { batch, openLog, readAll, tempDir } from './helpers.ts';

describe('PartitionLog', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('assigns offsets and reads them back', () => {
    const log = openLog(dir);
    const r1 = log.append(batch({ count: 3 }), { leaderEpoch: 5 });
    assert.equal(r1.baseOffset, 0);
    assert.equal(r1.lastOffset, 2);
    const r2 = log.append(batch({ count: 2 }));
    assert.deepEqual([r2.baseOffset, r2.lastOffset], [3, 4]);
    assert.equal(log.logEndOffset, 5);
    const recs = readAll(log, 0);
    assert.deepEqual(recs.map((r) => r.offset), [0, 1, 2, 3, 4]);
    // fetch from the middle of a batch returns that whole batch
    assert.deepEqual(readAll(log, 1).map((r) => r.offset), [0, 1, 2, 3, 4]);
    assert.deepEqual(readAll(log, 3).map((r) => r.offset), [3, 4]);
    assert.equal(log.read(5, 1000).slices.length, 0);
    assert.equal(log.epochForOffset(0), 5);
    log.close();
  });

  it('rolls segments by size and reads across them', () => {
    const log = openLog(dir, { 'segment.bytes': 1024, 'index.interval.bytes': 100 });
    for (let i = 0; i < 100; i++) log.append(batch({ count: 2, valueSize: 20 }));
    assert.ok(log.allSegments.length > 5, `segments: ${log.allSegments.length}`);
    const names = fs.readdirSync(path.join(dir, 'topic-0'));
    assert.ok(names.includes('00000000000000000000.log'));
    assert.ok(names.includes('00000000000000000000.index'));
    assert.ok(names.includes('00000000000000000000.timeindex'));
    for (const s of log.allSegments) assert.ok(s.size <= 1024);
    const all = readAll(log, 0);
    assert.deepEqual(all.map((r) => r.offset), Array.from({ length: 200 }, (_, i) => i));
    // every offset resolves to the batch holding it
    for (let o = 0; o < 200; o += 7) assert.equal(readAll(log, o, 1)[0].offset, o - (o % 2));
    // maxBytes keeps whole batches; minOneBatch returns at least one
    const small = log.read(10, 1);
    assert.equal(small.slices.length, 1);
    const none = log.read(10, 1, { minOneBatch: false });
    assert.equal(none.slices.length, 0);
    const some = log.read(0, 300);
    assert.ok(some.sizeBytes <= 300 && some.sizeBytes > 0);
    log.close();
  });

  it('respects maxOffset (high watermark)', () => {
    const log = openLog(dir, { 'segment.bytes': 500 });
    for (let i = 0; i < 20; i++) log.append(batch({ count: 1, valueSize: 50 }));
    assert.deepEqual(readAll(log, 0, 1 << 20, 7).map((r) => r.offset), [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(log.read(7, 1000, { maxOffset: 7 }).slices.length, 0);
    log.close();
  });

  it('throws OFFSET_OUT_OF_RANGE outside [logStart, logEnd]', () => {
    const log = openLog(dir);
    log.append(batch({ count: 2 }));
    assert.throws(() => log.read(3, 100), (e: unknown) => e instanceof StorageError && e.code === StorageErrorCode.OFFSET_OUT_OF_RANGE);
    assert.equal(log.read(2, 100).slices.length, 0);
    log.close();
  });

  it('reopens cleanly and continues offsets', () => {
    let log = openLog(dir, { 'segment.bytes': 800 });
    for (let i = 0; i < 30; i++) log.append(batch({ count: 3 }));
    log.close();
    log = openLog(dir, { 'segment.bytes': 800 }, { hadCleanShutdown: true });
    assert.equal(log.logEndOffset, 90);
    assert.equal(log.append(batch()).baseOffset, 90);
    assert.equal(readAll(log, 0).length, 91);
    log.close();
  });

  it('stamps LogAppendTime with a valid CRC', () => {
    const clock = new ManualClock(1_800_000_000_000);
    const log = openLog(dir, { 'message.timestamp.type': 'LogAppendTime' }, { clock });
    const r = log.append(batch({ count: 2, timestamp: 5 }));
    assert.equal(r.logAppendTimeMs, 1_800_000_000_000);
    const recs = readAll(log, 0); // decode verifies the CRC
    assert.deepEqual(recs.map((x) => x.timestamp), [1_800_000_000_000, 1_800_000_000_000]);
    log.close();
  });

  it('rejects oversized batches and corrupt framing', () => {
    const log = openLog(dir, { 'max.message.bytes': 200 });
    assert.throws(() => log.append(batch({ count: 10, valueSize: 50 })), (e: unknown) => e instanceof StorageError && e.code === StorageErrorCode.MESSAGE_TOO_LARGE);
    const b = batch();
    assert.throws(() => log.append(b.subarray(0, b.length - 3)), (e: unknown) => e instanceof StorageError && e.code === StorageErrorCode.CORRUPT_MESSAGE);
    assert.equal(log.logEndOffset, 0);
    log.close();
  });

  it('fsyncs by flush.messages and flush.ms, advancing the recovery point', async () => {
    const clock = new ManualClock();
    const byCount = openLog(dir, { 'flush.messages': 3 }, { clock });
    byCount.append(batch({ count: 2 }));
    assert.equal(byCount.recoveryPoint, 0);
    byCount.append(batch({ count: 1 }));
    assert.equal(byCount.recoveryPoint, 3);
    byCount.close();
    const byTime = PartitionLog.open({ dir: path.join(dir, 'other-0'), topic: 'other', partition: 0, config: { ...byCount.config, 'flush.messages': Number.MAX_SAFE_INTEGER, 'flush.ms': 1000 }, clock });
    byTime.append(batch({ count: 2 }));
    assert.equal(byTime.maybeFlushByTime(), null);
    clock.advance(1000);
    await byTime.maybeFlushByTime();
    assert.equal(byTime.recoveryPoint, 2);
    // a roll flushes the finished segment in the background
    byTime.append(batch());
    byTime.roll();
    await byTime.flushAsync();
    assert.equal(byTime.recoveryPoint, 3);
    byTime.close();
  });

  it('appends several batches in one call', () => {
    const log = openLog(dir);
    const r = log.append(Buffer.concat([batch({ count: 2 }), batch({ count: 3 }), batch({ count: 1 })]));
    assert.deepEqual([r.baseOffset, r.lastOffset, r.recordCount], [0, 5, 6]);
    assert.deepEqual(readAll(log, 0).map((x) => x.offset), [0, 1, 2, 3, 4, 5]);
    log.close();
  });
});
