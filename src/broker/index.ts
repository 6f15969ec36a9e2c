export { Broker, startBroker } from './broker.ts';
export type { StartBrokerOptions } from './broker.ts';
export { BrokerConfig } from './config/broker-config.ts';
