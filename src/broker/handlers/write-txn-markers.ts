// WriteTxnMarkers (key 27), versions 0-1: a coordinator asks this leader to append
// COMMIT/ABORT markers. On one node the coordinator writes its markers directly; this
// serves tools and other coordinators. v1 flexible.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { WriteTxnMarkersApi } from '../../protocol/generated/apis/write-txn-markers.ts';
import { txnCoordinatorOf } from '../txn/coordinator.ts';
import { defineHandler } from './api-handler.ts';

export const writeTxnMarkersHandler = defineHandler({
  api: WriteTxnMarkersApi,
  handle(ctx, req) {
    const c = txnCoordinatorOf(ctx.broker);
    return {
      markers: req.markers.map((m) => {
        const parts = new Map<string, Set<number>>();
        for (const t of m.topics) parts.set(t.name, new Set(t.partitionIndexes));
        const res = c.writeMarkers(m.producerId, m.producerEpoch, m.transactionResult, parts);
        return {
          producerId: m.producerId,
          topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode: res.get(t.name)?.get(p) ?? ErrorCode.UNKNOWN_SERVER_ERROR })) })),
        };
      }),
    };
  },
});
