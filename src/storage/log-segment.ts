import * as fs from 'node:fs';
import { BATCH_HEADER_SIZE } from '../protocol/records/batch-header.ts';
import type { BatchInfo, ScanEnd } from './batch-scanner.ts';
import { scanFile } from './batch-scanner.ts';
import { storageFailure } from './errors.ts';
import type { FileIO } from './file-io.ts';
import { writeFully } from './file-io.ts';
import { OffsetIndex, TimeIndex } from './index-file.ts';
import { indexFile, logFile, timeIndexFile } from './log-files.ts';

/**
 * A byte range that the fetch path sends as it is: `size` bytes at `position` of the
 * file open as `fd`. The in-memory engine sets `buffer` instead (fd -1): the bytes
 * are then buffer[position, position + size).
 */
export interface FileSlice {
  fd: number;
  path: string;
  position: number;
  size: number;
  buffer?: Buffer;
}

export interface SegmentIndexSettings {
  indexIntervalBytes: number;
  maxIndexBytes: number;
}

/**
 * One segment of a partition log: the records from `baseOffset` up to the next
 * segment's base offset.
 *
 * On-disk contract (Kafka's):
 * - `<baseOffset:20 digits>.log`: magic-2 record batches back to back, exactly as the
 *   producer sent them except for the patched base offset (and partition leader epoch,
 *   and for LogAppendTime the max timestamp + CRC). Offsets ascend strictly across
 *   batches; gaps are allowed (compaction).
 * - `.index`: sparse offset index, 8-byte entries (relative offset int32, position
 *   int32), one per `index.interval.bytes` of log, at batch starts (see OffsetIndex).
 * - `.timeindex`: 12-byte entries (timestamp int64, relative offset int32), appended
 *   with the index entries when the segment's max timestamp grew, plus one at roll
 *   and close (see TimeIndex).
 * Index files are append-only, never preallocated; they may lag the log after a crash
 * and are rebuilt by recovery. Offsets relative to baseOffset must fit in int32, so a
 * segment rolls before that overflows.
 *
 * Appends are positional writes at the end of the file; reads return file ranges.
 * A failed write truncates the file back to its previous size, so acknowledged data
 * is never damaged by a failed append.
 */
export class LogSegment {
  readonly baseOffset: number;
  readonly dir: string;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  private readonly io: FileIO;
  private logPath: string;
  private fd: number;
  private sizeBytes: number;
  private bytesSinceLastIndexEntry = 0;
  private maxTimestampCache: number | null = null;
  private offsetOfMaxTimestampCache = -1;
  private nextOffsetCache: number | null = null;
  /** Max timestamp of the first batch appended, for time-based rolling (Kafka's rollingBasedTimestamp). */
  private rollingBasedTimestamp: number | null = null;
  readonly createdMs: number;
  private closed = false;
  /** Index settings in force; the owning log updates them when the topic config changes. */
  settings: SegmentIndexSettings;

  private constructor(dir: string, baseOffset: number, io: FileIO, fd: number, size: number, logPath: string, settings: SegmentIndexSettings, fresh: boolean, createdMs: number, suffix: string) {
    this.dir = dir;
    this.baseOffset = baseOffset;
    this.io = io;
    this.fd = fd;
    this.sizeBytes = size;
    this.logPath = logPath;
    this.createdMs = createdMs;
    this.settings = settings;
    this.offsetIndex = new OffsetIndex(indexFile(dir, baseOffset, suffix), baseOffset, settings.maxIndexBytes, io, fresh);
    this.timeIndex = new TimeIndex(timeIndexFile(dir, baseOffset, suffix), baseOffset, settings.maxIndexBytes, io, fresh);
    const rebuild = (): void => this.rebuildIndexes();
    this.offsetIndex.onCorrupt = rebuild;
    this.timeIndex.onCorrupt = rebuild;
    if (fresh) {
      this.maxTimestampCache = -1;
      this.nextOffsetCache = baseOffset;
    }
  }

