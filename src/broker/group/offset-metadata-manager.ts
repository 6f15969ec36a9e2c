/**
 * Committed offsets of classic and simple groups (Kafka's OffsetMetadataManager):
 * OffsetCommit, OffsetFetch, OffsetDelete, DeleteGroups and the retention task.
 *
 * A commit with generation -1 (no member id, no instance id) is a "simple" commit:
 * accepted while the group is Empty (and it creates an Empty group without protocol
 * when none exists). Otherwise member, instance id and generation must match the
 * group's, and a group in CompletingRebalance answers REBALANCE_IN_PROGRESS.
 * Offsets are applied to memory only once their records are in the log.
 *
 * Retention (offsets.retention.minutes): an offset with an explicit expire timestamp
 * (OffsetCommit v2-v4 retention_time_ms) expires then; otherwise a group with a
 * protocol expires its offsets that long after it became Empty, a Stable consumer
 * group those of topics nobody subscribes to anymore (counted from the commit), and
 * a simple group each offset that long after its commit. An Empty group left with
 * no offsets is deleted (GroupMetadata tombstone).
 */
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { GroupCoordinatorRecordInit } from '../../protocol/generated/internal/coordinator-records.ts';
import { ClassicGroup, GroupState } from './classic-group.ts';
import type { OffsetAndMetadata } from './classic-group.ts';
import { offsetAppendError, groupAppendError } from './coordinator-context.ts';
import type { CoordinatorContext } from './coordinator-context.ts';
import type { GroupMetadataManager } from './group-metadata-manager.ts';
import { validateMember } from './group-metadata-manager.ts';
import { groupMetadataTombstone, offsetCommitRecord, offsetCommitTombstone } from './records.ts';

export interface OffsetCommitPartition {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  /** OffsetCommit v1 commit_timestamp; -1 = now. */
  commitTimestampMs: number;
}

export interface OffsetCommitParams {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  generationId: number;
  /** OffsetCommit v2-v4 retention_time_ms; -1 = the broker's retention. */
  retentionTimeMs: number;
  apiVersion: number;
  partitions: readonly OffsetCommitPartition[];
}

export interface FetchedOffset {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

export interface FetchedTopic {
  name: string;
  partitions: FetchedOffset[];
}

/** Offsets of the requested partitions (null: every committed offset). */
export interface OffsetFetchRequestTopic {
  name: string;
  partitionIndexes: readonly number[];
}

const NO_OFFSET = (partitionIndex: number): FetchedOffset => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE });

export class OffsetMetadataManager {
  private readonly ctx: CoordinatorContext;
  private readonly groupsManager: GroupMetadataManager;
  /**
   * Set by the transaction coordinator: whether an open transaction holds a pending
   * offset of the group for this partition (OffsetFetch require_stable answers
   * UNSTABLE_OFFSET_COMMIT for it, as Kafka).
   */
  hasPendingTxnOffset: ((groupId: string, topic: string, partition: number) => boolean) | null = null;

  constructor(ctx: CoordinatorContext, groupsManager: GroupMetadataManager) {
    this.ctx = ctx;
    this.groupsManager = groupsManager;
  }

  /** Error code per partition, in request order. */
  commitOffsets(p: OffsetCommitParams): number[] {
    const all = (code: number): number[] => p.partitions.map(() => code);
    let group = this.ctx.groups.get(p.groupId);
    let created = false;
    if (!group) {
      if (p.generationId >= 0) {
        // v9+ says so; older clients expect ILLEGAL_GENERATION.
        return all(p.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION);
      }
      group = new ClassicGroup(p.groupId, GroupState.EMPTY, this.ctx.timer.now());
      this.ctx.groups.set(p.groupId, group);
      created = true;
    }
    const err = this.validateOffsetCommit(group, p);
    if (err !== ErrorCode.NONE) {
      if (created) this.ctx.groups.delete(p.groupId);
      return all(err);
    }
    if (p.generationId >= 0 && group.has(p.memberId) && !group.is(GroupState.EMPTY)) {
      this.groupsManager.rescheduleHeartbeat(group, group.member(p.memberId));
    }
    const now = this.ctx.timer.now();
    const maxBytes = this.ctx.config.offsetMetadataMaxBytes;
    const results: number[] = [];
    const records: GroupCoordinatorRecordInit[] = [];
    const accepted: { index: number; part: OffsetCommitPartition; value: OffsetAndMetadata }[] = [];
    p.partitions.forEach((part, index) => {
      // Kafka counts String.length (UTF-16 units), as JavaScript does.
      if (part.metadata !== null && part.metadata.length > maxBytes) {
        results.push(ErrorCode.OFFSET_METADATA_TOO_LARGE);
        return;
      }
      results.push(ErrorCode.NONE);
      const value: OffsetAndMetadata = {
        offset: part.offset,
        leaderEpoch: part.leaderEpoch < 0 ? -1 : part.leaderEpoch,
        metadata: part.metadata ?? '',
        commitTimestampMs: part.commitTimestampMs === -1 ? now : part.commitTimestampMs,
        expireTimestampMs: p.retentionTimeMs === -1 ? null : now + p.retentionTimeMs,
      };
      accepted.push({ index, part, value });
      records.push(offsetCommitRecord(p.groupId, part.topic, part.partition, value));
    });
    if (records.length > 0) {
      const appendErr = this.ctx.records.append(p.groupId, records);
      if (appendErr !== ErrorCode.NONE) {
        const e = offsetAppendError(appendErr);
        for (const a of accepted) results[a.index] = e;
      } else {
        for (const a of accepted) group.setOffset(a.part.topic, a.part.partition, a.value);
      }
    }
    if (created && !group.hasOffsets()) this.ctx.groups.delete(p.groupId);
    return results;
  }

