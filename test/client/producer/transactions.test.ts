/**
 * The transactional producer against a broker: commit and abort as read_committed
 * consumers see them (Samsa's consumer and librdkafka through kcat), offsets
 * committed with the transaction, zombie fencing, the coordinator's timeout abort,
 * and the state rules of Java's KafkaProducer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Producer } from '../../../src/client/producer/producer.ts';
import { IllegalStateError, TransactionAbortedError, TransactionError } from '../../../src/client/producer/errors.ts';
import { Consumer } from '../../../src/client/consumer/index.ts';
import { Admin } from '../../../src/client/admin/index.ts';
import { ErrorCode } from '../../../src/protocol/errors/index.ts';
import { startTestBroker } from '../helpers.ts';
import type { TestBroker } from '../helpers.ts';
import { pollUntil, run } from '../consumer/helpers.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const level of [2, 1]) describe(`transactional Producer, transaction.version ${level}`, () => {
  let b: TestBroker;
  let n = 0;
  const topic = (partitions = 3): string => {
    const name = `tx-${++n}`;
    b.broker.topics.create(name, { partitions });
    return name;
  };
  const producer = (txnId: string, extra: Record<string, unknown> = {}): Producer<string, string> =>
    new Producer<string, string>({ 'bootstrap.servers': b.bootstrap, 'transactional.id': txnId, 'key.serializer': 'string', 'value.serializer': 'string', ...extra });
  const readAll = async (t: string, isolation: 'read_committed' | 'read_uncommitted', expect: number): Promise<string[]> => {
    const c = new Consumer<string, string>({ 'bootstrap.servers': b.bootstrap, 'auto.offset.reset': 'earliest', 'isolation.level': isolation, 'key.deserializer': 'string', 'value.deserializer': 'string' });
    try {
      const parts = (await c.partitionsFor(t)).map((p) => ({ topic: t, partition: p.partition }));
      c.assign(parts);
      const got = await pollUntil(c, expect, expect === 0 ? 1500 : 30_000);
      // Nothing more than expected arrives.
      const extra = await c.poll(300);
      return [...got, ...extra].map((r) => r.value);
    } finally {
      await c.close();
    }
  };
  /** librdkafka's read_committed view, through kcat. */
  const kcatCommitted = async (t: string): Promise<string[]> => {
    const r = await run('kcat', ['-b', b.bootstrap, '-C', '-t', t, '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%s\n']);
    if (r.code !== 0) throw new Error(`kcat failed: ${r.stderr}`);
    return r.stdout.toString().split('\n').filter((l) => l !== '');
  };

  before(async () => {
    b = await startTestBroker({ 'auto.create.topics.enable': false, 'transaction.state.log.num.partitions': 5, 'offsets.topic.num.partitions': 5, 'samsa.transaction.version': level });
  });
  after(async () => {
    await b.close();
  });

  it('commits a transaction across topics; read_committed consumers see it all', async () => {
    const t1 = topic(3);
    const t2 = topic(2);
    const p = producer('tx-commit');
    try {
      await p.initTransactions();
      assert.equal(p.transactionState, 'READY');
      const before = p.producerIdAndEpoch;
      p.beginTransaction();
      for (let i = 0; i < 1000; i++) p.send({ topic: i % 2 === 0 ? t1 : t2, key: `k${i}`, value: `v${i}` });
      await p.commitTransaction();
      assert.equal(p.transactionState, 'READY');
      // Transactions v2 end every transaction with a new epoch; v1 keeps it.
      assert.equal(p.producerIdAndEpoch.producerId, before.producerId);
      assert.equal(p.producerIdAndEpoch.epoch, level >= 2 ? before.epoch + 1 : before.epoch);
    } finally {
      await p.close();
    }
    const a = await readAll(t1, 'read_committed', 500);
    const c = await readAll(t2, 'read_committed', 500);
    assert.equal(a.length, 500);
    assert.equal(c.length, 500);
    assert.deepEqual(new Set([...a, ...c]), new Set(Array.from({ length: 1000 }, (_, i) => `v${i}`)));
    assert.equal((await kcatCommitted(t1)).length, 500);
  });

  it('abort hides the records from read_committed consumers (not from read_uncommitted)', async () => {
    const t = topic(2);
    const p = producer('tx-abort');
    try {
      await p.initTransactions();
      p.beginTransaction();
      const sent = [];
      for (let i = 0; i < 200; i++) sent.push(p.send({ topic: t, key: `k${i}`, value: `aborted-${i}` }));
      await p.flush();
      for (const f of sent) await f; // written to the log, then aborted by the marker
      await p.abortTransaction();
      p.beginTransaction();
      for (let i = 0; i < 100; i++) p.send({ topic: t, key: `k${i}`, value: `kept-${i}` });
      await p.commitTransaction();
    } finally {
      await p.close();
    }
    const committed = await readAll(t, 'read_committed', 100);
    assert.equal(committed.length, 100);
    assert.ok(committed.every((v) => v.startsWith('kept-')));
    const all = await readAll(t, 'read_uncommitted', 300);
    assert.equal(all.length, 300);
    const viaKcat = await kcatCommitted(t);
    assert.equal(viaKcat.length, 100);
    assert.ok(viaKcat.every((v) => v.startsWith('kept-')));
  });

  it('abort fails records not yet sent with TransactionAbortedError', async () => {
    const t = topic(1);
    const p = producer('tx-abort-unsent', { 'linger.ms': 60_000, 'batch.size': 1_000_000 });
    try {
      await p.initTransactions();
      p.beginTransaction();
      const f = p.send({ topic: t, key: 'k', value: 'never' });
      await p.abortTransaction();
      await assert.rejects(Promise.resolve(f), TransactionAbortedError);
      p.beginTransaction();
      await p.commitTransaction(); // an empty transaction
    } finally {
      await p.close();
    }
    assert.deepEqual(await readAll(t, 'read_uncommitted', 0), []);
  });

  it('sendOffsetsToTransaction commits the group offsets with the transaction only', async () => {
    const t = topic(1);
    const group = 'tx-offsets-group';
    const p = producer('tx-offsets');
    const admin = new Admin({ bootstrapServers: b.bootstrap });
    try {
      await p.initTransactions();
      p.beginTransaction();
      p.send({ topic: t, value: 'out-1' });
      await p.sendOffsetsToTransaction([{ topic: t, partition: 0, offset: 42n, metadata: 'm' }], group);
      await p.abortTransaction();
      const committedOffsets = async (): Promise<(bigint | null)[]> => {
        const [g] = await admin.listConsumerGroupOffsets([group]);
        return (g?.offsets ?? []).filter((o) => o.topic === t).map((o) => o.offset);
      };
      assert.deepEqual(await committedOffsets(), [], 'aborted offsets are not committed');
      p.beginTransaction();
      p.send({ topic: t, value: 'out-2' });
      await p.sendOffsetsToTransaction([{ topic: t, partition: 0, offset: 7n }], { groupId: group, generationId: -1, memberId: '', groupInstanceId: null });
      await p.commitTransaction();
      assert.deepEqual(await committedOffsets(), [7n]);
    } finally {
      admin.close();
      await p.close();
    }
  });

  it('a second producer with the same transactional.id fences the first', async () => {
    const t = topic(1);
    const p1 = producer('tx-zombie');
    const p2 = producer('tx-zombie');
    try {
      await p1.initTransactions();
      p1.beginTransaction();
      await p1.send({ topic: t, value: 'zombie-1' });
      await p2.initTransactions(); // aborts p1's open transaction and bumps the epoch
      p2.beginTransaction();
      await p2.send({ topic: t, value: 'live-1' });
      // The zombie can neither write nor commit.
      const late = p1.send({ topic: t, value: 'zombie-2' });
      await assert.rejects(Promise.resolve(late), (e: Error & { code?: number }) => e.code === ErrorCode.INVALID_PRODUCER_EPOCH || e.code === ErrorCode.PRODUCER_FENCED);
      await assert.rejects(p1.commitTransaction(), (e: Error) => e instanceof TransactionError && !e.abortable);
      assert.equal(p1.transactionState, 'FATAL_ERROR');
      assert.throws(() => p1.beginTransaction(), TransactionError);
      await p2.commitTransaction();
    } finally {
      await p1.close();
      await p2.close();
    }
    assert.deepEqual(await readAll(t, 'read_committed', 1), ['live-1']);
    assert.deepEqual(await kcatCommitted(t), ['live-1']);
  });

  it('the coordinator aborts a transaction left open past transaction.timeout.ms', async () => {
    const t = topic(1);
    const p = producer('tx-timeout', { 'transaction.timeout.ms': 1000 });
    try {
      await p.initTransactions();
      p.beginTransaction();
      await p.send({ topic: t, value: 'expired' });
      // Abort on timeout happens on the coordinator's own schedule (transaction.abort.timed.out.transaction.cleanup.interval.ms).
      const deadline = Date.now() + 30_000;
      let lso = -1n;
      while (Date.now() < deadline) {
        const admin = new Admin({ bootstrapServers: b.bootstrap });
        try {
          const [r] = await admin.listOffsets([{ topic: t, partition: 0, spec: 'latest' }], { isolationLevel: 1 });
          lso = r!.offset;
        } finally {
          admin.close();
        }
        if (lso > 0n) break;
        await sleep(250);
      }
      assert.ok(lso >= 2n, `the abort marker moved the last stable offset (lso ${lso})`);
      await assert.rejects(p.commitTransaction(), (e: Error) => e instanceof TransactionError || (e as { code?: number }).code === ErrorCode.PRODUCER_FENCED || (e as { code?: number }).code === ErrorCode.INVALID_PRODUCER_EPOCH);
    } finally {
      await p.close();
    }
    assert.deepEqual(await readAll(t, 'read_committed', 0), []);
  });

  it("follows KafkaProducer's state rules", async () => {
    const t = topic(1);
    const p = producer('tx-rules');
    const plain = new Producer({ 'bootstrap.servers': b.bootstrap });
    try {
      assert.throws(() => p.send({ topic: t, value: 'x' }), IllegalStateError);
      assert.throws(() => p.beginTransaction(), IllegalStateError);
      await p.initTransactions();
      await assert.rejects(p.initTransactions(), IllegalStateError);
      assert.throws(() => p.send({ topic: t, value: 'x' }), /Cannot call send in state READY/);
      await assert.rejects(p.commitTransaction(), IllegalStateError);
      p.beginTransaction();
      assert.throws(() => p.beginTransaction(), IllegalStateError);
      await p.commitTransaction();
      assert.throws(() => plain.beginTransaction(), /transactional.id/);
      await assert.rejects(plain.initTransactions(), /transactional.id/);
    } finally {
      await p.close();
      await plain.close();
    }
  });
});
