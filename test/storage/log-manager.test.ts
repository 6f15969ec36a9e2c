import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { readOffsetCheckpoint } from '../../src/storage/checkpoint-file.ts';
import { ManualClock } from '../../src/storage/clock.ts';
import { logConfigFromBrokerConfig, parseLogConfig, DEFAULT_LOG_CONFIG, LogConfigError } from '../../src/storage/log-config.ts';
import { LogManager } from '../../src/storage/log-manager.ts';
import { readMetaProperties } from '../../src/storage/meta-properties.ts';
import { batch, readAll, tempDir } from './helpers.ts';

describe('LogManager', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  const dirs = () => [path.join(dir, 'a'), path.join(dir, 'b')];

  it('creates, discovers, checkpoints and shuts down cleanly', async () => {
    // Start-up time is measured by bench:broker (ready_ms), not asserted here.
    let m = LogManager.open({ logDirs: dirs(), clusterId: 'abc', nodeId: 3, clock: new ManualClock() });
    const l0 = m.getOrCreateLog('orders', 0);
    const l1 = m.getOrCreateLog('orders', 1, { 'segment.bytes': '400' });
    assert.notEqual(m.logDirOf('orders', 0), m.logDirOf('orders', 1)); // spread over dirs
    assert.equal(l1.config['segment.bytes'], 400);
    for (let i = 0; i < 10; i++) {
      l0.append(batch({ count: 2 }));
      l1.append(batch({ count: 2, valueSize: 80 }));
    }
    l1.setHighWatermark(l1.logEndOffset);
    l1.deleteRecordsBefore(l1.allSegments[1].baseOffset);
    const startOffset = l1.logStartOffset;
    await m.shutdown();
    for (const d of dirs()) {
      assert.ok(fs.existsSync(path.join(d, '.kafka_cleanshutdown')));
      const meta = readMetaProperties(d);
      assert.equal(meta?.clusterId, 'abc');
      assert.equal(meta?.nodeId, 3);
      assert.equal(meta?.version, 1);
    }
    const rp = readOffsetCheckpoint(path.join(m.logDirOf('orders', 0)!, 'recovery-point-offset-checkpoint'));
    assert.equal(rp.get('orders-0'), 20);
    assert.equal(fs.readFileSync(path.join(m.logDirOf('orders', 0)!, 'recovery-point-offset-checkpoint'), 'utf8'), '0\n1\norders 0 20\n');

    m = LogManager.open({ logDirs: dirs(), clusterId: 'abc', nodeId: 3, topicConfigs: (t) => (t === 'orders' ? { 'segment.bytes': '400' } : undefined) });
    for (const d of dirs()) assert.ok(!fs.existsSync(path.join(d, '.kafka_cleanshutdown')));
    assert.equal(m.allLogs().length, 2);
    assert.equal(m.getLog('orders', 0)!.logEndOffset, 20);
    assert.equal(m.getLog('orders', 1)!.logStartOffset, startOffset);
    assert.equal(readAll(m.getLog('orders', 0)!, 0).length, 20);
    await m.shutdown();
    assert.throws(() => LogManager.open({ logDirs: dirs(), clusterId: 'other', nodeId: 3 }), /belongs to cluster abc/);
  });

  it('recovers after a crash using the recovery point checkpoint', async () => {
    let m = LogManager.open({ logDirs: [dir] });
    const log = m.getOrCreateLog('t', 0);
    for (let i = 0; i < 5; i++) log.append(batch());
    m.closeUnclean();
    const p = path.join(dir, 't-0', '00000000000000000000.log');
    fs.appendFileSync(p, Buffer.from([0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 1]));
    m = LogManager.open({ logDirs: [dir] });
    assert.equal(m.getLog('t', 0)!.logEndOffset, 5);
    await m.shutdown();
  });

  it('deletes a partition by renaming its dir then removing it', async () => {
    const m = LogManager.open({ logDirs: [dir] });
    m.getOrCreateLog('gone', 0).append(batch());
    const p = m.deleteLog('gone', 0);
    assert.equal(m.getLog('gone', 0), undefined);
    assert.ok(!fs.existsSync(path.join(dir, 'gone-0')));
    assert.ok(fs.readdirSync(dir).some((n) => /^gone-0\.[0-9a-f]{32}-delete$/.test(n)));
    await p;
    assert.ok(!fs.readdirSync(dir).some((n) => n.startsWith('gone-0')));
    // recreate with the same name starts empty
    assert.equal(m.getOrCreateLog('gone', 0).logEndOffset, 0);
    await m.shutdown();
  });

  it('applies topic config overrides and retention', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const m = LogManager.open({ logDirs: [dir], clock });
    const log = m.getOrCreateLog('r', 0);
    for (let i = 0; i < 10; i++) log.append(batch({ count: 1, valueSize: 100, timestamp: clock.nowMs() }));
    m.updateTopicConfig('r', { 'segment.bytes': '300', 'retention.ms': '1000', 'file.delete.delay.ms': '0' });
    for (let i = 0; i < 10; i++) log.append(batch({ count: 1, valueSize: 100, timestamp: clock.nowMs() }));
    log.setHighWatermark(log.logEndOffset);
    clock.advance(5000);
    assert.ok(m.cleanupLogs() > 0);
    assert.equal(log.logStartOffset, 20);
    await m.shutdown();
  });

  it('parses topic and broker configs with Kafka names and defaults', () => {
    assert.equal(DEFAULT_LOG_CONFIG['segment.bytes'], 1073741824);
    const c = parseLogConfig({ 'cleanup.policy': 'compact,delete', 'retention.ms': '-1', 'flush.messages': '9223372036854775807' });
    assert.deepEqual(c['cleanup.policy'], ['compact', 'delete']);
    assert.equal(c['retention.ms'], -1);
    assert.equal(c['flush.messages'], Number.MAX_SAFE_INTEGER);
    assert.throws(() => parseLogConfig({ 'min.cleanable.dirty.ratio': '2' }), LogConfigError);
    const b = logConfigFromBrokerConfig({ 'log.retention.hours': '1', 'log.segment.bytes': '1000', 'log.roll.hours': '2' });
    assert.equal(b['retention.ms'], 3_600_000);
    assert.equal(b['segment.bytes'], 1000);
    assert.equal(b['segment.ms'], 7_200_000);
    assert.equal(logConfigFromBrokerConfig({ 'log.retention.ms': '5', 'log.retention.hours': '1' })['retention.ms'], 5);
  });
});
