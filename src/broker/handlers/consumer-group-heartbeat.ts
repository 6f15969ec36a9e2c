// ConsumerGroupHeartbeat (key 68), versions 0-1 (KIP-848). v0: the coordinator
// generates the member id of a member joining with an empty one; v1 (unstable in the
// spec, so not advertised, as Kafka 4.0 by default; served if enabled): the client
// generates it (an empty member id is INVALID_REQUEST) and may subscribe with a
// regex (subscribed_topic_regex, matched against whole topic names here).
//
// Epoch 0 joins, -1 leaves, -2 (with an instance id) leaves temporarily; errors as
// Kafka: FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID, UNRELEASED_INSTANCE_ID,
// FENCED_INSTANCE_ID, GROUP_MAX_SIZE_REACHED, INVALID_REQUEST, UNSUPPORTED_ASSIGNOR,
// GROUP_ID_NOT_FOUND (unknown group with epoch != 0, or a classic group with members
// has the id; an empty classic group is converted), the coordinator's
// COORDINATOR_LOAD_IN_PROGRESS / NOT_AVAILABLE, and UNSUPPORTED_VERSION when
// group.coordinator.rebalance.protocols does not include "consumer".
// The state machine is group/consumer/consumer-group.ts.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ConsumerGroupHeartbeatApi } from '../../protocol/generated/apis/consumer-group-heartbeat.ts';
import { consumerGroupsOf, consumerProtocolEnabled } from '../group/consumer/index.ts';
import { groupCoordinatorOf } from '../group/index.ts';
import { defineHandler } from './api-handler.ts';
import { clientHostOf } from './join-group.ts';

export const consumerGroupHeartbeatHandler = defineHandler({
  api: ConsumerGroupHeartbeatApi,
  handle(ctx, req) {
    const error = (errorCode: number, errorMessage: string | null = null) => ({ throttleTimeMs: 0, errorCode, errorMessage, memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null });
    if (!consumerProtocolEnabled(ctx.broker)) return error(ErrorCode.UNSUPPORTED_VERSION, 'The consumer group protocol is not enabled (group.coordinator.rebalance.protocols).');
    const status = groupCoordinatorOf(ctx.broker).groupStatus(req.groupId, false);
    if (status !== ErrorCode.NONE) return error(status);
    const r = consumerGroupsOf(ctx.broker).heartbeat({
      groupId: req.groupId,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      instanceId: req.instanceId,
      rackId: req.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      subscribedTopicNames: req.subscribedTopicNames,
      subscribedTopicRegex: ctx.apiVersion >= 1 ? req.subscribedTopicRegex : null,
      serverAssignor: req.serverAssignor,
      topicPartitions: req.topicPartitions,
      clientId: ctx.header.clientId ?? '',
      clientHost: clientHostOf(ctx.connection.remote),
      apiVersion: ctx.apiVersion,
    });
    return { throttleTimeMs: 0, ...r };
  },
});
