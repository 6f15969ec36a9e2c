/**
 * kill -9 mid-stream with a producer that keeps running (confluent-kafka / librdkafka).
 *
 * A producer sends keyed, sequence-numbered records to a 3-partition topic and writes
 * every delivery report to a file. After SAMSA_FAULTS_KILL_AFTER acks the broker is
 * killed with SIGKILL and restarted on the same data dir and port; the producer
 * retries through the outage. Then a consumer reads everything back:
 *   - every acknowledged record is at the offset its delivery report named;
 *   - acks=all + idempotence: no record appears twice (not even one whose ack was
 *     lost in the crash), and per partition the sequence numbers ascend;
 *   - acks=1 (librdkafka refuses idempotence without acks=all, so this producer is
 *     at-least-once): every acked record is present; extra copies may only be
 *     records whose earlier attempt was never acknowledged;
 *   - offsets are contiguous per partition (the log recovered, nothing skipped) and
 *     a new produce after the run lands right after the old end.
 * A kill -9 keeps the page cache, so even acks=1 must lose nothing.
 *
 * SAMSA_FAULTS_RECORDS (default 30000) records at SAMSA_FAULTS_RATE (default 3000)
 * per second; SAMSA_FAULTS_CRASHES (default 2)
 * kills, one every SAMSA_FAULTS_KILL_AFTER (default records/(crashes+1)) acks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { eventually, makeTempDir, removeDir, requirePythonModule, startSamsa } from '../interop/harness.ts';
import type { Samsa } from '../interop/harness.ts';
import type { Background } from './helpers.ts';
import { CHILD_TIMEOUT_MS, TEST_TIMEOUT_MS, consumeAll, countLines, envInt, faultTool, faultToolBackground, readJsonLines, sleep } from './helpers.ts';

const RECORDS = envInt('SAMSA_FAULTS_RECORDS', 30_000);
/**
 * Records per second the producer offers, so the crashes land mid-stream: after an
 * outage the producer sends its backlog at full speed, so the stream must be long
 * enough that the last crash still finds records left to send.
 */
const RATE = envInt('SAMSA_FAULTS_RATE', 3000);
/** Broker crashes per run, evenly spread over the stream. */
const CRASHES = envInt('SAMSA_FAULTS_CRASHES', 2);
const KILL_AFTER = envInt('SAMSA_FAULTS_KILL_AFTER', Math.floor(RECORDS / (CRASHES + 1)));

interface Report {
  seq: number;
  p?: number;
  o?: number;
  err?: string;
}

