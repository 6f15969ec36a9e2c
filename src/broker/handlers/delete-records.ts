// DeleteRecords (key 21), versions 0-2. v1 is like v0; v2 flexible.
//
// Moves each partition's log start offset up to the requested offset (-1 = the high
// watermark) and answers the new low watermark (the log start offset). Kafka's
// errors: UNKNOWN_TOPIC_OR_PARTITION; INVALID_TOPIC_EXCEPTION for internal topics;
// POLICY_VIOLATION when cleanup.policy has no `delete`; OFFSET_OUT_OF_RANGE for an
// offset beyond the high watermark or below -1. A single node is every replica, so
// the answer does not wait for followers.
import { DeleteRecordsApi } from '../../protocol/generated/apis/delete-records.ts';
import type { DeleteRecordsResponseDeleteRecordsPartitionResultInit } from '../../protocol/generated/delete-records-response.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { StorageError } from '../../storage/errors.ts';
import { isDeleteEnabled } from '../../storage/log-config.ts';
import { notifyPartitionChanged } from '../fetch/state.ts';
import { defineHandler } from './api-handler.ts';

const HIGH_WATERMARK = -1;

export const deleteRecordsHandler = defineHandler({
  api: DeleteRecordsApi,
  handle(ctx, req) {
    const { broker } = ctx;
    const topics = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): DeleteRecordsResponseDeleteRecordsPartitionResultInit => {
        const index = p.partitionIndex;
        const fail = (errorCode: number) => ({ partitionIndex: index, lowWatermark: -1n, errorCode });
        const meta = broker.topics.get(t.name);
        if (!meta || index < 0 || index >= meta.partitions) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        if (broker.topics.isInternal(t.name)) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION);
        const log = broker.logs.getLog(t.name, index);
        if (!log) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER);
        if (!isDeleteEnabled(log.config)) return fail(ErrorCode.POLICY_VIOLATION);
        const requested = Number(p.offset);
        const offset = requested === HIGH_WATERMARK ? log.highWatermark : requested;
        if (offset < 0) return fail(ErrorCode.OFFSET_OUT_OF_RANGE);
        try {
          const low = log.deleteRecordsBefore(offset);
          notifyPartitionChanged(broker, t.name, index);
          return { partitionIndex: index, lowWatermark: BigInt(low), errorCode: ErrorCode.NONE };
        } catch (e) {
          if (e instanceof StorageError) return fail(e.code);
          broker.log(`DeleteRecords on ${t.name}-${index} failed: ${(e as Error).stack ?? String(e)}`);
          return fail(ErrorCode.KAFKA_STORAGE_ERROR);
        }
      }),
    }));
    return { throttleTimeMs: 0, topics };
  },
});
