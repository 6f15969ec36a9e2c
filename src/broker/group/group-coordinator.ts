/**
 * The group coordinator of one broker: every classic group whose __consumer_offsets
 * partition this node leads (on a single node: all of them). It checks what Kafka's
 * GroupCoordinatorService checks before a request reaches the state machine (group id,
 * coordinator active, partition loaded, session timeout bounds) and then delegates to
 * the GroupMetadataManager (membership) and the OffsetMetadataManager (offsets).
 *
 * Loading: a partition of __consumer_offsets is 'loading' from startup until its log
 * has been replayed; requests for its groups answer COORDINATOR_LOAD_IN_PROGRESS
 * (SyncGroup: REBALANCE_IN_PROGRESS, Heartbeat: NONE, as Kafka, for old clients).
 */
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { GroupCoordinatorRecord } from '../../protocol/generated/internal/coordinator-records.ts';
import { ClassicGroup, GroupState, joinError, syncError } from './classic-group.ts';
import type { JoinCallback, SyncCallback } from './classic-group.ts';
import type { CoordinatorContext, CoordinatorRecordLog, GroupCoordinatorConfig } from './coordinator-context.ts';
import { GroupMetadataManager } from './group-metadata-manager.ts';
import type { HeartbeatParams, JoinGroupParams, LeaveGroupResult, LeavingMember, SyncGroupParams } from './group-metadata-manager.ts';
import { OffsetMetadataManager } from './offset-metadata-manager.ts';
import type { FetchedTopic, OffsetCommitParams, OffsetFetchRequestTopic } from './offset-metadata-manager.ts';
import { partitionForGroup } from './partition-for.ts';
import type { CoordinatorTimer } from './timer.ts';

export const GROUP_METADATA_TOPIC_NAME = '__consumer_offsets';
/** ListGroups v5 group type of every group here. */
export const CLASSIC_GROUP_TYPE = 'classic';
/** AclOperation READ(3), DELETE(6), DESCRIBE(8) as a bit field: what a group allows without an authorizer. */
export const GROUP_AUTHORIZED_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

export type PartitionLoadState = 'loading' | 'loaded' | 'failed';

export interface GroupCoordinatorOptions {
  config: GroupCoordinatorConfig;
  timer: CoordinatorTimer;
  records: CoordinatorRecordLog;
  partitionCount: number;
  /** Partitions start 'loaded' (empty) unless told otherwise. */
  initialState?: PartitionLoadState;
  /** Whether a topic still exists; the retention task drops offsets of deleted topics. */
  topicExists?: (topic: string) => boolean;
  log?: (message: string) => void;
}

