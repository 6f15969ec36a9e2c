/**
 * Registers the transaction coordinator in the hooks of InitProducerId,
 * FindCoordinator (key_type 1) and Produce (transactional batch verification).
 * Imported by the transaction handlers, so it runs when the handler list is built.
 */
import { ErrorCode } from '../../protocol/errors/index.ts';
import { findCoordinatorHooks } from '../handlers/find-coordinator.ts';
import { initProducerIdHooks } from '../handlers/init-producer-id.ts';
import { produceHooks } from '../handlers/produce.ts';
import { txnCoordinatorOf } from './coordinator.ts';

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

produceHooks.verifyTransaction = (broker, transactionalId, producerId, producerEpoch, topic, partition) =>
  txnCoordinatorOf(broker).verifyProduce(transactionalId, producerId, producerEpoch, topic, partition);
