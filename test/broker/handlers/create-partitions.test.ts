import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreatePartitionsApi, CreateTopicsApi, MetadataApi } from '../../../src/protocol/generated/api-keys.ts';
import { ErrorCode } from '../../../src/protocol/errors/index.ts';
import { AdminRawClient, startAdminBroker } from './admin-helpers.ts';
import type { AdminTestBroker } from './admin-helpers.ts';

const ZERO = 'AAAAAAAAAAAAAAAAAAAAAA';
let b: AdminTestBroker;
let c: AdminRawClient;

before(async () => {
  b = await startAdminBroker();
  c = await AdminRawClient.connect(b.bootstrap);
  const res = await c.send(CreateTopicsApi, 4, {
    topics: ['cp-a', 'cp-b', 'cp-c', 'cp-d'].map((name) => ({ name, numPartitions: 2, replicationFactor: 1 })),
    timeoutMs: 1000,
  });
  assert.ok(res.topics.every((t) => t.errorCode === 0));
});
after(async () => {
  c.close();
  await b.close();
});

test('every version adds partitions; Metadata and the logs follow', async () => {
  for (let v = 0; v <= 3; v++) {
    const count = 3 + v;
    const res = await c.send(CreatePartitionsApi, v, { topics: [{ name: 'cp-a', count, assignments: null }], timeoutMs: 1000, validateOnly: false });
    assert.deepEqual(res.results, [{ name: 'cp-a', errorCode: 0, errorMessage: null }], `v${v}`);
    assert.equal(b.broker.topics.get('cp-a')!.partitions, count);
    assert.ok(b.broker.logs.getLog('cp-a', count - 1));
  }
  const md = await c.send(MetadataApi, 12, { topics: [{ name: 'cp-a', topicId: ZERO }], allowAutoTopicCreation: false });
  assert.equal(md.topics[0]!.partitions.length, 6);
});

test('errors: no increase, unknown topic, assignments, duplicates', async () => {
  const res = await c.send(CreatePartitionsApi, 3, {
    topics: [
      { name: 'cp-b', count: 2, assignments: null },
      { name: 'cp-b', count: 1, assignments: null },
      { name: 'cp-c', count: 1, assignments: null },
      { name: 'cp-d', count: 4, assignments: [{ brokerIds: [1] }] },
      { name: 'cp-missing', count: 4, assignments: null },
    ],
    timeoutMs: 1000,
    validateOnly: false,
  });
  assert.deepEqual(res.results.map((r) => [r.name, r.errorCode, r.errorMessage]), [
    ['cp-b', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
    ['cp-c', ErrorCode.INVALID_PARTITIONS, 'The topic cp-c currently has 2 partition(s); 1 would not be an increase.'],
    ['cp-d', ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.'],
    ['cp-missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null],
  ]);
  const same = await c.send(CreatePartitionsApi, 1, { topics: [{ name: 'cp-c', count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false });
  assert.deepEqual(same.results[0], { name: 'cp-c', errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'Topic already has 2 partition(s).' });
  const bad = await c.send(CreatePartitionsApi, 3, {
    topics: [
      { name: 'cp-c', count: 3, assignments: [{ brokerIds: [7] }] },
      { name: 'cp-d', count: 3, assignments: [{ brokerIds: [1, 1] }] },
    ],
    timeoutMs: 1000,
    validateOnly: false,
  });
  assert.deepEqual(bad.results.map((r) => [r.errorCode, r.errorMessage]), [
    [ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes broker 7, but no such broker is registered.'],
    [ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes the broker 1 more than once.'],
  ]);
  assert.equal(b.broker.topics.get('cp-b')!.partitions, 2);
  assert.equal(b.broker.topics.get('cp-c')!.partitions, 2);
  assert.equal(b.broker.topics.get('cp-d')!.partitions, 2);
});

test('assignments on this node are accepted; validate_only changes nothing', async () => {
  const vo = await c.send(CreatePartitionsApi, 2, { topics: [{ name: 'cp-d', count: 10, assignments: null }], timeoutMs: 1000, validateOnly: true });
  assert.equal(vo.results[0]!.errorCode, 0);
  assert.equal(b.broker.topics.get('cp-d')!.partitions, 2);
  const ok = await c.send(CreatePartitionsApi, 2, { topics: [{ name: 'cp-d', count: 4, assignments: [{ brokerIds: [1] }, { brokerIds: [1] }] }], timeoutMs: 1000, validateOnly: false });
  assert.equal(ok.results[0]!.errorCode, 0, ok.results[0]!.errorMessage ?? '');
  assert.equal(b.broker.topics.get('cp-d')!.partitions, 4);
});
