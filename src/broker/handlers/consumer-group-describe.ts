// ConsumerGroupDescribe (key 69), version 0 (KIP-848): state (Empty, Assigning,
// Reconciling, Stable; Dead with GROUP_ID_NOT_FOUND for an unknown group or one that
// is not a consumer group), group and assignment epochs, the assignor, and every
// member with its current and target assignment (topic id + name).
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ConsumerGroupDescribeApi } from '../../protocol/generated/apis/consumer-group-describe.ts';
import type { Assignment } from '../group/consumer/assignors.ts';
import { consumerGroupsOf } from '../group/consumer/index.ts';
import { GROUP_AUTHORIZED_OPERATIONS } from '../group/group-coordinator.ts';
import { groupCoordinatorOf } from '../group/index.ts';
import { defineHandler } from './api-handler.ts';

const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export const consumerGroupDescribeHandler = defineHandler({
  api: ConsumerGroupDescribeApi,
  handle(ctx, req) {
    const coordinator = groupCoordinatorOf(ctx.broker);
    const manager = consumerGroupsOf(ctx.broker);
    const ops = req.includeAuthorizedOperations ? GROUP_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
    const describe = (a: Assignment) => ({
      topicPartitions: [...a.keys()].sort().flatMap((t) => {
        const info = ctx.broker.topics.get(t);
        return info ? [{ topicId: info.topicId, topicName: t, partitions: [...a.get(t)!].sort((x, y) => x - y) }] : [];
      }),
    });
    return {
      throttleTimeMs: 0,
      groups: req.groupIds.map((groupId) => {
        const status = coordinator.groupStatus(groupId, true);
        const base = { groupId, groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: ops };
        if (status !== ErrorCode.NONE) return { ...base, errorCode: status, errorMessage: null, groupState: '' };
        const g = manager.groups.get(groupId);
        if (!g) {
          const classic = coordinator.groups.has(groupId);
          return { ...base, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: classic ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.`, groupState: 'Dead' };
        }
        return {
          ...base,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          groupState: g.state,
          groupEpoch: g.groupEpoch,
          assignmentEpoch: g.assignmentEpoch,
          assignorName: g.assignorName,
          members: [...g.members.values()].map((m) => ({
            memberId: m.memberId,
            instanceId: m.instanceId,
            rackId: m.rackId,
            memberEpoch: m.memberEpoch,
            clientId: m.clientId,
            clientHost: m.clientHost,
            subscribedTopicNames: m.subscribedTopicNames,
            subscribedTopicRegex: m.subscribedTopicRegex,
            assignment: describe(m.assigned),
            targetAssignment: describe(g.target(m.memberId)),
          })),
        };
      }),
    };
  },
});
