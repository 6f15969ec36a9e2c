/**
 * KIP-848 consumer groups (Kafka 4.0's GroupMetadataManager consumer part): the
 * ConsumerGroupHeartbeat state machine, server-side target assignment and member
 * reconciliation. Persisted in __consumer_offsets through `persist`
 * (persistence.ts), called after each change; `load` installs replayed groups.
 *
 * Epochs: the group epoch is bumped whenever membership, a subscription, the
 * selected assignor or the partition count of a subscribed topic changes; the
 * target assignment is then recomputed at once (assignment epoch = group epoch).
 * Each member reconciles towards its target: it first revokes the partitions it no
 * longer gets (state unrevoked_partitions, epoch unchanged), then gets the new ones
 * that no other member still holds (unreleased_partitions while some are held), and
 * its member epoch becomes the assignment epoch once it has revoked everything.
 *
 * Timers: `cg-hb` per member (group.consumer.session.timeout.ms, renewed by each
 * heartbeat) fences a silent member; `cg-rev` per member (its rebalance timeout)
 * fences a member that does not revoke in time.
 */
import { ErrorCode } from '../../../protocol/errors/index.ts';
import type { CoordinatorTimer } from '../timer.ts';
import { SERVER_ASSIGNORS, addPartition, assignmentsEqual, cloneAssignment, hasPartition, partitionsOf } from './assignors.ts';
import type { Assignment, AssignorMember } from './assignors.ts';

export const CONSUMER_GROUP_TYPE = 'consumer';

export type MemberState = 'stable' | 'unrevoked_partitions' | 'unreleased_partitions';

/** Kafka's ConsumerGroup.ConsumerGroupState names. */
export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable';

export interface ConsumerGroupConfig {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxSize: number;
  /** group.consumer.assignors; the first is the default. */
  assignors: readonly string[];
}

export interface TopicInfo {
  name: string;
  topicId: string;
  partitions: number;
}

export interface TopicLookup {
  byName(name: string): TopicInfo | undefined;
  byId(topicId: string): TopicInfo | undefined;
  /** Every topic name (regex subscriptions). */
  names(): string[];
}

export class ConsumerGroupMember {
  memberId: string;
  instanceId: string | null = null;
  rackId: string | null = null;
  memberEpoch = 0;
  previousMemberEpoch = 0;
  state: MemberState = 'stable';
  clientId = '';
  clientHost = '';
  rebalanceTimeoutMs = 300_000;
  subscribedTopicNames: string[] = [];
  subscribedTopicRegex: string | null = null;
  serverAssignor: string | null = null;
  assigned: Assignment = new Map();
  pendingRevocation: Assignment = new Map();

  constructor(memberId: string) {
    this.memberId = memberId;
  }
}

export class ConsumerGroup {
  readonly groupId: string;
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerGroupMember>();
  /** instance id → member id of static members. */
  readonly staticMembers = new Map<string, string>();
  readonly targetAssignment = new Map<string, Assignment>();
  /** Subscribed topic → partition count the current group epoch was computed with. */
  subscriptionMetadata = '';
  assignorName: string;

  constructor(groupId: string, assignorName: string) {
    this.groupId = groupId;
    this.assignorName = assignorName;
  }

  get state(): ConsumerGroupState {
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch !== this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) if (m.memberEpoch !== this.assignmentEpoch || m.state !== 'stable') return 'Reconciling';
    return 'Stable';
  }

  target(memberId: string): Assignment {
    return this.targetAssignment.get(memberId) ?? new Map();
  }

  /** Whether a member other than `memberId` still owns (or is revoking) the partition. */
  heldByOther(memberId: string, topic: string, partition: number): boolean {
    for (const m of this.members.values()) {
      if (m.memberId === memberId) continue;
      if (hasPartition(m.assigned, topic, partition) || hasPartition(m.pendingRevocation, topic, partition)) return true;
    }
    return false;
  }
}

export interface HeartbeatTopicPartitions {
  topicId: string;
  partitions: readonly number[];
}

export interface ConsumerHeartbeatParams {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: readonly string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  topicPartitions: readonly HeartbeatTopicPartitions[] | null;
  clientId: string;
  clientHost: string;
  apiVersion: number;
}

export interface ConsumerHeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: HeartbeatTopicPartitions[] } | null;
}

