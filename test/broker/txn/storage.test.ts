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
