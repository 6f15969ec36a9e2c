/** Shapes shared by the consumer's modules. */

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Java's OffsetAndMetadata, with the partition it belongs to. */
export interface TopicPartitionOffset extends TopicPartition {
  readonly offset: bigint;
  /** The leader epoch of the last consumed record, when known. */
  readonly leaderEpoch?: number | null;
  readonly metadata?: string | null;
}

/** Java's OffsetAndTimestamp, with its partition. */
export interface OffsetAndTimestamp extends TopicPartition {
  readonly offset: bigint;
  readonly timestamp: number;
  readonly leaderEpoch: number | null;
}

export function tpKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

export function compareTp(a: TopicPartition, b: TopicPartition): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

/** Java's ConsumerRebalanceListener. Callbacks may be async: the rebalance waits for them. */
export interface ConsumerRebalanceListener {
  onPartitionsRevoked?(partitions: TopicPartition[]): void | Promise<void>;
  onPartitionsAssigned?(partitions: TopicPartition[]): void | Promise<void>;
  /** Partitions lost without a chance to commit (fenced, session expired). Default: onPartitionsRevoked. */
  onPartitionsLost?(partitions: TopicPartition[]): void | Promise<void>;
}
