export { Producer } from './producer.ts';
export type { CloseOptions, ProducerErrorInfo } from './producer.ts';
export type { ProducerConfig, ResolvedProducerConfig } from './config.ts';
export { PRODUCER_DEFAULTS, resolveProducerConfig } from './config.ts';
export type { ProducerHeader, ProducerRecord, RecordMetadata, SendCallback } from './producer-record.ts';
export { SendFuture } from './producer-batch.ts';
export { ConfigException, ProducerClosedError, RecordTooLargeError, SerializationError, TimeoutError, TransactionAbortedError, TransactionError } from './errors.ts';
export type { ConsumerGroupMetadata, TransactionState } from './transaction-manager.ts';
export {
  ByteArraySerializer,
  BytesOrStringSerializer,
  DoubleSerializer,
  FloatSerializer,
  IntegerSerializer,
  JsonSerializer,
  LongSerializer,
  ShortSerializer,
  StringSerializer,
  UUIDSerializer,
  VoidSerializer,
} from './serializers.ts';
export type { Bytes, Serializer, SerializerFunction, SerializerObject } from './serializers.ts';
export { DefaultPartitioner, RoundRobinPartitioner, UniformStickyPartitioner, murmur2Partition } from './partitioners.ts';
export type { Partitioner, PartitionerClass, PartitionerCluster, PartitionerConfig, PartitionerFunction } from './partitioners.ts';
export type { ProducerInterceptor } from './interceptors.ts';
