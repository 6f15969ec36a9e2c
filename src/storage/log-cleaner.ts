import * as path from 'node:path';
import { buildRecordBatch } from '../protocol/records/batch-builder.ts';
import {
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  ATTR_TRANSACTIONAL,
  OFFSET_BASE_TIMESTAMP,
} from '../protocol/records/batch-header.ts';
import { decodeRecordBatch } from '../protocol/records/batch-decoder.ts';
import type { RecordInput } from '../protocol/records/record.ts';
import type { BatchInfo } from './batch-scanner.ts';
import { batchInfoAt } from './batch-scanner.ts';
import { CONTROL_ABORT, CleanedTransactions } from './cleaned-transactions.ts';
import type { AbortedTxn } from './txn-index.ts';
import { controlTypeAt } from './txn-index.ts';
import { CLEANER_OFFSET_CHECKPOINT, readOffsetCheckpointLenient, topicPartitionKey, writeOffsetCheckpoint } from './checkpoint-file.ts';
import type { Clock } from './clock.ts';
import type { FileIO } from './file-io.ts';
import { isCompacted } from './log-config.ts';
import type { LogSegment } from './log-segment.ts';
import type { PartitionLog } from './partition-log.ts';

export interface LogCleanerOptions {
  clock: Clock;
  io: FileIO;
  /** Bound on the key → offset map of one pass (Kafka's log.cleaner.dedupe.buffer.size). */
  dedupeBufferBytes?: number;
}

export interface CleanStats {
  /** First dirty offset after the pass (the checkpoint). */
  endOffset: number;
  segmentsRewritten: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
}

/** Rough memory of one map entry beyond the key bytes (string header + Map slot + number). */
const MAP_ENTRY_OVERHEAD = 64;

/**
 * Compaction for `cleanup.policy=compact` (Kafka's LogCleaner, one pass at a time,
 * on the event loop):
 *
 * - The dirty section runs from the checkpointed first dirty offset
 *   (`cleaner-offset-checkpoint` in the log dir) to the first uncleanable offset: the
 *   active segment, the high watermark, and segments younger than
 *   min.compaction.lag.ms are never cleaned. A log is cleaned when dirty bytes /
 *   total bytes ≥ min.cleanable.dirty.ratio, or when its oldest dirty batch is older
 *   than max.compaction.lag.ms, or when a retained tombstone's delete horizon passed.
 * - A map key → latest offset is built over the dirty section (whole segments, bounded
 *   by the dedupe buffer), then every segment from the log start to the end of that
 *   section is rewritten keeping a record only if it is the latest for its key.
 *   Records without a key are dropped. Offsets are kept (gaps are fine).
 * - Tombstones use magic 2's delete horizon (KIP-534): the first pass that keeps a
 *   tombstone rewrites its batch with attribute bit 6 and baseTimestamp =
 *   now + delete.retention.ms (record timestamps unchanged: deltas are re-based);
 *   a later pass after that time drops the tombstone.
 * - Transaction markers stay while a batch of their transaction is left; then they
 *   get a delete horizon and go after it, and an aborted transaction's `.txnindex`
 *   entry goes first (cleaned-transactions.ts). A producer's last batch is kept,
 *   emptied if need be, so its sequence state survives (as Kafka does).
 * - Consecutive segments are grouped up to segment.bytes; each group is written as
 *   `<base>.log.cleaned` (+ indexes), fsynced, renamed `.swap`, then swapped in:
 *   the originals become `.deleted` and the swap loses its suffix. A crash at any
 *   step is finished or rolled back by the log loader.
 */
export class LogCleaner {
  private readonly checkpoints = new Map<string, number>();
  /** Earliest delete horizon of a tombstone kept by the last pass, per log (in memory). */
  private readonly tombstoneHorizons = new Map<string, number>();
  private readonly clock: Clock;
  private readonly dedupeBufferBytes: number;

