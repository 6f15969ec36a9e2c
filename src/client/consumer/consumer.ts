/**
 * Samsa's Consumer: Java's KafkaConsumer in TypeScript — its config names and
 * defaults, its method names and semantics (poll/commitSync/commitAsync/seek/
 * pause/wakeup, rebalance listeners, standalone assign()).
 *
 * Moving parts (see the README of this folder):
 *   SubscriptionState  what is assigned, and a cursor per partition
 *   Fetcher            one Fetch in flight per broker, running ahead of poll()
 *   GroupMembership    group membership, heartbeats on their own timer, commits:
 *                      ConsumerCoordinator (classic) or ConsumerMembershipManager
 *                      (group.protocol=consumer, KIP-848)
 *
 * poll() is not re-entrant: one call at a time, as Java's consumer allows one
 * thread. Everything else may be called between polls (or from the handler of
 * consume()).
 */
import { Cluster } from '../network/cluster.ts';
import type { PartitionInfo } from '../network/cluster.ts';
import type { ConsumerConfig, ConsumerSettings } from './config.ts';
import { resolveConfig } from './config.ts';
import { ConsumerRecord, ConsumerRecords } from './consumer-record.ts';
import { ConsumerMembershipManager } from './consumer-membership.ts';
import { ConsumerCoordinator } from './coordinator.ts';
import type { DeserializeFn } from './deserializers.ts';
import { resolveDeserializer } from './deserializers.ts';
import { IllegalStateError, NoOffsetForPartitionError, WakeupError } from './errors.ts';
import { Fetcher } from './fetcher.ts';
import type { GroupMembership, GroupMembershipEvents } from './group-membership.ts';
import type { ListOffsetsQuery } from './list-offsets.ts';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, listOffsets } from './list-offsets.ts';
import type { PartitionState } from './subscription-state.ts';
import { SubscriptionState } from './subscription-state.ts';
import type { ConsumerRebalanceListener, OffsetAndTimestamp, TopicPartition, TopicPartitionOffset } from './types.ts';
import { tpKey } from './types.ts';

export interface ConsumeOptions<K, V> {
  /** Called with each poll's records; the next poll waits for it (heartbeats do not). */
  eachBatch?: (records: ConsumerRecords<K, V>, consumer: Consumer<K, V>) => void | Promise<void>;
  /** Called for each record in order (used when eachBatch is not given). */
  eachRecord?: (record: ConsumerRecord<K, V>, consumer: Consumer<K, V>) => void | Promise<void>;
  /** poll() timeout per round (default 1000 ms). */
  pollTimeoutMs?: number;
}

