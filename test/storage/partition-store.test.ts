import assert from 'node:assert/strict';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../../src/storage/clock.ts';
import { StorageError, StorageErrorCode } from '../../src/storage/errors.ts';
import type { LogConfig } from '../../src/storage/log-config.ts';
import { MemoryPartitionLog } from '../../src/storage/memory-partition-log.ts';
import { PartitionLog } from '../../src/storage/partition-log.ts';
import type { PartitionStore } from '../../src/storage/partition-store.ts';
import { batch, config, tempDir } from './helpers.ts';
import { decodeRecordBatch } from '../../src/protocol/records/batch-decoder.ts';

const T0 = 1_700_000_000_000;

function offsets(store: PartitionStore, from: number, maxBytes = 1 << 20, maxOffset?: number): number[] {
  const bytes = PartitionLog.readSlices(store.read(from, maxBytes, { maxOffset }).slices);
  const out: number[] = [];
  for (let pos = 0; pos < bytes.length; ) {
    const b = decodeRecordBatch(bytes, pos);
    for (const r of b.records) out.push(Number(r.offset));
    pos += b.sizeInBytes;
  }
  return out;
}

const engines: [string, (dir: string, c: Partial<LogConfig>, clock: ManualClock) => PartitionStore][] = [
  ['PartitionLog', (dir, c, clock) => PartitionLog.open({ dir: path.join(dir, 't-0'), topic: 't', partition: 0, config: config(c), clock })],
  ['MemoryPartitionLog', (_dir, c, clock) => new MemoryPartitionLog({ topic: 't', partition: 0, config: config(c), clock })],
];

for (const [name, make] of engines) {
  describe(`PartitionStore contract: ${name}`, () => {
    let dir: string;
    let cleanup: () => void;
    let clock: ManualClock;
    beforeEach(() => {
      ({ dir, cleanup } = tempDir());
      clock = new ManualClock(T0);
    });
    afterEach(() => cleanup());

    it('appends, reads whole batches, honours maxOffset and ranges', () => {
      const s = make(dir, { 'segment.bytes': 500 }, clock);
      for (let i = 0; i < 10; i++) assert.equal(s.append(batch({ count: 2, valueSize: 40 }), { leaderEpoch: 1 }).baseOffset, i * 2);
      assert.equal(s.logEndOffset, 20);
      assert.deepEqual(offsets(s, 5), Array.from({ length: 16 }, (_, i) => i + 4));
      assert.deepEqual(offsets(s, 0, 1 << 20, 6), [0, 1, 2, 3, 4, 5]);
      assert.deepEqual(offsets(s, 0, 1), [0, 1]);
      assert.equal(s.read(20, 100).slices.length, 0);
      assert.throws(() => s.read(21, 100), (e: unknown) => e instanceof StorageError && e.code === StorageErrorCode.OFFSET_OUT_OF_RANGE);
      assert.deepEqual(s.endOffsetForEpoch(1), { epoch: 1, endOffset: 20 });
      s.close();
    });

    it('dedupes producer retries and rejects gaps', () => {
      const s = make(dir, {}, clock);
      s.append(batch({ producerId: 4, producerEpoch: 0, baseSequence: 0, count: 2 }));
      const dup = s.append(batch({ producerId: 4, producerEpoch: 0, baseSequence: 0, count: 2 }));
      assert.deepEqual([dup.duplicate, dup.baseOffset, dup.lastOffset], [true, 0, 1]);
      assert.throws(() => s.append(batch({ producerId: 4, producerEpoch: 0, baseSequence: 3 })), (e: unknown) => e instanceof StorageError && e.code === StorageErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      s.close();
    });

    it('looks up offsets by timestamp, deletes records, truncates', () => {
      const s = make(dir, { 'segment.bytes': 400 }, clock);
      for (let i = 0; i < 10; i++) s.append(batch({ count: 2, timestamp: T0 + i * 10, timestampDeltas: [0, 5] }));
      assert.deepEqual(s.offsetForTimestamp(T0 + 33), { offset: 7, timestamp: T0 + 35, leaderEpoch: -1 });
      assert.equal(s.maxTimestampOffset()?.offset, 19);
      s.setHighWatermark(20);
      s.deleteRecordsBefore(9);
      assert.equal(s.logStartOffset, 9);
      assert.throws(() => s.read(8, 100), (e: unknown) => e instanceof StorageError && e.code === StorageErrorCode.OFFSET_OUT_OF_RANGE);
      assert.equal(offsets(s, 9)[0], 8);
      s.truncateTo(14);
      assert.equal(s.logEndOffset, 14);
      assert.equal(s.highWatermark, 14);
      assert.equal(s.append(batch()).baseOffset, 14);
      s.truncateFullyAndStartAt(100);
      assert.deepEqual([s.logStartOffset, s.logEndOffset], [100, 100]);
      assert.equal(s.append(batch()).baseOffset, 100);
      s.close();
    });

    it('applies time retention below the high watermark', () => {
      const s = make(dir, { 'segment.bytes': 300, 'retention.ms': 1000 }, clock);
      for (let i = 0; i < 10; i++) s.append(batch({ count: 1, valueSize: 80, timestamp: T0 + i * 1000 }));
      s.setHighWatermark(s.logEndOffset);
      clock.set(T0 + 9500);
      assert.ok(s.deleteOldSegments() > 0);
      assert.ok(s.logStartOffset >= 7 && s.logStartOffset <= 9, String(s.logStartOffset));
      assert.equal(offsets(s, s.logStartOffset).at(-1), 9);
      s.close();
    });
  });
}
