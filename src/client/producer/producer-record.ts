/** What goes in (ProducerRecord) and what comes back (RecordMetadata), as the Java client's. */

/** One record header: Kafka headers are ordered, keys may repeat, values may be null. */
export interface ProducerHeader {
  key: string;
  /** Bytes, or a string (written as UTF-8), or null. */
  value: Uint8Array | string | null;
}

export interface ProducerRecord<K, V> {
  topic: string;
  value: V;
  key?: K;
  /** A fixed partition; otherwise the partitioner picks one. */
  partition?: number;
  /** Create time in ms since the epoch; default now. */
  timestamp?: number | bigint | Date;
  headers?: ProducerHeader[];
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** The record's offset; -1n with acks=0 (no answer to learn it from). */
  offset: bigint;
  /** The create time, or the broker's append time when the topic uses LogAppendTime. */
  timestamp: number;
  /** Bytes of the serialized key, -1 for a null key. */
  serializedKeySize: number;
  /** Bytes of the serialized value, -1 for a null value. */
  serializedValueSize: number;
}

/** Java's Callback.onCompletion: exactly one of the two is set. */
export type SendCallback = (err: Error | null, metadata: RecordMetadata | null) => void;
