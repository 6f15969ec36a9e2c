/**
 * Real admin clients against an in-process broker: kafkajs, @platformatic/kafka,
 * confluent-kafka-python (librdkafka) and kafka-python. A missing client fails
 * the test.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { Admin } from '@platformatic/kafka';
import { ConfigSource } from '../../../src/broker/config/broker-config.ts';
import { TOPIC_CONFIG_DEFS } from '../../../src/broker/config/topic-config-defs.ts';
import { BROKER_CONFIG_DEFS } from '../../../src/broker/config/broker-config-defs.ts';
import { ErrorCode } from '../../../src/protocol/errors/index.ts';
import { runPython, startAdminBroker } from './admin-helpers.ts';
import type { AdminTestBroker } from './admin-helpers.ts';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;
let b: AdminTestBroker;

before(async () => {
  b = await startAdminBroker();
});
after(async () => {
  await b.close();
});

async function rejects(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}

test('kafkajs admin: createTopics, fetchTopicMetadata, describeConfigs, alterConfigs, createPartitions, deleteTopics', { timeout: 60_000 }, async () => {
  const admin = new Kafka({ clientId: 'kjs-admin', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  await admin.connect();
  try {
    assert.equal(await admin.createTopics({
      topics: [
        { topic: 'kjs-a', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
        { topic: 'kjs-b', replicaAssignment: [{ partition: 0, replicas: [1] }, { partition: 1, replicas: [1] }] },
      ],
    }), true);
    // kafkajs swallows TOPIC_ALREADY_EXISTS and reports false.
    assert.equal(await admin.createTopics({ topics: [{ topic: 'kjs-a' }] }), false);
    const bad = await rejects(admin.createTopics({ topics: [{ topic: 'kjs-c', configEntries: [{ name: 'cleanup.policy', value: 'burn' }] }] }));
    assert.equal(bad.errors?.[0]?.type ?? bad.type, 'INVALID_CONFIG');
    // waitForLeaders would wait for a topic that validate_only never creates (so it would with Kafka too).
    assert.equal(await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: 'kjs-vo' }] }), true);

    const md = await admin.fetchTopicMetadata({ topics: ['kjs-a', 'kjs-b'] });
    assert.deepEqual(md.topics.map((t) => [t.name, t.partitions.length]).sort(), [['kjs-a', 3], ['kjs-b', 2]]);
    assert.ok(!(await admin.listTopics()).includes('kjs-vo'));

    const dc = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-a' }] });
    const entries = new Map(dc.resources[0]!.configEntries.map((e) => [e.configName, e]));
    assert.equal(entries.size, TOPIC_CONFIG_DEFS.length);
    assert.equal(entries.get('retention.ms')!.configValue, '3600000');
    assert.equal(entries.get('retention.ms')!.configSource, ConfigSource.TOPIC_CONFIG);
    assert.equal(entries.get('cleanup.policy')!.configValue, 'delete');
    assert.equal(entries.get('cleanup.policy')!.isDefault, true);

    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-a', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    const after1 = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-a', configNames: ['cleanup.policy', 'retention.ms'] }] });
    assert.deepEqual(after1.resources[0]!.configEntries.map((e) => [e.configName, e.configValue, e.configSource]).sort(), [
      ['cleanup.policy', 'compact', ConfigSource.TOPIC_CONFIG],
      ['retention.ms', '604800000', ConfigSource.DEFAULT_CONFIG],
    ]);
    const badAlter = await rejects(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-a', configEntries: [{ name: 'retention.ms', value: 'never' }] }] }));
    assert.match(String(badAlter.message), /retention\.ms|configuration/i);

    const brokerCfg = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1' }] });
    assert.equal(brokerCfg.resources[0]!.configEntries.length, BROKER_CONFIG_DEFS.length);
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [{ name: 'num.partitions', value: '2' }] }] });
    assert.equal(b.broker.config.int('num.partitions'), 2);
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [] }] });
    assert.equal(b.broker.config.int('num.partitions'), 1);

    await admin.createPartitions({ topicPartitions: [{ topic: 'kjs-a', count: 5 }] });
    assert.equal((await admin.fetchTopicMetadata({ topics: ['kjs-a'] })).topics[0]!.partitions.length, 5);
    const badParts = await rejects(admin.createPartitions({ topicPartitions: [{ topic: 'kjs-a', count: 4 }] }));
    assert.match(String(badParts.message), /partition/i);

    await admin.deleteTopics({ topics: ['kjs-a', 'kjs-b'] });
    const left = await admin.listTopics();
    assert.ok(!left.includes('kjs-a') && !left.includes('kjs-b'));
    const missing = await rejects(admin.deleteTopics({ topics: ['kjs-missing'] }));
    assert.ok(missing, 'deleting an unknown topic fails');
  } finally {
    await admin.disconnect();
  }
});

test('@platformatic/kafka Admin: topics, partitions, describe/alter/incrementalAlter configs (newest versions)', { timeout: 60_000 }, async () => {
  const admin = new Admin({ clientId: 'plt-admin', bootstrapBrokers: [b.bootstrap], retries: 0 });
  try {
    const created = await admin.createTopics({ topics: ['plt-a'], partitions: 2, replicas: 1, configs: [{ name: 'segment.ms', value: '3600000' }] });
    assert.equal(created.length, 1);
    assert.equal(created[0]!.name, 'plt-a');
    assert.equal(created[0]!.partitions, 2);
    assert.equal(created[0]!.replicas, 1);
    // @platformatic/kafka prints topic ids as UUIDs.
    const hex = Buffer.from(b.broker.topics.get('plt-a')!.topicId, 'base64url').toString('hex');
    assert.equal(created[0]!.id, `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`);
    assert.equal(created[0]!.configuration['segment.ms'], '3600000');
    assert.equal(created[0]!.configuration['retention.ms'], '604800000');
    const dup = await rejects(admin.createTopics({ topics: ['plt-a'], partitions: 1, replicas: 1 }));
    assert.match(JSON.stringify(dup, Object.getOwnPropertyNames(dup)) + String(dup.errors?.map((e: any) => JSON.stringify(e, Object.getOwnPropertyNames(e)))), /36|already exists/);

    const desc = await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: 'plt-a' }], includeSynonyms: true, includeDocumentation: true });
    const e = new Map(desc[0]!.configs.map((x) => [x.name, x]));
    assert.equal(e.get('segment.ms')!.value, '3600000');
    assert.equal(e.get('segment.ms')!.configSource, ConfigSource.TOPIC_CONFIG);
    assert.ok(e.get('segment.ms')!.documentation);
    assert.deepEqual(e.get('segment.ms')!.synonyms.map((s) => s.name), ['segment.ms', 'log.roll.hours']);

    await admin.incrementalAlterConfigs({ resources: [{ resourceType: 2, resourceName: 'plt-a', configs: [
      { name: 'cleanup.policy', configOperation: 2, value: 'compact' },
      { name: 'segment.ms', configOperation: 1 },
    ] }] });
    assert.deepEqual(b.broker.topics.get('plt-a')!.configs, { 'cleanup.policy': 'delete,compact' });
    // @platformatic/kafka routes BROKER resources to the broker named, so use the node id.
    await admin.incrementalAlterConfigs({ resources: [{ resourceType: 4, resourceName: '1', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '120000' }] }] });
    assert.equal(b.broker.logs.getLog('plt-a', 0)!.config['retention.ms'], 120000);
    const node = await admin.describeConfigs({ resources: [{ resourceType: 4, resourceName: '1', configurationKeys: ['log.retention.ms'] }] });
    assert.deepEqual(node[0]!.configs.map((x) => [x.name, x.value, x.configSource]), [['log.retention.ms', '120000', ConfigSource.DYNAMIC_BROKER_CONFIG]]);
    await admin.alterConfigs({ resources: [{ resourceType: 4, resourceName: '1', configs: [] }] });
    assert.equal(b.broker.logs.getLog('plt-a', 0)!.config['retention.ms'], 604800000);
    const readOnly = await rejects(admin.incrementalAlterConfigs({ resources: [{ resourceType: 4, resourceName: '1', configs: [{ name: 'log.dirs', configOperation: 0, value: '/x' }] }] }));
    // INVALID_REQUEST, which @platformatic/kafka reports with Kafka's default message for code 42.
    assert.match(readOnly.errors[0].errors[0].message, /request being malformed/);
    assert.deepEqual([...b.broker.config.dynamicBrokerConfigs()], []);

    await admin.createPartitions({ topics: [{ name: 'plt-a', count: 4 }] });
    assert.equal(b.broker.topics.get('plt-a')!.partitions, 4);
    await admin.deleteTopics({ topics: ['plt-a'] });
    assert.equal(b.broker.topics.get('plt-a'), undefined);
    assert.ok(!(await admin.listTopics()).includes('plt-a'));
  } finally {
    await admin.close();
  }
});

test('confluent-kafka-python AdminClient (librdkafka)', { timeout: 120_000 }, async () => {
  const r = await runPython('admin_confluent.py', [b.bootstrap, 'cf-']);
  assert.deepEqual(r.create, { 'cf-a': { ok: true }, 'cf-assigned': { ok: true }, 'cf-default': { ok: true } });
  assert.deepEqual(Object.fromEntries(Object.entries(r.create_errors).map(([t, o]: [string, any]) => [t, o.code])), {
    'cf-a': ErrorCode.TOPIC_ALREADY_EXISTS,
    'cf-badcfg': ErrorCode.INVALID_CONFIG,
    'cf-rf': ErrorCode.INVALID_REPLICATION_FACTOR,
    'cf-other-broker': ErrorCode.INVALID_REPLICA_ASSIGNMENT,
    'cf-bad name': ErrorCode.INVALID_TOPIC_EXCEPTION,
  });
  assert.equal(r.create_errors['cf-badcfg'].message, 'Invalid value forever for configuration retention.ms: Not a number of type LONG');
  assert.deepEqual(r.create_validate_only, { 'cf-vo': { ok: true } });
  assert.deepEqual(r.partitions, { 'cf-a': 3, 'cf-assigned': 2, 'cf-default': 1 });

  const topic = r.describe['cf-a'].entries;
  assert.equal(Object.keys(topic).length, TOPIC_CONFIG_DEFS.length);
  assert.deepEqual(topic['retention.ms'], {
    value: '3600000', source: ConfigSource.TOPIC_CONFIG, read_only: false, default: false, sensitive: false,
    synonyms: [['retention.ms', '3600000', ConfigSource.TOPIC_CONFIG], ['log.retention.hours', '168', ConfigSource.DEFAULT_CONFIG]],
  });
  assert.equal(topic['cleanup.policy'].value, 'compact');
  assert.equal(Object.keys(r.describe['1'].entries).length, BROKER_CONFIG_DEFS.length);
  assert.equal(r.describe['1'].entries['log.retention.hours'].read_only, true);
  assert.equal(r.describe['cf-missing'].code, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

  assert.deepEqual(r.alter_topic, [true]);
  assert.deepEqual(r.alter_broker, [true]);
  assert.equal(r.alter_broker_readonly[0].code, ErrorCode.INVALID_REQUEST);
  assert.equal(r.alter_broker_readonly[0].message, 'Cannot update these configs dynamically: [log.dirs]');
  assert.equal(r.alter_topic_invalid[0].code, ErrorCode.INVALID_CONFIG);
  // Legacy AlterConfigs replaced the topic's overrides: cleanup.policy is back to the default.
  assert.equal(r.describe_after['cf-a'].entries['retention.ms'].value, '7200000');
  assert.equal(r.describe_after['cf-a'].entries['cleanup.policy'].source, ConfigSource.DEFAULT_CONFIG);
  // The per-broker dynamic log.retention.ms reached topics without an override.
  assert.equal(r.describe_after['cf-default'].entries['retention.ms'].value, '86400000');
  assert.equal(r.describe_after['cf-default'].entries['retention.ms'].source, ConfigSource.DYNAMIC_BROKER_CONFIG);
  assert.deepEqual(r.alter_broker_reset, [true]);
  assert.deepEqual([...b.broker.config.dynamicBrokerConfigs()], []);

  assert.deepEqual(r.create_partitions, { 'cf-a': true });
  assert.equal(r.create_partitions_errors['cf-a'].code, ErrorCode.INVALID_PARTITIONS);
  assert.equal(r.create_partitions_errors['cf-missing'].code, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(r.partitions_after, 5);
  assert.deepEqual(r.delete['cf-a'], { ok: true });
  assert.deepEqual(r.delete['cf-assigned'], { ok: true });
  assert.equal(r.delete['cf-missing'].code, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.deepEqual(r.topics_left, ['cf-default']);
});

test('kafka-python KafkaAdminClient', { timeout: 120_000 }, async () => {
  const r = await runPython('admin_kafka_python.py', [b.bootstrap, 'kp-']);
  // kafka-python 2.0.2 negotiates these versions.
  assert.deepEqual(r.api_versions, { 19: 3, 20: 3, 32: 2, 33: 1, 37: 1 });
  assert.deepEqual(r.create, { ok: true, result: [['kp-a', 0, null], ['kp-b', 0, null]] });
  assert.equal(r.create_exists.errno, ErrorCode.TOPIC_ALREADY_EXISTS);
  assert.equal(r.create_bad_config.errno, ErrorCode.INVALID_CONFIG);
  assert.match(r.create_bad_config.message, /Unknown topic config name: nope/);
  assert.deepEqual(r.create_validate_only, { ok: true, result: [['kp-vo', 0, null]] });
  assert.deepEqual(r.create_assigned, { ok: true, result: [['kp-assigned', 0, null]] });
  assert.deepEqual(r.topics, ['kp-a', 'kp-assigned', 'kp-b']);

  // Entries: [value, read_only, source, is_sensitive, synonyms].
  const topic = r.describe['kp-a'];
  assert.equal(topic.code, 0);
  assert.deepEqual(topic.entries['retention.ms'], ['3600000', false, ConfigSource.TOPIC_CONFIG, false, [['retention.ms', '3600000', 1], ['log.retention.hours', '168', 5]]]);
  assert.equal(r.describe['1'].code, 0);
  assert.equal(Object.keys(r.describe['1'].entries).length, BROKER_CONFIG_DEFS.length);
  assert.equal(r.describe_missing['kp-missing'].code, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

  assert.deepEqual(r.alter, [[0, null, 2, 'kp-b']]);
  assert.deepEqual(r.alter_invalid, [[ErrorCode.INVALID_CONFIG, 'Invalid value -5 for configuration segment.bytes: Value must be at least 14', 2, 'kp-b']]);
  assert.deepEqual(r.alter_broker, [[0, null, 4, '1']]);
  assert.deepEqual(r.describe_after['kp-b'].entries['cleanup.policy'].slice(0, 3), ['compact', false, ConfigSource.TOPIC_CONFIG]);
  assert.deepEqual(r.describe_after['1'].entries['num.partitions'].slice(0, 3), ['2', false, ConfigSource.DYNAMIC_BROKER_CONFIG]);
  assert.deepEqual(r.alter_broker_reset, [[0, null, 4, '1']]);

  assert.deepEqual(r.create_partitions, { ok: true, result: [['kp-a', 0, null]] });
  assert.equal(r.create_partitions_same.errno, ErrorCode.INVALID_PARTITIONS);
  assert.deepEqual(r.partitions, { 'kp-a': 4, 'kp-b': 1 });
  assert.deepEqual(r.delete, { ok: true, result: [['kp-a', 0], ['kp-b', 0]] });
  assert.equal(r.delete_missing.errno, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.deepEqual(r.topics_after, ['kp-assigned']);
});
