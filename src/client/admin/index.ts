export { Admin, ConfigResourceType, ConfigSource } from './admin.ts';
export type { AdminOptions, ConfigEntry, ConfigResourceResult, CreateTopicResult, DeleteTopicResult, NewTopic, TopicDescription, TopicListing } from './admin.ts';
export { AlterConfigOpType } from './cluster-ops.ts';
export type { AlterConfigOp, AlterConfigOpName, BrokerLogDirs, ClusterDescription, ConfigResource, ConfigResourceError, LogDirDescription, ReplicaInfo } from './cluster-ops.ts';
export { CoordinatorType } from './coordinators.ts';
export type { Node } from './coordinators.ts';
export { CONSUMER_GROUP_STATES, decodeAssignment } from './groups.ts';
export type {
  CommittedOffset,
  ConsumerGroupDescription,
  ConsumerGroupListing,
  ConsumerGroupOffsets,
  GroupOffsetsSpec,
  GroupPartitionsResult,
  GroupResult,
  MemberDescription,
  OffsetToCommit,
  PartitionResult,
  TopicPartition,
} from './groups.ts';
export { IsolationLevel, OffsetSpecTimestamp } from './partitions.ts';
export type { DeleteRecordsResult, DescribeProducersResult, ListOffsetsResult, OffsetSpec, ProducerState } from './partitions.ts';
