// FindCoordinator (key 10), versions 0-6. v1 key_type (0 group, 1 transaction),
// throttle_time_ms and error_message; v2 same shape (the client may retry on
// COORDINATOR_NOT_AVAILABLE); v3 flexible; v4 batched coordinator_keys (KIP-699),
// one Coordinator entry per key; v5 may answer TRANSACTION_ABORTABLE; v6 key_type 2
// (share, KIP-932).
//
// Groups: this node is the coordinator of every group (it leads every
// __consumer_offsets partition, Utils.abs(groupId.hashCode()) % partitions); the topic
// is created here on first use, as Kafka creates it from FindCoordinator.
// Transactions: the transaction coordinator (src/broker/txn) registers
// `findCoordinatorHooks.transaction` (COORDINATOR_NOT_AVAILABLE without it). Share groups and unknown key
// types: INVALID_REQUEST.
//
// As Kafka, error_message is Errors.message(): "NONE" on success, the error's default
// message otherwise; a failed lookup answers node -1, host "", port -1.
import { ErrorCode, errorInfo } from '../../protocol/errors/index.ts';
import { FindCoordinatorApi } from '../../protocol/generated/apis/find-coordinator.ts';
import type { FindCoordinatorResponseCoordinatorInit } from '../../protocol/generated/find-coordinator-response.ts';
import type { BrokerContext } from '../broker-context.ts';
import { ensureOffsetsTopic } from '../group/index.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestContext } from './api-handler.ts';

export const CoordinatorType = { GROUP: 0, TRANSACTION: 1, SHARE: 2 } as const;

/**
 * Set by a transaction coordinator: NONE when this node coordinates `transactionalId`
 * (it then answers with this node), else the error to return.
 */
export const findCoordinatorHooks: {
  transaction?: (broker: BrokerContext, transactionalId: string) => number;
} = {};

function errorMessage(code: number): string {
  return code === ErrorCode.NONE ? 'NONE' : errorInfo(code).message;
}

function lookup(ctx: RequestContext, keyType: number, key: string): FindCoordinatorResponseCoordinatorInit {
  let code: number;
  switch (keyType) {
    case CoordinatorType.GROUP:
      code = ensureOffsetsTopic(ctx.broker) === ErrorCode.NONE ? ErrorCode.NONE : ErrorCode.COORDINATOR_NOT_AVAILABLE;
      break;
    case CoordinatorType.TRANSACTION: {
      const hook = findCoordinatorHooks.transaction;
      code = hook ? hook(ctx.broker, key) : ErrorCode.COORDINATOR_NOT_AVAILABLE;
      break;
    }
    default:
      code = ErrorCode.INVALID_REQUEST;
  }
  if (code !== ErrorCode.NONE) return { key, errorCode: code, errorMessage: errorMessage(code), nodeId: -1, host: '', port: -1 };
  const listeners = ctx.broker.advertisedListeners();
  const l = listeners.find((x) => x.name === ctx.connection.listenerName) ?? listeners[0]!;
  return { key, errorCode: ErrorCode.NONE, errorMessage: errorMessage(ErrorCode.NONE), nodeId: ctx.broker.nodeId, host: l.host, port: l.port };
}

export const findCoordinatorHandler = defineHandler({
  api: FindCoordinatorApi,
  handle(ctx, req) {
    const v = ctx.apiVersion;
    const keyType = v >= 1 ? req.keyType : CoordinatorType.GROUP;
    if (v >= 4) {
      return { throttleTimeMs: 0, coordinators: req.coordinatorKeys.map((k) => lookup(ctx, keyType, k)) };
    }
    const c = lookup(ctx, keyType, req.key);
    return { throttleTimeMs: 0, errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port };
  },
});
