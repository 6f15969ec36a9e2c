// JoinGroup (key 11), versions 0-9. v1 rebalance_timeout_ms (v0: the session timeout);
// v2 throttle time; v4 MEMBER_ID_REQUIRED: a dynamic member's first join gets its
// member id (clientId-uuid) in the error response and must join again with it
// (KIP-394); v5 group_instance_id (static membership, KIP-345); v6 flexible; v7
// protocol_type in the response (KIP-559); v8 reason (KIP-800); v9 skip_assignment
// (the leader of a Stable group that rejoins as a replaced static member is told not
// to recompute the assignment).
//
// The request waits (the response promise stays pending) until the join phase of the
// rebalance completes: see group/group-metadata-manager.ts for the state machine.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { JoinGroupApi } from '../../protocol/generated/apis/join-group.ts';
import type { JoinGroupResponseInit } from '../../protocol/generated/join-group-response.ts';
import type { JoinGroupResult } from '../group/classic-group.ts';
import { groupCoordinatorOf } from '../group/index.ts';
import { defineHandler } from './api-handler.ts';

export function clientHostOf(remote: string): string {
  // Kafka shows the client address as InetAddress.toString(): "/127.0.0.1".
  const i = remote.lastIndexOf(':');
  const host = i > 0 ? remote.slice(0, i) : remote;
  return `/${host.replace(/^::ffff:/, '')}`;
}

function toResponse(r: JoinGroupResult, version: number): JoinGroupResponseInit {
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolType: r.protocolType,
    // Before v7 the protocol name is not nullable.
    protocolName: version >= 7 ? r.protocolName : (r.protocolName ?? ''),
    leader: r.leader,
    skipAssignment: r.skipAssignment,
    memberId: r.memberId,
    members: r.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
  };
}

export const joinGroupHandler = defineHandler({
  api: JoinGroupApi,
  handle(ctx, req) {
    const v = ctx.apiVersion;
    const coordinator = groupCoordinatorOf(ctx.broker);
    return new Promise<JoinGroupResponseInit>((resolve) => {
      coordinator.joinGroup(
        {
          groupId: req.groupId,
          memberId: req.memberId,
          groupInstanceId: v >= 5 ? req.groupInstanceId : null,
          clientId: ctx.header.clientId ?? '',
          clientHost: clientHostOf(ctx.connection.remote),
          sessionTimeoutMs: req.sessionTimeoutMs,
          rebalanceTimeoutMs: v >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
          protocolType: req.protocolType,
          protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
          requireKnownMemberId: v >= 4,
          supportSkippingAssignment: v >= 9,
          reason: v >= 8 ? req.reason : null,
        },
        (r) => resolve(toResponse(r, v)),
      );
    }).catch((e: unknown) => {
      ctx.broker.log(`JoinGroup ${req.groupId} failed: ${(e as Error).stack ?? String(e)}`);
      return toResponse({ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId: req.memberId, members: [] }, v);
    });
  },
});
