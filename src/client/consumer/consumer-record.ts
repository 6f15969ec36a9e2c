/**
 * What poll() returns: Java's ConsumerRecord and ConsumerRecords.
 *
 * A ConsumerRecord is made by the consumer's record decoder straight from the
 * batch bytes and computes offset, timestamp and leader epoch on demand from the
 * batch header, so a poll allocates one object per record (plus key/value views).
 * Key and value are deserialized when poll() returns the record (a failing
 * deserializer surfaces at the record's position, as Java's does).
 */
import type { BatchHeader } from '../../protocol/records/batch-header.ts';
import type { RecordHeader } from '../../protocol/records/record.ts';
import { ATTR_TIMESTAMP_TYPE_LOG_APPEND } from '../../protocol/records/batch-header.ts';
import type { TopicPartition, TopicPartitionOffset } from './types.ts';
import { tpKey } from './types.ts';

export type TimestampType = 'CreateTime' | 'LogAppendTime';

export class ConsumerRecord<K, V> {
  readonly topic: string;
  readonly partition: number;
  /** Deserialized when poll() returns the record. */
  key: K;
  value: V;
  readonly headers: readonly RecordHeader[];
  /** The undeserialized key bytes (a view of the fetch response). */
  readonly rawKey: Buffer | null;
  readonly rawValue: Buffer | null;
  /** Internal: the batch header and the record's deltas, from which offset and timestamp are computed. */
  readonly batch: BatchHeader;
  readonly offsetDelta: number;
  readonly timestampDelta: number;

  constructor(topic: string, partition: number, batch: BatchHeader, offsetDelta: number, timestampDelta: number, rawKey: Buffer | null, rawValue: Buffer | null, headers: readonly RecordHeader[]) {
    this.topic = topic;
    this.partition = partition;
    this.batch = batch;
    this.offsetDelta = offsetDelta;
    this.timestampDelta = timestampDelta;
    this.rawKey = rawKey;
    this.rawValue = rawValue;
    this.headers = headers;
    this.key = rawKey as K;
    this.value = rawValue as V;
  }

  get offset(): bigint {
    return this.batch.baseOffset + BigInt(this.offsetDelta);
  }

  /** Milliseconds since the epoch: the create time, or the broker's append time for LogAppendTime topics. */
  get timestamp(): number {
    const b = this.batch;
    if ((b.attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0) return Number(b.maxTimestamp);
    return Number(b.baseTimestamp) + this.timestampDelta;
  }

  get timestampType(): TimestampType {
    return (this.batch.attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0 ? 'LogAppendTime' : 'CreateTime';
  }

  /** The partition leader epoch the record was written in; null for old message formats. */
  get leaderEpoch(): number | null {
    const e = this.batch.partitionLeaderEpoch;
    return e >= 0 ? e : null;
  }

  /** The raw key's size in bytes, -1 for a null key (Java's serializedKeySize). */
  get serializedKeySize(): number {
    return this.rawKey === null ? -1 : this.rawKey.length;
  }

  get serializedValueSize(): number {
    return this.rawValue === null ? -1 : this.rawValue.length;
  }
}

/** One poll's records, grouped by partition in the order they were returned. */
export class ConsumerRecords<K, V> implements Iterable<ConsumerRecord<K, V>> {
  static empty<K, V>(): ConsumerRecords<K, V> {
    return new ConsumerRecords<K, V>([], new Map());
  }

  /** Every record, in return order. */
  readonly all: readonly ConsumerRecord<K, V>[];
  private readonly byPartition: Map<string, ConsumerRecord<K, V>[]>;
  private readonly next: Map<string, TopicPartitionOffset>;

  constructor(all: ConsumerRecord<K, V>[], next: Map<string, TopicPartitionOffset>) {
    this.all = all;
    this.next = next;
    this.byPartition = new Map();
  }

  get count(): number {
    return this.all.length;
  }

  isEmpty(): boolean {
    return this.all.length === 0;
  }

  [Symbol.iterator](): Iterator<ConsumerRecord<K, V>> {
    return this.all[Symbol.iterator]();
  }

  /** The partitions with records in this poll. */
  partitions(): TopicPartition[] {
    this.group();
    return [...this.byPartition.values()].map((l) => ({ topic: l[0]!.topic, partition: l[0]!.partition }));
  }

  /** The records of one partition (Java's records(TopicPartition)), or of one topic. */
  records(topic: string, partition?: number): ConsumerRecord<K, V>[] {
    if (partition === undefined) return this.all.filter((r) => r.topic === topic);
    this.group();
    return this.byPartition.get(tpKey(topic, partition)) ?? [];
  }

  /** Per partition, the offset after the last record returned — what a commit of this poll stores (Java's nextOffsets()). */
  nextOffsets(): TopicPartitionOffset[] {
    return [...this.next.values()];
  }

  private group(): void {
    if (this.byPartition.size > 0 || this.all.length === 0) return;
    for (const r of this.all) {
      const k = tpKey(r.topic, r.partition);
      let l = this.byPartition.get(k);
      if (l === undefined) {
        l = [];
        this.byPartition.set(k, l);
      }
      l.push(r);
    }
  }
}
