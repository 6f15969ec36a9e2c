import { decodeRecordBatch } from '../protocol/records/batch-decoder.ts';
import { checkProducerState, prepareBatches } from './append-batches.ts';
import type { BatchInfo } from './batch-scanner.ts';
import type { Clock } from './clock.ts';
import { systemClock } from './clock.ts';
import { StorageError, StorageErrorCode } from './errors.ts';
import { LeaderEpochCache } from './leader-epoch-cache.ts';
import type { LogConfig } from './log-config.ts';
import { isDeleteEnabled } from './log-config.ts';
import type { AppendOptions, AppendResult, PartitionStore, ReadOptions, ReadResult, TimestampAndOffset } from './partition-store.ts';
import { ProducerStateManager } from './producer-state.ts';

interface StoredBatch {
  info: BatchInfo;
  bytes: Buffer;
}

/**
 * The in-memory engine: the same append/read/offset semantics as PartitionLog
 * (offset assignment, producer-state checks, whole-batch reads, OFFSET_OUT_OF_RANGE,
 * time lookups, DeleteRecords, truncation) without files, for deterministic
 * simulation and fast tests. Retention works per batch instead of per segment, and
 * there is no compaction, flushing or recovery. Read slices carry `buffer`.
 */
export class MemoryPartitionLog implements PartitionStore {
  readonly topic: string;
  readonly partition: number;
  private configValue: LogConfig;
  private readonly clock: Clock;
  private batches: StoredBatch[] = [];
  private logStart = 0;
  private logEnd = 0;
  private hw = 0;
  private bytes = 0;
  private closed = false;
  readonly producerState: ProducerStateManager;
  readonly leaderEpochCache = new LeaderEpochCache(null);

  constructor(opts: { topic: string; partition: number; config: LogConfig; clock?: Clock; producerIdExpirationMs?: number; startOffset?: number }) {
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.configValue = opts.config;
    this.clock = opts.clock ?? systemClock;
    this.producerState = new ProducerStateManager('', opts.producerIdExpirationMs);
    this.logStart = this.logEnd = this.hw = opts.startOffset ?? 0;
    this.producerState.clear(this.logEnd);
  }

  get config(): LogConfig {
    return this.configValue;
  }
  get logStartOffset(): number {
    return this.logStart;
  }
  get logEndOffset(): number {
    return this.logEnd;
  }
  get highWatermark(): number {
    return this.hw;
  }
  get lastStableOffset(): number {
    return this.hw;
  }
  get isClosed(): boolean {
    return this.closed;
  }
  get sizeBytes(): number {
    return this.bytes;
  }

  private ensureOpen(): void {
    if (this.closed) throw new StorageError(StorageErrorCode.KAFKA_STORAGE_ERROR, `log ${this.topic}-${this.partition} is closed`);
  }

  append(records: Buffer, opts: AppendOptions = {}): AppendResult {
    this.ensureOpen();
    const origin = opts.origin ?? 'client';
    const assignOffsets = origin !== 'replication';
    const now = this.clock.nowMs();
    const logAppendTime = assignOffsets && (opts.timestampType ?? this.configValue['message.timestamp.type']) === 'LogAppendTime';
    if (records.length > this.configValue['segment.bytes']) {
      throw new StorageError(StorageErrorCode.RECORD_LIST_TOO_LARGE, `Records of ${records.length} bytes exceed segment.bytes of ${this.topic}-${this.partition}`);
    }
    const { batches, recordCount } = prepareBatches(records, {
      logEndOffset: this.logEnd,
      assignOffsets,
      leaderEpoch: opts.leaderEpoch,
      logAppendTimeMs: logAppendTime ? now : null,
      maxMessageBytes: this.configValue['max.message.bytes'],
      name: `${this.topic}-${this.partition}`,
    });
    if (batches.length === 0) {
      return { baseOffset: this.logEnd, lastOffset: this.logEnd - 1, logAppendTimeMs: -1, logStartOffset: this.logStart, duplicate: false, recordCount: 0 };
    }
    const session = this.producerState.beginAppend();
    const dup = checkProducerState(session, batches, origin);
    if (dup) return { ...dup, logStartOffset: this.logStart };
    for (const b of batches) {
      const copy = Buffer.from(records.subarray(b.position, b.position + b.size));
      this.batches.push({ info: { ...b, position: 0 }, bytes: copy });
      this.bytes += b.size;
      if (b.partitionLeaderEpoch > this.leaderEpochCache.latestEpoch()) this.leaderEpochCache.assign(b.partitionLeaderEpoch, b.baseOffset);
    }
    this.logEnd = batches[batches.length - 1].lastOffset + 1;
    this.producerState.commit(session, this.logEnd);
    return {
      baseOffset: batches[0].baseOffset,
      lastOffset: batches[batches.length - 1].lastOffset,
      logAppendTimeMs: logAppendTime ? now : -1,
      logStartOffset: this.logStart,
      duplicate: false,
      recordCount,
    };
  }

