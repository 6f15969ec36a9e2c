// EndTxn (key 26), versions 0-5: commit or abort. v2 may answer PRODUCER_FENCED
// (INVALID_PRODUCER_EPOCH before); v3 flexible; v5 (transactions v2) returns the
// producer id and epoch — Samsa answers the unchanged ones (no per-transaction bump).
import { EndTxnApi } from '../../protocol/generated/apis/end-txn.ts';
import { txnCoordinatorOf } from '../txn/coordinator.ts';
import { fencedFor } from '../txn/hooks.ts';
import { defineHandler } from './api-handler.ts';

export const endTxnHandler = defineHandler({
  api: EndTxnApi,
  maxVersion: 4,
  handle(ctx, req) {
    const code = txnCoordinatorOf(ctx.broker).endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
    return { throttleTimeMs: 0, errorCode: fencedFor(code, ctx.apiVersion, 2), producerId: req.producerId, producerEpoch: req.producerEpoch };
  },
});
