/**
 * Consumer groups in __consumer_offsets, with Kafka's record types: per group
 * ConsumerGroupMetadata (group epoch) and ConsumerGroupTargetAssignmentMetadata
 * (assignment epoch); per member ConsumerGroupMemberMetadata (subscription, client),
 * ConsumerGroupTargetAssignmentMember and ConsumerGroupCurrentMemberAssignment
 * (epochs, state, assigned and pending-revocation partitions). A removed member or
 * deleted group gets tombstones.
 *
 * The writer keeps what it last wrote per record key and appends only records whose
 * content changed (after the in-memory change; a failed append is logged and the
 * next change writes again). Loading rebuilds the groups from the latest record per
 * key; the classic loader hands them over (ReplayState.consumerGroupRecords).
 */
import { ErrorCode } from '../../../protocol/errors/index.ts';
import type { GroupCoordinatorRecord, GroupCoordinatorRecordInit } from '../../../protocol/generated/internal/coordinator-records.ts';
import type { CoordinatorRecordLog } from '../coordinator-context.ts';
import { addPartition } from './assignors.ts';
import type { Assignment } from './assignors.ts';
import { ConsumerGroup, ConsumerGroupMember } from './consumer-group.ts';
import type { MemberState, TopicLookup } from './consumer-group.ts';

/** Kafka's MemberState values. */
const STATE_CODES: Record<MemberState, number> = { stable: 1, unrevoked_partitions: 2, unreleased_partitions: 3 };
const STATES_BY_CODE = new Map<number, MemberState>(Object.entries(STATE_CODES).map(([k, v]) => [v, k as MemberState]));

function topicPartitions(a: Assignment, topics: TopicLookup): { topicId: string; partitions: number[] }[] {
  return [...a.keys()].sort().flatMap((t) => {
    const info = topics.byName(t);
    return info ? [{ topicId: info.topicId, partitions: [...a.get(t)!].sort((x, y) => x - y) }] : [];
  });
}

function fromTopicPartitions(tps: readonly { topicId: string; partitions: readonly number[] }[], topics: TopicLookup): Assignment {
  const a: Assignment = new Map();
  for (const tp of tps) {
    const info = topics.byId(tp.topicId);
    if (info) for (const p of tp.partitions) addPartition(a, info.name, p);
  }
  return a;
}

/** Every record describing `group` now, keyed by record identity. */
export function consumerGroupRecords(group: ConsumerGroup, topics: TopicLookup): Map<string, GroupCoordinatorRecordInit> {
  const out = new Map<string, GroupCoordinatorRecordInit>();
  const groupId = group.groupId;
  out.set('meta', { type: 'ConsumerGroupMetadata', key: { groupId }, value: { epoch: group.groupEpoch } });
  out.set('tmeta', { type: 'ConsumerGroupTargetAssignmentMetadata', key: { groupId }, value: { assignmentEpoch: group.assignmentEpoch } });
  for (const m of group.members.values()) {
    const memberId = m.memberId;
    out.set(`member\u0000${memberId}`, {
      type: 'ConsumerGroupMemberMetadata',
      key: { groupId, memberId },
      value: {
        instanceId: m.instanceId,
        rackId: m.rackId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: m.subscribedTopicNames,
        subscribedTopicRegex: m.subscribedTopicRegex,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        serverAssignor: m.serverAssignor,
        classicMemberMetadata: null,
      },
    });
    out.set(`target\u0000${memberId}`, { type: 'ConsumerGroupTargetAssignmentMember', key: { groupId, memberId }, value: { topicPartitions: topicPartitions(group.target(memberId), topics) } });
    out.set(`current\u0000${memberId}`, {
      type: 'ConsumerGroupCurrentMemberAssignment',
      key: { groupId, memberId },
      value: {
        memberEpoch: m.memberEpoch,
        previousMemberEpoch: m.previousMemberEpoch,
        state: STATE_CODES[m.state],
        assignedPartitions: topicPartitions(m.assigned, topics),
        partitionsPendingRevocation: topicPartitions(m.pendingRevocation, topics),
      },
    });
  }
  return out;
}

function tombstone(rec: GroupCoordinatorRecordInit): GroupCoordinatorRecordInit {
  return { ...rec, value: null } as GroupCoordinatorRecordInit;
}

/** Tombstones go member records first, group records last (Kafka's order). */
const ORDER = (k: string): number => (k.startsWith('current') ? 0 : k.startsWith('target') ? 1 : k.startsWith('member') ? 2 : k === 'tmeta' ? 3 : 4);

export class ConsumerGroupPersister {
  private readonly log: CoordinatorRecordLog;
  private readonly topics: TopicLookup;
  private readonly onError: (message: string) => void;
  /** group → record key → [JSON of what was written, the record]. */
  private readonly written = new Map<string, Map<string, [string, GroupCoordinatorRecordInit]>>();

