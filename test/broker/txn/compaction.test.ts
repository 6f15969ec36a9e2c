/**
 * Transactions on a compacted topic, written and read by librdkafka
 * (python3-confluent-kafka) against an in-process broker whose cleaner runs every
 * 50 ms: aborted records are removed, superseded committed ones too, and the COMMIT
 * and ABORT markers of transactions with no record left go after
 * delete.retention.ms — while both consumers keep reading exactly the latest
 * committed value of every key.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../../src/broker/broker.ts';
import type { Broker } from '../../../src/broker/broker.ts';
import { groupCoordinatorLoaded } from '../../../src/broker/group/index.ts';
import { buildRecordBatch } from '../../../src/protocol/records/batch-builder.ts';
import { decodeRecordBatch } from '../../../src/protocol/records/batch-decoder.ts';
import { isControl } from '../../../src/protocol/records/batch-header.ts';
import { PartitionLog } from '../../../src/storage/partition-log.ts';
import { py } from './confluent-txn.ts';

/** The control batches of a partition, as [offset, 'COMMIT' | 'ABORT']. */
function markers(broker: Broker, topic: string): [number, string][] {
  const log = broker.logs.getLog(topic, 0)!;
  const r = log.read(log.logStartOffset, 1 << 30);
  const bytes = PartitionLog.readSlices(r.slices);
  const out: [number, string][] = [];
  for (let pos = 0; pos < bytes.length; ) {
    const b = decodeRecordBatch(bytes, pos, { verifyCrc: false });
    if (isControl(b.header.attributes)) out.push([Number(b.header.baseOffset), b.records[0]!.key!.readInt16BE(2) === 1 ? 'COMMIT' : 'ABORT']);
    pos += b.sizeInBytes;
  }
  return out;
}

async function eventually(what: string, check: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}: ${describe()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('transactions on a compacted topic (confluent-kafka)', () => {
  let dir: string;
  let broker: Broker;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-txn-compact-'));
    broker = await startBroker({
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0',
        'log.dirs': dir,
        'offsets.topic.num.partitions': 3,
        'transaction.state.log.num.partitions': 3,
        'group.initial.rebalance.delay.ms': 0,
        'log.cleaner.backoff.ms': 50,
      },
      log: () => {},
    });
    await groupCoordinatorLoaded(broker);
  });
  after(async () => {
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('removes aborted and superseded records, then the markers of transactions with nothing left', { timeout: 120_000 }, async () => {
    const topic = 'txn-compacted';
    broker.topics.create(topic, {
      partitions: 1,
      configs: { 'cleanup.policy': 'compact', 'segment.bytes': '400', 'min.cleanable.dirty.ratio': '0.01', 'delete.retention.ms': '1000' },
    });
    assert.deepEqual(await py(broker.bootstrapServers, 'compacted', topic, 'tx-compacted'), { ok: true });
    // c1 (committed, all superseded), a (aborted), c2 (committed, the latest), last (committed).
    const before = markers(broker, topic).map(([, t]) => t);
    assert.deepEqual(before, ['COMMIT', 'ABORT', 'COMMIT', 'COMMIT']);
    const expected = [...Array.from({ length: 10 }, (_, i) => [`k${i}`, `c2-k${i}`]), ['m0', 'last-m0'], ['m1', 'last-m1']];
    // The topic stays in use: a plain keyed record every 100 ms rolls segments, so the
    // ones holding the transactions become cleanable (the active one never is) and the
    // cleaner keeps finding dirty data for its later passes.
    const log = broker.logs.getLog(topic, 0)!;
    let n = 0;
    const writer = setInterval(() => {
      log.append(buildRecordBatch([{ key: Buffer.from('tail'), value: Buffer.from(`tail-${n++}`.padEnd(200, '.')) }], { baseTimestamp: Date.now() }), { leaderEpoch: 0 });
      log.maybeIncrementHighWatermark(log.logEndOffset);
    }, 100);
    try {
      // The cleaner removes c1's and a's records, then (later passes, past delete.retention.ms) their markers.
      await eventually('the markers of c1 and the aborted transaction removed', () => markers(broker, topic).length === 2, 60_000, () => JSON.stringify({ markers: markers(broker, topic), index: log.txnIndex.all }));
    } finally {
      clearInterval(writer);
    }
    assert.deepEqual(markers(broker, topic).map(([, t]) => t), ['COMMIT', 'COMMIT'], "c2's and the last transaction's markers stay: their records do");
    assert.deepEqual(log.txnIndex.all, [], 'the aborted transaction left the index before its marker left the log');

    for (const isolation of ['read_committed', 'read_uncommitted']) {
      const { rows } = await py(broker.bootstrapServers, 'consume-keyed', topic, isolation);
      const latest = new Map<string, string>();
      for (const [k, v] of rows as [string, string][]) latest.set(k, v);
      latest.delete('tail');
      assert.deepEqual([...latest].sort(), expected.sort(), `${isolation}: the latest committed value of every key`);
      assert.ok(!(rows as [string, string][]).some(([, v]) => v.startsWith('a-') || v.startsWith('c1-')), `${isolation}: no aborted or superseded record left: ${JSON.stringify(rows)}`);
    }
  });
});
