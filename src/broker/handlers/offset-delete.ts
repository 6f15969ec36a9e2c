// OffsetDelete (key 47), version 0 (KIP-496).
//
// Deletes committed offsets of a group: allowed for an Empty group, and for a group
// using the consumer protocol for topics none of its members subscribes to
// (GROUP_SUBSCRIBED_TO_TOPIC per partition otherwise). Other non-empty groups:
// NON_EMPTY_GROUP; unknown groups: GROUP_ID_NOT_FOUND. A topic that does not exist
// answers UNKNOWN_TOPIC_OR_PARTITION for its partitions. A group-level error comes
// alone, without topics.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { OffsetDeleteApi } from '../../protocol/generated/apis/offset-delete.ts';
import { groupCoordinatorOf } from '../group/index.ts';
import { defineHandler } from './api-handler.ts';

export const offsetDeleteHandler = defineHandler({
  api: OffsetDeleteApi,
  handle(ctx, req) {
    const known: { topic: string; partition: number }[] = [];
    for (const t of req.topics) {
      if (!ctx.broker.topics.get(t.name)) continue;
      for (const p of t.partitions) known.push({ topic: t.name, partition: p.partitionIndex });
    }
    const r = groupCoordinatorOf(ctx.broker).deleteOffsets(req.groupId, known);
    if (r.errorCode !== ErrorCode.NONE) return { errorCode: r.errorCode, throttleTimeMs: 0, topics: [] };
    let i = 0;
    return {
      errorCode: ErrorCode.NONE,
      throttleTimeMs: 0,
      topics: req.topics.map((t) => {
        const exists = ctx.broker.topics.get(t.name) !== undefined;
        return {
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: exists ? r.partitions[i++]! : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })),
        };
      }),
    };
  },
});
