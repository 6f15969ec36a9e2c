import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTopicsApi, DeleteTopicsApi, MetadataApi } from '../../../src/protocol/generated/api-keys.ts';
import { ErrorCode } from '../../../src/protocol/errors/index.ts';
import { buildRecordBatch } from '../../../src/protocol/records/batch-builder.ts';
import { AdminRawClient, startAdminBroker } from './admin-helpers.ts';
import type { AdminTestBroker } from './admin-helpers.ts';

const ZERO = 'AAAAAAAAAAAAAAAAAAAAAA';
let b: AdminTestBroker;
let c: AdminRawClient;

before(async () => {
  b = await startAdminBroker();
  c = await AdminRawClient.connect(b.bootstrap);
});
after(async () => {
  c.close();
  await b.close();
});

async function createTopic(name: string, partitions = 2): Promise<string> {
  const res = await c.send(CreateTopicsApi, 7, { topics: [{ name, numPartitions: partitions, replicationFactor: 1 }], timeoutMs: 1000 });
  assert.equal(res.topics[0]!.errorCode, 0, res.topics[0]!.errorMessage ?? '');
  return res.topics[0]!.topicId;
}

test('every version deletes by name; unknown names are UNKNOWN_TOPIC_OR_PARTITION', async () => {
  for (let v = 0; v <= 5; v++) {
    await createTopic(`dt-v${v}`);
    const res = await c.send(DeleteTopicsApi, v, { topicNames: [`dt-v${v}`, 'dt-missing'], timeoutMs: 1000 });
    const byName = new Map(res.responses.map((r) => [r.name, r]));
    assert.equal(byName.get(`dt-v${v}`)!.errorCode, ErrorCode.NONE, `v${v}`);
    assert.equal(byName.get('dt-missing')!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    if (v >= 5) assert.equal(byName.get('dt-missing')!.errorMessage, 'This server does not host this topic-partition.');
    assert.equal(b.broker.topics.get(`dt-v${v}`), undefined);
  }
});

test('v6 deletes by topic id; unknown ids are UNKNOWN_TOPIC_ID', async () => {
  const id = await createTopic('dt-id');
  const res = await c.send(DeleteTopicsApi, 6, { topics: [{ name: null, topicId: id }, { name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAg' }], timeoutMs: 1000 });
  assert.deepEqual(res.responses.map((r) => [r.name, r.topicId, r.errorCode, r.errorMessage]), [
    [null, 'AAAAAAAAAAAAAAAAAAAAAg', ErrorCode.UNKNOWN_TOPIC_ID, 'This server does not host this topic ID.'],
    ['dt-id', id, ErrorCode.NONE, null],
  ]);
  assert.equal(b.broker.topics.getById(id), undefined);
  const md = await c.send(MetadataApi, 12, { topics: [{ name: 'dt-id', topicId: ZERO }], allowAutoTopicCreation: false });
  assert.equal(md.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('v6 by name returns the topic id; bad combinations are INVALID_REQUEST', async () => {
  const id = await createTopic('dt-named');
  const other = await createTopic('dt-other');
  const res = await c.send(DeleteTopicsApi, 6, {
    topics: [
      { name: null, topicId: ZERO },
      { name: 'dt-other', topicId: other },
      { name: 'dt-dup', topicId: ZERO },
      { name: 'dt-dup', topicId: ZERO },
      { name: 'dt-named', topicId: ZERO },
    ],
    timeoutMs: 1000,
  });
  assert.deepEqual(res.responses.map((r) => [r.name, r.topicId, r.errorCode, r.errorMessage]), [
    [null, ZERO, ErrorCode.INVALID_REQUEST, 'Neither topic name nor id were specified.'],
    ['dt-other', other, ErrorCode.INVALID_REQUEST, 'You may not specify both topic name and topic id.'],
    ['dt-dup', ZERO, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
    ['dt-named', id, ErrorCode.NONE, null],
  ]);
  assert.ok(b.broker.topics.get('dt-other'));
  const same = await c.send(DeleteTopicsApi, 6, { topics: [{ name: null, topicId: other }, { name: 'dt-other', topicId: ZERO }], timeoutMs: 1000 });
  assert.deepEqual(same.responses.map((r) => [r.name, r.errorCode, r.errorMessage]), [
    ['dt-other', ErrorCode.INVALID_REQUEST, 'The provided topic name maps to an ID that was already supplied.'],
  ]);
  assert.ok(b.broker.topics.get('dt-other'));
});

test('a deleted topic can be created again, with a new id and empty logs', async () => {
  const first = await createTopic('dt-again', 1);
  const batch = buildRecordBatch([{ key: null, value: Buffer.from('x'), timestampDelta: 0 }], { baseTimestamp: Date.now() });
  b.broker.logs.getLog('dt-again', 0)!.append(batch);
  assert.equal(b.broker.logs.getLog('dt-again', 0)!.logEndOffset, 1);
  await c.send(DeleteTopicsApi, 6, { topics: [{ name: 'dt-again', topicId: ZERO }], timeoutMs: 1000 });
  const second = await createTopic('dt-again', 3);
  assert.notEqual(first, second);
  assert.equal(b.broker.topics.get('dt-again')!.partitions, 3);
  assert.equal(b.broker.logs.getLog('dt-again', 0)!.logEndOffset, 0);
});

test('delete.topic.enable=false: INVALID_REQUEST before v3, TOPIC_DELETION_DISABLED after', async () => {
  const nb = await startAdminBroker({ 'delete.topic.enable': false });
  const nc = await AdminRawClient.connect(nb.bootstrap);
  try {
    await nc.send(CreateTopicsApi, 4, { topics: [{ name: 'keep', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000 });
    for (let v = 0; v <= 6; v++) {
      const res = v >= 6
        ? await nc.send(DeleteTopicsApi, v, { topics: [{ name: 'keep', topicId: ZERO }], timeoutMs: 1000 })
        : await nc.send(DeleteTopicsApi, v, { topicNames: ['keep'], timeoutMs: 1000 });
      assert.equal(res.responses[0]!.errorCode, v < 3 ? ErrorCode.INVALID_REQUEST : ErrorCode.TOPIC_DELETION_DISABLED, `v${v}`);
    }
    assert.ok(nb.broker.topics.get('keep'));
  } finally {
    nc.close();
    await nb.close();
  }
});
