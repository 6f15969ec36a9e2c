import type { LogManager } from '../storage/log-manager.ts';
import type { BrokerConfig } from './config/broker-config.ts';
import type { ApiHandler } from './handlers/api-handler.ts';
import type { BoundListener } from './network/socket-server.ts';
import type { TopicManager } from './topic-manager.ts';

/** What request handlers may use of the broker. */
export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly nodeId: number;
  readonly clusterId: string;
  readonly topics: TopicManager;
  readonly logs: LogManager;
  /** Handlers by API key; ApiVersions advertises exactly these. */
  readonly handlers: ReadonlyMap<number, ApiHandler>;
  /** Listeners clients should connect to (advertised.listeners with real bound ports). */
  advertisedListeners(): BoundListener[];
  log(message: string): void;
}