const hbKey = (g: string, m: string): string => `cg-hb\u0000${g}\u0000${m}`;
const revKey = (g: string, m: string): string => `cg-rev\u0000${g}\u0000${m}`;

function fail(errorCode: number, errorMessage: string, memberId: string | null = null, memberEpoch = -1): ConsumerHeartbeatResult {
  return { errorCode, errorMessage, memberId, memberEpoch, heartbeatIntervalMs: 0, assignment: null };
}

export interface ConsumerGroupManagerOptions {
  config: ConsumerGroupConfig;
  timer: CoordinatorTimer;
  topics: TopicLookup;
  /** Whether a classic group (with members or a protocol) already uses this id. */
  isClassicGroup?: (groupId: string) => boolean;
  randomId?: () => string;
  log?: (message: string) => void;
  /** Writes the group's changed records (all as tombstones when `deleted`). */
  persist?: (group: ConsumerGroup, deleted: boolean) => void;
}

export class ConsumerGroupManager {
  readonly groups = new Map<string, ConsumerGroup>();
  readonly config: ConsumerGroupConfig;
  private readonly timer: CoordinatorTimer;
  private readonly topics: TopicLookup;
  private readonly isClassicGroup: (groupId: string) => boolean;
  private readonly randomId: () => string;
  private readonly log: (message: string) => void;
  private readonly persist: (group: ConsumerGroup, deleted: boolean) => void;

  constructor(opts: ConsumerGroupManagerOptions) {
    this.config = opts.config;
    this.timer = opts.timer;
    this.topics = opts.topics;
    this.isClassicGroup = opts.isClassicGroup ?? (() => false);
    this.randomId = opts.randomId ?? (() => globalThis.crypto.randomUUID());
    this.log = opts.log ?? (() => {});
    this.persist = opts.persist ?? (() => {});
  }

  /** Installs groups replayed from __consumer_offsets: members must heartbeat within the session timeout. */
  load(groups: readonly ConsumerGroup[]): void {
    for (const g of groups) {
      const old = this.groups.get(g.groupId);
      if (old) for (const id of old.members.keys()) this.cancelMemberTimers(old, id);
      this.groups.set(g.groupId, g);
      g.assignorName = this.selectAssignor(g);
      g.subscriptionMetadata = this.subscriptionMetadata(g);
      for (const m of g.members.values()) this.scheduleSession(g, m);
    }
  }

  // ---- ConsumerGroupHeartbeat ----

