import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/errors/index.ts';
import { GroupState } from '../../../src/broker/group/classic-group.ts';
import type { OffsetCommitParams, OffsetCommitPartition } from '../../../src/broker/group/offset-metadata-manager.ts';
import { assignment, join, rig, settleInitialDelay, stableGroup, subscription, sync } from './helpers.ts';
import type { Rig } from './helpers.ts';

function part(topic: string, partition: number, offset: number, extra: Partial<OffsetCommitPartition> = {}): OffsetCommitPartition {
  return { topic, partition, offset: BigInt(offset), leaderEpoch: -1, metadata: null, commitTimestampMs: -1, ...extra };
}

function commit(r: Rig, p: Partial<OffsetCommitParams> & { groupId: string; partitions: OffsetCommitPartition[] }): number[] {
  return r.coordinator.commitOffsets({ memberId: '', groupInstanceId: null, generationId: -1, retentionTimeMs: -1, apiVersion: 8, ...p });
}

function fetched(r: Rig, groupId: string, topic: string, partitions: number[]): { offset: bigint; epoch: number; metadata: string; error: number }[] {
  const res = r.coordinator.fetchOffsets(groupId, [{ name: topic, partitionIndexes: partitions }], false);
  assert.equal(res.errorCode, ErrorCode.NONE);
  return res.topics[0]!.partitions.map((p) => ({ offset: p.committedOffset, epoch: p.committedLeaderEpoch, metadata: p.metadata, error: p.errorCode }));
}

test('simple commits (generation -1) create an Empty group without protocol; fetch returns them', () => {
  const r = rig();
  assert.deepEqual(commit(r, { groupId: 's', partitions: [part('t', 0, 5, { metadata: 'meta', leaderEpoch: 3 }), part('t', 1, 7)] }), [0, 0]);
  const g = r.coordinator.groups.get('s')!;
  assert.equal(g.state, GroupState.EMPTY);
  assert.equal(g.protocolType, null);
  assert.deepEqual(fetched(r, 's', 't', [0, 1, 2]), [
    { offset: 5n, epoch: 3, metadata: 'meta', error: 0 },
    { offset: 7n, epoch: -1, metadata: '', error: 0 },
    { offset: -1n, epoch: -1, metadata: '', error: 0 },
  ]);
  const all = r.coordinator.fetchOffsets('s', null, true);
  assert.deepEqual(all.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]), [['t', [0, 1]]]);
  // Unknown group: -1 for requested partitions, nothing for "all".
  assert.deepEqual(fetched(r, 'nope', 't', [0]), [{ offset: -1n, epoch: -1, metadata: '', error: 0 }]);
  assert.deepEqual(r.coordinator.fetchOffsets('nope', null, false).topics, []);
  // The empty group id is allowed for offsets (backwards compatibility).
  assert.deepEqual(commit(r, { groupId: '', partitions: [part('t', 0, 1)] }), [0]);
  const rec = r.log.recordsOfType('OffsetCommit')[0]!;
  assert.equal(rec.keyVersion, 1);
  assert.equal(rec.valueVersion, 3);
});

