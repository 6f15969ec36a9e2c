import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ATTR_DELETE_HORIZON } from '../../src/protocol/records/batch-header.ts';
import { ManualClock } from '../../src/storage/clock.ts';
import { nodeFileIO } from '../../src/storage/file-io.ts';
import { LogCleaner } from '../../src/storage/log-cleaner.ts';
import { LogManager } from '../../src/storage/log-manager.ts';
import { PartitionLog } from '../../src/storage/partition-log.ts';
import { batch, openLog, readAll, tempDir } from './helpers.ts';

const T0 = 1_700_000_000_000;

describe('LogCleaner', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  const compactConfig = { 'cleanup.policy': ['compact' as const], 'segment.bytes': 400, 'delete.retention.ms': 1000 };

  it('keeps the latest record per key and offsets, drops tombstones after the delete horizon', () => {
    const clock = new ManualClock(T0);
    const log = openLog(dir, compactConfig, { clock });
    const cleaner = new LogCleaner({ clock, io: nodeFileIO });
    for (let round = 0; round < 5; round++) {
      for (const k of ['a', 'b', 'c']) log.append(batch({ records: [[k, `${k}${round}`]], timestamp: clock.nowMs() }));
    }
    log.append(batch({ records: [['b', null]], timestamp: clock.nowMs() })); // tombstone for b at 15
    log.append(batch({ records: [['d', 'd0'], ['a', 'a-last']], timestamp: clock.nowMs() })); // 16, 17
    log.roll();
    log.append(batch({ records: [['e', 'e0']] })); // 18, in the active segment
    log.setHighWatermark(log.logEndOffset);
    assert.ok(cleaner.needsCleaning(log));
    const stats = cleaner.clean(log);
    assert.ok(stats.recordsRemoved > 0);
    assert.equal(stats.endOffset, 18);
    let recs = readAll(log, 0);
    assert.deepEqual(
      recs.map((r) => [r.offset, r.key, r.value]),
      [
        [14, 'c', 'c4'],
        [15, 'b', null],
        [16, 'd', 'd0'],
        [17, 'a', 'a-last'],
        [18, 'e', 'e0'],
      ],
    );
    // record timestamps survive the horizon re-basing
    assert.ok(recs.every((r) => r.timestamp === T0 || r.offset === 18));
    const names = fs.readdirSync(path.join(dir, 'topic-0'));
    assert.ok(!names.some((n) => n.endsWith('.cleaned') || n.endsWith('.swap') || n.endsWith('.deleted')), names.join(','));
    // the tombstone's batch carries a delete horizon now
    const bytes = PartitionLog.readSlices(log.read(15, 1, {}).slices);
    assert.ok((bytes.readInt16BE(21) & ATTR_DELETE_HORIZON) !== 0);
    assert.equal(cleaner.needsCleaning(log), false);

    clock.advance(1001);
    assert.ok(cleaner.needsCleaning(log));
    cleaner.clean(log);
    recs = readAll(log, 0);
    assert.deepEqual(recs.map((r) => r.offset), [14, 16, 17, 18]);
    assert.equal(log.append(batch({ records: [['f', 'f']] })).baseOffset, 19);
    log.close();
  });

  it('respects min.cleanable.dirty.ratio and min.compaction.lag.ms', () => {
    const clock = new ManualClock(T0);
    const log = openLog(dir, { ...compactConfig, 'min.compaction.lag.ms': 10_000, 'min.cleanable.dirty.ratio': 0.5 }, { clock });
    const cleaner = new LogCleaner({ clock, io: nodeFileIO });
    for (let i = 0; i < 20; i++) log.append(batch({ records: [['k', `v${i}`]], timestamp: clock.nowMs() }));
    log.roll();
    log.setHighWatermark(log.logEndOffset);
    assert.equal(cleaner.needsCleaning(log), false, 'too young');
    clock.advance(20_000);
    assert.ok(cleaner.needsCleaning(log));
    cleaner.clean(log);
    assert.deepEqual(readAll(log, 0).map((r) => r.value), ['v19']);
    // a little new dirty data relative to the clean part: below the ratio
    log.append(batch({ records: [['k', 'new']], timestamp: clock.nowMs() }));
    log.roll();
    log.setHighWatermark(log.logEndOffset);
    clock.advance(20_000);
    assert.ok(cleaner.needsCleaning(log)); // 1 dirty batch vs 1 clean batch: ratio 0.5
    log.close();
  });

  it('survives a restart mid-way (swap) and writes cleaner-offset-checkpoint via LogManager', async () => {
    const clock = new ManualClock(T0);
    let m = LogManager.open({ logDirs: [dir], clock });
    const log = m.getOrCreateLog('compacted', 0, { 'cleanup.policy': 'compact', 'segment.bytes': '400', 'file.delete.delay.ms': '0' });
    for (let i = 0; i < 30; i++) log.append(batch({ records: [[`k${i % 3}`, `v${i}`]], timestamp: T0 }));
    log.roll();
    log.setHighWatermark(log.logEndOffset);
    assert.equal(m.runCleaner(), 1);
    const cp = fs.readFileSync(path.join(dir, 'cleaner-offset-checkpoint'), 'utf8');
    assert.equal(cp, `0\n1\ncompacted 0 ${log.activeSegment.baseOffset}\n`);
    await m.shutdown();
    m = LogManager.open({ logDirs: [dir], clock, topicConfigs: () => ({ 'cleanup.policy': 'compact' }) });
    assert.deepEqual(readAll(m.getLog('compacted', 0)!, 0).map((r) => r.value), ['v27', 'v28', 'v29']);
    assert.equal(m.runCleaner(), 0);
    await m.shutdown();
  });

  it('keeps compressed batches readable after filtering', () => {
    const clock = new ManualClock(T0);
    const log = openLog(dir, compactConfig, { clock });
    log.append(batch({ records: [['x', '1'], ['y', '1'], ['x', '2']], compression: 1 }));
    log.append(batch({ records: [['y', '2']], compression: 3 }));
    log.roll();
    log.setHighWatermark(log.logEndOffset);
    new LogCleaner({ clock, io: nodeFileIO }).clean(log);
    assert.deepEqual(readAll(log, 0).map((r) => [r.offset, r.key, r.value]), [[2, 'x', '2'], [3, 'y', '2']]);
    log.close();
  });
});
