/**
 * Which partitions the consumer reads and where it stands in each (Java's
 * SubscriptionState): the subscription (topics, a pattern, or a manual
 * assignment), the assigned partitions, and per partition a cursor.
 *
 * Cursor invariants: `position` is the next offset poll() returns; `fetchOffset`
 * (>= position) is the next offset to fetch — they differ while fetched data waits
 * in `buffered`. Setting the position from outside the fetch path (seek, reset,
 * committed offset) bumps `epoch` and drops buffered data; a response to a fetch
 * sent under an older epoch is discarded.
 *
 * Revocation (Java's markPendingRevocation): a partition being revoked stays
 * assigned while onPartitionsRevoked / onPartitionsLost runs — position(),
 * commitSync() and assignment() see it — but it is no longer fetched nor returned
 * by poll() (`pendingRevocation` makes it read as `paused` to the fetcher), and its
 * buffered records are dropped; only after the listener returns is it removed.
 */
import type { AutoOffsetReset } from './config.ts';
import type { CompletedFetch } from './fetcher.ts';
import { IllegalStateError } from './errors.ts';
import type { ConsumerRebalanceListener, TopicPartition } from './types.ts';
import { compareTp, tpKey } from './types.ts';

export class PartitionState implements TopicPartition {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  position: bigint | null = null;
  /** Leader epoch of the last consumed record (committed with the offset). */
  positionEpoch: number | null = null;
  fetchOffset = -1n;
  /** Waiting for ListOffsets with this strategy; null when the position is set or awaits the committed offset. */
  resetStrategy: AutoOffsetReset | null = null;
  /** Paused by the application (pause()/resume()). */
  userPaused = false;
  /** Being revoked: a rebalance listener runs for it; neither fetched nor returned, removed afterwards. */
  pendingRevocation = false;
  epoch = 0;
  buffered: CompletedFetch[] = [];
  highWatermark = -1n;
  lastStableOffset = -1n;
  logStartOffset = -1n;
  /** An error to throw from the next poll (OffsetOutOfRange with reset none, a fatal partition error). */
  pendingError: Error | null = null;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
    this.key = tpKey(topic, partition);
  }

  /**
   * Not fetched and not returned by poll(): paused by the application, or being
   * revoked (Java's !isFetchable). The fetcher reads this; assigning it sets the
   * application's pause.
   */
  get paused(): boolean {
    return this.userPaused || this.pendingRevocation;
  }

  set paused(value: boolean) {
    this.userPaused = value;
  }

  /** Stops fetching and returning the partition, dropping what is buffered or in flight; the position stays (what was consumed). */
  markPendingRevocation(): void {
    if (this.pendingRevocation) return;
    this.pendingRevocation = true;
    this.epoch++;
    this.buffered = [];
    // An error waiting for poll() concerns a partition that is going away.
    this.pendingError = null;
    if (this.position !== null) this.fetchOffset = this.position;
  }

  get hasPosition(): boolean {
    return this.position !== null;
  }

  setPosition(offset: bigint, leaderEpoch: number | null = null): void {
    this.position = offset;
    this.positionEpoch = leaderEpoch;
    this.fetchOffset = offset;
    this.resetStrategy = null;
    this.pendingError = null;
    this.epoch++;
    this.buffered = [];
  }

  requestReset(strategy: AutoOffsetReset): void {
    this.position = null;
    this.resetStrategy = strategy;
    this.epoch++;
    this.buffered = [];
  }
}

export type SubscriptionType = 'none' | 'topics' | 'pattern' | 'assigned';

export class SubscriptionState {
  type: SubscriptionType = 'none';
  /** Topics subscribed by name, or the pattern's current matches. */
  topics = new Set<string>();
  pattern: RegExp | null = null;
  listener: ConsumerRebalanceListener | null = null;
  private readonly states = new Map<string, PartitionState>();
  /** Bumped on every assignment change, so the fetcher can tell. */
  assignmentVersion = 0;

  subscribe(topics: readonly string[], listener: ConsumerRebalanceListener | null): boolean {
    this.checkType('topics');
    for (const t of topics) if (typeof t !== 'string' || t.trim() === '') throw new TypeError('Topic collection to subscribe to cannot contain null or empty topic');
    this.type = topics.length === 0 ? 'none' : 'topics';
    this.listener = listener;
    return this.setTopics(topics);
  }