export interface GroupMetadata {
  groupId: string | null;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export class Consumer<K = Buffer | null, V = Buffer | null> implements AsyncIterable<ConsumerRecord<K, V>> {
  readonly config: Readonly<ConsumerSettings>;
  private readonly cluster: Cluster;
  private readonly subs = new SubscriptionState();
  private readonly fetcher: Fetcher;
  private readonly coordinator: GroupMembership | null;
  private readonly keyDe: DeserializeFn<K>;
  private readonly valueDe: DeserializeFn<V>;
  private polling = false;
  private closed = false;
  private wakeupPending = false;
  private stopping = false;
  /** Whoever waits in poll() for data, a rejoin, a wakeup or close. */
  private readonly waiters = new Set<() => void>();
  private updatingPositions: Promise<void> | null = null;
  private metadataRefreshedAt = 0;
  private metadataStale = true;

  constructor(config: ConsumerConfig<K, V>) {
    this.config = resolveConfig(config as ConsumerConfig<unknown, unknown>);
    const o = this.config;
    this.keyDe = resolveDeserializer(config['key.deserializer'], 'key.deserializer');
    this.valueDe = resolveDeserializer(config['value.deserializer'], 'value.deserializer');
    this.cluster = new Cluster({
      bootstrapServers: o.bootstrapServers,
      clientId: o.clientId,
      requestTimeoutMs: o.requestTimeoutMs,
      connectTimeoutMs: o.connectTimeoutMs,
      metadataMaxAgeMs: o.metadataMaxAgeMs,
      busyPollUs: o.busyPollUs,
    });
    this.fetcher = new Fetcher(this.cluster, this.subs, o, { onData: () => this.signal() });
    const events: GroupMembershipEvents = {
      onRejoinNeeded: () => this.signal(),
      onAssignmentChanged: () => this.fetcher.maybeSendFetches(),
    };
    if (o.groupId === null) this.coordinator = null;
    else if (o.groupProtocol === 'consumer') this.coordinator = new ConsumerMembershipManager(this.cluster, this.subs, o, events);
    else this.coordinator = new ConsumerCoordinator(this.cluster, this.subs, o, events);
  }

  // --- subscription ---------------------------------------------------------

  /** Subscribes to topics by name, or to every topic matching a pattern (new matches are picked up on metadata refresh). */
  subscribe(topics: readonly string[] | RegExp, listener?: ConsumerRebalanceListener): void {
    this.ensureOpen();
    if (this.coordinator === null) throw new IllegalStateError('To use group management or offset commit APIs, you must provide a valid group.id in the consumer configuration.');
    if (topics instanceof RegExp) {
      this.subs.subscribePattern(topics, listener ?? null);
    } else {
      if (topics.length === 0) {
        void this.unsubscribe();
        return;
      }
      if (this.subs.subscribe(topics, listener ?? null)) this.coordinator.requestRejoin('subscription changed');
    }
    this.metadataStale = true;
  }

  /** Manual assignment: no group membership, no rebalances. */
  assign(partitions: readonly TopicPartition[]): void {
    this.ensureOpen();
    this.subs.assignFromUser(partitions);
    this.metadataStale = true;
    this.fetcher.maybeSendFetches();
  }

  async unsubscribe(): Promise<void> {
    this.ensureOpen();
    if (this.coordinator !== null && this.subs.hasAutoAssignment) await this.coordinator.unsubscribe();
    this.subs.unsubscribe();
  }

  assignment(): TopicPartition[] {
    return this.subs.assignment();
  }

  subscription(): string[] {
    return this.subs.hasAutoAssignment ? [...this.subs.topics].sort() : [];
  }

  groupMetadata(): GroupMetadata {
    const c = this.coordinator;
    return { groupId: this.config.groupId, generationId: c?.generationId ?? -1, memberId: c?.memberId ?? '', groupInstanceId: this.config.groupInstanceId };
  }

  // --- poll -----------------------------------------------------------------

  /**
   * Returns the records available now, or waits up to `timeoutMs` for some. Joins
   * the group and runs rebalance listeners first when needed.
   */
  async poll(timeoutMs: number): Promise<ConsumerRecords<K, V>> {
    this.ensureOpen();
    if (this.polling) throw new IllegalStateError('poll() is already in progress: the consumer allows one poll at a time');
    if (this.subs.type === 'none') throw new IllegalStateError('Consumer is not subscribed to any topics or assigned any partitions');
    this.polling = true;
    const c = this.coordinator;
    if (c) c.pollActive = true;
    try {
      this.checkWakeup();
      const deadline = Date.now() + Math.max(0, timeoutMs);
      for (;;) {
        const now = Date.now();
        if (c) {
          c.lastPollMs = now;
          c.throwIfFatal();
          if (this.subs.hasAutoAssignment) {
            await this.maybeRefreshSubscriptionMetadata(now);
            if (c.needsRejoin) {
              await c.ensureActiveGroup(deadline - Date.now(), this.waitSignal(deadline - Date.now()));
              this.checkWakeup();
              if (this.closed) return ConsumerRecords.empty();
            }
          }
          c.maybeAutoCommit(now);
        }
        await this.updateFetchPositions(deadline);
        this.checkWakeup();
        this.fetcher.maybeSendFetches();
        const next = new Map<string, TopicPartitionOffset>();
        const records = this.fetcher.collect(this.config.maxPollRecords, this.keyDe, this.valueDe, next);
        if (records.length > 0) return new ConsumerRecords(records, next);
        const remaining = deadline - Date.now();
        if (remaining <= 0 || this.closed || this.stopping) return ConsumerRecords.empty();
        if (c !== null && c.needsRejoin && this.subs.hasAutoAssignment) continue;
        await this.waitSignal(remaining);
        this.checkWakeup();
      }
    } finally {
      this.polling = false;
      if (c) {
        c.pollActive = false;
        c.lastPollMs = Date.now();
      }
    }
  }

  /** Interrupts a blocking poll (or the next one) with WakeupError. */
  wakeup(): void {
    this.wakeupPending = true;
    this.signal();
  }

  private checkWakeup(): void {
    if (this.wakeupPending) {
      this.wakeupPending = false;
      throw new WakeupError();
    }
  }

  private signal(): void {
    if (this.waiters.size === 0) return;
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  /** Resolves on the next signal (data, rejoin, wakeup, close) or after `ms`. */
  private waitSignal(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiters.add(done);
    });
  }