  /** Index of the first batch whose last offset is ≥ offset (batches.length if none). */
  private indexFor(offset: number): number {
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.batches[mid].info.lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  read(fetchOffset: number, maxBytes: number, opts: ReadOptions = {}): ReadResult {
    this.ensureOpen();
    if (fetchOffset < this.logStart || fetchOffset > this.logEnd) {
      throw new StorageError(StorageErrorCode.OFFSET_OUT_OF_RANGE, `Offset ${fetchOffset} is out of range for ${this.topic}-${this.partition}: log start offset ${this.logStart}, log end offset ${this.logEnd}`);
    }
    const result: ReadResult = { slices: [], sizeBytes: 0, highWatermark: this.hw, lastStableOffset: this.hw, logStartOffset: this.logStart, logEndOffset: this.logEnd };
    const maxOffset = Math.min(opts.maxOffset ?? this.logEnd, this.logEnd);
    const minOneBatch = opts.minOneBatch ?? true;
    for (let i = this.indexFor(fetchOffset); i < this.batches.length; i++) {
      const b = this.batches[i];
      if (b.info.lastOffset >= maxOffset) break;
      const fits = result.sizeBytes + b.info.size <= maxBytes;
      if (!fits && !(minOneBatch && result.slices.length === 0)) break;
      result.slices.push({ fd: -1, path: '<memory>', position: 0, size: b.info.size, buffer: b.bytes });
      result.sizeBytes += b.info.size;
      if (!fits) break;
    }
    return result;
  }

  setHighWatermark(offset: number): number {
    this.hw = Math.min(Math.max(offset, this.logStart), this.logEnd);
    return this.hw;
  }

  maybeIncrementHighWatermark(offset: number): boolean {
    const clamped = Math.min(offset, this.logEnd);
    if (clamped <= this.hw) return false;
    this.hw = clamped;
    return true;
  }

  private findRecord(b: StoredBatch, match: (offset: number, ts: number) => boolean): TimestampAndOffset | null {
    for (const r of decodeRecordBatch(b.bytes, 0, { verifyCrc: false }).records) {
      const off = b.info.baseOffset + r.offsetDelta;
      if (match(off, r.timestampMs)) return { offset: off, timestamp: r.timestampMs, leaderEpoch: b.info.partitionLeaderEpoch };
    }
    return null;
  }

  offsetForTimestamp(timestamp: number): TimestampAndOffset | null {
    for (let i = this.indexFor(this.logStart); i < this.batches.length; i++) {
      const b = this.batches[i];
      if (b.info.maxTimestamp < timestamp) continue;
      const r = this.findRecord(b, (off, ts) => ts >= timestamp && off >= this.logStart);
      if (r) return r;
    }
    return null;
  }

  maxTimestampOffset(): TimestampAndOffset | null {
    let best: StoredBatch | null = null;
    for (const b of this.batches) if (!best || b.info.maxTimestamp > best.info.maxTimestamp) best = b;
    if (!best || best.info.maxTimestamp < 0) return null;
    const maxTs = best.info.maxTimestamp;
    return this.findRecord(best, (_o, ts) => ts === maxTs) ?? { offset: best.info.lastOffset, timestamp: maxTs, leaderEpoch: best.info.partitionLeaderEpoch };
  }

  epochForOffset(offset: number): number {
    return this.leaderEpochCache.epochForOffset(offset);
  }

  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    return this.leaderEpochCache.endOffsetFor(epoch, this.logEnd);
  }

