import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../../src/storage/clock.ts';
import { StorageError, StorageErrorCode } from '../../src/storage/errors.ts';
import { incrementSequence } from '../../src/storage/producer-state.ts';
import { batch, openLog, tempDir } from './helpers.ts';

const code = (c: number) => (e: unknown) => e instanceof StorageError && e.code === c;

describe('producer state', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  const p = (seq: number, count = 3, epoch = 0, pid = 7) => batch({ producerId: pid, producerEpoch: epoch, baseSequence: seq, count });

  it('answers duplicates with the original offsets, rejects gaps and old epochs', () => {
    const log = openLog(dir);
    assert.equal(log.append(p(0)).baseOffset, 0);
    log.append(batch({ count: 2 })); // non-idempotent data in between
    const dup = log.append(p(0));
    assert.equal(dup.duplicate, true);
    assert.deepEqual([dup.baseOffset, dup.lastOffset], [0, 2]);
    assert.equal(log.logEndOffset, 5);
    assert.throws(() => log.append(p(5)), code(StorageErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert.equal(log.append(p(3)).baseOffset, 5);
    // new epoch must start at 0
    assert.throws(() => log.append(p(6, 3, 1)), code(StorageErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert.equal(log.append(p(0, 3, 1)).baseOffset, 8);
    assert.throws(() => log.append(p(6, 3, 0)), code(StorageErrorCode.INVALID_PRODUCER_EPOCH));
    // an unknown producer may start anywhere (state may have been lost to retention)
    assert.equal(log.append(p(42, 1, 0, 99)).baseOffset, 11);
    assert.equal(log.logEndOffset, 12);
    log.close();
  });

  it('only the last five batches are remembered for duplicates', () => {
    const log = openLog(dir);
    for (let i = 0; i < 6; i++) log.append(p(i, 1));
    assert.equal(log.append(p(5, 1)).duplicate, true);
    assert.equal(log.append(p(1, 1)).duplicate, true);
    assert.throws(() => log.append(p(0, 1)), code(StorageErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    log.close();
  });

  it('wraps sequences at Int32 max', () => {
    assert.equal(incrementSequence(2147483647, 1), 0);
    assert.equal(incrementSequence(2147483646, 3), 1);
    const log = openLog(dir);
    log.append(p(2147483646, 2));
    assert.equal(log.append(p(0, 1)).baseOffset, 2);
    log.close();
  });

  it('restores state from the snapshot after a clean close', () => {
    let log = openLog(dir);
    log.append(p(0));
    log.append(p(3));
    log.close();
    assert.ok(fs.existsSync(path.join(dir, 'topic-0', '00000000000000000006.snapshot')));
    log = openLog(dir, {}, { hadCleanShutdown: true });
    assert.equal(log.append(p(3)).duplicate, true);
    assert.equal(log.append(p(0)).baseOffset, 0);
    assert.throws(() => log.append(p(9)), code(StorageErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    log.close();
  });

  it('rebuilds state by replaying the log after a crash', () => {
    let log = openLog(dir, { 'segment.bytes': 400 });
    for (let i = 0; i < 10; i++) log.append(p(Math.floor(i / 2) * 3, 3, 0, 1 + (i % 2)));
    assert.ok(log.allSegments.length > 1);
    log.closeUnclean();
    log = openLog(dir, { 'segment.bytes': 400 });
    // each producer's last batch is seq 12..14: a retry is a duplicate, 15 continues
    assert.equal(log.append(p(12, 3, 0, 2)).duplicate, true);
    assert.equal(log.append(p(15, 3, 0, 1)).duplicate, false);
    assert.throws(() => log.append(p(19, 3, 0, 2)), code(StorageErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    log.close();
  });

  it('expires idle producers after producer.id.expiration.ms', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const log = openLog(dir, {}, { clock, producerIdExpirationMs: 1000 });
    log.append(batch({ producerId: 3, producerEpoch: 0, baseSequence: 0, timestamp: clock.nowMs() }));
    clock.advance(999);
    assert.equal(log.removeExpiredProducers(), 0);
    clock.advance(1);
    assert.equal(log.removeExpiredProducers(), 1);
    assert.equal(log.producerState.entry(3), undefined);
    log.close();
  });
});