  private async maybeRefreshSubscriptionMetadata(now: number): Promise<void> {
    if (!this.metadataStale && now - this.metadataRefreshedAt < this.config.metadataMaxAgeMs) return;
    this.metadataStale = false;
    this.metadataRefreshedAt = now;
    const c = this.coordinator!;
    try {
      if (this.subs.type === 'pattern') {
        const res = await this.cluster.refreshMetadata(null);
        const pattern = this.subs.pattern!;
        const matched: string[] = [];
        for (const t of res.topics) {
          if (t.name === null || t.errorCode !== 0) continue;
          if (t.isInternal && this.config.excludeInternalTopics) continue;
          pattern.lastIndex = 0;
          if (pattern.test(t.name)) matched.push(t.name);
        }
        if (this.subs.setTopics(matched)) c.requestRejoin('pattern matches changed');
      } else {
        await this.cluster.refreshMetadata([...this.subs.topics], { allowAutoTopicCreation: this.config.allowAutoCreateTopics });
      }
      c.checkPartitionCounts();
    } catch {
      this.metadataStale = true;
    }
  }

  /**
   * Gives every assigned partition a position: the committed offset (groups), else
   * auto.offset.reset (earliest/latest via ListOffsets; none → NoOffsetForPartitionError).
   */
  private updateFetchPositions(deadline: number): Promise<void> {
    let missing = false;
    for (const s of this.subs.all()) {
      if (s.position === null) {
        missing = true;
        break;
      }
    }
    if (!missing) return Promise.resolve();
    this.updatingPositions ??= this.doUpdateFetchPositions(deadline).finally(() => {
      this.updatingPositions = null;
    });
    return this.updatingPositions;
  }

  private async doUpdateFetchPositions(deadline: number): Promise<void> {
    const o = this.config;
    const init = [...this.subs.all()].filter((s) => s.position === null && s.resetStrategy === null);
    if (init.length > 0) {
      if (this.coordinator !== null) {
        const committed = await this.coordinator.fetchCommitted(init, Math.max(deadline, Date.now() + o.defaultApiTimeoutMs));
        for (const s of init) {
          if (s.position !== null || s.resetStrategy !== null || this.subs.stateByKey(s.key) !== s) continue;
          const c = committed.get(s.key);
          if (c) s.setPosition(c.offset, c.leaderEpoch ?? null);
          else s.requestReset(o.autoOffsetReset);
        }
      } else {
        for (const s of init) s.requestReset(o.autoOffsetReset);
      }
    }
    const reset = [...this.subs.all()].filter((s) => s.position === null && s.resetStrategy !== null);
    if (reset.length === 0) return;
    const none = reset.filter((s) => s.resetStrategy === 'none');
    if (none.length > 0) throw new NoOffsetForPartitionError(none.map((s) => ({ topic: s.topic, partition: s.partition })));
    const queries = reset.map((s) => ({ topic: s.topic, partition: s.partition, timestamp: s.resetStrategy === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP, state: s, epoch: s.epoch }));
    const offsets = await listOffsets(this.cluster, queries, { isolationLevel: o.isolationLevel, timeoutMs: Math.max(o.defaultApiTimeoutMs, deadline - Date.now()), retryBackoffMs: o.retryBackoffMs });
    for (const q of queries) {
      const r = offsets.get(tpKey(q.topic, q.partition));
      // Skip partitions seeked or unassigned meanwhile.
      if (!r || q.state.epoch !== q.epoch || q.state.position !== null) continue;
      q.state.setPosition(r.offset, r.leaderEpoch >= 0 ? r.leaderEpoch : null);
    }
    this.fetcher.maybeSendFetches();
  }

  // --- positions ------------------------------------------------------------

  /** Sets the next offset poll() returns for an assigned partition. */
  seek(partition: TopicPartition, offset: bigint | number | { offset: bigint | number; leaderEpoch?: number | null }): void {
    this.ensureOpen();
    const o = typeof offset === 'object' ? offset : { offset, leaderEpoch: null };
    const value = BigInt(o.offset);
    if (value < 0n) throw new TypeError(`seek offset must not be negative (${value})`);
    this.subs.assignedState(partition).setPosition(value, o.leaderEpoch ?? null);
    this.fetcher.maybeSendFetches();
  }

