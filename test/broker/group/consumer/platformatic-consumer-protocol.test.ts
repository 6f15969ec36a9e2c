/**
 * @platformatic/kafka consumers with groupProtocol 'consumer' (KIP-848) against the
 * broker, in process: 3 members on a 12-partition topic get disjoint, complete
 * assignments; a 4th joins and the assignment stays disjoint and complete; one
 * closes and its partitions move; a new member resumes at the committed offsets.
 * ConsumerGroupDescribe / ListGroups see the group.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Consumer } from '@platformatic/kafka';
import { consumerGroupsOf } from '../../../../src/broker/group/consumer/index.ts';
import { ConsumerGroupDescribeApi, ListGroupsApi } from '../../../../src/protocol/generated/api-keys.ts';
import { GroupRawClient, startGroupBroker } from '../broker-helpers.ts';
import { PARTITIONS, committedOffsets, produceRound } from '../group-scenario.ts';

const TOPIC = 'kip848';
const GROUP = 'kip848-group';

interface Member {
  consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  seen: Map<number, number[]>;
  close(): Promise<void>;
}

async function startMember(bootstrap: string, id: string, groupRemoteAssignor?: string): Promise<Member> {
  const consumer = new Consumer({ clientId: id, bootstrapBrokers: [bootstrap], groupId: GROUP, groupProtocol: 'consumer', groupRemoteAssignor, rebalanceTimeout: 60_000, maxWaitTime: 200, retries: 20 });
  const seen = new Map<number, number[]>();
  const stream = await consumer.consume({ topics: [TOPIC], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
  let closing = false;
  const loop = (async () => {
    try {
      for await (const m of stream) {
        await m.commit();
        const list = seen.get(m.partition) ?? [];
        list.push(Number(m.offset));
        seen.set(m.partition, list);
        if (closing) break;
      }
    } catch {
      // closing
    }
  })();
  return {
    consumer,
    seen,
    async close() {
      closing = true;
      await stream.close().catch(() => {});
      await loop;
      await consumer.close(true);
    },
  };
}

function partitionsOf(m: Member): number[] {
  return (m.consumer.assignments ?? []).filter((a) => a.topic === TOPIC).flatMap((a) => a.partitions).sort((x, y) => x - y);
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function disjointComplete(members: Member[], each: number): boolean {
  const all = members.flatMap(partitionsOf);
  return all.length === PARTITIONS && new Set(all).size === PARTITIONS && members.every((m) => partitionsOf(m).length === each);
}

test('@platformatic/kafka groupProtocol consumer: 3 → 4 → 3 members, disjoint complete assignments, resume at committed offsets', { timeout: 240_000 }, async () => {
  const b = await startGroupBroker({ 'group.consumer.heartbeat.interval.ms': 300 });
  const members: Member[] = [];
  try {
    b.broker.topics.create(TOPIC, { partitions: PARTITIONS });
    for (let i = 0; i < 5; i++) produceRound(b.broker, TOPIC);
    const manager = consumerGroupsOf(b.broker);
    const stable = (n: number) => () => {
      const g = manager.groups.get(GROUP);
      return g !== undefined && g.state === 'Stable' && g.members.size === n;
    };

    for (let i = 0; i < 3; i++) members.push(await startMember(b.bootstrap, `m${i}`));
    await waitFor('3 stable members with 4 partitions each', () => stable(3)() && disjointComplete(members, 4));

    members.push(await startMember(b.bootstrap, 'm3'));
    await waitFor('4 stable members with 3 partitions each', () => stable(4)() && disjointComplete(members, 3));

    const c = await GroupRawClient.connect(b.bootstrap);
    const d = await c.send(ConsumerGroupDescribeApi, 0, { groupIds: [GROUP], includeAuthorizedOperations: false });
    const described = d.groups[0]!;
    assert.equal(described.errorCode, 0);
    assert.equal(described.groupState, 'Stable');
    assert.equal(described.assignorName, 'uniform');
    assert.equal(described.members.length, 4);
    for (const m of described.members) {
      assert.equal(m.memberEpoch, described.assignmentEpoch);
      assert.deepEqual(m.assignment.topicPartitions.flatMap((t) => t.partitions).sort(), m.targetAssignment.topicPartitions.flatMap((t) => t.partitions).sort());
    }
    const listed = await c.send(ListGroupsApi, 5, { statesFilter: [], typesFilter: ['consumer'] });
    assert.deepEqual(listed.groups.map((g) => [g.groupId, g.groupType, g.groupState]), [[GROUP, 'consumer', 'Stable']]);
    c.close();

    // One member closes (leaves with epoch -1): its partitions move to the others.
    const leaving = members.shift()!;
    const moved = partitionsOf(leaving);
    await leaving.close();
    await waitFor('3 stable members with 4 partitions each after a leave', () => stable(3)() && disjointComplete(members, 4));
    assert.ok(moved.every((p) => members.some((m) => partitionsOf(m).includes(p))));

    // Everything produced so far gets consumed and committed.
    await waitFor('every record consumed', () => {
      const total = [leaving, ...members].reduce((n, m) => n + [...m.seen.values()].reduce((x, l) => x + l.length, 0), 0);
      return total >= 5 * PARTITIONS;
    });
    await waitFor('offsets committed', () => committedOffsets(b.broker, GROUP, TOPIC).every((o) => o === 5));
    for (const m of members.splice(0)) await m.close();
    await waitFor('group empty', () => manager.groups.get(GROUP)?.state === 'Empty');

    // A new member resumes at the committed offsets: only the new records.
    for (let i = 0; i < 2; i++) produceRound(b.broker, TOPIC);
    const fresh = await startMember(b.bootstrap, 'fresh');
    members.push(fresh);
    await waitFor('the new records consumed', () => [...fresh.seen.values()].reduce((x, l) => x + l.length, 0) >= 2 * PARTITIONS);
    for (let p = 0; p < PARTITIONS; p++) assert.deepEqual(fresh.seen.get(p), [5, 6], `partition ${p}`);
  } finally {
    for (const m of members) await m.close().catch(() => {});
    await b.close();
  }
});

test('@platformatic/kafka groupProtocol consumer with groupRemoteAssignor range: contiguous ranges per member', { timeout: 120_000 }, async () => {
  const b = await startGroupBroker({ 'group.consumer.heartbeat.interval.ms': 300 });
  const members: Member[] = [];
  try {
    b.broker.topics.create(TOPIC, { partitions: PARTITIONS });
    const manager = consumerGroupsOf(b.broker);
    for (let i = 0; i < 3; i++) members.push(await startMember(b.bootstrap, `r${i}`, 'range'));
    await waitFor('3 stable members', () => manager.groups.get(GROUP)?.state === 'Stable' && manager.groups.get(GROUP)!.members.size === 3 && disjointComplete(members, 4));
    assert.equal(manager.groups.get(GROUP)!.assignorName, 'range');
    for (const m of members) {
      const ps = partitionsOf(m);
      assert.equal(ps[ps.length - 1]! - ps[0]!, 3, `contiguous: ${ps.join(',')}`);
    }
  } finally {
    for (const m of members) await m.close().catch(() => {});
    await b.close();
  }
});
