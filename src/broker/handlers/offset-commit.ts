// OffsetCommit (key 8), versions 0-9. v0 group id only (Kafka sent v0 to ZooKeeper;
// Samsa stores it like a simple commit, generation -1); v1 generation_id, member_id
// and a per-partition commit_timestamp; v2-v4 retention_time_ms (-1: the broker's
// offsets.retention.minutes; else the offset expires that long after the commit);
// v3 throttle time; v5 drops retention; v6 committed_leader_epoch; v7
// group_instance_id; v8 flexible; v9 (KIP-848) GROUP_ID_NOT_FOUND instead of
// ILLEGAL_GENERATION for a group-managed commit to an unknown group.
//
// Per partition: UNKNOWN_TOPIC_OR_PARTITION for a partition that does not exist,
// OFFSET_METADATA_TOO_LARGE past offset.metadata.max.bytes; the coordinator's checks
// (group/offset-metadata-manager.ts) give the rest: ILLEGAL_GENERATION,
// UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, REBALANCE_IN_PROGRESS, COORDINATOR_*.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { OffsetCommitApi } from '../../protocol/generated/apis/offset-commit.ts';
import type { OffsetCommitResponseOffsetCommitResponseTopicInit } from '../../protocol/generated/offset-commit-response.ts';
import { groupCoordinatorOf } from '../group/index.ts';
import type { OffsetCommitPartition } from '../group/offset-metadata-manager.ts';
import { defineHandler } from './api-handler.ts';

export const offsetCommitHandler = defineHandler({
  api: OffsetCommitApi,
  handle(ctx, req) {
    const v = ctx.apiVersion;
    const { broker } = ctx;
    const results: number[][] = [];
    const toCommit: OffsetCommitPartition[] = [];
    const slots: [number, number][] = [];
    req.topics.forEach((t, ti) => {
      const meta = broker.topics.get(t.name);
      results.push(
        t.partitions.map((p, pi) => {
          if (!meta || p.partitionIndex < 0 || p.partitionIndex >= meta.partitions) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          toCommit.push({
            topic: t.name,
            partition: p.partitionIndex,
            offset: p.committedOffset,
            leaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
            metadata: p.committedMetadata,
            commitTimestampMs: v === 1 ? Number(p.commitTimestamp) : -1,
          });
          slots.push([ti, pi]);
          return ErrorCode.NONE;
        }),
      );
    });
    if (toCommit.length > 0) {
      const codes = groupCoordinatorOf(broker).commitOffsets({
        groupId: req.groupId,
        memberId: v >= 1 ? req.memberId : '',
        groupInstanceId: v >= 7 ? req.groupInstanceId : null,
        generationId: v >= 1 ? req.generationIdOrMemberEpoch : -1,
        retentionTimeMs: v >= 2 && v <= 4 ? Number(req.retentionTimeMs) : -1,
        apiVersion: v,
        partitions: toCommit,
      });
      codes.forEach((code, i) => {
        const [ti, pi] = slots[i]!;
        results[ti]![pi] = code;
      });
    }
    const topics: OffsetCommitResponseOffsetCommitResponseTopicInit[] = req.topics.map((t, ti) => ({
      name: t.name,
      partitions: t.partitions.map((p, pi) => ({ partitionIndex: p.partitionIndex, errorCode: results[ti]![pi]! })),
    }));
    return { throttleTimeMs: 0, topics };
  },
});