  constructor(log: CoordinatorRecordLog, topics: TopicLookup, onError: (message: string) => void) {
    this.log = log;
    this.topics = topics;
    this.onError = onError;
  }

  /** Marks loaded records as written. */
  seed(group: ConsumerGroup): void {
    const recs = consumerGroupRecords(group, this.topics);
    this.written.set(group.groupId, new Map([...recs].map(([k, r]) => [k, [JSON.stringify(r.value), r]])));
  }

  /** Writes what changed in `group` (everything as tombstones when `deleted`). */
  persist(group: ConsumerGroup, deleted = false): number {
    const before = this.written.get(group.groupId) ?? new Map<string, [string, GroupCoordinatorRecordInit]>();
    const now = deleted ? new Map<string, GroupCoordinatorRecordInit>() : consumerGroupRecords(group, this.topics);
    const records: GroupCoordinatorRecordInit[] = [];
    const after = new Map<string, [string, GroupCoordinatorRecordInit]>();
    for (const [k, r] of now) {
      const json = JSON.stringify(r.value);
      after.set(k, [json, r]);
      if (before.get(k)?.[0] !== json) records.push(r);
    }
    const gone = [...before].filter(([k]) => !now.has(k)).sort((a, b) => ORDER(a[0]) - ORDER(b[0]));
    for (const [, [, r]] of gone) records.push(tombstone(r));
    if (records.length === 0) return ErrorCode.NONE;
    const err = this.log.append(group.groupId, records);
    if (err !== ErrorCode.NONE) {
      this.onError(`Failed to write ${records.length} records of consumer group ${group.groupId}: error ${err}`);
      return err;
    }
    if (deleted) this.written.delete(group.groupId);
    else this.written.set(group.groupId, after);
    return ErrorCode.NONE;
  }
}

/** Rebuilds consumer groups from the latest record per key (tombstones already applied). */
export function replayConsumerGroups(records: readonly GroupCoordinatorRecord[], topics: TopicLookup, defaultAssignor: string): ConsumerGroup[] {
  const groups = new Map<string, ConsumerGroup>();
  const group = (id: string): ConsumerGroup => {
    let g = groups.get(id);
    if (!g) groups.set(id, (g = new ConsumerGroup(id, defaultAssignor)));
    return g;
  };
  const member = (g: ConsumerGroup, id: string): ConsumerGroupMember => {
    let m = g.members.get(id);
    if (!m) g.members.set(id, (m = new ConsumerGroupMember(id)));
    return m;
  };
  const hasMeta = new Set<string>();
  for (const r of records) {
    if (r.value === null) continue;
    switch (r.type) {
      case 'ConsumerGroupMetadata':
        group(r.key.groupId).groupEpoch = r.value.epoch;
        hasMeta.add(r.key.groupId);
        break;
      case 'ConsumerGroupTargetAssignmentMetadata':
        group(r.key.groupId).assignmentEpoch = r.value.assignmentEpoch;
        break;
      case 'ConsumerGroupMemberMetadata': {
        const g = group(r.key.groupId);
        const m = member(g, r.key.memberId);
        const v = r.value;
        m.instanceId = v.instanceId;
        m.rackId = v.rackId;
        m.clientId = v.clientId;
        m.clientHost = v.clientHost;
        m.subscribedTopicNames = [...v.subscribedTopicNames].sort();
        m.subscribedTopicRegex = v.subscribedTopicRegex;
        m.rebalanceTimeoutMs = v.rebalanceTimeoutMs;
        m.serverAssignor = v.serverAssignor;
        if (m.instanceId !== null) g.staticMembers.set(m.instanceId, m.memberId);
        break;
      }
      case 'ConsumerGroupTargetAssignmentMember':
        group(r.key.groupId).targetAssignment.set(r.key.memberId, fromTopicPartitions(r.value.topicPartitions, topics));
        break;
      case 'ConsumerGroupCurrentMemberAssignment': {
        const m = member(group(r.key.groupId), r.key.memberId);
        m.memberEpoch = r.value.memberEpoch;
        m.previousMemberEpoch = r.value.previousMemberEpoch;
        m.state = STATES_BY_CODE.get(r.value.state) ?? 'stable';
        m.assigned = fromTopicPartitions(r.value.assignedPartitions, topics);
        m.pendingRevocation = fromTopicPartitions(r.value.partitionsPendingRevocation, topics);
        break;
      }
      default:
        break;
    }
  }
  // A member without its metadata record is incomplete (never happens with our writer): drop it.
  for (const g of groups.values()) for (const id of [...g.members.keys()]) if (!records.some((r) => r.type === 'ConsumerGroupMemberMetadata' && r.value !== null && r.key.groupId === g.groupId && r.key.memberId === id)) g.members.delete(id);
  return [...groups.values()].filter((g) => hasMeta.has(g.groupId));
}
