/**
 * samsa: the TypeScript Kafka client. For now the network layer (one connection
 * per broker, the cluster's metadata) and a minimal admin client; producer and
 * consumer come next.
 */
export * from './network/index.ts';
export * from './admin/index.ts';
export * from './producer/index.ts';
export * from './consumer/index.ts';