  /** Creates empty files (truncating leftovers). `suffix` is '' or '.cleaned'. */
  static create(dir: string, baseOffset: number, io: FileIO, settings: SegmentIndexSettings, nowMs: number, suffix = ''): LogSegment {
    const p = logFile(dir, baseOffset, suffix);
    let fd: number;
    try {
      fd = io.open(p, 'w+');
    } catch (e) {
      throw storageFailure('creating segment', p, e);
    }
    return new LogSegment(dir, baseOffset, io, fd, 0, p, settings, true, nowMs, suffix);
  }

  /** Opens existing files; indexes load lazily (and are rebuilt if missing or corrupt). */
  static open(dir: string, baseOffset: number, io: FileIO, settings: SegmentIndexSettings, suffix = ''): LogSegment {
    const p = logFile(dir, baseOffset, suffix);
    const fd = io.open(p, 'r+');
    const size = io.size(fd);
    let mtime = 0;
    try {
      mtime = fs.fstatSync(fd).mtimeMs;
    } catch {
      // injected FileIO in tests may not hand out real fds
    }
    return new LogSegment(dir, baseOffset, io, fd, size, p, settings, false, mtime, suffix);
  }

  get path(): string {
    return this.logPath;
  }
  get size(): number {
    return this.sizeBytes;
  }
  get fileDescriptor(): number {
    return this.fd;
  }
  get isClosed(): boolean {
    return this.closed;
  }

  /** Largest batch max timestamp in the segment, -1 if none. */
  get maxTimestampSoFar(): number {
    if (this.maxTimestampCache === null) this.loadMaxTimestamp();
    return this.maxTimestampCache as number;
  }
  /** Last offset of the first batch carrying maxTimestampSoFar. */
  get offsetOfMaxTimestampSoFar(): number {
    if (this.maxTimestampCache === null) this.loadMaxTimestamp();
    return this.offsetOfMaxTimestampCache;
  }

  private loadMaxTimestamp(): void {
    const last = this.timeIndex.lastEntry();
    this.maxTimestampCache = last ? last.timestamp : -1;
    this.offsetOfMaxTimestampCache = last ? last.offset : -1;
    // The time index of a closed segment ends with its max; past the last index
    // entry there may be a little more (index lags on crash), so scan that tail.
    const entry = this.offsetIndex.lastEntry();
    const from = entry ? entry.position : 0;
    this.scan({ from }, (b) => {
      if (b.maxTimestamp > (this.maxTimestampCache as number)) {
        this.maxTimestampCache = b.maxTimestamp;
        this.offsetOfMaxTimestampCache = b.lastOffset;
      }
    });
  }

  /** Timestamp used for retention: max timestamp, or the file's mtime when none. */
  largestTimestamp(): number {
    const ts = this.maxTimestampSoFar;
    if (ts >= 0) return ts;
    try {
      return fs.statSync(this.logPath).mtimeMs;
    } catch {
      return this.createdMs;
    }
  }

  /** The offset after the last batch (baseOffset when empty). Scans from the last index entry. */
  get nextOffset(): number {
    if (this.nextOffsetCache === null) {
      let next = this.baseOffset;
      const entry = this.offsetIndex.lastEntry();
      if (entry) next = entry.offset + 1;
      this.scan({ from: entry ? entry.position : 0 }, (b) => {
        next = b.lastOffset + 1;
      });
      this.nextOffsetCache = next;
    }
    return this.nextOffsetCache;
  }

  /** Time waited since the segment's rolling-based timestamp (Kafka's timeWaitedForRoll). */
  timeWaitedForRoll(nowMs: number, messageTimestamp: number): number {
    const ts = this.rollingBasedTimestamp;
    if (ts !== null && ts >= 0) return messageTimestamp - ts;
    return nowMs - this.createdMs;
  }

  /** Reasons to roll before appending `bytes` ending at `lastOffset` (Kafka's shouldRoll). */
  shouldRoll(opts: { bytes: number; lastOffset: number; maxTimestamp: number; nowMs: number; segmentBytes: number; segmentMs: number; jitterMs: number }): boolean {
    const reachedRollMs = this.timeWaitedForRoll(opts.nowMs, opts.maxTimestamp) > opts.segmentMs - opts.jitterMs;
    return (
      this.sizeBytes > opts.segmentBytes - opts.bytes ||
      (this.sizeBytes > 0 && reachedRollMs) ||
      this.offsetIndex.isFull() ||
      this.timeIndex.isFull() ||
      opts.lastOffset - this.baseOffset > 0x7fffffff
    );
  }