  private validateOffsetCommit(group: ClassicGroup, p: OffsetCommitParams): number {
    if (group.is(GroupState.DEAD)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    // Generation -1 on an Empty group: the admin client or a consumer without group management.
    if (p.generationId < 0 && group.is(GroupState.EMPTY)) return ErrorCode.NONE;
    if (p.generationId >= 0 || p.memberId !== '' || p.groupInstanceId !== null) {
      const err = validateMember(group, p.memberId, p.groupInstanceId);
      if (err !== ErrorCode.NONE) return err;
      if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    } else if (!group.is(GroupState.EMPTY)) {
      // A simple commit to a group with members.
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    // The member has the new generation from JoinGroup but no assignment yet.
    if (group.is(GroupState.COMPLETING_REBALANCE)) return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  /**
   * Committed offsets of `groupId`: the requested partitions (-1 where nothing is
   * committed) or, with `topics` null, everything committed. With `requireStable`,
   * a partition with a pending transactional offset is UNSTABLE_OFFSET_COMMIT.
   */
  fetchOffsets(groupId: string, topics: readonly OffsetFetchRequestTopic[] | null, requireStable: boolean): FetchedTopic[] {
    const pending = this.hasPendingTxnOffset;
    if (requireStable && pending && topics !== null) {
      const unstable = (t: string, p: number) => pending(groupId, t, p);
      if (topics.some((t) => t.partitionIndexes.some((p) => unstable(t.name, p)))) {
        const stable = this.fetchOffsets(groupId, topics, false);
        for (const t of stable) {
          for (const p of t.partitions) {
            if (unstable(t.name, p.partitionIndex)) Object.assign(p, { committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT });
          }
        }
        return stable;
      }
    }
    const group = this.ctx.groups.get(groupId);
    if (!group || group.is(GroupState.DEAD)) {
      return (topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map(NO_OFFSET) }));
    }
    if (topics === null) {
      const out: FetchedTopic[] = [];
      for (const [topic, parts] of group.offsets) {
        out.push({
          name: topic,
          partitions: [...parts].map(([partitionIndex, o]) => ({ partitionIndex, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE })),
        });
      }
      return out;
    }
    return topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => {
        const o = group.offset(t.name, partitionIndex);
        if (!o) return NO_OFFSET(partitionIndex);
        return { partitionIndex, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE };
      }),
    }));
  }

  /**
   * OffsetDelete: the group error (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, storage
   * errors) or per-partition errors (GROUP_SUBSCRIBED_TO_TOPIC while a member of a
   * consumer group still subscribes to the topic).
   */
  deleteOffsets(groupId: string, partitions: readonly { topic: string; partition: number }[]): { errorCode: number; partitions: number[] } {
    const group = this.ctx.groups.get(groupId);
    if (!group || group.is(GroupState.DEAD)) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, partitions: [] };
    const empty = group.is(GroupState.EMPTY);
    if (!empty && !group.usesConsumerProtocol()) return { errorCode: ErrorCode.NON_EMPTY_GROUP, partitions: [] };
    const results: number[] = [];
    const records: GroupCoordinatorRecordInit[] = [];
    const removed: { topic: string; partition: number }[] = [];
    for (const tp of partitions) {
      if (!empty && group.isSubscribedToTopic(tp.topic)) {
        results.push(ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
        continue;
      }
      results.push(ErrorCode.NONE);
      if (group.offset(tp.topic, tp.partition)) {
        records.push(offsetCommitTombstone(groupId, tp.topic, tp.partition));
        removed.push(tp);
      }
    }
    if (records.length > 0) {
      const err = this.ctx.records.append(groupId, records);
      if (err !== ErrorCode.NONE) return { errorCode: groupAppendError(err), partitions: [] };
      for (const tp of removed) group.removeOffset(tp.topic, tp.partition);
    }
    return { errorCode: ErrorCode.NONE, partitions: results };
  }

  /** DeleteGroups for one group: NONE, GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP or a storage error. */
  deleteGroup(groupId: string): number {
    const group = this.ctx.groups.get(groupId);
    if (!group || group.is(GroupState.DEAD)) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (!group.is(GroupState.EMPTY)) return ErrorCode.NON_EMPTY_GROUP;
    const records: GroupCoordinatorRecordInit[] = [];
    for (const [topic, partition] of group.allOffsets()) records.push(offsetCommitTombstone(groupId, topic, partition));
    records.push(groupMetadataTombstone(groupId));
    const err = this.ctx.records.append(groupId, records);
    if (err !== ErrorCode.NONE) return groupAppendError(err);
    this.dropGroup(group);
    return ErrorCode.NONE;
  }

  private dropGroup(group: ClassicGroup): void {
    group.transitionTo(GroupState.DEAD, this.ctx.timer.now());
    this.groupsManager.cancelGroupTimers(group);
    this.ctx.groups.delete(group.groupId);
  }

  /**
   * Writes tombstones for expired offsets (and offsets of topics `topicGone` says no
   * longer exist) and deletes Empty groups left without offsets. `eligible` filters
   * groups (those of loaded partitions). Returns the number of offsets removed.
   */
  cleanupExpiredOffsets(eligible: (groupId: string) => boolean = () => true, topicGone: (topic: string) => boolean = () => false): number {
    const now = this.ctx.timer.now();
    const retentionMs = this.ctx.config.offsetsRetentionMs;
    return this.removeOffsetsWhere(eligible, 'expired', (group, topic, o) => {
      if (topicGone(topic)) return true;
      const base = expirationBase(group);
      if (base === null || group.isSubscribedToTopic(topic)) return false;
      return now >= (o.expireTimestampMs ?? base(o) + retentionMs);
    });
  }

  /** Kafka's handling of deleted partitions: their offsets go from every group. */
  removeOffsetsOfTopics(topics: ReadonlySet<string>, eligible: (groupId: string) => boolean = () => true): number {
    return this.removeOffsetsWhere(eligible, 'of deleted topics', (_group, topic) => topics.has(topic));
  }

  private removeOffsetsWhere(eligible: (groupId: string) => boolean, why: string, remove: (group: ClassicGroup, topic: string, o: OffsetAndMetadata) => boolean): number {
    let removedOffsets = 0;
    for (const group of [...this.ctx.groups.values()]) {
      if (!eligible(group.groupId) || group.is(GroupState.DEAD)) continue;
      const removed: [string, number][] = [];
      let total = 0;
      for (const [topic, partition, o] of group.allOffsets()) {
        total++;
        if (remove(group, topic, o)) removed.push([topic, partition]);
      }
      // Kafka's cleanupGroupMetadata: an Empty group left without offsets is deleted.
      const deleteGroup = removed.length === total && group.is(GroupState.EMPTY) && group.pendingJoinMembers.size === 0;
      if (removed.length === 0 && !deleteGroup) continue;
      const records: GroupCoordinatorRecordInit[] = removed.map(([t, p]) => offsetCommitTombstone(group.groupId, t, p));
      if (deleteGroup) records.push(groupMetadataTombstone(group.groupId));
      const err = this.ctx.records.append(group.groupId, records);
      if (err !== ErrorCode.NONE) {
        this.ctx.log(`Failed to remove offsets ${why} of group ${group.groupId}: error ${err}`);
        continue;
      }
      for (const [t, p] of removed) group.removeOffset(t, p);
      removedOffsets += removed.length;
      if (removed.length > 0) this.ctx.log(`[GroupId ${group.groupId}] Removed ${removed.length} offsets ${why}: ${removed.map(([t, p]) => `${t}-${p}`).join(', ')}`);
      if (deleteGroup) {
        this.dropGroup(group);
        this.ctx.log(`[GroupId ${group.groupId}] Group has been deleted: it is empty and has no offsets left.`);
      }
    }
    return removedOffsets;
  }
}

/** What an offset's retention counts from, or null when the group's offsets do not expire now. */
function expirationBase(group: ClassicGroup): ((o: OffsetAndMetadata) => number) | null {
  if (group.protocolType === null) return (o) => o.commitTimestampMs;
  if (group.is(GroupState.EMPTY)) {
    const since = group.currentStateTimestampMs;
    return (o) => since ?? o.commitTimestampMs;
  }
  if (group.usesConsumerProtocol() && group.subscribedTopics !== null && group.is(GroupState.STABLE)) return (o) => o.commitTimestampMs;
  return null;
}
