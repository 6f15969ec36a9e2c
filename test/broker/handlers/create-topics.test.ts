import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTopicsApi, MetadataApi } from '../../../src/protocol/generated/api-keys.ts';
import { ErrorCode } from '../../../src/protocol/errors/index.ts';
import { ConfigSource } from '../../../src/broker/config/broker-config.ts';
import { TOPIC_CONFIG_DEFS } from '../../../src/broker/config/topic-config-defs.ts';
import { AdminRawClient, startAdminBroker } from './admin-helpers.ts';
import type { AdminTestBroker } from './admin-helpers.ts';

const ZERO = 'AAAAAAAAAAAAAAAAAAAAAA';
let b: AdminTestBroker;
let c: AdminRawClient;

before(async () => {
  b = await startAdminBroker({ 'num.partitions': 3, 'log.retention.hours': 2 });
  c = await AdminRawClient.connect(b.bootstrap);
});
after(async () => {
  c.close();
  await b.close();
});

function create(version: number, topics: object[], validateOnly = false) {
  return c.send(CreateTopicsApi, version, { topics: topics as never, timeoutMs: 0, validateOnly });
}

test('every version creates topics; -1 takes the broker defaults', async () => {
  for (let v = 0; v <= 7; v++) {
    const res = await create(v, [{ name: `ct-v${v}`, numPartitions: -1, replicationFactor: -1 }]);
    const r = res.topics[0]!;
    assert.equal(r.errorCode, ErrorCode.NONE, `v${v}: ${r.errorMessage}`);
    const t = b.broker.topics.get(`ct-v${v}`)!;
    assert.equal(t.partitions, 3);
    assert.equal(t.replicationFactor, 1);
    if (v >= 1) assert.equal(r.errorMessage, null);
    if (v >= 5) {
      assert.equal(r.numPartitions, 3);
      assert.equal(r.replicationFactor, 1);
      assert.ok(r.configs !== null && r.configs.length === TOPIC_CONFIG_DEFS.length);
    }
    if (v >= 7) assert.equal(r.topicId, t.topicId);
  }
});

test('v5+ result carries every topic config with its value and source', async () => {
  const res = await create(7, [{ name: 'ct-configs', numPartitions: 2, replicationFactor: 1, configs: [{ name: 'cleanup.policy', value: 'compact' }] }]);
  const r = res.topics[0]!;
  assert.equal(r.errorCode, 0);
  assert.notEqual(r.topicId, ZERO);
  const byName = new Map(r.configs!.map((e) => [e.name, e]));
  assert.deepEqual(byName.get('cleanup.policy'), { name: 'cleanup.policy', value: 'compact', readOnly: false, configSource: ConfigSource.TOPIC_CONFIG, isSensitive: false });
  // log.retention.hours=2 in the static config supplies retention.ms.
  assert.equal(byName.get('retention.ms')!.value, String(2 * 3_600_000));
  assert.equal(byName.get('retention.ms')!.configSource, ConfigSource.STATIC_BROKER_CONFIG);
  assert.equal(byName.get('segment.bytes')!.value, '1073741824');
  assert.equal(byName.get('segment.bytes')!.configSource, ConfigSource.DEFAULT_CONFIG);
  assert.equal(byName.get('flush.ms')!.value, '9223372036854775807');
  assert.equal(byName.get('min.cleanable.dirty.ratio')!.value, '0.5');
  const names = r.configs!.map((e) => e.name);
  assert.deepEqual(names, [...names].sort());
  assert.deepEqual(b.broker.topics.get('ct-configs')!.configs, { 'cleanup.policy': 'compact' });
});

