import * as fs from 'node:fs';
import { crc32c } from '../protocol/crc32c.ts';
import { ATTR_CONTROL, ATTR_TRANSACTIONAL } from '../protocol/records/batch-header.ts';
import type { BatchInfo } from './batch-scanner.ts';
import { StorageErrorCode } from './errors.ts';
import { writeFileAtomic } from './file-io.ts';
import { SNAPSHOT_SUFFIX, offsetFromFileName, snapshotFile } from './log-files.ts';

/**
 * Idempotent-producer state of one partition (Kafka's ProducerStateManager): for each
 * producer id the current epoch and the metadata of its last five batches, enough to
 * answer a retried batch with its original offsets and to reject gaps.
 *
 * Snapshot file `<offset:20 digits>.snapshot` holds the state of every producer as of
 * `offset` (all batches below it applied). Samsa's own binary format, big-endian:
 *
 *   int16  version (1)
 *   uint32 crc32c of everything after this field
 *   int32  producer count
 *   per producer:
 *     int64 producerId
 *     int16 producerEpoch
 *     int32 coordinatorEpoch
 *     int64 currentTxnFirstOffset   (-1 when no open transaction)
 *     int64 lastTimestamp           (max timestamp of its last batch)
 *     int8  batch count (0..5), then per batch, oldest first:
 *       int32 firstSeq, int32 lastSeq, int64 firstOffset, int64 lastOffset, int64 timestamp
 *
 * Unlike Kafka's snapshot (last batch only), all five batches are kept, so duplicate
 * detection survives a restart. A snapshot that fails its CRC is deleted and an older
 * one (or the log itself) is replayed instead.
 */
export const NUM_BATCHES_TO_RETAIN = 5;
const SNAPSHOT_VERSION = 1;
const INT32_MAX = 0x7fffffff;

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
  timestamp: number;
}

export interface ProducerStateEntry {
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  /** First offset of the producer's open transaction, -1 if none. */
  currentTxnFirstOffset: number;
  lastTimestamp: number;
  /** Oldest first, at most NUM_BATCHES_TO_RETAIN. */
  batches: BatchMetadata[];
}

export type AppendOrigin = 'client' | 'replication' | 'coordinator' | 'recovery';

export type SequenceCheck =
  | { result: 'ok' }
  | { result: 'duplicate'; firstOffset: number; lastOffset: number; timestamp: number }
  | { result: 'error'; code: number; message: string };

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap at Int32 max to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

function cloneEntry(e: ProducerStateEntry): ProducerStateEntry {
  return { ...e, batches: e.batches.slice() };
}

/** Updates made by one append, applied to the manager only after the write succeeded. */
export class ProducerAppendSession {
  readonly updates = new Map<number, ProducerStateEntry>();
  private readonly manager: ProducerStateManager;
  constructor(manager: ProducerStateManager) {
    this.manager = manager;
  }

  private current(pid: number): ProducerStateEntry | undefined {
    return this.updates.get(pid) ?? this.manager.entry(pid);
  }

  /**
   * Checks one batch (offsets already assigned) against the producer's state and, if
   * acceptable, records it in this session. Batches without a producer id pass.
   */
  checkAndRecord(batch: BatchInfo, origin: AppendOrigin): SequenceCheck {
    if (batch.producerId < 0) return { result: 'ok' };
    const pid = batch.producerId;
    const entry = this.current(pid);
    const isControl = (batch.attributes & ATTR_CONTROL) !== 0;
    const firstSeq = batch.baseSequence;
    const lastSeq = firstSeq < 0 ? firstSeq : incrementSequence(firstSeq, batch.lastOffset - batch.baseOffset);
    if (origin === 'client' && entry !== undefined && !isControl) {
      if (entry.producerEpoch === batch.producerEpoch) {
        for (const b of entry.batches) {
          if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) {
            return { result: 'duplicate', firstOffset: b.firstOffset, lastOffset: b.lastOffset, timestamp: b.timestamp };
          }
        }
      }
    }
    if (origin !== 'recovery' && origin !== 'replication' && entry !== undefined && batch.producerEpoch < entry.producerEpoch) {
      return {
        result: 'error',
        code: StorageErrorCode.INVALID_PRODUCER_EPOCH,
        message: `Epoch of producer ${pid} at offset ${batch.baseOffset} is ${batch.producerEpoch}, which is smaller than the last seen epoch ${entry.producerEpoch}`,
      };
    }
    if (origin === 'client' && !isControl && entry !== undefined && entry.producerEpoch >= 0) {
      if (batch.producerEpoch !== entry.producerEpoch) {
        if (firstSeq !== 0) {
          return {
            result: 'error',
            code: StorageErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
            message: `Invalid sequence number for new epoch of producer ${pid}: ${batch.producerEpoch} (request epoch), ${firstSeq} (seq. number), ${entry.producerEpoch} (current producer epoch)`,
          };
        }
      } else {
        const currentLastSeq = entry.batches.length > 0 ? entry.batches[entry.batches.length - 1].lastSeq : -1;
        if (!inSequence(currentLastSeq, firstSeq)) {
          return {
            result: 'error',
            code: StorageErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
            message: `Out of order sequence number for producer ${pid} at offset ${batch.baseOffset}: ${firstSeq} (incoming seq. number), ${currentLastSeq} (current end sequence number)`,
          };
        }
      }
    }
    this.record(batch, firstSeq, lastSeq, isControl, entry);
    return { result: 'ok' };
  }

  private record(batch: BatchInfo, firstSeq: number, lastSeq: number, isControl: boolean, prev: ProducerStateEntry | undefined): void {
    const pid = batch.producerId;
    let e = this.updates.get(pid);
    if (e === undefined) {
      e = prev ? cloneEntry(prev) : { producerId: pid, producerEpoch: -1, coordinatorEpoch: -1, currentTxnFirstOffset: -1, lastTimestamp: -1, batches: [] };
      this.updates.set(pid, e);
    }
    if (batch.producerEpoch !== e.producerEpoch) {
      e.producerEpoch = batch.producerEpoch;
      e.batches = [];
    }
    e.lastTimestamp = batch.maxTimestamp;
    if (isControl) {
      e.currentTxnFirstOffset = -1;
      return;
    }
    if ((batch.attributes & ATTR_TRANSACTIONAL) !== 0 && e.currentTxnFirstOffset < 0) e.currentTxnFirstOffset = batch.baseOffset;
    if (firstSeq >= 0) {
      e.batches.push({ firstSeq, lastSeq, firstOffset: batch.baseOffset, lastOffset: batch.lastOffset, timestamp: batch.maxTimestamp });
      if (e.batches.length > NUM_BATCHES_TO_RETAIN) e.batches.shift();
    }
  }
}

