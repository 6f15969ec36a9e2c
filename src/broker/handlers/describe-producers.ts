// DescribeProducers (key 61), version 0 (flexible): the active idempotent /
// transactional producers of each partition, from the partition's producer state
// (KIP-664). UNKNOWN_TOPIC_OR_PARTITION for partitions that do not exist.
import { DescribeProducersApi } from '../../protocol/generated/apis/describe-producers.ts';
import type { DescribeProducersResponsePartitionResponseInit } from '../../protocol/generated/describe-producers-response.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { defineHandler } from './api-handler.ts';

export const describeProducersHandler = defineHandler({
  api: DescribeProducersApi,
  handle(ctx, req) {
    const { broker } = ctx;
    const topics = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((index): DescribeProducersResponsePartitionResponseInit => {
        const meta = broker.topics.get(t.name);
        if (!meta || index < 0 || index >= meta.partitions) {
          return { partitionIndex: index, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, activeProducers: [] };
        }
        const log = broker.logs.getLog(t.name, index);
        if (!log) return { partitionIndex: index, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: null, activeProducers: [] };
        const activeProducers = [...log.producerState.activeProducers.values()].map((e) => ({
          producerId: BigInt(e.producerId),
          producerEpoch: e.producerEpoch,
          lastSequence: e.batches.length > 0 ? e.batches[e.batches.length - 1]!.lastSeq : -1,
          lastTimestamp: BigInt(e.lastTimestamp),
          coordinatorEpoch: e.coordinatorEpoch,
          currentTxnStartOffset: BigInt(e.currentTxnFirstOffset),
        }));
        return { partitionIndex: index, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers };
      }),
    }));
    return { throttleTimeMs: 0, topics };
  },
});