  /** Seeks to the first offset of each partition (all assigned when omitted), evaluated lazily on the next poll or position. */
  seekToBeginning(partitions?: readonly TopicPartition[]): void {
    this.ensureOpen();
    for (const s of this.statesFor(partitions)) s.requestReset('earliest');
  }

  /** Seeks to the end (the high watermark, or the last stable offset with read_committed). */
  seekToEnd(partitions?: readonly TopicPartition[]): void {
    this.ensureOpen();
    for (const s of this.statesFor(partitions)) s.requestReset('latest');
  }

  /** The next offset poll() will return for an assigned partition, resolving it first if needed. */
  async position(partition: TopicPartition, timeoutMs = this.config.defaultApiTimeoutMs): Promise<bigint> {
    this.ensureOpen();
    const s = this.subs.assignedState(partition);
    if (s.position === null) await this.updateFetchPositions(Date.now() + timeoutMs);
    if (s.position === null) throw new IllegalStateError(`No position for ${partition.topic}-${partition.partition}`);
    return s.position;
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const s of this.statesFor(partitions)) s.userPaused = true;
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const s of this.statesFor(partitions)) s.userPaused = false;
    this.fetcher.maybeSendFetches();
  }

  paused(): TopicPartition[] {
    return [...this.subs.all()].filter((s) => s.userPaused).map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  /** Records between the position and the high watermark (or LSO), when a fetch has told it; null otherwise. */
  currentLag(partition: TopicPartition): bigint | null {
    const s = this.subs.state(partition);
    if (!s || s.position === null) return null;
    const end = this.config.isolationLevel === 1 ? s.lastStableOffset : s.highWatermark;
    return end < 0n ? null : end - s.position;
  }

  private statesFor(partitions: readonly TopicPartition[] | undefined): PartitionState[] {
    if (partitions === undefined) return [...this.subs.all()];
    return partitions.map((tp) => this.subs.assignedState(tp));
  }

  // --- offsets --------------------------------------------------------------

  /**
   * Commits the given offsets, or the positions of every assigned partition,
   * retrying retriable errors until success, a fatal error, or the timeout.
   */
  async commitSync(offsets?: readonly TopicPartitionOffset[], timeoutMs = this.config.defaultApiTimeoutMs): Promise<void> {
    this.ensureOpen();
    const c = this.requireGroup();
    await c.commitSync(offsets ?? c.consumedOffsets(), Date.now() + timeoutMs);
  }

  /** Commits once, without retrying; the callback (and the returned promise) get the outcome. */
  commitAsync(offsets?: readonly TopicPartitionOffset[] | null, callback?: (error: Error | null, offsets: readonly TopicPartitionOffset[]) => void): Promise<void> {
    this.ensureOpen();
    const c = this.requireGroup();
    const list = offsets ?? c.consumedOffsets();
    const p = list.length === 0 ? Promise.resolve() : c.commitOnce(list);
    return p.then(
      () => callback?.(null, list),
      (err: Error) => {
        if (callback) callback(err, list);
        else throw err;
      },
    );
  }

  /** The group's committed offsets (null where none is committed). */
  async committed(partitions: readonly TopicPartition[], timeoutMs = this.config.defaultApiTimeoutMs): Promise<(TopicPartitionOffset | null)[]> {
    this.ensureOpen();
    const c = this.requireGroup();
    const m = await c.fetchCommitted(partitions, Date.now() + timeoutMs);
    return partitions.map((tp) => m.get(tpKey(tp.topic, tp.partition)) ?? null);
  }

  /** The earliest offset whose timestamp is >= the given one, per partition (null: none). */
  async offsetsForTimes(queries: readonly (TopicPartition & { timestamp: number | bigint })[], timeoutMs = this.config.defaultApiTimeoutMs): Promise<(OffsetAndTimestamp | null)[]> {
    this.ensureOpen();
    for (const q of queries) if (BigInt(q.timestamp) < 0n) throw new TypeError(`The target time for partition ${q.topic}-${q.partition} is ${q.timestamp}. The target time cannot be negative.`);
    const list: ListOffsetsQuery[] = queries.map((q) => ({ topic: q.topic, partition: q.partition, timestamp: BigInt(q.timestamp) }));
    const m = await listOffsets(this.cluster, list, { isolationLevel: this.config.isolationLevel, timeoutMs, retryBackoffMs: this.config.retryBackoffMs });
    return queries.map((q) => {
      const r = m.get(tpKey(q.topic, q.partition));
      if (!r || r.offset < 0n) return null;
      return { topic: q.topic, partition: q.partition, offset: r.offset, timestamp: Number(r.timestamp), leaderEpoch: r.leaderEpoch >= 0 ? r.leaderEpoch : null };
    });
  }

  async beginningOffsets(partitions: readonly TopicPartition[], timeoutMs = this.config.defaultApiTimeoutMs): Promise<TopicPartitionOffset[]> {
    return this.listSpecial(partitions, EARLIEST_TIMESTAMP, timeoutMs);
  }

  /** The high watermark (read_uncommitted) or last stable offset (read_committed) per partition. */
  async endOffsets(partitions: readonly TopicPartition[], timeoutMs = this.config.defaultApiTimeoutMs): Promise<TopicPartitionOffset[]> {
    return this.listSpecial(partitions, LATEST_TIMESTAMP, timeoutMs);
  }

  private async listSpecial(partitions: readonly TopicPartition[], timestamp: bigint, timeoutMs: number): Promise<TopicPartitionOffset[]> {
    this.ensureOpen();
    const m = await listOffsets(this.cluster, partitions.map((tp) => ({ ...tp, timestamp })), { isolationLevel: this.config.isolationLevel, timeoutMs, retryBackoffMs: this.config.retryBackoffMs });
    return partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: m.get(tpKey(tp.topic, tp.partition))!.offset }));
  }

  // --- metadata -------------------------------------------------------------

  async partitionsFor(topic: string): Promise<readonly PartitionInfo[]> {
    this.ensureOpen();
    return (await this.cluster.topic(topic)).partitions;
  }

  /** Every topic's partitions, internal topics excluded (exclude.internal.topics). */
  async listTopics(): Promise<Map<string, readonly PartitionInfo[]>> {
    this.ensureOpen();
    const res = await this.cluster.refreshMetadata(null);
    const out = new Map<string, readonly PartitionInfo[]>();
    for (const t of res.topics) {
      if (t.name === null || (t.isInternal && this.config.excludeInternalTopics)) continue;
      const info = this.cluster.cachedTopic(t.name);
      if (info) out.set(t.name, info.partitions);
    }
    return out;
  }

  // --- loops ----------------------------------------------------------------

  /** `for await (const record of consumer)`: polls until close() or stop(). */
  async *[Symbol.asyncIterator](): AsyncIterator<ConsumerRecord<K, V>> {
    while (!this.closed && !this.stopping) {
      let records: ConsumerRecords<K, V>;
      try {
        records = await this.poll(1000);
      } catch (err) {
        if (err instanceof WakeupError && (this.closed || this.stopping)) return;
        throw err;
      }
      for (const r of records.all) yield r;
    }
  }

  /**
   * Polls and hands records to `eachBatch` (or `eachRecord`) until stop() or
   * close(); rejects with the first error a handler or poll throws.
   */
  async consume(opts: ConsumeOptions<K, V>): Promise<void> {
    if (!opts.eachBatch && !opts.eachRecord) throw new TypeError('consume() needs eachBatch or eachRecord');
    this.stopping = false;
    const timeout = opts.pollTimeoutMs ?? 1000;
    while (!this.closed && !this.stopping) {
      let records: ConsumerRecords<K, V>;
      try {
        records = await this.poll(timeout);
      } catch (err) {
        if (err instanceof WakeupError && (this.closed || this.stopping)) return;
        throw err;
      }
      if (records.isEmpty()) continue;
      if (opts.eachBatch) await opts.eachBatch(records, this);
      else for (const r of records.all) await opts.eachRecord!(r, this);
    }
  }

  /** Ends consume() and async iteration after the current handler returns. */
  stop(): void {
    this.stopping = true;
    this.signal();
  }

  // --- close ----------------------------------------------------------------

  /** Commits (enable.auto.commit), runs onPartitionsRevoked, leaves the group, closes connections. */
  async close(timeoutMs = 30_000): Promise<void> {
    if (this.closed) return;
    this.stopping = true;
    this.signal();
    const deadline = Date.now() + timeoutMs;
    try {
      if (this.coordinator) await this.coordinator.close(deadline);
    } finally {
      this.closed = true;
      this.fetcher.close();
      this.cluster.close();
      this.signal();
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private ensureOpen(): void {
    if (this.closed) throw new IllegalStateError('This consumer has already been closed.');
  }

  private requireGroup(): GroupMembership {
    if (this.coordinator === null) throw new IllegalStateError('To use group management or offset commit APIs, you must provide a valid group.id in the consumer configuration.');
    return this.coordinator;
  }
}

