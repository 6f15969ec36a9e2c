import * as path from 'node:path';

/**
 * Names of the files in a partition directory, as Kafka names them:
 * `<20-digit base offset>.log|.index|.timeindex|.snapshot`, with suffixes
 * `.deleted` (awaiting async removal), `.cleaned` (cleaner output being written) and
 * `.swap` (cleaner output ready to replace the originals).
 */
export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const SNAPSHOT_SUFFIX = '.snapshot';
export const DELETED_SUFFIX = '.deleted';
export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';

export function offsetPrefix(offset: number): string {
  return String(offset).padStart(20, '0');
}

export function logFile(dir: string, baseOffset: number, suffix = ''): string {
  return path.join(dir, offsetPrefix(baseOffset) + LOG_SUFFIX + suffix);
}
export function indexFile(dir: string, baseOffset: number, suffix = ''): string {
  return path.join(dir, offsetPrefix(baseOffset) + INDEX_SUFFIX + suffix);
}
export function timeIndexFile(dir: string, baseOffset: number, suffix = ''): string {
  return path.join(dir, offsetPrefix(baseOffset) + TIME_INDEX_SUFFIX + suffix);
}
export function snapshotFile(dir: string, offset: number): string {
  return path.join(dir, offsetPrefix(offset) + SNAPSHOT_SUFFIX);
}

/** Parses `<20 digits><ext>[suffix]`; returns the offset or null. */
export function offsetFromFileName(name: string, ext: string, suffix = ''): number | null {
  if (!name.endsWith(ext + suffix)) return null;
  const digits = name.slice(0, name.length - ext.length - suffix.length);
  if (!/^\d{20}$/.test(digits)) return null;
  return Number(digits);
}

/** `topic-N` → {topic, partition}; topics may contain '-', so split at the last one. */
export function parseTopicPartitionDir(name: string): { topic: string; partition: number } | null {
  const i = name.lastIndexOf('-');
  if (i <= 0) return null;
  const p = name.slice(i + 1);
  if (!/^\d+$/.test(p)) return null;
  return { topic: name.slice(0, i), partition: Number(p) };
}

export function topicPartitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}
