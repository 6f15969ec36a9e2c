// Metadata (key 3), versions 0-12. v1 adds controller id, rack, is_internal and
// null = all topics; v2 cluster id; v4 allow_auto_topic_creation; v5 offline
// replicas; v7 leader epoch; v8 authorized operations; v9 flexible; v10 topic ids;
// v12 topic lookup by id.
import { MetadataApi } from '../../protocol/generated/apis/metadata.ts';
import type { MetadataResponseMetadataResponseTopicInit } from '../../protocol/generated/metadata-response.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { BrokerContext } from '../broker-context.ts';
import type { TopicMetadata } from '../metadata/topic-registry.ts';
import { TopicError } from '../topic-manager.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestContext } from './api-handler.ts';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
/** Kafka's "not supported / not requested" sentinel for authorized operations. */
const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export function brokerEndpoint(ctx: RequestContext): { host: string; port: number } {
  const listeners = ctx.broker.advertisedListeners();
  const l = listeners.find((x) => x.name === ctx.connection.listenerName) ?? listeners[0]!;
  return { host: l.host, port: l.port };
}

export function topicMetadata(broker: BrokerContext, t: TopicMetadata): MetadataResponseMetadataResponseTopicInit {
  const partitions = [];
  for (let p = 0; p < t.partitions; p++) {
    partitions.push({
      errorCode: ErrorCode.NONE,
      partitionIndex: p,
      leaderId: broker.nodeId,
      leaderEpoch: 0,
      replicaNodes: [broker.nodeId],
      isrNodes: [broker.nodeId],
      offlineReplicas: [],
    });
  }
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.topicId,
    isInternal: broker.topics.isInternal(t.name),
    partitions,
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

export const metadataHandler = defineHandler({
  api: MetadataApi,
  handle(ctx, req) {
    const { broker } = ctx;
    const endpoint = brokerEndpoint(ctx);
    const rack = broker.config.str('broker.rack');
    const topics: MetadataResponseMetadataResponseTopicInit[] = [];
    const allTopics = req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0);
    if (allTopics) {
      for (const t of broker.topics.all()) topics.push(topicMetadata(broker, t));
    } else {
      const autoCreate = broker.config.bool('auto.create.topics.enable') && (ctx.apiVersion < 4 || req.allowAutoTopicCreation);
      for (const want of req.topics!) {
        if (want.name === null || want.name === '') {
          const t = want.topicId !== ZERO_UUID ? broker.topics.getById(want.topicId) : undefined;
          topics.push(t ? topicMetadata(broker, t) : { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: want.topicId });
          continue;
        }
        let t = broker.topics.get(want.name);
        if (!t && autoCreate && !broker.topics.isInternal(want.name)) {
          try {
            t = broker.topics.create(want.name);
          } catch (err) {
            const code = err instanceof TopicError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
            topics.push({ errorCode: code, name: want.name });
            continue;
          }
        }
        topics.push(t ? topicMetadata(broker, t) : { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name: want.name });
      }
    }
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: broker.nodeId, host: endpoint.host, port: endpoint.port, rack }],
      clusterId: broker.clusterId,
      controllerId: broker.nodeId,
      topics,
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
});
