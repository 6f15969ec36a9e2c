/**
 * The fetch path (franz-go's sources and cursors; Java's Fetcher): one Fetch in
 * flight per fetch connection, covering every fetchable partition of that
 * connection, sent again as soon as its response is in. A broker gets
 * samsa.fetch.connections.per.broker connections (default 2), its partitions shared
 * out in turn: while the broker serves one Fetch, the other's response is on its way
 * or being decoded, and a long poll on one connection's partitions does not hold up
 * the other's (fetch.max.bytes applies per Fetch, so per connection).
 * (Java fetches once per broker at a time; with one connection per broker, Samsa's
 * reads of 1 KiB records were bound by that round trip.) Responses are kept as bytes
 * (CompletedFetch) and decoded only when poll() drains them, so fetching runs ahead
 * of the application by up to `prefetchDepth` responses per partition.
 *
 * A partition is fetchable when it is assigned, not paused, has a position, has
 * fewer than prefetchDepth responses buffered, and its leader is known.
 *
 * read_committed: the broker stops at the last stable offset; batches of aborted
 * transactions (from a listed first offset until that producer's ABORT marker) and
 * control batches are skipped, as Kafka's consumer does.
 */
import { ErrorCode, KafkaError, errorInfo } from '../../protocol/errors/index.ts';
import { FetchApi } from '../../protocol/generated/api-keys.ts';
import type { FetchResponse, FetchResponseAbortedTransaction } from '../../protocol/generated/fetch-response.ts';
import { MAGIC_V2, OFFSET_LAST_OFFSET_DELTA, isControl, isTransactional, readBatchHeader } from '../../protocol/records/batch-header.ts';
import { ControlRecordType, readControlRecordType } from '../../protocol/records/control.ts';
import { nextBatchLocation } from '../../protocol/records/record-set.ts';
import { BrokerConnection } from '../network/broker-connection.ts';
import type { Cluster } from '../network/cluster.ts';
import { ConnectionError } from '../network/errors.ts';
import type { ConsumerSettings } from './config.ts';
import type { ConsumerRecord } from './consumer-record.ts';
import type { DeserializeFn } from './deserializers.ts';
import { BYTES_DESERIALIZER } from './deserializers.ts';
import { decodeConsumerBatch } from './record-decoder.ts';
import type { ConsumerBatch } from './record-decoder.ts';
import { OffsetOutOfRangeError, RecordDeserializationError } from './errors.ts';
import type { PartitionState, SubscriptionState } from './subscription-state.ts';
import type { TopicPartitionOffset } from './types.ts';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/**
 * A fetch slot: one of a broker's fetch connections, with its own Fetch in flight and
 * its own fetch session, for a fixed share of the partitions that broker leads.
 */
const MAX_SLOTS = 16;
const slotKey = (node: number, slot: number): number => node * MAX_SLOTS + slot;
const nodeOfSlot = (key: number): number => Math.floor(key / MAX_SLOTS);

/** One partition's records from one Fetch response, drained by poll(). */
export class CompletedFetch {
  readonly state: PartitionState;
  readonly epoch: number;
  readonly bytes: number;
  private readonly buf: Buffer;
  private readonly verifyCrc: boolean;
  private pos = 0;
  private batch: ConsumerBatch | null = null;
  /** A decoded record not handed out yet (the first at or above the position, or one whose deserializer failed). */
  private pending: ConsumerRecord<unknown, unknown> | null = null;
  private readonly aborted: FetchResponseAbortedTransaction[] | null;
  private nextAborted = 0;
  private readonly abortedProducers = new Set<bigint>();
  done = false;