  constructor(opts: LogCleanerOptions) {
    this.clock = opts.clock;
    this.dedupeBufferBytes = opts.dedupeBufferBytes ?? 134_217_728;
  }

  loadCheckpoint(logDir: string): void {
    for (const [k, v] of readOffsetCheckpointLenient(path.join(logDir, CLEANER_OFFSET_CHECKPOINT))) this.checkpoints.set(k, v);
  }

  writeCheckpoint(logDir: string, logs: readonly PartitionLog[]): void {
    const entries = logs
      .filter((l) => this.checkpoints.has(topicPartitionKey(l.topic, l.partition)))
      .map((l) => ({ topic: l.topic, partition: l.partition, offset: this.checkpoints.get(topicPartitionKey(l.topic, l.partition))! }));
    if (entries.length > 0) writeOffsetCheckpoint(path.join(logDir, CLEANER_OFFSET_CHECKPOINT), entries);
  }

  forget(log: PartitionLog): void {
    this.checkpoints.delete(topicPartitionKey(log.topic, log.partition));
    this.tombstoneHorizons.delete(topicPartitionKey(log.topic, log.partition));
  }

  firstDirtyOffset(log: PartitionLog): number {
    const cp = this.checkpoints.get(topicPartitionKey(log.topic, log.partition));
    if (cp === undefined || cp < log.logStartOffset || cp > log.logEndOffset) return log.logStartOffset;
    return cp;
  }

  /** The offset below which cleaning may happen. */
  firstUncleanableOffset(log: PartitionLog): number {
    const segs = log.allSegments;
    // Open transactions are not cleaned: nothing at or past the LSO's segment (Kafka's firstUnstableOffset).
    let limit = Math.min(log.activeSegment.baseOffset, log.segmentFor(log.lastStableOffset).baseOffset);
    const minLag = log.config['min.compaction.lag.ms'];
    if (minLag > 0) {
      const now = this.clock.nowMs();
      for (const s of segs) {
        if (s.baseOffset >= limit) break;
        if (s.maxTimestampSoFar > now - minLag) {
          limit = s.baseOffset;
          break;
        }
      }
    }
    return limit;
  }

  /** Whether a pass is due (dirty ratio, max lag, or an expired tombstone horizon). */
  needsCleaning(log: PartitionLog): boolean {
    if (!isCompacted(log.config)) return false;
    const firstDirty = this.firstDirtyOffset(log);
    const uncleanable = this.firstUncleanableOffset(log);
    const horizon = this.tombstoneHorizons.get(topicPartitionKey(log.topic, log.partition));
    if (horizon !== undefined && horizon <= this.clock.nowMs() && uncleanable > log.logStartOffset) return true;
    if (firstDirty >= uncleanable) return false;
    let clean = 0;
    let dirty = 0;
    for (const s of log.allSegments) {
      if (s.baseOffset >= uncleanable) break;
      const next = log.allSegments[log.allSegments.indexOf(s) + 1];
      if (next && next.baseOffset <= firstDirty) clean += s.size;
      else dirty += s.size;
    }
    if (dirty === 0) return false;
    if (dirty / (clean + dirty) >= log.config['min.cleanable.dirty.ratio']) return true;
    const maxLag = log.config['max.compaction.lag.ms'];
    if (maxLag < Number.MAX_SAFE_INTEGER) {
      const first = log.segmentFor(firstDirty).translateOffset(firstDirty);
      if (first && first.maxTimestamp >= 0 && this.clock.nowMs() - first.maxTimestamp > maxLag) return true;
    }
    return false;
  }

  /** Cleans `log` if due; returns whether a pass ran. */
  maybeClean(log: PartitionLog, _logDir?: string): boolean {
    if (log.isClosed || !this.needsCleaning(log)) return false;
    this.clean(log);
    return true;
  }

