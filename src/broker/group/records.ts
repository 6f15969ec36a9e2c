/**
 * __consumer_offsets records as Kafka writes them (GroupCoordinatorRecordHelpers), and
 * their replay into group state (what the loader does on startup).
 *
 *   OffsetCommit   key v1 {group, topic, partition}; value v3 {offset, leaderEpoch,
 *                  metadata, commitTimestamp}, or v1 (with expireTimestamp) when the
 *                  commit carried a retention time (OffsetCommit v2-v4)
 *   GroupMetadata  key v2 {group}; value v3 {protocolType, generation, protocol,
 *                  leader, currentStateTimestamp, members[memberId, groupInstanceId,
 *                  clientId, clientHost, rebalanceTimeout, sessionTimeout,
 *                  subscription, assignment]}
 *   a null value is a tombstone: the offset or the group is gone.
 *
 * Replay keeps the latest value per key, as compaction eventually does.
 */
import type { GroupCoordinatorRecord, GroupCoordinatorRecordInit } from '../../protocol/generated/internal/coordinator-records.ts';
import { decodeGroupCoordinatorRecord } from '../../protocol/generated/internal/coordinator-records.ts';
import type { GroupMetadataValue } from '../../protocol/generated/internal/group-metadata-value.ts';
import { ClassicGroup, ClassicGroupMember, EMPTY_BYTES, GroupState } from './classic-group.ts';
import type { OffsetAndMetadata } from './classic-group.ts';

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
export const GROUP_METADATA_VALUE_VERSION = 3;

export function offsetCommitRecord(groupId: string, topic: string, partition: number, o: OffsetAndMetadata): GroupCoordinatorRecordInit {
  const withExpiry = o.expireTimestampMs !== null;
  return {
    type: 'OffsetCommit',
    keyVersion: OFFSET_COMMIT_KEY_VERSION,
    key: { group: groupId, topic, partition },
    valueVersion: withExpiry ? 1 : 3,
    value: {
      offset: o.offset,
      leaderEpoch: o.leaderEpoch,
      metadata: o.metadata,
      commitTimestamp: BigInt(o.commitTimestampMs),
      expireTimestamp: BigInt(o.expireTimestampMs ?? -1),
    },
  };
}

export function offsetCommitTombstone(groupId: string, topic: string, partition: number): GroupCoordinatorRecordInit {
  return { type: 'OffsetCommit', keyVersion: OFFSET_COMMIT_KEY_VERSION, key: { group: groupId, topic, partition }, value: null };
}

/** The group's metadata with the given assignment (member id → bytes; missing = empty). */
export function groupMetadataRecord(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer>): GroupCoordinatorRecordInit {
  const protocol = group.protocolName;
  return {
    type: 'GroupMetadata',
    keyVersion: GROUP_METADATA_KEY_VERSION,
    key: { group: group.groupId },
    valueVersion: GROUP_METADATA_VALUE_VERSION,
    value: {
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol,
      leader: group.leaderId,
      currentStateTimestamp: BigInt(group.currentStateTimestampMs ?? -1),
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: protocol === null ? EMPTY_BYTES : m.metadata(protocol),
        assignment: assignment.get(m.memberId) ?? EMPTY_BYTES,
      })),
    },
  };
}

export function groupMetadataTombstone(groupId: string): GroupCoordinatorRecordInit {
  return { type: 'GroupMetadata', keyVersion: GROUP_METADATA_KEY_VERSION, key: { group: groupId }, value: null };
}

/** The latest state of one __consumer_offsets partition, as replayed so far. */
export class ReplayState {
  readonly groups = new Map<string, GroupMetadataValue>();
  /** group → "topic\0partition" → offset. */
  readonly offsets = new Map<string, Map<string, { topic: string; partition: number; value: OffsetAndMetadata }>>();
  /** KIP-848 consumer-group records, latest per key (group/consumer/ rebuilds the groups). */
  readonly consumerGroupRecords = new Map<string, GroupCoordinatorRecord>();
  /** Records not understood (other record types, undecodable bytes). */
  skipped = 0;

