/**
 * A Samsa consumer with group.protocol=consumer (KIP-848) in its own process, for
 * kill -9 in test/client/consumer/kip848.test.ts. One JSON object per stdout line:
 * {type:'assigned', partitions} after each change of assignment, {type:'record',
 * partition, offset} after the record's batch is committed (commitSync).
 *
 * Usage: node kip848-member.ts BOOTSTRAP GROUP TOPIC
 */
import { Consumer } from '../../../src/client/consumer/index.ts';
import type { TopicPartition } from '../../../src/client/consumer/types.ts';

const [bootstrap, group, topic] = process.argv.slice(2) as [string, string, string];

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

const c = new Consumer({
  'bootstrap.servers': bootstrap,
  'group.id': group,
  'group.protocol': 'consumer',
  'client.id': 'kip848-child',
  'auto.offset.reset': 'earliest',
  'enable.auto.commit': false,
  'fetch.max.wait.ms': 100,
});
const report = (): void => emit({ type: 'assigned', partitions: c.assignment().map((tp: TopicPartition) => tp.partition) });
c.subscribe([topic], { onPartitionsAssigned: report, onPartitionsRevoked: report, onPartitionsLost: report });
process.on('SIGTERM', () => {
  void c.close().then(() => process.exit(0));
});
await c.consume({
  pollTimeoutMs: 100,
  eachBatch: async (records) => {
    await c.commitSync();
    for (const r of records) emit({ type: 'record', partition: r.partition, offset: Number(r.offset) });
  },
});
