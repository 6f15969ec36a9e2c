/**
 * Registers the transaction coordinator in the hooks of InitProducerId,
 * FindCoordinator (key_type 1) and Produce (transactional batch verification, or the
 * implicit AddPartitions of transactions v2 for Produce v12).
 * Imported by the transaction handlers, so it runs when the handler list is built.
 */
import { ErrorCode } from '../../protocol/errors/index.ts';
import { findCoordinatorHooks } from '../handlers/find-coordinator.ts';
import { initProducerIdHooks } from '../handlers/init-producer-id.ts';
import { produceHooks } from '../handlers/produce.ts';
import { txnCoordinatorOf } from './coordinator.ts';
import { transactionsV2Enabled } from './features.ts';

/** PRODUCER_FENCED is INVALID_PRODUCER_EPOCH for clients older than `fencedSince`. */
export function fencedFor(code: number, version: number, fencedSince: number): number {
  return code === ErrorCode.PRODUCER_FENCED && version < fencedSince ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
}

initProducerIdHooks.transactional = (ctx, req) => {
  const c = txnCoordinatorOf(ctx.broker);
  const v = ctx.apiVersion;
  const r = c.initProducerId(req.transactionalId!, req.transactionTimeoutMs, v >= 3 ? req.producerId : -1n, v >= 3 ? req.producerEpoch : -1);
  return { throttleTimeMs: 0, errorCode: fencedFor(r.errorCode, v, 4), producerId: r.producerId, producerEpoch: r.producerEpoch };
};

findCoordinatorHooks.transaction = (broker, _transactionalId) => txnCoordinatorOf(broker).ensureTopic();

produceHooks.verifyTransaction = (broker, transactionalId, producerId, producerEpoch, topic, partition, addPartition) => {
  const c = txnCoordinatorOf(broker);
  // Produce v12 with transactions v2 finalized: the leader adds the partition (KIP-890 part 2).
  if (addPartition && transactionsV2Enabled(broker)) return c.addPartitionFromProduce(transactionalId, producerId, producerEpoch, topic, partition);
  return c.verifyProduce(transactionalId, producerId, producerEpoch, topic, partition);
};