export interface DescribedGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribedGroupMember[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

const EXPIRATION_KEY = 'offsets-expiration';

/**
 * KIP-848 consumer groups (group/consumer/) plug in here: their offsets live in an
 * Empty protocol-less classic group of the same id (committed as simple commits once
 * the member epoch is validated); List/Describe/DeleteGroups include them.
 */
export interface ConsumerGroupHooks {
  /** Consumer-group records replayed from a __consumer_offsets partition (latest per key). */
  load(records: readonly GroupCoordinatorRecord[]): void;
  /** null: not a consumer group; else NONE or the commit's error. */
  validateOffsetCommit(groupId: string, memberId: string, memberEpoch: number, apiVersion: number): number | null;
  /** OffsetFetch v9 member id / epoch check (NONE for non-consumer groups). */
  validateOffsetFetch(groupId: string, memberId: string | null, memberEpoch: number): number;
  isConsumerGroup(groupId: string): boolean;
  hasMembers(groupId: string): boolean;
  /**
   * A classic JoinGroup for `groupId`: an empty consumer group is converted (deleted,
   * its offsets stay); a non-empty one answers INCONSISTENT_GROUP_PROTOCOL (Samsa has
   * no classic members in consumer groups).
   */
  classicJoin(groupId: string): number;
  listGroups(): ListedGroup[];
  describeGroup(groupId: string): DescribedGroup | null;
  /** null: not a consumer group; NONE when deleted; NON_EMPTY_GROUP. */
  deleteGroup(groupId: string): number | null;
  shutdown(): void;
}

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  readonly timer: CoordinatorTimer;
  readonly groups = new Map<string, ClassicGroup>();
  readonly groupManager: GroupMetadataManager;
  readonly offsetManager: OffsetMetadataManager;
  readonly partitionCount: number;
  private readonly partitionStates: PartitionLoadState[];
  private active = true;
  /** Set by group/consumer/ when KIP-848 groups are in use. */
  consumerGroupHooks: ConsumerGroupHooks | null = null;
  /** Where group/consumer/ writes its records. */
  readonly records: CoordinatorRecordLog;
  private loadedConsumerGroupRecords: (readonly GroupCoordinatorRecord[])[] = [];
  private readonly logFn: (message: string) => void;
  private readonly topicExists: (topic: string) => boolean;

  constructor(opts: GroupCoordinatorOptions) {
    this.topicExists = opts.topicExists ?? (() => true);
    this.config = opts.config;
    this.timer = opts.timer;
    this.partitionCount = opts.partitionCount;
    this.records = opts.records;
    this.partitionStates = new Array<PartitionLoadState>(opts.partitionCount).fill(opts.initialState ?? 'loaded');
    this.logFn = opts.log ?? (() => {});
    const ctx: CoordinatorContext = {
      config: opts.config,
      timer: opts.timer,
      groups: this.groups,
      records: opts.records,
      partitionName: (groupId) => `${GROUP_METADATA_TOPIC_NAME}-${this.partitionFor(groupId)}`,
      log: (m) => this.logFn(`[GroupCoordinator] ${m}`),
    };
    this.groupManager = new GroupMetadataManager(ctx);
    this.offsetManager = new OffsetMetadataManager(ctx, this.groupManager);
  }

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.partitionCount);
  }

  get isActive(): boolean {
    return this.active;
  }

  // ---- loading ----

  partitionState(partition: number): PartitionLoadState {
    return this.partitionStates[partition] ?? 'failed';
  }

  get isLoading(): boolean {
    return this.partitionStates.includes('loading');
  }

  beginLoading(partition: number): void {
    this.partitionStates[partition] = 'loading';
  }

  /** Installs a replayed partition's groups; members must heartbeat from now on. */
  completeLoading(partition: number, groups: readonly ClassicGroup[]): void {
    for (const g of groups) {
      if (this.partitionFor(g.groupId) !== partition) {
        this.logFn(`[GroupCoordinator] Group ${g.groupId} found in ${GROUP_METADATA_TOPIC_NAME}-${partition} belongs to partition ${this.partitionFor(g.groupId)}; loaded anyway`);
      }
      this.groups.set(g.groupId, g);
      this.groupManager.onGroupLoaded(g);
    }
    this.partitionStates[partition] = 'loaded';
  }

  /** Hands replayed consumer-group records to group/consumer/ (kept until it attaches). */
  loadConsumerGroupRecords(records: readonly GroupCoordinatorRecord[]): void {
    if (records.length === 0) return;
    if (this.consumerGroupHooks) this.consumerGroupHooks.load(records);
    else this.loadedConsumerGroupRecords.push(records);
  }

  takeLoadedConsumerGroupRecords(): (readonly GroupCoordinatorRecord[])[] {
    const out = this.loadedConsumerGroupRecords;
    this.loadedConsumerGroupRecords = [];
    return out;
  }

  failLoading(partition: number): void {
    this.partitionStates[partition] = 'failed';
  }

  /**
   * Kafka's validateGroupStatus: INVALID_GROUP_ID (empty ids are allowed only for the
   * offset and describe/delete APIs), COORDINATOR_NOT_AVAILABLE when shut down or the
   * partition failed to load, COORDINATOR_LOAD_IN_PROGRESS while it loads.
   */
  groupStatus(groupId: string | null, allowEmptyId: boolean): number {
    if (groupId === null || (!allowEmptyId && groupId === '')) return ErrorCode.INVALID_GROUP_ID;
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const state = this.partitionState(this.partitionFor(groupId));
    if (state === 'loading') return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    if (state === 'failed') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    return ErrorCode.NONE;
  }

  private isGroupLoaded(groupId: string): boolean {
    return this.partitionState(this.partitionFor(groupId)) === 'loaded';
  }

  // ---- membership ----

  joinGroup(p: JoinGroupParams, respond: JoinCallback): void {
    const status = this.groupStatus(p.groupId, false);
    if (status !== ErrorCode.NONE) return respond(joinError(p.memberId, status));
    const consumer = this.consumerGroupHooks?.classicJoin(p.groupId) ?? ErrorCode.NONE;
    if (consumer !== ErrorCode.NONE) return respond(joinError(p.memberId, consumer));
    if (p.sessionTimeoutMs < this.config.minSessionTimeoutMs || p.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      return respond(joinError(p.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    this.groupManager.joinGroup(p, respond);
  }

  syncGroup(p: SyncGroupParams, respond: SyncCallback): void {
    const status = this.groupStatus(p.groupId, false);
    // While loading, the rebalance in progress is lost: rejoin without rediscovering the coordinator.
    if (status === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return respond(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    if (status !== ErrorCode.NONE) return respond(syncError(status));
    this.groupManager.syncGroup(p, respond);
  }

  heartbeat(p: HeartbeatParams): number {
    const status = this.groupStatus(p.groupId, false);
    if (status === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return ErrorCode.NONE;
    if (status !== ErrorCode.NONE) return status;
    return this.groupManager.heartbeat(p);
  }

  leaveGroup(groupId: string, members: readonly LeavingMember[]): LeaveGroupResult {
    const status = this.groupStatus(groupId, false);
    if (status !== ErrorCode.NONE) return { errorCode: status, members: [] };
    return this.groupManager.leaveGroup(groupId, members);
  }

  // ---- offsets ----

  commitOffsets(p: OffsetCommitParams): number[] {
    const status = this.groupStatus(p.groupId, true);
    if (status !== ErrorCode.NONE) return p.partitions.map(() => status);
    const consumer = this.consumerGroupHooks?.validateOffsetCommit(p.groupId, p.memberId, p.generationId, p.apiVersion) ?? null;
    if (consumer !== null) {
      if (consumer !== ErrorCode.NONE) return p.partitions.map(() => consumer);
      return this.offsetManager.commitOffsets({ ...p, memberId: '', groupInstanceId: null, generationId: -1 });
    }
    return this.offsetManager.commitOffsets(p);
  }

  fetchOffsets(groupId: string, topics: readonly OffsetFetchRequestTopic[] | null, requireStable: boolean, member?: { memberId: string | null; memberEpoch: number }): { errorCode: number; topics: FetchedTopic[] } {
    const status = this.groupStatus(groupId, true);
    if (status !== ErrorCode.NONE) return { errorCode: status, topics: [] };
    if (member && this.consumerGroupHooks) {
      const err = this.consumerGroupHooks.validateOffsetFetch(groupId, member.memberId, member.memberEpoch);
      if (err !== ErrorCode.NONE) return { errorCode: err, topics: [] };
    }
    return { errorCode: ErrorCode.NONE, topics: this.offsetManager.fetchOffsets(groupId, topics, requireStable) };
  }

  deleteOffsets(groupId: string, partitions: readonly { topic: string; partition: number }[]): { errorCode: number; partitions: number[] } {
    const status = this.groupStatus(groupId, false);
    if (status !== ErrorCode.NONE) return { errorCode: status, partitions: [] };
    return this.offsetManager.deleteOffsets(groupId, partitions);
  }

  // ---- admin ----

  /** ListGroups: groups of loaded partitions, filtered by state and type (case-insensitive). */
  listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): { errorCode: number; groups: ListedGroup[] } {
    if (!this.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    const groups: ListedGroup[] = [];
    if (types.size === 0 || types.has(CLASSIC_GROUP_TYPE)) {
      for (const g of this.groups.values()) {
        if (!this.isGroupLoaded(g.groupId) || g.is(GroupState.DEAD)) continue;
        if (this.consumerGroupHooks?.isConsumerGroup(g.groupId)) continue;
        if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
        groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: CLASSIC_GROUP_TYPE });
      }
    }
    for (const g of this.consumerGroupHooks?.listGroups() ?? []) {
      if (types.size > 0 && !types.has(g.groupType)) continue;
      if (states.size > 0 && !states.has(g.groupState.toLowerCase())) continue;
      groups.push(g);
    }
    return { errorCode: this.isLoading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE, groups };
  }

  describeGroup(groupId: string): DescribedGroup {
    const status = this.groupStatus(groupId, true);
    const described: DescribedGroup = { errorCode: status, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
    if (status !== ErrorCode.NONE) return described;
    const consumer = this.consumerGroupHooks?.describeGroup(groupId) ?? null;
    if (consumer !== null) return consumer;
    const g = this.groups.get(groupId);
    if (!g || g.is(GroupState.DEAD)) return { ...described, groupState: GroupState.DEAD };
    const stable = g.is(GroupState.STABLE);
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: g.state,
      protocolType: g.protocolType ?? '',
      protocolData: stable ? (g.protocolName ?? '') : '',
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable && g.protocolName !== null ? m.metadata(g.protocolName) : Buffer.alloc(0),
        memberAssignment: m.assignment,
      })),
    };
  }

  deleteGroups(groupIds: readonly string[]): { groupId: string; errorCode: number }[] {
    return groupIds.map((groupId) => {
      const status = this.groupStatus(groupId, true);
      if (status !== ErrorCode.NONE) return { groupId, errorCode: status };
      const consumer = this.consumerGroupHooks?.deleteGroup(groupId) ?? null;
      if (consumer !== null && consumer !== ErrorCode.NONE) return { groupId, errorCode: consumer };
      const errorCode = this.offsetManager.deleteGroup(groupId);
      return { groupId, errorCode: consumer === ErrorCode.NONE && errorCode === ErrorCode.GROUP_ID_NOT_FOUND ? ErrorCode.NONE : errorCode };
    });
  }

  // ---- retention ----

  /** Runs the offset expiration now (groups of loaded partitions only). */
  cleanupExpiredOffsets(): number {
    if (!this.active) return 0;
    return this.offsetManager.cleanupExpiredOffsets(
      // A consumer group's offsets do not expire while it has members (Kafka keeps those of subscribed topics).
      (id) => this.isGroupLoaded(id) && !(this.consumerGroupHooks?.hasMembers(id) ?? false),
      (topic) => !this.topicExists(topic),
    );
  }

  /**
   * Drops every group's offsets of deleted topics at once (Kafka does this when
   * partitions are deleted); DeleteTopics should call it. Without the call the
   * retention task removes them at its next run.
   */
  onTopicsDeleted(topics: readonly string[]): number {
    if (!this.active || topics.length === 0) return 0;
    return this.offsetManager.removeOffsetsOfTopics(new Set(topics), (id) => this.isGroupLoaded(id));
  }

  /** Runs the expiration every offsets.retention.check.interval.ms. */
  scheduleExpiration(): void {
    if (!this.active) return;
    this.timer.schedule(EXPIRATION_KEY, this.config.offsetsRetentionCheckIntervalMs, () => {
      try {
        const n = this.cleanupExpiredOffsets();
        if (n > 0) this.logFn(`[GroupCoordinator] Removed ${n} expired offsets`);
      } finally {
        this.scheduleExpiration();
      }
    });
  }

  /** Stops timers and answers parked JoinGroup/SyncGroup requests with NOT_COORDINATOR. */
  shutdown(): void {
    if (!this.active) return;
    this.active = false;
    this.consumerGroupHooks?.shutdown();
    this.timer.cancelAll();
    for (const g of this.groups.values()) {
      g.completeAllJoins(ErrorCode.NOT_COORDINATOR);
      g.completeAllSyncs(ErrorCode.NOT_COORDINATOR);
    }
  }
}

