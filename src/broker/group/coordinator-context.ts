/**
 * What the group and offset managers share: configuration, the clock/timers, the
 * group map and the way records reach __consumer_offsets. Broker-independent, so
 * the state machine runs in unit tests with a ManualTimer and an in-memory log.
 */
import type { GroupCoordinatorRecordInit } from '../../protocol/generated/internal/coordinator-records.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ClassicGroup } from './classic-group.ts';
import type { CoordinatorTimer } from './timer.ts';

/** The group.* and offsets.* settings, as numbers (Kafka's GroupCoordinatorConfig). */
export interface GroupCoordinatorConfig {
  /** group.min.session.timeout.ms */
  minSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  maxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms */
  initialRebalanceDelayMs: number;
  /** group.max.size */
  maxSize: number;
  /** How long a new member's JoinGroup may wait (Kafka: 5 minutes, not configurable). */
  newMemberJoinTimeoutMs: number;
  /** offset.metadata.max.bytes */
  offsetMetadataMaxBytes: number;
  /** offsets.retention.minutes, in ms */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number;
}

export const DEFAULT_GROUP_COORDINATOR_CONFIG: GroupCoordinatorConfig = {
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 3000,
  maxSize: 2147483647,
  newMemberJoinTimeoutMs: 300_000,
  offsetMetadataMaxBytes: 4096,
  offsetsRetentionMs: 10080 * 60_000,
  offsetsRetentionCheckIntervalMs: 600_000,
};

/** Where coordinator records go: __consumer_offsets, or a fake in tests. */
export interface CoordinatorRecordLog {
  /**
   * Appends the records, in one batch, to the partition owning `groupId`. Returns the
   * storage error code (NONE when written).
   */
  append(groupId: string, records: readonly GroupCoordinatorRecordInit[]): number;
}

export interface CoordinatorContext {
  readonly config: GroupCoordinatorConfig;
  readonly timer: CoordinatorTimer;
  readonly groups: Map<string, ClassicGroup>;
  readonly records: CoordinatorRecordLog;
  /** "__consumer_offsets-<n>" of a group, for log lines. */
  partitionName(groupId: string): string;
  log(message: string): void;
}

/** Kafka's appendGroupMetadataErrorToResponseError. */
export function groupAppendError(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

/** Kafka's error mapping for a failed offset commit append. */
export function offsetAppendError(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return code;
  }
}
