import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/errors/index.ts';
import { GroupState } from '../../../src/broker/group/classic-group.ts';
import { javaStringHashCode, partitionForGroup } from '../../../src/broker/group/partition-for.ts';
import { assignment, heartbeat, join, rangeProtocols, rig, settleInitialDelay, stableGroup, subscription, sync } from './helpers.ts';

test("partitionFor is Utils.abs(groupId.hashCode()) % partitions, with Java's String.hashCode", () => {
  assert.equal(javaStringHashCode('hello'), 99162322);
  assert.equal(javaStringHashCode(''), 0);
  assert.equal(javaStringHashCode('g1'), 3242);
  // Integer.MIN_VALUE: Utils.abs maps it to 0.
  assert.equal(javaStringHashCode('polygenelubricants'), -2147483648);
  assert.equal(partitionForGroup('polygenelubricants', 50), 0);
  assert.equal(partitionForGroup('g1', 50), 42);
  // Against the definition s[0]*31^(n-1) + ... + s[n-1] mod 2^32, for negative hashes and non-ASCII too.
  const reference = (s: string): number => {
    let h = 0n;
    for (let i = 0; i < s.length; i++) h = h * 31n + BigInt(s.charCodeAt(i));
    return Number(BigInt.asIntN(32, h));
  };
  for (const s of ['console-consumer-12345', 'gröup-ü', '😀 emoji group', 'a'.repeat(1000), 'connect-cluster']) {
    assert.equal(javaStringHashCode(s), reference(s), s);
    assert.equal(partitionForGroup(s, 50), Math.abs(reference(s)) % 50, s);
  }
  assert.ok(['console-consumer-12345', 'gröup-ü', '😀 emoji group'].some((s) => reference(s) < 0), 'covers a negative hash');
});