async function crashRun(acks: 'all' | '1'): Promise<void> {
  requirePythonModule('confluent_kafka', 'python3-confluent-kafka');
  const work = makeTempDir('samsa-faults-crash-');
  const dataDir = join(work, 'data');
  let broker: Samsa | undefined;
  let producer: Background<{ acked: number; failed: number; errors?: Record<string, number>; unflushed?: number; client_errors?: string[] }> | undefined;
  try {
    broker = await startSamsa({ dataDir });
    const port = broker.port;
    const bootstrap = broker.bootstrap;
    const topic = `crash-${acks === 'all' ? 'all' : 'one'}`;
    await faultTool('create-topic', bootstrap, ['--topic', topic, '--partitions', '3']);

    const reports = join(work, 'reports.jsonl');
    const idempotent = acks === 'all';
    producer = faultToolBackground<{ acked: number; failed: number; errors: Record<string, number>; unflushed: number; client_errors: string[] }>(
      'produce-stream',
      bootstrap,
      [
        '--topic', topic, '--count', String(RECORDS), '--acks', acks, '--out', reports,
        '--rate', String(RATE),
        ...(idempotent ? [] : ['--client-config', 'enable.idempotence=false', '--client-config', 'max.in.flight.requests.per.connection=1']),
      ],
      CHILD_TIMEOUT_MS,
    );
    producer.result.catch(() => {});

    let ackedBeforeCrash = 0;
    for (let crash = 1; crash <= CRASHES; crash++) {
      await eventually(`${crash * KILL_AFTER} delivery reports before crash ${crash}`, () => countLines(reports) >= crash * KILL_AFTER, CHILD_TIMEOUT_MS / 2);
      await broker.kill('SIGKILL');
      ackedBeforeCrash = countLines(reports);
      // The producer keeps trying while the broker is down.
      await sleep(1000);
      broker = await startSamsa({ dataDir, overrides: { listeners: `PLAINTEXT://127.0.0.1:${port}` } });
      assert.equal(broker.port, port, 'restarted on the same port');
    }

    const summary = await producer.result;
    const all = readJsonLines<Report>(reports);
    const acked = all.filter((r) => r.err === undefined);
    const failed = all.filter((r) => r.err !== undefined);
    const context = `acks=${acks}, ${CRASHES} crashes, ${ackedBeforeCrash} acks before the last, producer summary ${JSON.stringify(summary)}`;
    assert.ok(acked.length > ackedBeforeCrash, `the producer made progress after the last restart (${context})`);
    assert.equal(failed.length, 0, `no delivery failed: librdkafka retries through a restart (${context})`);
    assert.equal(acked.length, RECORDS, `every record acked (${context})`);

    const { records, watermarks } = await consumeAll(bootstrap, topic, join(work, 'consumed.jsonl'));
    const at = new Map<string, string | null>();
    for (const r of records) at.set(`${r.p}:${r.o}`, r.v);

    // Every acked record at its reported offset, each reported offset used once.
    const seenOffsets = new Set<string>();
    for (const a of acked) {
      const where = `${a.p}:${a.o}`;
      assert.ok(!seenOffsets.has(where), `two acks for offset ${where} (${context})`);
      seenOffsets.add(where);
      assert.equal(at.get(where), `seq=${a.seq}`, `acked seq ${a.seq} at ${where} (${context})`);
    }

    // Offsets contiguous per partition from the low watermark to the high watermark.
    for (const [p, [lo, hi]] of Object.entries(watermarks)) {
      const offsets = records.filter((r) => r.p === Number(p)).map((r) => r.o);
      assert.equal(lo, 0, `partition ${p} log start`);
      assert.equal(offsets.length, hi - lo, `partition ${p}: ${offsets.length} records for offsets [${lo}, ${hi}) (${context})`);
      offsets.forEach((o, i) => assert.equal(o, lo + i, `partition ${p}: offset ${lo + i} missing (${context})`));
    }

    const ackedSeqs = new Set(acked.map((a) => a.seq));
    const counts = new Map<string, number>();
    for (const r of records) counts.set(r.v ?? '', (counts.get(r.v ?? '') ?? 0) + 1);
    const dups = [...counts].filter(([, n]) => n > 1);
    if (idempotent) {
      assert.deepEqual(dups.slice(0, 10), [], `idempotent producer: no duplicates across the crash (${context})`);
      assert.equal(records.length, RECORDS, `exactly the acked records are in the log (${context})`);
      for (const p of Object.keys(watermarks)) {
        const seqs = records.filter((r) => r.p === Number(p)).map((r) => Number(r.v!.split('=')[1]));
        for (let i = 1; i < seqs.length; i++) {
          assert.ok(seqs[i]! > seqs[i - 1]!, `partition ${p}: seq ${seqs[i]} after ${seqs[i - 1]} at offset ${i} (${context})`);
        }
      }
    } else {
      // At-least-once: a copy at an offset no ack names is a retry of a lost ack.
      for (const r of records) {
        const seq = Number(r.v!.split('=')[1]);
        assert.ok(ackedSeqs.has(seq), `unknown record ${r.v} at ${r.p}:${r.o}`);
      }
      if (dups.length > 0) console.log(`acks=1: ${dups.length} records written twice (retries of acks lost in the crash)`);
    }

    // The log takes new records after the recovered end.
    const before = records.length;
    const more = await faultTool<{ acked: number; errors: string[] }>('produce', bootstrap, ['--topic', topic, '--count', '30', '--prefix', 'after']);
    assert.deepEqual(more, { acked: 30, errors: [] });
    const after = await consumeAll(bootstrap, topic, join(work, 'consumed-after.jsonl'));
    assert.equal(after.records.length, before + 30);
    for (const [p, [, hi]] of Object.entries(after.watermarks)) {
      const oldHi = watermarks[p]![1];
      const fresh = after.records.filter((r) => r.p === Number(p) && r.o >= oldHi);
      assert.equal(fresh.length, hi - oldHi, `partition ${p}: new records continue at ${oldHi}`);
      for (const r of fresh) assert.match(r.v ?? '', /^after-value-\d+$/);
    }
    assert.equal(await broker.stop(), 0, 'clean stop after the run');
  } catch (e) {
    if (broker) (e as Error).message += `\n--- broker log tail ---\n${broker.logTail().slice(-6000)}`;
    throw e;
  } finally {
    producer?.kill();
    if (broker) await broker.stop();
    removeDir(work);
  }
}

test('kill -9 with an idempotent acks=all producer: every acked record exactly once, log recovered', { timeout: TEST_TIMEOUT_MS }, async () => {
  await crashRun('all');
});

test('kill -9 with an acks=1 producer: every acked record present, log recovered', { timeout: TEST_TIMEOUT_MS }, async () => {
  await crashRun('1');
});
