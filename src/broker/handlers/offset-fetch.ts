// OffsetFetch (key 9), versions 0-9. v1 same (Kafka-stored offsets); v2 null topics
// = every committed offset, top-level error_code; v3 throttle time; v5
// committed_leader_epoch; v6 flexible; v7 require_stable (KIP-447); v8 several groups
// per request, one result per group (KIP-709); v9 member_id / member_epoch (KIP-848,
// checked against KIP-848 consumer groups: UNKNOWN_MEMBER_ID / STALE_MEMBER_EPOCH).
//
// A partition without a committed offset answers offset -1, leader epoch -1, metadata
// "". A group error (INVALID_GROUP_ID, COORDINATOR_LOAD_IN_PROGRESS, ...) goes into
// every requested partition for v0-1 (no top-level error code), the top-level error
// for v2-7 and the group's error for v8+.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { OffsetFetchApi } from '../../protocol/generated/apis/offset-fetch.ts';
import type { OffsetFetchResponseInit } from '../../protocol/generated/offset-fetch-response.ts';
import { groupCoordinatorOf } from '../group/index.ts';
import type { FetchedTopic, OffsetFetchRequestTopic } from '../group/offset-metadata-manager.ts';
import { defineHandler } from './api-handler.ts';

function withLeaderEpoch(topics: FetchedTopic[], version: number): FetchedTopic[] {
  if (version >= 5) return topics;
  return topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ ...p, committedLeaderEpoch: -1 })) }));
}

export const offsetFetchHandler = defineHandler({
  api: OffsetFetchApi,
  handle(ctx, req): OffsetFetchResponseInit {
    const v = ctx.apiVersion;
    const coordinator = groupCoordinatorOf(ctx.broker);
    if (v >= 8) {
      return {
        throttleTimeMs: 0,
        groups: req.groups.map((g) => {
          const topics: OffsetFetchRequestTopic[] | null = g.topics === null ? null : g.topics.map((t) => ({ name: t.name, partitionIndexes: t.partitionIndexes }));
          const r = coordinator.fetchOffsets(g.groupId, topics, req.requireStable, v >= 9 ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : undefined);
          return { groupId: g.groupId, errorCode: r.errorCode, topics: r.topics };
        }),
      };
    }
    const topics: OffsetFetchRequestTopic[] | null = req.topics === null ? null : req.topics.map((t) => ({ name: t.name, partitionIndexes: t.partitionIndexes }));
    const r = coordinator.fetchOffsets(req.groupId, topics, v >= 7 ? req.requireStable : false);
    if (v < 2) {
      if (r.errorCode !== ErrorCode.NONE) {
        return {
          topics: (topics ?? []).map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: r.errorCode })),
          })),
        };
      }
      return { topics: withLeaderEpoch(r.topics, v) };
    }
    return { throttleTimeMs: 0, errorCode: r.errorCode, topics: withLeaderEpoch(r.topics, v) };
  },
});