test('v4+ dynamic member: MEMBER_ID_REQUIRED first, then the initial delayed rebalance', () => {
  const r = rig();
  const first = join(r, { groupId: 'g', clientId: 'cli', requireKnownMemberId: true });
  assert.equal(first.value.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  const memberId = first.value.memberId;
  assert.match(memberId, /^cli-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(first.value.generationId, -1);
  const second = join(r, { groupId: 'g', memberId, requireKnownMemberId: true });
  assert.equal(second.done, false, 'parked during group.initial.rebalance.delay.ms');
  assert.equal(r.coordinator.groups.get('g')!.state, GroupState.PREPARING_REBALANCE);
  r.timer.advance(99);
  assert.equal(second.done, false);
  r.timer.advance(1);
  const res = second.value;
  assert.equal(res.errorCode, ErrorCode.NONE);
  assert.equal(res.generationId, 1);
  assert.equal(res.leader, memberId);
  assert.equal(res.protocolName, 'range');
  assert.equal(res.protocolType, 'consumer');
  assert.equal(res.members.length, 1);
  assert.equal(r.coordinator.groups.get('g')!.state, GroupState.COMPLETING_REBALANCE);
});

test('a pending MEMBER_ID_REQUIRED member expires after its session timeout', () => {
  const r = rig();
  const first = join(r, { groupId: 'g', requireKnownMemberId: true, sessionTimeoutMs: 5000 });
  const g = r.coordinator.groups.get('g')!;
  assert.equal(g.pendingJoinMembers.size, 1);
  r.timer.advance(5000);
  assert.equal(g.pendingJoinMembers.size, 0);
  const late = join(r, { groupId: 'g', memberId: first.value.memberId, requireKnownMemberId: true });
  assert.equal(late.value.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('the initial delay is extended while new members arrive, up to the rebalance timeout', () => {
  const r = rig({ initialRebalanceDelayMs: 1000 });
  const a = join(r, { groupId: 'g', rebalanceTimeoutMs: 2500 });
  r.timer.advance(900);
  const b = join(r, { groupId: 'g', rebalanceTimeoutMs: 2500 });
  r.timer.advance(100); // first delay ends, a member was added: extend by min(1000, 1500)
  assert.equal(a.done, false);
  r.timer.advance(900);
  const c = join(r, { groupId: 'g', rebalanceTimeoutMs: 2500 });
  r.timer.advance(100); // extend by min(1000, 500)
  assert.equal(a.done, false);
  r.timer.advance(500);
  assert.ok(a.done && b.done && c.done);
  assert.equal(a.value.generationId, 1);
  assert.equal(a.value.members.length + b.value.members.length + c.value.members.length, 3);
});

test('three members: one leader with every member, followers wait for the leader\'s SyncGroup', () => {
  const r = rig();
  const joins = [0, 1, 2].map((i) => join(r, { groupId: 'g', clientId: `c${i}` }));
  settleInitialDelay(r, joins);
  const [a, b, c] = joins.map((j) => j.value);
  assert.ok(a && b && c);
  assert.equal(new Set([a.leader, b.leader, c.leader]).size, 1);
  const leader = a.leader;
  for (const j of [a, b, c]) {
    assert.equal(j.generationId, 1);
    assert.equal(j.members.length, j.memberId === leader ? 3 : 0);
  }
  const followers = [a, b, c].filter((j) => j.memberId !== leader);
  const fs = followers.map((f) => sync(r, 'g', f.memberId, 1));
  assert.ok(fs.every((s) => !s.done));
  assert.equal(heartbeat(r, 'g', followers[0]!.memberId, 1), ErrorCode.NONE, 'heartbeats are fine in CompletingRebalance');
  const assignments = [a, b, c].map((j, i) => ({ memberId: j.memberId, assignment: assignment({ t: [i] }) }));
  const ls = sync(r, 'g', leader, 1, assignments, { protocolType: 'consumer', protocolName: 'range' });
  assert.equal(ls.value.errorCode, ErrorCode.NONE);
  for (const [i, s] of fs.entries()) {
    assert.equal(s.value.errorCode, ErrorCode.NONE);
    assert.equal(s.value.protocolName, 'range');
    const idx = [a, b, c].findIndex((j) => j.memberId === followers[i]!.memberId);
    assert.deepEqual(s.value.assignment, assignment({ t: [idx] }));
  }
  const g = r.coordinator.groups.get('g')!;
  assert.equal(g.state, GroupState.STABLE);
  const meta = r.log.recordsOfType('GroupMetadata');
  assert.equal(meta.length, 1);
  const v = meta[0]!.value as { generation: number; members: { memberId: string; assignment: Uint8Array }[]; leader: string };
  assert.equal(v.generation, 1);
  assert.equal(v.leader, leader);
  assert.equal(v.members.length, 3);
  // A Stable SyncGroup returns the current assignment.
  const again = sync(r, 'g', followers[0]!.memberId, 1);
  assert.equal(again.value.errorCode, ErrorCode.NONE);
});

test('SyncGroup and Heartbeat errors: generation, member, protocol, rebalance', () => {
  const r = rig();
  const { members, leader } = stableGroup(r, 'g', 2);
  const follower = members.find((m) => m !== leader)!;
  assert.equal(heartbeat(r, 'g', follower, 2), ErrorCode.ILLEGAL_GENERATION);
  assert.equal(heartbeat(r, 'g', 'nobody', 1), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(heartbeat(r, 'nogroup', follower, 1), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(sync(r, 'g', follower, 0).value.errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.equal(sync(r, 'g', follower, 1, [], { protocolType: 'connect' }).value.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal(sync(r, 'g', follower, 1, [], { protocolName: 'roundrobin' }).value.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal(sync(r, 'g', 'nobody', 1).value.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  // The leader rejoins: a rebalance starts, followers learn it from heartbeats.
  const lj = join(r, { groupId: 'g', memberId: leader });
  assert.equal(lj.done, false);
  assert.equal(heartbeat(r, 'g', follower, 1), ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(sync(r, 'g', follower, 1).value.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  const fj = join(r, { groupId: 'g', memberId: follower });
  assert.equal(lj.value.generationId, 2);
  assert.equal(fj.value.generationId, 2);
});

test('a follower rejoining with the same metadata in Stable gets the current generation, no rebalance', () => {
  const r = rig();
  const { members, leader } = stableGroup(r, 'g', 2);
  const follower = members.find((m) => m !== leader)!;
  const j = join(r, { groupId: 'g', memberId: follower });
  assert.equal(j.value.errorCode, ErrorCode.NONE);
  assert.equal(j.value.generationId, 1);
  assert.equal(j.value.members.length, 0);
  assert.equal(r.coordinator.groups.get('g')!.state, GroupState.STABLE);
  // Changed subscription: rebalance.
  const j2 = join(r, { groupId: 'g', memberId: follower, protocols: rangeProtocols(['t', 'u']) });
  assert.equal(j2.done, false);
  assert.equal(r.coordinator.groups.get('g')!.state, GroupState.PREPARING_REBALANCE);
});

test('session timeout evicts a silent member and rebalances the rest', () => {
  const r = rig();
  const { members } = stableGroup(r, 'g', 3, { sessionTimeoutMs: 6000 });
  const [a, b, c] = members as [string, string, string];
  r.timer.advance(5000);
  assert.equal(heartbeat(r, 'g', a, 1), ErrorCode.NONE);
  assert.equal(heartbeat(r, 'g', b, 1), ErrorCode.NONE);
  r.timer.advance(1000); // c has been silent for 6 s
  const g = r.coordinator.groups.get('g')!;
  assert.equal(g.has(c), false);
  assert.equal(g.state, GroupState.PREPARING_REBALANCE);
  assert.equal(heartbeat(r, 'g', a, 1), ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(heartbeat(r, 'g', c, 1), ErrorCode.UNKNOWN_MEMBER_ID);
  const ja = join(r, { groupId: 'g', memberId: a });
  assert.equal(ja.done, false);
  const jb = join(r, { groupId: 'g', memberId: b });
  assert.equal(ja.value.generationId, 2);
  assert.equal(jb.value.generationId, 2);
  assert.equal(g.size, 2);
});

test('a member that does not rejoin within the rebalance timeout is evicted', () => {
  const r = rig();
  const { members } = stableGroup(r, 'g', 2, { rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 30_000 });
  const [a, b] = members as [string, string];
  const ja = join(r, { groupId: 'g', memberId: a, rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 30_000 });
  assert.equal(heartbeat(r, 'g', b, 1), ErrorCode.REBALANCE_IN_PROGRESS);
  r.timer.advance(19_999);
  assert.equal(ja.done, false);
  r.timer.advance(1);
  assert.equal(ja.value.generationId, 2);
  assert.equal(ja.value.leader, a);
  assert.deepEqual(ja.value.members.map((m) => m.memberId), [a]);
  assert.equal(r.coordinator.groups.get('g')!.has(b), false);
});

test('members that never send SyncGroup are removed after the rebalance timeout', () => {
  const r = rig();
  const joins = [0, 1].map((i) => join(r, { groupId: 'g', clientId: `c${i}`, rebalanceTimeoutMs: 5000 }));
  settleInitialDelay(r, joins);
  const leader = joins[0]!.value.leader;
  const follower = joins.map((j) => j.value.memberId).find((m) => m !== leader)!;
  sync(r, 'g', leader, 1, [{ memberId: leader, assignment: assignment({ t: [0, 1] }) }]);
  const g = r.coordinator.groups.get('g')!;
  assert.equal(g.state, GroupState.STABLE);
  r.timer.advance(4000);
  heartbeat(r, 'g', leader, 1);
  r.timer.advance(1000);
  assert.equal(g.has(follower), false);
  assert.equal(g.state, GroupState.PREPARING_REBALANCE);
});

test('LeaveGroup rebalances; the last member leaving empties the group and writes it', () => {
  const r = rig();
  const { members } = stableGroup(r, 'g', 2);
  const [a, b] = members as [string, string];
  const res = r.coordinator.leaveGroup('g', [{ memberId: a, groupInstanceId: null, reason: 'bye' }, { memberId: 'ghost', groupInstanceId: null, reason: null }]);
  assert.equal(res.errorCode, ErrorCode.NONE);
  assert.deepEqual(res.members.map((m) => m.errorCode), [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
  const g = r.coordinator.groups.get('g')!;
  assert.equal(g.state, GroupState.PREPARING_REBALANCE);
  const jb = join(r, { groupId: 'g', memberId: b });
  assert.equal(jb.value.generationId, 2);
  sync(r, 'g', b, 2, [{ memberId: b, assignment: assignment({ t: [0] }) }]);
  const res2 = r.coordinator.leaveGroup('g', [{ memberId: b, groupInstanceId: null, reason: null }]);
  assert.equal(res2.members[0]!.errorCode, ErrorCode.NONE);
  assert.equal(g.state, GroupState.EMPTY);
  assert.equal(g.generationId, 3);
  const last = r.log.recordsOfType('GroupMetadata').at(-1)!.value as { generation: number; members: unknown[]; protocol: string | null };
  assert.equal(last.generation, 3);
  assert.equal(last.members.length, 0);
  assert.equal(last.protocol, null);
  assert.equal(r.coordinator.leaveGroup('nope', [{ memberId: 'x', groupInstanceId: null, reason: null }]).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('JoinGroup validation: session timeout bounds, group id, protocol type and protocols, max size', () => {
  const r = rig({ maxSize: 2 });
  assert.equal(join(r, { groupId: 'g', sessionTimeoutMs: 999 }).value.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal(join(r, { groupId: 'g', sessionTimeoutMs: 60_001 }).value.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal(join(r, { groupId: '' }).value.errorCode, ErrorCode.INVALID_GROUP_ID);
  assert.equal(join(r, { groupId: 'g', protocolType: '' }).value.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal(join(r, { groupId: 'g', protocols: [] }).value.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal(r.coordinator.groups.has('g'), false, 'a failed first join leaves no group behind');
  assert.equal(join(r, { groupId: 'g', memberId: 'unknown' }).value.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const a = join(r, { groupId: 'g' });
  assert.equal(join(r, { groupId: 'g', protocolType: 'connect' }).value.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal(join(r, { groupId: 'g', protocols: [{ name: 'roundrobin', metadata: subscription(['t']) }] }).value.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const b = join(r, { groupId: 'g' });
  const c = join(r, { groupId: 'g' });
  assert.equal(c.value.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  settleInitialDelay(r, [a, b]);
  assert.equal(a.value.errorCode, ErrorCode.NONE);
  assert.equal(b.value.errorCode, ErrorCode.NONE);
});

test('protocol choice: only protocols every member supports, by first-choice votes', () => {
  const r = rig();
  const p = (names: string[]) => names.map((name) => ({ name, metadata: subscription(['t']) }));
  const a = join(r, { groupId: 'g', protocols: p(['cooperative-sticky', 'range']) });
  const b = join(r, { groupId: 'g', protocols: p(['range', 'cooperative-sticky']) });
  const c = join(r, { groupId: 'g', protocols: p(['range', 'cooperative-sticky', 'roundrobin']) });
  settleInitialDelay(r, [a, b, c]);
  assert.equal(a.value.protocolName, 'range');
  assert.equal(b.value.protocolName, 'range');
  assert.equal(c.value.protocolName, 'range');
  const r2 = rig();
  const x = join(r2, { groupId: 'g', protocols: p(['roundrobin', 'range']) });
  const y = join(r2, { groupId: 'g', protocols: p(['range']) });
  settleInitialDelay(r2, [x, y]);
  assert.equal(x.value.protocolName, 'range', 'roundrobin is not supported by everyone');
});

test('the leader leaving during CompletingRebalance: parked SyncGroups get REBALANCE_IN_PROGRESS', () => {
  const r = rig();
  const joins = [0, 1].map((i) => join(r, { groupId: 'g', clientId: `c${i}` }));
  settleInitialDelay(r, joins);
  const leader = joins[0]!.value.leader;
  const follower = joins.map((j) => j.value.memberId).find((m) => m !== leader)!;
  const fs = sync(r, 'g', follower, 1);
  r.coordinator.leaveGroup('g', [{ memberId: leader, groupInstanceId: null, reason: null }]);
  assert.equal(fs.value.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  const fj = join(r, { groupId: 'g', memberId: follower });
  assert.equal(fj.value.generationId, 2);
  assert.equal(fj.value.leader, follower);
});

test('a failed GroupMetadata write in SyncGroup resets the assignment and rebalances', () => {
  const r = rig();
  const joins = [0, 1].map((i) => join(r, { groupId: 'g', clientId: `c${i}` }));
  settleInitialDelay(r, joins);
  const leader = joins[0]!.value.leader;
  const follower = joins.map((j) => j.value.memberId).find((m) => m !== leader)!;
  const fs = sync(r, 'g', follower, 1);
  r.log.failWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
  const ls = sync(r, 'g', leader, 1, [{ memberId: leader, assignment: assignment({ t: [0] }) }]);
  assert.equal(ls.value.errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(fs.value.errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(r.coordinator.groups.get('g')!.state, GroupState.PREPARING_REBALANCE);
});

test('static membership: a restart inside the session timeout keeps generation and assignment', () => {
  const r = rig();
  const a = join(r, { groupId: 'g', groupInstanceId: 'i-a', clientId: 'ca', requireKnownMemberId: true });
  const b = join(r, { groupId: 'g', groupInstanceId: 'i-b', clientId: 'cb', requireKnownMemberId: true });
  settleInitialDelay(r, [a, b]);
  assert.equal(a.value.errorCode, ErrorCode.NONE, 'static members skip MEMBER_ID_REQUIRED');
  assert.match(a.value.memberId, /^i-a-/);
  const leader = a.value.leader;
  const ids = [a.value.memberId, b.value.memberId];
  const follower = ids.find((m) => m !== leader)!;
  const followerInstance = follower === a.value.memberId ? 'i-a' : 'i-b';
  sync(r, 'g', follower, 1, [], { groupInstanceId: followerInstance });
  sync(r, 'g', leader, 1, ids.map((m, i) => ({ memberId: m, assignment: assignment({ t: [i] }) })), { groupInstanceId: followerInstance === 'i-a' ? 'i-b' : 'i-a' });
  const g = r.coordinator.groups.get('g')!;
  assert.equal(g.state, GroupState.STABLE);
  const followerAssignment = g.member(follower).assignment;

  // The follower restarts: a new JoinGroup with no member id and the same instance id.
  const rejoin = join(r, { groupId: 'g', groupInstanceId: followerInstance, clientId: 'c-new', requireKnownMemberId: true });
  const res = rejoin.value;
  assert.equal(res.errorCode, ErrorCode.NONE);
  assert.notEqual(res.memberId, follower);
  assert.equal(res.generationId, 1, 'no rebalance');
  assert.equal(res.leader, leader);
  assert.equal(g.state, GroupState.STABLE);
  const s = sync(r, 'g', res.memberId, 1, [], { groupInstanceId: followerInstance });
  assert.equal(s.value.errorCode, ErrorCode.NONE);
  assert.deepEqual(s.value.assignment, followerAssignment);
  // The old member id is fenced.
  assert.equal(heartbeat(r, 'g', follower, 1, followerInstance), ErrorCode.FENCED_INSTANCE_ID);
  assert.equal(heartbeat(r, 'g', res.memberId, 1, followerInstance), ErrorCode.NONE);
  assert.equal(join(r, { groupId: 'g', memberId: follower, groupInstanceId: followerInstance }).value.errorCode, ErrorCode.FENCED_INSTANCE_ID);
  assert.equal(heartbeat(r, 'g', res.memberId, 1, 'i-unknown'), ErrorCode.UNKNOWN_MEMBER_ID);
  // The replacement was persisted.
  const last = r.log.recordsOfType('GroupMetadata').at(-1)!.value as { members: { memberId: string; groupInstanceId: string | null }[] };
  assert.ok(last.members.some((m) => m.memberId === res.memberId && m.groupInstanceId === followerInstance));
});

test('static leader restart: the old leader id is returned so it does not reassign; v9 says skip_assignment', () => {
  const r = rig();
  const a = join(r, { groupId: 'g', groupInstanceId: 'i-a' });
  r.timer.advance(100);
  const leader = a.value.memberId;
  sync(r, 'g', leader, 1, [{ memberId: leader, assignment: assignment({ t: [0] }) }], { groupInstanceId: 'i-a' });
  const re = join(r, { groupId: 'g', groupInstanceId: 'i-a' });
  assert.equal(re.value.generationId, 1);
  assert.equal(re.value.leader, leader, 'the old id, not the new one');
  assert.equal(re.value.members.length, 0);
  const re9 = join(r, { groupId: 'g', groupInstanceId: 'i-a', supportSkippingAssignment: true });
  assert.equal(re9.value.leader, re9.value.memberId);
  assert.equal(re9.value.skipAssignment, true);
  assert.equal(re9.value.members.length, 1);
});

test('static member with changed protocols rebalances; one that does not rejoin stays until its session expires', () => {
  const r = rig();
  const both = [...rangeProtocols(), { name: 'roundrobin', metadata: subscription(['t']) }];
  const a = join(r, { groupId: 'g', groupInstanceId: 'i-a', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 5000, protocols: both });
  const b = join(r, { groupId: 'g', groupInstanceId: 'i-b', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 5000, protocols: both });
  settleInitialDelay(r, [a, b]);
  const leader = a.value.leader;
  for (const j of [a, b]) {
    if (j.value.memberId !== leader) sync(r, 'g', j.value.memberId, 1, [], { groupInstanceId: j === a ? 'i-a' : 'i-b' });
  }
  sync(r, 'g', leader, 1, [], { groupInstanceId: leader === a.value.memberId ? 'i-a' : 'i-b' });
  const g = r.coordinator.groups.get('g')!;
  assert.equal(g.state, GroupState.STABLE);
  const bId = b.value.memberId;
  assert.equal(g.protocolName, 'range');
  // Same protocols, other subscription bytes: the protocol choice is unchanged, no rebalance (Kafka's rule).
  const aSame = join(r, { groupId: 'g', groupInstanceId: 'i-a', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 5000, protocols: [{ name: 'range', metadata: subscription(['t', 'u']) }, both[1]!] });
  assert.equal(aSame.value.generationId, 1);
  assert.equal(g.state, GroupState.STABLE);
  // Static member a rejoins supporting only roundrobin: the selected protocol changes → rebalance.
  const aNew = join(r, { groupId: 'g', groupInstanceId: 'i-a', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 5000, protocols: [both[1]!] });
  assert.equal(g.state, GroupState.PREPARING_REBALANCE);
  // b (static) never rejoins: the join completes at the rebalance timeout without evicting it.
  r.timer.advance(5000);
  assert.equal(aNew.value.errorCode, ErrorCode.NONE);
  assert.equal(aNew.value.generationId, 2);
  assert.equal(g.has(bId), true, 'static members are not evicted at join completion');
  // ... but its session timeout does.
  r.timer.advance(10_000);
  assert.equal(g.has(bId), false);
});

test('loading: COORDINATOR_LOAD_IN_PROGRESS, SyncGroup REBALANCE_IN_PROGRESS, Heartbeat NONE', () => {
  const r = rig({}, 'loading');
  assert.equal(join(r, { groupId: 'g' }).value.errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(sync(r, 'g', 'm', 1).value.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(heartbeat(r, 'g', 'm', 1), ErrorCode.NONE);
  assert.equal(r.coordinator.fetchOffsets('g', null, false).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(r.coordinator.listGroups([], []).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  r.coordinator.completeLoading(r.coordinator.partitionFor('g'), []);
  assert.equal(r.coordinator.fetchOffsets('g', null, false).errorCode, ErrorCode.NONE);
});

test('shutdown answers parked requests with NOT_COORDINATOR and refuses new ones', () => {
  const r = rig();
  const j = join(r, { groupId: 'g' });
  r.coordinator.shutdown();
  assert.equal(j.value.errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(join(r, { groupId: 'g' }).value.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
});

test('a new member parked in JoinGroup is dropped after the new-member join timeout', () => {
  const r = rig({ newMemberJoinTimeoutMs: 300_000 });
  const { members } = stableGroup(r, 'g', 1, { rebalanceTimeoutMs: 600_000, sessionTimeoutMs: 60_000 });
  // A new member joins: a rebalance starts; the old member keeps heartbeating but never rejoins.
  const n = join(r, { groupId: 'g', rebalanceTimeoutMs: 600_000, sessionTimeoutMs: 60_000 });
  for (let t = 0; t < 300_000; t += 30_000) {
    r.timer.advance(30_000);
    heartbeat(r, 'g', members[0]!, 1);
  }
  assert.equal(n.value.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('a JoinGroup retried while parked answers the parked one with REBALANCE_IN_PROGRESS', () => {
  const r = rig();
  const { members } = stableGroup(r, 'g', 2);
  const [a, b] = members as [string, string];
  const first = join(r, { groupId: 'g', memberId: a });
  assert.equal(first.done, false);
  const retry = join(r, { groupId: 'g', memberId: a });
  assert.equal(first.value.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(retry.done, false);
  const jb = join(r, { groupId: 'g', memberId: b });
  assert.equal(retry.value.generationId, 2);
  assert.equal(jb.value.generationId, 2);
  assert.equal(first.calls, 1);
});