  /** One compaction pass regardless of the dirty ratio. */
  clean(log: PartitionLog): CleanStats {
    const now = this.clock.nowMs();
    const key = topicPartitionKey(log.topic, log.partition);
    const uncleanable = this.firstUncleanableOffset(log);
    const firstDirty = Math.min(this.firstDirtyOffset(log), uncleanable);
    const stats: CleanStats = { endOffset: firstDirty, segmentsRewritten: 0, bytesBefore: 0, bytesAfter: 0, recordsRemoved: 0 };
    if (uncleanable <= log.logStartOffset) return stats;

    // Records of aborted transactions never win a key, and are removed (as Kafka's cleaner).
    const aborted = (b: BatchInfo): boolean =>
      (b.attributes & ATTR_TRANSACTIONAL) !== 0 &&
      (b.attributes & ATTR_CONTROL) === 0 &&
      log.abortedTransactions(b.baseOffset, b.baseOffset + 1).some((e) => e.producerId === b.producerId && e.firstOffset <= b.baseOffset);
    // 1. key → latest offset over the dirty section, whole segments at a time.
    const offsetMap = new Map<string, number>();
    let mapBytes = 0;
    let endOffset = firstDirty;
    const segs = log.allSegments;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i];
      const next = segs[i + 1];
      const segEnd = next ? next.baseOffset : log.logEndOffset;
      if (seg.baseOffset >= uncleanable) break;
      if (segEnd <= firstDirty) continue;
      if (mapBytes > this.dedupeBufferBytes && endOffset > firstDirty) break;
      const start = seg.baseOffset < firstDirty ? seg.translateOffset(firstDirty) : null;
      seg.scan({ from: start ? start.position : 0, withBytes: true }, (b, bytes) => {
        if ((b.attributes & ATTR_CONTROL) !== 0 || b.recordCount === 0 || aborted(b)) return;
        const decoded = decodeRecordBatch(bytes!, 0, { verifyCrc: false });
        for (const r of decoded.records) {
          if (r.key === null) continue;
          const offset = b.baseOffset + r.offsetDelta;
          if (offset < firstDirty) continue;
          const k = r.key.toString('latin1');
          if (!offsetMap.has(k)) mapBytes += k.length + MAP_ENTRY_OVERHEAD;
          offsetMap.set(k, offset);
        }
      });
      endOffset = Math.min(segEnd, uncleanable);
    }
    if (endOffset <= log.logStartOffset) return stats;

    // 2. Rewrite every segment below endOffset, grouped up to segment.bytes.
    const lastBatchOfProducer = new Set<string>();
    for (const e of log.producerState.activeProducers.values()) {
      const last = e.batches[e.batches.length - 1];
      if (last) lastBatchOfProducer.add(`${e.producerId}:${last.lastOffset}`);
    }
    const toClean = log.allSegments.filter((s, i, all) => s.baseOffset < endOffset && (all[i + 1]?.baseOffset ?? log.logEndOffset) <= endOffset);
    let earliestHorizon = Infinity;
    const emptied: LogSegment[] = [];
    const txns = new CleanedTransactions(log.txnIndex.overlapping(log.logStartOffset, endOffset));
    const indexEntriesToDrop: AbortedTxn[] = [];
    const ctx: FilterContext = {
      offsetMap,
      mapEndOffset: endOffset,
      now,
      deleteRetentionMs: log.config['delete.retention.ms'],
      lastBatchOfProducer,
      aborted,
      txns,
      indexed: (lastOffset) => log.txnIndex.has(lastOffset),
      dropIndexEntry: (e) => indexEntriesToDrop.push(e),
    };
    for (const group of groupSegments(toClean, log.config['segment.bytes'])) {
      const cleaned = log.createCleanedSegment(group[0].baseOffset);
      try {
        for (const seg of group) {
          stats.bytesBefore += seg.size;
          seg.scan({ withBytes: true }, (b, bytes) => {
            const out = filterBatch(b, bytes!, ctx);
            stats.recordsRemoved += out.removed;
            if (out.horizon !== null) earliestHorizon = Math.min(earliestHorizon, out.horizon);
            if (out.bytes) {
              const info = batchInfoAt(out.bytes, 0, 0);
              cleaned.append(out.bytes, [info], log.config['index.interval.bytes']);
            }
          });
        }
        cleaned.onBecomeInactive();
        cleaned.flush();
        cleaned.changeSuffix('.cleaned', '.swap');
      } catch (e) {
        cleaned.closeQuietly();
        cleaned.deleteFiles();
        throw e;
      }
      stats.bytesAfter += cleaned.size;
      log.replaceSegments(cleaned, group);
      stats.segmentsRewritten += group.length;
      if (cleaned.size === 0 && log.allSegments[0] !== cleaned) emptied.push(cleaned);
    }
    // An empty segment between others holds nothing: offsets live in the batches.
    if (emptied.length > 0) log.removeSegmentsInternal(emptied);
    // Aborted transactions with no batch left: their markers go on a later pass.
    if (indexEntriesToDrop.length > 0) log.txnIndex.remove(new Set(indexEntriesToDrop.map((e) => e.lastOffset)));
    this.checkpoints.set(key, endOffset);
    if (earliestHorizon < Infinity) this.tombstoneHorizons.set(key, earliestHorizon);
    else this.tombstoneHorizons.delete(key);
    stats.endOffset = endOffset;
    return stats;
  }
}

