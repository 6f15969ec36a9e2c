/**
 * A classic (JoinGroup/SyncGroup) group and its members: Kafka's ClassicGroup and
 * ClassicGroupMember. Pure state, no timers and no I/O; the GroupMetadataManager
 * drives it. Invariants are asserted (they stay on in production, as Kafka's).
 *
 * States and their allowed predecessors (Kafka's ClassicGroupState):
 *   Empty               ← PreparingRebalance
 *   PreparingRebalance  ← Stable, CompletingRebalance, Empty
 *   CompletingRebalance ← PreparingRebalance
 *   Stable              ← CompletingRebalance
 *   Dead                ← any
 */
import { ErrorCode } from '../../protocol/errors/index.ts';
import { Reader } from '../../protocol/primitives/reader.ts';
import { decodeConsumerProtocolSubscription } from '../../protocol/generated/consumer-protocol-subscription.ts';

export const GroupState = {
  EMPTY: 'Empty',
  PREPARING_REBALANCE: 'PreparingRebalance',
  COMPLETING_REBALANCE: 'CompletingRebalance',
  STABLE: 'Stable',
  DEAD: 'Dead',
} as const;
export type GroupState = (typeof GroupState)[keyof typeof GroupState];

export const ALL_GROUP_STATES: readonly GroupState[] = Object.values(GroupState);

const VALID_PREVIOUS_STATES: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export const CONSUMER_PROTOCOL_TYPE = 'consumer';
export const EMPTY_BYTES: Buffer = Buffer.alloc(0);
/** JoinGroupRequest.UNKNOWN_MEMBER_ID. */
export const UNKNOWN_MEMBER_ID = '';
/** JoinGroupRequest.UNKNOWN_GENERATION_ID. */
export const UNKNOWN_GENERATION_ID = -1;

export interface GroupProtocol {
  readonly name: string;
  readonly metadata: Buffer;
}

export interface JoinGroupMemberInfo {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

/** What a JoinGroup request is answered with (JoinGroupResponseData). */
export interface JoinGroupResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: JoinGroupMemberInfo[];
}

/** What a SyncGroup request is answered with. */
export interface SyncGroupResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return { errorCode, generationId: UNKNOWN_GENERATION_ID, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

/** A committed offset as the coordinator keeps it (OffsetAndMetadata). */
export interface OffsetAndMetadata {
  offset: bigint;
  /** -1 when unknown. */
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
  /** Only from OffsetCommit v2-v4 with a retention time (old semantics), else null. */
  expireTimestampMs: number | null;
}

export type JoinCallback = (result: JoinGroupResult) => void;
export type SyncCallback = (result: SyncGroupResult) => void;

export class ClassicGroupMember {
  memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  readonly protocolType: string;
  supportedProtocols: readonly GroupProtocol[];
  assignment: Buffer;
  awaitingJoin: JoinCallback | null = null;
  awaitingSync: SyncCallback | null = null;
  /** Joined but not yet through a completed join phase (5-minute join timeout applies). */
  isNew = false;

  constructor(init: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    rebalanceTimeoutMs: number;
    sessionTimeoutMs: number;
    protocolType: string;
    supportedProtocols: readonly GroupProtocol[];
    assignment?: Buffer;
  }) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
    this.protocolType = init.protocolType;
    this.supportedProtocols = init.supportedProtocols;
    this.assignment = init.assignment ?? EMPTY_BYTES;
  }

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== null;
  }

  get isAwaitingSync(): boolean {
    return this.awaitingSync !== null;
  }

  /** Members in a rebalance (awaiting join or sync) need no heartbeat; new members always do. */
  hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return false;
    return this.isAwaitingJoin || this.isAwaitingSync;
  }

  metadata(protocolName: string): Buffer {
    const p = this.supportedProtocols.find((x) => x.name === protocolName);
    if (!p) throw new Error(`Member ${this.memberId} does not support protocol ${protocolName}`);
    return p.metadata;
  }

  /** Same protocols, in the same order, with the same metadata bytes. */
  matches(protocols: readonly GroupProtocol[]): boolean {
    if (protocols.length !== this.supportedProtocols.length) return false;
    for (let i = 0; i < protocols.length; i++) {
      const a = protocols[i]!;
      const b = this.supportedProtocols[i]!;
      if (a.name !== b.name || !a.metadata.equals(b.metadata)) return false;
    }
    return true;
  }

  /** The member's most preferred protocol among `candidates`. */
  vote(candidates: ReadonlySet<string>): string {
    for (const p of this.supportedProtocols) if (candidates.has(p.name)) return p.name;
    throw new Error(`Member ${this.memberId} does not support any of the candidate protocols`);
  }
}

