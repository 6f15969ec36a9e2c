import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../../src/protocol/errors/index.ts';
import { ConsumerGroupManager } from '../../../../src/broker/group/consumer/consumer-group.ts';
import type { ConsumerHeartbeatParams, ConsumerHeartbeatResult, HeartbeatTopicPartitions, TopicInfo } from '../../../../src/broker/group/consumer/consumer-group.ts';
import { ManualTimer } from '../../../../src/broker/group/timer.ts';

const TOPICS: TopicInfo[] = [{ name: 't', topicId: 'TTTTTTTTTTTTTTTTTTTTTQ', partitions: 6 }];

function setup(extra: Partial<{ maxSize: number; isClassic: (id: string) => boolean }> = {}) {
  const timer = new ManualTimer();
  const topics = [...TOPICS];
  const mgr = new ConsumerGroupManager({
    config: { sessionTimeoutMs: 45_000, heartbeatIntervalMs: 5000, maxSize: extra.maxSize ?? 100, assignors: ['uniform', 'range'] },
    timer,
    topics: { byName: (n) => topics.find((t) => t.name === n), byId: (id) => topics.find((t) => t.topicId === id), names: () => topics.map((t) => t.name) },
    isClassicGroup: extra.isClassic,
  });
  return { timer, mgr, topics };
}

const base: ConsumerHeartbeatParams = {
  groupId: 'g', memberId: '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000,
  subscribedTopicNames: ['t'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [], clientId: 'c', clientHost: '/127.0.0.1', apiVersion: 1,
};
const parts = (r: ConsumerHeartbeatResult | HeartbeatTopicPartitions[]): number[] => (Array.isArray(r) ? r : (r.assignment?.topicPartitions ?? [])).flatMap((tp) => tp.partitions).sort((a, b) => a - b);

class Member {
  owned: HeartbeatTopicPartitions[] = [];
  epoch = 0;
  readonly mgr: ConsumerGroupManager;
  readonly id: string;
  constructor(mgr: ConsumerGroupManager, id: string) {
    this.mgr = mgr;
    this.id = id;
  }
  hb(extra: Partial<ConsumerHeartbeatParams> = {}): ConsumerHeartbeatResult {
    const r = this.mgr.heartbeat({ ...base, memberId: this.id, memberEpoch: this.epoch, topicPartitions: this.owned, ...extra });
    if (r.errorCode === ErrorCode.NONE) {
      this.epoch = r.memberEpoch;
      if (r.assignment) this.owned = r.assignment.topicPartitions;
    }
    return r;
  }
}

test('join, reconcile through revocation, epochs converge; stable group', () => {
  const { mgr } = setup();
  const a = new Member(mgr, 'a');
  const r1 = a.hb();
  assert.equal(r1.errorCode, ErrorCode.NONE);
  assert.equal(r1.memberEpoch, 1);
  assert.equal(r1.heartbeatIntervalMs, 5000);
  assert.deepEqual(parts(r1), [0, 1, 2, 3, 4, 5]);
  assert.equal(mgr.groups.get('g')!.state, 'Stable');

  const b = new Member(mgr, 'b');
  const rb = b.hb();
  // b's target partitions are still owned by a: b gets nothing yet but advances its epoch.
  assert.equal(rb.memberEpoch, 2);
  assert.deepEqual(parts(rb), []);
  assert.equal(mgr.groups.get('g')!.state, 'Reconciling');
  const g = mgr.groups.get('g')!;
  assert.equal(g.members.get('b')!.state, 'unreleased_partitions');

  // a must revoke first: it keeps epoch 1 and gets a smaller assignment.
  const ra = a.hb();
  assert.equal(ra.memberEpoch, 1);
  assert.equal(parts(ra).length, 3);
  assert.equal(g.members.get('a')!.state, 'unrevoked_partitions');
  // b still waits: a has not confirmed the revocation.
  assert.deepEqual(parts(b.hb()), []);
  // a confirms (owned = the smaller set): epoch 2.
  const ra2 = a.hb();
  assert.equal(ra2.memberEpoch, 2);
  // now b gets the released partitions.
  const rb2 = b.hb();
  assert.equal(parts(rb2).length, 3);
  assert.deepEqual([...parts(a.owned), ...parts(b.owned)].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5]);
  assert.equal(g.state, 'Stable');
  assert.equal(g.groupEpoch, 2);
  assert.equal(g.assignmentEpoch, 2);
});

