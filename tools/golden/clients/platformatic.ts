/**
 * @platformatic/kafka scenarios for golden capture: `node platformatic.ts <host:port> <producer|consumer|admin>`.
 * Errors are expected (the broker may lack an API); what matters is what is sent.
 */
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';

const [bootstrap = '127.0.0.1:9092', scenario = 'producer'] = process.argv.slice(2);
const common = { bootstrapBrokers: [bootstrap], retries: 1, retryDelay: 100, timeout: 2000, connectTimeout: 1000 };
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
  for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    const producer = new Producer({ ...common, clientId: 'golden-platformatic', serializers: stringSerializers, compression, autocreateTopics: true });
    await attempt(`send ${compression}`, () =>
      producer.send({
        messages: [
          { topic, key: 'k1', value: `hello ${compression}`, headers: new Map([['h', 'v']]) },
          { topic, key: 'k2', value: 'second' },
        ],
      }),
    );
    await attempt('close', () => producer.close());
  }
  const idem = new Producer({ ...common, clientId: 'golden-platformatic-idem', serializers: stringSerializers, idempotent: true });
  await attempt('send idempotent', () => idem.send({ messages: [{ topic, key: 'k', value: 'idempotent' }] }));
  await attempt('close', () => idem.close());
} else if (scenario === 'consumer') {
  const consumer = new Consumer({ ...common, clientId: 'golden-platformatic', groupId: 'golden-platformatic-group', deserializers: stringDeserializers, sessionTimeout: 6000, heartbeatInterval: 500 });
  await attempt('consume', async () => {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: true, maxWaitTime: 500 });
    stream.on('data', () => {});
    await new Promise((r) => setTimeout(r, 3000));
    await stream.close();
  });
  await attempt('close', () => consumer.close(true));
} else {
  const admin = new Admin({ ...common, clientId: 'golden-platformatic-admin' });
  await attempt('createTopics', () => admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 }));
  await attempt('listTopics', () => admin.listTopics());
  await attempt('metadata', () => admin.metadata({ topics: [topic] }));
  await attempt('listGroups', () => admin.listGroups());
  await attempt('describeGroups', () => admin.describeGroups({ groups: ['golden-platformatic-group'] }));
  await attempt('describeConfigs', () => admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: topic }] }));
  await attempt('createPartitions', () => admin.createPartitions({ topics: [{ name: topic, count: 2 }] }));
  await attempt('deleteTopics', () => admin.deleteTopics({ topics: ['golden-doomed'] }));
  await attempt('close', () => admin.close());
}
process.exit(0);
