// Heartbeat (key 12), versions 0-4. v1 throttle time; v3 group_instance_id; v4
// flexible.
//
// NONE keeps the member's session alive (Stable, or CompletingRebalance between
// JoinGroup and SyncGroup); REBALANCE_IN_PROGRESS tells it to rejoin;
// ILLEGAL_GENERATION for another generation; UNKNOWN_MEMBER_ID for an unknown member
// or group; FENCED_INSTANCE_ID for a stale member id of a static instance. While the
// group's partition loads, Kafka answers NONE.
import { HeartbeatApi } from '../../protocol/generated/apis/heartbeat.ts';
import { groupCoordinatorOf } from '../group/index.ts';
import { defineHandler } from './api-handler.ts';

export const heartbeatHandler = defineHandler({
  api: HeartbeatApi,
  handle(ctx, req) {
    const errorCode = groupCoordinatorOf(ctx.broker).heartbeat({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: ctx.apiVersion >= 3 ? req.groupInstanceId : null,
    });
    return { throttleTimeMs: 0, errorCode };
  },
});
