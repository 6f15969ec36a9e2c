/**
 * Fault: the broker restarted mid-stream — the consumer continues from committed
 * offsets (issue 5). A spawned `samsa start` (a process we can kill -9), a Samsa
 * Producer writing all along, and one Samsa group Consumer (classic protocol,
 * commitSync after each batch) reading the stream. Mid-stream the broker is killed
 * with SIGKILL and restarted on the same port and data dir; the same Consumer object
 * carries on:
 *
 * - the offsets the group committed before the kill (the last acknowledged commit) are
 *   exactly what the restarted broker reports;
 * - the consumer ends with every record the producer delivered (no loss), values
 *   intact;
 * - a record is read twice only if it lies after the last acknowledged commit of its
 *   partition (re-read from the committed offset), never before it; the consumer has
 *   read ≥ 500 records past that commit when the broker dies. (Samsa's coordinator
 *   reloads the group's members from __consumer_offsets, as Kafka's does, so the
 *   member usually keeps its generation and its positions: no re-read at all.)
 * - at the end the group's committed offsets (Admin and Consumer.committed()) are the
 *   log end offsets.
 *
 * The producer side (idempotent, no loss, no duplicates across a kill -9 restart) is
 * test/client/producer/faults.test.ts.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Admin } from '../../../src/client/admin/index.ts';
import { Producer } from '../../../src/client/producer/index.ts';
import { Consumer } from '../../../src/client/consumer/index.ts';
import { makeTempDir, removeDir, startSamsa } from '../../interop/harness.ts';
import type { Samsa } from '../../interop/harness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PARTITIONS = 3;
const TOPIC = 'stream';
const GROUP = 'restart-group';

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${detail()}`);
    await sleep(50);
  }
}

describe('Consumer across a broker restart (spawned broker, kill -9)', { timeout: 110_000 }, () => {
  const dirs: string[] = [];
  const brokers: Samsa[] = [];
  after(async () => {
    for (const b of brokers) await b.stop().catch(() => {});
    for (const d of dirs) removeDir(d);
  });

  it('continues from the committed offsets: every record, duplicates only after the last commit, commits survive', async (t) => {
    const tmp = makeTempDir('samsa-consumer-restart-');
    dirs.push(tmp);
    const dataDir = join(tmp, 'data');
    const overrides = { 'group.initial.rebalance.delay.ms': '0', 'auto.create.topics.enable': 'false' };
    const first = await startSamsa({ dataDir, overrides });
    brokers.push(first);
    let current = first;
    const log = () => `--- broker log tail ---\n${current.logTail().slice(-3000)}`;
    const admin = new Admin({ bootstrapServers: first.bootstrap });
    const [created] = await admin.createTopics([{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 }]);
    assert.equal(created!.error ?? null, null);
    const committedByAdmin = async (): Promise<(bigint | null)[]> => {
      const [g] = await admin.listConsumerGroupOffsets([{ groupId: GROUP, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ topic: TOPIC, partition: p })) }]);
      if (g!.error) throw g!.error;
      return g!.offsets.map((o) => o.offset);
    };

    // The producer: 50 records every 20 ms until told to stop.
    const producer = new Producer({ 'bootstrap.servers': first.bootstrap, 'linger.ms': 5, 'request.timeout.ms': 5000, 'reconnect.backoff.ms': 20, 'reconnect.backoff.max.ms': 200 });
    const delivered = new Map<string, string>();
    const sendErrors: string[] = [];
    let seq = 0;
    let producing = true;
    const background = (async () => {
      while (producing) {
        for (let i = 0; i < 50; i++) {
          const v = String(seq++);
          producer.send({ topic: TOPIC, key: `k${v}`, value: v }, (err, md) => {
            if (err) sendErrors.push(err.message);
            else delivered.set(`${md!.partition}@${md!.offset}`, v);
          });
        }
        await sleep(20);
      }
      await producer.flush();
    })();

    // The consumer: one object for the whole test; commitSync after each batch while allowed.
    const consumer = new Consumer({
      'bootstrap.servers': first.bootstrap,
      'group.id': GROUP,
      'auto.offset.reset': 'earliest',
      'enable.auto.commit': false,
      'session.timeout.ms': 10_000,
      'heartbeat.interval.ms': 500,
      'request.timeout.ms': 5000,
      'default.api.timeout.ms': 20_000,
      'max.poll.records': 200,
    });
    const reads = new Map<string, number>();
    const values = new Map<string, string>();
    const acked = new Array<bigint>(PARTITIONS).fill(0n);
    const commitErrors: string[] = [];
    let commits = true;
    let committing = false;
    let consumeError: Error | null = null;
    consumer.subscribe([TOPIC]);
    const done = consumer
      .consume({
        pollTimeoutMs: 100,
        eachBatch: async (records) => {
          for (const r of records) {
            const k = `${r.partition}@${r.offset}`;
            reads.set(k, (reads.get(k) ?? 0) + 1);
            values.set(k, r.value!.toString());
          }
          if (!commits) return;
          const offsets = records.nextOffsets();
          committing = true;
          try {
            await consumer.commitSync(offsets);
            for (const o of offsets) if (o.offset > acked[o.partition]!) acked[o.partition] = o.offset;
          } catch (e) {
            commitErrors.push((e as Error).message);
          } finally {
            committing = false;
          }
        },
      })
      .catch((e: Error) => {
        consumeError = e;
      });
    const detail = () => `reads ${reads.size}, delivered ${delivered.size}, acked ${acked}, commit errors ${commitErrors.slice(0, 3)}, consume error ${consumeError}\n${log()}`;

    try {
      await waitFor('the consumer to be mid-stream (3000 records read and committed)', () => reads.size >= 3000 && acked.every((a) => a > 0n), 30_000, detail);
      // Stop committing; the last acknowledged commit is the reference.
      commits = false;
      await waitFor('the in-flight commit', () => !committing, 20_000, detail);
      const ackedAtKill = [...acked];
      assert.deepEqual(await committedByAdmin(), ackedAtKill, 'committed offsets before the kill = the last acknowledged commits');
      // Read on past the last commit, so the kill leaves consumed-but-uncommitted records.
      const readAtLastCommit = reads.size;
      await waitFor('500 records read past the last commit', () => reads.size >= readAtLastCommit + 500, 20_000, detail);
      const readAtKill = reads.size;
      const generationAtKill = consumer.groupMetadata().generationId;
      await first.kill('SIGKILL');
      await sleep(1000); // the producer and the consumer keep going against a dead port
      const second = await startSamsa({ dataDir, overrides: { ...overrides, listeners: `PLAINTEXT://127.0.0.1:${first.port}` } });
      brokers.push(second);
      current = second;
      assert.deepEqual(await committedByAdmin(), ackedAtKill, 'the restarted broker reports the committed offsets acknowledged before the kill');
      commits = true;
      // The same consumer carries on: it reads records produced after the restart.
      const deliveredAtRestart = delivered.size;
      await waitFor('the consumer to read records produced after the restart', () => reads.size > Math.max(readAtKill, deliveredAtRestart) + 1000, 45_000, detail);
      producing = false;
      await background;
      assert.deepEqual(sendErrors.slice(0, 3), [], 'producer errors');
      await waitFor(`every delivered record (${delivered.size}) read`, () => [...delivered.keys()].every((k) => reads.has(k)), 30_000, () => {
        const missing = [...delivered.keys()].filter((k) => !reads.has(k));
        return `${missing.length} missing, e.g. ${missing.slice(0, 10)}\n${detail()}`;
      });
      await waitFor('the last commit', () => !committing, 20_000, detail);
      commits = false;
      await waitFor('the in-flight commit', () => !committing, 20_000, detail);
      assert.equal(consumeError, null, String(consumeError));

      // No loss, values intact, nothing read that was not produced.
      for (const [k, v] of delivered) assert.equal(values.get(k), v, `record ${k}`);
      assert.equal(reads.size, delivered.size, 'records read that the producer did not deliver');
      // Duplicates only at or after the last acknowledged commit of their partition.
      const dups = [...reads].filter(([, n]) => n > 1).map(([k, n]) => ({ k, n, p: Number(k.split('@')[0]), o: BigInt(k.split('@')[1]!) }));
      t.diagnostic(`read ${readAtKill} before the kill, ${reads.size} in all (${delivered.size} delivered); acked at kill ${ackedAtKill}; ${dups.length} read twice; ${commitErrors.length} failed commits (${commitErrors[0] ?? ''}); generation ${generationAtKill} → ${consumer.groupMetadata().generationId}`);
      const early = dups.filter((d) => d.o < ackedAtKill[d.p]! || d.n > 2);
      assert.deepEqual(early, [], `records read again although committed before the kill (acked ${ackedAtKill}), or read more than twice`);

      // The group's committed offsets are the log end, as the broker and the consumer see them.
      const ends = Array.from({ length: PARTITIONS }, (_, p) => BigInt([...delivered.keys()].filter((k) => k.startsWith(`${p}@`)).length));
      await consumer.commitSync();
      assert.deepEqual(await committedByAdmin(), ends, 'committed offsets (Admin) = log end');
      const fromConsumer = await consumer.committed(Array.from({ length: PARTITIONS }, (_, p) => ({ topic: TOPIC, partition: p })));
      assert.deepEqual(fromConsumer.map((c) => c?.offset ?? null), ends, 'Consumer.committed() = log end');
    } finally {
      producing = false;
      await background.catch(() => {});
      consumer.stop();
      await done;
      await consumer.close();
      await producer.close({ timeoutMs: 5000 });
      admin.close();
    }
  });
});
