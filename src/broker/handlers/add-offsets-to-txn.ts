// AddOffsetsToTxn (key 25), versions 0-4: adds the group's __consumer_offsets
// partition to the transaction. v2 may answer PRODUCER_FENCED; v3 flexible.
import { AddOffsetsToTxnApi } from '../../protocol/generated/apis/add-offsets-to-txn.ts';
import { txnCoordinatorOf } from '../txn/coordinator.ts';
import { fencedFor } from '../txn/hooks.ts';
import { defineHandler } from './api-handler.ts';

export const addOffsetsToTxnHandler = defineHandler({
  api: AddOffsetsToTxnApi,
  handle(ctx, req) {
    const code = txnCoordinatorOf(ctx.broker).addOffsets(req.transactionalId, req.producerId, req.producerEpoch, req.groupId);
    return { throttleTimeMs: 0, errorCode: fencedFor(code, ctx.apiVersion, 2) };
  },
});
