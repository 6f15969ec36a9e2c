/**
 * The consumer's side of a classic group (Java's ConsumerCoordinator and
 * AbstractCoordinator): FindCoordinator, JoinGroup/SyncGroup with the leader
 * running the assignor, heartbeats, offset commits and fetches, LeaveGroup.
 *
 * Heartbeats run on their own timer, never waiting for poll() or the
 * application's processing: a slow handler keeps its partitions as long as it
 * calls poll() within max.poll.interval.ms (the timer checks that too, and leaves
 * the group when it is exceeded, as Java's heartbeat thread does).
 *
 * Group requests use a dedicated connection to the coordinator, so they never wait
 * behind a long-polling Fetch on the same broker (Java does the same).
 *
 * Rebalances happen inside poll(): joinGroup() runs once in the background and
 * each poll() waits for it up to its timeout. Eager protocols revoke everything
 * before joining; cooperative (cooperative-sticky) revokes only what moves, then
 * rejoins so the next round hands those partitions out.
 *
 * Revocation follows Java's ConsumerCoordinator: the partitions are first marked
 * pending revocation (no longer fetched nor returned by poll(), buffered records
 * dropped), auto-commit commits the consumed positions, then onPartitionsRevoked
 * runs while they are still assigned — position() and commitSync() with no
 * arguments see them — and only after it returns are they removed. Eager: all owned
 * partitions, in onJoinPrepare before JoinGroup. Cooperative: the ones not assigned
 * any more, after SyncGroup (and those of topics no longer subscribed, before
 * JoinGroup). onPartitionsLost (generation lost) also runs with the partitions
 * still assigned, but a commit from inside it fails with CommitFailedError.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors/index.ts';
import { HeartbeatApi, JoinGroupApi, LeaveGroupApi, SyncGroupApi } from '../../protocol/generated/api-keys.ts';
import { decodeConsumerProtocolAssignment, encodeConsumerProtocolAssignment } from '../../protocol/generated/consumer-protocol-assignment.ts';
import { decodeConsumerProtocolSubscription, encodeConsumerProtocolSubscription } from '../../protocol/generated/consumer-protocol-subscription.ts';
import type { JoinGroupResponse } from '../../protocol/generated/join-group-response.ts';
import { Reader } from '../../protocol/primitives/reader.ts';
import { Writer } from '../../protocol/primitives/writer.ts';
import type { BrokerConnection } from '../network/broker-connection.ts';
import type { Cluster } from '../network/cluster.ts';
import type { Assignment, ConsumerPartitionAssignor, RebalanceProtocol, Subscription } from './assignors/assignor.ts';
import type { ConsumerSettings } from './config.ts';
import type { GroupMembership, GroupMembershipEvents } from './group-membership.ts';
import { waitAtMost } from './group-membership.ts';
import { CommitFailedError } from './errors.ts';
import { sleep } from './fetcher.ts';
import { GroupCoordinatorLink } from './group-coordinator-link.ts';
import type { CommitIdentity } from './offsets.ts';
import { AutoCommitter, commitWithRetries, consumedOffsets, fetchCommittedOffsets, NO_MEMBER, sendOffsetCommit } from './offsets.ts';
import type { SubscriptionState } from './subscription-state.ts';
import type { TopicPartition, TopicPartitionOffset } from './types.ts';
import { compareTp, tpKey } from './types.ts';

const CONSUMER_PROTOCOL_VERSION = 3;

type MemberState = 'unjoined' | 'joining' | 'stable';

export type CoordinatorEvents = GroupMembershipEvents;

export class ConsumerCoordinator implements GroupMembership {
  private readonly cluster: Cluster;
  private readonly subs: SubscriptionState;
  private readonly o: ConsumerSettings;
  private readonly groupId: string;
  private readonly events: CoordinatorEvents;
  readonly protocol: RebalanceProtocol;
  memberId = '';
  generationId = -1;
  protocolName: string | null = null;
  isLeader = false;
  state: MemberState = 'unjoined';
  private rejoinNeeded = true;
  /** The generation was lost (fenced, expired, poll timeout): the next join calls onPartitionsLost. */
  private partitionsLost = false;
  private needsJoinPrepare = true;
  /** onPartitionsLost is running: commits fail (the partitions may be another member's already). */
  private losingPartitions = false;
  private readonly link: GroupCoordinatorLink;
  private joining: Promise<void> | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private heartbeatInFlight = false;
  private lastHeartbeatMs = 0;
  lastPollMs = Date.now();
  /** poll() is running (waiting counts as polling, as in Java). */
  pollActive = false;
  private readonly autoCommit: AutoCommitter;
  private fatal: Error | null = null;
  /** A rebalance listener threw: poll() throws it once, then the consumer carries on (as Java). */
  private listenerError: unknown = null;
  private closed = false;
  /** Leader: partition counts it assigned, to rejoin when they change. */
  private assignedTopicPartitions = new Map<string, number>();
  /** Heartbeats sent while processing (for tests and metrics). */
  heartbeatsSent = 0;

  constructor(cluster: Cluster, subs: SubscriptionState, o: ConsumerSettings, events: CoordinatorEvents) {
    this.cluster = cluster;
    this.subs = subs;
    this.o = o;
    this.groupId = o.groupId!;
    this.events = events;
    const cooperative = o.assignors.every((a) => a.supportedProtocols.includes('cooperative'));
    this.protocol = cooperative ? 'cooperative' : 'eager';
    this.link = new GroupCoordinatorLink(cluster, this.groupId, o);
    this.autoCommit = new AutoCommitter(o, subs);
    this.heartbeatTimer = setInterval(() => this.heartbeatTick(), Math.max(10, Math.min(o.heartbeatIntervalMs, 1000)));
    this.heartbeatTimer.unref?.();
  }

  get needsRejoin(): boolean {
    return this.subs.hasAutoAssignment && (this.rejoinNeeded || this.state !== 'stable');
  }

  requestRejoin(reason: string): void {
    void reason;
    if (!this.rejoinNeeded) {
      this.rejoinNeeded = true;
      this.events.onRejoinNeeded();
    }
  }

  throwIfFatal(): void {
    if (this.fatal) throw this.fatal;
  }

  // --- rebalance ------------------------------------------------------------

  /**
   * Ensures the member is in the group with a current assignment, waiting up to
   * `timeoutMs` (the join continues in the background past it). Returns whether it is.
   */
  async ensureActiveGroup(timeoutMs: number, interrupt: Promise<void>): Promise<boolean> {
    this.throwIfFatal();
    this.throwListenerError();
    if (!this.needsRejoin) return true;
    this.joining ??= this.joinGroup().finally(() => {
      this.joining = null;
    });
    const joining = this.joining;
    await waitAtMost(joining, timeoutMs, interrupt);
    this.throwIfFatal();
    this.throwListenerError();
    return !this.needsRejoin;
  }

  private throwListenerError(): void {
    if (this.listenerError === null) return;
    const err = this.listenerError;
    this.listenerError = null;
    throw err;
  }

  /** Runs a rebalance listener step; what it throws is kept for poll(), the rebalance goes on. */
  private async keepListenerError(step: Promise<void>): Promise<void> {
    try {
      await step;
    } catch (err) {
      this.listenerError ??= err;
    }
  }

  private async joinGroup(): Promise<void> {
    try {
      while (this.needsRejoin && !this.closed) {
        if (this.needsJoinPrepare) {
          await this.onJoinPrepare();
          this.needsJoinPrepare = false;
        }
        const conn = await this.link.ensure();
        this.rejoinNeeded = false;
        this.state = 'joining';
        let ok = false;
        try {
          ok = await this.joinOnce(conn);
        } catch (err) {
          this.state = 'unjoined';
          this.rejoinNeeded = true;
          if (err instanceof KafkaError && !err.retriable && !isRejoinError(err.code)) {
            this.fatal = err;
            return;
          }
          if (!(err instanceof KafkaError) && (err as { retriable?: boolean }).retriable !== true) {
            this.fatal = err as Error;
            return;
          }
          if (!(err instanceof KafkaError) || err.code === ErrorCode.NOT_COORDINATOR || err.code === ErrorCode.COORDINATOR_NOT_AVAILABLE) this.link.markUnknown();
          await sleep(this.o.retryBackoffMs);
          continue;
        }
        if (!ok) {
          this.state = 'unjoined';
          this.rejoinNeeded = true;
        }
      }
    } catch (err) {
      this.fatal = err as Error;
    }
  }

  /** One JoinGroup + SyncGroup round. False: rejoin (MEMBER_ID_REQUIRED, rebalance in progress, ...). */
  private async joinOnce(conn: BrokerConnection): Promise<boolean> {
    const topics = [...this.subs.topics].sort();
    const owned = this.subs.assignment();
    const protocols = this.o.assignors.map((a) => ({ name: a.name, metadata: this.subscriptionMetadata(a, topics, owned) }));
    const rebalanceTimeoutMs = this.o.maxPollIntervalMs;
    const res: JoinGroupResponse = await conn.send(
      JoinGroupApi,
      {
        groupId: this.groupId,
        sessionTimeoutMs: this.o.sessionTimeoutMs,
        rebalanceTimeoutMs,
        memberId: this.memberId,
        groupInstanceId: this.o.groupInstanceId,
        protocolType: 'consumer',
        protocols,
        reason: null,
      },
      { timeoutMs: Math.max(this.o.requestTimeoutMs, rebalanceTimeoutMs + 5000) },
    );
    switch (res.errorCode) {
      case ErrorCode.NONE:
        break;
      case ErrorCode.MEMBER_ID_REQUIRED:
        this.memberId = res.memberId;
        return false;
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.memberId = '';
        this.generationId = -1;
        return false;
      case ErrorCode.ILLEGAL_GENERATION:
        this.generationId = -1;
        return false;
      case ErrorCode.REBALANCE_IN_PROGRESS:
        return false;
      case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
        await sleep(this.o.retryBackoffMs);
        return false;
      case ErrorCode.NOT_COORDINATOR:
      case ErrorCode.COORDINATOR_NOT_AVAILABLE:
        this.link.markUnknown();
        await sleep(this.o.retryBackoffMs);
        return false;
      default:
        throw KafkaError.from(res.errorCode, `JoinGroup ${this.groupId}`);
    }
    this.memberId = res.memberId;
    const generation = res.generationId;
    const protocolName = res.protocolName ?? '';
    this.isLeader = res.leader === res.memberId;
    let assignments: { memberId: string; assignment: Buffer }[] = [];
    if (this.isLeader && !res.skipAssignment) assignments = await this.performAssignment(protocolName, res.members);
    const sync = await conn.send(
      SyncGroupApi,
      {
        groupId: this.groupId,
        generationId: generation,
        memberId: this.memberId,
        groupInstanceId: this.o.groupInstanceId,
        protocolType: 'consumer',
        protocolName,
        assignments,
      },
      { timeoutMs: Math.max(this.o.requestTimeoutMs, rebalanceTimeoutMs + 5000) },
    );
    switch (sync.errorCode) {
      case ErrorCode.NONE:
        break;
      case ErrorCode.REBALANCE_IN_PROGRESS:
        return false;
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.memberId = '';
        this.generationId = -1;
        return false;
      case ErrorCode.ILLEGAL_GENERATION:
        this.generationId = -1;
        return false;
      case ErrorCode.NOT_COORDINATOR:
      case ErrorCode.COORDINATOR_NOT_AVAILABLE:
        this.link.markUnknown();
        return false;
      default:
        throw KafkaError.from(sync.errorCode, `SyncGroup ${this.groupId}`);
    }
    this.generationId = generation;
    this.protocolName = protocolName;
    let assigned: TopicPartition[] = [];
    let userData: Buffer | null = null;
    if (sync.assignment.length > 0) {
      const r = new Reader(sync.assignment);
      const version = r.int16();
      const a = decodeConsumerProtocolAssignment(r, Math.min(Math.max(version, 0), 3));
      for (const t of a.assignedPartitions) for (const p of t.partitions) assigned.push({ topic: t.topic, partition: p });
      userData = a.userData;
    }
    assigned = assigned.sort(compareTp);
    this.state = 'stable';
    this.lastHeartbeatMs = Date.now();
    await this.onJoinComplete(protocolName, assigned, userData);
    return true;
  }

  private subscriptionMetadata(a: ConsumerPartitionAssignor, topics: string[], owned: TopicPartition[]): Buffer {
    const w = new Writer(128);
    w.int16(CONSUMER_PROTOCOL_VERSION);
    encodeConsumerProtocolSubscription(
      w,
      {
        topics,
        userData: a.subscriptionUserData?.(topics, owned, this.generationId) ?? null,
        ownedPartitions: groupByTopic(owned),
        generationId: this.generationId,
        rackId: this.o.clientRack,
      },
      CONSUMER_PROTOCOL_VERSION,
    );
    return Buffer.from(w.finish());
  }

  private async performAssignment(protocolName: string, members: JoinGroupResponse['members']): Promise<{ memberId: string; assignment: Buffer }[]> {
    const assignor = this.o.assignors.find((a) => a.name === protocolName);
    if (!assignor) throw new Error(`Coordinator selected invalid assignment protocol: ${protocolName}`);
    const subscriptions = new Map<string, Subscription>();
    const versions = new Map<string, number>();
    const allTopics = new Set<string>();
    for (const m of members) {
      const r = new Reader(m.metadata);
      const version = r.int16();
      versions.set(m.memberId, version);
      const s = decodeConsumerProtocolSubscription(r, Math.min(Math.max(version, 0), 3));
      const owned: TopicPartition[] = [];
      for (const t of s.ownedPartitions) for (const p of t.partitions) owned.push({ topic: t.topic, partition: p });
      subscriptions.set(m.memberId, { topics: s.topics, userData: s.userData, ownedPartitions: owned, generationId: s.generationId, rackId: s.rackId, groupInstanceId: m.groupInstanceId });
      for (const t of s.topics) allTopics.add(t);
    }
    const partitionsPerTopic = new Map<string, number>();
    if (allTopics.size > 0) {
      const md = await this.cluster.refreshMetadata([...allTopics]);
      for (const t of md.topics) {
        if (t.name !== null && t.errorCode === ErrorCode.NONE && t.partitions.length > 0) partitionsPerTopic.set(t.name, t.partitions.length);
      }
    }
    // Topics subscribed but missing count as 0 partitions: their creation triggers a rebalance.
    this.assignedTopicPartitions = new Map([...allTopics].map((t) => [t, partitionsPerTopic.get(t) ?? 0]));
    const result = assignor.assign(partitionsPerTopic, subscriptions);
    const out: { memberId: string; assignment: Buffer }[] = [];
    for (const m of members) {
      const a = result.get(m.memberId) ?? { partitions: [] };
      const version = Math.min(Math.max(versions.get(m.memberId) ?? 0, 0), 3);
      const w = new Writer(128);
      w.int16(version);
      encodeConsumerProtocolAssignment(w, { assignedPartitions: groupByTopic(a.partitions), userData: a.userData ?? null }, version);
      out.push({ memberId: m.memberId, assignment: Buffer.from(w.finish()) });
    }
    return out;
  }

  /** Leader: whether the partition counts of assigned topics changed since the assignment. */
  checkPartitionCounts(): void {
    if (!this.isLeader || this.state !== 'stable') return;
    for (const [t, n] of this.assignedTopicPartitions) {
      const info = this.cluster.cachedTopic(t);
      if (info !== undefined && info.partitions.length !== n) {
        this.requestRejoin(`partition count of ${t} changed`);
        return;
      }
    }
  }

  private async onJoinPrepare(): Promise<void> {
    const owned = this.subs.assignment();
    if (this.partitionsLost || this.generationId < 0) {
      this.partitionsLost = false;
      if (owned.length > 0) await this.keepListenerError(this.revokePartitions(owned, true));
      return;
    }
    // Eager: everything; cooperative: only the partitions of topics no longer subscribed.
    const revoking = this.protocol === 'eager' ? owned : owned.filter((tp) => !this.subs.topics.has(tp.topic));
    // No more records of them from poll(), so the commit covers all it returned.
    this.subs.markPendingRevocation(revoking);
    if (this.o.enableAutoCommit) {
      try {
        await this.commitSync(this.consumedOffsets(), Date.now() + this.o.defaultApiTimeoutMs);
      } catch {
        // As Java: a failed auto-commit before a rebalance is logged, not thrown.
      }
    }
    // Java invokes onPartitionsRevoked on every eager rebalance, even with nothing owned.
    if (revoking.length > 0 || this.protocol === 'eager') await this.keepListenerError(this.revokePartitions(revoking, false));
  }

  /**
   * Java's invokePartitionsRevoked / invokePartitionsLost: the partitions stay
   * assigned while the listener runs (marked pending revocation: not fetched, not
   * returned by poll()), and are removed when it returns or throws.
   */
  private async revokePartitions(partitions: TopicPartition[], lost: boolean): Promise<void> {
    const listener = this.subs.listener;
    const fn = lost && listener?.onPartitionsLost ? listener.onPartitionsLost.bind(listener) : listener?.onPartitionsRevoked?.bind(listener);
    this.subs.markPendingRevocation(partitions);
    if (lost) this.losingPartitions = true;
    try {
      await invoke(fn, partitions);
    } finally {
      if (lost) this.losingPartitions = false;
      this.subs.removePartitions(partitions);
      this.events.onAssignmentChanged();
    }
  }

  private async onJoinComplete(protocolName: string, assigned: TopicPartition[], userData: Buffer | null): Promise<void> {
    this.needsJoinPrepare = true;
    const assignor = this.o.assignors.find((a) => a.name === protocolName);
    // Topics assigned that we do not subscribe to (a pattern's new match on the leader): take them, and rejoin.
    const listener = this.subs.listener;
    const owned = this.subs.assignment();
    const ownedKeys = new Set(owned.map((tp) => tpKey(tp.topic, tp.partition)));
    const assignedKeys = new Set(assigned.map((tp) => tpKey(tp.topic, tp.partition)));
    const added = assigned.filter((tp) => !ownedKeys.has(tpKey(tp.topic, tp.partition)));
    const revoked = owned.filter((tp) => !assignedKeys.has(tpKey(tp.topic, tp.partition)));
    let firstError: unknown = null;
    if (revoked.length > 0) {
      // Cooperative: revoke what moved, before the assignment changes (Java's onJoinComplete), so the
      // listener can still read positions and commit them. Their consumed positions are auto-committed first.
      this.subs.markPendingRevocation(revoked);
      if (this.o.enableAutoCommit) {
        try {
          await this.commitSync(this.consumedOffsets(), Date.now() + this.o.defaultApiTimeoutMs);
        } catch {
          // Logged, not thrown (as an auto-commit before a rebalance).
        }
      }
      try {
        await this.revokePartitions(revoked, false);
      } catch (err) {
        firstError = err;
      }
    }
    // The assignor learns the assignment after the revocation (Java's order).
    const assignment: Assignment = { partitions: assigned, userData };
    assignor?.onAssignment?.(assignment, this.generationId);
    this.subs.setAssignment(assigned);
    this.events.onAssignmentChanged();
    try {
      await invoke(listener?.onPartitionsAssigned?.bind(listener), added);
    } catch (err) {
      firstError ??= err;
    }
    if (this.protocol === 'cooperative' && revoked.length > 0) this.requestRejoin('partitions revoked in a cooperative rebalance');
    if (firstError !== null) this.listenerError ??= firstError;
  }

  // --- heartbeats -------------------------------------------------------------

  private heartbeatTick(): void {
    if (this.closed || this.fatal) return;
    const now = Date.now();
    if (this.state === 'stable' && this.subs.hasAutoAssignment && !this.pollActive && now - this.lastPollMs > this.o.maxPollIntervalMs) {
      void this.leaveGroup('consumer poll timeout has expired. This means the time between subsequent calls to poll() was longer than the configured max.poll.interval.ms');
      return;
    }
    if (this.state !== 'stable' || this.heartbeatInFlight) return;
    if (now - this.lastHeartbeatMs < this.o.heartbeatIntervalMs) return;
    this.heartbeatInFlight = true;
    this.lastHeartbeatMs = now;
    void this.sendHeartbeat().finally(() => {
      this.heartbeatInFlight = false;
    });
  }

  private async sendHeartbeat(): Promise<void> {
    const generation = this.generationId;
    let code: number;
    try {
      const conn = await this.link.ensure();
      const res = await conn.send(HeartbeatApi, { groupId: this.groupId, generationId: generation, memberId: this.memberId, groupInstanceId: this.o.groupInstanceId });
      code = res.errorCode;
      this.heartbeatsSent++;
    } catch {
      this.link.markUnknown();
      this.lastHeartbeatMs = Date.now() - this.o.heartbeatIntervalMs + this.o.retryBackoffMs;
      return;
    }
    if (this.state !== 'stable' || generation !== this.generationId) return;
    switch (code) {
      case ErrorCode.NONE:
        return;
      case ErrorCode.REBALANCE_IN_PROGRESS:
        this.requestRejoin('group is rebalancing');
        return;
      case ErrorCode.ILLEGAL_GENERATION:
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.lose(code === ErrorCode.UNKNOWN_MEMBER_ID);
        return;
      case ErrorCode.FENCED_INSTANCE_ID:
        this.fatal = KafkaError.from(code, `group.instance.id ${this.o.groupInstanceId} is in use by another member`);
        this.events.onRejoinNeeded();
        return;
      case ErrorCode.NOT_COORDINATOR:
      case ErrorCode.COORDINATOR_NOT_AVAILABLE:
        this.link.markUnknown();
        return;
      default:
        return;
    }
  }

  /** The member lost its generation: its partitions are lost, and it rejoins on the next poll. */
  private lose(resetMemberId: boolean): void {
    if (resetMemberId) this.memberId = '';
    this.generationId = -1;
    this.state = 'unjoined';
    this.partitionsLost = true;
    this.requestRejoin('member lost its generation');
  }

  /** LeaveGroup (dynamic members only; static members keep their place until the session expires). */
  async leaveGroup(reason: string): Promise<void> {
    const memberId = this.memberId;
    const dynamic = this.o.groupInstanceId === null;
    this.lose(true);
    const conn = this.link.current;
    if (!dynamic || memberId === '' || !conn) return;
    try {
      const v = conn.versionFor(LeaveGroupApi);
      await conn.send(LeaveGroupApi, v >= 3 ? { groupId: this.groupId, members: [{ memberId, groupInstanceId: null, reason: v >= 5 ? reason : null }] } : { groupId: this.groupId, memberId }, { version: v });
    } catch {
      // The session timeout removes the member anyway.
    }
  }

  // --- offsets ----------------------------------------------------------------

  consumedOffsets(): TopicPartitionOffset[] {
    return consumedOffsets(this.subs);
  }

  maybeAutoCommit(now: number): void {
    this.autoCommit.maybeCommit(now, this.state === 'stable', (offsets) => this.commitOnce(offsets));
  }

  /** Commits, retrying retriable errors until `deadline`. Throws CommitFailedError when the group moved on. */
  async commitSync(offsets: readonly TopicPartitionOffset[], deadline: number): Promise<void> {
    await commitWithRetries((l) => this.commitOnce(l), offsets, deadline, this.o);
  }

  /** One OffsetCommit. */
  async commitOnce(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    // Java: the member lost its generation, so the commit cannot succeed (its partitions may be another's).
    if (this.losingPartitions && this.subs.hasAutoAssignment) throw new CommitFailedError('the member lost its partitions (onPartitionsLost)');
    const member = (): CommitIdentity => {
      const auto = this.subs.hasAutoAssignment;
      return { generationIdOrMemberEpoch: auto ? this.generationId : -1, memberId: auto ? this.memberId : '', groupInstanceId: auto ? this.o.groupInstanceId : null };
    };
    await sendOffsetCommit(this.link, this.groupId, offsets, member, (code) => {
      if (code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.ILLEGAL_GENERATION) {
        if (this.subs.hasAutoAssignment) this.lose(code === ErrorCode.UNKNOWN_MEMBER_ID);
        throw new CommitFailedError(KafkaError.from(code).name);
      }
      if (code === ErrorCode.REBALANCE_IN_PROGRESS) {
        this.requestRejoin('commit during a rebalance');
        throw new CommitFailedError('REBALANCE_IN_PROGRESS');
      }
      if (code === ErrorCode.FENCED_INSTANCE_ID) this.fatal = KafkaError.from(code);
    });
  }

  /** Committed offsets by tpKey (absent: none committed). Retries until `deadline`. */
  async fetchCommitted(partitions: readonly TopicPartition[], deadline: number): Promise<Map<string, TopicPartitionOffset>> {
    return fetchCommittedOffsets(this.link, this.groupId, partitions, deadline, this.o, () => NO_MEMBER);
  }

  // --- close ----------------------------------------------------------------

  /** Commits (auto-commit), revokes, leaves the group (dynamic members), stops heartbeats. */
  async close(deadline: number): Promise<void> {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    try {
      if (this.joining) await Promise.race([this.joining, sleep(Math.max(0, deadline - Date.now()))]);
      if (this.subs.hasAutoAssignment) this.subs.markPendingRevocation(this.subs.assignment());
      if (this.o.enableAutoCommit && (!this.subs.hasAutoAssignment || this.state === 'stable')) {
        await this.commitSync(this.consumedOffsets(), deadline).catch(() => {});
      }
      if (this.subs.hasAutoAssignment) {
        const owned = this.subs.assignment();
        if (owned.length > 0) await this.revokePartitions(owned, this.state !== 'stable').catch(() => {});
        if (this.state !== 'unjoined' || this.memberId !== '') await this.leaveGroup('the consumer is being closed');
      }
    } finally {
      this.closed = true;
      this.link.close();
    }
  }

  /** unsubscribe(): revoke and leave, keep running. */
  async unsubscribe(): Promise<void> {
    const owned = this.subs.assignment();
    if (owned.length > 0 && this.state === 'stable') {
      this.subs.markPendingRevocation(owned);
      if (this.o.enableAutoCommit) await this.commitSync(this.consumedOffsets(), Date.now() + this.o.defaultApiTimeoutMs).catch(() => {});
      await this.revokePartitions(owned, false);
    } else if (owned.length > 0) {
      // Java's onLeavePrepare: outside a stable generation (rebalancing, generation lost) the partitions are lost.
      await this.revokePartitions(owned, true);
    }
    if (this.memberId !== '') await this.leaveGroup('the consumer unsubscribed from all topics');
    this.partitionsLost = false;
    this.needsJoinPrepare = true;
  }
}

function isRejoinError(code: number): boolean {
  return code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.ILLEGAL_GENERATION || code === ErrorCode.REBALANCE_IN_PROGRESS;
}

async function invoke(fn: ((p: TopicPartition[]) => void | Promise<void>) | undefined, partitions: TopicPartition[]): Promise<void> {
  if (fn === undefined) return;
  await fn(partitions);
}

function groupByTopic(tps: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const m = new Map<string, number[]>();
  for (const tp of tps) {
    const l = m.get(tp.topic) ?? [];
    l.push(tp.partition);
    m.set(tp.topic, l);
  }
  return [...m].map(([topic, partitions]) => ({ topic, partitions }));
}
