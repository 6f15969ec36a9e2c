// DescribeTransactions (key 65), version 0: state, producer id/epoch, timeout, start
// time and partitions of each transactional id (TRANSACTIONAL_ID_NOT_FOUND if unknown).
import { ErrorCode } from '../../protocol/errors/index.ts';
import { DescribeTransactionsApi } from '../../protocol/generated/apis/describe-transactions.ts';
import { TXN_STATE_NAMES, txnCoordinatorOf } from '../txn/coordinator.ts';
import { defineHandler } from './api-handler.ts';

export const describeTransactionsHandler = defineHandler({
  api: DescribeTransactionsApi,
  handle(ctx, req) {
    const c = txnCoordinatorOf(ctx.broker);
    return {
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((id) => {
        const md = c.txns.get(id);
        if (!md) return { errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, transactionalId: id, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
        return {
          errorCode: ErrorCode.NONE,
          transactionalId: id,
          transactionState: TXN_STATE_NAMES[md.state] ?? 'Dead',
          transactionTimeoutMs: md.timeoutMs,
          transactionStartTimeMs: BigInt(md.startMs),
          producerId: md.producerId,
          producerEpoch: md.producerEpoch,
          topics: [...md.partitions].map(([topic, ps]) => ({ topic, partitions: [...ps].sort((a, b) => a - b) })),
        };
      }),
    };
  },
});
