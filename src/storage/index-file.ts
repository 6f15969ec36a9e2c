import * as fs from 'node:fs';
import type { FileIO } from './file-io.ts';
import { writeFully } from './file-io.ts';

/**
 * Common machinery of the offset and time indexes: fixed-size big-endian entries kept
 * in a growable in-memory buffer and appended to the file lazily.
 *
 * Index files are append-only and never preallocated (unlike Kafka, which preallocates
 * `segment.index.bytes` and trims on roll): a file always holds a whole number of
 * entries, so Kafka's tools read it as it is. Entries not yet written to the file are
 * written by `persist()` (on flush, roll, close, and every PERSIST_BATCH entries);
 * after a crash, recovery rebuilds the indexes of every segment past the recovery
 * point, and the recovery point only advances after `persist()` + fsync.
 *
 * The file is read into memory on first use (Kafka's LazyIndex), so opening a log with
 * many segments reads none of their indexes.
 */
const PERSIST_BATCH = 128;

export abstract class IndexFile {
  readonly baseOffset: number;
  readonly maxEntries: number;
  protected readonly io: FileIO;
  protected buf: Buffer = Buffer.alloc(0);
  protected count = 0;
  private persisted = 0;
  private loaded = false;
  private filePath: string;

  constructor(path: string, baseOffset: number, maxIndexBytes: number, io: FileIO, fresh: boolean) {
    this.filePath = path;
    this.baseOffset = baseOffset;
    this.io = io;
    this.maxEntries = Math.max(1, Math.floor(maxIndexBytes / this.entrySize()));
    if (fresh) {
      this.loaded = true;
      fs.writeFileSync(path, '');
    }
  }

  abstract entrySize(): number;

  /** Checks the loaded entries; returns a reason when they cannot be trusted. */
  protected abstract sanityProblem(): string | null;

  get path(): string {
    return this.filePath;
  }

  get entries(): number {
    this.ensureLoaded();
    return this.count;
  }

  isFull(): boolean {
    return this.entries >= this.maxEntries;
  }

  /**
   * Loads the file if not loaded yet. Returns false (leaving the index empty) when the
   * file is missing or fails the sanity check, so the owner can rebuild it.
   */
  load(): boolean {
    if (this.loaded) return true;
    this.loaded = true;
    let data: Buffer;
    try {
      data = fs.readFileSync(this.filePath);
    } catch {
      this.count = 0;
      this.persisted = 0;
      return false;
    }
    const size = this.entrySize();
    if (data.length % size !== 0) {
      this.count = 0;
      this.persisted = 0;
      return false;
    }
    this.buf = data;
    this.count = data.length / size;
    this.persisted = this.count;
    if (this.sanityProblem() !== null) {
      this.count = 0;
      this.persisted = 0;
      this.buf = Buffer.alloc(0);
      return false;
    }
    return true;
  }

  /** Set by the owning segment: called when a lazy load finds a bad index. */
  onCorrupt: (() => void) | null = null;

  protected ensureLoaded(): void {
    if (!this.loaded && !this.load()) this.onCorrupt?.();
  }

  protected reserveEntry(): number {
    const size = this.entrySize();
    const need = (this.count + 1) * size;
    if (need > this.buf.length) {
      const grown = Buffer.alloc(Math.max(need, Math.min(this.buf.length * 2 || 64 * size, this.maxEntries * size)));
      this.buf.copy(grown, 0, 0, this.count * size);
      this.buf = grown;
    }
    const at = this.count * size;
    this.count++;
    if (this.count - this.persisted >= PERSIST_BATCH) {
      try {
        this.persist();
      } catch {
        // kept in memory; flush/roll/close write it again and report failures there
      }
    }
    return at;
  }

  /** Appends entries not yet in the file. Throws on I/O errors (caller maps them). */
  persist(): void {
    if (!this.loaded || this.persisted === this.count) return;
    const size = this.entrySize();
    const fd = this.io.open(this.filePath, 'r+');
    try {
      writeFully(this.io, fd, this.buf.subarray(this.persisted * size, this.count * size), this.persisted * size);
    } finally {
      this.io.close(fd);
    }
    this.persisted = this.count;
  }

  /** Keeps the first `n` entries, in memory and on disk. */
  protected truncateEntries(n: number): void {
    this.ensureLoaded();
    if (n >= this.count) return;
    this.count = n;
    if (this.persisted > n) {
      this.persisted = n;
      fs.truncateSync(this.filePath, n * this.entrySize());
    }
  }

  /** Drops everything and writes an empty file (before a rebuild). */
  reset(): void {
    this.loaded = true;
    this.count = 0;
    this.persisted = 0;
    this.buf = Buffer.alloc(0);
    fs.writeFileSync(this.filePath, '');
  }

  /** Frees the in-memory copy; it is read again on next use. Persists first. */
  unload(): void {
    if (!this.loaded) return;
    this.persist();
    this.loaded = false;
    this.buf = Buffer.alloc(0);
    this.count = 0;
    this.persisted = 0;
  }

  renameTo(path: string): void {
    fs.renameSync(this.filePath, path);
    this.filePath = path;
  }

  /** Updates the path after the file was renamed by someone else. */
  setPath(path: string): void {
    this.filePath = path;
  }