  /**
   * Appends `records` (batches with offsets already assigned) at the end of the file.
   * `batches` describe them with positions relative to `records`. On a write error the
   * file is cut back to its previous size and KAFKA_STORAGE_ERROR is thrown.
   */
  append(records: Buffer, batches: readonly BatchInfo[], indexIntervalBytes: number): void {
    const physicalPosition = this.sizeBytes;
    try {
      writeFully(this.io, this.fd, records, physicalPosition);
    } catch (e) {
      try {
        this.io.truncate(this.fd, physicalPosition);
      } catch {
        // the size we track stays authoritative; recovery would cut the tail anyway
      }
      throw storageFailure('append', this.logPath, e);
    }
    this.sizeBytes += records.length;
    if (physicalPosition === 0 && batches.length > 0) this.rollingBasedTimestamp = batches[0].maxTimestamp;
    let maxTs = this.maxTimestampSoFar;
    for (const b of batches) {
      if (b.maxTimestamp > maxTs) {
        maxTs = b.maxTimestamp;
        this.maxTimestampCache = maxTs;
        this.offsetOfMaxTimestampCache = b.lastOffset;
      }
      if (this.bytesSinceLastIndexEntry > indexIntervalBytes) {
        this.offsetIndex.append(b.lastOffset, physicalPosition + b.position);
        this.timeIndex.maybeAppend(maxTs, this.offsetOfMaxTimestampCache);
        this.bytesSinceLastIndexEntry = 0;
      }
      this.bytesSinceLastIndexEntry += b.size;
    }
    if (batches.length > 0) this.nextOffsetCache = batches[batches.length - 1].lastOffset + 1;
  }

  /** Walks batches of this segment (see scanFile). */
  scan(opts: { from?: number; to?: number; withBytes?: boolean; validate?: boolean; maxBatchSize?: number; chunkBytes?: number }, visit: (b: BatchInfo, bytes: Buffer | null) => boolean | void): ScanEnd {
    return scanFile(this.io, this.fd, this.sizeBytes, opts, visit);
  }

  /**
   * The first batch whose last offset is ≥ `offset`, starting the search at the index
   * entry below it (never before `startingPosition`); null if there is none.
   */
  translateOffset(offset: number, startingPosition = 0): BatchInfo | null {
    const entry = this.offsetIndex.lookup(offset);
    const from = Math.max(entry.position, startingPosition);
    let found: BatchInfo | null = null;
    this.scan({ from, chunkBytes: 16 * 1024 }, (b) => {
      if (b.lastOffset >= offset) {
        found = b;
        return false;
      }
      return true;
    });
    return found;
  }

  /**
   * A range of whole batches starting at the batch holding `startOffset`, at most
   * `maxSize` bytes (unless `minOneBatch` and the first batch alone is larger), not past
   * `maxPosition`. Null when no batch at or after `startOffset` fits the bounds.
   */
  read(startOffset: number, maxSize: number, maxPosition: number, minOneBatch: boolean): { slice: FileSlice; first: BatchInfo } | null {
    const first = this.translateOffset(startOffset);
    if (!first) return null;
    const start = first.position;
    const limit = Math.min(maxPosition, this.sizeBytes);
    if (start >= limit) return null;
    let end = start;
    const want = Math.min(start + maxSize, limit);
    if (start + first.size <= want) {
      // Jump close to the byte budget via the index (positions are batch starts), then
      // walk headers to the last batch that still fits.
      const entry = this.offsetIndex.lookupByPosition(want);
      end = Math.max(entry.position, start);
      this.scan({ from: end, to: limit, chunkBytes: 16 * 1024 }, (b) => {
        if (b.position + b.size > want) return false;
        end = b.position + b.size;
        return true;
      });
    } else if (minOneBatch && start + first.size <= limit) {
      end = start + first.size;
    }
    if (end <= start) return null;
    return { slice: { fd: this.fd, path: this.logPath, position: start, size: end - start }, first };
  }

