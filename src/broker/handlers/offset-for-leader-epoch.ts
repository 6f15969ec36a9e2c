// OffsetForLeaderEpoch (key 23), versions 0-4. v1 answers the leader epoch too; v2
// current_leader_epoch (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH) and throttle
// time; v3 replica_id; v4 flexible.
//
// Answers, from the leader epoch cache, the largest epoch ≤ the requested one and
// the end offset of that epoch (the start offset of the next epoch, or the log end
// offset for the current epoch), or -1/-1 when the requested epoch is older than
// anything known (Kafka's LeaderEpochFileCache.endOffsetFor). Kafka writes the
// leader's current epoch into the cache when it becomes leader, so that epoch is
// always known; Samsa's cache learns it from the first append, and until then the
// current epoch is taken to start at the log end offset.
import { OffsetForLeaderEpochApi } from '../../protocol/generated/apis/offset-for-leader-epoch.ts';
import type { OffsetForLeaderEpochResponseEpochEndOffsetInit } from '../../protocol/generated/offset-for-leader-epoch-response.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { PartitionLog } from '../../storage/partition-log.ts';
import { checkLeaderEpoch, leaderEpochOf } from '../fetch/state.ts';
import { defineHandler } from './api-handler.ts';

/** {epoch, endOffset} for `requested`, with the current leader epoch known to start at the LEO if the cache lacks it. */
export function endOffsetForEpoch(log: PartitionLog, requested: number, currentEpoch: number): { epoch: number; endOffset: number } {
  const leo = log.logEndOffset;
  const entries = log.leaderEpochCache.all.slice();
  if (currentEpoch >= 0 && (entries.length === 0 || entries[entries.length - 1]!.epoch < currentEpoch)) {
    entries.push({ epoch: currentEpoch, startOffset: leo });
  }
  if (requested < 0 || entries.length === 0) return { epoch: -1, endOffset: -1 };
  const latest = entries[entries.length - 1]!;
  if (requested === latest.epoch) return { epoch: requested, endOffset: leo };
  const higher = entries.find((e) => e.epoch > requested);
  if (!higher) return { epoch: -1, endOffset: -1 };
  let floor: { epoch: number } | undefined;
  for (const e of entries) if (e.epoch <= requested) floor = e;
  if (!floor) return { epoch: -1, endOffset: -1 };
  return { epoch: floor.epoch, endOffset: higher.startOffset };
}

export const offsetForLeaderEpochHandler = defineHandler({
  api: OffsetForLeaderEpochApi,
  handle(ctx, req) {
    const { broker, apiVersion: version } = ctx;
    const topics = req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p): OffsetForLeaderEpochResponseEpochEndOffsetInit => {
        const fail = (errorCode: number) => ({ errorCode, partition: p.partition, leaderEpoch: -1, endOffset: -1n });
        const meta = broker.topics.get(t.topic);
        if (!meta || p.partition < 0 || p.partition >= meta.partitions) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        const log = broker.logs.getLog(t.topic, p.partition);
        if (!log) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER);
        const leaderEpoch = leaderEpochOf(broker, t.topic, p.partition);
        if (version >= 2) {
          const epochError = checkLeaderEpoch(p.currentLeaderEpoch, leaderEpoch);
          if (epochError !== ErrorCode.NONE) return fail(epochError);
        }
        const r = endOffsetForEpoch(log, p.leaderEpoch, leaderEpoch);
        return { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: version >= 1 ? r.epoch : -1, endOffset: BigInt(r.endOffset) };
      }),
    }));
    return { throttleTimeMs: 0, topics };
  },
});