export class ProducerStateManager {
  readonly dir: string;
  private producers = new Map<number, ProducerStateEntry>();
  /** Producers with an open transaction → its first offset (the LSO bound). */
  private ongoing = new Map<number, number>();
  /** The state reflects every batch below this offset. */
  private mapEndOffset = 0;
  private readonly producerIdExpirationMs: number;

  constructor(dir: string, producerIdExpirationMs = 86_400_000) {
    this.dir = dir;
    this.producerIdExpirationMs = producerIdExpirationMs;
  }

  get mapEndOffsetValue(): number {
    return this.mapEndOffset;
  }

  entry(producerId: number): ProducerStateEntry | undefined {
    return this.producers.get(producerId);
  }

  get activeProducers(): ReadonlyMap<number, ProducerStateEntry> {
    return this.producers;
  }

  beginAppend(): ProducerAppendSession {
    return new ProducerAppendSession(this);
  }

  commit(session: ProducerAppendSession, endOffset: number): void {
    for (const [pid, e] of session.updates) this.setEntry(pid, e);
    this.mapEndOffset = endOffset;
  }

  private setEntry(pid: number, e: ProducerStateEntry): void {
    this.producers.set(pid, e);
    if (e.currentTxnFirstOffset >= 0) this.ongoing.set(pid, e.currentTxnFirstOffset);
    else this.ongoing.delete(pid);
  }

  private rebuildOngoing(): void {
    this.ongoing = new Map();
    for (const [pid, e] of this.producers) if (e.currentTxnFirstOffset >= 0) this.ongoing.set(pid, e.currentTxnFirstOffset);
  }

  /** First offset of the oldest open transaction, or -1 (Kafka's firstUnstableOffset). */
  firstUnstableOffset(): number {
    let m = -1;
    for (const o of this.ongoing.values()) if (m < 0 || o < m) m = o;
    return m;
  }

  /** Producers with an open transaction and its first offset. */
  get ongoingTransactions(): ReadonlyMap<number, number> {
    return this.ongoing;
  }

  /** Applies a batch read back from the log (recovery replay): no validation. */
  replay(batch: BatchInfo): void {
    if (batch.producerId >= 0) {
      const s = this.beginAppend();
      s.checkAndRecord(batch, 'recovery');
      for (const [pid, e] of s.updates) this.setEntry(pid, e);
    }
    this.mapEndOffset = batch.lastOffset + 1;
  }

  /** Sets the end offset without changes (segments with no batches to replay). */
  updateMapEndOffset(offset: number): void {
    this.mapEndOffset = offset;
  }

  /** Drops producers idle longer than producer.id.expiration.ms without an open transaction. */
  removeExpiredProducers(nowMs: number): number {
    let removed = 0;
    for (const [pid, e] of this.producers) {
      if (e.currentTxnFirstOffset < 0 && nowMs - e.lastTimestamp >= this.producerIdExpirationMs) {
        this.producers.delete(pid);
        removed++;
      }
    }
    return removed;
  }

  // ---- snapshots ----

  /** Offsets of the snapshot files present, ascending. */
  listSnapshots(): number[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: number[] = [];
    for (const n of names) {
      const o = offsetFromFileName(n, SNAPSHOT_SUFFIX);
      if (o !== null) out.push(o);
    }
    return out.sort((a, b) => a - b);
  }