  subscribePattern(pattern: RegExp, listener: ConsumerRebalanceListener | null): void {
    this.checkType('pattern');
    this.type = 'pattern';
    this.pattern = pattern;
    this.listener = listener;
  }

  /** Replaces the subscribed topics; true when they changed. */
  setTopics(topics: Iterable<string>): boolean {
    const next = new Set(topics);
    const changed = next.size !== this.topics.size || [...next].some((t) => !this.topics.has(t));
    this.topics = next;
    return changed;
  }

  assignFromUser(partitions: readonly TopicPartition[]): void {
    this.checkType('assigned');
    for (const tp of partitions) {
      if (typeof tp.topic !== 'string' || tp.topic.trim() === '') throw new TypeError('Topic partitions to assign to cannot have null or empty topic');
    }
    this.type = partitions.length === 0 ? 'none' : 'assigned';
    this.setAssignment(partitions);
    this.topics = new Set(partitions.map((p) => p.topic));
  }

  /** Sets the assigned partitions, keeping the cursors of partitions that stay. */
  setAssignment(partitions: readonly TopicPartition[]): void {
    const keep = new Map<string, PartitionState>();
    for (const tp of partitions) {
      const k = tpKey(tp.topic, tp.partition);
      const prev = this.states.get(k);
      // A partition whose revocation is under way comes back fresh.
      keep.set(k, prev !== undefined && !prev.pendingRevocation ? prev : new PartitionState(tp.topic, tp.partition));
    }
    for (const [k, s] of this.states) {
      if (keep.get(k) === s) continue;
      s.epoch++;
      s.buffered = [];
    }
    this.states.clear();
    for (const [k, s] of keep) this.states.set(k, s);
    this.assignmentVersion++;
  }

  /**
   * Marks partitions as being revoked (see PartitionState.markPendingRevocation);
   * returns those that are assigned. They stay assigned until removePartitions().
   */
  markPendingRevocation(partitions: readonly TopicPartition[]): TopicPartition[] {
    const out: TopicPartition[] = [];
    for (const tp of partitions) {
      const s = this.state(tp);
      if (s === undefined) continue;
      s.markPendingRevocation();
      out.push({ topic: s.topic, partition: s.partition });
    }
    return out;
  }

  /** Unassigns the given partitions (the end of a revocation), keeping the others' cursors. */
  removePartitions(partitions: readonly TopicPartition[]): void {
    let changed = false;
    for (const tp of partitions) {
      const k = tpKey(tp.topic, tp.partition);
      const s = this.states.get(k);
      if (s === undefined) continue;
      s.epoch++;
      s.buffered = [];
      this.states.delete(k);
      changed = true;
    }
    if (changed) this.assignmentVersion++;
  }

  unsubscribe(): void {
    for (const s of this.states.values()) {
      s.epoch++;
      s.buffered = [];
    }
    this.states.clear();
    this.topics.clear();
    this.pattern = null;
    this.type = 'none';
    this.listener = null;
    this.assignmentVersion++;
  }

  get hasAutoAssignment(): boolean {
    return this.type === 'topics' || this.type === 'pattern';
  }

  state(tp: TopicPartition): PartitionState | undefined {
    return this.states.get(tpKey(tp.topic, tp.partition));
  }

  stateByKey(key: string): PartitionState | undefined {
    return this.states.get(key);
  }

  /** The state of an assigned partition; throws IllegalStateError for any other. */
  assignedState(tp: TopicPartition): PartitionState {
    const s = this.state(tp);
    if (!s) throw new IllegalStateError(`No current assignment for partition ${tp.topic}-${tp.partition}`);
    return s;
  }

  all(): IterableIterator<PartitionState> {
    return this.states.values();
  }

  assignment(): TopicPartition[] {
    return [...this.states.values()].map((s) => ({ topic: s.topic, partition: s.partition })).sort(compareTp);
  }

  get size(): number {
    return this.states.size;
  }

  private checkType(wanted: SubscriptionType): void {
    if (this.type !== 'none' && this.type !== wanted) {
      throw new IllegalStateError('Subscription to topics, partitions and pattern are mutually exclusive');
    }
  }
}
