import * as fs from 'node:fs';
import { ATTR_CONTROL, BATCH_HEADER_SIZE } from '../protocol/records/batch-header.ts';
import { decodeRecordBatch } from '../protocol/records/batch-decoder.ts';
import type { BatchInfo } from './batch-scanner.ts';
import { checkProducerState, prepareBatches } from './append-batches.ts';
import type { Clock } from './clock.ts';
import { systemClock } from './clock.ts';
import { StorageError, StorageErrorCode, storageFailure } from './errors.ts';
import type { FileIO } from './file-io.ts';
import { nodeFileIO } from './file-io.ts';
import { LeaderEpochCache } from './leader-epoch-cache.ts';
import type { LogConfig } from './log-config.ts';
import { isDeleteEnabled } from './log-config.ts';
import { loadSegments } from './log-loader.ts';
import type { FileSlice, SegmentIndexSettings } from './log-segment.ts';
import { LogSegment } from './log-segment.ts';
import { ProducerStateManager } from './producer-state.ts';
import { TxnIndex, controlTypeAt } from './txn-index.ts';
import type { AbortedTxn } from './txn-index.ts';
import type { AppendOptions, AppendResult, PartitionStore, ReadOptions, ReadResult, TimestampAndOffset } from './partition-store.ts';
export type { AppendOptions, AppendResult, ReadOptions, ReadResult, TimestampAndOffset } from './partition-store.ts';

export interface PartitionLogOptions {
  /** The partition directory, `<log dir>/<topic>-<partition>`; created if missing. */
  dir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  clock?: Clock;
  io?: FileIO;
  /** From recovery-point-offset-checkpoint; segments from here on are validated at open. */
  recoveryPoint?: number;
  /** From log-start-offset-checkpoint. */
  logStartOffset?: number;
  /** The log dir had a `.kafka_cleanshutdown` marker: skip recovery. */
  hadCleanShutdown?: boolean;
  producerIdExpirationMs?: number;
}

/**
 * The log of one partition (Kafka's UnifiedLog + LocalLog): an ordered list of
 * segments in `dir`, the last one active. Offsets are JavaScript numbers (exact up to
 * 2^53). All calls are synchronous except flushAsync; the caller serialises them (the
 * broker's event loop does).
 *
 * Other files in the dir: `<offset>.snapshot` (producer state, see producer-state.ts)
 * and `leader-epoch-checkpoint` (see leader-epoch-cache.ts).
 */
export class PartitionLog implements PartitionStore {
  readonly dir: string;
  readonly topic: string;
  readonly partition: number;
  private configValue: LogConfig;
  private readonly clock: Clock;
  private readonly io: FileIO;
  /** Ascending by base offset; never empty; the last is active. */
  private segments: LogSegment[] = [];
  private logStart = 0;
  private logEnd = 0;
  private highWatermarkValue = 0;
  private recoveryPointValue = 0;
  private lastFlushMs: number;
  private flushChain: Promise<void> = Promise.resolve();
  private pendingDeletes = new Map<LogSegment, NodeJS.Timeout | null>();
  private closed = false;
  readonly producerState: ProducerStateManager;
  readonly leaderEpochCache: LeaderEpochCache;
  /** Aborted transactions (`.txnindex` files). */
  readonly txnIndex: TxnIndex;

  private constructor(opts: PartitionLogOptions) {
    this.dir = opts.dir;
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.configValue = opts.config;
    this.clock = opts.clock ?? systemClock;
    this.io = opts.io ?? nodeFileIO;
    this.lastFlushMs = this.clock.nowMs();
    this.producerState = new ProducerStateManager(opts.dir, opts.producerIdExpirationMs);
    this.leaderEpochCache = new LeaderEpochCache(opts.dir);
    this.txnIndex = new TxnIndex(opts.dir);
  }

