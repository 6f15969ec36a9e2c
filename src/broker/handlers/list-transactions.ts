// ListTransactions (key 66), versions 0-1: transactional ids known to the coordinator,
// filtered by state names, producer ids and (v1) running longer than duration_filter ms.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ListTransactionsApi } from '../../protocol/generated/apis/list-transactions.ts';
import { TXN_STATE_NAMES, TxnState, txnCoordinatorOf } from '../txn/coordinator.ts';
import { defineHandler } from './api-handler.ts';

export const listTransactionsHandler = defineHandler({
  api: ListTransactionsApi,
  handle(ctx, req) {
    const c = txnCoordinatorOf(ctx.broker);
    const unknown = req.stateFilters.filter((s) => !TXN_STATE_NAMES.includes(s));
    const states = new Set(req.stateFilters);
    const pids = new Set(req.producerIdFilters);
    const duration = ctx.apiVersion >= 1 ? Number(req.durationFilter) : -1;
    const now = Date.now();
    const out = [];
    for (const md of c.txns.values()) {
      const name = TXN_STATE_NAMES[md.state] ?? 'Dead';
      if (states.size > 0 && !states.has(name)) continue;
      if (pids.size > 0 && !pids.has(md.producerId)) continue;
      if (duration >= 0 && !(md.state === TxnState.ONGOING && md.startMs >= 0 && now - md.startMs > duration)) continue;
      out.push({ transactionalId: md.transactionalId, producerId: md.producerId, transactionState: name });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters: unknown, transactionStates: out };
  },
});
