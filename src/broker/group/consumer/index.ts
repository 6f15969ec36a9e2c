/**
 * The KIP-848 consumer-group manager beside each broker's group coordinator: created
 * on first use, sharing the coordinator's timer, and plugged into it
 * (GroupCoordinator.consumerGroupHooks) so OffsetCommit/OffsetFetch validate member
 * epochs and List/Describe/DeleteGroups see consumer groups.
 */
import { ErrorCode } from '../../../protocol/errors/index.ts';
import type { BrokerContext } from '../../broker-context.ts';
import type { DescribedGroup, GroupCoordinator, ListedGroup } from '../group-coordinator.ts';
import { groupCoordinatorOf } from '../index.ts';
import { CONSUMER_GROUP_TYPE, ConsumerGroupManager } from './consumer-group.ts';
import type { ConsumerGroupConfig, TopicLookup } from './consumer-group.ts';
import { ConsumerGroupPersister, replayConsumerGroups } from './persistence.ts';

export { CONSUMER_GROUP_TYPE, ConsumerGroupManager } from './consumer-group.ts';

const managers = new WeakMap<GroupCoordinator, ConsumerGroupManager>();

export function consumerGroupConfig(broker: BrokerContext): ConsumerGroupConfig {
  const c = broker.config;
  return {
    sessionTimeoutMs: c.int('group.consumer.session.timeout.ms'),
    heartbeatIntervalMs: c.int('group.consumer.heartbeat.interval.ms'),
    maxSize: c.int('group.consumer.max.size'),
    assignors: c.list('group.consumer.assignors').map((s) => s.trim().toLowerCase()).filter((s) => s !== ''),
  };
}

/** Whether group.coordinator.rebalance.protocols enables the consumer protocol. */
export function consumerProtocolEnabled(broker: BrokerContext): boolean {
  return broker.config.list('group.coordinator.rebalance.protocols').map((s) => s.trim().toLowerCase()).includes('consumer');
}

export function brokerTopicLookup(broker: BrokerContext): TopicLookup {
  return {
    byName: (name) => {
      const t = broker.topics.get(name);
      return t ? { name: t.name, topicId: t.topicId, partitions: t.partitions } : undefined;
    },
    byId: (id) => {
      const t = broker.topics.all().find((x) => x.topicId === id);
      return t ? { name: t.name, topicId: t.topicId, partitions: t.partitions } : undefined;
    },
    names: () => broker.topics.all().map((t) => t.name),
  };
}

/** Installs the consumer-group hooks of `manager` into `coordinator`. */
export function attachConsumerGroups(coordinator: GroupCoordinator, manager: ConsumerGroupManager, topics?: TopicLookup, persister?: ConsumerGroupPersister): void {
  managers.set(coordinator, manager);
  coordinator.consumerGroupHooks = {
    load(records) {
      if (!topics) return;
      const groups = replayConsumerGroups(records, topics, manager.config.assignors[0] ?? 'uniform');
      for (const g of groups) persister?.seed(g);
      manager.load(groups);
    },
    validateOffsetCommit(groupId, memberId, memberEpoch, apiVersion) {
      const err = manager.validateOffsetCommit(groupId, memberId, memberEpoch);
      // Members of consumer groups must commit with OffsetCommit v9+ (Kafka's check).
      if (err === ErrorCode.NONE && memberEpoch >= 0 && apiVersion < 9) return ErrorCode.UNSUPPORTED_VERSION;
      return err;
    },
    validateOffsetFetch: (groupId, memberId, memberEpoch) => manager.validateOffsetFetch(groupId, memberId, memberEpoch),
    isConsumerGroup: (groupId) => manager.groups.has(groupId),
    hasMembers: (groupId) => (manager.groups.get(groupId)?.members.size ?? 0) > 0,
    classicJoin(groupId) {
      const g = manager.groups.get(groupId);
      if (!g) return ErrorCode.NONE;
      if (g.members.size > 0) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
      return manager.deleteGroup(groupId) ?? ErrorCode.NONE;
    },
    listGroups(): ListedGroup[] {
      return [...manager.groups.values()].map((g) => ({ groupId: g.groupId, protocolType: CONSUMER_GROUP_TYPE, groupState: g.state, groupType: CONSUMER_GROUP_TYPE }));
    },
    describeGroup(groupId): DescribedGroup | null {
      const g = manager.groups.get(groupId);
      if (!g) return null;
      return {
        errorCode: ErrorCode.NONE,
        groupId,
        groupState: g.state,
        protocolType: CONSUMER_GROUP_TYPE,
        protocolData: g.assignorName,
        members: [...g.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.instanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: Buffer.alloc(0),
          memberAssignment: Buffer.alloc(0),
        })),
      };
    },
    deleteGroup: (groupId) => manager.deleteGroup(groupId),
    shutdown: () => manager.shutdown(),
  };
}

/** The broker's consumer-group manager (created and attached on first use). */
export function consumerGroupsOf(broker: BrokerContext): ConsumerGroupManager {
  return attachConsumerGroupManager(broker, groupCoordinatorOf(broker));
}

/** Creates and attaches the manager of `coordinator` unless it has one (group/index.ts does at creation). */
export function attachConsumerGroupManager(broker: BrokerContext, coordinator: GroupCoordinator): ConsumerGroupManager {
  let m = managers.get(coordinator);
  if (!m) {
    const topics = brokerTopicLookup(broker);
    const persister = new ConsumerGroupPersister(coordinator.records, topics, (msg) => broker.log(`[GroupCoordinator] ${msg}`));
    m = new ConsumerGroupManager({
      config: consumerGroupConfig(broker),
      timer: coordinator.timer,
      topics,
      persist: (g, deleted) => void persister.persist(g, deleted),
      isClassicGroup: (id) => {
        const g = coordinator.groups.get(id);
        // An empty classic group is converted (Kafka's maybeDeleteEmptyClassicGroup; its offsets stay).
        return g !== undefined && (g.size > 0 || g.pendingJoinMembers.size > 0);
      },
      log: (msg) => broker.log(`[GroupCoordinator] ${msg}`),
    });
    attachConsumerGroups(coordinator, m, topics, persister);
    // Groups replayed before the manager existed.
    for (const records of coordinator.takeLoadedConsumerGroupRecords()) coordinator.consumerGroupHooks!.load(records);
  }
  return m;
}
