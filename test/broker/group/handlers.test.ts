/**
 * The group APIs over the wire, every version, against an in-process broker: response
 * shapes per version, Kafka's error codes, and persistence across a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/errors/index.ts';
import {
  DeleteGroupsApi,
  DescribeGroupsApi,
  FindCoordinatorApi,
  HeartbeatApi,
  JoinGroupApi,
  LeaveGroupApi,
  ListGroupsApi,
  MetadataApi,
  OffsetCommitApi,
  OffsetDeleteApi,
  OffsetFetchApi,
  SyncGroupApi,
} from '../../../src/protocol/generated/api-keys.ts';
import { GROUP_METADATA_TOPIC_NAME } from '../../../src/broker/group/index.ts';
import { assignment, subscription } from './helpers.ts';
import { GroupRawClient, startGroupBroker } from './broker-helpers.ts';
import type { GroupTestBroker } from './broker-helpers.ts';

const SESSION_MS = 10_000;

async function withBroker(fn: (b: GroupTestBroker) => Promise<void>, config: Record<string, string | number | boolean> = {}): Promise<void> {
  const b = await startGroupBroker(config);
  try {
    await fn(b);
  } finally {
    await b.close();
  }
}

/** One member joins and syncs with JoinGroup version `v` (and matching other versions). */
async function joinAndSync(c: GroupRawClient, groupId: string, v: number, topics: string[] = ['t']): Promise<{ memberId: string; generationId: number }> {
  const body = {
    groupId,
    sessionTimeoutMs: SESSION_MS,
    rebalanceTimeoutMs: 20_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(topics) }],
    reason: 'test',
  };
  let res = await c.send(JoinGroupApi, v, body);
  if (v >= 4) {
    assert.equal(res.errorCode, ErrorCode.MEMBER_ID_REQUIRED, `JoinGroup v${v} first join`);
    assert.match(res.memberId, new RegExp(`^${c.clientId}-`));
    res = await c.send(JoinGroupApi, v, { ...body, memberId: res.memberId });
  }
  assert.equal(res.errorCode, ErrorCode.NONE, `JoinGroup v${v}`);
  assert.equal(res.leader, res.memberId);
  assert.equal(res.members.length, 1);
  assert.equal(res.protocolName, 'range');
  if (v >= 7) assert.equal(res.protocolType, 'consumer');
  const sv = Math.min(v, 5);
  const sync = await c.send(SyncGroupApi, sv, {
    groupId,
    generationId: res.generationId,
    memberId: res.memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: [{ memberId: res.memberId, assignment: assignment({ t: [0, 1] }) }],
  });
  assert.equal(sync.errorCode, ErrorCode.NONE, `SyncGroup v${sv}`);
  assert.deepEqual(sync.assignment, assignment({ t: [0, 1] }));
  if (sv >= 5) assert.equal(sync.protocolName, 'range');
  return { memberId: res.memberId, generationId: res.generationId };
}