test('group-managed commits check member, generation and state', () => {
  const r = rig();
  const { members, leader, generation } = stableGroup(r, 'g', 2);
  const follower = members.find((m) => m !== leader)!;
  assert.deepEqual(commit(r, { groupId: 'g', memberId: follower, generationId: generation, partitions: [part('t', 0, 10)] }), [0]);
  assert.deepEqual(commit(r, { groupId: 'g', memberId: follower, generationId: generation + 1, partitions: [part('t', 0, 11)] }), [ErrorCode.ILLEGAL_GENERATION]);
  assert.deepEqual(commit(r, { groupId: 'g', memberId: 'ghost', generationId: generation, partitions: [part('t', 0, 11)] }), [ErrorCode.UNKNOWN_MEMBER_ID]);
  assert.deepEqual(commit(r, { groupId: 'g', partitions: [part('t', 0, 11)] }), [ErrorCode.UNKNOWN_MEMBER_ID], 'a simple commit to a group with members');
  assert.deepEqual(commit(r, { groupId: 'g', memberId: follower, groupInstanceId: 'x', generationId: generation, partitions: [part('t', 0, 11)] }), [ErrorCode.UNKNOWN_MEMBER_ID]);
  // Group-managed commit to an unknown group: ILLEGAL_GENERATION, GROUP_ID_NOT_FOUND from v9.
  assert.deepEqual(commit(r, { groupId: 'other', memberId: 'm', generationId: 1, apiVersion: 8, partitions: [part('t', 0, 1)] }), [ErrorCode.ILLEGAL_GENERATION]);
  assert.deepEqual(commit(r, { groupId: 'other', memberId: 'm', generationId: 1, apiVersion: 9, partitions: [part('t', 0, 1)] }), [ErrorCode.GROUP_ID_NOT_FOUND]);
  assert.equal(r.coordinator.groups.has('other'), false);
  // PreparingRebalance: commits with the old generation are still accepted.
  const lj = join(r, { groupId: 'g', memberId: leader });
  assert.deepEqual(commit(r, { groupId: 'g', memberId: follower, generationId: generation, partitions: [part('t', 0, 12)] }), [0]);
  // CompletingRebalance: REBALANCE_IN_PROGRESS.
  const fj = join(r, { groupId: 'g', memberId: follower });
  assert.ok(lj.done && fj.done);
  assert.equal(r.coordinator.groups.get('g')!.state, GroupState.COMPLETING_REBALANCE);
  assert.deepEqual(commit(r, { groupId: 'g', memberId: follower, generationId: generation + 1, partitions: [part('t', 0, 13)] }), [ErrorCode.REBALANCE_IN_PROGRESS]);
  assert.equal(fetched(r, 'g', 't', [0])[0]!.offset, 12n);
});

test('offset.metadata.max.bytes, storage errors mapped as Kafka does', () => {
  const r = rig({ offsetMetadataMaxBytes: 10 });
  assert.deepEqual(commit(r, { groupId: 's', partitions: [part('t', 0, 1, { metadata: 'x'.repeat(11) }), part('t', 1, 1, { metadata: 'x'.repeat(10) })] }), [ErrorCode.OFFSET_METADATA_TOO_LARGE, 0]);
  assert.equal(fetched(r, 's', 't', [0])[0]!.offset, -1n);
  r.log.failWith = ErrorCode.RECORD_LIST_TOO_LARGE;
  assert.deepEqual(commit(r, { groupId: 's', partitions: [part('t', 0, 1)] }), [ErrorCode.INVALID_COMMIT_OFFSET_SIZE]);
  r.log.failWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
  assert.deepEqual(commit(r, { groupId: 's', partitions: [part('t', 0, 1)] }), [ErrorCode.NOT_COORDINATOR]);
  r.log.failWith = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  assert.deepEqual(commit(r, { groupId: 's2', partitions: [part('t', 0, 1)] }), [ErrorCode.COORDINATOR_NOT_AVAILABLE]);
  assert.equal(r.coordinator.groups.has('s2'), false, 'a failed first commit leaves no group');
});

