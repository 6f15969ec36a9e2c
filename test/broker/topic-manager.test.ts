import { test } from 'node:test';
import assert from 'node:assert/strict';

test('a topic operation creating more than 10,000 partitions is refused (POLICY_VIOLATION)', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { startBroker } = await import('../../src/broker/broker.ts');
  const { TopicError } = await import('../../src/broker/topic-manager.ts');
  const dir = mkdtempSync(join(tmpdir(), 'samsa-partition-cap-'));
  const broker = await startBroker({ config: { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dir }, log: () => {} });
  try {
    assert.throws(() => broker.topics.create('huge', { partitions: 10_001 }), (e: unknown) => e instanceof TopicError && e.code === 44);
    broker.topics.create('small', { partitions: 1 });
    assert.throws(() => broker.topics.addPartitions('small', 10_002), (e: unknown) => e instanceof TopicError && e.code === 44);
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a topic metadata write that fails (full disk) fails the request with KAFKA_STORAGE_ERROR and changes nothing (kafkajs admin)', async () => {
  const { mkdirSync, mkdtempSync, rmSync, readFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const kafkajs = (await import('kafkajs')).default;
  const { startBroker } = await import('../../src/broker/broker.ts');
  const dir = mkdtempSync(join(tmpdir(), 'samsa-metadata-write-'));
  const broker = await startBroker({ config: { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dir }, log: () => {} });
  const admin = new kafkajs.Kafka({ clientId: 'metadata-write', brokers: [broker.bootstrapServers], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 0 } }).admin();
  await admin.connect();
  const onDisk = (): string[] => (JSON.parse(readFileSync(join(dir, 'samsa-metadata.json'), 'utf8')) as { topics: { name: string }[] }).topics.map((t) => t.name).sort();
  try {
    await admin.createTopics({ topics: [{ topic: 'keep', numPartitions: 2 }] });
    // The file is written aside and renamed: a directory in the way makes every write fail, as a full disk would.
    const blocker = join(dir, 'samsa-metadata.json.tmp');
    mkdirSync(blocker);
    const storageError = (e: unknown): boolean => {
      const errors = (e as { errors?: { type?: string }[]; type?: string }).errors;
      const types = errors ? errors.map((x) => x.type) : [(e as { type?: string }).type];
      return types.includes('KAFKA_STORAGE_ERROR');
    };
    await assert.rejects(admin.deleteTopics({ topics: ['keep'], timeout: 5000 }), (e: unknown) => storageError(e) || assert.fail(String(e)));
    await assert.rejects(admin.createTopics({ topics: [{ topic: 'new', numPartitions: 1 }] }), (e: unknown) => storageError(e) || assert.fail(String(e)));
    await assert.rejects(admin.createPartitions({ topicPartitions: [{ topic: 'keep', count: 3 }] }), (e: unknown) => storageError(e) || assert.fail(String(e)));
    // Nothing changed, in memory or on disk.
    assert.deepEqual((await admin.listTopics()).filter((t) => !t.startsWith('__')).sort(), ['keep']);
    assert.equal((await admin.fetchTopicMetadata({ topics: ['keep'] })).topics[0]!.partitions.length, 2);
    assert.deepEqual(onDisk(), ['keep']);
    // Space again: the same requests succeed.
    rmSync(blocker, { recursive: true });
    await admin.createPartitions({ topicPartitions: [{ topic: 'keep', count: 3 }] });
    await admin.deleteTopics({ topics: ['keep'], timeout: 5000 });
    assert.deepEqual(onDisk(), []);
  } finally {
    await admin.disconnect();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
