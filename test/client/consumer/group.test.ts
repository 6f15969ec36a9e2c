/**
 * Consumer groups (classic protocol) against an in-process Samsa broker: sharing
 * partitions, rebalances on join and leave, commits and resuming from them,
 * heartbeats that keep a slow handler's membership, max.poll.interval.ms,
 * cooperative rebalancing, static membership, pattern subscriptions, and a
 * librdkafka member (confluent-kafka-python) in the same group.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestBroker } from '../helpers.ts';
import type { TestBroker } from '../helpers.ts';
import { Consumer } from '../../../src/client/consumer/index.ts';
import type { ConsumerConfig, TopicPartitionOffset } from '../../../src/client/consumer/index.ts';
import { createTopic, kcatProduce, sleep } from './helpers.ts';
import { onJsonLines } from '../../interop/harness.ts';

type TP = { topic: string; partition: number };
const HERE = dirname(fileURLToPath(import.meta.url));

function parts(tps: readonly TP[]): number[] {
  return tps.map((t) => t.partition).sort((a, b) => a - b);
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A consumer polling in the background, recording what it receives. */
function runMember(c: Consumer, opts: { onBatch?: () => Promise<void> } = {}) {
  const seen: { partition: number; offset: bigint }[] = [];
  const done = c.consume({
    pollTimeoutMs: 100,
    eachBatch: async (records) => {
      for (const r of records) seen.push({ partition: r.partition, offset: r.offset });
      if (opts.onBatch) await opts.onBatch();
    },
  });
  return { seen, done };
}

