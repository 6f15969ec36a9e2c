import * as path from 'node:path';
import { CLEANER_OFFSET_CHECKPOINT, readOffsetCheckpointLenient, topicPartitionKey, writeOffsetCheckpoint } from './checkpoint-file.ts';
import type { Clock } from './clock.ts';
import type { FileIO } from './file-io.ts';
import type { PartitionLog } from './partition-log.ts';

export interface LogCleanerOptions {
  clock: Clock;
  io: FileIO;
  dedupeBufferBytes?: number;
}

/** Compaction of cleanup.policy=compact logs (placeholder until the cleaner lands). */
export class LogCleaner {
  private readonly checkpoints = new Map<string, number>();
  private readonly opts: LogCleanerOptions;
  constructor(opts: LogCleanerOptions) {
    this.opts = opts;
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
  }
  maybeClean(_log: PartitionLog, _logDir: string): boolean {
    void this.opts;
    return false;
  }
}
