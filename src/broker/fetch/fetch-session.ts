import { randomInt } from 'node:crypto';

/**
 * Incremental fetch sessions (KIP-227; Kafka's FetchSession.scala).
 *
 * A full fetch (epoch 0) names every partition and gets back a session id; the
 * following incremental fetches (epoch 1, 2, ...) name only partitions whose fetch
 * state changed (plus forgotten topics), and the response carries only partitions
 * with something new: records, a moved high watermark / last stable offset / log
 * start offset, or an error. Partitions that were in a response move to the end
 * of the session so that none starves.
 *
 *   epoch -1, id 0   sessionless full fetch
 *   epoch -1, id N   closes session N, then a sessionless full fetch
 *   epoch  0, id N   closes session N (if any), full fetch creating a new session
 *   epoch  k > 0     incremental fetch in session N; FETCH_SESSION_ID_NOT_FOUND if
 *                    N is unknown, INVALID_FETCH_SESSION_EPOCH if k is not the
 *                    session's expected epoch, FETCH_SESSION_TOPIC_ID_ERROR if the
 *                    request's use of topic ids (v13+) differs from the session's.
 *
 * The cache holds at most `maxSlots` sessions (max.incremental.fetch.session.cache.slots).
 * When full, a new session evicts the least recently used one if it has been idle
 * longer than `evictionMs` (min.incremental.fetch.session.eviction.ms), else the
 * smallest session if the new one is larger; otherwise no session is created and
 * the response says session id 0.
 */
export const INVALID_SESSION_ID = 0;
export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

export function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  if (epoch === 0x7fffffff) return 1;
  return epoch + 1;
}

/** One partition of a fetch, as requested and (in a session) as last answered. */
export interface FetchPartition {
  /** Resolved topic name; '' when a topic id (v13+) is unknown. */
  topic: string;
  /** Topic id (v13+), the zero uuid before. */
  topicId: string;
  partition: number;
  fetchOffset: number;
  maxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
  /** Follower's log start offset (unused by consumers). */
  logStartOffset: number;
  // What the session last told the client (-1: nothing yet / resend).
  highWatermark: number;
  lastStableOffset: number;
  localLogStartOffset: number;
}

/** What a partition's answer carries, for deciding whether an incremental response includes it. */
export interface PartitionAnswer {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  recordsBytes: number;
  hasDivergingEpoch: boolean;
}

export function partitionKey(usesTopicIds: boolean, topic: string, topicId: string, partition: number): string {
  return `${usesTopicIds ? topicId : topic}\u0000${partition}`;
}

export class FetchSession {
  readonly id: number;
  readonly usesTopicIds: boolean;
  readonly createdMs: number;
  lastUsedMs: number;
  /** The epoch the next incremental request must carry. */
  epoch: number;
  /** Insertion order is the order partitions are read and answered in. */
  readonly partitions = new Map<string, FetchPartition>();

  constructor(id: number, usesTopicIds: boolean, nowMs: number) {
    this.id = id;
    this.usesTopicIds = usesTopicIds;
    this.createdMs = nowMs;
    this.lastUsedMs = nowMs;
    this.epoch = nextEpoch(INITIAL_EPOCH);
  }

  get size(): number {
    return this.partitions.size;
  }

  keyOf(p: Pick<FetchPartition, 'topic' | 'topicId' | 'partition'>): string {
    return partitionKey(this.usesTopicIds, p.topic, p.topicId, p.partition);
  }

  /** Applies an incremental request: adds or updates `updates`, then drops `forget` keys. */
  update(updates: readonly FetchPartition[], forget: readonly string[]): void {
    for (const u of updates) {
      const key = this.keyOf(u);
      const cur = this.partitions.get(key);
      if (cur) {
        cur.fetchOffset = u.fetchOffset;
        cur.maxBytes = u.maxBytes;
        cur.currentLeaderEpoch = u.currentLeaderEpoch;
        cur.lastFetchedEpoch = u.lastFetchedEpoch;
        cur.logStartOffset = u.logStartOffset;
        if (u.topic !== '') cur.topic = u.topic;
      } else {
        this.partitions.set(key, { ...u });
      }
    }
    for (const key of forget) this.partitions.delete(key);
  }

  /**
   * Decides whether an incremental response includes `p` given its answer, and
   * remembers what was sent (Kafka's CachedPartition.maybeUpdateResponseData).
   */
  static mustRespond(p: FetchPartition, a: PartitionAnswer): boolean {
    let must = a.recordsBytes > 0 || a.hasDivergingEpoch;
    if (p.highWatermark !== a.highWatermark) {
      must = true;
      p.highWatermark = a.highWatermark;
    }
    if (p.lastStableOffset !== a.lastStableOffset) {
      must = true;
      p.lastStableOffset = a.lastStableOffset;
    }
    if (p.localLogStartOffset !== a.logStartOffset) {
      must = true;
      p.localLogStartOffset = a.logStartOffset;
    }
    if (a.errorCode !== 0) {
      // Errors are always sent; forget the high watermark so the partition is sent
      // again once the error is gone.
      p.highWatermark = -1;
      must = true;
    }
    return must;
  }

  /** Moves a partition to the end of the session order. */
  moveToEnd(key: string): void {
    const p = this.partitions.get(key);
    if (!p) return;
    this.partitions.delete(key);
    this.partitions.set(key, p);
  }
}

export interface FetchSessionCacheOptions {
  maxSlots: number;
  evictionMs: number;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  readonly maxSlots: number;
  readonly evictionMs: number;
  /** Sessions evicted so far (Kafka's IncrementalFetchSessionEvictionsPerSec). */
  evictions = 0;

  constructor(opts: FetchSessionCacheOptions) {
    this.maxSlots = opts.maxSlots;
    this.evictionMs = opts.evictionMs;
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: number): FetchSession | undefined {
    return this.sessions.get(id);
  }

  remove(id: number): FetchSession | undefined {
    const s = this.sessions.get(id);
    if (s) this.sessions.delete(id);
    return s;
  }

  /** Marks a session used now: it becomes the most recently used (Map order = LRU order). */
  touch(s: FetchSession, nowMs: number): void {
    s.lastUsedMs = nowMs;
    this.sessions.delete(s.id);
    this.sessions.set(s.id, s);
  }

  /**
   * Creates a session holding `partitions` (in order), or returns null when the
   * cache is full and nothing may be evicted (the client then fetches without one).
   */
  maybeCreate(nowMs: number, usesTopicIds: boolean, partitions: readonly FetchPartition[]): FetchSession | null {
    if (this.maxSlots <= 0) return null;
    if (this.sessions.size >= this.maxSlots && !this.tryEvict(partitions.length, nowMs)) return null;
    let id: number;
    do id = randomInt(1, 0x7fffffff);
    while (this.sessions.has(id));
    const s = new FetchSession(id, usesTopicIds, nowMs);
    for (const p of partitions) s.partitions.set(s.keyOf(p), p);
    this.sessions.set(id, s);
    return s;
  }

  private tryEvict(newSize: number, nowMs: number): boolean {
    const lru = this.sessions.values().next().value;
    if (lru && nowMs - lru.lastUsedMs > this.evictionMs) {
      this.sessions.delete(lru.id);
      this.evictions++;
      return true;
    }
    let smallest: FetchSession | undefined;
    for (const s of this.sessions.values()) if (!smallest || s.size < smallest.size) smallest = s;
    if (smallest && smallest.size < newSize) {
      this.sessions.delete(smallest.id);
      this.evictions++;
      return true;
    }
    return false;
  }
}
