import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BatchInfo } from './batch-scanner.ts';
import { storageFailure } from './errors.ts';
import type { FileIO } from './file-io.ts';
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  SWAP_SUFFIX,
  TIME_INDEX_SUFFIX,
  indexFile,
  logFile,
  offsetFromFileName,
  timeIndexFile,
} from './log-files.ts';
import type { SegmentIndexSettings } from './log-segment.ts';
import { LogSegment } from './log-segment.ts';

/**
 * Opening a partition directory (Kafka's LogLoader):
 * 1. leftovers: `*.deleted`, `*.cleaned`, `*.tmp` are removed; a `.log.swap` (cleaner
 *    output that was ready) replaces the segments it covers, then loses its suffix;
 *    index files without a `.log` are removed;
 * 2. segments are opened (indexes load lazily, and are rebuilt if missing or bad);
 * 3. after an unclean stop, every segment from the one holding the recovery point on
 *    is validated batch by batch (size, magic, CRC32C, ascending offsets): a torn or
 *    corrupt tail is cut, later segments are deleted, indexes are rebuilt.
 */
export interface LoadOptions {
  dir: string;
  io: FileIO;
  settings: SegmentIndexSettings;
  nowMs: number;
  recoveryPoint: number;
  logStartOffset: number;
  hadCleanShutdown: boolean;
  maxBatchSize: number;
  onRecoveredBatch?: (b: BatchInfo) => void;
}

export interface LoadResult {
  segments: LogSegment[];
  logEndOffset: number;
  logStartOffset: number;
  recoveryPoint: number;
  /** Bytes cut by recovery (0 after a clean stop). */
  truncatedBytes: number;
}

function unlinkQuiet(p: string): void {
  try {
    fs.unlinkSync(p);
  } catch {
    // already gone
  }
}

function renameQuiet(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch {
    // missing index files are rebuilt
  }
}

function cleanLeftovers(dir: string, settings: SegmentIndexSettings, io: FileIO): void {
  let names = fs.readdirSync(dir);
  const swaps: number[] = [];
  for (const n of names) {
    const full = path.join(dir, n);
    if (n.endsWith(DELETED_SUFFIX) || n.endsWith(CLEANED_SUFFIX) || n.endsWith('.tmp')) unlinkQuiet(full);
    else if (n.endsWith(LOG_SUFFIX + SWAP_SUFFIX)) {
      const o = offsetFromFileName(n, LOG_SUFFIX, SWAP_SUFFIX);
      if (o !== null) swaps.push(o);
    }
  }
  for (const base of swaps) {
    // The swap segment covers [base, its next offset): drop the originals in that range.
    const swapSeg = LogSegment.open(dir, base, io, settings, SWAP_SUFFIX);
    const end = swapSeg.nextOffset;
    swapSeg.closeQuietly();
    for (const n of fs.readdirSync(dir)) {
      const o = offsetFromFileName(n, LOG_SUFFIX);
      if (o !== null && o >= base && o < end) {
        unlinkQuiet(logFile(dir, o));
        unlinkQuiet(indexFile(dir, o));
        unlinkQuiet(timeIndexFile(dir, o));
      }
    }
    renameQuiet(logFile(dir, base, SWAP_SUFFIX), logFile(dir, base));
    renameQuiet(indexFile(dir, base, SWAP_SUFFIX), indexFile(dir, base));
    renameQuiet(timeIndexFile(dir, base, SWAP_SUFFIX), timeIndexFile(dir, base));
  }
  names = fs.readdirSync(dir);
  const logs = new Set<number>();
  for (const n of names) {
    const o = offsetFromFileName(n, LOG_SUFFIX);
    if (o !== null) logs.add(o);
  }
  for (const n of names) {
    if (n.endsWith(SWAP_SUFFIX)) {
      unlinkQuiet(path.join(dir, n));
      continue;
    }
    const o = offsetFromFileName(n, INDEX_SUFFIX) ?? offsetFromFileName(n, TIME_INDEX_SUFFIX);
    if (o !== null && !logs.has(o)) unlinkQuiet(path.join(dir, n));
  }
}

export function loadSegments(opts: LoadOptions): LoadResult {
  const { dir, io, settings } = opts;
  try {
    cleanLeftovers(dir, settings, io);
  } catch (e) {
    throw storageFailure('cleaning leftovers', dir, e);
  }
  const bases: number[] = [];
  for (const n of fs.readdirSync(dir)) {
    const o = offsetFromFileName(n, LOG_SUFFIX);
    if (o !== null) bases.push(o);
  }
  bases.sort((a, b) => a - b);
  let segments: LogSegment[] = bases.map((b) => LogSegment.open(dir, b, io, settings));
  if (segments.length === 0) segments.push(LogSegment.create(dir, opts.logStartOffset, io, settings, opts.nowMs));

  let truncatedBytes = 0;
  if (!opts.hadCleanShutdown) {
    let first = 0;
    while (first + 1 < segments.length && segments[first + 1].baseOffset <= opts.recoveryPoint) first++;
    for (let i = first; i < segments.length; i++) {
      const seg = segments[i];
      const r = seg.recover(opts.maxBatchSize, settings.indexIntervalBytes, opts.onRecoveredBatch);
      truncatedBytes += r.truncatedBytes;
      if (r.truncatedBytes > 0 && i + 1 < segments.length) {
        // Nothing after a corrupt batch can be trusted to follow it in offset order.
        for (const later of segments.slice(i + 1)) {
          truncatedBytes += later.size;
          later.closeQuietly();
          later.deleteFiles();
        }
        segments = segments.slice(0, i + 1);
        break;
      }
    }
  }

  let logEndOffset = segments[segments.length - 1].nextOffset;
  // A trailing empty segment after a non-empty one keeps its base as the end offset.
  if (segments[segments.length - 1].size === 0) logEndOffset = Math.max(logEndOffset, segments[segments.length - 1].baseOffset);
  let logStartOffset = Math.max(opts.logStartOffset, segments[0].baseOffset);
  if (logStartOffset > logEndOffset) {
    // Data below the checkpointed start offset was lost in the crash: restart there.
    for (const s of segments) {
      s.closeQuietly();
      s.deleteFiles();
    }
    segments = [LogSegment.create(dir, logStartOffset, io, settings, opts.nowMs)];
    logEndOffset = logStartOffset;
  }
  const recoveryPoint = opts.hadCleanShutdown ? logEndOffset : Math.min(opts.recoveryPoint, logEndOffset);
  logStartOffset = Math.min(logStartOffset, logEndOffset);
  return { segments, logEndOffset, logStartOffset, recoveryPoint, truncatedBytes };
}