  /** Opens (or creates) the log, recovering after an unclean stop. */
  static open(opts: PartitionLogOptions): PartitionLog {
    fs.mkdirSync(opts.dir, { recursive: true });
    const log = new PartitionLog(opts);
    const loaded = loadSegments({
      dir: opts.dir,
      io: log.io,
      settings: log.indexSettings(),
      nowMs: log.clock.nowMs(),
      recoveryPoint: opts.recoveryPoint ?? 0,
      logStartOffset: opts.logStartOffset ?? 0,
      hadCleanShutdown: opts.hadCleanShutdown ?? false,
      maxBatchSize: Math.max(opts.config['max.message.bytes'], opts.config['segment.bytes']) + BATCH_HEADER_SIZE,
      onRecoveredBatch: (b) => log.leaderEpochCache.assign(b.partitionLeaderEpoch, b.baseOffset, false),
    });
    log.segments = loaded.segments;
    log.logEnd = loaded.logEndOffset;
    log.logStart = loaded.logStartOffset;
    log.recoveryPointValue = loaded.recoveryPoint;
    log.highWatermarkValue = log.logEnd;
    log.leaderEpochCache.truncateFromEnd(log.logEnd);
    if (log.leaderEpochCache.all.length > 0) log.leaderEpochCache.truncateFromStart(log.logStart);
    log.leaderEpochCache.flushIfDirty();
    log.txnIndex.load(log.logEnd);
    log.loadProducerState();
    return log;
  }