test('session timeout fences a silent member and its partitions move', () => {
  const { mgr, timer } = setup();
  const a = new Member(mgr, 'a');
  const b = new Member(mgr, 'b');
  a.hb(); b.hb(); a.hb(); a.hb(); b.hb();
  assert.equal(parts(b.owned).length, 3);
  timer.advance(30_000);
  a.hb();
  timer.advance(20_000); // b silent for 50s > 45s
  const g = mgr.groups.get('g')!;
  assert.equal(g.members.has('b'), false);
  const r = a.hb();
  assert.deepEqual(parts(r), [0, 1, 2, 3, 4, 5]);
  assert.equal(b.hb().errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('leave with -1; errors: fenced epochs, unknown member, invalid request, assignor, max size, classic id', () => {
  const { mgr } = setup({ maxSize: 2, isClassic: (id) => id === 'classic' });
  const a = new Member(mgr, 'a');
  a.hb();
  assert.equal(a.hb({ memberEpoch: 5 }).errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
  assert.equal(mgr.heartbeat({ ...base, memberId: 'zz', memberEpoch: 3 }).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(mgr.heartbeat({ ...base, groupId: 'nope', memberId: 'zz', memberEpoch: 3 }).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  assert.equal(mgr.heartbeat({ ...base, memberId: '' }).errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal(mgr.heartbeat({ ...base, memberId: 'x', subscribedTopicNames: null }).errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal(mgr.heartbeat({ ...base, memberId: 'x', serverAssignor: 'sticky' }).errorCode, ErrorCode.UNSUPPORTED_ASSIGNOR);
  assert.equal(mgr.heartbeat({ ...base, groupId: 'classic', memberId: 'x' }).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  new Member(mgr, 'b').hb();
  assert.equal(mgr.heartbeat({ ...base, memberId: 'c' }).errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  const left = a.hb({ memberEpoch: -1 });
  assert.equal(left.errorCode, ErrorCode.NONE);
  assert.equal(left.memberEpoch, -1);
  assert.equal(mgr.groups.get('g')!.members.has('a'), false);
  // v0: the coordinator generates the member id.
  const v0 = mgr.heartbeat({ ...base, groupId: 'g0', apiVersion: 0 });
  assert.equal(v0.errorCode, ErrorCode.NONE);
  assert.ok(v0.memberId && v0.memberId.length > 0);
});

test('static member: -2 keeps the assignment, the instance rejoins with a new id; an active instance is unreleased', () => {
  const { mgr } = setup();
  const a = new Member(mgr, 'a');
  a.hb({ instanceId: 'i1' });
  assert.equal(mgr.heartbeat({ ...base, memberId: 'other', instanceId: 'i1' }).errorCode, ErrorCode.UNRELEASED_INSTANCE_ID);
  assert.equal(a.hb({ memberEpoch: -2, instanceId: 'i1' }).memberEpoch, -2);
  const r = mgr.heartbeat({ ...base, memberId: 'a2', instanceId: 'i1' });
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.deepEqual(parts(r), [0, 1, 2, 3, 4, 5]);
  assert.equal(mgr.groups.get('g')!.members.has('a'), false);
  // Same member id coming back after -2: keeps the assignment too.
  assert.equal(mgr.heartbeat({ ...base, memberId: 'a2', memberEpoch: -2, instanceId: 'i1' }).errorCode, ErrorCode.NONE);
  const back = mgr.heartbeat({ ...base, memberId: 'a2', instanceId: 'i1' });
  assert.equal(back.errorCode, ErrorCode.NONE);
  assert.deepEqual(parts(back), [0, 1, 2, 3, 4, 5]);
});

test('partition count change bumps the group epoch; offsets validate member epochs', () => {
  const { mgr, topics } = setup();
  const a = new Member(mgr, 'a');
  a.hb();
  topics[0] = { ...topics[0]!, partitions: 8 };
  const r = a.hb();
  assert.equal(r.memberEpoch, 2);
  assert.equal(parts(r).length, 8);
  assert.equal(mgr.validateOffsetCommit('g', 'a', 2), ErrorCode.NONE);
  assert.equal(mgr.validateOffsetCommit('g', 'a', 1), ErrorCode.STALE_MEMBER_EPOCH);
  assert.equal(mgr.validateOffsetCommit('g', 'zz', 2), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(mgr.validateOffsetCommit('nope', 'a', 2), null);
  assert.equal(mgr.validateOffsetFetch('g', 'a', 1), ErrorCode.STALE_MEMBER_EPOCH);
  assert.equal(mgr.validateOffsetFetch('g', '', -1), ErrorCode.NONE);
});

test('a lost response: the previous epoch with partitions inside the assignment is accepted', () => {
  const { mgr } = setup();
  const a = new Member(mgr, 'a');
  a.hb();
  const b = new Member(mgr, 'b');
  b.hb();
  a.hb(); // revoking at epoch 1
  const r = a.hb(); // confirms: epoch 2
  assert.equal(r.memberEpoch, 2);
  // The client missed that response and sends epoch 1 again with its (smaller) owned set.
  const again = mgr.heartbeat({ ...base, memberId: 'a', memberEpoch: 1, topicPartitions: a.owned });
  assert.equal(again.errorCode, ErrorCode.NONE);
  assert.equal(again.memberEpoch, 2);
  // With partitions outside its assignment it is fenced.
  const all = [{ topicId: TOPICS[0]!.topicId, partitions: [0, 1, 2, 3, 4, 5] }];
  assert.equal(mgr.heartbeat({ ...base, memberId: 'a', memberEpoch: 1, topicPartitions: all }).errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
});

test('a member that does not revoke within its rebalance timeout is fenced; the partitions go to the others', () => {
  const { mgr, timer } = setup();
  const a = new Member(mgr, 'a');
  a.hb({ rebalanceTimeoutMs: 10_000 });
  const b = new Member(mgr, 'b');
  b.hb();
  const held = a.owned;
  a.hb({ rebalanceTimeoutMs: 10_000 }); // told to revoke
  for (let i = 0; i < 3; i++) {
    timer.advance(4000);
    // ... but keeps heartbeating with everything it had.
    if (i < 2) assert.equal(mgr.heartbeat({ ...base, memberId: 'a', memberEpoch: 1, rebalanceTimeoutMs: 10_000, topicPartitions: held }).errorCode, ErrorCode.NONE);
    b.hb();
  }
  assert.equal(mgr.groups.get('g')!.members.has('a'), false);
  const r = b.hb();
  assert.deepEqual(parts(b.owned), [0, 1, 2, 3, 4, 5]);
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.equal(a.hb().errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('server assignor: the members\' choice (range) is used; an empty group is described Empty', () => {
  const { mgr } = setup();
  const a = new Member(mgr, 'a');
  a.hb({ serverAssignor: 'range' });
  const b = new Member(mgr, 'b');
  b.hb({ serverAssignor: 'range' });
  const g = mgr.groups.get('g')!;
  assert.equal(g.assignorName, 'range');
  assert.deepEqual([...g.target('a').get('t')!].sort(), [0, 1, 2]);
  assert.deepEqual([...g.target('b').get('t')!].sort(), [3, 4, 5]);
  a.hb({ memberEpoch: -1 });
  b.hb({ memberEpoch: -1 });
  assert.equal(g.state, 'Empty');
  assert.equal(mgr.deleteGroup('g'), ErrorCode.NONE);
  assert.equal(mgr.groups.has('g'), false);
});
