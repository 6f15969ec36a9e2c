// LeaveGroup (key 13), versions 0-5. v1 throttle time; v3 batched members with
// group_instance_id (KIP-345: an admin removes static members by instance id with an
// empty member id); v4 flexible; v5 reason (KIP-800).
//
// v0-2 carry one member id and have no per-member results: a member error becomes
// the top-level error, as Kafka's LeaveGroupResponse does for old versions.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { LeaveGroupApi } from '../../protocol/generated/apis/leave-group.ts';
import { groupCoordinatorOf } from '../group/index.ts';
import { defineHandler } from './api-handler.ts';

export const leaveGroupHandler = defineHandler({
  api: LeaveGroupApi,
  handle(ctx, req) {
    const v = ctx.apiVersion;
    const members = v >= 3
      ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: v >= 5 ? m.reason : null }))
      : [{ memberId: req.memberId, groupInstanceId: null, reason: null }];
    const r = groupCoordinatorOf(ctx.broker).leaveGroup(req.groupId, members);
    if (v >= 3) return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
    const memberError = r.members.find((m) => m.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE;
    return { throttleTimeMs: 0, errorCode: r.errorCode !== ErrorCode.NONE ? r.errorCode : memberError };
  },
});
