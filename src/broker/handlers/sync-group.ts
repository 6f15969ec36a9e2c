// SyncGroup (key 14), versions 0-5. v1 throttle time; v3 group_instance_id; v4
// flexible; v5 protocol_type and protocol_name in request and response (KIP-559):
// they are mandatory from v5 (missing → INCONSISTENT_GROUP_PROTOCOL) and must match
// the group's.
//
// The leader's request carries every member's assignment; followers' requests wait
// until it arrives (or a rebalance starts: REBALANCE_IN_PROGRESS).
import { ErrorCode } from '../../protocol/errors/index.ts';
import { SyncGroupApi } from '../../protocol/generated/apis/sync-group.ts';
import type { SyncGroupResponseInit } from '../../protocol/generated/sync-group-response.ts';
import type { SyncGroupResult } from '../group/classic-group.ts';
import { syncError } from '../group/classic-group.ts';
import { groupCoordinatorOf } from '../group/index.ts';
import { defineHandler } from './api-handler.ts';

function toResponse(r: SyncGroupResult): SyncGroupResponseInit {
  return { throttleTimeMs: 0, errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment };
}

export const syncGroupHandler = defineHandler({
  api: SyncGroupApi,
  handle(ctx, req) {
    const v = ctx.apiVersion;
    if (v >= 5 && (req.protocolType === null || req.protocolName === null)) return toResponse(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    const coordinator = groupCoordinatorOf(ctx.broker);
    return new Promise<SyncGroupResponseInit>((resolve) => {
      coordinator.syncGroup(
        {
          groupId: req.groupId,
          generationId: req.generationId,
          memberId: req.memberId,
          groupInstanceId: v >= 3 ? req.groupInstanceId : null,
          protocolType: v >= 5 ? req.protocolType : null,
          protocolName: v >= 5 ? req.protocolName : null,
          assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
        },
        (r) => resolve(toResponse(r)),
      );
    }).catch((e: unknown) => {
      ctx.broker.log(`SyncGroup ${req.groupId} failed: ${(e as Error).stack ?? String(e)}`);
      return toResponse(syncError(ErrorCode.UNKNOWN_SERVER_ERROR));
    });
  },
});