/** Consecutive segments whose total size fits in one segment (and relative offsets in int32). */
function groupSegments(segs: readonly LogSegment[], maxBytes: number): LogSegment[][] {
  const groups: LogSegment[][] = [];
  let cur: LogSegment[] = [];
  let size = 0;
  for (const s of segs) {
    const tooBig = cur.length > 0 && (size + s.size > maxBytes || s.nextOffset - cur[0].baseOffset > 0x7fffffff);
    if (tooBig) {
      groups.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(s);
    size += s.size;
  }
  if (cur.length > 0) groups.push(cur);
  return groups;
}

interface FilterContext {
  offsetMap: Map<string, number>;
  mapEndOffset: number;
  now: number;
  deleteRetentionMs: number;
  lastBatchOfProducer: Set<string>;
  aborted: (b: BatchInfo) => boolean;
  txns: CleanedTransactions;
  /** Whether `.txnindex` (as this pass started) has an entry ending at this offset. */
  indexed: (lastOffset: number) => boolean;
  dropIndexEntry: (e: AbortedTxn) => void;
}

/** A transaction marker: kept, given a delete horizon, or dropped (see cleaned-transactions.ts). */
function filterMarker(b: BatchInfo, bytes: Buffer, ctx: FilterContext): { bytes: Buffer | null; removed: number; horizon: number | null } {
  const type = b.producerId >= 0 ? controlTypeAt(bytes, 0) : -1;
  if (type < 0) return { bytes, removed: 0, horizon: null };
  const decision = ctx.txns.onMarker(b.producerId, b.lastOffset, type);
  if (decision.dropIndexEntry !== null) ctx.dropIndexEntry(decision.dropIndexEntry);
  if (!decision.removable) return { bytes, removed: 0, horizon: null };
  const baseTimestamp = Number(bytes.readBigInt64BE(OFFSET_BASE_TIMESTAMP));
  if ((b.attributes & ATTR_DELETE_HORIZON) !== 0) {
    // An ABORT marker goes only once its index entry is gone (dropped by an earlier pass).
    if (baseTimestamp <= ctx.now && !(type === CONTROL_ABORT && ctx.indexed(b.lastOffset))) return { bytes: null, removed: 1, horizon: null };
    return { bytes, removed: 0, horizon: Math.max(baseTimestamp, ctx.now) };
  }
  const horizon = ctx.now + ctx.deleteRetentionMs;
  const decoded = decodeRecordBatch(bytes, 0, { verifyCrc: false });
  const out = buildRecordBatch(
    decoded.records.map((r) => ({ offsetDelta: r.offsetDelta, timestampDelta: baseTimestamp + r.timestampDelta - horizon, key: r.key, value: r.value, headers: r.headers })),
    {
      baseOffset: BigInt(b.baseOffset),
      partitionLeaderEpoch: b.partitionLeaderEpoch,
      attributes: b.attributes | ATTR_DELETE_HORIZON,
      baseTimestamp: horizon,
      maxTimestamp: b.maxTimestamp,
      lastOffsetDelta: b.lastOffset - b.baseOffset,
      producerId: BigInt(b.producerId),
      producerEpoch: b.producerEpoch,
      baseSequence: b.baseSequence,
    },
  );
  return { bytes: out, removed: 0, horizon };
}

/** What to write for one batch: the same bytes, a rebuilt batch, or nothing. */
function filterBatch(b: BatchInfo, bytes: Buffer, ctx: FilterContext): { bytes: Buffer | null; removed: number; horizon: number | null } {
  if ((b.attributes & ATTR_CONTROL) !== 0) return filterMarker(b, bytes, ctx);
  if ((b.attributes & ATTR_TRANSACTIONAL) !== 0 && b.producerId >= 0) ctx.txns.onDataBatch(b.producerId, b.lastOffset);
  const hasHorizon = (b.attributes & ATTR_DELETE_HORIZON) !== 0;
  const baseTimestamp = Number(bytes.readBigInt64BE(OFFSET_BASE_TIMESTAMP));
  const horizonPassed = hasHorizon && baseTimestamp <= ctx.now;
  const decoded = decodeRecordBatch(bytes, 0, { verifyCrc: false });
  const kept: typeof decoded.records = [];
  let tombstones = 0;
  const drop = ctx.aborted(b);
  for (const r of decoded.records) {
    if (drop) continue;
    const offset = b.baseOffset + r.offsetDelta;
    if (r.key === null) continue;
    if (offset < ctx.mapEndOffset) {
      const latest = ctx.offsetMap.get(r.key.toString('latin1'));
      if (latest !== undefined && offset < latest) continue;
    }
    if (r.value === null) {
      if (horizonPassed) continue;
      tombstones++;
    }
    kept.push(r);
  }
  const removed = decoded.records.length - kept.length;
  const needsHorizon = tombstones > 0 && !hasHorizon;
  const horizon = tombstones > 0 ? (hasHorizon ? baseTimestamp : ctx.now + ctx.deleteRetentionMs) : null;
  if (removed === 0 && !needsHorizon) return { bytes, removed: 0, horizon };
  if (kept.length === 0 && !(b.producerId >= 0 && ctx.lastBatchOfProducer.has(`${b.producerId}:${b.lastOffset}`))) {
    return { bytes: null, removed, horizon: null };
  }
  const logAppendTime = (b.attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0;
  const newBase = needsHorizon ? (horizon as number) : baseTimestamp;
  let maxTs = -1;
  const records: RecordInput[] = kept.map((r) => {
    const ts = baseTimestamp + r.timestampDelta;
    if (ts > maxTs) maxTs = ts;
    return { offsetDelta: r.offsetDelta, timestampDelta: ts - newBase, key: r.key, value: r.value, headers: r.headers };
  });
  let attributes = b.attributes & ~ATTR_DELETE_HORIZON;
  if (tombstones > 0) attributes |= ATTR_DELETE_HORIZON;
  const out = buildRecordBatch(records, {
    baseOffset: BigInt(b.baseOffset),
    partitionLeaderEpoch: b.partitionLeaderEpoch,
    attributes,
    baseTimestamp: tombstones > 0 ? newBase : baseTimestamp,
    maxTimestamp: logAppendTime || kept.length === 0 ? b.maxTimestamp : maxTs,
    lastOffsetDelta: kept.length === 0 ? b.lastOffset - b.baseOffset : undefined,
    producerId: BigInt(b.producerId),
    producerEpoch: b.producerEpoch,
    baseSequence: b.baseSequence,
  });
  return { bytes: out, removed, horizon: tombstones > 0 ? horizon : null };
}
