// EndTxn (key 26), versions 0-5: commit or abort. v2 may answer PRODUCER_FENCED
// (INVALID_PRODUCER_EPOCH before); v3 flexible; v4 TRANSACTION_ABORTABLE; v5
// transactions v2 (KIP-890 part 2): the coordinator bumps the epoch on every end and
// answers the producer id and epoch to use next (a new id with epoch 0 when the epoch
// is exhausted). v0-4, and v5 while transaction.version < 2 is finalized, end the
// transaction as v1 (v5 then answers the unchanged id/epoch).
import { txnCoordinatorOf } from '../txn/coordinator.ts';
import { transactionsV2Enabled } from '../txn/features.ts';
import { fencedFor } from '../txn/hooks.ts';
import { EndTxnApiKip890 } from '../../protocol/kip890-versions.ts';
import { defineHandler } from './api-handler.ts';

export const endTxnHandler = defineHandler({
  api: EndTxnApiKip890,
  handle(ctx, req) {
    const c = txnCoordinatorOf(ctx.broker);
    if (ctx.apiVersion >= 5 && transactionsV2Enabled(ctx.broker)) {
      const r = c.endTxnV2(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
      return { throttleTimeMs: 0, errorCode: r.errorCode, producerId: r.producerId, producerEpoch: r.producerEpoch };
    }
    const code = c.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
    return { throttleTimeMs: 0, errorCode: fencedFor(code, ctx.apiVersion, 2), producerId: req.producerId, producerEpoch: req.producerEpoch };
  },
});