export class ClassicGroup {
  readonly groupId: string;
  private stateValue: GroupState;
  private previousStateValue: GroupState;
  currentStateTimestampMs: number | null;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  /** Insertion-ordered, as Kafka's LinkedHashMap (the next leader is the first member). */
  readonly members = new Map<string, ClassicGroupMember>();
  /** group.instance.id → member id. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined. */
  readonly pendingJoinMembers = new Set<string>();
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  private readonly supportedProtocols = new Map<string, number>();
  private numMembersAwaitingJoin = 0;
  /** A member joined during the initial (delayed) rebalance: extend the delay. */
  newMemberAdded = false;
  subscribedTopics: Set<string> | null = null;
  /** topic → partition → committed offset. */
  readonly offsets = new Map<string, Map<number, OffsetAndMetadata>>();

  constructor(groupId: string, state: GroupState, nowMs: number | null, init: {
    generationId?: number;
    protocolType?: string | null;
    protocolName?: string | null;
    leaderId?: string | null;
  } = {}) {
    this.groupId = groupId;
    this.stateValue = state;
    this.previousStateValue = state;
    this.currentStateTimestampMs = nowMs;
    this.generationId = init.generationId ?? 0;
    this.protocolType = init.protocolType ?? null;
    this.protocolName = init.protocolName ?? null;
    this.leaderId = init.leaderId ?? null;
  }

  get state(): GroupState {
    return this.stateValue;
  }

  get previousState(): GroupState {
    return this.previousStateValue;
  }

  is(state: GroupState): boolean {
    return this.stateValue === state;
  }

  transitionTo(state: GroupState, nowMs: number): void {
    if (!VALID_PREVIOUS_STATES[state].includes(this.stateValue)) {
      throw new Error(`Group ${this.groupId} should be in one of ${VALID_PREVIOUS_STATES[state].join(', ')} states before moving to ${state} state. Instead it is in ${this.stateValue} state.`);
    }
    this.previousStateValue = this.stateValue;
    this.stateValue = state;
    this.currentStateTimestampMs = nowMs;
  }

  canRebalance(): boolean {
    return VALID_PREVIOUS_STATES.PreparingRebalance.includes(this.stateValue);
  }