  heartbeat(p: ConsumerHeartbeatParams): ConsumerHeartbeatResult {
    const invalid = this.validateRequest(p);
    if (invalid !== null) return fail(ErrorCode.INVALID_REQUEST, invalid);
    if (p.serverAssignor !== null && !this.config.assignors.includes(p.serverAssignor)) {
      return fail(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${p.serverAssignor} is not supported. Supported assignors: ${this.config.assignors.join(', ')}.`);
    }
    if (this.isClassicGroup(p.groupId)) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${p.groupId} is not a consumer group.`);
    const r = p.memberEpoch === -1 || p.memberEpoch === -2 ? this.leave(p) : this.joinOrHeartbeat(p);
    const group = this.groups.get(p.groupId);
    if (group && r.errorCode === ErrorCode.NONE) this.persist(group, false);
    return r;
  }

  private validateRequest(p: ConsumerHeartbeatParams): string | null {
    if (p.groupId === '') return 'GroupId can\'t be empty.';
    if (p.instanceId !== null && p.instanceId === '') return 'InstanceId can\'t be empty.';
    if (p.rackId !== null && p.rackId === '') return 'RackId can\'t be empty.';
    if (p.apiVersion >= 1 && p.memberId === '') return 'MemberId can\'t be empty.';
    if (p.memberEpoch > 0 || p.memberEpoch === -1) {
      if (p.memberId === '') return 'MemberId can\'t be empty.';
    } else if (p.memberEpoch === 0) {
      if (p.rebalanceTimeoutMs === -1) return 'RebalanceTimeoutMs must be provided in first request.';
      if (p.topicPartitions === null || p.topicPartitions.length > 0) return 'TopicPartitions must be empty when (re-)joining.';
      if (p.subscribedTopicNames === null && p.subscribedTopicRegex === null) {
        return 'SubscribedTopicNames or SubscribedTopicRegex must be set in first request.';
      }
    } else if (p.memberEpoch === -2) {
      if (p.instanceId === null) return 'InstanceId can\'t be null.';
    } else {
      return `MemberEpoch is invalid: ${p.memberEpoch}`;
    }
    return null;
  }

  private leave(p: ConsumerHeartbeatParams): ConsumerHeartbeatResult {
    const group = this.groups.get(p.groupId);
    if (!group) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${p.groupId} not found.`);
    const member = group.members.get(p.memberId);
    if (!member) {
      if (p.instanceId !== null) {
        const id = group.staticMembers.get(p.instanceId);
        if (id !== undefined && id !== p.memberId) return fail(ErrorCode.FENCED_INSTANCE_ID, `Static member ${p.memberId} with instance id ${p.instanceId} is not the member ${id}.`);
      }
      return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${p.memberId} is not a member of group ${p.groupId}.`);
    }
    if (p.instanceId !== null && group.staticMembers.get(p.instanceId) !== p.memberId) {
      return fail(ErrorCode.FENCED_INSTANCE_ID, `Instance id ${p.instanceId} is not owned by member ${p.memberId}.`);
    }
    if (p.memberEpoch === -2 && member.instanceId !== null) {
      // A static member leaving temporarily: keep its assignment until its session expires.
      member.memberEpoch = -2;
      this.timer.cancel(revKey(group.groupId, member.memberId));
      this.scheduleSession(group, member);
      this.log(`[GroupId ${group.groupId}] Static member ${member.memberId} with instance id ${member.instanceId} left the consumer group temporarily.`);
    } else {
      this.log(`[GroupId ${group.groupId}] Member ${member.memberId} left the consumer group.`);
      this.removeMember(group, member);
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, memberId: p.memberId, memberEpoch: p.memberEpoch, heartbeatIntervalMs: 0, assignment: null };
  }

  private joinOrHeartbeat(p: ConsumerHeartbeatParams): ConsumerHeartbeatResult {
    let group = this.groups.get(p.groupId);
    if (!group) {
      if (p.memberEpoch !== 0) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${p.groupId} not found.`);
      group = new ConsumerGroup(p.groupId, this.config.assignors[0] ?? 'uniform');
    }
    let member: ConsumerGroupMember;
    let bump = false;
    if (p.memberEpoch === 0) {
      const memberId = p.memberId !== '' ? p.memberId : this.randomId();
      const existing = group.members.get(memberId);
      if (p.instanceId !== null) {
        const staticId = group.staticMembers.get(p.instanceId);
        const prev = staticId !== undefined ? group.members.get(staticId) : undefined;
        if (prev && prev.memberId !== memberId && prev.memberEpoch !== -2) {
          return fail(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${prev.memberId} with instance id ${p.instanceId} is still active.`);
        }
        if (prev && prev.memberId !== memberId) {
          // Replace the temporarily-left static member: the new one takes its assignment.
          member = this.replaceStaticMember(group, prev, memberId);
        } else {
          member = existing ?? this.newMember(group, memberId);
        }
      } else {
        member = existing ?? this.newMember(group, memberId);
      }
      if (!group.members.has(member.memberId)) {
        if (group.members.size >= this.config.maxSize) {
          return fail(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${this.config.maxSize} members.`);
        }
        group.members.set(member.memberId, member);
        bump = true;
      } else if (existing && existing === member && existing.memberEpoch === -2 && p.instanceId !== null) {
        // The static member comes back with the same member id: it keeps its assignment.
        existing.memberEpoch = 0;
      } else if (existing && existing === member && (existing.memberEpoch !== 0 || existing.assigned.size > 0 || existing.pendingRevocation.size > 0)) {
        // A known member rejoining with epoch 0 lost its partitions: start over.
        existing.assigned = new Map();
        existing.pendingRevocation = new Map();
        existing.memberEpoch = 0;
        existing.previousMemberEpoch = 0;
        existing.state = 'stable';
        bump = true;
      }
      this.groups.set(group.groupId, group);
      if (member.instanceId === null && p.instanceId !== null) {
        member.instanceId = p.instanceId;
        group.staticMembers.set(p.instanceId, member.memberId);
      }
    } else {
      const m = group.members.get(p.memberId);
      if (!m) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${p.memberId} is not a member of group ${p.groupId}.`);
      if (p.instanceId !== null && group.staticMembers.get(p.instanceId) !== m.memberId) {
        return fail(ErrorCode.FENCED_INSTANCE_ID, `Instance id ${p.instanceId} is not owned by member ${p.memberId}.`);
      }
      const fenced = this.checkEpoch(m, p);
      if (fenced !== null) return fail(ErrorCode.FENCED_MEMBER_EPOCH, fenced);
      member = m;
    }

    // Member fields; a change of subscription or assignor bumps the group epoch.
    member.clientId = p.clientId;
    member.clientHost = p.clientHost;
    if (p.rackId !== null) member.rackId = p.rackId;
    if (p.rebalanceTimeoutMs !== -1) member.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
    if (p.subscribedTopicNames !== null) {
      const next = [...new Set(p.subscribedTopicNames)].sort();
      if (next.join('\u0000') !== member.subscribedTopicNames.join('\u0000')) {
        member.subscribedTopicNames = next;
        bump = true;
      }
    }
    if (p.subscribedTopicRegex !== null && p.subscribedTopicRegex !== member.subscribedTopicRegex) {
      member.subscribedTopicRegex = p.subscribedTopicRegex === '' ? null : p.subscribedTopicRegex;
      bump = true;
    }
    if (p.serverAssignor !== null && p.serverAssignor !== member.serverAssignor) {
      member.serverAssignor = p.serverAssignor;
      bump = true;
    }
    const assignor = this.selectAssignor(group);
    if (assignor !== group.assignorName) {
      group.assignorName = assignor;
      bump = true;
    }
    const metadata = this.subscriptionMetadata(group);
    if (metadata !== group.subscriptionMetadata) {
      group.subscriptionMetadata = metadata;
      bump = true;
    }
    if (bump) {
      group.groupEpoch++;
      this.log(`[GroupId ${group.groupId}] Bumped group epoch to ${group.groupEpoch}.`);
    }
    if (group.groupEpoch !== group.assignmentEpoch) this.computeTargetAssignment(group);

    this.scheduleSession(group, member);
    const before = cloneAssignment(member.assigned);
    this.reconcile(group, member, p.topicPartitions);
    const owned = p.topicPartitions === null ? null : this.toAssignment(p.topicPartitions);
    const sendAssignment = p.memberEpoch === 0 || !assignmentsEqual(before, member.assigned) || (owned !== null && !assignmentsEqual(owned, member.assigned));
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: this.config.heartbeatIntervalMs,
      assignment: sendAssignment ? { topicPartitions: this.toTopicPartitions(member.assigned) } : null,
    };
  }

  private newMember(group: ConsumerGroup, memberId: string): ConsumerGroupMember {
    return group.members.get(memberId) ?? new ConsumerGroupMember(memberId);
  }

  private replaceStaticMember(group: ConsumerGroup, prev: ConsumerGroupMember, memberId: string): ConsumerGroupMember {
    const m = new ConsumerGroupMember(memberId);
    m.instanceId = prev.instanceId;
    m.assigned = prev.assigned;
    m.pendingRevocation = prev.pendingRevocation;
    m.subscribedTopicNames = prev.subscribedTopicNames;
    m.subscribedTopicRegex = prev.subscribedTopicRegex;
    m.serverAssignor = prev.serverAssignor;
    m.memberEpoch = 0;
    m.state = prev.state;
    this.cancelMemberTimers(group, prev.memberId);
    group.members.delete(prev.memberId);
    group.members.set(memberId, m);
    const target = group.targetAssignment.get(prev.memberId);
    group.targetAssignment.delete(prev.memberId);
    if (target) group.targetAssignment.set(memberId, target);
    group.staticMembers.set(m.instanceId!, memberId);
    return m;
  }

  /**
   * Kafka's throwIfMemberEpochIsInvalid: a newer epoch than the member's is fenced;
   * an older one only when it is the previous epoch and the owned partitions are
   * still within the assignment (a lost response).
   */
  private checkEpoch(m: ConsumerGroupMember, p: ConsumerHeartbeatParams): string | null {
    if (p.memberEpoch > m.memberEpoch) return `The consumer group member has a greater member epoch (${p.memberEpoch}) than the one known by the group coordinator (${m.memberEpoch}). The member must abandon all its partitions and rejoin.`;
    if (p.memberEpoch < m.memberEpoch) {
      if (p.memberEpoch !== m.previousMemberEpoch || p.topicPartitions === null) {
        return `The consumer group member has a smaller member epoch (${p.memberEpoch}) than the one known by the group coordinator (${m.memberEpoch}). The member must abandon all its partitions and rejoin.`;
      }
      const owned = this.toAssignment(p.topicPartitions);
      for (const [t, part] of partitionsOf(owned)) {
        if (!hasPartition(m.assigned, t, part)) return `The consumer group member has a smaller member epoch (${p.memberEpoch}) and owns partitions outside its assignment. The member must abandon all its partitions and rejoin.`;
      }
    }
    return null;
  }

  /** The assignor most members ask for, else the default (the first configured). */
  private selectAssignor(group: ConsumerGroup): string {
    const votes = new Map<string, number>();
    for (const m of group.members.values()) if (m.serverAssignor !== null) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    let best: string | null = null;
    for (const [name, n] of votes) if (best === null || n > votes.get(best)! || (n === votes.get(best)! && name < best)) best = name;
    return best ?? this.config.assignors[0] ?? 'uniform';
  }

  private subscribedTopics(m: ConsumerGroupMember): Set<string> {
    const out = new Set<string>();
    for (const t of m.subscribedTopicNames) if (this.topics.byName(t)) out.add(t);
    if (m.subscribedTopicRegex !== null) {
      let re: RegExp | null = null;
      try {
        re = new RegExp(`^(?:${m.subscribedTopicRegex})$`);
      } catch {
        re = null;
      }
      if (re) for (const t of this.topics.names()) if (!t.startsWith('__') && re.test(t)) out.add(t);
    }
    return out;
  }

  private subscriptionMetadata(group: ConsumerGroup): string {
    const topics = new Set<string>();
    for (const m of group.members.values()) for (const t of this.subscribedTopics(m)) topics.add(t);
    return [...topics]
      .sort()
      .map((t) => {
        const info = this.topics.byName(t)!;
        return `${t}:${info.topicId}:${info.partitions}`;
      })
      .join(',');
  }

  private computeTargetAssignment(group: ConsumerGroup): void {
    const assignor = SERVER_ASSIGNORS.get(group.assignorName) ?? SERVER_ASSIGNORS.get('uniform')!;
    const topicPartitions = new Map<string, number>();
    const members: AssignorMember[] = [];
    for (const m of group.members.values()) {
      const subs = this.subscribedTopics(m);
      for (const t of subs) topicPartitions.set(t, this.topics.byName(t)!.partitions);
      members.push({ memberId: m.memberId, subscribedTopics: subs, previous: group.target(m.memberId) });
    }
    const result = assignor.assign({ members, topicPartitions });
    group.targetAssignment.clear();
    for (const [id, a] of result) group.targetAssignment.set(id, a);
    group.assignmentEpoch = group.groupEpoch;
  }

  /** Kafka's CurrentAssignmentBuilder: move the member one step towards its target. */
  private reconcile(group: ConsumerGroup, m: ConsumerGroupMember, ownedIds: readonly HeartbeatTopicPartitions[] | null): void {
    if (m.state === 'unrevoked_partitions') {
      if (ownedIds === null) return;
      const owned = this.toAssignment(ownedIds);
      for (const [t, p] of partitionsOf(m.pendingRevocation)) if (hasPartition(owned, t, p)) return; // still revoking
      m.pendingRevocation = new Map();
      this.timer.cancel(revKey(group.groupId, m.memberId));
    }
    if (m.state === 'stable' && m.memberEpoch === group.assignmentEpoch && m.pendingRevocation.size === 0) return;
    const target = group.target(m.memberId);
    const keep: Assignment = new Map();
    const revoke: Assignment = new Map();
    for (const [t, p] of partitionsOf(m.assigned)) addPartition(hasPartition(target, t, p) ? keep : revoke, t, p);
    if (revoke.size > 0) {
      m.assigned = keep;
      m.pendingRevocation = revoke;
      m.state = 'unrevoked_partitions';
      const groupId = group.groupId;
      const memberId = m.memberId;
      this.timer.schedule(revKey(groupId, memberId), m.rebalanceTimeoutMs, () => this.fenceIfStillRevoking(groupId, memberId));
      return;
    }
    let unreleased = false;
    const next = cloneAssignment(keep);
    for (const [t, p] of partitionsOf(target)) {
      if (hasPartition(next, t, p)) continue;
      if (group.heldByOther(m.memberId, t, p)) unreleased = true;
      else addPartition(next, t, p);
    }
    m.assigned = next;
    if (m.memberEpoch !== group.assignmentEpoch) {
      m.previousMemberEpoch = m.memberEpoch;
      m.memberEpoch = group.assignmentEpoch;
    }
    m.state = unreleased ? 'unreleased_partitions' : 'stable';
  }

  private fenceIfStillRevoking(groupId: string, memberId: string): void {
    const group = this.groups.get(groupId);
    const m = group?.members.get(memberId);
    if (!group || !m || m.state !== 'unrevoked_partitions') return;
    this.log(`[GroupId ${groupId}] Member ${memberId} fenced: it did not revoke its partitions within its rebalance timeout.`);
    this.removeMember(group, m);
  }

  private scheduleSession(group: ConsumerGroup, m: ConsumerGroupMember): void {
    const groupId = group.groupId;
    const memberId = m.memberId;
    this.timer.schedule(hbKey(groupId, memberId), this.config.sessionTimeoutMs, () => {
      const g = this.groups.get(groupId);
      const member = g?.members.get(memberId);
      if (!g || !member) return;
      this.log(`[GroupId ${groupId}] Member ${memberId} fenced from the group because its session expired.`);
      this.removeMember(g, member);
    });
  }

  private cancelMemberTimers(group: ConsumerGroup, memberId: string): void {
    this.timer.cancel(hbKey(group.groupId, memberId));
    this.timer.cancel(revKey(group.groupId, memberId));
  }

  /** Removes (fences) a member: its partitions are free, the group epoch is bumped. */
  removeMember(group: ConsumerGroup, m: ConsumerGroupMember): void {
    this.cancelMemberTimers(group, m.memberId);
    group.members.delete(m.memberId);
    group.targetAssignment.delete(m.memberId);
    if (m.instanceId !== null && group.staticMembers.get(m.instanceId) === m.memberId) group.staticMembers.delete(m.instanceId);
    group.groupEpoch++;
    group.subscriptionMetadata = this.subscriptionMetadata(group);
    this.computeTargetAssignment(group);
    this.persist(group, false);
  }

  private toAssignment(tps: readonly HeartbeatTopicPartitions[]): Assignment {
    const a: Assignment = new Map();
    for (const tp of tps) {
      const info = this.topics.byId(tp.topicId);
      if (!info) continue;
      for (const p of tp.partitions) addPartition(a, info.name, p);
    }
    return a;
  }

  toTopicPartitions(a: Assignment): HeartbeatTopicPartitions[] {
    const out: HeartbeatTopicPartitions[] = [];
    for (const t of [...a.keys()].sort()) {
      const info = this.topics.byName(t);
      if (!info) continue;
      out.push({ topicId: info.topicId, partitions: [...a.get(t)!].sort((x, y) => x - y) });
    }
    return out;
  }

  // ---- offsets (KIP-848 member epochs) ----

  /**
   * Kafka's ConsumerGroup.validateOffsetCommit: null when `groupId` is not a consumer
   * group; NONE when the commit may proceed (an empty group accepts commits with a
   * negative epoch); UNKNOWN_MEMBER_ID, STALE_MEMBER_EPOCH otherwise.
   */
  validateOffsetCommit(groupId: string, memberId: string, memberEpoch: number): number | null {
    const group = this.groups.get(groupId);
    if (!group) return null;
    if (memberEpoch < 0 && group.members.size === 0) return ErrorCode.NONE;
    const m = group.members.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (memberEpoch !== m.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
    return ErrorCode.NONE;
  }

  /** OffsetFetch v9: an admin fetch (no member id, epoch -1) always; a member's only with its epoch. */
  validateOffsetFetch(groupId: string, memberId: string | null, memberEpoch: number): number {
    const group = this.groups.get(groupId);
    if (!group || memberId === null || (memberId === '' && memberEpoch < 0)) return ErrorCode.NONE;
    const m = group.members.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (memberEpoch !== m.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
    return ErrorCode.NONE;
  }

  /** Deletes an empty consumer group (DeleteGroups); NON_EMPTY_GROUP when it has members. */
  deleteGroup(groupId: string): number | null {
    const group = this.groups.get(groupId);
    if (!group) return null;
    if (group.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    this.persist(group, true);
    this.groups.delete(groupId);
    return ErrorCode.NONE;
  }

  shutdown(): void {
    for (const g of this.groups.values()) for (const id of g.members.keys()) this.cancelMemberTimers(g, id);
  }
}
