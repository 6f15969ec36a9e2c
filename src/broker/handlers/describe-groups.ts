// DescribeGroups (key 15), versions 0-5. v1 throttle time; v3
// include_authorized_operations (KIP-430); v4 group_instance_id of members; v5
// flexible.
//
// State names are Kafka's: Empty, PreparingRebalance, CompletingRebalance, Stable,
// Dead (an unknown group is described as Dead with no error, as Kafka does before
// v6). Member metadata and the protocol name are given only for a Stable group; the
// assignment always. Without an authorizer every group operation (READ, DELETE,
// DESCRIBE) is allowed; -2^31 when not requested.
import { DescribeGroupsApi } from '../../protocol/generated/apis/describe-groups.ts';
import { GROUP_AUTHORIZED_OPERATIONS } from '../group/group-coordinator.ts';
import { groupCoordinatorOf } from '../group/index.ts';
import { defineHandler } from './api-handler.ts';

const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export const describeGroupsHandler = defineHandler({
  api: DescribeGroupsApi,
  handle(ctx, req) {
    const coordinator = groupCoordinatorOf(ctx.broker);
    const ops = ctx.apiVersion >= 3 && req.includeAuthorizedOperations ? GROUP_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((id) => ({ ...coordinator.describeGroup(id), authorizedOperations: ops })),
    };
  },
});
