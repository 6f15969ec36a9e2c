import { mkdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { LogManager } from '../storage/log-manager.ts';
import { logConfigFromBrokerConfig } from '../storage/log-config.ts';
import { BrokerConfig } from './config/broker-config.ts';
import { BROKER_CONFIG_DEFS } from './config/broker-config-defs.ts';
import type { BrokerContext } from './broker-context.ts';
import type { ApiHandler } from './handlers/api-handler.ts';
import { startGroupCoordinator, stopGroupCoordinator } from './group/index.ts';
import { startTxnCoordinator, stopTxnCoordinator } from './txn/coordinator.ts';
import { HANDLERS } from './handlers/index.ts';
import { TopicRegistry } from './metadata/topic-registry.ts';
import { SocketServer } from './network/socket-server.ts';
import type { BoundListener } from './network/socket-server.ts';
import { RequestRouter } from './request-router.ts';
import { TopicManager } from './topic-manager.ts';

export interface StartBrokerOptions {
  /** Kafka config names to values (as server.properties would set them). */
  config?: Record<string, string | number | boolean> | BrokerConfig;
  /** Where log lines go (default: stderr). */
  log?: (message: string) => void;
}

/**
 * A running Samsa broker. `startBroker` opens the log dirs (recovering after an
 * unclean stop), loads topic metadata, then accepts connections; `close()` stops
 * accepting, flushes and closes the logs and writes the clean-shutdown markers.
 */
export class Broker implements BrokerContext {
  readonly config: BrokerConfig;
  readonly nodeId: number;
  readonly clusterId: string;
  readonly topics: TopicManager;
  readonly logs: LogManager;
  readonly handlers: ReadonlyMap<number, ApiHandler>;
  readonly server: SocketServer;
  readonly log: (message: string) => void;
  readyMs = 0;
  private closing: Promise<void> | null = null;

  private constructor(config: BrokerConfig, log: (message: string) => void) {
    this.config = config;
    this.log = log;
    this.nodeId = config.nodeId;
    const logDirs = config.logDirs;
    mkdirSync(logDirs[0]!, { recursive: true });
    const registry = TopicRegistry.open(logDirs[0]!, config.str('cluster.id'));
    this.clusterId = registry.clusterId;
    const props: Record<string, string> = {};
    for (const def of BROKER_CONFIG_DEFS) {
      const raw = config.raw(def.name);
      if (raw !== null) props[def.name] = raw;
    }
    this.logs = LogManager.open({
      logDirs,
      defaultConfig: logConfigFromBrokerConfig(props),
      topicConfigs: (topic) => registry.get(topic)?.configs,
      nodeId: this.nodeId,
      clusterId: this.clusterId,
      retentionCheckIntervalMs: config.int('log.retention.check.interval.ms'),
      recoveryPointCheckpointIntervalMs: config.int('log.flush.offset.checkpoint.interval.ms'),
      logStartOffsetCheckpointIntervalMs: config.int('log.flush.start.offset.checkpoint.interval.ms'),
      producerIdExpirationMs: config.int('producer.id.expiration.ms'),
      cleanerEnabled: config.bool('log.cleaner.enable'),
      cleanerBackoffMs: config.int('log.cleaner.backoff.ms'),
      cleanerDedupeBufferBytes: config.int('log.cleaner.dedupe.buffer.size'),
    });
    this.topics = new TopicManager(registry, this.logs, config);
    this.topics.openAll();
    this.handlers = new Map(HANDLERS.map((h) => [h.api.apiKey, h]));
    this.server = new SocketServer(new RequestRouter(this), {
      maxFrameBytes: config.int('socket.request.max.bytes'),
      maxQueuedRequests: config.int('queued.max.requests'),
      idleTimeoutMs: config.int('connections.max.idle.ms'),
      maxConnections: config.int('max.connections'),
      log,
    });
  }

  static async start(opts: StartBrokerOptions = {}): Promise<Broker> {
    const t0 = performance.now();
    const config = opts.config instanceof BrokerConfig ? opts.config : new BrokerConfig(opts.config ?? {});
    const log = opts.log ?? ((m: string) => process.stderr.write(`[samsa] ${m}\n`));
    for (const name of config.unknown) log(`The configuration '${name}' was supplied but isn't a known config.`);
    const broker = new Broker(config, log);
    broker.logs.startup();
    startGroupCoordinator(broker);
    startTxnCoordinator(broker);
    await broker.server.listen(config.listeners);
    broker.readyMs = Math.round(performance.now() - t0);
    return broker;
  }

  advertisedListeners(): BoundListener[] {
    const bound = this.server.bound;
    return this.config.advertisedListeners.map((l) => {
      const b = bound.find((x) => x.name === l.name);
      const port = l.port === 0 && b ? b.port : l.port;
      const host = l.host === '' || l.host === '0.0.0.0' || l.host === '::' ? 'localhost' : l.host;
      return { name: l.name, host, port, securityProtocol: l.securityProtocol };
    });
  }

  /** host:port of the first listener, for clients in the same process (tests). */
  get bootstrapServers(): string {
    const l = this.advertisedListeners()[0]!;
    return `${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      stopGroupCoordinator(this);
      stopTxnCoordinator(this);
      await this.server.close();
      await this.logs.shutdown();
    })();
    return this.closing;
  }
}

/** Starts a broker in this process. Port 0 in `listeners` picks a free port. */
export function startBroker(opts: StartBrokerOptions = {}): Promise<Broker> {
  return Broker.start(opts);
}
