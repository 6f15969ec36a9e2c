// TxnOffsetCommit (key 28), versions 0-5: offsets committed inside a transaction,
// pending until the COMMIT marker reaches __consumer_offsets. v2 committed_leader_epoch;
// v3 generation_id, member_id, group_instance_id (KIP-447) and flexible; v4
// TRANSACTION_ABORTABLE; v5 (the body of v4, see src/protocol/kip890-versions.ts) is
// transactions v2: with transaction.version 2 finalized the group's __consumer_offsets
// partition is added to the transaction here (no AddOffsetsToTxn).
import { ErrorCode } from '../../protocol/errors/index.ts';
import { txnCoordinatorOf } from '../txn/coordinator.ts';
import { transactionsV2Enabled, TV_2 } from '../txn/features.ts';
import { TxnOffsetCommitApiKip890 } from '../../protocol/kip890-versions.ts';
import { defineHandler } from './api-handler.ts';

export const txnOffsetCommitHandler = defineHandler({
  api: TxnOffsetCommitApiKip890,
  handle(ctx, req) {
    const c = txnCoordinatorOf(ctx.broker);
    const maxMeta = ctx.broker.config.int('offset.metadata.max.bytes');
    const tooLarge = new Set<string>();
    const offsets = req.topics.flatMap((t) =>
      t.partitions.flatMap((p) => {
        if (p.committedMetadata !== null && p.committedMetadata.length > maxMeta) {
          tooLarge.add(`${t.name}\0${p.partitionIndex}`);
          return [];
        }
        return [{ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: ctx.apiVersion >= 2 ? p.committedLeaderEpoch : -1, metadata: p.committedMetadata ?? '' }];
      }),
    );
    let code: number = ErrorCode.NONE;
    if (ctx.apiVersion >= 5 && transactionsV2Enabled(ctx.broker)) code = c.addOffsets(req.transactionalId, req.producerId, req.producerEpoch, req.groupId, TV_2);
    if (code === ErrorCode.NONE) code = c.txnOffsetCommit(req.transactionalId, req.producerId, req.producerEpoch, req.groupId, ctx.apiVersion >= 3 ? req.generationId : -1, offsets);
    if (code === ErrorCode.PRODUCER_FENCED) code = ErrorCode.INVALID_PRODUCER_EPOCH;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: tooLarge.has(`${t.name}\0${p.partitionIndex}`) ? ErrorCode.OFFSET_METADATA_TOO_LARGE : code })),
      })),
    };
  },
});