  constructor(state: PartitionState, records: Buffer, aborted: FetchResponseAbortedTransaction[] | null, verifyCrc: boolean) {
    this.state = state;
    this.epoch = state.epoch;
    this.bytes = records.length;
    this.buf = records;
    this.verifyCrc = verifyCrc;
    this.aborted = aborted !== null && aborted.length > 0 ? [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0)) : null;
  }

  /** The next batch with records to return, skipping control and aborted batches; null at the end. */
  private nextBatch(): ConsumerBatch | null {
    const s = this.state;
    for (;;) {
      const loc = nextBatchLocation(this.buf, this.pos, this.buf.length);
      if (loc === null) return null;
      this.pos += loc.size;
      if (loc.magic !== MAGIC_V2) {
        const b = decodeConsumerBatch(this.buf, loc, s.topic, s.partition, this.verifyCrc);
        const end = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
        if (end <= s.position!) continue;
        return b;
      }
      // Decide from the header alone before decoding the records.
      const h = readBatchHeader(this.buf, loc.position);
      const end = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
      if (this.aborted !== null) {
        while (this.nextAborted < this.aborted.length && this.aborted[this.nextAborted]!.firstOffset < end) {
          this.abortedProducers.add(this.aborted[this.nextAborted++]!.producerId);
        }
      }
      if (end <= s.position!) continue;
      if (isControl(h.attributes)) {
        if (this.aborted !== null) {
          const b = decodeConsumerBatch(this.buf, loc, s.topic, s.partition, this.verifyCrc, h);
          if (!b.done && readControlRecordType(b.next().rawKey) === ControlRecordType.ABORT) this.abortedProducers.delete(h.producerId);
        }
        s.position = end;
        continue;
      }
      if (this.aborted !== null && isTransactional(h.attributes) && this.abortedProducers.has(h.producerId)) {
        s.position = end;
        continue;
      }
      return decodeConsumerBatch(this.buf, loc, s.topic, s.partition, this.verifyCrc, h);
    }
  }

  /**
   * Appends up to `max` records to `out`, decoding and deserializing them as they
   * go, and advances the partition's position.
   */
  drain<K, V>(out: ConsumerRecord<K, V>[], max: number, keyDe: DeserializeFn<K>, valueDe: DeserializeFn<V>): void {
    const s = this.state;
    const topic = s.topic;
    const partition = s.partition;
    const deKey = keyDe !== BYTES_DESERIALIZER;
    const deValue = valueDe !== BYTES_DESERIALIZER;
    while (out.length < max) {
      let b = this.batch;
      if (b === null || (b.done && this.pending === null)) {
        if (b !== null) {
          const end = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
          if (end > s.position!) s.position = end;
        }
        b = this.batch = this.nextBatch();
        if (b === null) {
          this.done = true;
          return;
        }
        // Skip records below the position (a compressed batch may start before it).
        const skip = s.position! - b.header.baseOffset;
        if (skip > 0n) {
          const minDelta = Number(skip);
          while (!b.done) {
            const r = b.next();
            if (r.offsetDelta >= minDelta) {
              this.pending = r;
              break;
            }
          }
          if (this.pending === null) continue;
        }
        s.positionEpoch = b.header.partitionLeaderEpoch >= 0 ? b.header.partitionLeaderEpoch : null;
      }
      let last: ConsumerRecord<unknown, unknown> | null = null;
      while (out.length < max) {
        let r = this.pending;
        if (r !== null) this.pending = null;
        else if (b.done) break;
        else r = b.next();
        if (deKey || deValue) {
          try {
            if (deKey) r.key = keyDe(topic, r.rawKey, r.headers);
            if (deValue) r.value = valueDe(topic, r.rawValue, r.headers);
          } catch (err) {
            // Stay at this record: the next poll tries it again (Java's behaviour).
            this.pending = r;
            s.position = r.offset;
            throw new RecordDeserializationError(topic, partition, r.offset, err);
          }
        }
        out.push(r as ConsumerRecord<K, V>);
        last = r;
      }
      if (last !== null) s.position = b.header.baseOffset + BigInt(last.offsetDelta + 1);
    }
  }
}

export interface FetcherEvents {
  /** New data is buffered (wake a waiting poll). */
  onData(): void;
}

export class Fetcher {
  private readonly cluster: Cluster;
  private readonly subs: SubscriptionState;
  private readonly o: ConsumerSettings;
  private readonly events: FetcherEvents;
  /** Fetch slots (see slotKey) with a Fetch in flight. */
  private readonly inFlight = new Set<number>();
  /** Fetch slots backing off after an error or a throttle, until the given time. */
  private readonly backoffUntil = new Map<number, number>();
  /** Each partition's fetch slot (0 … fetchConnections-1), given in turn per leader as partitions appear. */
  private readonly slotOf = new WeakMap<PartitionState, number>();
  private readonly nextSlot = new Map<number, number>();
  private metadataRefresh: Promise<void> | null = null;
  private readonly topicNames = new Map<string, string>();
  private readonly conns = new Map<number, Promise<BrokerConnection>>();
  /** Fetch sessions (KIP-227) by fetch slot. */
  private readonly sessions = new Map<number, FetchSession>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Rotates which partition poll() drains first, so none starves. */
  private drainStart = 0;

