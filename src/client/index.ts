/**
 * samsa: the TypeScript Kafka client — network layer, Admin, Producer, Consumer.
 */
export * from './network/index.ts';
export * from './admin/index.ts';
export * from './producer/index.ts';
export * from './consumer/index.ts';