test('replay of the written records rebuilds groups, members, assignments and offsets; tombstones delete', () => {
  const r = rig();
  const { members, leader } = stableGroup(r, 'g', 2);
  commit(r, { groupId: 'g', memberId: leader, generationId: 1, partitions: [part('t', 0, 42, { metadata: 'm', leaderEpoch: 7 })] });
  commit(r, { groupId: 's', partitions: [part('u', 3, 9)] });
  commit(r, { groupId: 'gone', partitions: [part('u', 0, 1)] });
  assert.equal(r.coordinator.deleteGroups(['gone'])[0]!.errorCode, ErrorCode.NONE);
  const groups = r.log.replay().buildGroups();
  const byId = new Map(groups.map((g) => [g.groupId, g]));
  assert.deepEqual([...byId.keys()].sort(), ['g', 's']);
  const g = byId.get('g')!;
  assert.equal(g.state, GroupState.STABLE);
  assert.equal(g.generationId, 1);
  assert.equal(g.protocolType, 'consumer');
  assert.equal(g.protocolName, 'range');
  assert.equal(g.leaderId, leader);
  assert.deepEqual([...g.members.keys()].sort(), [...members].sort());
  assert.deepEqual(g.member(members[1]!).assignment, r.coordinator.groups.get('g')!.member(members[1]!).assignment);
  assert.deepEqual(g.offset('t', 0), { ...r.coordinator.groups.get('g')!.offset('t', 0) });
  assert.equal(g.offset('t', 0)!.leaderEpoch, 7);
  assert.deepEqual(g.subscribedTopics, new Set(['t']));
  const s = byId.get('s')!;
  assert.equal(s.state, GroupState.EMPTY);
  assert.equal(s.protocolType, null);
  assert.equal(s.offset('u', 3)!.offset, 9n);

  // A loaded group's members must heartbeat within their session timeouts.
  const r2 = rig();
  r2.coordinator.completeLoading(r2.coordinator.partitionFor('g'), [g]);
  r2.timer.advance(5000);
  assert.equal(r2.coordinator.heartbeat({ groupId: 'g', memberId: members[0]!, generationId: 1, groupInstanceId: null }), ErrorCode.NONE);
  r2.timer.advance(5000);
  assert.equal(r2.coordinator.groups.get('g')!.size, 1, 'the silent member was removed');
});

test('retention: Empty groups expire offsets after offsets.retention from becoming Empty, then the group goes', () => {
  const retention = 5000;
  const r = rig({ offsetsRetentionMs: retention });
  const { leader } = stableGroup(r, 'g', 1, { sessionTimeoutMs: 60_000 });
  commit(r, { groupId: 'g', memberId: leader, generationId: 1, partitions: [part('t', 0, 1)] });
  r.timer.advance(2 * retention);
  assert.equal(r.coordinator.cleanupExpiredOffsets(), 0, 'a Stable group subscribed to t keeps its offsets');
  r.coordinator.leaveGroup('g', [{ memberId: leader, groupInstanceId: null, reason: null }]);
  assert.equal(r.coordinator.groups.get('g')!.state, GroupState.EMPTY);
  r.timer.advance(retention - 1);
  assert.equal(r.coordinator.cleanupExpiredOffsets(), 0);
  r.timer.advance(1);
  assert.equal(r.coordinator.cleanupExpiredOffsets(), 1);
  assert.equal(r.coordinator.groups.has('g'), false);
  const last = r.log.appended.at(-1)!.records;
  assert.deepEqual(last.map((x) => [x.type, x.value]), [['OffsetCommit', null], ['GroupMetadata', null]]);
  assert.equal(r.coordinator.describeGroup('g').groupState, 'Dead');
});

test('retention: simple groups per commit; explicit retention_time_ms (v2-v4) expires at its time', () => {
  const r = rig({ offsetsRetentionMs: 60_000 });
  commit(r, { groupId: 's', partitions: [part('t', 0, 1)] });
  r.timer.advance(30_000);
  commit(r, { groupId: 's', partitions: [part('t', 1, 1)] });
  commit(r, { groupId: 'v2', retentionTimeMs: 5000, apiVersion: 2, partitions: [part('t', 0, 1)] });
  const rec = r.log.recordsOfType('OffsetCommit').at(-1)!;
  assert.equal(rec.valueVersion, 1, 'an expire timestamp needs value v1');
  r.timer.advance(5000);
  assert.equal(r.coordinator.cleanupExpiredOffsets(), 1);
  assert.equal(r.coordinator.groups.has('v2'), false);
  r.timer.advance(25_000);
  assert.equal(r.coordinator.cleanupExpiredOffsets(), 1);
  assert.deepEqual(fetched(r, 's', 't', [0, 1]).map((x) => x.offset), [-1n, 1n]);
  r.timer.advance(30_000);
  assert.equal(r.coordinator.cleanupExpiredOffsets(), 1);
  assert.equal(r.coordinator.groups.has('s'), false);
});