  private dropFront(n: number): void {
    for (let i = 0; i < n; i++) this.bytes -= this.batches[i].info.size;
    this.batches = this.batches.slice(n);
  }

  deleteRecordsBefore(offset: number): number {
    this.ensureOpen();
    if (offset > this.hw || offset < 0) {
      throw new StorageError(StorageErrorCode.OFFSET_OUT_OF_RANGE, `Cannot increment the log start offset of ${this.topic}-${this.partition} to ${offset}: it is larger than the high watermark ${this.hw}`);
    }
    if (offset > this.logStart) {
      this.logStart = offset;
      this.leaderEpochCache.truncateFromStart(offset);
      this.dropFront(this.indexFor(offset));
    }
    return this.logStart;
  }

  /** Per-batch retention (retention.ms, retention.bytes), below the high watermark only. */
  deleteOldSegments(): number {
    if (!isDeleteEnabled(this.configValue)) return 0;
    const now = this.clock.nowMs();
    const retentionMs = this.configValue['retention.ms'];
    const retentionBytes = this.configValue['retention.bytes'];
    let n = 0;
    let size = this.bytes;
    while (n < this.batches.length) {
      const b = this.batches[n].info;
      if (b.lastOffset >= this.hw) break;
      const byTime = retentionMs >= 0 && now - b.maxTimestamp > retentionMs;
      const bySize = retentionBytes >= 0 && size - b.size >= retentionBytes;
      if (!byTime && !bySize) break;
      size -= b.size;
      n++;
    }
    if (n > 0) {
      this.logStart = Math.max(this.logStart, this.batches[n - 1].info.lastOffset + 1);
      this.dropFront(n);
      this.leaderEpochCache.truncateFromStart(this.logStart);
    }
    return n;
  }

  truncateTo(offset: number): void {
    this.ensureOpen();
    if (offset >= this.logEnd) return;
    const keep = this.indexFor(offset);
    const cut = this.batches[keep]?.info.baseOffset ?? offset;
    for (let i = keep; i < this.batches.length; i++) this.bytes -= this.batches[i].info.size;
    this.batches = this.batches.slice(0, keep);
    this.logEnd = keep > 0 ? this.batches[keep - 1].info.lastOffset + 1 : Math.min(cut, offset);
    this.logStart = Math.min(this.logStart, this.logEnd);
    this.hw = Math.min(this.hw, this.logEnd);
    this.leaderEpochCache.truncateFromEnd(this.logEnd);
    this.producerState.clear(this.batches.length > 0 ? this.batches[0].info.baseOffset : this.logEnd);
    for (const b of this.batches) this.producerState.replay(b.info);
    this.producerState.updateMapEndOffset(this.logEnd);
  }

  truncateFullyAndStartAt(offset: number): void {
    this.ensureOpen();
    this.batches = [];
    this.bytes = 0;
    this.logStart = this.logEnd = this.hw = offset;
    this.leaderEpochCache.clear();
    this.producerState.clear(offset);
  }

  removeExpiredProducers(): number {
    return this.producerState.removeExpiredProducers(this.clock.nowMs());
  }

  updateConfig(config: LogConfig): void {
    this.configValue = config;
  }

  close(): void {
    this.closed = true;
  }
}
