/**
 * The consumer's side of a KIP-848 consumer group (group.protocol=consumer), as the
 * Java client's AsyncKafkaConsumer with its ConsumerMembershipManager and
 * ConsumerHeartbeatRequestManager: the broker computes the assignment, and one
 * request, ConsumerGroupHeartbeat, carries membership, subscription and assignment.
 *
 * Heartbeats run on their own timer at the interval the broker returns
 * (heartbeatIntervalMs), never waiting for the application. The first one joins
 * (memberEpoch 0, full request: subscribed topic names, rebalanceTimeoutMs =
 * max.poll.interval.ms, serverAssignor = group.remote.assignor, instance id, rack
 * id); later ones send only what changed (Java's HeartbeatState), and everything
 * again after an error.
 *
 * Reconciliation runs inside poll() (rebalance listeners run on the application's
 * side, as Java's): an assignment in a response (topic ids, resolved to names
 * through metadata) first revokes what is no longer assigned (marked pending
 * revocation: no longer fetched nor returned by poll(), buffered records dropped;
 * auto-commit of the consumed positions; onPartitionsRevoked while they are still
 * assigned, so position() and commitSync() see them; then removed), then adds what
 * is new (onPartitionsAssigned; positions come
 * from the committed offsets), then the next heartbeat — sent at once —
 * acknowledges with the owned partitions. A member that does not poll does not
 * reconcile, and the broker fences it after its rebalance timeout, as with Java.
 *
 * FENCED_MEMBER_EPOCH / UNKNOWN_MEMBER_ID: the partitions are lost (onPartitionsLost
 * on the next poll, the partitions still assigned while it runs but commits failing
 * with CommitFailedError) and the member rejoins with epoch 0. max.poll.interval.ms
 * exceeded: the member leaves and does the same on its next poll. Fatal:
 * UNRELEASED_INSTANCE_ID, FENCED_INSTANCE_ID, GROUP_MAX_SIZE_REACHED,
 * UNSUPPORTED_ASSIGNOR, INVALID_REQUEST, UNSUPPORTED_VERSION, authorization errors.
 * close()/unsubscribe() leave with epoch -1 (-2 for a static member, which keeps
 * its assignment until its session expires).
 *
 * Commits are OffsetCommit v9+ with the member id and the member epoch
 * (STALE_MEMBER_EPOCH is retried with the newest epoch); offset fetches are
 * OffsetFetch v9 with the member id and epoch.
 *
 * Subscriptions by pattern: ConsumerGroupHeartbeat v0 has topic names only, so the
 * pattern's matches (resolved from metadata by the Consumer) are sent as names; with
 * v1+ a flag-less pattern goes as SubscribedTopicRegex (Kafka matches the whole
 * name, so `.*(?:pattern).*` keeps JavaScript's search semantics).
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode, KafkaError } from '../../protocol/errors/index.ts';
import { ConsumerGroupHeartbeatApi } from '../../protocol/generated/api-keys.ts';
import type { ConsumerGroupHeartbeatRequestInit } from '../../protocol/generated/consumer-group-heartbeat-request.ts';
import type { ConsumerGroupHeartbeatResponse } from '../../protocol/generated/consumer-group-heartbeat-response.ts';
import type { Cluster } from '../network/cluster.ts';
import type { ConsumerSettings } from './config.ts';
import { CommitFailedError } from './errors.ts';
import { GroupCoordinatorLink } from './group-coordinator-link.ts';
import type { GroupMembership, GroupMembershipEvents } from './group-membership.ts';
import { waitAtMost } from './group-membership.ts';
import type { CommitIdentity, FetchIdentity } from './offsets.ts';
import { AutoCommitter, commitWithRetries, consumedOffsets, fetchCommittedOffsets, NO_MEMBER, sendOffsetCommit } from './offsets.ts';
import type { SubscriptionState } from './subscription-state.ts';
import type { TopicPartition, TopicPartitionOffset } from './types.ts';
import { compareTp, tpKey } from './types.ts';

/** Java's MemberState, folded: reconciling is `stable` with a pending assignment. */
export type ConsumerMemberState = 'unjoined' | 'joining' | 'stable' | 'fenced' | 'stale';

