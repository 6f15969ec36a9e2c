/**
 * The broker's group coordinator, kept beside the broker (a WeakMap keyed by it, as
 * the data-plane state is) so several brokers in one process stay apart.
 *
 * `startGroupCoordinator` (called at broker startup) creates it and, when
 * __consumer_offsets exists, replays every partition in the background; until a
 * partition is replayed its groups answer COORDINATOR_LOAD_IN_PROGRESS. It also starts
 * the offsets.retention.check.interval.ms expiration task. `stopGroupCoordinator`
 * cancels the timers and answers parked JoinGroup/SyncGroup requests.
 */
import { performance } from 'node:perf_hooks';
import type { BrokerContext } from '../broker-context.ts';
import type { GroupCoordinatorConfig } from './coordinator-context.ts';
import { DEFAULT_GROUP_COORDINATOR_CONFIG } from './coordinator-context.ts';
import { GROUP_METADATA_TOPIC_NAME, GroupCoordinator } from './group-coordinator.ts';
import { OffsetsTopicLog, replayOffsetsPartition } from './offsets-topic.ts';
import { SystemTimer } from './timer.ts';
import { attachConsumerGroupManager } from './consumer/index.ts';

export { GROUP_METADATA_TOPIC_NAME, GroupCoordinator } from './group-coordinator.ts';

interface BrokerGroupCoordinator {
  readonly coordinator: GroupCoordinator;
  readonly offsetsLog: OffsetsTopicLog;
  /** Resolves when every partition is replayed (or loading stopped). */
  readonly loaded: Promise<void>;
}

const coordinators = new WeakMap<BrokerContext, BrokerGroupCoordinator>();

/** The group.* / offsets.* broker configs as the coordinator wants them. */
export function groupCoordinatorConfig(broker: BrokerContext): GroupCoordinatorConfig {
  const c = broker.config;
  return {
    ...DEFAULT_GROUP_COORDINATOR_CONFIG,
    minSessionTimeoutMs: c.int('group.min.session.timeout.ms'),
    maxSessionTimeoutMs: c.int('group.max.session.timeout.ms'),
    initialRebalanceDelayMs: c.int('group.initial.rebalance.delay.ms'),
    maxSize: c.int('group.max.size'),
    offsetMetadataMaxBytes: c.int('offset.metadata.max.bytes'),
    offsetsRetentionMs: c.int('offsets.retention.minutes') * 60_000,
    offsetsRetentionCheckIntervalMs: c.int('offsets.retention.check.interval.ms'),
  };
}

function create(broker: BrokerContext): BrokerGroupCoordinator {
  const existing = broker.topics.get(GROUP_METADATA_TOPIC_NAME);
  const partitionCount = existing ? existing.partitions : broker.config.int('offsets.topic.num.partitions');
  const offsetsLog = new OffsetsTopicLog(broker, partitionCount);
  const timer = new SystemTimer((err) => broker.log(`group coordinator timer failed: ${(err as Error).stack ?? String(err)}`));
  const coordinator = new GroupCoordinator({
    config: groupCoordinatorConfig(broker),
    timer,
    records: offsetsLog,
    partitionCount,
    initialState: existing ? 'loading' : 'loaded',
    topicExists: (topic) => broker.topics.get(topic) !== undefined,
    log: (m) => broker.log(m),
  });
  // KIP-848 consumer groups (group/consumer/) hook into the coordinator before loading.
  attachConsumerGroupManager(broker, coordinator);
  const loaded = existing ? loadAll(broker, coordinator) : Promise.resolve();
  coordinator.scheduleExpiration();
  return { coordinator, offsetsLog, loaded };
}

async function loadAll(broker: BrokerContext, coordinator: GroupCoordinator): Promise<void> {
  const t0 = performance.now();
  let groups = 0;
  // Let the broker finish starting (listeners bound) before the first chunk.
  await new Promise<void>((r) => setImmediate(r));
  for (let p = 0; p < coordinator.partitionCount; p++) {
    if (!coordinator.isActive) return;
    const log = broker.logs.getLog(GROUP_METADATA_TOPIC_NAME, p);
    if (!log) {
      coordinator.completeLoading(p, []);
      continue;
    }
    try {
      const state = await replayOffsetsPartition(log, { isCancelled: () => !coordinator.isActive });
      if (!coordinator.isActive) return;
      const loadedGroups = state.buildGroups();
      groups += loadedGroups.length;
      coordinator.completeLoading(p, loadedGroups);
      coordinator.loadConsumerGroupRecords([...state.consumerGroupRecords.values()]);
      if (state.skipped > 0) broker.log(`Skipped ${state.skipped} records of ${GROUP_METADATA_TOPIC_NAME}-${p} that are not classic group records (KIP-848 consumer-group records go to group/consumer/)`);
    } catch (e) {
      coordinator.failLoading(p);
      broker.log(`Failed to load ${GROUP_METADATA_TOPIC_NAME}-${p}: ${(e as Error).stack ?? String(e)}`);
    }
  }
  broker.log(`Finished loading offsets and group metadata from ${GROUP_METADATA_TOPIC_NAME} (${coordinator.partitionCount} partitions, ${groups} groups) in ${Math.round(performance.now() - t0)} milliseconds`);
}

function state(broker: BrokerContext): BrokerGroupCoordinator {
  let s = coordinators.get(broker);
  if (!s) {
    s = create(broker);
    coordinators.set(broker, s);
  }
  return s;
}

/** Creates the coordinator and starts loading __consumer_offsets (broker startup). */
export function startGroupCoordinator(broker: BrokerContext): GroupCoordinator {
  return state(broker).coordinator;
}

/** The broker's coordinator (created on first use if startup did not). */
export function groupCoordinatorOf(broker: BrokerContext): GroupCoordinator {
  return state(broker).coordinator;
}

/** Resolves once every __consumer_offsets partition has been replayed. */
export function groupCoordinatorLoaded(broker: BrokerContext): Promise<void> {
  return state(broker).loaded;
}

/** Creates __consumer_offsets if it does not exist yet (FindCoordinator does). */
export function ensureOffsetsTopic(broker: BrokerContext): number {
  return state(broker).offsetsLog.ensureTopic();
}

export function stopGroupCoordinator(broker: BrokerContext): void {
  const s = coordinators.get(broker);
  if (s) s.coordinator.shutdown();
}
