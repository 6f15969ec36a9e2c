// DeleteTopics (key 20), versions 0-6. v1 adds throttle time; v3 answers
// TOPIC_DELETION_DISABLED (older versions get INVALID_REQUEST); v4 flexible;
// v5 error messages; v6 names or topic ids (UNKNOWN_TOPIC_ID). Follows Kafka's
// KRaft ControllerApis.deleteTopics: duplicates and name+id together are
// INVALID_REQUEST, a name mapping to an id also given is INVALID_REQUEST, and
// internal topics may be deleted (Kafka's broker allows it; only its CLI
// refuses). Deletion is synchronous, so timeout_ms never expires.
import { DeleteTopicsApi } from '../../protocol/generated/apis/delete-topics.ts';
import type { DeleteTopicsResponseDeletableTopicResultInit } from '../../protocol/generated/delete-topics-response.ts';
import { ErrorCode, errorInfo } from '../../protocol/errors/index.ts';
import { TopicError } from '../topic-manager.ts';
import { defineHandler } from './api-handler.ts';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export const deleteTopicsHandler = defineHandler({
  api: DeleteTopicsApi,
  async handle(ctx, req) {
    const { broker } = ctx;
    const v = ctx.apiVersion;
    const requested = v >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const responses: DeleteTopicsResponseDeletableTopicResultInit[] = [];
    const respond = (name: string | null, topicId: string, code: number, message: string | null): void => {
      responses.push({ name: v < 6 ? (name ?? '') : name, topicId, errorCode: code, errorMessage: message });
    };

    if (!broker.config.bool('delete.topic.enable')) {
      // Kafka fails the whole request: every topic gets the error, with no message.
      const code = v < 3 ? ErrorCode.INVALID_REQUEST : ErrorCode.TOPIC_DELETION_DISABLED;
      for (const t of requested) respond(t.name, t.topicId, code, null);
      return { throttleTimeMs: 0, responses };
    }

    // Names and ids as given, each once; duplicates are refused.
    const nameCount = new Map<string, number>();
    const idCount = new Map<string, number>();
    for (const t of requested) {
      if (t.name === null) {
        if (t.topicId !== ZERO_UUID) idCount.set(t.topicId, (idCount.get(t.topicId) ?? 0) + 1);
      } else if (t.topicId === ZERO_UUID) {
        nameCount.set(t.name, (nameCount.get(t.name) ?? 0) + 1);
      }
    }
    const toDelete: { name: string; topicId: string }[] = [];
    const deleteIds = new Set<string>();
    const reportedDuplicates = new Set<string>();
    for (const t of requested) {
      if (t.name === null) {
        if (t.topicId === ZERO_UUID) {
          respond(null, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Neither topic name nor id were specified.');
        } else if (idCount.get(t.topicId)! > 1) {
          if (!reportedDuplicates.has(`id:${t.topicId}`)) respond(null, t.topicId, ErrorCode.INVALID_REQUEST, 'Duplicate topic id.');
          reportedDuplicates.add(`id:${t.topicId}`);
        } else {
          const topic = broker.topics.getById(t.topicId);
          if (!topic) respond(null, t.topicId, ErrorCode.UNKNOWN_TOPIC_ID, errorInfo(ErrorCode.UNKNOWN_TOPIC_ID).message);
          else {
            toDelete.push({ name: topic.name, topicId: topic.topicId });
            deleteIds.add(topic.topicId);
          }
        }
      } else if (t.topicId !== ZERO_UUID) {
        respond(t.name, t.topicId, ErrorCode.INVALID_REQUEST, 'You may not specify both topic name and topic id.');
      } else if (nameCount.get(t.name)! > 1) {
        if (!reportedDuplicates.has(`name:${t.name}`)) respond(t.name, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.');
        reportedDuplicates.add(`name:${t.name}`);
      }
    }
    // Names are resolved after ids, as Kafka does.
    for (const t of requested) {
      if (t.name === null || t.topicId !== ZERO_UUID || nameCount.get(t.name)! > 1) continue;
      const topic = broker.topics.get(t.name);
      if (!topic) {
        respond(t.name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorInfo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).message);
      } else if (deleteIds.has(topic.topicId)) {
        const i = toDelete.findIndex((d) => d.topicId === topic.topicId);
        toDelete.splice(i, 1);
        deleteIds.delete(topic.topicId);
        respond(t.name, topic.topicId, ErrorCode.INVALID_REQUEST, 'The provided topic name maps to an ID that was already supplied.');
      } else {
        toDelete.push({ name: topic.name, topicId: topic.topicId });
        deleteIds.add(topic.topicId);
      }
    }

    for (const d of toDelete) {
      try {
        await broker.topics.delete(d.name);
        respond(d.name, d.topicId, ErrorCode.NONE, null);
      } catch (err) {
        if (err instanceof TopicError) respond(d.name, d.topicId, err.code, err.message);
        else {
          broker.log(`DeleteTopics ${d.name} failed: ${(err as Error).stack ?? String(err)}`);
          respond(d.name, d.topicId, ErrorCode.UNKNOWN_SERVER_ERROR, null);
        }
      }
    }
    return { throttleTimeMs: 0, responses };
  },
});