  /** Largest slot whose key (read by `keyAt`) is ≤ target, or -1. Keys are ascending. */
  protected largestLowerBound(target: number, keyAt: (slot: number) => number): number {
    let lo = 0;
    let hi = this.count - 1;
    if (hi < 0 || keyAt(0) > target) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (keyAt(mid) <= target) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

export interface OffsetPosition {
  offset: number;
  position: number;
}

/**
 * `.index`: 8-byte entries, relative offset (int32) + position in the .log (int32),
 * both big-endian, ascending in both. An entry (o, p) says the batch starting at byte p
 * ends at offset baseOffset + o, so every offset > baseOffset + o lies at or after p.
 */
export class OffsetIndex extends IndexFile {
  entrySize(): number {
    return 8;
  }

  protected sanityProblem(): string | null {
    let prevOff = -1;
    let prevPos = -1;
    for (let i = 0; i < this.count; i++) {
      const rel = this.buf.readInt32BE(i * 8);
      const pos = this.buf.readInt32BE(i * 8 + 4);
      if (rel < prevOff || pos < prevPos || rel < 0 || pos < 0) return `entry ${i} not ascending`;
      prevOff = rel;
      prevPos = pos;
    }
    return null;
  }

  append(offset: number, position: number): void {
    this.ensureLoaded();
    const rel = offset - this.baseOffset;
    if (this.count > 0 && rel <= this.buf.readInt32BE((this.count - 1) * 8)) return;
    const at = this.reserveEntry();
    this.buf.writeInt32BE(rel, at);
    this.buf.writeInt32BE(position, at + 4);
  }

  /** The entry with the largest offset ≤ target, or (baseOffset, 0). */
  lookup(offset: number): OffsetPosition {
    this.ensureLoaded();
    const slot = this.largestLowerBound(offset - this.baseOffset, (s) => this.buf.readInt32BE(s * 8));
    if (slot < 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.baseOffset + this.buf.readInt32BE(slot * 8), position: this.buf.readInt32BE(slot * 8 + 4) };
  }

  /** The entry with the largest position ≤ target, or (baseOffset, 0). */
  lookupByPosition(position: number): OffsetPosition {
    this.ensureLoaded();
    const slot = this.largestLowerBound(position, (s) => this.buf.readInt32BE(s * 8 + 4));
    if (slot < 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.baseOffset + this.buf.readInt32BE(slot * 8), position: this.buf.readInt32BE(slot * 8 + 4) };
  }

  lastEntry(): OffsetPosition | null {
    this.ensureLoaded();
    if (this.count === 0) return null;
    const at = (this.count - 1) * 8;
    return { offset: this.baseOffset + this.buf.readInt32BE(at), position: this.buf.readInt32BE(at + 4) };
  }

  /** Removes entries with offset ≥ `offset`. */
  truncateTo(offset: number): void {
    this.ensureLoaded();
    const slot = this.largestLowerBound(offset - this.baseOffset - 1, (s) => this.buf.readInt32BE(s * 8));
    this.truncateEntries(slot + 1);
  }
}

export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

/**
 * `.timeindex`: 12-byte entries, timestamp (int64) + relative offset (int32), both
 * big-endian, strictly ascending timestamps. An entry (t, o) says the largest
 * timestamp in the segment up to offset baseOffset + o is t, first reached at that
 * offset's batch; every record before it has a smaller timestamp.
 */
export class TimeIndex extends IndexFile {
  entrySize(): number {
    return 12;
  }

  protected sanityProblem(): string | null {
    let prevTs = -Infinity;
    let prevOff = -1;
    for (let i = 0; i < this.count; i++) {
      const ts = Number(this.buf.readBigInt64BE(i * 12));
      const rel = this.buf.readInt32BE(i * 12 + 8);
      if (ts < prevTs || rel < prevOff || rel < 0) return `entry ${i} not ascending`;
      prevTs = ts;
      prevOff = rel;
    }
    return null;
  }

  private tsAt(slot: number): number {
    return Number(this.buf.readBigInt64BE(slot * 12));
  }

  /** Appends when `timestamp` exceeds the last entry's (Kafka's maybeAppend). */
  maybeAppend(timestamp: number, offset: number): void {
    this.ensureLoaded();
    if (this.count > 0) {
      const last = this.count - 1;
      if (timestamp <= this.tsAt(last)) return;
      if (offset - this.baseOffset < this.buf.readInt32BE(last * 12 + 8)) return;
    }
    const at = this.reserveEntry();
    this.buf.writeBigInt64BE(BigInt(timestamp), at);
    this.buf.writeInt32BE(offset - this.baseOffset, at + 8);
  }

  /** The entry with the largest timestamp ≤ target, or (-1, baseOffset). */
  lookup(timestamp: number): TimestampOffset {
    this.ensureLoaded();
    const slot = this.largestLowerBound(timestamp, (s) => this.tsAt(s));
    if (slot < 0) return { timestamp: -1, offset: this.baseOffset };
    return { timestamp: this.tsAt(slot), offset: this.baseOffset + this.buf.readInt32BE(slot * 12 + 8) };
  }

  lastEntry(): TimestampOffset | null {
    this.ensureLoaded();
    if (this.count === 0) return null;
    return { timestamp: this.tsAt(this.count - 1), offset: this.baseOffset + this.buf.readInt32BE((this.count - 1) * 12 + 8) };
  }

  /** Removes entries with offset ≥ `offset`. */
  truncateTo(offset: number): void {
    this.ensureLoaded();
    let n = this.count;
    while (n > 0 && this.baseOffset + this.buf.readInt32BE((n - 1) * 12 + 8) >= offset) n--;
    this.truncateEntries(n);
  }
}