  constructor(cluster: Cluster, subs: SubscriptionState, o: ConsumerSettings, events: FetcherEvents) {
    this.cluster = cluster;
    this.subs = subs;
    this.o = o;
    this.events = events;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const p of this.conns.values()) p.then((c) => c.close(), () => {});
    this.conns.clear();
  }

  /**
   * Fetches use their own connection per broker (as franz-go does): a long-polling
   * Fetch would otherwise hold up ListOffsets, Metadata and commits queued behind it
   * on a shared connection.
   */
  private fetchConnection(key: number): Promise<BrokerConnection> {
    const node = nodeOfSlot(key);
    const existing = this.conns.get(key);
    if (existing !== undefined) {
      return existing.then((c) => {
        if (!c.closed) return c;
        this.conns.delete(key);
        return this.fetchConnection(key);
      });
    }
    const info = this.cluster.brokers().find((x) => x.nodeId === node);
    if (info === undefined) return Promise.reject(new ConnectionError(`node ${node}`, 'node is not in the cluster metadata'));
    const p = BrokerConnection.connect({
      host: info.host,
      port: info.port,
      nodeId: node,
      clientId: this.o.clientId,
      requestTimeoutMs: this.o.requestTimeoutMs,
      connectTimeoutMs: this.o.connectTimeoutMs,
      busyPollUs: this.o.busyPollUs,
    });
    this.conns.set(key, p);
    p.then(
      (c) => {
        if (this.closed) c.close();
      },
      () => this.conns.delete(key),
    );
    return p;
  }

  /** Sends a Fetch to every broker that has fetchable partitions and none in flight. */
  maybeSendFetches(): void {
    if (this.closed) return;
    const now = Date.now();
    const bySlot = new Map<number, PartitionState[]>();
    let missingLeader = false;
    let nextBackoff = Infinity;
    for (const s of this.subs.all()) {
      if (s.paused || s.position === null || s.pendingError !== null || s.buffered.length >= this.o.prefetchDepth) continue;
      const t = this.cluster.cachedTopic(s.topic);
      const p = t?.partitions[s.partition]?.partition === s.partition ? t.partitions[s.partition] : t?.partitions.find((x) => x.partition === s.partition);
      if (p === undefined || p.leader < 0) {
        missingLeader = true;
        continue;
      }
      let slot = this.slotOf.get(s);
      if (slot === undefined) {
        // In turn among the partitions of this leader (kept if the leader moves).
        const n = this.nextSlot.get(p.leader) ?? 0;
        this.nextSlot.set(p.leader, n + 1);
        slot = n % this.o.fetchConnections;
        this.slotOf.set(s, slot);
      }
      const key = slotKey(p.leader, slot);
      if (this.inFlight.has(key)) continue;
      const until = this.backoffUntil.get(key);
      if (until !== undefined && until > now) {
        nextBackoff = Math.min(nextBackoff, until);
        continue;
      }
      let l = bySlot.get(key);
      if (l === undefined) {
        l = [];
        bySlot.set(key, l);
      }
      l.push(s);
    }
    if (missingLeader) this.refreshMetadata();
    if (nextBackoff < Infinity && this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.maybeSendFetches();
      }, Math.max(1, nextBackoff - now));
    }
    for (const [key, states] of bySlot) void this.fetchFrom(key, states);
  }

  /** Refreshes metadata for the assigned topics (one request at a time), then fetches again. */
  refreshMetadata(): void {
    if (this.metadataRefresh !== null || this.closed) return;
    const topics = [...new Set([...this.subs.all()].map((s) => s.topic))];
    this.metadataRefresh = this.cluster
      .refreshMetadata(topics)
      .then(
        () => undefined,
        () => sleep(this.o.retryBackoffMs),
      )
      .then(async () => {
        // Do not spin on a topic without a leader.
        const stillMissing = [...this.subs.all()].some((s) => {
          const t = this.cluster.cachedTopic(s.topic);
          return !t || !t.partitions.some((p) => p.partition === s.partition && p.leader >= 0);
        });
        if (stillMissing) await sleep(this.o.retryBackoffMs);
        this.metadataRefresh = null;
        this.maybeSendFetches();
      });
  }

  private async fetchFrom(key: number, states: PartitionState[]): Promise<void> {
    this.inFlight.add(key);
    const sent = states.map((s) => ({ s, epoch: s.epoch, offset: s.fetchOffset }));
    let useIds = true;
    const next = new Map<string, SessionPartition>();
    for (const s of states) {
      const topicId = this.cluster.cachedTopic(s.topic)?.topicId ?? ZERO_UUID;
      if (topicId === ZERO_UUID) useIds = false;
      else this.topicNames.set(topicId, s.topic);
      next.set(s.key, { topic: s.topic, topicId, partition: s.partition, fetchOffset: s.fetchOffset });
    }
    let session = this.sessions.get(key);
    let res: FetchResponse;
    let full = true;
    try {
      const conn = await this.fetchConnection(key);
      const version = conn.versionFor(FetchApi, useIds ? {} : { maxVersion: 12 });
      if (version < 7) session = undefined;
      full = session === undefined || session.id === 0;
      // KIP-227: a full request opens a session; later ones carry only what changed.
      const toSend = full ? [...next.values()] : [...next].filter(([k, p]) => session!.parts.get(k)?.fetchOffset !== p.fetchOffset).map(([, p]) => p);
      const forgotten = full ? [] : [...session!.parts].filter(([k]) => !next.has(k)).map(([, p]) => p);
      res = await conn.send(
        FetchApi,
        {
          replicaId: -1,
          maxWaitMs: this.o.fetchMaxWaitMs,
          minBytes: this.o.fetchMinBytes,
          maxBytes: this.o.fetchMaxBytes,
          isolationLevel: this.o.isolationLevel,
          sessionId: full ? 0 : session!.id,
          sessionEpoch: version < 7 ? -1 : full ? 0 : session!.epoch,
          topics: groupSessionPartitions(toSend, version).map((t) => ({
            ...t,
            partitions: t.partitions.map((p) => ({ partition: p.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: this.o.maxPartitionFetchBytes, currentLeaderEpoch: -1, logStartOffset: -1n, lastFetchedEpoch: -1 })),
          })),
          forgottenTopicsData: groupSessionPartitions(forgotten, version).map((t) => ({ ...t, partitions: t.partitions.map((p) => p.partition) })),
          rackId: this.o.clientRack ?? '',
        },
        { timeoutMs: this.o.requestTimeoutMs + this.o.fetchMaxWaitMs, version },
      );
    } catch (err) {
      this.inFlight.delete(key);
      this.sessions.delete(key);
      if (this.closed) return;
      for (const s of states) this.cluster.invalidate(s.topic);
      this.backoffUntil.set(key, Date.now() + this.o.retryBackoffMs);
      if (!(err instanceof Error && (err as { retriable?: boolean }).retriable === true)) {
        for (const { s } of sent) if (s.pendingError === null) s.pendingError = err as Error;
        this.events.onData();
      }
      this.maybeSendFetches();
      return;
    }
    if (res.errorCode !== ErrorCode.NONE) {
      this.sessions.delete(key);
    } else if (full) {
      if (res.sessionId !== 0) this.sessions.set(key, { id: res.sessionId, epoch: 1, parts: next });
    } else {
      session!.parts = next;
      session!.epoch = session!.epoch === 0x7fffffff ? 1 : session!.epoch + 1;
    }
    this.inFlight.delete(key);
    if (this.closed) return;
    let gotData = false;
    let backoff = false;
    if (res.errorCode !== ErrorCode.NONE) {
      // A lost or out-of-step fetch session: the next request is a full one, at once.
      backoff = res.errorCode !== ErrorCode.FETCH_SESSION_ID_NOT_FOUND && res.errorCode !== ErrorCode.INVALID_FETCH_SESSION_EPOCH;
    } else {
      for (const t of res.responses) {
        const topic = t.topic !== '' ? t.topic : (this.topicNames.get(t.topicId) ?? '');
        for (const p of t.partitions) {
          const sentOne = sent.find((x) => x.s.topic === topic && x.s.partition === p.partitionIndex);
          if (sentOne === undefined) continue;
          const s = sentOne.s;
          // Seeked, reset or unassigned meanwhile: the response is stale.
          if (s.epoch !== sentOne.epoch || this.subs.stateByKey(s.key) !== s || s.fetchOffset !== sentOne.offset) continue;
          if (p.errorCode === ErrorCode.NONE) {
            s.highWatermark = p.highWatermark;
            s.lastStableOffset = p.lastStableOffset;
            s.logStartOffset = p.logStartOffset;
            const records = p.records;
            if (records === null || records.length === 0) continue;
            const next = nextOffsetAfter(records);
            if (next === null) {
              s.pendingError = KafkaError.from(ErrorCode.MESSAGE_TOO_LARGE, `${s.topic}-${s.partition}: a record batch at offset ${s.fetchOffset} is larger than the fetch size ${this.o.maxPartitionFetchBytes} (max.partition.fetch.bytes)`);
              gotData = true;
              continue;
            }
            if (next > s.fetchOffset) s.fetchOffset = next;
            s.buffered.push(new CompletedFetch(s, records, this.o.isolationLevel === 1 ? p.abortedTransactions : null, this.o.checkCrcs));
            gotData = true;
            continue;
          }
          if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
            if (this.o.autoOffsetReset === 'none') {
              s.pendingError = new OffsetOutOfRangeError([{ topic: s.topic, partition: s.partition, offset: s.fetchOffset }]);
            } else {
              s.requestReset(this.o.autoOffsetReset);
            }
            gotData = true;
            continue;
          }
          const info = errorInfo(p.errorCode);
          if (info.invalidMetadata) {
            this.cluster.invalidate(s.topic);
            this.refreshMetadata();
          } else if (info.retriable) {
            backoff = true;
          } else {
            s.pendingError = KafkaError.from(p.errorCode, `Fetch ${s.topic}-${s.partition} at offset ${s.fetchOffset}`);
            gotData = true;
          }
        }
      }
    }
    // A broker's quota delay (KIP-219: it answered at once and asks the client to wait).
    const waitMs = Math.max(backoff ? this.o.retryBackoffMs : 0, res.throttleTimeMs > 0 ? res.throttleTimeMs : 0);
    if (waitMs > 0) this.backoffUntil.set(key, Date.now() + waitMs);
    if (gotData) this.events.onData();
    this.maybeSendFetches();
  }

  /** Whether any unpaused partition has buffered data or an error for poll(). */
  hasAvailable(): boolean {
    for (const s of this.subs.all()) {
      if (s.pendingError !== null) return true;
      if (!s.paused && s.buffered.length > 0) return true;
    }
    return false;
  }

  /**
   * Drains up to `max` records from buffered responses, partitions in rotating
   * order. Throws a partition's pending error when no records were collected first.
   */
  collect<K, V>(max: number, keyDe: DeserializeFn<K>, valueDe: DeserializeFn<V>, next: Map<string, TopicPartitionOffset>): ConsumerRecord<K, V>[] {
    const out: ConsumerRecord<K, V>[] = [];
    const states = [...this.subs.all()];
    if (states.length === 0) return out;
    const start = this.drainStart++ % states.length;
    let freed = false;
    for (let k = 0; k < states.length && out.length < max; k++) {
      const s = states[(start + k) % states.length]!;
      if (s.pendingError !== null) {
        if (out.length > 0) break;
        const err = s.pendingError;
        if (!(err instanceof OffsetOutOfRangeError)) s.pendingError = null;
        throw err;
      }
      if (s.paused) continue;
      const before = out.length;
      while (s.buffered.length > 0 && out.length < max) {
        const cf = s.buffered[0]!;
        if (cf.epoch !== s.epoch) {
          s.buffered.shift();
          continue;
        }
        try {
          cf.drain(out, max, keyDe, valueDe);
        } catch (err) {
          if (out.length > before || out.length > 0) break;
          throw err;
        }
        if (cf.done) {
          s.buffered.shift();
          freed = true;
        }
      }
      if (out.length > before) next.set(s.key, { topic: s.topic, partition: s.partition, offset: s.position!, leaderEpoch: s.positionEpoch });
    }
    if (freed) this.maybeSendFetches();
    return out;
  }
}