  get size(): number {
    return this.members.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  member(memberId: string): ClassicGroupMember {
    const m = this.members.get(memberId);
    if (!m) throw new Error(`Group ${this.groupId} has no member ${memberId}`);
    return m;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  leaderOrEmpty(): string {
    return this.leaderId ?? '';
  }

  get numAwaitingJoinResponse(): number {
    return this.numMembersAwaitingJoin;
  }

  add(member: ClassicGroupMember, onJoin: JoinCallback | null): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (member.protocolType !== this.protocolType) throw new Error(`Member ${member.memberId} has protocol type ${member.protocolType}, the group ${this.protocolType}`);
    if (this.leaderId === null) this.leaderId = member.memberId;
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.members.set(member.memberId, member);
    this.incrementSupportedProtocols(member);
    member.awaitingJoin = onJoin;
    if (onJoin !== null) this.numMembersAwaitingJoin++;
    this.pendingJoinMembers.delete(member.memberId);
  }

  remove(memberId: string): void {
    const removed = this.members.get(memberId);
    if (removed) {
      this.members.delete(memberId);
      this.decrementSupportedProtocols(removed);
      if (removed.isAwaitingJoin) this.numMembersAwaitingJoin--;
      if (removed.groupInstanceId !== null && this.staticMembers.get(removed.groupInstanceId) === memberId) {
        this.staticMembers.delete(removed.groupInstanceId);
      }
    }
    if (this.isLeader(memberId)) {
      const next = this.members.keys().next();
      this.leaderId = next.done ? null : next.value;
    }
    this.pendingJoinMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  addPendingMember(memberId: string): void {
    if (this.has(memberId)) throw new Error(`Attempt to add pending member ${memberId} which is already a stable member of the group`);
    this.pendingJoinMembers.add(memberId);
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingJoinMembers.has(memberId);
  }

  addPendingSyncMember(memberId: string): void {
    if (!this.has(memberId)) throw new Error(`Attempt to add pending sync member ${memberId} which is not a member of the group`);
    this.pendingSyncMembers.add(memberId);
  }

  removePendingSyncMember(memberId: string): void {
    this.pendingSyncMembers.delete(memberId);
  }

  hasStaticMember(groupInstanceId: string): boolean {
    return this.staticMembers.has(groupInstanceId);
  }

  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  /** A known static member id that differs from `memberId`. */
  isStaticMemberFenced(groupInstanceId: string, memberId: string): boolean {
    const existing = this.staticMembers.get(groupInstanceId);
    return existing !== undefined && existing !== memberId;
  }

  /**
   * Moves a static member to a new member id. A request still parked under the old id
   * (a duplicate instance) is answered FENCED_INSTANCE_ID at once.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string, fencedErrorCode: number): ClassicGroupMember {
    const member = this.members.get(oldMemberId);
    if (!member) throw new Error(`Cannot replace non-existing member id ${oldMemberId}`);
    this.members.delete(oldMemberId);
    this.completeJoin(member, joinError(oldMemberId, fencedErrorCode));
    this.completeSync(member, syncError(fencedErrorCode));
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return member;
  }

  updateMember(member: ClassicGroupMember, protocols: readonly GroupProtocol[], rebalanceTimeoutMs: number, sessionTimeoutMs: number, onJoin: JoinCallback | null): void {
    this.decrementSupportedProtocols(member);
    member.supportedProtocols = protocols;
    this.incrementSupportedProtocols(member);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    const superseded = member.awaitingJoin;
    if (onJoin !== null && !member.isAwaitingJoin) this.numMembersAwaitingJoin++;
    else if (onJoin === null && member.isAwaitingJoin) this.numMembersAwaitingJoin--;
    member.awaitingJoin = onJoin;
    // A JoinGroup retried (on another connection) replaces the parked one. Kafka drops the
    // old one unanswered; answering lets its connection move on (the client rejoins).
    if (superseded !== null && onJoin !== null && superseded !== onJoin) superseded(joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
  }

  /** Answers a parked JoinGroup; false when none was parked. */
  completeJoin(member: ClassicGroupMember, result: JoinGroupResult): boolean {
    const cb = member.awaitingJoin;
    if (!cb) return false;
    member.awaitingJoin = null;
    this.numMembersAwaitingJoin--;
    cb(result);
    return true;
  }

  completeSync(member: ClassicGroupMember, result: SyncGroupResult): boolean {
    const cb = member.awaitingSync;
    if (!cb) return false;
    member.awaitingSync = null;
    cb(result);
    return true;
  }

  completeAllJoins(errorCode: number): void {
    for (const [id, m] of [...this.members]) this.completeJoin(m, joinError(id, errorCode));
  }

  completeAllSyncs(errorCode: number): void {
    for (const m of [...this.members.values()]) this.completeSync(m, syncError(errorCode));
  }

  notYetRejoinedMembers(): ClassicGroupMember[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin);
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.numMembersAwaitingJoin && this.pendingJoinMembers.size === 0;
  }

  /** The largest rebalance timeout of the members (0 without members). */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  /** If the leader did not rejoin, any member that did becomes leader; false when none did. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader && leader.isAwaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  private candidateProtocols(): Set<string> {
    const n = this.members.size;
    const out = new Set<string>();
    for (const [name, count] of this.supportedProtocols) if (count === n) out.add(name);
    return out;
  }

  /** The protocol every member supports with the most first-choice votes. */
  selectProtocol(): string {
    if (this.members.size === 0) throw new Error(`Cannot select protocol for empty group ${this.groupId}`);
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    return best!;
  }

  /** Whether a member with this protocol type and protocol names may join. */
  supportsProtocols(memberProtocolType: string, memberProtocols: readonly GroupProtocol[]): boolean {
    if (this.is(GroupState.EMPTY)) return memberProtocolType !== '' && memberProtocols.length > 0;
    if (this.protocolType !== memberProtocolType) return false;
    const n = this.members.size;
    return memberProtocols.some((p) => (this.supportedProtocols.get(p.name) ?? 0) === n);
  }

  private incrementSupportedProtocols(member: ClassicGroupMember): void {
    for (const p of member.supportedProtocols) this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 0) + 1);
  }

  private decrementSupportedProtocols(member: ClassicGroupMember): void {
    for (const p of member.supportedProtocols) {
      const n = (this.supportedProtocols.get(p.name) ?? 0) - 1;
      if (n <= 0) this.supportedProtocols.delete(p.name);
      else this.supportedProtocols.set(p.name, n);
    }
  }

  initNextGeneration(nowMs: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo(GroupState.COMPLETING_REBALANCE, nowMs);
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo(GroupState.EMPTY, nowMs);
    }
    this.pendingSyncMembers.clear();
  }

  /** The members as the leader's JoinGroup response lists them. */
  currentMembersForJoin(): JoinGroupMemberInfo[] {
    if (this.is(GroupState.DEAD) || this.is(GroupState.PREPARING_REBALANCE)) {
      throw new Error(`Cannot obtain member metadata for group ${this.groupId} in state ${this.state}`);
    }
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(this.protocolName ?? '') }));
  }

  usesConsumerProtocol(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }

  /**
   * The topics the members subscribe to, when the group uses the consumer protocol and
   * the subscriptions parse (as version 0, the prefix of every version); else null.
   */
  computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    try {
      for (const m of this.members.values()) {
        const r = new Reader(m.metadata(this.protocolName));
        const version = r.int16();
        if (version < 0) return null;
        for (const t of decodeConsumerProtocolSubscription(r, 0).topics) topics.add(t);
      }
    } catch {
      return null;
    }
    return topics;
  }

  /** Unknown subscriptions count as subscribed for consumer groups (Kafka's choice). */
  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics ? this.subscribedTopics.has(topic) : this.usesConsumerProtocol();
  }

  // ---- offsets ----

  offset(topic: string, partition: number): OffsetAndMetadata | undefined {
    return this.offsets.get(topic)?.get(partition);
  }

  setOffset(topic: string, partition: number, o: OffsetAndMetadata): void {
    let t = this.offsets.get(topic);
    if (!t) this.offsets.set(topic, (t = new Map()));
    t.set(partition, o);
  }

  removeOffset(topic: string, partition: number): boolean {
    const t = this.offsets.get(topic);
    if (!t || !t.delete(partition)) return false;
    if (t.size === 0) this.offsets.delete(topic);
    return true;
  }

  hasOffsets(): boolean {
    return this.offsets.size > 0;
  }

  *allOffsets(): Generator<[string, number, OffsetAndMetadata]> {
    for (const [topic, parts] of this.offsets) for (const [p, o] of parts) yield [topic, p, o];
  }
}
