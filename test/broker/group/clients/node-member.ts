/**
 * One consumer-group member with kafkajs or @platformatic/kafka, driven by the group
 * tests (the same stdout protocol as group_member.py: one JSON object per line).
 *
 * Usage: node node-member.ts --client kafkajs|platformatic --bootstrap H:P --topic T
 *          --group G [--session-ms N] [--client-id C]
 * Every record's offset is committed (offset + 1) before the record is reported.
 * SIGTERM disconnects (leaving the group) and exits 0.
 */
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({
  options: {
    client: { type: 'string' },
    bootstrap: { type: 'string' },
    topic: { type: 'string' },
    group: { type: 'string' },
    'session-ms': { type: 'string', default: '6000' },
    'client-id': { type: 'string', default: 'group-member' },
  },
});

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

const topic = a.topic!;
const sessionMs = Number(a['session-ms']);
let stop: (() => Promise<void>) | null = null;
let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void (stop ? stop() : Promise.resolve()).then(
    () => {
      emit({ type: 'closed' });
      process.exit(0);
    },
    (e: unknown) => {
      emit({ type: 'error', message: String((e as Error)?.stack ?? e) });
      process.exit(1);
    },
  );
});

async function runKafkajs(): Promise<void> {
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({ clientId: a['client-id'], brokers: [a.bootstrap!], logLevel: logLevel.NOTHING, retry: { retries: 20 } });
  const consumer = kafka.consumer({ groupId: a.group!, sessionTimeout: sessionMs, heartbeatInterval: 1000, rebalanceTimeout: 30_000, maxWaitTimeInMs: 300 });
  emit({ type: 'started', client: 'kafkajs' });
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    const assignment = e.payload.memberAssignment as Record<string, number[]>;
    emit({ type: 'assigned', partitions: [...(assignment[topic] ?? [])].sort((x, y) => x - y), generation: null, memberId: e.payload.memberId });
  });
  consumer.on(consumer.events.CRASH, (e) => emit({ type: 'error', message: String(e.payload.error) }));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  stop = () => consumer.disconnect();
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      await consumer.commitOffsets([{ topic, partition, offset: String(BigInt(message.offset) + 1n) }]);
      emit({ type: 'record', partition, offset: Number(message.offset), value: message.value?.toString('utf8') ?? null });
    },
  });
}

async function runPlatformatic(): Promise<void> {
  const { Consumer } = await import('@platformatic/kafka');
  const consumer = new Consumer({
    clientId: a['client-id']!,
    bootstrapBrokers: [a.bootstrap!],
    groupId: a.group!,
    sessionTimeout: sessionMs,
    heartbeatInterval: 1000,
    rebalanceTimeout: 30_000,
    maxWaitTime: 300,
  });
  emit({ type: 'started', client: '@platformatic/kafka' });
  consumer.on('consumer:group:join', (e: { generationId?: number; memberId?: string; assignments?: { topic: string; partitions: number[] }[] }) => {
    if (!e.assignments) return;
    const mine = e.assignments.filter((x) => x.topic === topic).flatMap((x) => x.partitions);
    emit({ type: 'assigned', partitions: [...mine].sort((x, y) => x - y), generation: e.generationId ?? null, memberId: e.memberId });
  });
  // Resume at the group's committed offsets; earliest where none is committed.
  const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
  stream.on('error', (e: unknown) => emit({ type: 'error', message: String((e as Error)?.stack ?? e) }));
  // Records are handled one at a time: commit, then report.
  stop = async () => {
    await stream.close().catch(() => {});
    await consumer.close(true);
  };
  for await (const m of stream) {
    await m.commit();
    emit({ type: 'record', partition: m.partition, offset: Number(m.offset), value: m.value?.toString('utf8') ?? null });
    if (stopping) break;
  }
}

try {
  if (a.client === 'kafkajs') await runKafkajs();
  else if (a.client === 'platformatic') await runPlatformatic();
  else throw new Error(`unknown --client ${a.client}`);
} catch (e) {
  emit({ type: 'error', message: String((e as Error)?.stack ?? e) });
  process.exit(1);
}
