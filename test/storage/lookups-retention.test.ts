import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../../src/storage/clock.ts';
import { StorageError, StorageErrorCode } from '../../src/storage/errors.ts';
import { batch, openLog, readAll, tempDir } from './helpers.ts';

describe('time lookups, retention, DeleteRecords', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  const T0 = 1_700_000_000_000;

  it('finds the first offset with timestamp ≥ target through the time index', () => {
    const log = openLog(dir, { 'segment.bytes': 700, 'index.interval.bytes': 100 });
    // batch i holds records at T0 + 100i + {0, 10, 20}
    for (let i = 0; i < 40; i++) log.append(batch({ count: 3, timestamp: T0 + i * 100, timestampDeltas: [0, 10, 20] }));
    assert.ok(log.allSegments.length > 3);
    assert.deepEqual(log.offsetForTimestamp(T0 - 5), { timestamp: T0, offset: 0, leaderEpoch: -1 });
    assert.deepEqual(log.offsetForTimestamp(T0 + 1505), { timestamp: T0 + 1510, offset: 46, leaderEpoch: -1 });
    assert.deepEqual(log.offsetForTimestamp(T0 + 2000), { timestamp: T0 + 2000, offset: 60, leaderEpoch: -1 });
    assert.equal(log.offsetForTimestamp(T0 + 4000), null);
    const max = log.maxTimestampOffset();
    assert.deepEqual(max, { timestamp: T0 + 3920, offset: 119, leaderEpoch: -1 });
    // time index files hold 12-byte entries with ascending timestamps
    const ti = fs.readFileSync(path.join(dir, 'topic-0', '00000000000000000000.timeindex'));
    assert.ok(ti.length > 0 && ti.length % 12 === 0);
    log.close();
  });

  it('max timestamp is not the last record when timestamps go back', () => {
    const log = openLog(dir);
    log.append(batch({ count: 2, timestamp: T0, timestampDeltas: [0, 500] }));
    log.append(batch({ count: 2, timestamp: T0, timestampDeltas: [0, 100] }));
    assert.deepEqual(log.maxTimestampOffset(), { timestamp: T0 + 500, offset: 1, leaderEpoch: -1 });
    log.close();
  });

  it('deletes segments older than retention.ms, never the active one', () => {
    const clock = new ManualClock(T0);
    const log = openLog(dir, { 'segment.bytes': 500, 'retention.ms': 10_000 }, { clock });
    for (let i = 0; i < 20; i++) log.append(batch({ count: 1, valueSize: 80, timestamp: T0 + i * 1000 }));
    log.setHighWatermark(log.logEndOffset);
    const before = log.allSegments.length;
    clock.set(T0 + 15_500);
    const deleted = log.deleteOldSegments();
    assert.ok(deleted > 0 && deleted < before);
    for (const s of log.allSegments.slice(0, -1)) assert.ok(clock.nowMs() - s.largestTimestamp() <= 10_000);
    assert.equal(log.logStartOffset, log.allSegments[0].baseOffset);
    assert.throws(() => log.read(0, 100), (e: unknown) => e instanceof StorageError && e.code === StorageErrorCode.OFFSET_OUT_OF_RANGE);
    // everything expired: a new empty active segment replaces the old
    clock.set(T0 + 100_000);
    log.deleteOldSegments();
    assert.equal(log.allSegments.length, 1);
    assert.equal(log.activeSegment.size, 0);
    assert.equal(log.logStartOffset, 20);
    assert.equal(log.logEndOffset, 20);
    assert.equal(log.append(batch()).baseOffset, 20);
    const names = fs.readdirSync(path.join(dir, 'topic-0')).filter((n) => n.endsWith('.log'));
    assert.deepEqual(names, ['00000000000000000020.log']);
    log.close();
  });

  it('deletes oldest segments beyond retention.bytes', () => {
    const log = openLog(dir, { 'segment.bytes': 500, 'retention.bytes': 1200 });
    for (let i = 0; i < 30; i++) log.append(batch({ count: 1, valueSize: 80 }));
    log.setHighWatermark(log.logEndOffset);
    log.deleteOldSegments();
    assert.ok(log.sizeBytes <= 1200 + 500, `size ${log.sizeBytes}`);
    assert.ok(log.sizeBytes > 1200 - 500);
    assert.deepEqual(readAll(log, log.logStartOffset).at(-1)?.offset, 29);
    log.close();
  });

  it('does not delete data above the high watermark', () => {
    const clock = new ManualClock(T0);
    const log = openLog(dir, { 'segment.bytes': 300, 'retention.ms': 1 }, { clock });
    for (let i = 0; i < 10; i++) log.append(batch({ count: 1, valueSize: 100, timestamp: T0 }));
    log.setHighWatermark(0);
    clock.advance(10_000);
    assert.equal(log.deleteOldSegments(), 0);
    log.close();
  });

  it('DeleteRecords advances the log start offset and drops whole segments below it', () => {
    const log = openLog(dir, { 'segment.bytes': 500 });
    for (let i = 0; i < 20; i++) log.append(batch({ count: 2, valueSize: 60 }));
    log.setHighWatermark(log.logEndOffset);
    const seg2 = log.allSegments[2].baseOffset;
    assert.equal(log.deleteRecordsBefore(seg2 + 1), seg2 + 1);
    assert.equal(log.allSegments[0].baseOffset, seg2);
    assert.throws(() => log.read(seg2, 100), (e: unknown) => e instanceof StorageError && e.code === StorageErrorCode.OFFSET_OUT_OF_RANGE);
    assert.equal(readAll(log, seg2 + 1)[0].offset, seg2); // the batch holding it
    assert.throws(() => log.deleteRecordsBefore(41), (e: unknown) => e instanceof StorageError && e.code === StorageErrorCode.OFFSET_OUT_OF_RANGE);
    log.close();
  });

  it('rolls by segment.ms', () => {
    const clock = new ManualClock(T0);
    const log = openLog(dir, { 'segment.ms': 60_000 }, { clock });
    log.append(batch({ timestamp: T0 }));
    log.append(batch({ timestamp: T0 + 59_000 }));
    assert.equal(log.allSegments.length, 1);
    clock.advance(61_000);
    log.append(batch({ timestamp: T0 + 61_000 }));
    assert.equal(log.allSegments.length, 2);
    assert.equal(log.activeSegment.baseOffset, 2);
    log.close();
  });

  it('truncateTo removes the tail (follower truncation)', () => {
    const log = openLog(dir, { 'segment.bytes': 400 });
    for (let i = 0; i < 20; i++) log.append(batch({ count: 1, valueSize: 80, producerId: 1, producerEpoch: 0, baseSequence: i }));
    log.setHighWatermark(20);
    log.truncateTo(7);
    assert.equal(log.logEndOffset, 7);
    assert.equal(log.highWatermark, 7);
    assert.deepEqual(readAll(log, 0).map((r) => r.offset), [0, 1, 2, 3, 4, 5, 6]);
    // producer state follows the truncation: seq 7 is next
    assert.equal(log.append(batch({ count: 1, producerId: 1, producerEpoch: 0, baseSequence: 7 })).baseOffset, 7);
    log.close();
  });
});
