// AddPartitionsToTxn (key 24), versions 0-5. v0-3: one transaction from the producer
// (the client form); v2 may answer PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before);
// v3 flexible; v4 batched transactions with verify_only (the broker-to-coordinator
// form of KIP-890 part 1) and a top-level error; v5 TRANSACTION_ABORTABLE. The
// broker form with verify_only=false is a leader adding a partition for Produce v12
// (transactions v2, KIP-890 part 2): the transaction it starts is a v2 one.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { AddPartitionsToTxnApi } from '../../protocol/generated/apis/add-partitions-to-txn.ts';
import type { AddPartitionsToTxnRequestAddPartitionsToTxnTopic } from '../../protocol/generated/add-partitions-to-txn-request.ts';
import { txnCoordinatorOf } from '../txn/coordinator.ts';
import { transactionsV2Enabled, TV_2 } from '../txn/features.ts';
import { fencedFor } from '../txn/hooks.ts';
import { defineHandler } from './api-handler.ts';

function results(topics: readonly AddPartitionsToTxnRequestAddPartitionsToTxnTopic[], code: (topic: string) => number) {
  return topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code(t.name) })) }));
}

export const addPartitionsToTxnHandler = defineHandler({
  api: AddPartitionsToTxnApi,
  handle(ctx, req) {
    const c = txnCoordinatorOf(ctx.broker);
    const v = ctx.apiVersion;
    const run = (id: string, pid: bigint, epoch: number, topics: readonly AddPartitionsToTxnRequestAddPartitionsToTxnTopic[], verifyOnly: boolean) => {
      const unknown = new Set(topics.filter((t) => !ctx.broker.topics.get(t.name)).map((t) => t.name));
      if (unknown.size > 0) {
        // As Kafka: unknown partitions fail, the rest are OPERATION_NOT_ATTEMPTED.
        return results(topics, (name) => (unknown.has(name) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED));
      }
      const parts = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p })));
      const tv = v >= 4 && !verifyOnly && transactionsV2Enabled(ctx.broker) ? TV_2 : 0;
      const code = fencedFor(c.addPartitions(id, pid, epoch, parts, verifyOnly, tv), v, 2);
      return results(topics, () => code);
    };
    if (v <= 3) {
      return { throttleTimeMs: 0, resultsByTopicV3AndBelow: run(req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, req.v3AndBelowTopics, false) };
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      resultsByTransaction: req.transactions.map((t) => ({ transactionalId: t.transactionalId, topicResults: run(t.transactionalId, t.producerId, t.producerEpoch, t.topics, t.verifyOnly) })),
    };
  },
});
