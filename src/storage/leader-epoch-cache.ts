import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from './file-io.ts';

/**
 * Leader epoch → first offset written in that epoch (Kafka's LeaderEpochFileCache),
 * for OffsetsForLeaderEpoch and the leader epoch of ListOffsets answers.
 *
 * File `leader-epoch-checkpoint` in the partition dir, Kafka's format:
 *   0                   version
 *   <count>
 *   <epoch> <startOffset>   ascending in both
 */
export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export class LeaderEpochCache {
  private entries: EpochEntry[] = [];
  /** Null for the in-memory engine. */
  private readonly file: string | null;
  private dirty = false;

  constructor(dir: string | null) {
    this.file = dir === null ? null : path.join(dir, LEADER_EPOCH_CHECKPOINT);
    if (this.file === null) return;
    try {
      const lines = fs.readFileSync(this.file, 'utf8').split('\n').filter((l) => l.trim() !== '');
      if (lines[0]?.trim() === '0') {
        for (const l of lines.slice(2)) {
          const [e, o] = l.trim().split(/\s+/).map(Number);
          if (Number.isInteger(e) && Number.isInteger(o)) this.entries.push({ epoch: e, startOffset: o });
        }
      }
    } catch {
      // missing: rebuilt from batches during recovery, or starts empty
    }
  }

  get all(): readonly EpochEntry[] {
    return this.entries;
  }

  latestEpoch(): number {
    return this.entries.length ? this.entries[this.entries.length - 1].epoch : -1;
  }

  /** Records that `epoch` starts at `startOffset` if it is newer than the latest. */
  assign(epoch: number, startOffset: number, persist = true): void {
    if (epoch < 0 || epoch <= this.latestEpoch()) return;
    this.entries.push({ epoch, startOffset });
    if (persist) this.flush();
    else this.dirty = true;
  }

  /** Epoch of the leader that wrote `offset`, -1 if unknown. */
  epochForOffset(offset: number): number {
    let found = -1;
    for (const e of this.entries) {
      if (e.startOffset <= offset) found = e.epoch;
      else break;
    }
    return found;
  }

  /** Kafka's endOffsetFor: {epoch, endOffset} for OffsetsForLeaderEpoch. */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    if (requestedEpoch < 0) return { epoch: -1, endOffset: -1 };
    if (requestedEpoch === this.latestEpoch()) return { epoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.entries.find((e) => e.epoch > requestedEpoch);
    if (!higher) return { epoch: -1, endOffset: -1 };
    let floor: EpochEntry | undefined;
    for (const e of this.entries) if (e.epoch <= requestedEpoch) floor = e;
    return { epoch: floor ? floor.epoch : requestedEpoch, endOffset: higher.startOffset };
  }

  /** Removes epochs starting at or after `endOffset` (log truncated there). */
  truncateFromEnd(endOffset: number): void {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.startOffset < endOffset);
    if (this.entries.length !== before) this.flush();
  }

  /** Drops epochs wholly below `startOffset` and moves the first one up to it. */
  truncateFromStart(startOffset: number): void {
    let changed = false;
    while (this.entries.length > 1 && this.entries[1].startOffset <= startOffset) {
      this.entries.shift();
      changed = true;
    }
    if (this.entries.length && this.entries[0].startOffset < startOffset) {
      this.entries[0] = { epoch: this.entries[0].epoch, startOffset };
      changed = true;
    }
    if (changed) this.flush();
  }

  clear(): void {
    this.entries = [];
    this.flush();
  }

  flushIfDirty(): void {
    if (this.dirty) this.flush();
  }

  flush(): void {
    this.dirty = false;
    if (this.file === null) return;
    writeFileAtomic(this.file, `0\n${this.entries.length}\n${this.entries.map((e) => `${e.epoch} ${e.startOffset}\n`).join('')}`, false);
  }
}