describe('Consumer groups', { timeout: 120_000 }, () => {
  let b: TestBroker;
  const base = (group: string): ConsumerConfig => ({
    'bootstrap.servers': b.bootstrap,
    'group.id': group,
    'auto.offset.reset': 'earliest',
    'session.timeout.ms': 6000,
    'heartbeat.interval.ms': 500,
  });

  before(async () => {
    b = await startTestBroker({ 'group.initial.rebalance.delay.ms': 0 });
  });
  after(async () => {
    await b.close();
  });

  it('two members share partitions (disjoint, complete) and rebalance on join and leave', async () => {
    const topic = 'g-share';
    await createTopic(b.bootstrap, topic, 4);
    for (let p = 0; p < 4; p++) await kcatProduce(b.bootstrap, topic, p, Array.from({ length: 10 }, (_, i) => `k${i}:p${p}-${i}`));
    const events: string[] = [];
    const c1 = new Consumer(base('g-share'));
    c1.subscribe([topic], { onPartitionsAssigned: (p) => void events.push(`c1+${parts(p)}`), onPartitionsRevoked: (p) => void events.push(`c1-${parts(p)}`) });
    const m1 = runMember(c1);
    await waitFor('c1 owns all', () => c1.assignment().length === 4 && m1.seen.length === 40);
    const c2 = new Consumer(base('g-share'));
    c2.subscribe([topic]);
    const m2 = runMember(c2);
    await waitFor('two members of two partitions', () => c1.assignment().length === 2 && c2.assignment().length === 2);
    const all = [...parts(c1.assignment()), ...parts(c2.assignment())].sort();
    assert.deepEqual(all, [0, 1, 2, 3]);
    // Range: the member ids are sorted, each gets a contiguous range.
    assert.equal(c1.groupMetadata().generationId, c2.groupMetadata().generationId);
    // Leave: c1 gets everything back.
    await c2.close();
    await m2.done;
    await waitFor('c1 owns all again', () => c1.assignment().length === 4);
    assert.ok(events.includes('c1+0,1,2,3'));
    assert.ok(events.some((e) => e.startsWith('c1-')));
    c1.stop();
    await m1.done;
    await c1.close();
    // Every record was read once by c1 before c2 joined (auto-commit on revoke keeps it from re-reading).
    assert.equal(new Set(m1.seen.map((s) => `${s.partition}:${s.offset}`)).size, 40);
  });

  it('commitSync then a new member resumes from the committed offsets; committed() reads them', async () => {
    const topic = 'g-commit';
    await createTopic(b.bootstrap, topic, 2);
    for (let p = 0; p < 2; p++) await kcatProduce(b.bootstrap, topic, p, Array.from({ length: 20 }, (_, i) => `k:${p}-${i}`));
    const c1 = new Consumer({ ...base('g-commit'), 'enable.auto.commit': false, 'max.poll.records': 5 });
    c1.subscribe([topic]);
    let got = 0;
    while (got < 12) got += (await c1.poll(200)).count;
    const positions = await Promise.all([0, 1].map((p) => c1.position({ topic, partition: p })));
    await c1.commitSync();
    const committed = await c1.committed([{ topic, partition: 0 }, { topic, partition: 1 }]);
    assert.deepEqual(committed.map((c) => c?.offset), positions);
    // An explicit commit with commitAsync and a callback.
    const cbResult = await new Promise<Error | null>((resolve) => {
      void c1.commitAsync([{ topic, partition: 0, offset: 7n }], (err) => resolve(err));
    });
    assert.equal(cbResult, null);
    await c1.close();
    const c2 = new Consumer({ ...base('g-commit'), 'enable.auto.commit': false });
    c2.subscribe([topic]);
    const firstOffsets = new Map<number, bigint>();
    const deadline = Date.now() + 20_000;
    while (firstOffsets.size < 2 && Date.now() < deadline) {
      for (const r of await c2.poll(200)) if (!firstOffsets.has(r.partition)) firstOffsets.set(r.partition, r.offset);
    }
    assert.equal(firstOffsets.get(0), 7n);
    assert.equal(firstOffsets.get(1), positions[1]);
    await c2.close();
  });

  it('auto-commit on close: a restarted member continues where the last one stopped', async () => {
    const topic = 'g-autocommit';
    await createTopic(b.bootstrap, topic, 1);
    await kcatProduce(b.bootstrap, topic, 0, Array.from({ length: 30 }, (_, i) => `k:${i}`));
    const c1 = new Consumer({ ...base('g-auto'), 'max.poll.records': 10 });
    c1.subscribe([topic]);
    let n = 0;
    while (n === 0) n = (await c1.poll(200)).count;
    assert.equal(n, 10);
    await c1.close();
    const c2 = new Consumer(base('g-auto'));
    c2.subscribe([topic]);
    let first: bigint | null = null;
    while (first === null) for (const r of await c2.poll(200)) first ??= r.offset;
    assert.equal(first, 10n);
    await c2.close();
  });

  it('heartbeats continue while the handler is slower than session.timeout.ms', async () => {
    const topic = 'g-slow';
    await createTopic(b.bootstrap, topic, 2);
    await kcatProduce(b.bootstrap, topic, 0, ['a:1', 'b:2']);
    const assigned: number[][] = [];
    const lost: number[][] = [];
    const c = new Consumer({ ...base('g-slow'), 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 1000, 'max.poll.interval.ms': 60_000 });
    c.subscribe([topic], { onPartitionsAssigned: (p) => void assigned.push(parts(p)), onPartitionsLost: (p) => void lost.push(parts(p)) });
    let batches = 0;
    const generation: number[] = [];
    const m = runMember(c, {
      onBatch: async () => {
        batches++;
        generation.push(c.groupMetadata().generationId);
        if (batches === 1) await sleep(8000); // longer than session.timeout.ms
      },
    });
    await waitFor('first batch', () => batches >= 1);
    await waitFor('slow batch done', () => m.seen.length >= 2 && batches >= 1, 20_000);
    await sleep(8500);
    await kcatProduce(b.bootstrap, topic, 0, ['c:3']);
    await waitFor('a record after the slow handler', () => m.seen.length >= 3, 20_000);
    c.stop();
    await m.done;
    assert.deepEqual(lost, []);
    assert.equal(assigned.length, 1, `one assignment only, got ${JSON.stringify(assigned)}`);
    assert.ok(generation.every((g) => g === generation[0]));
    // The record after the slow batch continues from offset 2: no re-delivery.
    assert.deepEqual(m.seen.map((s) => s.offset), [0n, 1n, 2n]);
    await c.close();
  });

  it('max.poll.interval.ms exceeded: the member leaves, its partitions are lost, it rejoins on the next poll', async () => {
    const topic = 'g-pollint';
    await createTopic(b.bootstrap, topic, 2);
    const lost: number[][] = [];
    const c1 = new Consumer({ ...base('g-pollint'), 'max.poll.interval.ms': 1500 });
    const c2 = new Consumer(base('g-pollint'));
    c1.subscribe([topic], { onPartitionsLost: (p) => void lost.push(parts(p)) });
    c2.subscribe([topic]);
    const m2 = runMember(c2);
    await waitFor('c2 owns all', () => c2.assignment().length === 2);
    // c1 joins, then stops polling.
    while (c1.assignment().length === 0) await c1.poll(100);
    await waitFor('c2 down to one', () => c2.assignment().length === 1);
    await waitFor('c2 takes everything after c1 leaves', () => c2.assignment().length === 2, 20_000);
    // The next poll runs onPartitionsLost for the partition it had, then rejoins.
    const deadline = Date.now() + 20_000;
    while ((lost.length === 0 || c1.assignment().length === 0) && Date.now() < deadline) await c1.poll(100);
    assert.equal(lost.length, 1);
    assert.equal(lost[0]!.length, 1);
    assert.equal(c1.assignment().length, 1);
    c2.stop();
    await m2.done;
    await c1.close();
    await c2.close();
  });

  it('cooperative-sticky: the first member keeps consuming and gives up only what moves', async () => {
    const topic = 'g-coop';
    await createTopic(b.bootstrap, topic, 4);
    const conf = { ...base('g-coop'), 'partition.assignment.strategy': ['cooperative-sticky'] };
    const revoked1: number[][] = [];
    const assigned1: number[][] = [];
    const c1 = new Consumer(conf);
    c1.subscribe([topic], { onPartitionsRevoked: (p) => void revoked1.push(parts(p)), onPartitionsAssigned: (p) => void assigned1.push(parts(p)) });
    const m1 = runMember(c1);
    await waitFor('c1 owns all', () => c1.assignment().length === 4);
    const c2 = new Consumer(conf);
    c2.subscribe([topic]);
    const m2 = runMember(c2);
    await waitFor('2 + 2', () => c1.assignment().length === 2 && c2.assignment().length === 2, 30_000);
    assert.deepEqual([...parts(c1.assignment()), ...parts(c2.assignment())].sort(), [0, 1, 2, 3]);
    // c1 revoked exactly the two partitions c2 now owns, never everything.
    assert.deepEqual(revoked1, [parts(c2.assignment())]);
    assert.deepEqual(assigned1[0], [0, 1, 2, 3]);
    c1.stop();
    c2.stop();
    await m1.done;
    await m2.done;
    await c1.close();
    await c2.close();
  });

  it('static membership: a member restarting with the same group.instance.id gets its partitions back without a rebalance of the others', async () => {
    const topic = 'g-static';
    await createTopic(b.bootstrap, topic, 2);
    const c1 = new Consumer({ ...base('g-static'), 'group.instance.id': 'one' });
    const c2 = new Consumer({ ...base('g-static'), 'group.instance.id': 'two' });
    c1.subscribe([topic]);
    c2.subscribe([topic]);
    const m1 = runMember(c1);
    const m2 = runMember(c2);
    await waitFor('1 + 1', () => c1.assignment().length === 1 && c2.assignment().length === 1);
    const twoHad = parts(c2.assignment());
    const gen = c1.groupMetadata().generationId;
    c2.stop();
    await m2.done;
    await c2.close(); // a static member does not leave the group
    const c2b = new Consumer({ ...base('g-static'), 'group.instance.id': 'two' });
    c2b.subscribe([topic]);
    const m2b = runMember(c2b);
    await waitFor('c2b back', () => c2b.assignment().length === 1);
    assert.deepEqual(parts(c2b.assignment()), twoHad);
    assert.equal(c1.assignment().length, 1);
    assert.equal(c1.groupMetadata().generationId, gen);
    c1.stop();
    c2b.stop();
    await m1.done;
    await m2b.done;
    await c1.close();
    await c2b.close();
  });

  it('a pattern subscription picks up a new matching topic on metadata refresh', async () => {
    await createTopic(b.bootstrap, 'pat-a', 1);
    await createTopic(b.bootstrap, 'other-x', 1);
    const c = new Consumer({ ...base('g-pattern'), 'metadata.max.age.ms': 300 });
    c.subscribe(/^pat-/);
    const m = runMember(c);
    await waitFor('pat-a assigned', () => c.assignment().length === 1);
    assert.deepEqual(c.subscription(), ['pat-a']);
    await createTopic(b.bootstrap, 'pat-b', 2);
    await waitFor('pat-b assigned', () => c.assignment().length === 3, 20_000);
    assert.deepEqual(c.subscription(), ['pat-a', 'pat-b']);
    await kcatProduce(b.bootstrap, 'pat-b', 1, ['k:v']);
    await waitFor('record from pat-b', () => m.seen.length === 1);
    c.stop();
    await m.done;
    await c.close();
  });

  it('a Samsa member and a librdkafka member share a group: disjoint, complete, rebalanced on leave', async () => {
    const topic = 'g-mixed';
    await createTopic(b.bootstrap, topic, 4);
    for (let p = 0; p < 4; p++) await kcatProduce(b.bootstrap, topic, p, Array.from({ length: 10 }, (_, i) => `k:${i}`));
    const py = spawn('/usr/bin/python3', [join(HERE, 'group_member.py'), b.bootstrap, 'g-mixed', topic, 'range'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let pyAssigned: number[] = [];
    const pyRecords: { partition: number; offset: number }[] = [];
    let pyClosed = false;
    let pyErr = '';
    py.stderr.on('data', (d: Buffer) => {
      pyErr += d.toString();
    });
    onJsonLines<{ event: string; partitions?: number[]; partition?: number; offset?: number }>(py.stdout, (e) => {
      if (e.event === 'assign') pyAssigned = e.partitions!;
      else if (e.event === 'revoke') pyAssigned = [];
      else if (e.event === 'record') pyRecords.push({ partition: e.partition!, offset: e.offset! });
      else if (e.event === 'closed') pyClosed = true;
    });
    try {
      await waitFor('librdkafka owns all and read all', () => pyAssigned.length === 4 && pyRecords.length === 40, 30_000).catch((e: Error) => {
        throw new Error(`${e.message}; python stderr: ${pyErr}`);
      });
      const c = new Consumer(base('g-mixed'));
      c.subscribe([topic]);
      const m = runMember(c);
      await waitFor('2 + 2', () => pyAssigned.length === 2 && c.assignment().length === 2, 30_000);
      assert.deepEqual([...pyAssigned, ...parts(c.assignment())].sort(), [0, 1, 2, 3]);
      // librdkafka auto-committed what it read: the Samsa member reads nothing old.
      await sleep(500);
      assert.equal(m.seen.length, 0);
      for (const p of parts(c.assignment())) await kcatProduce(b.bootstrap, topic, p, ['new:1']);
      await waitFor('new records to the Samsa member', () => m.seen.length === 2);
      py.stdin.end();
      await waitFor('python closed', () => pyClosed, 20_000);
      await waitFor('Samsa member owns all', () => c.assignment().length === 4, 30_000);
      c.stop();
      await m.done;
      await c.close();
    } finally {
      py.kill();
    }
  });
});

export type { TopicPartitionOffset };