  // ---- state ----

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
    return this.highWatermarkValue;
  }
  /** Without transactions, the last stable offset is the high watermark. */
  /** min(first offset of the oldest open transaction, high watermark). */
  get lastStableOffset(): number {
    const first = this.producerState.firstUnstableOffset();
    return first >= 0 && first < this.highWatermarkValue ? first : this.highWatermarkValue;
  }

  /** Aborted transactions overlapping [from, to) (read_committed fetches). */
  abortedTransactions(from: number, to: number): AbortedTxn[] {
    return this.txnIndex.overlapping(from, to);
  }
  /** Everything below this offset is fsynced. */
  get recoveryPoint(): number {
    return this.recoveryPointValue;
  }
  get activeSegment(): LogSegment {
    return this.segments[this.segments.length - 1];
  }
  get allSegments(): readonly LogSegment[] {
    return this.segments;
  }
  get isClosed(): boolean {
    return this.closed;
  }
  /** Total bytes of the segment files. */
  get sizeBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  /** Clamped to [logStartOffset, logEndOffset]; returns the value set. */
  setHighWatermark(offset: number): number {
    this.highWatermarkValue = Math.min(Math.max(offset, this.logStart), this.logEnd);
    return this.highWatermarkValue;
  }

  /** Raises the high watermark only (followers and the leader's ISR logic). */
  maybeIncrementHighWatermark(offset: number): boolean {
    const clamped = Math.min(offset, this.logEnd);
    if (clamped <= this.highWatermarkValue) return false;
    this.highWatermarkValue = clamped;
    return true;
  }

  updateConfig(config: LogConfig): void {
    this.configValue = config;
    const settings = this.indexSettings();
    for (const s of this.segments) s.settings = settings;
  }

  private indexSettings(): SegmentIndexSettings {
    return { indexIntervalBytes: this.configValue['index.interval.bytes'], maxIndexBytes: this.configValue['segment.index.bytes'] };
  }

  private ensureOpen(): void {
    if (this.closed) throw new StorageError(StorageErrorCode.KAFKA_STORAGE_ERROR, `log ${this.topic}-${this.partition} is closed`);
  }

  // ---- append ----

  /**
   * Appends one or more magic-2 batches (already validated by the produce path).
   * For 'client' origin the batches' base offsets (and leader epoch, and for
   * LogAppendTime the max timestamp + CRC) are patched in `records` in place.
   */
  append(records: Buffer, opts: AppendOptions = {}): AppendResult {
    this.ensureOpen();
    const origin = opts.origin ?? 'client';
    const assignOffsets = origin !== 'replication';
    const config = this.configValue;
    const now = this.clock.nowMs();
    const logAppendTime = assignOffsets && (opts.timestampType ?? config['message.timestamp.type']) === 'LogAppendTime';
    if (records.length > config['segment.bytes']) {
      throw new StorageError(StorageErrorCode.RECORD_LIST_TOO_LARGE, `Records of ${records.length} bytes exceed segment.bytes ${config['segment.bytes']} of ${this.topic}-${this.partition}`);
    }
    const { batches, recordCount: count } = prepareBatches(records, {
      logEndOffset: this.logEnd,
      assignOffsets,
      leaderEpoch: opts.leaderEpoch,
      logAppendTimeMs: logAppendTime ? now : null,
      maxMessageBytes: config['max.message.bytes'],
      name: `${this.topic}-${this.partition}`,
    });
    if (batches.length === 0) {
      return { baseOffset: this.logEnd, lastOffset: this.logEnd - 1, logAppendTimeMs: -1, logStartOffset: this.logStart, duplicate: false, recordCount: 0 };
    }
    const first = batches[0];
    const last = batches[batches.length - 1];

    const session = this.producerState.beginAppend();
    let aborts: AbortedTxn[] | null = null;
    for (const b of batches) {
      if ((b.attributes & ATTR_CONTROL) === 0 || b.producerId < 0) continue;
      const first = this.producerState.entry(b.producerId)?.currentTxnFirstOffset ?? -1;
      if (first >= 0 && controlTypeAt(records, b.position) === 0) {
        (aborts ??= []).push({ producerId: b.producerId, firstOffset: first, lastOffset: b.lastOffset, lastStableOffset: -1 });
      }
    }
    const dup = checkProducerState(session, batches, origin);
    if (dup) return { ...dup, logStartOffset: this.logStart };

    let maxTs = -1;
    for (const b of batches) if (b.maxTimestamp > maxTs) maxTs = b.maxTimestamp;
    const roll = this.activeSegment.shouldRoll({
      bytes: records.length,
      lastOffset: last.lastOffset,
      maxTimestamp: maxTs,
      nowMs: now,
      segmentBytes: config['segment.bytes'],
      segmentMs: config['segment.ms'],
      jitterMs: config['segment.jitter.ms'],
    });
    if (roll) this.roll(first.baseOffset);

    this.activeSegment.append(records, batches, config['index.interval.bytes']);
    for (const b of batches) {
      if (b.partitionLeaderEpoch > this.leaderEpochCache.latestEpoch()) this.leaderEpochCache.assign(b.partitionLeaderEpoch, b.baseOffset);
    }
    this.logEnd = last.lastOffset + 1;
    this.producerState.commit(session, this.logEnd);
    if (aborts) {
      const fu = this.producerState.firstUnstableOffset();
      for (const a of aborts) {
        a.lastStableOffset = fu >= 0 ? fu : a.lastOffset + 1;
        this.txnIndex.append(a, this.activeSegment.baseOffset);
      }
    }
    if (this.logEnd - this.recoveryPointValue >= config['flush.messages']) this.flush();
    return {
      baseOffset: first.baseOffset,
      lastOffset: last.lastOffset,
      logAppendTimeMs: logAppendTime ? now : -1,
      logStartOffset: this.logStart,
      duplicate: false,
      recordCount: count,
    };
  }

  // ---- read ----

  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid].baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The segment that would hold `offset` (the last with baseOffset ≤ offset). */
  segmentFor(offset: number): LogSegment {
    return this.segments[this.segmentIndexFor(offset)];
  }

  private outOfRange(offset: number): StorageError {
    return new StorageError(
      StorageErrorCode.OFFSET_OUT_OF_RANGE,
      `Offset ${offset} is out of range for ${this.topic}-${this.partition}: log start offset ${this.logStart}, log end offset ${this.logEnd}`,
    );
  }

  /**
   * Whole batches from the one holding `fetchOffset`, up to `maxBytes` (see
   * ReadOptions). OFFSET_OUT_OF_RANGE outside [logStartOffset, logEndOffset].
   * Slices stay readable until the segment is deleted (plus file.delete.delay.ms).
   */
  read(fetchOffset: number, maxBytes: number, opts: ReadOptions = {}): ReadResult {
    this.ensureOpen();
    if (fetchOffset < this.logStart || fetchOffset > this.logEnd) throw this.outOfRange(fetchOffset);
    const result: ReadResult = {
      slices: [],
      sizeBytes: 0,
      highWatermark: this.highWatermarkValue,
      lastStableOffset: this.lastStableOffset,
      logStartOffset: this.logStart,
      logEndOffset: this.logEnd,
    };
    const maxOffset = Math.min(opts.maxOffset ?? this.logEnd, this.logEnd);
    if (fetchOffset >= maxOffset) return result;
    const minOneBatch = opts.minOneBatch ?? true;
    let remaining = maxBytes;
    let start = fetchOffset;
    for (let i = this.segmentIndexFor(fetchOffset); i < this.segments.length; i++) {
      const seg = this.segments[i];
      const next = this.segments[i + 1];
      let maxPosition = seg.size;
      if (maxOffset < this.logEnd && (!next || next.baseOffset > maxOffset)) {
        const m = seg.translateOffset(maxOffset);
        if (m) maxPosition = m.position;
      }
      const r = seg.read(start, remaining, maxPosition, minOneBatch && result.slices.length === 0);
      if (r) {
        result.slices.push(r.slice);
        result.sizeBytes += r.slice.size;
        remaining -= r.slice.size;
      } else {
        const there = seg.translateOffset(start);
        if (there && there.position < maxPosition) break; // a batch is there but does not fit the byte budget
      }
      if (!next || next.baseOffset >= maxOffset || remaining < BATCH_HEADER_SIZE) break;
      start = next.baseOffset;
    }
    return result;
  }

  /**
   * Reads the bytes of slices into one buffer (from `alloc`, default a fresh one).
   * A short read (a segment truncated meanwhile) returns what was read.
   */
  static readSlices(slices: readonly FileSlice[], alloc: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
    if (slices.length === 1 && slices[0]!.buffer) {
      const s = slices[0]!;
      return s.buffer!.subarray(s.position, s.position + s.size);
    }
    let total = 0;
    for (const s of slices) total += s.size;
    const out = alloc(total);
    let at = 0;
    for (const s of slices) {
      if (s.buffer) {
        s.buffer.copy(out, at, s.position, s.position + s.size);
        at += s.size;
        continue;
      }
      let done = 0;
      while (done < s.size) {
        const n = fs.readSync(s.fd, out, at + done, s.size - done, s.position + done);
        if (n <= 0) break;
        done += n;
      }
      at += done;
      if (done < s.size) break;
    }
    return at === total ? out : out.subarray(0, at);
  }

  // ---- offset lookups (ListOffsets) ----

  /** First record with timestamp ≥ `timestamp` (at or after the log start), or null. */
  offsetForTimestamp(timestamp: number): TimestampAndOffset | null {
    this.ensureOpen();
    for (let i = this.segmentIndexFor(this.logStart); i < this.segments.length; i++) {
      const seg = this.segments[i];
      if (seg.maxTimestampSoFar < timestamp) continue;
      const batch = seg.findBatchByTimestamp(timestamp, this.logStart);
      if (!batch) continue;
      const rec = this.findRecord(seg, batch, (off, ts) => ts >= timestamp && off >= this.logStart);
      if (rec) return rec;
    }
    return null;
  }

  /** The record with the largest timestamp (ListOffsets MAX_TIMESTAMP), or null when empty. */
  maxTimestampOffset(): TimestampAndOffset | null {
    this.ensureOpen();
    let best: LogSegment | null = null;
    for (const seg of this.segments) {
      if (seg.size > 0 && seg.maxTimestampSoFar >= 0 && (!best || seg.maxTimestampSoFar > best.maxTimestampSoFar)) best = seg;
    }
    if (!best) return null;
    const maxTs = best.maxTimestampSoFar;
    const batch = best.translateOffset(best.offsetOfMaxTimestampSoFar);
    if (!batch) return null;
    return this.findRecord(best, batch, (_off, ts) => ts === maxTs) ?? { timestamp: maxTs, offset: batch.lastOffset, leaderEpoch: batch.partitionLeaderEpoch };
  }

  /** OffsetsForLeaderEpoch: the end offset of `epoch` (Kafka's LeaderEpochFileCache.endOffsetFor). */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    return this.leaderEpochCache.endOffsetFor(epoch, this.logEnd);
  }

  /** The leader epoch of the batch holding `offset` via the epoch cache (-1 unknown). */
  epochForOffset(offset: number): number {
    return this.leaderEpochCache.epochForOffset(offset);
  }

  private findRecord(seg: LogSegment, batch: BatchInfo, match: (offset: number, ts: number) => boolean): TimestampAndOffset | null {
    const bytes = seg.readBytes(batch.position, batch.size);
    const decoded = decodeRecordBatch(bytes, 0, { verifyCrc: false });
    for (const r of decoded.records) {
      const off = batch.baseOffset + r.offsetDelta;
      const ts = r.timestampMs;
      if (match(off, ts)) return { timestamp: ts, offset: off, leaderEpoch: batch.partitionLeaderEpoch };
    }
    return null;
  }

  // ---- roll, flush ----

  /** Starts a new active segment at `baseOffset` (default: the log end offset). */
  roll(baseOffset?: number): LogSegment {
    this.ensureOpen();
    const newOffset = Math.max(baseOffset ?? this.logEnd, this.logEnd);
    const active = this.activeSegment;
    if (active.baseOffset === newOffset && active.size === 0) return active;
    if (active.baseOffset >= newOffset) {
      throw new StorageError(StorageErrorCode.KAFKA_STORAGE_ERROR, `Cannot roll ${this.topic}-${this.partition} to ${newOffset}: active segment starts at ${active.baseOffset}`);
    }
    const seg = LogSegment.create(this.dir, newOffset, this.io, this.indexSettings(), this.clock.nowMs());
    try {
      active.onBecomeInactive();
    } catch {
      // index entries stay in memory; the next flush writes them
    }
    this.segments.push(seg);
    this.producerState.updateMapEndOffset(this.logEnd);
    try {
      this.producerState.takeSnapshot(false);
    } catch {
      // a missing snapshot only lengthens the replay after a crash
    }
    if (this.segments.length > 3) this.segments[this.segments.length - 4].unloadIndexes();
    // Kafka flushes the segment it just closed off the append path.
    void this.flushUpToAsync(newOffset).catch(() => {});
    return seg;
  }

  /** fsyncs everything up to the log end offset now (flush.messages policy, shutdown). */
  flush(): void {
    this.ensureOpen();
    const target = this.logEnd;
    const active = this.activeSegment;
    for (let i = this.segmentIndexFor(this.recoveryPointValue); i < this.segments.length; i++) this.segments[i].flush(this.segments[i] !== active);
    if (target > this.recoveryPointValue) this.recoveryPointValue = target;
    this.lastFlushMs = this.clock.nowMs();
  }

  /** fsync off the event loop; the recovery point advances when it completes. */
  flushAsync(): Promise<void> {
    return this.flushUpToAsync(this.logEnd);
  }

  private flushUpToAsync(target: number): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.closed || target <= this.recoveryPointValue) return;
      const segs = this.segments.filter((s, i) => {
        const next = this.segments[i + 1];
        return (!next || next.baseOffset > this.recoveryPointValue) && s.baseOffset < target;
      });
      for (const s of segs) if (!s.isClosed) await s.flushAsync();
      if (target > this.recoveryPointValue) this.recoveryPointValue = Math.min(target, this.logEnd);
      this.lastFlushMs = this.clock.nowMs();
    };
    this.flushChain = this.flushChain.then(run, run);
    return this.flushChain;
  }

  /** flush.ms policy: called periodically by the LogManager. */
  maybeFlushByTime(): Promise<void> | null {
    if (this.closed || this.logEnd <= this.recoveryPointValue) return null;
    if (this.clock.nowMs() - this.lastFlushMs < this.configValue['flush.ms']) return null;
    return this.flushAsync();
  }

  // ---- retention, DeleteRecords ----

  /**
   * DeleteRecords: moves the log start offset to `offset` (≤ high watermark) and
   * deletes the segments wholly below it. Returns the new log start offset.
   */
  deleteRecordsBefore(offset: number): number {
    this.ensureOpen();
    if (offset > this.highWatermarkValue || offset < 0) {
      throw new StorageError(StorageErrorCode.OFFSET_OUT_OF_RANGE, `Cannot increment the log start offset of ${this.topic}-${this.partition} to ${offset}: it is larger than the high watermark ${this.highWatermarkValue}`);
    }
    this.maybeIncrementLogStartOffset(offset);
    this.deleteLogStartOffsetBreachedSegments();
    return this.logStart;
  }

  private maybeIncrementLogStartOffset(offset: number): void {
    if (offset <= this.logStart) return;
    this.logStart = offset;
    this.leaderEpochCache.truncateFromStart(offset);
  }

  /** Kafka's deleteOldSegments: retention.ms, retention.bytes (when cleanup.policy has delete) and log start offset. */
  deleteOldSegments(): number {
    if (this.closed) return 0;
    let n = this.deleteLogStartOffsetBreachedSegments();
    if (isDeleteEnabled(this.configValue)) n += this.deleteRetentionMsBreachedSegments() + this.deleteRetentionSizeBreachedSegments();
    return n;
  }

  private deleteLogStartOffsetBreachedSegments(): number {
    return this.deleteSegmentsWhile((_seg, next) => next !== undefined && next.baseOffset <= this.logStart, 'log start offset');
  }

  private deleteRetentionMsBreachedSegments(): number {
    const retentionMs = this.configValue['retention.ms'];
    if (retentionMs < 0) return 0;
    const now = this.clock.nowMs();
    return this.deleteSegmentsWhile((seg) => now - seg.largestTimestamp() > retentionMs, 'retention.ms');
  }

  private deleteRetentionSizeBreachedSegments(): number {
    const retentionBytes = this.configValue['retention.bytes'];
    if (retentionBytes < 0) return 0;
    let diff = this.sizeBytes - retentionBytes;
    if (diff <= 0) return 0;
    return this.deleteSegmentsWhile((seg) => {
      if (diff - seg.size >= 0) {
        diff -= seg.size;
        return true;
      }
      return false;
    }, 'retention.bytes');
  }

  /** Deletes oldest segments while `predicate` holds and they lie below the high watermark. */
  private deleteSegmentsWhile(predicate: (seg: LogSegment, next: LogSegment | undefined) => boolean, _reason: string): number {
    const deletable: LogSegment[] = [];
    for (let i = 0; i < this.segments.length; i++) {
      const seg = this.segments[i];
      const next = this.segments[i + 1];
      const upperBound = next ? next.baseOffset : this.logEnd;
      const isLastAndEmpty = !next && seg.size === 0;
      if (this.highWatermarkValue >= upperBound && !isLastAndEmpty && predicate(seg, next)) deletable.push(seg);
      else break;
    }
    if (deletable.length === 0) return 0;
    // Never delete the active segment: roll first so an empty one takes its place.
    if (deletable.length === this.segments.length) this.roll();
    this.removeSegments(deletable);
    this.maybeIncrementLogStartOffset(this.segments[0].baseOffset);
    return deletable.length;
  }

  /** For the cleaner: drops non-active segments (empty after cleaning). */
  removeSegmentsInternal(toDelete: readonly LogSegment[]): void {
    this.removeSegments(toDelete.filter((s) => s !== this.activeSegment));
  }

  /** Renames to `.deleted` now, closes and unlinks after file.delete.delay.ms. */
  private removeSegments(toDelete: readonly LogSegment[]): void {
    const set = new Set(toDelete);
    this.segments = this.segments.filter((s) => !set.has(s));
    for (const seg of toDelete) {
      try {
        seg.changeSuffix('', '.deleted');
      } catch (e) {
        throw storageFailure('renaming segment for deletion', seg.path, e);
      }
      this.producerState.deleteSnapshot(seg.baseOffset);
      if (!this.segments.some((s) => s.baseOffset === seg.baseOffset)) this.txnIndex.deleteFor(seg.baseOffset);
      this.scheduleDelete(seg);
    }
  }

  private scheduleDelete(seg: LogSegment): void {
    const delayMs = this.configValue['file.delete.delay.ms'];
    const doDelete = (): void => {
      this.pendingDeletes.delete(seg);
      seg.closeQuietly();
      seg.deleteFiles();
    };
    if (delayMs <= 0) {
      doDelete();
      return;
    }
    const t = setTimeout(doDelete, delayMs);
    t.unref();
    this.pendingDeletes.set(seg, t);
  }

  /** An empty segment with `.cleaned` files for the cleaner's output. Internal to storage. */
  createCleanedSegment(baseOffset: number): LogSegment {
    return LogSegment.create(this.dir, baseOffset, this.io, this.indexSettings(), this.clock.nowMs(), '.cleaned');
  }

  /** Replaces `oldSegments` with `newSegment` (the cleaner's `.swap` step). Internal to storage. */
  replaceSegments(newSegment: LogSegment, oldSegments: readonly LogSegment[]): void {
    const set = new Set(oldSegments);
    const idx = this.segments.findIndex((s) => set.has(s));
    this.segments = this.segments.filter((s) => !set.has(s));
    for (const seg of oldSegments) {
      seg.changeSuffix('', '.deleted');
    }
    newSegment.changeSuffix('.swap', '');
    this.segments.splice(idx, 0, newSegment);
    for (const seg of oldSegments) this.scheduleDelete(seg);
  }

  // ---- truncation (replication) ----

  /** Removes everything at and after `offset` (follower truncation). */
  truncateTo(offset: number): void {
    this.ensureOpen();
    if (offset >= this.logEnd) return;
    if (offset < this.segments[0].baseOffset) {
      this.truncateFullyAndStartAt(offset);
      return;
    }
    const doomed = this.segments.filter((s) => s.baseOffset > offset);
    if (doomed.length > 0) this.removeSegments(doomed);
    this.activeSegment.truncateTo(offset);
    this.logEnd = this.activeSegment.nextOffset;
    this.afterTruncation();
  }

  /** Deletes all data and restarts the log at `offset`. */
  truncateFullyAndStartAt(offset: number): void {
    this.ensureOpen();
    this.removeSegments(this.segments.slice());
    this.segments = [LogSegment.create(this.dir, offset, this.io, this.indexSettings(), this.clock.nowMs())];
    this.logEnd = offset;
    this.logStart = offset;
    this.leaderEpochCache.clear();
    this.producerState.deleteSnapshotsAbove(-1);
    this.afterTruncation();
  }

  private afterTruncation(): void {
    this.highWatermarkValue = Math.min(this.highWatermarkValue, this.logEnd);
    this.recoveryPointValue = Math.min(this.recoveryPointValue, this.logEnd);
    this.logStart = Math.min(this.logStart, this.logEnd);
    this.leaderEpochCache.truncateFromEnd(this.logEnd);
    this.txnIndex.truncateTo(this.logEnd);
    this.loadProducerState();
  }

  // ---- producer state ----

  /** Loads the newest snapshot ≤ LEO and replays batches from there to the log end. */
  private loadProducerState(): void {
    this.producerState.deleteSnapshotsAbove(this.logEnd);
    const from = this.producerState.loadLatestSnapshot(this.segments[0].baseOffset, this.logEnd);
    if (from < this.logEnd) {
      for (let i = this.segmentIndexFor(from); i < this.segments.length; i++) {
        const seg = this.segments[i];
        const start = seg.baseOffset >= from ? null : seg.translateOffset(from);
        seg.scan({ from: start ? start.position : 0 }, (b) => {
          if (b.lastOffset < from) return;
          // An ABORT marker whose .txnindex entry was lost (crash between the two writes).
          if ((b.attributes & ATTR_CONTROL) !== 0 && b.producerId >= 0 && !this.txnIndex.has(b.lastOffset)) {
            const first = this.producerState.entry(b.producerId)?.currentTxnFirstOffset ?? -1;
            if (first >= 0 && controlTypeAt(seg.readBytes(b.position, b.size), 0) === 0) {
              this.producerState.replay(b);
              const fu = this.producerState.firstUnstableOffset();
              this.txnIndex.append({ producerId: b.producerId, firstOffset: first, lastOffset: b.lastOffset, lastStableOffset: fu >= 0 ? fu : b.lastOffset + 1 }, seg.baseOffset);
              return;
            }
          }
          this.producerState.replay(b);
        });
      }
    }
    this.producerState.updateMapEndOffset(this.logEnd);
  }

  /** Expires idle producers (producer.id.expiration.ms). */
  removeExpiredProducers(): number {
    return this.producerState.removeExpiredProducers(this.clock.nowMs());
  }

  // ---- close ----

  /**
   * Clean close: fsync, snapshot producer state at the log end, persist indexes,
   * close files, and finish pending deletions.
   */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
      this.producerState.updateMapEndOffset(this.logEnd);
      this.producerState.takeSnapshot(true);
      this.leaderEpochCache.flush();
    } finally {
      this.closed = true;
      for (const s of this.segments) s.close();
      this.finishPendingDeletes();
    }
  }

  /** Closes file descriptors without flushing or snapshots (a crash, in tests; or a failed dir). */
  closeUnclean(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.segments) s.closeQuietly();
    this.finishPendingDeletes();
  }

  private finishPendingDeletes(): void {
    for (const [seg, t] of this.pendingDeletes) {
      if (t) clearTimeout(t);
      seg.closeQuietly();
      seg.deleteFiles();
    }
    this.pendingDeletes.clear();
  }

  /** Closes and removes the whole directory (topic deletion; LogManager renames first). */
  closeAndDeleteFiles(): void {
    this.closeUnclean();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
