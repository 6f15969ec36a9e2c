/**
 * Producer interceptors (Java's ProducerInterceptor): onSend sees each record
 * before it is serialized and may return a changed one; onAcknowledgement sees
 * each record's outcome. An interceptor that throws is skipped for that record,
 * as Kafka's ProducerInterceptors does (it logs and carries on).
 */
import type { ProducerRecord, RecordMetadata } from './producer-record.ts';

export interface ProducerInterceptor<K = unknown, V = unknown> {
  onSend?(record: ProducerRecord<K, V>): ProducerRecord<K, V>;
  /** `metadata` is always given (offset -1n on failure); `error` is null on success. */
  onAcknowledgement?(metadata: RecordMetadata, error: Error | null): void;
  close?(): void;
}
