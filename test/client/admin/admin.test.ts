import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Admin, ConfigResourceType } from '../../../src/client/admin/admin.ts';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors/index.ts';
import { CreateTopicsApi, DeleteTopicsApi, DescribeConfigsApi } from '../../../src/protocol/generated/api-keys.ts';
import { startTestBroker } from '../helpers.ts';
import type { TestBroker } from '../helpers.ts';

describe('Admin', () => {
  let b: TestBroker;
  let admin: Admin;
  before(async () => {
    b = await startTestBroker({ 'auto.create.topics.enable': false });
    b.broker.topics.create('one', { partitions: 1 });
    b.broker.topics.create('four', { partitions: 4 });
    admin = new Admin({ bootstrapServers: b.bootstrap, clientId: 'admin-test' });
  });
  after(async () => {
    admin.close();
    await b.close();
  });

  it('lists topics sorted by name with their ids', async () => {
    const topics = await admin.listTopics();
    const mine = topics.filter((t) => t.name === 'one' || t.name === 'four');
    assert.deepEqual(mine.map((t) => t.name), ['four', 'one']);
    assert.equal(mine[1]!.topicId, b.broker.topics.get('one')!.topicId);
    assert.ok(mine.every((t) => !t.isInternal));
  });

  it('describes topics: partitions, leaders, replicas, ISR', async () => {
    const [four] = await admin.describeTopics(['four']);
    assert.equal(four!.name, 'four');
    assert.deepEqual(four!.partitions.map((p) => p.partition), [0, 1, 2, 3]);
    const node = b.broker.nodeId;
    for (const p of four!.partitions) {
      assert.equal(p.leader, node);
      assert.deepEqual(p.replicas, [node]);
      assert.deepEqual(p.isr, [node]);
    }
    await assert.rejects(admin.describeTopics(['nope']), (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('creates and deletes topics, with per-topic errors', async (t) => {
    if (!(await admin.supports(CreateTopicsApi)) || !(await admin.supports(DeleteTopicsApi))) return t.skip('no CreateTopics/DeleteTopics handler yet');
    const created = await admin.createTopics([
      { name: 'fresh', numPartitions: 2, configs: { 'cleanup.policy': 'compact' } },
      { name: 'one' },
      { name: 'bad name!' },
    ]);
    const byName = new Map(created.map((r) => [r.name, r]));
    assert.equal(byName.get('fresh')!.error, null);
    assert.equal(byName.get('fresh')!.numPartitions, 2);
    assert.equal(byName.get('one')!.error?.code, ErrorCode.TOPIC_ALREADY_EXISTS);
    assert.equal(byName.get('bad name!')!.error?.code, ErrorCode.INVALID_TOPIC_EXCEPTION);
    assert.equal((await admin.describeTopics(['fresh']))[0]!.partitions.length, 2);

    const deleted = await admin.deleteTopics(['fresh', 'ghost']);
    const del = new Map(deleted.map((r) => [r.name, r]));
    assert.equal(del.get('fresh')!.error, null);
    assert.equal(del.get('ghost')!.error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.ok(!(await admin.listTopics()).some((x) => x.name === 'fresh'));
  });

  it('describes topic configs', async (t) => {
    if (!(await admin.supports(DescribeConfigsApi))) return t.skip('no DescribeConfigs handler yet');
    const [res] = await admin.describeConfigs([{ type: ConfigResourceType.TOPIC, name: 'one' }]);
    assert.equal(res!.error, null);
    const retention = res!.entries.find((e) => e.name === 'retention.ms');
    assert.ok(retention, 'retention.ms is described');
    const [missing] = await admin.describeConfigs([{ type: ConfigResourceType.TOPIC, name: 'nope' }]);
    assert.equal(missing!.error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});
