/**
 * kill -9 while the log cleaner works: a compacted topic with tiny segments and a
 * cleaner running every 50 ms takes a continuous keyed stream from an idempotent
 * producer; the broker is killed SAMSA_FAULTS_CRASHES times mid-stream (cleaner
 * output half-written, `.cleaned`/`.swap` files left behind) and restarted on the
 * same dir. Afterwards, for every key, a consumer from the earliest offset must find
 * the latest acknowledged value, and no older value of that key after it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { eventually, makeTempDir, removeDir, requirePythonModule, startSamsa } from '../interop/harness.ts';
import type { Samsa } from '../interop/harness.ts';
import type { Background } from './helpers.ts';
import { CHILD_TIMEOUT_MS, TEST_TIMEOUT_MS, consumeAll, countLines, envInt, faultTool, faultToolBackground, readJsonLines, sleep } from './helpers.ts';

const RECORDS = envInt('SAMSA_FAULTS_COMPACT_RECORDS', 30_000);
const RATE = envInt('SAMSA_FAULTS_RATE', 3000);
const CRASHES = envInt('SAMSA_FAULTS_CRASHES', 2);
const CLEANER = { 'log.cleaner.backoff.ms': '50', 'log.segment.delete.delay.ms': '0' };

test('kill -9 during compaction: the latest acked value of every key survives', { timeout: TEST_TIMEOUT_MS }, async () => {
  requirePythonModule('confluent_kafka', 'python3-confluent-kafka');
  const work = makeTempDir('samsa-faults-compact-crash-');
  const dataDir = join(work, 'data');
  let broker: Samsa | undefined;
  let producer: Background<{ acked: number; failed: number; errors?: Record<string, number>; unflushed?: number; client_errors?: string[] }> | undefined;
  try {
    broker = await startSamsa({ dataDir, overrides: CLEANER });
    const port = broker.port;
    const topic = 'compact-crash';
    await faultTool('create-topic', broker.bootstrap, [
      '--topic', topic, '--partitions', '3',
      '--config', 'cleanup.policy=compact',
      '--config', 'min.cleanable.dirty.ratio=0.01',
      '--config', 'segment.bytes=8192',
      '--config', 'segment.ms=200',
    ]);
    const reports = join(work, 'reports.jsonl');
    producer = faultToolBackground<{ acked: number; failed: number }>('produce-stream', broker.bootstrap, [
      '--topic', topic, '--count', String(RECORDS), '--acks', 'all', '--out', reports, '--rate', String(RATE), '--keys', '50',
      '--client-config', 'batch.size=4000',
    ], CHILD_TIMEOUT_MS);
    producer.result.catch(() => {});
    const step = Math.floor(RECORDS / (CRASHES + 1));
    for (let crash = 1; crash <= CRASHES; crash++) {
      await eventually(`${crash * step} acks before crash ${crash}`, () => countLines(reports) >= crash * step, CHILD_TIMEOUT_MS / 2);
      await broker.kill('SIGKILL');
      await sleep(500);
      broker = await startSamsa({ dataDir, overrides: { ...CLEANER, listeners: `PLAINTEXT://127.0.0.1:${port}` } });
    }
    const summary = await producer.result;
    assert.equal(summary.failed, 0, JSON.stringify(summary));
    // Let the cleaner make a pass over the last data too.
    await sleep(1000);

    const acked = readJsonLines<{ seq: number; p: number; o: number }>(reports).filter((r) => r.o !== undefined);
    assert.equal(acked.length, RECORDS);
    const latestAcked = new Map<string, { seq: number; p: number; o: number }>();
    for (const a of acked) {
      const key = `k${a.seq % 50}`;
      const cur = latestAcked.get(key);
      if (!cur || a.seq > cur.seq) latestAcked.set(key, a);
    }
    const { records } = await consumeAll(broker.bootstrap, topic, join(work, 'consumed.jsonl'));
    const lastInLog = new Map<string, { seq: number; p: number; o: number }>();
    for (const r of records) {
      const seq = Number(r.v!.split('=')[1]);
      const cur = lastInLog.get(r.k!);
      if (cur && cur.p === r.p) assert.ok(r.o > cur.o, 'offsets ascend');
      if (!cur || r.o > cur.o || r.p !== cur.p) lastInLog.set(r.k!, { seq, p: r.p, o: r.o });
    }
    for (const [key, a] of latestAcked) {
      assert.deepEqual(lastInLog.get(key), a, `key ${key}: the latest acked value (seq ${a.seq} at ${a.p}:${a.o}) is the last in the log`);
    }
    assert.ok(records.length < RECORDS, `compaction removed records (${records.length} of ${RECORDS} left)`);
    assert.equal(await broker.stop(), 0);
  } catch (e) {
    if (broker) (e as Error).message += `\n--- broker log tail ---\n${broker.logTail().slice(-6000)}`;
    throw e;
  } finally {
    producer?.kill();
    if (broker) await broker.stop();
    removeDir(work);
  }
});
