// InitProducerId (key 22), versions 0-5. v2 flexible; v3 producer_id and
// producer_epoch in the request (KIP-360: resume after INVALID_PRODUCER_EPOCH);
// v4 may answer PRODUCER_FENCED; v5 may answer TRANSACTION_ABORTABLE (KIP-890).
//
// Without a transactional id (idempotent producers) Kafka's transaction coordinator
// always hands out a fresh producer id with epoch 0, whatever id/epoch the request
// carries (the client bumps idempotent epochs itself); a request giving only one of
// producer_id / producer_epoch is INVALID_REQUEST. Ids come from persistent blocks
// (see producer-ids.ts) and are never reused, even after a restart.
//
// A transactional id goes to the transaction coordinator (src/broker/txn), registered
// in `initProducerIdHooks.transactional` (COORDINATOR_NOT_AVAILABLE without it; an
// empty id is INVALID_REQUEST, as Kafka).
import { InitProducerIdApi } from '../../protocol/generated/apis/init-producer-id.ts';
import type { InitProducerIdRequest } from '../../protocol/generated/init-producer-id-request.ts';
import type { InitProducerIdResponseInit } from '../../protocol/generated/init-producer-id-response.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { dataPlane } from '../fetch/state.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestContext } from './api-handler.ts';

export const initProducerIdHooks: {
  transactional?: (ctx: RequestContext, req: InitProducerIdRequest) => InitProducerIdResponseInit | Promise<InitProducerIdResponseInit>;
} = {};

const NO_PRODUCER_ID = -1n;
const NO_PRODUCER_EPOCH = -1;

function answer(errorCode: number, producerId = -1n, producerEpoch = -1): InitProducerIdResponseInit {
  return { throttleTimeMs: 0, errorCode, producerId, producerEpoch };
}

export const initProducerIdHandler = defineHandler({
  api: InitProducerIdApi,
  handle(ctx, req) {
    const { broker, apiVersion: version } = ctx;
    if (version >= 3) {
      const noId = req.producerId === NO_PRODUCER_ID;
      const noEpoch = req.producerEpoch === NO_PRODUCER_EPOCH;
      if (noId !== noEpoch) return answer(ErrorCode.INVALID_REQUEST);
    }
    if (req.transactionalId !== null) {
      if (req.transactionalId === '') return answer(ErrorCode.INVALID_REQUEST);
      const hook = initProducerIdHooks.transactional;
      return hook ? hook(ctx, req) : answer(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    try {
      const id = dataPlane(broker).producerIds.generate();
      return answer(ErrorCode.NONE, BigInt(id), 0);
    } catch (e) {
      broker.log(`producer id allocation failed: ${(e as Error).message}`);
      return answer(ErrorCode.UNKNOWN_SERVER_ERROR);
    }
  },
});
