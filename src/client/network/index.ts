export { BrokerConnection, CONNECTION_DEFAULTS, CLIENT_SOFTWARE_NAME, CLIENT_SOFTWARE_VERSION } from './broker-connection.ts';
export type { BrokerConnectionOptions, SendOptions, VersionRange } from './broker-connection.ts';
export { Cluster, DEFAULT_PORT, parseBootstrapServers } from './cluster.ts';
export type { BrokerAddress, BrokerInfo, ClusterConnectionOptions, ClusterOptions, PartitionInfo, TopicInfo } from './cluster.ts';
export { ConnectionError, ProtocolError, RequestTimeoutError } from './errors.ts';
export { FrameReader, FrameSizeError } from './frame-reader.ts';
