/**
 * The consumer's typed errors, named as the Java client's exceptions so a Java
 * user recognises them. Kafka error codes from responses stay KafkaError.
 */
import type { TopicPartition } from './types.ts';

/** wakeup() was called: the blocking call it interrupted (or the next one) throws this. */
export class WakeupError extends Error {
  constructor() {
    super('the consumer was woken up (wakeup())');
    this.name = 'WakeupError';
  }
}

/** auto.offset.reset=none and a partition has no committed offset (Java's NoOffsetForPartitionException). */
export class NoOffsetForPartitionError extends Error {
  readonly partitions: readonly TopicPartition[];
  constructor(partitions: readonly TopicPartition[]) {
    super(`Undefined offset with no reset policy for partitions: ${partitions.map((p) => `${p.topic}-${p.partition}`).join(', ')}`);
    this.name = 'NoOffsetForPartitionError';
    this.partitions = partitions;
  }
}

/** auto.offset.reset=none and the fetch position is out of range (Java's OffsetOutOfRangeException). */
export class OffsetOutOfRangeError extends Error {
  readonly partitions: readonly (TopicPartition & { offset: bigint })[];
  constructor(partitions: readonly (TopicPartition & { offset: bigint })[]) {
    super(`Offsets out of range with no configured reset policy for partitions: ${partitions.map((p) => `${p.topic}-${p.partition}@${p.offset}`).join(', ')}`);
    this.name = 'OffsetOutOfRangeError';
    this.partitions = partitions;
  }
}

/** A commit failed because the group rebalanced (Java's CommitFailedException). Not retriable. */
export class CommitFailedError extends Error {
  constructor(detail: string) {
    super(`Commit cannot be completed since the group has already rebalanced and assigned the partitions to another member (${detail}). ` +
      'The time between poll() calls may be longer than max.poll.interval.ms: increase it, or reduce max.poll.records.');
    this.name = 'CommitFailedError';
  }
}

/** The call is not valid in the consumer's state (Java's IllegalStateException). */
export class IllegalStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IllegalStateError';
  }
}

/** A blocking call did not finish within its timeout (Java's TimeoutException). */
export class ConsumerTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

/** A record's key or value could not be deserialized (Java's RecordDeserializationException). */
export class RecordDeserializationError extends Error {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  constructor(topic: string, partition: number, offset: bigint, cause: unknown) {
    super(`Error deserializing key/value for partition ${topic}-${partition} at offset ${offset}. If needed, please seek past the record to continue consumption.`, { cause });
    this.name = 'RecordDeserializationError';
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
  }
}
