/**
 * Full disk: log.dirs on an 8 MiB tmpfs. A producer (confluent-kafka, retries=0)
 * writes until the disk fills.
 *
 * Samsa's behaviour (documented here): a failed append is cut back to the last whole
 * batch and the partition answers KAFKA_STORAGE_ERROR (56) for that produce; the log
 * dir is NOT taken offline. Kafka marks the dir offline instead and serves nothing
 * from it until a restart; Samsa keeps serving reads from the intact log and, once
 * space is freed (DeleteRecords + segment deletion, deleting another topic), the
 * same partition accepts produces again without a restart. A restart while the disk
 * is still full works too (shutdown is best effort; startup recovers without
 * needing free space).
 *
 * Needs root (mount). CI runs as root; elsewhere the test fails with a clear message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { eventually, makeTempDir, removeDir, requirePythonModule, startSamsa } from '../interop/harness.ts';
import type { Samsa } from '../interop/harness.ts';
import { TEST_TIMEOUT_MS, consumeAll, faultTool, readJsonLines } from './helpers.ts';

function mountTmpfs(dir: string, size: string): void {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      `the disk-full test mounts a ${size} tmpfs and needs root (CAP_SYS_ADMIN): mount -t tmpfs -o size=${size} tmpfs ${dir} failed: ` +
        `${r.error?.message ?? r.stderr.trim()}. Run it as root (CI does).`,
    );
  }
}

function umount(dir: string): void {
  for (let i = 0; i < 10; i++) {
    const r = spawnSync('umount', [dir], { encoding: 'utf8' });
    if (r.status === 0) return;
    spawnSync('sleep', ['0.5']);
  }
  spawnSync('umount', ['-l', dir]);
}

function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

interface Acked {
  seq: number;
  p: number;
  o: number;
}

test('full disk: KAFKA_STORAGE_ERROR for the produce, reads keep working, produces resume once space is freed', { timeout: TEST_TIMEOUT_MS }, async () => {
  requirePythonModule('confluent_kafka', 'python3-confluent-kafka');
  const work = makeTempDir('samsa-faults-disk-');
  const disk = join(work, 'disk');
  mkdirSync(disk);
  mountTmpfs(disk, '8m');
  let broker: Samsa | undefined;
  try {
    broker = await startSamsa({ dataDir: disk, overrides: { 'log.segment.delete.delay.ms': '0' } });
    const b = broker.bootstrap;
    // A topic to delete later, holding ~2 MiB.
    await faultTool('create-topic', b, ['--topic', 'spare', '--partitions', '1']);
    const spare = await faultTool<{ acked: number; errors: string[] }>('produce', b, ['--topic', 'spare', '--count', '1000', '--partition', '0', '--prefix', 'x'.repeat(1000)]);
    assert.deepEqual(spare, { acked: 1000, errors: [] });
    await faultTool('create-topic', b, ['--topic', 'full', '--partitions', '1', '--config', 'segment.bytes=524288']);

    const ackedFile = join(work, 'acked.jsonl');
    const filled = await faultTool<{ acked: number; sent: number; error: string | null; code: number | null }>('produce-until-error', b, [
      '--topic', 'full', '--out', ackedFile, '--value-bytes', '8000', '--timeout', '120', '--client-config', 'batch.size=100000',
    ]);
    assert.equal(filled.code, 56, `the produce that hit the full disk gets KAFKA_STORAGE_ERROR: ${JSON.stringify(filled)}`);
    assert.match(filled.error ?? '', /KAFKA_STORAGE_ERROR/);
    assert.ok(filled.acked > 100, `records were acked before the disk filled (${filled.acked})`);
    assert.ok(freeBytes(disk) < 64 * 1024, `the disk is full (${freeBytes(disk)} bytes free)`);
    assert.equal(broker.proc.exitCode, null, 'the broker is still running');
    // The broker logs the failure before it answers, but the line reaches this process
    // over a pipe, not with the answer: wait for it.
    const logged = broker;
    await eventually('the broker to log the failed append', () => /append to full-0 failed: .*ENOSPC/.test(logged.logTail()), 10_000);

    // Reads keep being served: every acked record is there, at its offset.
    const acked = readJsonLines<Acked>(ackedFile);
    assert.equal(acked.length, filled.acked);
    const { records, watermarks } = await consumeAll(b, 'full', join(work, 'consumed.jsonl'));
    const byOffset = new Map(records.map((r) => [r.o, r]));
    for (const a of acked) assert.equal(byOffset.get(a.o)?.k, String(a.seq), `acked record ${a.seq} at offset ${a.o}`);
    records.forEach((r, i) => assert.equal(r.o, i, 'contiguous offsets'));

    // Still full: another produce fails the same way, and the broker stays up.
    const again = await faultTool<{ acked: number; code: number | null }>('produce-until-error', b, ['--topic', 'full', '--out', join(work, 'again.jsonl'), '--value-bytes', '8000', '--timeout', '60', '--client-config', 'batch.size=100000']);
    assert.equal(again.code, 56, `still full: ${JSON.stringify(again)}`);
    const beforeRestart = await consumeAll(b, 'full', join(work, 'consumed-full.jsonl'));
    const hw = beforeRestart.watermarks['0']![1];
    assert.equal(hw, watermarks['0']![1] + again.acked, 'records acked by the second attempt are there too');

    // A restart while the disk is still full: the broker stops (the clean-shutdown
    // marker may not fit), starts again (recovering if it must) and serves reads.
    const stopCode = await broker.stop();
    const stopLog = broker.logTail();
    // Exit 1 ("shutdown failed": a checkpoint did not fit) withholds the marker, so the
    // next start recovers; exit 0 must come with the marker.
    assert.equal(existsSync(join(disk, '.kafka_cleanshutdown')), stopCode === 0, `stop exit code ${stopCode} and the clean-shutdown marker agree`);
    broker = await startSamsa({ dataDir: disk, overrides: { listeners: `PLAINTEXT://127.0.0.1:${broker.port}`, 'log.segment.delete.delay.ms': '0' } });
    const whileFull = await consumeAll(b, 'full', join(work, 'consumed-full-restart.jsonl'));
    assert.deepEqual(whileFull.watermarks, beforeRestart.watermarks, `the same log after a restart on a full disk (stop exit code ${stopCode})\n${stopLog.slice(-3000)}`);

    // Free space: DeleteRecords up to the high watermark (whole segments below the new
    // log start are deleted at once with delay 0), then delete the spare topic. (In
    // this order: DeleteTopics must rewrite the topic metadata file, which a full
    // disk refuses — the request then fails and the topic stays, consistently.)
    // (confluent-kafka 1.7 has no delete_records: kafkajs does it.)
    const admin = new kafkajs.Kafka({ clientId: 'samsa-faults', brokers: [b], logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.fetchTopicMetadata({ topics: ['full'] });
      await admin.deleteTopicRecords({ topic: 'full', partitions: [{ partition: 0, offset: String(hw) }] });
      const offsets = await admin.fetchTopicOffsets('full');
      assert.equal(offsets[0]!.low, String(hw), 'DeleteRecords moved the log start to the high watermark');
    } finally {
      await admin.disconnect();
    }
    await eventually('DeleteRecords to free space', () => freeBytes(disk) > 1024 * 1024, 30_000);
    await faultTool('delete-topic', b, ['--topic', 'spare']);
    await eventually('the spare topic to be deleted', () => freeBytes(disk) > 2 * 1024 * 1024, 30_000);

    // The same partition takes produces again, after the old end.
    const resumed = await faultTool<{ acked: number; errors: string[] }>('produce', b, ['--topic', 'full', '--count', '50', '--partition', '0', '--prefix', 'resumed']);
    assert.deepEqual(resumed, { acked: 50, errors: [] });
    const after = await consumeAll(b, 'full', join(work, 'consumed-after.jsonl'));
    const [lo, hi] = after.watermarks['0']!;
    assert.ok(lo >= hw, `log start moved to ${lo} >= ${hw}`);
    assert.equal(hi - lo, after.records.length);
    const fresh = after.records.filter((r) => (r.v ?? '').startsWith('resumed-value-'));
    assert.equal(fresh.length, 50);
    assert.ok(fresh[0]!.o >= hw, 'new records follow the old end');
    assert.deepEqual(readdirSync(disk).filter((n) => n.startsWith('spare')), [], 'the spare topic is gone from disk');

    assert.equal(await broker.stop(), 0, 'clean stop');
    // And the dir opens again with everything in place.
    broker = await startSamsa({ dataDir: disk });
    const reopened = await consumeAll(broker.bootstrap, 'full', join(work, 'consumed-reopened.jsonl'));
    assert.deepEqual(reopened.watermarks, after.watermarks);
  } catch (e) {
    if (broker) (e as Error).message += `\n--- broker log tail ---\n${broker.logTail().slice(-6000)}`;
    throw e;
  } finally {
    if (broker) await broker.stop();
    umount(disk);
    removeDir(work);
  }
});
