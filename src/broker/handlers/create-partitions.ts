// CreatePartitions (key 37), versions 0-3. v1 is v0 with quota semantics; v2
// flexible; v3 THROTTLING_QUOTA_EXCEEDED may be returned (Samsa has no mutation
// quota). Checks and messages follow Kafka's KRaft controller
// (ReplicationControlManager.createPartitions); duplicates in one request are
// INVALID_REQUEST. Partitions are added synchronously, so timeout_ms never expires.
import { CreatePartitionsApi } from '../../protocol/generated/apis/create-partitions.ts';
import type { CreatePartitionsResponseCreatePartitionsTopicResultInit } from '../../protocol/generated/create-partitions-response.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { TopicError } from '../topic-manager.ts';
import { defineHandler } from './api-handler.ts';

export const createPartitionsHandler = defineHandler({
  api: CreatePartitionsApi,
  handle(ctx, req) {
    const { broker } = ctx;
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    for (const t of req.topics) {
      if (seen.has(t.name)) duplicates.add(t.name);
      seen.add(t.name);
    }
    const results: CreatePartitionsResponseCreatePartitionsTopicResultInit[] = [];
    for (const name of duplicates) results.push({ name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' });
    for (const t of req.topics) {
      if (duplicates.has(t.name)) continue;
      try {
        broker.topics.addPartitions(t.name, t.count, req.validateOnly, t.assignments?.map((a) => a.brokerIds) ?? null);
        results.push({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (err) {
        if (err instanceof TopicError) {
          // Kafka's UnknownTopicOrPartitionException here carries no message.
          const message = err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? null : err.message;
          results.push({ name: t.name, errorCode: err.code, errorMessage: message });
        } else {
          broker.log(`CreatePartitions ${t.name} failed: ${(err as Error).stack ?? String(err)}`);
          results.push({ name: t.name, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null });
        }
      }
    }
    return { throttleTimeMs: 0, results };
  },
});