test('retention: a Stable consumer group expires offsets of topics it no longer subscribes to', () => {
  const r = rig({ offsetsRetentionMs: 5000 });
  const { leader } = stableGroup(r, 'g', 1, { sessionTimeoutMs: 60_000 });
  commit(r, { groupId: 'g', memberId: leader, generationId: 1, partitions: [part('t', 0, 1), part('old', 0, 1)] });
  r.timer.advance(5000);
  heartbeatLeader();
  assert.equal(r.coordinator.cleanupExpiredOffsets(), 1);
  assert.equal(fetched(r, 'g', 'old', [0])[0]!.offset, -1n);
  assert.equal(fetched(r, 'g', 't', [0])[0]!.offset, 1n);
  function heartbeatLeader(): void {
    r.coordinator.heartbeat({ groupId: 'g', memberId: leader, generationId: 1, groupInstanceId: null });
  }
});

test('the retention task runs every offsets.retention.check.interval.ms', () => {
  const r = rig({ offsetsRetentionMs: 1000, offsetsRetentionCheckIntervalMs: 5000 });
  r.coordinator.scheduleExpiration();
  commit(r, { groupId: 's', partitions: [part('t', 0, 1)] });
  r.timer.advance(4999);
  assert.equal(r.coordinator.groups.has('s'), true);
  r.timer.advance(1);
  assert.equal(r.coordinator.groups.has('s'), false);
  commit(r, { groupId: 's', partitions: [part('t', 0, 1)] });
  r.timer.advance(5000);
  assert.equal(r.coordinator.groups.has('s'), false, 'and again');
});