  /** Applies one record; returns false when it was skipped. */
  apply(key: Buffer | null, value: Buffer | null): boolean {
    if (key === null) {
      this.skipped++;
      return false;
    }
    let rec;
    try {
      rec = decodeGroupCoordinatorRecord(key, value);
    } catch {
      this.skipped++;
      return false;
    }
    if (rec.type === 'OffsetCommit') {
      const { group, topic, partition } = rec.key;
      const k = `${topic}\u0000${partition}`;
      if (rec.value === null) {
        const g = this.offsets.get(group);
        if (g) {
          g.delete(k);
          if (g.size === 0) this.offsets.delete(group);
        }
      } else {
        let g = this.offsets.get(group);
        if (!g) this.offsets.set(group, (g = new Map()));
        const v = rec.value;
        g.set(k, {
          topic,
          partition,
          value: {
            offset: v.offset,
            leaderEpoch: v.leaderEpoch,
            metadata: v.metadata,
            commitTimestampMs: Number(v.commitTimestamp),
            expireTimestampMs: rec.valueVersion === 1 && v.expireTimestamp >= 0n ? Number(v.expireTimestamp) : null,
          },
        });
      }
      return true;
    }
    if (rec.type === 'GroupMetadata') {
      if (rec.value === null) this.groups.delete(rec.key.group);
      else this.groups.set(rec.key.group, rec.value);
      return true;
    }
    if (rec.type.startsWith('ConsumerGroup')) {
      const k = rec.key as { groupId: string; memberId?: string };
      const id = `${rec.type}\u0000${k.groupId}\u0000${k.memberId ?? ''}`;
      if (rec.value === null) this.consumerGroupRecords.delete(id);
      else this.consumerGroupRecords.set(id, rec);
      // Kept for group/consumer/, but still not a classic group record.
      this.skipped++;
      return false;
    }
    this.skipped++;
    return false;
  }

  /**
   * The groups this partition holds: one per GroupMetadata value (Stable with its
   * members, or Empty), plus an Empty "simple" group per group that only has offsets.
   */
  buildGroups(): ClassicGroup[] {
    const out = new Map<string, ClassicGroup>();
    for (const [groupId, v] of this.groups) out.set(groupId, groupFromMetadata(groupId, v));
    for (const [groupId, offsets] of this.offsets) {
      let g = out.get(groupId);
      if (!g) out.set(groupId, (g = new ClassicGroup(groupId, GroupState.EMPTY, null)));
      for (const o of offsets.values()) g.setOffset(o.topic, o.partition, o.value);
    }
    return [...out.values()];
  }
}

/** A group as its GroupMetadataValue describes it (Kafka's replay of GroupMetadata). */
export function groupFromMetadata(groupId: string, v: GroupMetadataValue): ClassicGroup {
  const group = new ClassicGroup(groupId, v.members.length === 0 ? GroupState.EMPTY : GroupState.STABLE, v.currentStateTimestamp === -1n ? null : Number(v.currentStateTimestamp), {
    generationId: v.generation,
    protocolType: v.protocolType === '' ? null : v.protocolType,
    protocolName: v.protocol,
    leaderId: v.leader,
  });
  for (const m of v.members) {
    group.add(
      new ClassicGroupMember({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeout === -1 ? m.sessionTimeout : m.rebalanceTimeout,
        sessionTimeoutMs: m.sessionTimeout,
        protocolType: v.protocolType,
        supportedProtocols: [{ name: v.protocol ?? '', metadata: m.subscription }],
        assignment: m.assignment,
      }),
      null,
    );
  }
  // add() makes the first member leader when none is set; the record's leader wins.
  group.leaderId = v.leader;
  group.protocolType = v.protocolType === '' ? null : v.protocolType;
  group.subscribedTopics = group.computeSubscribedTopics();
  return group;
}
