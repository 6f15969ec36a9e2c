// CreateTopics (key 19), versions 0-7. v1 adds validate_only and error messages;
// v2 throttle time; v3 nothing new; v4 lets num_partitions / replication_factor
// be -1 for the broker defaults (accepted in every version, as a KRaft broker
// does); v5 flexible, and a successful result carries num_partitions,
// replication_factor and the topic's configs; v6 nothing new (quota errors);
// v7 topic ids. Checks and messages follow Kafka's KRaft controller
// (ReplicationControlManager.createTopics). Topics are created synchronously,
// so timeout_ms never expires.
import { CreateTopicsApi } from '../../protocol/generated/apis/create-topics.ts';
import type { CreateTopicsResponseCreatableTopicResultInit } from '../../protocol/generated/create-topics-response.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { topicConfigEntries } from '../config/config-entries.ts';
import { TopicError } from '../topic-manager.ts';
import { defineHandler } from './api-handler.ts';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export const createTopicsHandler = defineHandler({
  api: CreateTopicsApi,
  handle(ctx, req) {
    const { broker } = ctx;
    const validateOnly = ctx.apiVersion >= 1 && req.validateOnly;
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    for (const t of req.topics) {
      if (seen.has(t.name)) duplicates.add(t.name);
      seen.add(t.name);
    }
    const results: CreateTopicsResponseCreatableTopicResultInit[] = [];
    const error = (name: string, code: number, message: string | null): CreateTopicsResponseCreatableTopicResultInit => ({
      name,
      topicId: ZERO_UUID,
      errorCode: code,
      errorMessage: message,
      numPartitions: -1,
      replicationFactor: -1,
      configs: [],
    });
    for (const t of req.topics) {
      if (duplicates.has(t.name)) continue;
      const nullConfigs = t.configs.filter((c) => c.value === null).map((c) => c.name);
      try {
        if (nullConfigs.length > 0) {
          // After the name and existence checks, as Kafka orders them.
          broker.topics.create(t.name, { validateOnly: true, configs: {} });
          throw new TopicError(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${nullConfigs.join(',')}`);
        }
        const configs: Record<string, string> = {};
        for (const c of t.configs) configs[c.name] = c.value!;
        const created = broker.topics.create(t.name, {
          partitions: t.numPartitions,
          replicationFactor: t.replicationFactor,
          assignments: t.assignments,
          configs,
          validateOnly,
        });
        results.push({
          name: t.name,
          topicId: created.topicId,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          topicConfigErrorCode: ErrorCode.NONE,
          numPartitions: created.partitions,
          replicationFactor: created.replicationFactor,
          configs: topicConfigEntries(broker.config, configs).map((e) => ({
            name: e.name,
            value: e.isSensitive ? null : e.value,
            readOnly: e.readOnly,
            configSource: e.source,
            isSensitive: e.isSensitive,
          })),
        });
      } catch (err) {
        if (err instanceof TopicError) {
          results.push(error(t.name, err.code, err.message));
        } else {
          broker.log(`CreateTopics ${t.name} failed: ${(err as Error).stack ?? String(err)}`);
          results.push(error(t.name, ErrorCode.UNKNOWN_SERVER_ERROR, null));
        }
      }
    }
    for (const name of duplicates) results.push(error(name, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'));
    return { throttleTimeMs: 0, topics: results };
  },
});
