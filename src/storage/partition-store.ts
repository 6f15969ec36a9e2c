import type { LogConfig, TimestampType } from './log-config.ts';
import type { FileSlice } from './log-segment.ts';
import type { AppendOrigin } from './producer-state.ts';

export interface AppendOptions {
  /** Stamped into every batch's partitionLeaderEpoch (leader appends). */
  leaderEpoch?: number;
  /** Overrides the topic's message.timestamp.type. */
  timestampType?: TimestampType;
  /** 'client' (default) assigns offsets and checks sequences; 'replication' keeps the leader's offsets. */
  origin?: AppendOrigin;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** The broker time stamped into the batches, or -1 for CreateTime. */
  logAppendTimeMs: number;
  logStartOffset: number;
  /** True when the batch was a retry of one already in the log; offsets are the original ones. */
  duplicate: boolean;
  recordCount: number;
  /** Per-record errors (Kafka's ProduceResponse record_errors); storage itself reports none. */
  recordErrors?: { batchIndex: number; message: string }[];
}

export interface ReadOptions {
  /** Return the first batch even if it is larger than maxBytes (default true, as Kafka for the first partition of a fetch). */
  minOneBatch?: boolean;
  /** Exclusive upper bound: the high watermark or last stable offset for consumers; LEO for followers. */
  maxOffset?: number;
}

export interface ReadResult {
  /** Whole batches, in offset order; send them as they are. */
  slices: FileSlice[];
  sizeBytes: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  logEndOffset: number;
}

export interface TimestampAndOffset {
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}

/**
 * One partition's storage as the broker and replication see it. Two engines:
 * PartitionLog (segment files, Kafka's layout) and MemoryPartitionLog (simulation and
 * tests). Offsets are numbers (exact up to 2^53). Calls are synchronous; the caller
 * serialises them.
 */
export interface PartitionStore {
  readonly topic: string;
  readonly partition: number;
  readonly config: LogConfig;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly isClosed: boolean;
  /** Total bytes held. */
  readonly sizeBytes: number;

  append(records: Buffer, opts?: AppendOptions): AppendResult;
  read(fetchOffset: number, maxBytes: number, opts?: ReadOptions): ReadResult;
  setHighWatermark(offset: number): number;
  maybeIncrementHighWatermark(offset: number): boolean;
  offsetForTimestamp(timestamp: number): TimestampAndOffset | null;
  maxTimestampOffset(): TimestampAndOffset | null;
  epochForOffset(offset: number): number;
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number };
  deleteRecordsBefore(offset: number): number;
  deleteOldSegments(): number;
  truncateTo(offset: number): void;
  truncateFullyAndStartAt(offset: number): void;
  removeExpiredProducers(): number;
  updateConfig(config: LogConfig): void;
  close(): void;
}
