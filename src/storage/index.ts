/**
 * Storage: segment files, indexes, per-partition logs, recovery, retention, the
 * cleaner, and the LogManager that owns the log dirs. Knows nothing of the network.
 */
export { StorageError, StorageErrorCode } from './errors.ts';
export type { Clock } from './clock.ts';
export { ManualClock, systemClock } from './clock.ts';
export type { FileIO } from './file-io.ts';
export { nodeFileIO } from './file-io.ts';
export type { CleanupPolicy, LogConfig, TimestampType } from './log-config.ts';
export { DEFAULT_LOG_CONFIG, LogConfigError, isLogConfigName, logConfigFromBrokerConfig, parseLogConfig, parseLogConfigValue } from './log-config.ts';
export type { FileSlice } from './log-segment.ts';
export { LogSegment } from './log-segment.ts';
export type { AppendOptions, AppendResult, PartitionStore, ReadOptions, ReadResult, TimestampAndOffset } from './partition-store.ts';
export type { PartitionLogOptions } from './partition-log.ts';
import { PartitionLog } from './partition-log.ts';
export { PartitionLog };
/** Reads the bytes of read() slices into one Buffer (file or memory slices). */
export const readSlices = PartitionLog.readSlices;
export { MemoryPartitionLog } from './memory-partition-log.ts';
export { LogCleaner } from './log-cleaner.ts';
export type { LogManagerOptions } from './log-manager.ts';
export { LogManager } from './log-manager.ts';
export type { AppendOrigin, BatchMetadata, ProducerStateEntry, SequenceCheck } from './producer-state.ts';
export { ProducerStateManager } from './producer-state.ts';
export { LeaderEpochCache } from './leader-epoch-cache.ts';
export type { MetaProperties } from './meta-properties.ts';
export { readMetaProperties } from './meta-properties.ts';