  /** Writes `<mapEndOffset>.snapshot`. */
  takeSnapshot(sync = false): void {
    writeFileAtomic(snapshotFile(this.dir, this.mapEndOffset), encodeSnapshot(this.producers), sync);
  }

  deleteSnapshot(offset: number): void {
    try {
      fs.unlinkSync(snapshotFile(this.dir, offset));
    } catch {
      // not there
    }
  }

  /** Deletes snapshots below `offset` (segments gone) except none needed for replay. */
  deleteSnapshotsBelow(offset: number): void {
    for (const o of this.listSnapshots()) if (o < offset) this.deleteSnapshot(o);
  }

  /** Deletes snapshots above `offset` (truncation). */
  deleteSnapshotsAbove(offset: number): void {
    for (const o of this.listSnapshots()) if (o > offset) this.deleteSnapshot(o);
  }

  /**
   * Loads the newest valid snapshot at or below `maxOffset` and at or above
   * `minOffset`; returns its offset, or `minOffset` with an empty state when there is
   * none (the caller replays the log from there).
   */
  loadLatestSnapshot(minOffset: number, maxOffset: number): number {
    const offsets = this.listSnapshots().filter((o) => o <= maxOffset).reverse();
    for (const o of offsets) {
      if (o < minOffset) break;
      try {
        const data = fs.readFileSync(snapshotFile(this.dir, o));
        this.producers = decodeSnapshot(data);
        this.rebuildOngoing();
        this.mapEndOffset = o;
        return o;
      } catch {
        this.deleteSnapshot(o);
      }
    }
    this.producers = new Map();
    this.ongoing = new Map();
    this.mapEndOffset = minOffset;
    return minOffset;
  }

  clear(offset: number): void {
    this.producers = new Map();
    this.ongoing = new Map();
    this.mapEndOffset = offset;
  }
}

export function encodeSnapshot(producers: ReadonlyMap<number, ProducerStateEntry>): Buffer {
  let size = 2 + 4 + 4;
  for (const e of producers.values()) size += 8 + 2 + 4 + 8 + 8 + 1 + e.batches.length * 32;
  const buf = Buffer.alloc(size);
  let p = 0;
  buf.writeInt16BE(SNAPSHOT_VERSION, p);
  p += 2 + 4;
  buf.writeInt32BE(producers.size, p);
  p += 4;
  for (const e of producers.values()) {
    buf.writeBigInt64BE(BigInt(e.producerId), p);
    buf.writeInt16BE(e.producerEpoch, p + 8);
    buf.writeInt32BE(e.coordinatorEpoch, p + 10);
    buf.writeBigInt64BE(BigInt(e.currentTxnFirstOffset), p + 14);
    buf.writeBigInt64BE(BigInt(e.lastTimestamp), p + 22);
    buf.writeInt8(e.batches.length, p + 30);
    p += 31;
    for (const b of e.batches) {
      buf.writeInt32BE(b.firstSeq, p);
      buf.writeInt32BE(b.lastSeq, p + 4);
      buf.writeBigInt64BE(BigInt(b.firstOffset), p + 8);
      buf.writeBigInt64BE(BigInt(b.lastOffset), p + 16);
      buf.writeBigInt64BE(BigInt(b.timestamp), p + 24);
      p += 32;
    }
  }
  buf.writeUInt32BE(crc32c(buf.subarray(6)), 2);
  return buf;
}

export function decodeSnapshot(buf: Buffer): Map<number, ProducerStateEntry> {
  if (buf.length < 10) throw new Error('snapshot too short');
  const version = buf.readInt16BE(0);
  if (version !== SNAPSHOT_VERSION) throw new Error(`unknown snapshot version ${version}`);
  if (buf.readUInt32BE(2) !== crc32c(buf.subarray(6))) throw new Error('snapshot CRC mismatch');
  const count = buf.readInt32BE(6);
  let p = 10;
  const out = new Map<number, ProducerStateEntry>();
  for (let i = 0; i < count; i++) {
    const e: ProducerStateEntry = {
      producerId: Number(buf.readBigInt64BE(p)),
      producerEpoch: buf.readInt16BE(p + 8),
      coordinatorEpoch: buf.readInt32BE(p + 10),
      currentTxnFirstOffset: Number(buf.readBigInt64BE(p + 14)),
      lastTimestamp: Number(buf.readBigInt64BE(p + 22)),
      batches: [],
    };
    const n = buf.readInt8(p + 30);
    p += 31;
    for (let j = 0; j < n; j++) {
      e.batches.push({
        firstSeq: buf.readInt32BE(p),
        lastSeq: buf.readInt32BE(p + 4),
        firstOffset: Number(buf.readBigInt64BE(p + 8)),
        lastOffset: Number(buf.readBigInt64BE(p + 16)),
        timestamp: Number(buf.readBigInt64BE(p + 24)),
      });
      p += 32;
    }
    out.set(e.producerId, e);
  }
  if (p !== buf.length) throw new Error('snapshot has trailing bytes');
  return out;
}
