/**
 * Admin against a real in-process broker: consumer groups (through the group
 * coordinator), offsets (through partition leaders), the cluster, configs, log
 * dirs and producers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Admin, ConfigResourceType } from '../../../src/client/admin/admin.ts';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors/index.ts';
import { InitProducerIdApi, ProduceApi } from '../../../src/protocol/generated/api-keys.ts';
import { buildRecordBatch } from '../../../src/protocol/records/batch-builder.ts';
import { startTestBroker } from '../helpers.ts';
import type { TestBroker } from '../helpers.ts';
import { joinAsOnlyMember } from './group-member.ts';

const T0 = 1_700_000_000_000;

describe('Admin: groups, offsets, cluster', () => {
  let b: TestBroker;
  let admin: Admin;

  /** Appends `count` records to topic-partition with timestamps T0 + 10*i (offsets in order). */
  async function produce(topic: string, partition: number, count: number, extra: { producerId?: bigint; producerEpoch?: number; baseSequence?: number } = {}): Promise<void> {
    const conn = await admin.cluster.leaderConnection(topic, partition);
    const records = Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), timestampDelta: 10 * i }));
    const res = await conn.send(ProduceApi, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: topic, partitionData: [{ index: partition, records: buildRecordBatch(records, { baseTimestamp: T0, ...extra }) }] }],
    });
    assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
  }

  before(async () => {
    b = await startTestBroker({ 'auto.create.topics.enable': false, 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 3 });
    b.broker.topics.create('orders', { partitions: 3 });
    b.broker.topics.create('logs', { partitions: 1 });
    admin = new Admin({ bootstrapServers: b.bootstrap, clientId: 'admin-groups-test', defaultApiTimeoutMs: 15_000 });
    await produce('orders', 0, 10);
    await produce('orders', 1, 5);
    await produce('logs', 0, 20);
  });
  after(async () => {
    admin.close();
    await b.close();
  });

  it('describeCluster: cluster id, controller, brokers', async () => {
    const c = await admin.describeCluster();
    assert.equal(typeof c.clusterId, 'string');
    assert.ok(c.clusterId!.length > 0);
    assert.equal(c.nodes.length, 1);
    assert.equal(c.nodes[0]!.id, b.broker.nodeId);
    assert.equal(c.nodes[0]!.port, b.port);
    assert.deepEqual(c.controller, c.nodes[0]);
  });

  it('listOffsets: earliest, latest, max-timestamp, by timestamp; per-partition errors', async () => {
    const res = await admin.listOffsets([
      { topic: 'orders', partition: 0, spec: 'earliest' },
      { topic: 'orders', partition: 0, spec: 'latest' },
      { topic: 'orders', partition: 0, spec: 'max-timestamp' },
      { topic: 'orders', partition: 0, spec: { timestamp: T0 + 25 } },
      { topic: 'orders', partition: 0, spec: { timestamp: T0 + 10_000 } },
      { topic: 'orders', partition: 2, spec: 'latest' },
      { topic: 'orders', partition: 7, spec: 'latest' },
      { topic: 'ghost', partition: 0, spec: 'latest' },
    ]);
    assert.deepEqual(
      res.map((r) => [r.topic, r.partition, r.offset]),
      [
        ['orders', 0, 0n],
        ['orders', 0, 10n],
        ['orders', 0, 9n],
        ['orders', 0, 3n],
        ['orders', 0, -1n],
        ['orders', 2, 0n],
        ['orders', 7, -1n],
        ['ghost', 0, -1n],
      ],
    );
    assert.equal(res[2]!.timestamp, BigInt(T0 + 90));
    assert.equal(res[3]!.timestamp, BigInt(T0 + 30));
    assert.ok(res.slice(0, 6).every((r) => r.error === null));
    assert.equal(res[6]!.error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(res[7]!.error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('alterConsumerGroupOffsets creates an empty group; listConsumerGroupOffsets reads it back', async () => {
    const altered = await admin.alterConsumerGroupOffsets('simple', [
      { topic: 'orders', partition: 0, offset: 4, metadata: 'm0' },
      { topic: 'orders', partition: 1, offset: 2n },
      { topic: 'logs', partition: 0, offset: 20, leaderEpoch: 0 },
    ]);
    assert.equal(altered.error, null);
    assert.deepEqual(altered.partitions.map((p) => [p.topic, p.partition, p.error]), [
      ['logs', 0, null],
      ['orders', 0, null],
      ['orders', 1, null],
    ]);
    const [all] = await admin.listConsumerGroupOffsets(['simple']);
    assert.equal(all!.error, null);
    assert.deepEqual(all!.offsets.map((o) => [o.topic, o.partition, o.offset, o.metadata]), [
      ['logs', 0, 20n, ''],
      ['orders', 0, 4n, 'm0'],
      ['orders', 1, 2n, ''],
    ]);
    assert.equal(all!.offsets[0]!.leaderEpoch, 0);
    const [some] = await admin.listConsumerGroupOffsets([{ groupId: 'simple', partitions: [{ topic: 'orders', partition: 1 }, { topic: 'orders', partition: 2 }] }]);
    assert.deepEqual(some!.offsets.map((o) => [o.partition, o.offset]), [
      [1, 2n],
      [2, null],
    ]);
  });

  it('listConsumerGroupOffsets: several groups in one call; an unknown group has no offsets', async () => {
    await admin.alterConsumerGroupOffsets('simple-2', [{ topic: 'logs', partition: 0, offset: 7 }]);
    const res = await admin.listConsumerGroupOffsets(['simple-2', 'simple', 'never-seen']);
    assert.deepEqual(res.map((g) => g.groupId), ['simple-2', 'simple', 'never-seen']);
    assert.deepEqual(res[0]!.offsets.map((o) => o.offset), [7n]);
    assert.equal(res[1]!.offsets.length, 3);
    assert.deepEqual(res[2]!.offsets, []);
    assert.equal(res[2]!.error, null);
  });

  it('listConsumerGroups lists every group, filtered by state', async () => {
    const all = await admin.listConsumerGroups();
    const simple = all.find((g) => g.groupId === 'simple');
    assert.ok(simple, JSON.stringify(all));
    assert.equal(simple.state, 'Empty');
    assert.equal(simple.isSimpleConsumerGroup, true);
    assert.deepEqual(all.map((g) => g.groupId), [...all.map((g) => g.groupId)].sort());
    assert.ok((await admin.listConsumerGroups({ states: ['empty'] })).some((g) => g.groupId === 'simple'));
    assert.ok(!(await admin.listConsumerGroups({ states: ['Stable'] })).some((g) => g.groupId === 'simple'));
  });

  it('describeConsumerGroups: members with decoded assignments, state, protocol, coordinator; alter refused while active', async () => {
    const member = await joinAsOnlyMember(b.host, b.port, 'active', { orders: [0, 2], logs: [0] }, 'member-1');
    try {
      const [d, dead] = await admin.describeConsumerGroups(['active', 'no-such-group']);
      assert.equal(d!.error, null);
      assert.equal(d!.state, 'Stable');
      assert.equal(d!.partitionAssignor, 'range');
      assert.equal(d!.isSimpleConsumerGroup, false);
      assert.equal(d!.coordinator?.id, b.broker.nodeId);
      assert.equal(d!.coordinator?.port, b.port);
      assert.equal(d!.members.length, 1);
      const m = d!.members[0]!;
      assert.equal(m.consumerId, member.memberId);
      assert.equal(m.clientId, 'member-1');
      assert.match(m.host, /127\.0\.0\.1/);
      assert.deepEqual(m.assignment, [
        { topic: 'logs', partition: 0 },
        { topic: 'orders', partition: 0 },
        { topic: 'orders', partition: 2 },
      ]);
      assert.equal(dead!.state, 'Dead');
      assert.equal(dead!.error, null);
      assert.deepEqual(dead!.members, []);
      assert.ok((await admin.listConsumerGroups({ states: ['Stable'] })).some((g) => g.groupId === 'active' && !g.isSimpleConsumerGroup));

      const refused = await admin.alterConsumerGroupOffsets('active', [{ topic: 'orders', partition: 0, offset: 1 }]);
      assert.equal(refused.error?.code, ErrorCode.UNKNOWN_MEMBER_ID);
      const [del] = await admin.deleteConsumerGroups(['active']);
      assert.equal(del!.error?.code, ErrorCode.NON_EMPTY_GROUP);
    } finally {
      await member.leave();
    }
    const [after] = await admin.describeConsumerGroups(['active']);
    assert.equal(after!.state, 'Empty');
    assert.deepEqual(after!.members, []);
  });

  it('deleteConsumerGroupOffsets: per-partition results, group-level errors', async () => {
    await admin.alterConsumerGroupOffsets('to-trim', [
      { topic: 'orders', partition: 0, offset: 1 },
      { topic: 'orders', partition: 1, offset: 1 },
    ]);
    const res = await admin.deleteConsumerGroupOffsets('to-trim', [{ topic: 'orders', partition: 0 }]);
    assert.equal(res.error, null);
    assert.deepEqual(res.partitions.map((p) => [p.topic, p.partition, p.error]), [['orders', 0, null]]);
    const [left] = await admin.listConsumerGroupOffsets(['to-trim']);
    assert.deepEqual(left!.offsets.map((o) => [o.partition, o.offset]), [[1, 1n]]);
    const missing = await admin.deleteConsumerGroupOffsets('no-such-group', [{ topic: 'orders', partition: 0 }]);
    assert.equal(missing.error?.code, ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('deleteConsumerGroups: deletes empty groups, per-group errors', async () => {
    await admin.alterConsumerGroupOffsets('doomed', [{ topic: 'orders', partition: 0, offset: 1 }]);
    const res = await admin.deleteConsumerGroups(['doomed', 'never-existed']);
    assert.deepEqual(res.map((r) => r.groupId), ['doomed', 'never-existed']);
    assert.equal(res[0]!.error, null);
    assert.equal(res[1]!.error?.code, ErrorCode.GROUP_ID_NOT_FOUND);
    assert.ok(!(await admin.listConsumerGroups()).some((g) => g.groupId === 'doomed'));
    const [offsets] = await admin.listConsumerGroupOffsets(['doomed']);
    assert.deepEqual(offsets!.offsets, []);
  });

  it('deleteRecords moves the log start offset; errors per partition', async () => {
    const res = await admin.deleteRecords([
      { topic: 'logs', partition: 0, beforeOffset: 5 },
      { topic: 'logs', partition: 3, beforeOffset: 1 },
    ]);
    assert.equal(res[0]!.error, null);
    assert.equal(res[0]!.lowWatermark, 5n);
    assert.equal(res[1]!.error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const [earliest] = await admin.listOffsets([{ topic: 'logs', partition: 0, spec: 'earliest' }]);
    assert.equal(earliest!.offset, 5n);
    const [beyond] = await admin.deleteRecords([{ topic: 'logs', partition: 0, beforeOffset: 999 }]);
    assert.equal(beyond!.error?.code, ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('describeLogDirs: the broker log dir with its replicas and sizes', async () => {
    const [broker] = await admin.describeLogDirs();
    assert.equal(broker!.brokerId, b.broker.nodeId);
    assert.equal(broker!.error, null);
    assert.ok(broker!.logDirs.length >= 1);
    const replicas = broker!.logDirs.flatMap((d) => d.replicas);
    const orders0 = replicas.find((r) => r.topic === 'orders' && r.partition === 0);
    assert.ok(orders0, 'orders-0 is in a log dir');
    assert.ok(orders0.size > 0n);
    assert.equal(orders0.isFuture, false);
    const [only] = await admin.describeLogDirs([b.broker.nodeId], { partitions: [{ topic: 'logs', partition: 0 }] });
    assert.deepEqual(only!.logDirs.flatMap((d) => d.replicas.map((r) => `${r.topic}-${r.partition}`)), ['logs-0']);
    const [unknown] = await admin.describeLogDirs([4242]);
    assert.equal(unknown!.error?.code, ErrorCode.NETWORK_EXCEPTION);
  });

  it('describeProducers: an idempotent producer shows up on its partition', async () => {
    const conn = await admin.cluster.anyConnection();
    const init = await conn.send(InitProducerIdApi, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    assert.equal(init.errorCode, ErrorCode.NONE);
    await produce('orders', 2, 3, { producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: 0 });
    const [p2, p1, bad] = await admin.describeProducers([
      { topic: 'orders', partition: 2 },
      { topic: 'orders', partition: 1 },
      { topic: 'orders', partition: 9 },
    ]);
    assert.equal(p2!.error, null);
    assert.deepEqual(
      p2!.activeProducers.map((s) => [s.producerId, s.producerEpoch, s.lastSequence]),
      [[init.producerId, init.producerEpoch, 2]],
    );
    assert.equal(p2!.activeProducers[0]!.currentTransactionStartOffset, null);
    assert.deepEqual(p1!.activeProducers, []);
    assert.equal(bad!.error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('incrementalAlterConfigs: SET, APPEND, SUBTRACT, DELETE; per-resource errors', async () => {
    const value = async (name: string): Promise<{ value: string | null; isDefault: boolean }> => {
      const [r] = await admin.describeConfigs([{ type: ConfigResourceType.TOPIC, name: 'logs', keys: [name] }]);
      const e = r!.entries.find((x) => x.name === name)!;
      return { value: e.value, isDefault: e.isDefault };
    };
    let res = await admin.incrementalAlterConfigs([
      { type: ConfigResourceType.TOPIC, name: 'logs', ops: [{ name: 'retention.ms', value: '12345' }, { name: 'cleanup.policy', op: 'SET', value: 'delete' }] },
      { type: ConfigResourceType.TOPIC, name: 'ghost', ops: [{ name: 'retention.ms', value: '1' }] },
    ]);
    assert.equal(res[0]!.error, null);
    assert.equal(res[1]!.error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal((await value('retention.ms')).value, '12345');

    res = await admin.incrementalAlterConfigs([{ type: ConfigResourceType.TOPIC, name: 'logs', ops: [{ name: 'cleanup.policy', op: 'APPEND', value: 'compact' }] }]);
    assert.equal(res[0]!.error, null);
    assert.equal((await value('cleanup.policy')).value, 'delete,compact');
    res = await admin.incrementalAlterConfigs([{ type: ConfigResourceType.TOPIC, name: 'logs', ops: [{ name: 'cleanup.policy', op: 'SUBTRACT', value: 'delete' }] }]);
    assert.equal(res[0]!.error, null);
    assert.equal((await value('cleanup.policy')).value, 'compact');

    res = await admin.incrementalAlterConfigs([{ type: ConfigResourceType.TOPIC, name: 'logs', ops: [{ name: 'retention.ms', op: 'DELETE' }] }], { validateOnly: true });
    assert.equal(res[0]!.error, null);
    assert.equal((await value('retention.ms')).value, '12345', 'validateOnly changes nothing');
    res = await admin.incrementalAlterConfigs([{ type: ConfigResourceType.TOPIC, name: 'logs', ops: [{ name: 'retention.ms', op: 'DELETE' }] }]);
    assert.equal(res[0]!.error, null);
    assert.equal((await value('retention.ms')).isDefault, true);

    const [invalid] = await admin.incrementalAlterConfigs([{ type: ConfigResourceType.TOPIC, name: 'logs', ops: [{ name: 'retention.ms', value: 'soon' }] }]);
    assert.ok(invalid!.error instanceof KafkaError);
    assert.equal(invalid!.error.code, ErrorCode.INVALID_CONFIG);
  });

  it('alterConfigs (legacy) replaces the dynamic configs of a resource', async () => {
    await admin.incrementalAlterConfigs([{ type: ConfigResourceType.TOPIC, name: 'orders', ops: [{ name: 'retention.ms', value: '1000' }] }]);
    const [res] = await admin.alterConfigs([{ type: ConfigResourceType.TOPIC, name: 'orders', configs: { 'segment.ms': '600000' } }]);
    assert.equal(res!.error, null);
    const [d] = await admin.describeConfigs([{ type: ConfigResourceType.TOPIC, name: 'orders' }]);
    const byName = new Map(d!.entries.map((e) => [e.name, e]));
    assert.equal(byName.get('segment.ms')!.value, '600000');
    assert.equal(byName.get('segment.ms')!.isDefault, false);
    assert.equal(byName.get('retention.ms')!.isDefault, true, 'left out, so back to the default');
  });
});