/** Epochs with a meaning (ConsumerGroupHeartbeatRequest.json). */
const JOIN_EPOCH = 0;
const LEAVE_EPOCH = -1;
const STATIC_LEAVE_EPOCH = -2;

/** Errors after which the member cannot go on (Java's HeartbeatRequestManager: fatal). */
const FATAL_CODES = new Set<number>([
  ErrorCode.UNRELEASED_INSTANCE_ID,
  ErrorCode.FENCED_INSTANCE_ID,
  ErrorCode.GROUP_MAX_SIZE_REACHED,
  ErrorCode.UNSUPPORTED_ASSIGNOR,
  ErrorCode.INVALID_REQUEST,
  ErrorCode.UNSUPPORTED_VERSION,
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.TOPIC_AUTHORIZATION_FAILED,
]);

/** What the last successful heartbeat told the broker (null: send it again). */
interface SentState {
  rebalanceTimeoutMs: number | null;
  topics: string | null;
  regex: string | null;
  assignor: string | null | undefined;
  owned: string | null;
}

/** `p`'s value, or null once `deadline` passes (the timer does not outlive the wait). */
async function within<T>(p: Promise<T>, deadline: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function emptySent(): SentState {
  return { rebalanceTimeoutMs: null, topics: null, regex: null, assignor: undefined, owned: null };
}

export class ConsumerMembershipManager implements GroupMembership {
  private readonly cluster: Cluster;
  private readonly subs: SubscriptionState;
  private readonly o: ConsumerSettings;
  private readonly groupId: string;
  private readonly events: GroupMembershipEvents;
  memberId = '';
  memberEpoch = JOIN_EPOCH;
  state: ConsumerMemberState = 'unjoined';
  /** The broker's heartbeat interval (from the last response). */
  heartbeatIntervalMs = 3000;
  lastPollMs = Date.now();
  pollActive = false;
  /** Heartbeats answered without error (tests, metrics). */
  heartbeatsSent = 0;
  /** Reconciliations completed (tests, metrics). */
  reconciliations = 0;

  private readonly link: GroupCoordinatorLink;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private nextHeartbeatMs = 0;
  private urgent = false;
  private leaving = false;
  private sent: SentState = emptySent();
  /** Bumped on join, fence and leave: responses to requests sent before are ignored. */
  private membershipVersion = 0;
  /** The latest assignment from the broker: topic id → partitions. */
  private target: Map<string, number[]> | null = null;
  private pendingReconcile = false;
  /** onPartitionsAssigned ran since the join (it runs once even for an empty assignment, then only on changes). */
  private reconciledSinceJoin = false;
  private retryResolveTimer: NodeJS.Timeout | null = null;
  private working: Promise<void> | null = null;
  private wakeWork: (() => void) | null = null;
  private readonly topicNames = new Map<string, string>();
  private readonly topicIds = new Map<string, string>();
  private fatal: Error | null = null;
  /** A rebalance listener's error, thrown once from the next poll (as Java's). */
  private listenerError: unknown = null;
  private readonly autoCommit: AutoCommitter;
  private closed = false;
  /** close()/unsubscribe() is giving the partitions up: poll-side work stops. */
  private releasing = false;
  /** onPartitionsLost is running: commits fail (the partitions may be another member's already). */
  private losingPartitions = false;

  constructor(cluster: Cluster, subs: SubscriptionState, o: ConsumerSettings, events: GroupMembershipEvents) {
    this.cluster = cluster;
    this.subs = subs;
    this.o = o;
    this.groupId = o.groupId!;
    this.events = events;
    this.link = new GroupCoordinatorLink(cluster, this.groupId, o);
    this.autoCommit = new AutoCommitter(o, subs);
    this.timer = setInterval(() => this.tick(), 50);
    this.timer.unref?.();
  }

  /** The member epoch, -1 outside the group (Java's groupMetadata() for the consumer protocol). */
  get generationId(): number {
    return this.memberEpoch > 0 ? this.memberEpoch : -1;
  }

  get needsRejoin(): boolean {
    return this.subs.hasAutoAssignment && (this.state !== 'stable' || this.pendingReconcile || this.working !== null || this.listenerError !== null);
  }

  requestRejoin(reason: string): void {
    void reason;
    if (this.state === 'stable') {
      // The next heartbeat carries the new subscription; the broker answers with the new assignment.
      this.urgent = true;
      this.kick();
    } else {
      this.events.onRejoinNeeded();
    }
  }

  throwIfFatal(): void {
    if (this.fatal) throw this.fatal;
  }

  checkPartitionCounts(): void {
    // The broker watches partition counts and bumps the group epoch itself.
  }

  // --- poll-side work: join, reconcile, release lost partitions --------------

  async ensureActiveGroup(timeoutMs: number, interrupt: Promise<void>): Promise<boolean> {
    this.throwIfFatal();
    this.throwListenerError();
    if (!this.needsRejoin) return true;
    this.working ??= this.work().finally(() => {
      this.working = null;
    });
    await waitAtMost(this.working, timeoutMs, interrupt);
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

  private async work(): Promise<void> {
    try {
      while (!this.closed && !this.releasing && this.fatal === null && this.subs.hasAutoAssignment) {
        if (this.state === 'fenced' || this.state === 'stale') {
          const state = this.state;
          await this.releaseAll(true);
          if (this.state === state) this.startJoin();
          continue;
        }
        if (this.state === 'unjoined') {
          this.startJoin();
          continue;
        }
        if (this.pendingReconcile) {
          await this.reconcile();
          continue;
        }
        if (this.state === 'joining') {
          await new Promise<void>((resolve) => {
            this.wakeWork = resolve;
          });
          continue;
        }
        return;
      }
    } catch (err) {
      this.fatal ??= err as Error;
    }
  }

  private wake(): void {
    const w = this.wakeWork;
    this.wakeWork = null;
    w?.();
  }

  private startJoin(): void {
    this.state = 'joining';
    this.memberEpoch = JOIN_EPOCH;
    this.membershipVersion++;
    this.sent = emptySent();
    this.target = null;
    this.pendingReconcile = false;
    this.reconciledSinceJoin = false;
    this.urgent = true;
    this.kick();
  }

  /** The member lost its membership: poll() releases its partitions as lost and rejoins. */
  private fence(reason: string): void {
    void reason;
    this.state = 'fenced';
    this.memberEpoch = JOIN_EPOCH;
    this.membershipVersion++;
    this.sent = emptySent();
    this.target = null;
    this.pendingReconcile = false;
    this.events.onRejoinNeeded();
    this.wake();
  }

  /** Gives up every owned partition: onPartitionsLost (lost) or onPartitionsRevoked. */
  private async releaseAll(lost: boolean): Promise<void> {
    const owned = this.subs.assignment();
    if (owned.length === 0) return;
    await this.revokePartitions(owned, lost);
  }

  /**
   * Java's revocation: the partitions stay assigned while the listener runs (marked
   * pending revocation: not fetched, not returned by poll()), and are removed when
   * it returns or throws. A listener's error is thrown from the next poll.
   */
  private async revokePartitions(partitions: TopicPartition[], lost: boolean): Promise<void> {
    const listener = this.subs.listener;
    const fn = lost && listener?.onPartitionsLost ? listener.onPartitionsLost.bind(listener) : listener?.onPartitionsRevoked?.bind(listener);
    this.subs.markPendingRevocation(partitions);
    if (lost) this.losingPartitions = true;
    try {
      await fn?.(partitions);
    } catch (err) {
      this.listenerError ??= err;
    } finally {
      if (lost) this.losingPartitions = false;
      this.subs.removePartitions(partitions);
      this.events.onAssignmentChanged();
    }
  }

  /** One reconciliation towards the broker's latest assignment (Java's ConsumerMembershipManager.maybeReconcile). */
  private async reconcile(): Promise<void> {
    this.pendingReconcile = false;
    const target = this.target;
    const version = this.membershipVersion;
    if (target === null) return;
    const { partitions: assigned, unresolved } = await this.resolve(target);
    if (version !== this.membershipVersion || this.closed) return;
    const assignedKeys = new Set(assigned.map((tp) => tpKey(tp.topic, tp.partition)));
    const owned = this.subs.assignment();
    const ownedKeys = new Set(owned.map((tp) => tpKey(tp.topic, tp.partition)));
    const revoked = owned.filter((tp) => !assignedKeys.has(tpKey(tp.topic, tp.partition)));
    const added = assigned.filter((tp) => !ownedKeys.has(tpKey(tp.topic, tp.partition)));
    const listener = this.subs.listener;
    if (revoked.length === 0 && added.length === 0 && this.reconciledSinceJoin && unresolved === 0) {
      // Nothing moves (Java: "target assignment equals the current one"): acknowledge only.
      this.urgent = true;
      this.kick();
      return;
    }
    if (revoked.length > 0) {
      // Stop handing out the revoked partitions' records, commit what was consumed, then tell the
      // listener while they are still assigned (position(), commitSync() see them); then remove them.
      this.subs.markPendingRevocation(revoked);
      const offsets = this.o.enableAutoCommit ? this.consumedOffsets() : [];
      if (offsets.length > 0) {
        try {
          await this.commitSync(offsets, Date.now() + Math.min(this.o.defaultApiTimeoutMs, this.o.maxPollIntervalMs));
        } catch {
          // As Java: a failed auto-commit before revocation is logged, not thrown.
        }
      }
      await this.revokePartitions(revoked, false);
      if (version !== this.membershipVersion || this.closed) return;
    }
    if (added.length > 0) {
      this.subs.setAssignment([...this.subs.assignment(), ...added].sort(compareTp));
      this.events.onAssignmentChanged();
    }
    try {
      await listener?.onPartitionsAssigned?.(added);
    } catch (err) {
      this.listenerError ??= err;
    }
    if (version !== this.membershipVersion || this.closed) return;
    this.reconciliations++;
    this.reconciledSinceJoin = true;
    // Acknowledge: the next heartbeat, sent now, carries the owned partitions.
    this.urgent = true;
    this.kick();
    if (unresolved > 0 && this.retryResolveTimer === null) {
      // Topics not in metadata yet (just created): try again shortly.
      this.retryResolveTimer = setTimeout(() => {
        this.retryResolveTimer = null;
        if (this.target === target && version === this.membershipVersion && !this.closed) {
          this.pendingReconcile = true;
          this.events.onRejoinNeeded();
        }
      }, Math.max(this.o.retryBackoffMs, 500));
      this.retryResolveTimer.unref?.();
    }
  }

  /** Topic ids → names (metadata of the subscribed topics, then of every topic). */
  private async resolve(target: Map<string, number[]>): Promise<{ partitions: TopicPartition[]; unresolved: number }> {
    const learn = (topics: readonly { name: string | null; topicId: string }[]): void => {
      for (const t of topics) {
        if (t.name === null) continue;
        this.topicNames.set(t.topicId, t.name);
        this.topicIds.set(t.name, t.topicId);
      }
    };
    for (const t of this.subs.topics) {
      const info = this.cluster.cachedTopic(t);
      if (info) learn([{ name: info.name, topicId: info.topicId }]);
    }
    const missing = (): string[] => [...target.keys()].filter((id) => !this.topicNames.has(id));
    if (missing().length > 0 && this.subs.topics.size > 0) {
      try {
        learn((await this.cluster.refreshMetadata([...this.subs.topics])).topics);
      } catch {
        // Retried on the next reconciliation.
      }
    }
    if (missing().length > 0) {
      try {
        learn((await this.cluster.refreshMetadata(null)).topics);
      } catch {
        // Retried on the next reconciliation.
      }
    }
    const partitions: TopicPartition[] = [];
    let unresolved = 0;
    for (const [id, ps] of target) {
      const name = this.topicNames.get(id);
      if (name === undefined) {
        unresolved += ps.length;
        continue;
      }
      for (const p of ps) partitions.push({ topic: name, partition: p });
    }
    return { partitions: partitions.sort(compareTp), unresolved };
  }

  // --- heartbeats -------------------------------------------------------------

  private kick(): void {
    queueMicrotask(() => this.tick());
  }

  private tick(): void {
    if (this.closed || this.fatal !== null || this.leaving) return;
    const now = Date.now();
    if (this.state === 'stable' && this.subs.hasAutoAssignment && !this.pollActive && now - this.lastPollMs > this.o.maxPollIntervalMs) {
      void this.leaveOnPollTimeout();
      return;
    }
    if (this.state !== 'joining' && this.state !== 'stable') return;
    if (this.inFlight !== null) return;
    if (!this.urgent && now < this.nextHeartbeatMs) return;
    this.inFlight = this.sendHeartbeat().finally(() => {
      this.inFlight = null;
      if (this.urgent) this.kick();
    });
  }

  /** The owned partitions as the heartbeat carries them (topic ids). */
  private ownedTopicPartitions(): { topicId: string; partitions: number[] }[] {
    const byTopic = new Map<string, number[]>();
    for (const tp of this.subs.assignment()) {
      const id = this.topicIds.get(tp.topic) ?? this.cluster.cachedTopic(tp.topic)?.topicId;
      if (id === undefined) continue;
      const l = byTopic.get(id) ?? [];
      l.push(tp.partition);
      byTopic.set(id, l);
    }
    return [...byTopic].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([topicId, partitions]) => ({ topicId, partitions: partitions.sort((x, y) => x - y) }));
  }

  private regexFor(version: number): string | null {
    const p = this.subs.pattern;
    if (version < 1 || this.subs.type !== 'pattern' || p === null || p.flags.replace('g', '') !== '') return null;
    return `.*(?:${p.source}).*`;
  }

  private buildRequest(version: number): { req: ConsumerGroupHeartbeatRequestInit; sent: SentState } {
    const joining = this.memberEpoch === JOIN_EPOCH;
    const prev = joining ? emptySent() : this.sent;
    if (version >= 1 && this.memberId === '') this.memberId = randomBytes(16).toString('base64url');
    const topics = [...this.subs.topics].sort();
    const topicsKey = topics.join('\u0000');
    const regex = this.regexFor(version);
    const owned = joining ? [] : this.ownedTopicPartitions();
    const ownedKey = owned.map((t) => `${t.topicId}:${t.partitions.join(',')}`).join(';');
    const sent: SentState = { rebalanceTimeoutMs: this.o.maxPollIntervalMs, topics: topicsKey, regex, assignor: this.o.groupRemoteAssignor, owned: ownedKey };
    const req: ConsumerGroupHeartbeatRequestInit = {
      groupId: this.groupId,
      memberId: this.memberId,
      memberEpoch: this.memberEpoch,
      instanceId: this.o.groupInstanceId,
      rackId: joining ? this.o.clientRack : null,
      rebalanceTimeoutMs: prev.rebalanceTimeoutMs === this.o.maxPollIntervalMs ? -1 : this.o.maxPollIntervalMs,
      subscribedTopicNames: regex !== null ? (joining ? [] : null) : prev.topics === topicsKey ? null : topics,
      subscribedTopicRegex: regex !== null && (joining || prev.regex !== regex) ? regex : null,
      serverAssignor: prev.assignor === this.o.groupRemoteAssignor ? null : this.o.groupRemoteAssignor,
      topicPartitions: joining ? [] : prev.owned === ownedKey ? null : owned,
    };
    return { req, sent };
  }

  private async sendHeartbeat(): Promise<void> {
    this.urgent = false;
    const startedAt = Date.now();
    this.nextHeartbeatMs = startedAt + this.heartbeatIntervalMs;
    const version = this.membershipVersion;
    let res: ConsumerGroupHeartbeatResponse;
    let sent: SentState;
    try {
      const conn = await this.link.ensure();
      const v = conn.versionFor(ConsumerGroupHeartbeatApi);
      if (version !== this.membershipVersion || this.leaving || this.closed) return;
      const built = this.buildRequest(v);
      sent = built.sent;
      res = await conn.send(ConsumerGroupHeartbeatApi, built.req, { version: v });
    } catch (err) {
      if (this.closed) return;
      this.sent = emptySent();
      if (err instanceof KafkaError && !err.retriable) {
        this.setFatal(err);
        return;
      }
      // A connection-level failure or a retriable error: find the coordinator again.
      this.link.markUnknown();
      this.nextHeartbeatMs = Date.now() + this.o.retryBackoffMs;
      return;
    }
    if (version !== this.membershipVersion || this.closed || this.leaving) {
      // Superseded (a leave, a fence): keep the member id the broker gave, so a leave can name it.
      if (res.errorCode === ErrorCode.NONE && res.memberId !== null && res.memberId !== '') this.memberId = res.memberId;
      return;
    }
    this.handleResponse(res, sent);
  }

  private handleResponse(res: ConsumerGroupHeartbeatResponse, sent: SentState): void {
    const code = res.errorCode;
    if (code === ErrorCode.NONE) {
      this.heartbeatsSent++;
      this.sent = sent;
      if (res.memberId !== null && res.memberId !== '') this.memberId = res.memberId;
      this.memberEpoch = res.memberEpoch;
      if (res.heartbeatIntervalMs > 0) {
        this.heartbeatIntervalMs = res.heartbeatIntervalMs;
        this.nextHeartbeatMs = Date.now() + res.heartbeatIntervalMs;
      }
      if (this.state === 'joining') this.state = 'stable';
      if (res.assignment !== null) {
        const target = new Map<string, number[]>();
        for (const t of res.assignment.topicPartitions) target.set(t.topicId, [...(target.get(t.topicId) ?? []), ...t.partitions]);
        this.target = target;
        this.pendingReconcile = true;
        this.events.onRejoinNeeded();
      }
      this.wake();
      return;
    }
    this.sent = emptySent();
    switch (code) {
      case ErrorCode.FENCED_MEMBER_EPOCH:
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.fence(KafkaError.from(code, res.errorMessage ?? undefined).message);
        return;
      case ErrorCode.GROUP_ID_NOT_FOUND:
        // The group vanished under a member: rejoin. Refused at join: a classic group uses the id.
        if (this.memberEpoch > 0) this.fence('group not found');
        else this.setFatal(KafkaError.from(code, res.errorMessage ?? `ConsumerGroupHeartbeat ${this.groupId}`));
        return;
      case ErrorCode.NOT_COORDINATOR:
      case ErrorCode.COORDINATOR_NOT_AVAILABLE:
        this.link.markUnknown();
        this.nextHeartbeatMs = Date.now() + this.o.retryBackoffMs;
        return;
      case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
        this.nextHeartbeatMs = Date.now() + this.o.retryBackoffMs;
        return;
      default: {
        const err = KafkaError.from(code, res.errorMessage ?? `ConsumerGroupHeartbeat ${this.groupId}`);
        if (err.retriable && !FATAL_CODES.has(code)) {
          this.nextHeartbeatMs = Date.now() + this.o.retryBackoffMs;
          return;
        }
        this.setFatal(err);
      }
    }
  }

  private setFatal(err: Error): void {
    this.fatal ??= err;
    this.events.onRejoinNeeded();
    this.wake();
  }

  /** max.poll.interval.ms passed without poll(): leave; the next poll releases the partitions as lost and rejoins. */
  private async leaveOnPollTimeout(): Promise<void> {
    this.state = 'stale';
    const memberId = this.memberId;
    const epoch = this.memberEpoch;
    this.membershipVersion++;
    this.sent = emptySent();
    this.target = null;
    this.pendingReconcile = false;
    if (epoch > 0 || this.o.groupInstanceId !== null) await this.sendLeave(memberId, Date.now() + this.o.requestTimeoutMs);
    this.events.onRejoinNeeded();
  }

  /** Leaves with epoch -1 (dynamic) or -2 (static: the broker keeps its assignment until the session expires). */
  private async sendLeave(memberId: string, deadline: number): Promise<void> {
    if (memberId === '') return;
    this.leaving = true;
    try {
      if (this.inFlight) await within(this.inFlight, deadline);
      const conn = await within(this.link.ensure(), deadline);
      if (conn === null) return;
      await conn.send(
        ConsumerGroupHeartbeatApi,
        {
          groupId: this.groupId,
          memberId,
          memberEpoch: this.o.groupInstanceId !== null ? STATIC_LEAVE_EPOCH : LEAVE_EPOCH,
          instanceId: this.o.groupInstanceId,
          rackId: null,
          rebalanceTimeoutMs: -1,
          subscribedTopicNames: null,
          subscribedTopicRegex: null,
          serverAssignor: null,
          topicPartitions: null,
        },
        { timeoutMs: Math.max(1, Math.min(this.o.requestTimeoutMs, deadline - Date.now())) },
      );
    } catch {
      // The session timeout removes the member anyway.
    } finally {
      this.leaving = false;
    }
  }

  // --- offsets ----------------------------------------------------------------

  consumedOffsets(): TopicPartitionOffset[] {
    return consumedOffsets(this.subs);
  }

  maybeAutoCommit(now: number): void {
    this.autoCommit.maybeCommit(now, this.state === 'stable', (offsets) => this.commitOnce(offsets));
  }

  /** Whether commits and fetches go as this member (id + epoch), or as an outsider (-1). */
  private memberIdentity(): FetchIdentity {
    if (this.subs.hasAutoAssignment && this.state === 'stable' && this.memberEpoch > 0) return { memberId: this.memberId, epoch: this.memberEpoch };
    return NO_MEMBER;
  }

  async commitSync(offsets: readonly TopicPartitionOffset[], deadline: number): Promise<void> {
    // STALE_MEMBER_EPOCH: a heartbeat brings the newer epoch; retry with it (Java's CommitRequestManager).
    await commitWithRetries((l) => this.commitOnce(l), offsets, deadline, this.o, (err) => err instanceof KafkaError && err.code === ErrorCode.STALE_MEMBER_EPOCH);
  }

  async commitOnce(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    // As Java: the member is out of the group, so the commit cannot succeed (its partitions may be another's).
    if (this.losingPartitions && this.subs.hasAutoAssignment) throw new CommitFailedError('the member lost its partitions (onPartitionsLost)');
    const member = (): CommitIdentity => {
      const { memberId, epoch } = this.memberIdentity();
      return { generationIdOrMemberEpoch: epoch, memberId, groupInstanceId: epoch >= 0 ? this.o.groupInstanceId : null };
    };
    await sendOffsetCommit(this.link, this.groupId, offsets, member, (code) => {
      if (code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.FENCED_MEMBER_EPOCH) throw new CommitFailedError(KafkaError.from(code).name);
      if (code === ErrorCode.FENCED_INSTANCE_ID) this.setFatal(KafkaError.from(code));
    });
  }

  async fetchCommitted(partitions: readonly TopicPartition[], deadline: number): Promise<Map<string, TopicPartitionOffset>> {
    // A stale epoch or a member fenced meanwhile: the next attempt goes with what the heartbeat learnt.
    const memberError = (err: unknown): boolean => err instanceof KafkaError && (err.code === ErrorCode.STALE_MEMBER_EPOCH || err.code === ErrorCode.UNKNOWN_MEMBER_ID);
    return fetchCommittedOffsets(this.link, this.groupId, partitions, deadline, this.o, () => this.memberIdentity(), memberError);
  }

  // --- close, unsubscribe -----------------------------------------------------

  /** Commits (auto-commit), revokes (or loses), leaves with epoch -1 / -2. */
  private async release(deadline: number): Promise<void> {
    this.releasing = true;
    try {
      await this.doRelease(deadline);
    } finally {
      this.releasing = false;
    }
  }

  private async doRelease(deadline: number): Promise<void> {
    // A reconciliation in progress finishes first; a join waiting for its response does not hold close up.
    this.wake();
    if (this.working) await within(this.working, deadline);
    const member = this.state === 'stable';
    if (this.subs.hasAutoAssignment) this.subs.markPendingRevocation(this.subs.assignment());
    if (this.o.enableAutoCommit && (!this.subs.hasAutoAssignment || member)) {
      await this.commitSync(this.consumedOffsets(), deadline).catch(() => {});
    }
    if (!this.subs.hasAutoAssignment) return;
    await this.releaseAll(!member);
    this.listenerError = null;
    const joined = this.state === 'stable' || this.state === 'joining';
    this.state = 'unjoined';
    this.memberEpoch = JOIN_EPOCH;
    this.membershipVersion++;
    this.sent = emptySent();
    this.target = null;
    this.pendingReconcile = false;
    this.wake();
    // A join in flight: its response names the member to leave.
    if (this.inFlight) await within(this.inFlight, deadline);
    if (joined) await this.sendLeave(this.memberId, deadline);
  }

  async close(deadline: number): Promise<void> {
    if (this.closed) return;
    try {
      await this.release(deadline);
    } finally {
      this.closed = true;
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      if (this.retryResolveTimer) clearTimeout(this.retryResolveTimer);
      this.retryResolveTimer = null;
      this.wake();
      this.link.close();
    }
  }

  async unsubscribe(): Promise<void> {
    await this.release(Date.now() + this.o.defaultApiTimeoutMs);
  }
}