test('FindCoordinator v0-v6: this node for groups, creating __consumer_offsets; Kafka error messages', async () => {
  await withBroker(async (b) => {
    const c = await GroupRawClient.connect(b.bootstrap);
    const port = Number(b.bootstrap.split(':').pop());
    for (let v = 0; v <= 3; v++) {
      const r = await c.send(FindCoordinatorApi, v, { key: 'g', keyType: 0 });
      assert.equal(r.errorCode, ErrorCode.NONE);
      assert.equal(r.nodeId, b.broker.nodeId);
      assert.equal(r.port, port);
      if (v >= 1) assert.equal(r.errorMessage, 'NONE');
    }
    const t = b.broker.topics.get(GROUP_METADATA_TOPIC_NAME)!;
    assert.equal(t.partitions, 5);
    assert.equal(t.configs['cleanup.policy'], 'compact');
    const meta = await c.send(MetadataApi, 12, { topics: [{ name: GROUP_METADATA_TOPIC_NAME, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    assert.equal(meta.topics[0]!.isInternal, true);
    const txn = await c.send(FindCoordinatorApi, 3, { key: 'tx', keyType: 1 });
    // The transaction coordinator (src/broker/txn) is this node too.
    assert.equal(txn.errorCode, ErrorCode.NONE);
    assert.equal(txn.errorMessage, 'NONE');
    assert.equal(txn.nodeId, b.broker.nodeId);
    for (let v = 4; v <= 6; v++) {
      const r = await c.send(FindCoordinatorApi, v, { keyType: 0, coordinatorKeys: ['a', 'b', ''] });
      assert.deepEqual(r.coordinators.map((x) => [x.key, x.errorCode, x.nodeId, x.port, x.errorMessage]), [
        ['a', 0, b.broker.nodeId, port, 'NONE'],
        ['b', 0, b.broker.nodeId, port, 'NONE'],
        ['', 0, b.broker.nodeId, port, 'NONE'],
      ]);
    }
    const bad = await c.send(FindCoordinatorApi, 4, { keyType: 7, coordinatorKeys: ['x'] });
    assert.equal(bad.coordinators[0]!.errorCode, ErrorCode.INVALID_REQUEST);
    c.close();
  });
});

test('JoinGroup v0-v9 with SyncGroup, Heartbeat, OffsetCommit, OffsetFetch and LeaveGroup of matching versions', async () => {
  await withBroker(async (b) => {
    b.broker.topics.create('t', { partitions: 2 });
    for (let v = 0; v <= 9; v++) {
      const c = await GroupRawClient.connect(b.bootstrap, `client-v${v}`);
      const groupId = `group-v${v}`;
      const { memberId, generationId } = await joinAndSync(c, groupId, v);
      const hv = Math.min(v, 4);
      assert.equal((await c.send(HeartbeatApi, hv, { groupId, generationId, memberId, groupInstanceId: null })).errorCode, ErrorCode.NONE);
      assert.equal((await c.send(HeartbeatApi, hv, { groupId, generationId: generationId + 1, memberId, groupInstanceId: null })).errorCode, ErrorCode.ILLEGAL_GENERATION);
      const cv = v;
      const commit = await c.send(OffsetCommitApi, cv, {
        groupId,
        generationIdOrMemberEpoch: generationId,
        memberId,
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [
          { name: 't', partitions: [{ partitionIndex: 0, committedOffset: 100n + BigInt(v), committedLeaderEpoch: 3, commitTimestamp: -1n, committedMetadata: `m${v}` }, { partitionIndex: 7, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] },
          { name: 'missing', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] },
        ],
      });
      assert.deepEqual(
        commit.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]),
        [
          // v0 has no generation: a simple commit, refused while the group has members.
          ['t', [[0, v === 0 ? ErrorCode.UNKNOWN_MEMBER_ID : 0], [7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
          ['missing', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
        ],
        `OffsetCommit v${cv}`,
      );
      const fv = v;
      if (fv >= 8) {
        const f = await c.send(OffsetFetchApi, fv, { groups: [{ groupId, memberId: null, memberEpoch: -1, topics: [{ name: 't', partitionIndexes: [0, 1] }] }, { groupId: 'other', memberId: null, memberEpoch: -1, topics: null }], requireStable: true });
        assert.equal(f.groups.length, 2);
        const p = f.groups[0]!.topics[0]!.partitions;
        assert.deepEqual([p[0]!.committedOffset, p[0]!.committedLeaderEpoch, p[0]!.metadata, p[1]!.committedOffset], [100n + BigInt(v), 3, `m${v}`, -1n]);
        assert.deepEqual(f.groups[1]!.topics, []);
      } else {
        const f = await c.send(OffsetFetchApi, fv, { groupId, topics: [{ name: 't', partitionIndexes: [0, 1] }], requireStable: false });
        const p = f.topics[0]!.partitions;
        if (v === 0) {
          assert.equal(p[0]!.committedOffset, -1n);
          c.close();
          continue;
        }
        assert.equal(p[0]!.committedOffset, 100n + BigInt(v), `OffsetFetch v${fv}`);
        assert.equal(p[0]!.metadata, `m${v}`);
        assert.equal(p[0]!.committedLeaderEpoch, fv >= 5 && cv >= 6 ? 3 : -1);
        assert.equal(p[1]!.committedOffset, -1n);
        if (fv >= 2) {
          assert.equal(f.errorCode, ErrorCode.NONE);
          const all = await c.send(OffsetFetchApi, fv, { groupId, topics: null, requireStable: false });
          assert.deepEqual(all.topics.map((t) => [t.name, t.partitions.map((x) => x.partitionIndex)]), [['t', [0]]]);
        }
      }
      const lv = Math.min(v, 5);
      const leaveBody = (reason: string | null) => (lv >= 3 ? { groupId, members: [{ memberId, groupInstanceId: null, reason }] } : { groupId, memberId });
      const leave = await c.send(LeaveGroupApi, lv, leaveBody('done'));
      assert.equal(leave.errorCode, ErrorCode.NONE);
      if (lv >= 3) assert.deepEqual(leave.members.map((m) => [m.memberId, m.errorCode]), [[memberId, 0]]);
      const again = await c.send(LeaveGroupApi, lv, leaveBody(null));
      if (lv >= 3) assert.equal(again.members[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
      else assert.equal(again.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'v0-2: the member error is the top-level error');
      c.close();
    }
  });
});

test('two members over the wire: the follower parks in SyncGroup until the leader assigns', async () => {
  await withBroker(async (b) => {
    const a = await GroupRawClient.connect(b.bootstrap, 'a');
    const c = await GroupRawClient.connect(b.bootstrap, 'c');
    const body = (memberId: string) => ({ groupId: 'g2', sessionTimeoutMs: SESSION_MS, rebalanceTimeoutMs: 5000, memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription(['t']) }], reason: null });
    const [ja, jc] = await Promise.all([a.send(JoinGroupApi, 5, body('')), c.send(JoinGroupApi, 5, body(''))]);
    const [ra, rc] = await Promise.all([a.send(JoinGroupApi, 5, body(ja.memberId)), c.send(JoinGroupApi, 5, body(jc.memberId))]);
    assert.equal(ra.generationId, rc.generationId);
    const [leader, lres, follower, fres] = ra.leader === ra.memberId ? [a, ra, c, rc] : [c, rc, a, ra];
    assert.equal(lres.members.length, 2);
    assert.equal(fres.members.length, 0);
    const fsync = follower.send(SyncGroupApi, 3, { groupId: 'g2', generationId: fres.generationId, memberId: fres.memberId, groupInstanceId: null, assignments: [] });
    let settled = false;
    void fsync.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(settled, false, 'parked');
    const lsync = await leader.send(SyncGroupApi, 3, {
      groupId: 'g2',
      generationId: lres.generationId,
      memberId: lres.memberId,
      groupInstanceId: null,
      assignments: [
        { memberId: lres.memberId, assignment: assignment({ t: [0] }) },
        { memberId: fres.memberId, assignment: assignment({ t: [1] }) },
      ],
    });
    assert.deepEqual(lsync.assignment, assignment({ t: [0] }));
    assert.deepEqual((await fsync).assignment, assignment({ t: [1] }));
    const d = await a.send(DescribeGroupsApi, 5, { groups: ['g2'], includeAuthorizedOperations: true });
    assert.equal(d.groups[0]!.groupState, 'Stable');
    assert.equal(d.groups[0]!.protocolData, 'range');
    assert.equal(d.groups[0]!.authorizedOperations, 328);
    assert.deepEqual(new Set(d.groups[0]!.members.map((m) => m.clientId)), new Set(['a', 'c']));
    assert.ok(d.groups[0]!.members.every((m) => m.clientHost === '/127.0.0.1'));
    // SyncGroup v5 requires protocol type and name.
    const s5 = await follower.send(SyncGroupApi, 5, { groupId: 'g2', generationId: fres.generationId, memberId: fres.memberId, groupInstanceId: null, protocolType: null, protocolName: 'range', assignments: [] });
    assert.equal(s5.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    a.close();
    c.close();
  });
});

test('ListGroups v0-v5, DescribeGroups v0-v5, DeleteGroups v0-v2, OffsetDelete v0', async () => {
  await withBroker(async (b) => {
    b.broker.topics.create('t', { partitions: 2 });
    const c = await GroupRawClient.connect(b.bootstrap, 'admin');
    const m = await GroupRawClient.connect(b.bootstrap, 'member');
    const { memberId, generationId } = await joinAndSync(m, 'busy', 5);
    for (const g of ['e1', 'e2', 'e3', 'e4']) {
      await c.send(OffsetCommitApi, 2, { groupId: g, generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: -1n, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedMetadata: null }] }] });
    }
    await m.send(OffsetCommitApi, 8, { groupId: 'busy', generationIdOrMemberEpoch: generationId, memberId, groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 9n, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
    for (let v = 0; v <= 5; v++) {
      const l = await c.send(ListGroupsApi, v, { statesFilter: [], typesFilter: [] });
      assert.equal(l.errorCode, ErrorCode.NONE);
      const byId = new Map(l.groups.map((g) => [g.groupId, g]));
      assert.deepEqual([...byId.keys()].sort(), ['busy', 'e1', 'e2', 'e3', 'e4']);
      assert.equal(byId.get('busy')!.protocolType, 'consumer');
      assert.equal(byId.get('e1')!.protocolType, '');
      if (v >= 4) assert.equal(byId.get('busy')!.groupState, 'Stable');
      if (v >= 5) assert.equal(byId.get('busy')!.groupType, 'classic');
    }
    assert.deepEqual((await c.send(ListGroupsApi, 4, { statesFilter: ['Empty'] })).groups.map((g) => g.groupId).sort(), ['e1', 'e2', 'e3', 'e4']);
    assert.deepEqual((await c.send(ListGroupsApi, 5, { statesFilter: [], typesFilter: ['consumer'] })).groups, []);
    for (let v = 0; v <= 5; v++) {
      const d = await c.send(DescribeGroupsApi, v, { groups: ['busy', 'e1', 'nope'], includeAuthorizedOperations: false });
      assert.deepEqual(d.groups.map((g) => [g.groupId, g.errorCode, g.groupState, g.members.length]), [
        ['busy', 0, 'Stable', 1],
        ['e1', 0, 'Empty', 0],
        ['nope', 0, 'Dead', 0],
      ]);
      const member = d.groups[0]!.members[0]!;
      assert.equal(member.memberId, memberId);
      assert.equal(member.clientId, 'member');
      assert.deepEqual(member.memberMetadata, subscription(['t']));
      assert.deepEqual(member.memberAssignment, assignment({ t: [0, 1] }));
      if (v >= 3) assert.equal(d.groups[0]!.authorizedOperations, -2147483648);
    }
    const od = await c.send(OffsetDeleteApi, 0, { groupId: 'busy', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }, { name: 'missing', partitions: [{ partitionIndex: 0 }] }] });
    assert.equal(od.errorCode, ErrorCode.NONE);
    assert.deepEqual(od.topics.map((t) => [t.name, t.partitions.map((p) => p.errorCode)]), [['t', [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]], ['missing', [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]]);
    const od2 = await c.send(OffsetDeleteApi, 0, { groupId: 'e1', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }] });
    assert.deepEqual(od2.topics[0]!.partitions.map((p) => p.errorCode), [0]);
    assert.equal((await c.send(OffsetDeleteApi, 0, { groupId: 'nope', topics: [] })).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    for (let v = 0; v <= 2; v++) {
      const d = await c.send(DeleteGroupsApi, v, { groupsNames: ['busy', `e${v + 2}`, 'nope'] });
      assert.deepEqual(d.results.map((r) => [r.groupId, r.errorCode]), [
        ['busy', ErrorCode.NON_EMPTY_GROUP],
        [`e${v + 2}`, 0],
        ['nope', ErrorCode.GROUP_ID_NOT_FOUND],
      ]);
    }
    assert.deepEqual((await c.send(ListGroupsApi, 4, { statesFilter: [] })).groups.map((g) => g.groupId).sort(), ['busy', 'e1']);
    c.close();
    m.close();
  });
});

test('a broker restart reloads committed offsets and groups from __consumer_offsets', async () => {
  const first = await startGroupBroker();
  const dir = first.dir;
  let memberId: string;
  try {
    first.broker.topics.create('t', { partitions: 2 });
    const c = await GroupRawClient.connect(first.bootstrap, 'member');
    const r = await joinAndSync(c, 'persist', 9);
    memberId = r.memberId;
    await c.send(OffsetCommitApi, 9, {
      groupId: 'persist',
      generationIdOrMemberEpoch: r.generationId,
      memberId,
      groupInstanceId: null,
      topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 77n, committedLeaderEpoch: 4, committedMetadata: 'kept' }] }],
    });
    await c.send(OffsetCommitApi, 2, { groupId: 'simple', generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: -1n, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedMetadata: null }] }] });
    c.close();
  } finally {
    await first.broker.close();
  }
  const second = await startGroupBroker({}, dir);
  try {
    assert.ok(second.lines.some((l) => l.includes('Finished loading offsets and group metadata')), second.lines.join('\n'));
    const c = await GroupRawClient.connect(second.bootstrap, 'member');
    const f = await c.send(OffsetFetchApi, 9, { groups: [{ groupId: 'persist', memberId: null, memberEpoch: -1, topics: null }, { groupId: 'simple', memberId: null, memberEpoch: -1, topics: null }], requireStable: false });
    const p = f.groups[0]!.topics[0]!.partitions[0]!;
    assert.deepEqual([p.partitionIndex, p.committedOffset, p.committedLeaderEpoch, p.metadata], [1, 77n, 4, 'kept']);
    assert.equal(f.groups[1]!.topics[0]!.partitions[0]!.committedOffset, 5n);
    const d = await c.send(DescribeGroupsApi, 5, { groups: ['persist'], includeAuthorizedOperations: false });
    assert.equal(d.groups[0]!.groupState, 'Stable');
    assert.equal(d.groups[0]!.members[0]!.memberId, memberId!);
    // The member carries on with its generation.
    assert.equal((await c.send(HeartbeatApi, 4, { groupId: 'persist', generationId: 1, memberId: memberId!, groupInstanceId: null })).errorCode, ErrorCode.NONE);
    c.close();
  } finally {
    await second.close();
  }
});

