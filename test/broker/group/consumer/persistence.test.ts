/**
 * Consumer groups survive a broker restart: their records in __consumer_offsets
 * (ConsumerGroupMetadata, member metadata, target and current assignments, with
 * tombstones) rebuild epochs, members and reconciliation state; committed offsets
 * too, and OffsetCommit v9 checks member epochs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCode } from '../../../../src/protocol/errors/index.ts';
import { ConsumerGroupDescribeApi, ConsumerGroupHeartbeatApi, ListGroupsApi, OffsetCommitApi, OffsetFetchApi } from '../../../../src/protocol/generated/api-keys.ts';
import { GroupRawClient, startGroupBroker } from '../broker-helpers.ts';

const G = 'persisted';
const T = 'pt';

async function hb(c: GroupRawClient, memberId: string, memberEpoch: number, owned: { topicId: string; partitions: number[] }[]) {
  return c.send(ConsumerGroupHeartbeatApi, 0, { groupId: G, memberId, memberEpoch, rebalanceTimeoutMs: 60_000, subscribedTopicNames: [T], topicPartitions: owned });
}
const count = (tps: readonly { partitions: readonly number[] }[] | undefined) => (tps ?? []).reduce((n, t) => n + t.partitions.length, 0);

test('consumer groups and their offsets are rebuilt from __consumer_offsets after a restart', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-cg-'));
  try {
    let b = await startGroupBroker({}, dir);
    b.broker.topics.create(T, { partitions: 6 });
    const topicId = b.broker.topics.get(T)!.topicId;
    let c = await GroupRawClient.connect(b.bootstrap);
    const a1 = await hb(c, 'a', 0, []);
    assert.equal(a1.errorCode, ErrorCode.NONE);
    assert.equal(a1.memberEpoch, 1);
    assert.equal(count(a1.assignment?.topicPartitions), 6);
    const b1 = await hb(c, 'b', 0, []);
    assert.equal(b1.memberEpoch, 2);
    const a2 = await hb(c, 'a', 1, a1.assignment!.topicPartitions);
    assert.equal(a2.memberEpoch, 1);
    const aOwned = a2.assignment!.topicPartitions;
    assert.equal(count(aOwned), 3);

    const commit = (epoch: number) =>
      c.send(OffsetCommitApi, 9, { groupId: G, generationIdOrMemberEpoch: epoch, memberId: 'a', topics: [{ name: T, partitions: [{ partitionIndex: aOwned[0]!.partitions[0]!, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
    assert.equal((await commit(1)).topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    assert.equal((await commit(0)).topics[0]!.partitions[0]!.errorCode, ErrorCode.STALE_MEMBER_EPOCH);
    c.close();
    await b.close();

    b = await startGroupBroker({}, dir);
    c = await GroupRawClient.connect(b.bootstrap);
    const listed = await c.send(ListGroupsApi, 5, { statesFilter: [], typesFilter: [] });
    assert.deepEqual(listed.groups.map((g) => [g.groupId, g.groupType, g.groupState]), [[G, 'consumer', 'Reconciling']]);
    const d = (await c.send(ConsumerGroupDescribeApi, 0, { groupIds: [G], includeAuthorizedOperations: false })).groups[0]!;
    assert.equal(d.errorCode, ErrorCode.NONE);
    assert.equal(d.groupEpoch, 2);
    assert.equal(d.assignmentEpoch, 2);
    assert.equal(d.groupState, 'Reconciling');
    const byId = new Map(d.members.map((m) => [m.memberId, m]));
    assert.equal(byId.get('a')!.memberEpoch, 1);
    assert.equal(count(byId.get('a')!.assignment.topicPartitions), 3);
    assert.equal(byId.get('b')!.memberEpoch, 2);
    assert.equal(count(byId.get('b')!.targetAssignment.topicPartitions), 3);
    assert.equal(byId.get('a')!.assignment.topicPartitions[0]!.topicId, topicId);

    // Reconciliation carries on where it was.
    const a3 = await hb(c, 'a', 1, aOwned);
    assert.equal(a3.errorCode, ErrorCode.NONE);
    assert.equal(a3.memberEpoch, 2);
    const b3 = await hb(c, 'b', 2, []);
    assert.equal(count(b3.assignment?.topicPartitions), 3);
    const fetched = await c.send(OffsetFetchApi, 9, { groups: [{ groupId: G, memberId: 'a', memberEpoch: 2, topics: [{ name: T, partitionIndexes: [aOwned[0]!.partitions[0]!] }] }], requireStable: false });
    assert.equal(fetched.groups[0]!.errorCode, ErrorCode.NONE);
    assert.equal(fetched.groups[0]!.topics[0]!.partitions[0]!.committedOffset, 42n);
    const stale = await c.send(OffsetFetchApi, 9, { groups: [{ groupId: G, memberId: 'a', memberEpoch: 1, topics: null }], requireStable: false });
    assert.equal(stale.groups[0]!.errorCode, ErrorCode.STALE_MEMBER_EPOCH);

    // A leave is persisted too (tombstones).
    assert.equal((await hb(c, 'a', -1, [])).errorCode, ErrorCode.NONE);
    c.close();
    await b.close();
    b = await startGroupBroker({}, dir);
    c = await GroupRawClient.connect(b.bootstrap);
    const d2 = (await c.send(ConsumerGroupDescribeApi, 0, { groupIds: [G], includeAuthorizedOperations: false })).groups[0]!;
    assert.deepEqual(d2.members.map((m) => m.memberId), ['b']);
    assert.equal(d2.groupEpoch, 3);
    c.close();
    await b.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
