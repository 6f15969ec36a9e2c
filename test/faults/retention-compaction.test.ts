/**
 * Retention and compaction as real consumers see them (confluent-kafka consumer
 * reading from the earliest offset), with the background tasks on short intervals.
 *
 * Retention: records produced with CreateTime one hour ago (retention.ms = 60 s) sit
 * in their own segments (segment.ms rolls as soon as a record of "now" arrives), so
 * the retention task deletes exactly those segments: the earliest offset moves to the
 * first recent record, the old records are gone for consumers, the files are gone
 * from disk, and produces carry on. No sleeps decide the outcome: timestamps do.
 *
 * Compaction: keys k0..k9 written 20 times, then tombstones for k0..k2, then a record
 * that rolls the segment so everything before it is cleanable. A consumer from the
 * earliest offset eventually sees exactly the latest value of k3..k9, and:
 *   - delete.retention.ms = 1 day: one tombstone each for k0..k2, no older values;
 *   - delete.retention.ms = 1 s: after the delete horizon, no trace of k0..k2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, makeTempDir, removeDir, requirePythonModule, startSamsa } from '../interop/harness.ts';
import type { Samsa } from '../interop/harness.ts';
import { TEST_TIMEOUT_MS, consumeAll, faultTool, sleep } from './helpers.ts';
import type { ConsumedRecord } from './helpers.ts';

const BACKGROUND = {
  'log.retention.check.interval.ms': '200',
  'log.cleaner.backoff.ms': '200',
  'log.segment.delete.delay.ms': '0',
};

async function withBroker(label: string, body: (broker: Samsa, work: string) => Promise<void>): Promise<void> {
  requirePythonModule('confluent_kafka', 'python3-confluent-kafka');
  const work = makeTempDir(`samsa-faults-${label}-`);
  let broker: Samsa | undefined;
  try {
    broker = await startSamsa({ dataDir: join(work, 'data'), overrides: BACKGROUND });
    await body(broker, work);
    assert.equal(await broker.stop(), 0);
  } catch (e) {
    if (broker) (e as Error).message += `\n--- broker log tail ---\n${broker.logTail().slice(-6000)}`;
    throw e;
  } finally {
    if (broker) await broker.stop();
    removeDir(work);
  }
}

test('retention.ms: expired segments are deleted, a consumer from earliest starts at the first live record', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withBroker('retention', async (broker, work) => {
    const b = broker.bootstrap;
    const topic = 'retention';
    await faultTool('create-topic', b, ['--topic', topic, '--partitions', '1', '--config', 'retention.ms=60000', '--config', 'segment.ms=100', '--config', 'segment.bytes=4096']);
    const hourAgo = Date.now() - 3_600_000;
    const OLD = 300;
    const NEW = 200;
    assert.deepEqual(await faultTool('produce', b, ['--topic', topic, '--partition', '0', '--count', String(OLD), '--prefix', 'old', '--timestamp-ms', String(hourAgo)]), { acked: OLD, errors: [] });
    // Produced an hour "ago": nothing can expire those segments before this point
    // except retention, which the next checks observe.
    assert.deepEqual(await faultTool('produce', b, ['--topic', topic, '--partition', '0', '--count', String(NEW), '--prefix', 'new']), { acked: NEW, errors: [] });

    let last: unknown;
    await eventually('the log start offset to reach the first recent record', async () => {
      const r = await faultTool<{ watermarks: Record<string, [number, number]> }>('offsets', b, ['--topic', topic]);
      last = r.watermarks;
      return r.watermarks['0']![0] === OLD;
    }, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}; last watermarks ${JSON.stringify(last)}`);
    });
    const { records, watermarks } = await consumeAll(b, topic, join(work, 'consumed.jsonl'));
    assert.deepEqual(watermarks['0'], [OLD, OLD + NEW]);
    assert.equal(records.length, NEW);
    records.forEach((r, i) => {
      assert.equal(r.o, OLD + i);
      assert.equal(r.v, `new-value-${i}`);
    });
    const partDir = join(broker.dataDir, `${topic}-0`);
    await eventually('expired segment files to leave the disk', () => readdirSync(partDir).every((n) => !n.endsWith('.deleted')), 10_000);
    assert.ok(
      readdirSync(partDir).filter((n) => n.endsWith('.log')).every((n) => Number(n.slice(0, 20)) >= OLD),
      `no segment below the log start is left: ${readdirSync(partDir).join(' ')}`,
    );

    // Produce and consume carry on after retention.
    assert.deepEqual(await faultTool('produce', b, ['--topic', topic, '--partition', '0', '--count', '10', '--prefix', 'more']), { acked: 10, errors: [] });
    const after = await consumeAll(b, topic, join(work, 'consumed-after.jsonl'));
    assert.deepEqual(after.watermarks['0'], [OLD, OLD + NEW + 10]);
    assert.deepEqual(after.records.slice(NEW).map((r) => r.v), Array.from({ length: 10 }, (_, i) => `more-value-${i}`));
  });
});

const KEYS = Array.from({ length: 10 }, (_, i) => `k${i}`);
const ROUNDS = 20;
const DELETED = ['k0', 'k1', 'k2'];

function keyed(records: readonly ConsumedRecord[]): Map<string, ConsumedRecord[]> {
  const m = new Map<string, ConsumedRecord[]>();
  for (const r of records) {
    if (r.k === null || !/^k\d$/.test(r.k)) continue;
    m.set(r.k, [...(m.get(r.k) ?? []), r]);
  }
  return m;
}

async function compactRun(broker: Samsa, work: string, topic: string, deleteRetentionMs: number): Promise<ConsumedRecord[]> {
  const b = broker.bootstrap;
  await faultTool('create-topic', b, [
    '--topic', topic, '--partitions', '1',
    '--config', 'cleanup.policy=compact',
    '--config', 'min.cleanable.dirty.ratio=0.01',
    '--config', 'segment.ms=100',
    '--config', 'segment.bytes=2048',
    '--config', `delete.retention.ms=${deleteRetentionMs}`,
  ]);
  assert.deepEqual(await faultTool('produce', b, ['--topic', topic, '--partition', '0', '--count', String(KEYS.length * ROUNDS), '--keys-list', KEYS.join(',')]), { acked: KEYS.length * ROUNDS, errors: [] });
  assert.deepEqual(await faultTool('produce', b, ['--topic', topic, '--partition', '0', '--count', String(DELETED.length), '--keys-list', DELETED.join(','), '--tombstones']), { acked: DELETED.length, errors: [] });
  // segment.ms counts from the active segment's first record: after it, the next
  // record rolls, leaving everything above in cleanable segments.
  await sleep(300);
  assert.deepEqual(await faultTool('produce', b, ['--topic', topic, '--partition', '0', '--count', '1', '--keys-list', 'roll']), { acked: 1, errors: [] });
  const total = KEYS.length * ROUNDS + DELETED.length + 1;
  let seen: ConsumedRecord[] = [];
  let n = 0;
  const settled = async (check: (byKey: Map<string, ConsumedRecord[]>) => boolean): Promise<void> => {
    await eventually(`compaction of ${topic}`, async () => {
      const { records, watermarks } = await consumeAll(b, topic, join(work, `${topic}-${n++}.jsonl`));
      assert.deepEqual(watermarks['0'], [0, total], 'compaction keeps offsets: the end stays');
      seen = records;
      return check(keyed(records));
    }, 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\nlast read: ${JSON.stringify(seen.map((r) => [r.o, r.k, r.v]))}`);
    });
  };
  const latestOnly = (byKey: Map<string, ConsumedRecord[]>): boolean =>
    KEYS.filter((k) => !DELETED.includes(k)).every((k) => byKey.get(k)?.length === 1 && byKey.get(k)![0]!.v === `${k}-${ROUNDS - 1}`);
  if (deleteRetentionMs >= 3_600_000) {
    await settled((byKey) => latestOnly(byKey) && DELETED.every((k) => byKey.get(k)?.length === 1 && byKey.get(k)![0]!.v === null));
  } else {
    await settled((byKey) => latestOnly(byKey) && DELETED.every((k) => !byKey.has(k)));
  }
  // Offsets still ascend and the roll record is last, untouched (active segment).
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.o > seen[i - 1]!.o);
  assert.deepEqual([seen.at(-1)!.o, seen.at(-1)!.k, seen.at(-1)!.v], [total - 1, 'roll', 'roll-0']);
  return seen;
}

test('compaction: a consumer from earliest sees the latest value per key and the tombstones (delete.retention.ms = 1 day)', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withBroker('compact', async (broker, work) => {
    const seen = await compactRun(broker, work, 'compacted-keep', 86_400_000);
    assert.equal(seen.length, KEYS.length + 1);
  });
});

test('compaction: tombstones vanish after delete.retention.ms', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withBroker('compact-tomb', async (broker, work) => {
    const seen = await compactRun(broker, work, 'compacted-tombstones', 1000);
    assert.equal(seen.length, KEYS.length - DELETED.length + 1);
    // New writes to a compacted key after all that are served normally.
    assert.deepEqual(await faultTool('produce', broker.bootstrap, ['--topic', 'compacted-tombstones', '--partition', '0', '--count', '1', '--keys-list', 'k0']), { acked: 1, errors: [] });
    const { records } = await consumeAll(broker.bootstrap, 'compacted-tombstones', join(work, 'final.jsonl'));
    assert.deepEqual([records.at(-1)!.k, records.at(-1)!.v], ['k0', 'k0-0']);
  });
});
