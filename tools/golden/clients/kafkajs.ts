/**
 * kafkajs scenarios for golden capture: `node kafkajs.ts <host:port> <producer|idempotent|transaction|consumer|admin>`.
 * Errors are expected (the broker may lack an API); what matters is what is sent.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Kafka, CompressionTypes, logLevel } = require('kafkajs');

const [bootstrap = '127.0.0.1:9092', scenario = 'producer'] = process.argv.slice(2);
const kafka = new Kafka({
  clientId: 'golden-kafkajs',
  brokers: [bootstrap],
  logLevel: logLevel.NOTHING,
  retry: { retries: 1, initialRetryTime: 100 },
  connectionTimeout: 1000,
  requestTimeout: 2000,
});
const topic = 'golden';

async function attempt(what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
    console.log(`${what}: ok`);
  } catch (e) {
    console.log(`${what}: ${(e as Error).message}`);
  }
}

if (scenario === 'producer') {
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await attempt('connect', () => producer.connect());
  for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
    await attempt(`send ${compression}`, () =>
      producer.send({
        topic,
        compression,
        messages: [
          { key: 'k1', value: 'hello golden', headers: { h: 'v' } },
          { key: null, value: 'second' },
          { value: 'third', timestamp: '1700000000000' },
        ],
      }),
    );
  }
  await attempt('disconnect', () => producer.disconnect());
} else if (scenario === 'idempotent') {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await attempt('connect', () => producer.connect());
  await attempt('send', () => producer.send({ topic, messages: [{ key: 'k', value: 'idempotent' }] }));
  await attempt('disconnect', () => producer.disconnect());
} else if (scenario === 'transaction') {
  const producer = kafka.producer({ transactionalId: 'golden-kafkajs-txn', idempotent: true, maxInFlightRequests: 1 });
  await attempt('connect', () => producer.connect());
  await attempt('commit', async () => {
    const txn = await producer.transaction();
    await txn.send({ topic, messages: [{ key: 'k', value: 'in a transaction' }] });
    await txn.sendOffsets({ consumerGroupId: 'golden-kafkajs-group', topics: [{ topic, partitions: [{ partition: 0, offset: '1' }] }] });
    await txn.commit();
  });
  await attempt('abort', async () => {
    const txn = await producer.transaction();
    await txn.send({ topic, messages: [{ value: 'aborted' }] });
    await txn.abort();
  });
  await attempt('disconnect', () => producer.disconnect());
} else if (scenario === 'consumer') {
  const consumer = kafka.consumer({ groupId: 'golden-kafkajs-group', sessionTimeout: 6000, heartbeatInterval: 500 });
  await attempt('connect', () => consumer.connect());
  await attempt('subscribe', () => consumer.subscribe({ topic, fromBeginning: true }));
  await attempt('run', () => consumer.run({ eachMessage: async () => {} }));
  await new Promise((r) => setTimeout(r, 3000));
  await attempt('disconnect', () => consumer.disconnect());
} else {
  const admin = kafka.admin();
  await attempt('connect', () => admin.connect());
  await attempt('createTopics', () => admin.createTopics({ topics: [{ topic, numPartitions: 1 }], timeout: 1000 }));
  await attempt('listTopics', () => admin.listTopics());
  await attempt('fetchTopicMetadata', () => admin.fetchTopicMetadata({ topics: [topic] }));
  await attempt('describeCluster', () => admin.describeCluster());
  await attempt('fetchTopicOffsets', () => admin.fetchTopicOffsets(topic));
  await attempt('describeConfigs', () => admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic }] }));
  await attempt('listGroups', () => admin.listGroups());
  await attempt('describeGroups', () => admin.describeGroups(['golden-kafkajs-group']));
  await attempt('fetchOffsets', () => admin.fetchOffsets({ groupId: 'golden-kafkajs-group', topics: [topic] }));
  await attempt('createPartitions', () => admin.createPartitions({ topicPartitions: [{ topic, count: 2 }] }));
  await attempt('deleteTopicRecords', () => admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '1' }] }));
  await attempt('describeAcls', () => admin.describeAcls({ resourceType: 2, resourcePatternType: 1, operation: 1, permissionType: 1 }));
  await attempt('deleteGroups', () => admin.deleteGroups(['golden-doomed-group']));
  await attempt('deleteTopics', () => admin.deleteTopics({ topics: ['golden-doomed'], timeout: 1000 }));
  await attempt('disconnect', () => admin.disconnect());
}
process.exit(0);
