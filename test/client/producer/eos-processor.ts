/**
 * A consume-transform-produce process with Samsa's client, for the exactly-once
 * test: reads `in` (read_committed, group member with a static instance id),
 * writes `out` in transactions of up to TXN_SIZE records, each with the consumed
 * offsets (sendOffsetsToTransaction), the output record on the input's partition.
 *
 * usage: node eos-processor.ts BOOTSTRAP IN OUT GROUP TXN_ID INCARNATION TOTAL TXN_SIZE
 *
 * Output values are `<input value>|<incarnation>.<transaction number>`, so a record
 * of an aborted transaction can be told from its committed twin. Prints
 * `sent N` once a transaction's records are written (flushed, not yet committed),
 * `committed N` after the commit, `done` when the group's committed offsets reach
 * TOTAL, and `error …` lines for failures it recovered from (abort, rewind).
 */
import { Consumer } from '../../../src/client/consumer/index.ts';
import type { ConsumerRecord } from '../../../src/client/consumer/index.ts';
import { Producer } from '../../../src/client/producer/index.ts';

const [bootstrap, inTopic, outTopic, group, txnId, incarnation, totalArg, txnSizeArg] = process.argv.slice(2);
const total = Number(totalArg);
const txnSize = Number(txnSizeArg);
const say = (line: string): void => {
  process.stdout.write(line + '\n');
};

const consumer = new Consumer<string, string>({
  'bootstrap.servers': bootstrap!,
  'group.id': group!,
  'group.instance.id': `${group}-member`,
  'session.timeout.ms': 10_000,
  'isolation.level': 'read_committed',
  'enable.auto.commit': false,
  'auto.offset.reset': 'earliest',
  'max.poll.records': txnSize,
  'key.deserializer': 'string',
  'value.deserializer': 'string',
});
const producer = new Producer<string, string>({
  'bootstrap.servers': bootstrap!,
  'transactional.id': txnId!,
  'transaction.timeout.ms': 20_000,
  'key.serializer': 'string',
  'value.serializer': 'string',
  'linger.ms': 5,
});

/** Rewinds every assigned partition to the group's committed offset (after an abort). */
async function rewind(): Promise<void> {
  const parts = consumer.assignment();
  const committed = await consumer.committed(parts);
  parts.forEach((tp, i) => {
    const c = committed[i];
    if (c) consumer.seek(tp, c.offset);
    else consumer.seekToBeginning([tp]);
  });
}

async function committedTotal(): Promise<number> {
  const parts = (await consumer.partitionsFor(inTopic!)).map((p) => ({ topic: inTopic!, partition: p.partition }));
  const committed = await consumer.committed(parts);
  return committed.reduce((s, c) => s + Number(c?.offset ?? 0n), 0);
}

async function main(): Promise<void> {
  await producer.initTransactions();
  consumer.subscribe([inTopic!]);
  let txn = 0;
  let idlePolls = 0;
  for (;;) {
    const batch: ConsumerRecord<string, string>[] = [];
    while (batch.length < txnSize) {
      const recs = await consumer.poll(batch.length === 0 ? 500 : 100);
      for (const r of recs) batch.push(r);
      if (recs.count === 0) break;
    }
    if (batch.length === 0) {
      if (++idlePolls % 4 === 0 && (await committedTotal()) >= total) break;
      continue;
    }
    idlePolls = 0;
    txn++;
    try {
      producer.beginTransaction();
      const next = new Map<string, { topic: string; partition: number; offset: bigint; leaderEpoch: number | null }>();
      for (const r of batch) {
        producer.send({ topic: outTopic!, partition: r.partition, key: r.key, value: `${r.value}|${incarnation}.${txn}` });
        next.set(`${r.topic}:${r.partition}`, { topic: r.topic, partition: r.partition, offset: r.offset + 1n, leaderEpoch: r.leaderEpoch });
      }
      await producer.flush();
      say(`sent ${txn} ${batch.length}`);
      // "Processing time" between writing and committing: the test's kill lands here.
      await new Promise((r) => setTimeout(r, 25));
      await producer.sendOffsetsToTransaction([...next.values()], consumer.groupMetadata());
      await producer.commitTransaction();
      say(`committed ${txn} ${batch.length}`);
    } catch (err) {
      const e = err as Error & { abortable?: boolean; code?: number };
      say(`error txn ${txn}: ${e.name}: ${e.message}`);
      if (producer.transactionState === 'FATAL_ERROR') throw err;
      await producer.abortTransaction();
      await rewind();
    }
  }
  say('done');
  await consumer.close();
  await producer.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    say(`fatal ${(err as Error).stack ?? String(err)}`);
    process.exit(2);
  },
);