test('OffsetCommit: metadata too large, simple commit to a group with members, v1 commit timestamp', async () => {
  await withBroker(
    async (b) => {
      b.broker.topics.create('t', { partitions: 1 });
      const m = await GroupRawClient.connect(b.bootstrap, 'member');
      await joinAndSync(m, 'g', 3);
      const c = await GroupRawClient.connect(b.bootstrap);
      const big = await c.send(OffsetCommitApi, 8, { groupId: 's', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: 'x'.repeat(17) }] }] });
      assert.equal(big.topics[0]!.partitions[0]!.errorCode, ErrorCode.OFFSET_METADATA_TOO_LARGE);
      const simple = await c.send(OffsetCommitApi, 8, { groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
      assert.equal(simple.topics[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
      const v1 = await c.send(OffsetCommitApi, 1, { groupId: 's1', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 3n, commitTimestamp: 1234n, committedMetadata: null }] }] });
      assert.equal(v1.topics[0]!.partitions[0]!.errorCode, 0);
      const v0 = await c.send(OffsetCommitApi, 0, { groupId: 's0', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 4n, committedMetadata: null }] }] });
      assert.equal(v0.topics[0]!.partitions[0]!.errorCode, 0);
      const f0 = await c.send(OffsetFetchApi, 0, { groupId: 's0', topics: [{ name: 't', partitionIndexes: [0] }] });
      assert.equal(f0.topics[0]!.partitions[0]!.committedOffset, 4n);
      m.close();
      c.close();
    },
    { 'offset.metadata.max.bytes': 16 },
  );
});
