/**
 * Storage side of transactions: LSO = min(first offset of open transactions, HW),
 * ABORT markers recorded in `.txnindex` (Kafka's 34-byte entries), the open
 * transaction kept in producer snapshots, and the index rebuilt on recovery.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildRecordBatch } from '../../../src/protocol/records/batch-builder.ts';
import { buildEndTransactionMarkerBatch } from '../../../src/protocol/records/control.ts';
import { ManualClock } from '../../../src/storage/clock.ts';
import { nodeFileIO } from '../../../src/storage/file-io.ts';
import { LogCleaner } from '../../../src/storage/log-cleaner.ts';
import { decodeTxnIndex } from '../../../src/storage/txn-index.ts';
import { openLog, readAll, tempDir } from '../../storage/helpers.ts';

const txn = (pid: bigint, seq: number, n: number) =>
  buildRecordBatch(
    Array.from({ length: n }, (_, i) => ({ offsetDelta: i, timestampDelta: 0, key: null, value: Buffer.from(`v${i}`) })),
    { baseTimestamp: Date.now(), transactional: true, producerId: pid, producerEpoch: 0, baseSequence: seq },
  );
const plain = () => buildRecordBatch([{ offsetDelta: 0, timestampDelta: 0, key: null, value: Buffer.from('p') }], { baseTimestamp: Date.now() });
const marker = (pid: bigint, commit: boolean) => buildEndTransactionMarkerBatch({ commit, producerId: pid, producerEpoch: 0, coordinatorEpoch: 0, timestamp: Date.now() });

describe('transactional storage', () => {
  it('tracks the LSO and records aborted transactions; recovery keeps both', () => {
    const { dir, cleanup } = tempDir();
    try {
      let log = openLog(dir);
      const hw = () => log.maybeIncrementHighWatermark(log.logEndOffset);
      log.append(plain()); // 0
      log.append(txn(7n, 0, 2)); // 1-2 (pid 7)
      log.append(txn(8n, 0, 1)); // 3 (pid 8)
      hw();
      assert.equal(log.lastStableOffset, 1);
      log.append(marker(7n, false), { origin: 'coordinator' }); // 4: abort pid 7
      hw();
      assert.equal(log.lastStableOffset, 3);
      assert.deepEqual(log.txnIndex.all, [{ producerId: 7, firstOffset: 1, lastOffset: 4, lastStableOffset: 3 }]);
      assert.deepEqual(log.abortedTransactions(0, 10), [{ producerId: 7, firstOffset: 1, lastOffset: 4, lastStableOffset: 3 }]);
      assert.deepEqual(log.abortedTransactions(5, 10), []);
      // The file holds Kafka's entry layout.
      const file = fs.readdirSync(log.dir).find((n) => n.endsWith('.txnindex'))!;
      const bytes = fs.readFileSync(path.join(log.dir, file));
      assert.equal(bytes.length, 34);
      assert.deepEqual(decodeTxnIndex(bytes), log.txnIndex.all);

      // Clean close: the snapshot keeps pid 8's open transaction.
      log.close();
      log = openLog(dir);
      log.maybeIncrementHighWatermark(log.logEndOffset);
      assert.equal(log.lastStableOffset, 3);
      assert.equal(log.txnIndex.all.length, 1);

      // Lose the snapshots and the index: replay rebuilds both.
      log.close();
      for (const n of fs.readdirSync(log.dir)) if (n.endsWith('.snapshot') || n.endsWith('.txnindex')) fs.unlinkSync(path.join(log.dir, n));
      log = openLog(dir);
      log.maybeIncrementHighWatermark(log.logEndOffset);
      assert.equal(log.lastStableOffset, 3);
      assert.deepEqual(log.txnIndex.all, [{ producerId: 7, firstOffset: 1, lastOffset: 4, lastStableOffset: 3 }]);

      log.append(marker(8n, true), { origin: 'coordinator' }); // commit pid 8
      log.maybeIncrementHighWatermark(log.logEndOffset);
      assert.equal(log.lastStableOffset, log.highWatermark);
      assert.equal(log.txnIndex.all.length, 1);
      // Truncation below the marker drops the entry.
      log.truncateTo(4);
      assert.equal(log.txnIndex.all.length, 0);
      log.close();
    } finally {
      cleanup();
    }
  });

  it('compaction removes markers once no batch of their transaction is left, after delete.retention.ms (index entry first)', () => {
    const { dir, cleanup } = tempDir();
    try {
      const clock = new ManualClock(Date.now());
      const log = openLog(dir, { 'cleanup.policy': ['compact'], 'segment.bytes': 300, 'delete.retention.ms': 1000 }, { clock });
      const kv = (pid: bigint, seq: number, key: string, value: string) =>
        buildRecordBatch([{ offsetDelta: 0, timestampDelta: 0, key: Buffer.from(key), value: Buffer.from(value) }], { baseTimestamp: clock.nowMs(), transactional: pid >= 0n, producerId: pid, producerEpoch: 0, baseSequence: pid >= 0n ? seq : -1 });
      log.append(kv(5n, 0, 'a', 'aborted')); // 0
      log.append(marker(5n, false), { origin: 'coordinator' }); // 1: ABORT pid 5
      log.append(kv(6n, 0, 'b', 'superseded')); // 2
      log.append(marker(6n, true), { origin: 'coordinator' }); // 3: COMMIT pid 6 (its record is superseded below)
      log.append(kv(7n, 0, 'c', 'kept')); // 4
      log.append(marker(7n, true), { origin: 'coordinator' }); // 5: COMMIT pid 7 (its record stays: the marker stays)
      log.roll();
      log.append(kv(-1n, 0, 'b', 'latest')); // 6
      // Later transactions of pids 5 and 6: a producer's last batch is kept (emptied if
      // need be) until the producer expires, and with it its transaction's marker.
      log.append(kv(5n, 1, 'x', 'x5')); // 7
      log.append(marker(5n, true), { origin: 'coordinator' }); // 8
      log.append(kv(6n, 1, 'y', 'y6')); // 9
      log.append(marker(6n, true), { origin: 'coordinator' }); // 10
      log.roll();
      log.append(kv(-1n, 0, 'z', 'tail')); // 11
      log.setHighWatermark(log.logEndOffset);
      const cleaner = new LogCleaner({ clock, io: nodeFileIO });
      const ABORT = ['\x00\x00\x00\x00', '\x00\x00\x00\x00\x00\x00'];
      const COMMIT = ['\x00\x00\x00\x01', '\x00\x00\x00\x00\x00\x00'];
      const records = () => readAll(log, 0).map((r) => [r.key, r.value]);
      const markerOffsets = () => readAll(log, 0).filter((r) => r.key!.startsWith('\x00\x00')).map((r) => r.offset);

      // Pass 1: the aborted and superseded records go; their markers stay (a batch of theirs was read).
      cleaner.clean(log);
      const LATER = [['x', 'x5'], COMMIT, ['y', 'y6'], COMMIT];
      assert.deepEqual(records(), [ABORT, COMMIT, ['c', 'kept'], COMMIT, ['b', 'latest'], ...LATER, ['z', 'tail']]);
      assert.equal(log.txnIndex.all.length, 1);
      // Pass 2: no batch left for pids 5 and 6: the ABORT's index entry goes, both markers get a horizon.
      cleaner.clean(log);
      assert.deepEqual(markerOffsets(), [1, 3, 5, 8, 10]);
      assert.deepEqual(log.txnIndex.all, []);
      assert.deepEqual(log.abortedTransactions(0, 10), []);
      // Before the horizon they stay; the cleaner knows when to come back.
      clock.advance(500);
      cleaner.clean(log);
      assert.deepEqual(markerOffsets(), [1, 3, 5, 8, 10]);
      assert.equal(cleaner.needsCleaning(log), false);
      clock.advance(600);
      assert.equal(cleaner.needsCleaning(log), true);
      // Pass after the horizon: they go; pid 7's marker stays while its record does.
      cleaner.clean(log);
      assert.deepEqual(markerOffsets(), [5, 8, 10]);
      assert.deepEqual(records(), [['c', 'kept'], COMMIT, ['b', 'latest'], ...LATER, ['z', 'tail']]);
      // The index file on disk agrees, and a reopened log still reads committed data in full.
      log.close();
      const again = openLog(dir, { 'cleanup.policy': ['compact'], 'segment.bytes': 300, 'delete.retention.ms': 1000 }, { clock });
      again.setHighWatermark(again.logEndOffset);
      assert.deepEqual(again.txnIndex.all, []);
      assert.equal(again.lastStableOffset, again.highWatermark, 'no transaction looks open after recovery');
      assert.deepEqual(readAll(again, 0).map((r) => [r.key, r.value]), [['c', 'kept'], COMMIT, ['b', 'latest'], ...LATER, ['z', 'tail']]);
      again.close();
    } finally {
      cleanup();
    }
  });

  it('compaction removes aborted records, keeps committed ones, and stops at the LSO', () => {
    const { dir, cleanup } = tempDir();
    try {
      const clock = new ManualClock(Date.now());
      const log = openLog(dir, { 'cleanup.policy': ['compact'], 'segment.bytes': 300 }, { clock });
      const kv = (pid: bigint, seq: number, key: string, value: string) =>
        buildRecordBatch([{ offsetDelta: 0, timestampDelta: 0, key: Buffer.from(key), value: Buffer.from(value) }], { baseTimestamp: Date.now(), transactional: pid >= 0n, producerId: pid, producerEpoch: 0, baseSequence: pid >= 0n ? seq : -1 });
      log.append(kv(-1n, 0, 'k', 'committed')); // 0
      log.append(kv(5n, 0, 'k', 'aborted')); // 1
      log.append(marker(5n, false), { origin: 'coordinator' }); // 2
      log.append(kv(6n, 0, 'j', 'txn-committed')); // 3
      log.append(marker(6n, true), { origin: 'coordinator' }); // 4
      log.roll();
      log.append(kv(-1n, 0, 'z', 'tail'));
      log.setHighWatermark(log.logEndOffset);
      new LogCleaner({ clock, io: nodeFileIO }).clean(log);
      const recs = readAll(log, 0).map((r) => [r.key, r.value]);
      // The markers stay (ABORT key type 0, COMMIT type 1); the aborted record is gone.
      const ABORT = ['\x00\x00\x00\x00', '\x00\x00\x00\x00\x00\x00'];
      const COMMIT = ['\x00\x00\x00\x01', '\x00\x00\x00\x00\x00\x00'];
      assert.deepEqual(recs, [['k', 'committed'], ABORT, ['j', 'txn-committed'], COMMIT, ['z', 'tail']]);

      // An open transaction holds the cleaner below its segment.
      log.roll();
      log.append(kv(7n, 0, 'z', 'open'));
      log.roll();
      log.append(kv(-1n, 0, 'y', 'after'));
      log.setHighWatermark(log.logEndOffset);
      const cleaner = new LogCleaner({ clock, io: nodeFileIO });
      assert.ok(cleaner.firstUncleanableOffset(log) <= log.lastStableOffset);
      log.close();
    } finally {
      cleanup();
    }
  });
});
