/**
 * Consumer groups inside the group coordinator (unit rig, manual clock): offsets
 * with member epochs, List/Describe/DeleteGroups, classic JoinGroup against a
 * consumer group, and the records replayed into a new manager.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../../src/protocol/errors/index.ts';
import { ConsumerGroupManager } from '../../../../src/broker/group/consumer/consumer-group.ts';
import type { ConsumerHeartbeatParams, TopicLookup } from '../../../../src/broker/group/consumer/consumer-group.ts';
import { attachConsumerGroups } from '../../../../src/broker/group/consumer/index.ts';
import { ConsumerGroupPersister, replayConsumerGroups } from '../../../../src/broker/group/consumer/persistence.ts';
import { join, rig } from '../helpers.ts';
import type { Rig } from '../helpers.ts';

const TOPICS = [{ name: 't', topicId: 'TTTTTTTTTTTTTTTTTTTTTQ', partitions: 4 }];
const lookup: TopicLookup = { byName: (n) => TOPICS.find((t) => t.name === n), byId: (id) => TOPICS.find((t) => t.topicId === id), names: () => TOPICS.map((t) => t.name) };

function setup(): { r: Rig; mgr: ConsumerGroupManager } {
  const r = rig({ offsetsRetentionMs: 100_000 });
  const persister = new ConsumerGroupPersister(r.log, lookup, () => {});
  const mgr = new ConsumerGroupManager({
    config: { sessionTimeoutMs: 45_000, heartbeatIntervalMs: 5000, maxSize: 100, assignors: ['uniform', 'range'] },
    timer: r.timer,
    topics: lookup,
    isClassicGroup: (id) => {
      const g = r.coordinator.groups.get(id);
      return g !== undefined && (g.size > 0 || g.pendingJoinMembers.size > 0);
    },
    persist: (g, deleted) => void persister.persist(g, deleted),
  });
  attachConsumerGroups(r.coordinator, mgr, lookup, persister);
  return { r, mgr };
}

const hb = (p: Partial<ConsumerHeartbeatParams>): ConsumerHeartbeatParams => ({
  groupId: 'g', memberId: 'a', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000,
  subscribedTopicNames: ['t'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [], clientId: 'c', clientHost: '/h', apiVersion: 0, ...p,
});
const commit = (r: Rig, memberId: string, epoch: number, apiVersion = 9) =>
  r.coordinator.commitOffsets({ groupId: 'g', memberId, groupInstanceId: null, generationId: epoch, retentionTimeMs: -1, apiVersion, partitions: [{ topic: 't', partition: 0, offset: 7n, leaderEpoch: -1, metadata: '', commitTimestampMs: -1 }] })[0];

test('offsets, listing, describing, deleting and classic joins of a consumer group', () => {
  const { r, mgr } = setup();
  assert.equal(mgr.heartbeat(hb({})).memberEpoch, 1);
  assert.equal(commit(r, 'a', 1), ErrorCode.NONE);
  assert.equal(commit(r, 'a', 0), ErrorCode.STALE_MEMBER_EPOCH);
  assert.equal(commit(r, 'x', 1), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(commit(r, 'a', 1, 8), ErrorCode.UNSUPPORTED_VERSION);
  assert.equal(commit(r, '', -1), ErrorCode.UNKNOWN_MEMBER_ID); // an admin commit to a group with members
  assert.equal(r.coordinator.fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }], false).topics[0]!.partitions[0]!.committedOffset, 7n);
  assert.equal(r.coordinator.fetchOffsets('g', null, false, { memberId: 'a', memberEpoch: 0 }).errorCode, ErrorCode.STALE_MEMBER_EPOCH);

  const listed = r.coordinator.listGroups([], []).groups;
  assert.deepEqual(listed.map((g) => [g.groupId, g.groupType, g.groupState]), [['g', 'consumer', 'Stable']]);
  assert.deepEqual(r.coordinator.listGroups([], ['classic']).groups, []);
  assert.deepEqual(r.coordinator.listGroups(['empty'], []).groups, []);
  const d = r.coordinator.describeGroup('g');
  assert.equal(d.protocolType, 'consumer');
  assert.equal(d.groupState, 'Stable');
  assert.deepEqual(d.members.map((m) => m.memberId), ['a']);

  assert.equal(r.coordinator.deleteGroups(['g'])[0]!.errorCode, ErrorCode.NON_EMPTY_GROUP);
  // Offsets of a consumer group with members do not expire.
  for (let i = 0; i < 6; i++) {
    r.timer.advance(20_000); // past the retention, heartbeating within the session timeout
    assert.equal(mgr.heartbeat(hb({ memberEpoch: 1, topicPartitions: null })).errorCode, ErrorCode.NONE);
  }
  assert.equal(r.coordinator.cleanupExpiredOffsets(), 0);
  assert.equal(join(r, { groupId: 'g' }).value.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);

  // The records rebuild the same group.
  const replayed = replayConsumerGroups([...r.log.replay().consumerGroupRecords.values()], lookup, 'uniform');
  assert.equal(replayed.length, 1);
  assert.equal(replayed[0]!.groupEpoch, 1);
  assert.deepEqual([...replayed[0]!.members.get('a')!.assigned.get('t')!].sort(), [0, 1, 2, 3]);

  // Empty: admin commits are accepted; a classic join converts the group (offsets stay).
  assert.equal(mgr.heartbeat(hb({ memberEpoch: -1 })).errorCode, ErrorCode.NONE);
  assert.equal(commit(r, '', -1), ErrorCode.NONE);
  const j = join(r, { groupId: 'g', requireKnownMemberId: true });
  assert.equal(j.value.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  assert.equal(mgr.groups.has('g'), false);
  assert.equal(r.log.replay().consumerGroupRecords.size, 0);
  assert.equal(r.coordinator.fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }], false).topics[0]!.partitions[0]!.committedOffset, 7n);
  // Now a classic group owns the id.
  assert.equal(mgr.heartbeat(hb({ memberId: 'b' })).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
});