  /**
   * The first batch at or after `startingOffset` whose max timestamp is ≥ `timestamp`
   * (Kafka's findOffsetByTimestamp, at batch granularity; the caller picks the record).
   */
  findBatchByTimestamp(timestamp: number, startingOffset: number): BatchInfo | null {
    const te = this.timeIndex.lookup(timestamp);
    const pos = this.offsetIndex.lookup(Math.max(te.offset, startingOffset)).position;
    let found: BatchInfo | null = null;
    this.scan({ from: pos }, (b) => {
      if (b.maxTimestamp >= timestamp && b.lastOffset >= startingOffset) {
        found = b;
        return false;
      }
      return true;
    });
    return found;
  }

  /** Reads `size` bytes at `position` (a batch, for callers that decode records). */
  readBytes(position: number, size: number): Buffer {
    const buf = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const n = this.io.read(this.fd, buf, done, size - done, position + done);
      if (n <= 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  }

  /**
   * Validates every batch (size, magic, CRC32C, ascending offsets), rebuilds both
   * indexes, and cuts the file after the last valid batch. `visit` sees each valid
   * batch (producer-state rebuild). Returns the bytes truncated and why.
   */
  recover(maxBatchSize: number, indexIntervalBytes: number, visit?: (b: BatchInfo) => void): { truncatedBytes: number; problem: string | null } {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    let maxTs = -1;
    let offsetOfMax = -1;
    let sinceIndex = 0;
    let next = this.baseOffset;
    let cut: number | null = null;
    const end = this.scan({ validate: true, maxBatchSize }, (b) => {
      if (b.baseOffset < this.baseOffset) {
        cut = b.position;
        return false;
      }
      if (b.maxTimestamp > maxTs) {
        maxTs = b.maxTimestamp;
        offsetOfMax = b.lastOffset;
      }
      if (sinceIndex > indexIntervalBytes) {
        this.offsetIndex.append(b.lastOffset, b.position);
        this.timeIndex.maybeAppend(maxTs, offsetOfMax);
        sinceIndex = 0;
      }
      sinceIndex += b.size;
      next = b.lastOffset + 1;
      visit?.(b);
      return true;
    });
    const validBytes = cut ?? end.validBytes;
    const problem = cut !== null ? `batch at ${cut} starts below the segment base offset ${this.baseOffset}` : end.problem;
    const truncated = this.sizeBytes - validBytes;
    if (truncated > 0) {
      this.io.truncate(this.fd, validBytes);
      this.sizeBytes = validBytes;
    }
    if (maxTs >= 0) this.timeIndex.maybeAppend(maxTs, offsetOfMax);
    this.maxTimestampCache = maxTs;
    this.offsetOfMaxTimestampCache = offsetOfMax;
    this.nextOffsetCache = next;
    this.bytesSinceLastIndexEntry = sinceIndex;
    try {
      this.offsetIndex.persist();
      this.timeIndex.persist();
    } catch {
      // A full disk must not keep the log from opening: the rebuilt entries stay in
      // memory and the next flush/roll/close writes them (as rebuildIndexes does).
    }
    return { truncatedBytes: truncated, problem: truncated > 0 ? problem : null };
  }

  /** Rebuilds the indexes from the log without truncating (an index file was bad). */
  rebuildIndexes(): void {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    let maxTs = -1;
    let offsetOfMax = -1;
    let sinceIndex = 0;
    let next = this.baseOffset;
    this.scan({}, (b) => {
      if (b.maxTimestamp > maxTs) {
        maxTs = b.maxTimestamp;
        offsetOfMax = b.lastOffset;
      }
      if (sinceIndex > this.settings.indexIntervalBytes) {
        this.offsetIndex.append(b.lastOffset, b.position);
        this.timeIndex.maybeAppend(maxTs, offsetOfMax);
        sinceIndex = 0;
      }
      sinceIndex += b.size;
      next = b.lastOffset + 1;
    });
    if (maxTs >= 0) this.timeIndex.maybeAppend(maxTs, offsetOfMax);
    this.maxTimestampCache = maxTs;
    this.offsetOfMaxTimestampCache = offsetOfMax;
    this.nextOffsetCache = next;
    this.bytesSinceLastIndexEntry = sinceIndex;
    try {
      this.offsetIndex.persist();
      this.timeIndex.persist();
    } catch {
      // kept in memory; written again at the next flush
    }
  }

  /**
   * Removes every batch whose last offset is ≥ `offset` (the batch holding `offset`
   * goes whole). Returns the bytes removed.
   */
  truncateTo(offset: number): number {
    const mapping = this.translateOffset(offset);
    if (!mapping) return 0;
    this.offsetIndex.truncateTo(offset);
    this.timeIndex.truncateTo(offset);
    const removed = this.sizeBytes - mapping.position;
    this.io.truncate(this.fd, mapping.position);
    this.sizeBytes = mapping.position;
    if (this.sizeBytes === 0) this.rollingBasedTimestamp = null;
    this.bytesSinceLastIndexEntry = 0;
    this.maxTimestampCache = null;
    this.nextOffsetCache = null;
    return removed;
  }

  /** Called when a newer segment becomes active: final time index entry, persist indexes. */
  onBecomeInactive(): void {
    const ts = this.maxTimestampSoFar;
    if (ts >= 0) this.timeIndex.maybeAppend(ts, this.offsetOfMaxTimestampSoFar);
    this.offsetIndex.persist();
    this.timeIndex.persist();
  }

  /**
   * Writes pending index entries and fsyncs the log, and the index files when
   * `withIndexes` (segments no longer active: recovery rebuilds the active one's).
   */
  flush(withIndexes = true): void {
    try {
      this.offsetIndex.persist();
      this.timeIndex.persist();
      this.io.fsync(this.fd);
      if (!withIndexes) return;
      for (const p of [this.offsetIndex.path, this.timeIndex.path]) {
        const fd = this.io.open(p, 'r+');
        try {
          this.io.fsync(fd);
        } finally {
          this.io.close(fd);
        }
      }
    } catch (e) {
      throw storageFailure('flush', this.logPath, e);
    }
  }

  /** Async fsync of the log file (indexes persisted synchronously first). */
  flushAsync(): Promise<void> {
    this.offsetIndex.persist();
    this.timeIndex.persist();
    const fd = this.fd;
    return new Promise((resolve, reject) => {
      fs.fsync(fd, (err) => (err ? reject(storageFailure('flush', this.logPath, err)) : resolve()));
    });
  }

  /** Renames the three files, appending or replacing a suffix (`.deleted`, `.swap`, ''). */
  changeSuffix(oldSuffix: string, newSuffix: string): void {
    const rename = (from: string, to: string): void => {
      try {
        fs.renameSync(from, to);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    };
    const newLog = logFile(this.dir, this.baseOffset, newSuffix);
    rename(this.logPath, newLog);
    this.logPath = newLog;
    const oi = indexFile(this.dir, this.baseOffset, newSuffix);
    rename(indexFile(this.dir, this.baseOffset, oldSuffix), oi);
    this.offsetIndex.setPath(oi);
    const ti = timeIndexFile(this.dir, this.baseOffset, newSuffix);
    rename(timeIndexFile(this.dir, this.baseOffset, oldSuffix), ti);
    this.timeIndex.setPath(ti);
  }

  /** Persists index entries and closes the log file descriptor. */
  close(): void {
    if (this.closed) return;
    try {
      this.onBecomeInactive();
    } catch {
      // best effort on close; a missing entry only costs a longer scan or a rebuild
    }
    this.closed = true;
    this.io.close(this.fd);
  }

  /** Closes without touching index files (the segment is being deleted). */
  closeQuietly(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.io.close(this.fd);
    } catch {
      // already gone
    }
  }

  deleteFiles(): void {
    for (const p of [this.logPath, this.offsetIndex.path, this.timeIndex.path]) {
      try {
        fs.unlinkSync(p);
      } catch {
        // already removed
      }
    }
  }

  /** Frees memory held by the indexes of a segment that is no longer written. */
  unloadIndexes(): void {
    this.offsetIndex.unload();
    this.timeIndex.unload();
  }

  static readonly HEADER_SIZE = BATCH_HEADER_SIZE;
}
