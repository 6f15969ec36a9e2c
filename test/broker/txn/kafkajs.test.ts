/**
 * Transactions with kafkajs against an in-process broker: commit and abort seen by a
 * read_committed consumer (readUncommitted: false) and a read_uncommitted one, zombie
 * fencing, and sendOffsets (TxnOffsetCommit) committed with the transaction.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import type { Kafka as KafkaClient } from 'kafkajs';
import { startBroker } from '../../../src/broker/broker.ts';
import type { Broker } from '../../../src/broker/broker.ts';
import { groupCoordinatorLoaded } from '../../../src/broker/group/index.ts';

const { Kafka, logLevel } = kafkajs;

async function consumeAll(kafka: KafkaClient, topic: string, readUncommitted: boolean, expected: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `g-${Math.random().toString(36).slice(2)}`, readUncommitted, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.run({
    eachMessage: async ({ message }) => {
      values.push(message.value!.toString());
      if (values.length >= expected) done();
    },
  });
  // The consumer must reach the end: wait for the expected count, then a little more
  // to catch anything that should not be there.
  await Promise.race([finished, new Promise((r) => setTimeout(r, 15000))]);
  await new Promise((r) => setTimeout(r, 500));
  await consumer.disconnect();
  return values;
}

describe('transactions with kafkajs', () => {
  let dir: string;
  let broker: Broker;
  let kafka: KafkaClient;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-txn-kjs-'));
    broker = await startBroker({
      config: { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dir, 'offsets.topic.num.partitions': 3, 'transaction.state.log.num.partitions': 5, 'group.initial.rebalance.delay.ms': 0 },
      log: () => {},
    });
    await groupCoordinatorLoaded(broker);
    kafka = new Kafka({ brokers: [broker.bootstrapServers], clientId: 'txn-test', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kjs', numPartitions: 2 }, { topic: 'kjs-fence' }, { topic: 'kjs-in' }, { topic: 'kjs-out' }] });
    await admin.disconnect();
  });
  after(async () => {
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('commit and abort', async () => {
    const producer = kafka.producer({ transactionalId: 'kjs-tx', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    let tx = await producer.transaction();
    await tx.send({ topic: 'kjs', messages: [{ key: 'a', value: 'c-1' }, { key: 'b', value: 'c-2' }] });
    await tx.commit();
    tx = await producer.transaction();
    await tx.send({ topic: 'kjs', messages: [{ key: 'a', value: 'x-1' }, { key: 'b', value: 'x-2' }] });
    await tx.abort();
    tx = await producer.transaction();
    await tx.send({ topic: 'kjs', messages: [{ key: 'a', value: 'c-3' }] });
    await tx.commit();
    await producer.disconnect();
    const committed = await consumeAll(kafka, 'kjs', false, 3);
    assert.deepEqual(committed.sort(), ['c-1', 'c-2', 'c-3']);
    const all = await consumeAll(kafka, 'kjs', true, 5);
    assert.deepEqual(all.sort(), ['c-1', 'c-2', 'c-3', 'x-1', 'x-2']);
  });

  it('fences a zombie producer', async () => {
    const p1 = kafka.producer({ transactionalId: 'kjs-fence-tx', maxInFlightRequests: 1, idempotent: true, retry: { retries: 1 } });
    await p1.connect();
    const t1 = await p1.transaction();
    await t1.send({ topic: 'kjs-fence', messages: [{ value: 'zombie' }] });
    const p2 = kafka.producer({ transactionalId: 'kjs-fence-tx', maxInFlightRequests: 1, idempotent: true });
    await p2.connect();
    const t2 = await p2.transaction(); // InitProducerId: fences p1 and aborts its transaction
    await assert.rejects(t1.commit(), (e: Error) => /fenced|epoch/i.test(`${e.name} ${e.message} ${(e as any).type ?? ''}`));
    await t2.send({ topic: 'kjs-fence', messages: [{ value: 'winner' }] });
    await t2.commit();
    await p1.disconnect().catch(() => {});
    await p2.disconnect();
    assert.deepEqual(await consumeAll(kafka, 'kjs-fence', false, 1), ['winner']);
  });

  it('sendOffsets commits the group offsets with the transaction', async () => {
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: 'kjs-in', messages: [{ value: 'i-0' }, { value: 'i-1' }, { value: 'i-2' }] });
    await plain.disconnect();
    const producer = kafka.producer({ transactionalId: 'kjs-ctp', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    let tx = await producer.transaction();
    await tx.send({ topic: 'kjs-out', messages: [{ value: 'o-aborted' }] });
    await tx.sendOffsets({ consumerGroupId: 'kjs-ctp-group', topics: [{ topic: 'kjs-in', partitions: [{ partition: 0, offset: '1' }] }] });
    await tx.abort();
    tx = await producer.transaction();
    await tx.send({ topic: 'kjs-out', messages: [{ value: 'o-0' }, { value: 'o-1' }, { value: 'o-2' }] });
    await tx.sendOffsets({ consumerGroupId: 'kjs-ctp-group', topics: [{ topic: 'kjs-in', partitions: [{ partition: 0, offset: '3' }] }] });
    await tx.commit();
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'kjs-ctp-group', topics: ['kjs-in'] });
    await admin.disconnect();
    assert.equal(offsets[0]!.partitions[0]!.offset, '3');
    assert.deepEqual(await consumeAll(kafka, 'kjs-out', false, 3), ['o-0', 'o-1', 'o-2']);
  });
});
