import * as fs from 'node:fs';
import { writeFileAtomic } from './file-io.ts';

/**
 * Kafka's offset checkpoint files in each log dir (`recovery-point-offset-checkpoint`,
 * `log-start-offset-checkpoint`, `cleaner-offset-checkpoint`), text:
 *
 *   0                       version
 *   <count>
 *   <topic> <partition> <offset>     one line per partition
 *
 * Written atomically (temp file, fsync, rename).
 */
export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint';
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';

export function topicPartitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export function writeOffsetCheckpoint(path: string, entries: Iterable<{ topic: string; partition: number; offset: number }>, sync = true): void {
  const lines: string[] = [];
  for (const e of entries) lines.push(`${e.topic} ${e.partition} ${e.offset}`);
  writeFileAtomic(path, `0\n${lines.length}\n${lines.map((l) => l + '\n').join('')}`, sync);
}

/** Reads a checkpoint into `topic-partition` → offset; a missing file is empty, a malformed one throws. */
export function readOffsetCheckpoint(path: string): Map<string, number> {
  const out = new Map<string, number>();
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw e;
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2 || lines[0].trim() !== '0') throw new Error(`malformed checkpoint ${path}: bad version line`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count !== lines.length - 2) throw new Error(`malformed checkpoint ${path}: expected ${lines[1]} entries, found ${lines.length - 2}`);
  for (let i = 2; i < lines.length; i++) {
    const parts = lines[i].trim().split(/\s+/);
    if (parts.length !== 3) throw new Error(`malformed checkpoint ${path}: line ${i + 1}`);
    const [topic, partition, offset] = parts;
    out.set(topicPartitionKey(topic, Number(partition)), Number(offset));
  }
  return out;
}

/** Reads a checkpoint, treating a malformed file as empty (it is rewritten soon). */
export function readOffsetCheckpointLenient(path: string): Map<string, number> {
  try {
    return readOffsetCheckpoint(path);
  } catch {
    return new Map();
  }
}