test('errors: exists, invalid name, collision, partitions, replication factor, duplicates', async () => {
  await create(4, [{ name: 'ct.exists', numPartitions: 1, replicationFactor: 1 }]);
  const res = await create(4, [
    { name: 'ct.exists', numPartitions: 1, replicationFactor: 1 },
    { name: 'bad name!', numPartitions: 1, replicationFactor: 1 },
    { name: 'ct_exists', numPartitions: 1, replicationFactor: 1 },
    { name: 'ct-zero-parts', numPartitions: 0, replicationFactor: 1 },
    { name: 'ct-neg-parts', numPartitions: -2, replicationFactor: 1 },
    { name: 'ct-rf0', numPartitions: 1, replicationFactor: 0 },
    { name: 'ct-rf3', numPartitions: 1, replicationFactor: 3 },
    { name: 'ct-dup', numPartitions: 1, replicationFactor: 1 },
    { name: 'ct-dup', numPartitions: 2, replicationFactor: 1 },
    { name: '', numPartitions: 1, replicationFactor: 1 },
    { name: 'x'.repeat(250), numPartitions: 1, replicationFactor: 1 },
  ]);
  const got = res.topics.map((t) => [t.name.slice(0, 20), t.errorCode, t.errorMessage]);
  assert.deepEqual(got, [
    ['ct.exists', ErrorCode.TOPIC_ALREADY_EXISTS, "Topic 'ct.exists' already exists."],
    ['bad name!', ErrorCode.INVALID_TOPIC_EXCEPTION, 'Topic name "bad name!" is illegal, it contains a character other than ASCII alphanumerics, \'.\', \'_\' and \'-\''],
    ['ct_exists', ErrorCode.INVALID_TOPIC_EXCEPTION, "Topic 'ct_exists' collides with existing topic: ct.exists"],
    ['ct-zero-parts', ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.'],
    ['ct-neg-parts', ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.'],
    ['ct-rf0', ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.'],
    ['ct-rf3', ErrorCode.INVALID_REPLICATION_FACTOR, 'Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered.'],
    ['', ErrorCode.INVALID_TOPIC_EXCEPTION, "Topic name is illegal, it can't be empty"],
    ['x'.repeat(20), ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic name is illegal, it can't be longer than 249 characters, topic name: ${'x'.repeat(250)}`],
    ['ct-dup', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
  ]);
  assert.equal(b.broker.topics.get('ct-dup'), undefined);
  // v0 has no error message field; the code is still there.
  const v0 = await create(0, [{ name: 'ct.exists', numPartitions: 1, replicationFactor: 1 }]);
  assert.equal(v0.topics[0]!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
});

test('configs are validated: unknown names, bad values, null values, cross-config', async () => {
  const res = await create(5, [
    { name: 'ct-c1', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'no.such.config', value: '1' }] },
    { name: 'ct-c2', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'retention.ms', value: 'abc' }] },
    { name: 'ct-c3', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'cleanup.policy', value: 'delete,shred' }] },
    { name: 'ct-c4', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'retention.ms', value: null }, { name: 'segment.ms', value: null }] },
    { name: 'ct-c5', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'min.insync.replicas', value: '0' }] },
    { name: 'ct-c6', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'min.compaction.lag.ms', value: '10' }, { name: 'max.compaction.lag.ms', value: '5' }] },
    { name: 'ct-c7', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'compression.type', value: 'brotli' }] },
    { name: 'ct-c8', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'preallocate', value: 'yes' }] },
    { name: 'ct-c9', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'min.cleanable.dirty.ratio', value: '1.5' }] },
  ]);
  assert.deepEqual(res.topics.map((t) => [t.errorCode, t.errorMessage, t.configs]), [
    [ErrorCode.INVALID_CONFIG, 'Unknown topic config name: no.such.config', []],
    [ErrorCode.INVALID_CONFIG, 'Invalid value abc for configuration retention.ms: Not a number of type LONG', []],
    [ErrorCode.INVALID_CONFIG, 'Invalid value delete,shred for configuration cleanup.policy: String must be one of: compact, delete', []],
    [ErrorCode.INVALID_CONFIG, 'Null value not supported for topic configs: retention.ms,segment.ms', []],
    [ErrorCode.INVALID_CONFIG, 'Invalid value 0 for configuration min.insync.replicas: Value must be at least 1', []],
    [ErrorCode.INVALID_CONFIG, 'conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)', []],
    [ErrorCode.INVALID_CONFIG, 'Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer', []],
    [ErrorCode.INVALID_CONFIG, 'Invalid value yes for configuration preallocate: Expected value to be either true or false', []],
    [ErrorCode.INVALID_CONFIG, 'Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be no more than 1', []],
  ]);
  for (let i = 1; i <= 9; i++) assert.equal(b.broker.topics.get(`ct-c${i}`), undefined);
});

test('manual replica assignments: this node only, consistent, consecutive', async () => {
  const ok = await create(7, [{ name: 'ct-assign', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 1, brokerIds: [1] }, { partitionIndex: 0, brokerIds: [1] }] }]);
  assert.equal(ok.topics[0]!.errorCode, 0, ok.topics[0]!.errorMessage ?? '');
  assert.equal(ok.topics[0]!.numPartitions, 2);
  assert.equal(ok.topics[0]!.replicationFactor, 1);
  assert.equal(b.broker.topics.get('ct-assign')!.partitions, 2);
  const bad = await create(7, [
    { name: 'ct-a1', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [2] }] },
    { name: 'ct-a2', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 1] }] },
    { name: 'ct-a3', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [] }] },
    { name: 'ct-a4', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 2, brokerIds: [1] }] },
    { name: 'ct-a5', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 0, brokerIds: [1] }] },
    { name: 'ct-a6', numPartitions: 1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }] },
    { name: 'ct-a7', numPartitions: -1, replicationFactor: 1, assignments: [{ partitionIndex: 0, brokerIds: [1] }] },
  ]);
  assert.deepEqual(bad.topics.map((t) => [t.name, t.errorCode, t.errorMessage]), [
    ['ct-a1', ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes broker 2, but no such broker is registered.'],
    ['ct-a2', ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes the broker 1 more than once.'],
    ['ct-a3', ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.'],
    ['ct-a4', ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions should be a consecutive 0-based integer sequence'],
    ['ct-a5', ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Found multiple manual partition assignments for partition 0'],
    ['ct-a6', ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but numPartitions was not set to -1.'],
    ['ct-a7', ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but replication factor was not set to -1.'],
  ]);
});

test('validate_only checks everything and creates nothing', async () => {
  const res = await create(7, [
    { name: 'ct-vo', numPartitions: 4, replicationFactor: 1, configs: [{ name: 'retention.ms', value: '1000' }] },
    { name: 'ct.exists', numPartitions: 1, replicationFactor: 1 },
  ], true);
  assert.equal(res.topics[0]!.errorCode, 0);
  assert.equal(res.topics[0]!.numPartitions, 4);
  assert.equal(res.topics[0]!.configs!.find((e) => e.name === 'retention.ms')!.value, '1000');
  assert.equal(res.topics[1]!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
  assert.equal(b.broker.topics.get('ct-vo'), undefined);
  const md = await c.send(MetadataApi, 12, { topics: [{ name: 'ct-vo', topicId: ZERO }], allowAutoTopicCreation: false });
  assert.equal(md.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('created topics are visible in Metadata with their id and partitions', async () => {
  const res = await create(7, [{ name: 'ct-md', numPartitions: 5, replicationFactor: 1 }]);
  const md = await c.send(MetadataApi, 12, { topics: [{ name: 'ct-md', topicId: ZERO }], allowAutoTopicCreation: false });
  assert.equal(md.topics[0]!.topicId, res.topics[0]!.topicId);
  assert.equal(md.topics[0]!.partitions.length, 5);
});