interface SessionPartition {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: bigint;
}

/** The client's view of a broker's fetch session: what the broker holds for it, and the next epoch. */
interface FetchSession {
  id: number;
  epoch: number;
  parts: Map<string, SessionPartition>;
}

/** Partitions by topic, named as the version wants (names up to v12, ids from v13). */
function groupSessionPartitions(parts: readonly SessionPartition[], version: number): { topic?: string; topicId?: string; partitions: SessionPartition[] }[] {
  const m = new Map<string, { topic?: string; topicId?: string; partitions: SessionPartition[] }>();
  for (const p of parts) {
    let t = m.get(p.topic);
    if (t === undefined) {
      t = version >= 13 ? { topicId: p.topicId, partitions: [] } : { topic: p.topic, partitions: [] };
      m.set(p.topic, t);
    }
    t.partitions.push(p);
  }
  return [...m.values()];
}

/** The offset after the last complete batch of a records field; null when no batch is complete. */
function nextOffsetAfter(records: Buffer): bigint | null {
  let pos = 0;
  let next: bigint | null = null;
  for (;;) {
    const loc = nextBatchLocation(records, pos, records.length);
    if (loc === null) return next;
    const base = records.readBigInt64BE(loc.position);
    // Magic 2: base offset + last offset delta; magic 0/1: the entry's offset is its last.
    next = (loc.magic === MAGIC_V2 ? base + BigInt(records.readInt32BE(loc.position + OFFSET_LAST_OFFSET_DELTA)) : base) + 1n;
    pos += loc.size;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