test('DeleteGroups: Empty groups only, tombstones for offsets and metadata', () => {
  const r = rig();
  stableGroup(r, 'busy', 1);
  commit(r, { groupId: 'e', partitions: [part('t', 0, 1), part('t', 1, 2)] });
  const res = r.coordinator.deleteGroups(['busy', 'e', 'none', '']);
  assert.deepEqual(res.map((x) => x.errorCode), [ErrorCode.NON_EMPTY_GROUP, ErrorCode.NONE, ErrorCode.GROUP_ID_NOT_FOUND, ErrorCode.GROUP_ID_NOT_FOUND]);
  const last = r.log.appended.at(-1)!;
  assert.equal(last.groupId, 'e');
  assert.deepEqual(last.records.map((x) => [x.type, x.value]), [['OffsetCommit', null], ['OffsetCommit', null], ['GroupMetadata', null]]);
  assert.equal(r.coordinator.deleteGroups(['e'])[0]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
});

test('OffsetDelete: GROUP_SUBSCRIBED_TO_TOPIC for a consumed topic, NON_EMPTY_GROUP for other protocols', () => {
  const r = rig();
  const { leader } = stableGroup(r, 'g', 1);
  commit(r, { groupId: 'g', memberId: leader, generationId: 1, partitions: [part('t', 0, 1), part('other', 0, 1)] });
  const res = r.coordinator.deleteOffsets('g', [{ topic: 't', partition: 0 }, { topic: 'other', partition: 0 }, { topic: 'other', partition: 9 }]);
  assert.equal(res.errorCode, ErrorCode.NONE);
  assert.deepEqual(res.partitions, [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE, ErrorCode.NONE]);
  assert.equal(fetched(r, 'g', 'other', [0])[0]!.offset, -1n);
  assert.equal(fetched(r, 'g', 't', [0])[0]!.offset, 1n);
  assert.equal(r.coordinator.deleteOffsets('none', [{ topic: 't', partition: 0 }]).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  // A non-consumer protocol group with members.
  const j = join(r, { groupId: 'c', protocolType: 'connect', protocols: [{ name: 'default', metadata: Buffer.from('x') }] });
  settleInitialDelay(r, [j]);
  sync(r, 'c', j.value.memberId, 1, [{ memberId: j.value.memberId, assignment: Buffer.from('a') }]);
  assert.equal(r.coordinator.deleteOffsets('c', [{ topic: 't', partition: 0 }]).errorCode, ErrorCode.NON_EMPTY_GROUP);
  // Empty group: anything goes.
  commit(r, { groupId: 'e', partitions: [part('t', 0, 1)] });
  assert.deepEqual(r.coordinator.deleteOffsets('e', [{ topic: 't', partition: 0 }]).partitions, [ErrorCode.NONE]);
});

test('ListGroups and DescribeGroups', () => {
  const r = rig();
  const { members, leader } = stableGroup(r, 'stable', 2, { protocols: [{ name: 'range', metadata: subscription(['t']) }] });
  commit(r, { groupId: 'simple', partitions: [part('t', 0, 1)] });
  join(r, { groupId: 'joining' });
  const all = r.coordinator.listGroups([], []);
  assert.equal(all.errorCode, ErrorCode.NONE);
  assert.deepEqual(
    all.groups.map((g) => [g.groupId, g.groupState, g.protocolType, g.groupType]).sort(),
    [
      ['joining', 'PreparingRebalance', 'consumer', 'classic'],
      ['simple', 'Empty', '', 'classic'],
      ['stable', 'Stable', 'consumer', 'classic'],
    ],
  );
  assert.deepEqual(r.coordinator.listGroups(['stable', 'EMPTY'], []).groups.map((g) => g.groupId).sort(), ['simple', 'stable']);
  assert.deepEqual(r.coordinator.listGroups([], ['consumer']).groups, []);
  assert.equal(r.coordinator.listGroups([], ['Classic']).groups.length, 3);

  const d = r.coordinator.describeGroup('stable');
  assert.equal(d.groupState, 'Stable');
  assert.equal(d.protocolType, 'consumer');
  assert.equal(d.protocolData, 'range');
  assert.deepEqual(d.members.map((m) => m.memberId).sort(), [...members].sort());
  const lm = d.members.find((m) => m.memberId === leader)!;
  assert.deepEqual(lm.memberMetadata, subscription(['t']));
  assert.deepEqual(lm.memberAssignment, assignment({ t: [members.indexOf(leader)] }));
  assert.equal(lm.clientHost, '/127.0.0.1');
  const p = r.coordinator.describeGroup('joining');
  assert.equal(p.groupState, 'PreparingRebalance');
  assert.equal(p.protocolData, '');
  assert.equal(p.members[0]!.memberMetadata.length, 0);
  assert.deepEqual(r.coordinator.describeGroup('missing'), { errorCode: 0, groupId: 'missing', groupState: 'Dead', protocolType: '', protocolData: '', members: [] });
});

test('offsets of deleted topics go from every group (at once, or at the next retention run)', () => {
  const existing = new Set(['t', 'u']);
  const r = rig({}, 'loaded', (t) => existing.has(t));
  const { coordinator } = r;
  const { leader } = stableGroup(r, 'g', 1, { sessionTimeoutMs: 60_000 });
  commit(r, { groupId: 'g', memberId: leader, generationId: 1, partitions: [part('t', 0, 1), part('u', 0, 1)] });
  commit(r, { groupId: 's', partitions: [part('u', 0, 1)] });
  assert.equal(coordinator.onTopicsDeleted(['u']), 2);
  assert.equal(fetched(r, 'g', 'u', [0])[0]!.offset, -1n);
  assert.equal(fetched(r, 'g', 't', [0])[0]!.offset, 1n);
  assert.equal(coordinator.groups.has('s'), false, 'an Empty group left without offsets is deleted');
  commit(r, { groupId: 's2', partitions: [part('t', 0, 1)] });
  existing.delete('t');
  assert.equal(coordinator.cleanupExpiredOffsets(), 2);
  assert.equal(coordinator.groups.has('s2'), false);
  assert.equal(coordinator.groups.get('g')!.hasOffsets(), false);
  assert.equal(coordinator.groups.get('g')!.state, GroupState.STABLE);
});
