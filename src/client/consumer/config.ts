/**
 * The consumer's configuration: Kafka's names and defaults (ConsumerConfig.java),
 * validated once and turned into a typed, camelCase settings object.
 */
import type { ConsumerPartitionAssignor } from './assignors/assignor.ts';
import { assignorByName } from './assignors/index.ts';
import type { DeserializerConfig } from './deserializers.ts';
import { ConfigException } from '../producer/errors.ts';

export type AutoOffsetReset = 'earliest' | 'latest' | 'none';
export type IsolationLevel = 'read_uncommitted' | 'read_committed';

export interface ConsumerConfig<K = Buffer | null, V = Buffer | null> {
  'bootstrap.servers': string | readonly string[];
  'group.id'?: string | null;
  'group.instance.id'?: string | null;
  /** 'classic' (default) or 'consumer' (KIP-848: the broker assigns, heartbeats carry the assignment). */
  'group.protocol'?: 'classic' | 'consumer';
  /** group.protocol=consumer: the server-side assignor to ask for (null: the broker's default, group.consumer.assignors' first). */
  'group.remote.assignor'?: string | null;
  'client.id'?: string;
  'client.rack'?: string;
  'key.deserializer'?: DeserializerConfig<K>;
  'value.deserializer'?: DeserializerConfig<V>;
  'max.poll.records'?: number;
  'max.poll.interval.ms'?: number;
  'fetch.min.bytes'?: number;
  'fetch.max.wait.ms'?: number;
  'fetch.max.bytes'?: number;
  'max.partition.fetch.bytes'?: number;
  'auto.offset.reset'?: AutoOffsetReset;
  'isolation.level'?: IsolationLevel;
  'enable.auto.commit'?: boolean;
  'auto.commit.interval.ms'?: number;
  'session.timeout.ms'?: number;
  'heartbeat.interval.ms'?: number;
  /** Names (range, roundrobin, sticky, cooperative-sticky, or Kafka's class names) or assignor objects, in order of preference. */
  'partition.assignment.strategy'?: string | readonly (string | ConsumerPartitionAssignor)[];
  'request.timeout.ms'?: number;
  'default.api.timeout.ms'?: number;
  'retry.backoff.ms'?: number;
  'metadata.max.age.ms'?: number;
  'check.crcs'?: boolean;
  'exclude.internal.topics'?: boolean;
  'allow.auto.create.topics'?: boolean;
  'socket.connection.setup.timeout.ms'?: number;
  /** Samsa: completed fetches buffered ahead per partition while the application processes (default 2). */
  'fetch.prefetch.depth'?: number;
  /** Samsa: µs the client polls its sockets (instead of sleeping) per request in flight; 0 never. Default 200. */
  'samsa.busy.poll.us'?: number;
  /** Samsa: fetch connections per broker, each with its own Fetch in flight for a share of the partitions (1-16). Default 2. */
  'samsa.fetch.connections.per.broker'?: number;
}

export interface ConsumerSettings {
  bootstrapServers: string | readonly string[];
  groupId: string | null;
  groupProtocol: 'classic' | 'consumer';
  groupRemoteAssignor: string | null;
  groupInstanceId: string | null;
  clientId: string;
  clientRack: string | null;
  maxPollRecords: number;
  maxPollIntervalMs: number;
  fetchMinBytes: number;
  fetchMaxWaitMs: number;
  fetchMaxBytes: number;
  maxPartitionFetchBytes: number;
  autoOffsetReset: AutoOffsetReset;
  isolationLevel: 0 | 1;
  enableAutoCommit: boolean;
  autoCommitIntervalMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  assignors: ConsumerPartitionAssignor[];
  requestTimeoutMs: number;
  defaultApiTimeoutMs: number;
  retryBackoffMs: number;
  metadataMaxAgeMs: number;
  checkCrcs: boolean;
  excludeInternalTopics: boolean;
  allowAutoCreateTopics: boolean;
  connectTimeoutMs: number;
  prefetchDepth: number;
  busyPollUs: number;
  fetchConnections: number;
}

/** Configs the consumer protocol (KIP-848) takes from the broker instead (Java's CONSUMER_PROTOCOL_UNSUPPORTED_CONFIGS). */
const CLASSIC_ONLY_CONFIGS = ['partition.assignment.strategy', 'session.timeout.ms', 'heartbeat.interval.ms'] as const;

function int(config: Record<string, unknown>, name: string, def: number, min = 0): number {
  const v = config[name];
  if (v === undefined) return def;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) throw new TypeError(`Invalid value ${String(v)} for configuration ${name}: must be an integer >= ${min}`);
  return n;
}

function intRange(config: Record<string, unknown>, name: string, def: number, min: number, max: number): number {
  const n = int(config, name, def, min);
  if (n > max) throw new TypeError(`Invalid value ${n} for configuration ${name}: must be at most ${max}`);
  return n;
}

function bool(config: Record<string, unknown>, name: string, def: boolean): boolean {
  const v = config[name];
  if (v === undefined) return def;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw new TypeError(`Invalid value ${String(v)} for configuration ${name}: must be true or false`);
}

function oneOf<T extends string>(config: Record<string, unknown>, name: string, def: T, allowed: readonly T[]): T {
  const v = config[name];
  if (v === undefined) return def;
  if (typeof v !== 'string' || !allowed.includes(v as T)) throw new TypeError(`Invalid value ${String(v)} for configuration ${name}: String must be one of: ${allowed.join(', ')}`);
  return v as T;
}

export function resolveConfig(config: ConsumerConfig<unknown, unknown>): ConsumerSettings {
  const c = config as unknown as Record<string, unknown>;
  if (c['bootstrap.servers'] === undefined) throw new TypeError('Missing required configuration "bootstrap.servers" which has no default value.');
  const rawProtocol = c['group.protocol'];
  // Case-insensitive, as Java's GroupProtocol validator.
  const groupProtocol = oneOf({ 'group.protocol': typeof rawProtocol === 'string' ? rawProtocol.toLowerCase() : rawProtocol }, 'group.protocol', 'classic', ['classic', 'consumer']);
  const remoteAssignor = c['group.remote.assignor'];
  if (remoteAssignor !== undefined && remoteAssignor !== null && typeof remoteAssignor !== 'string') {
    throw new ConfigException(`Invalid value ${String(remoteAssignor)} for configuration group.remote.assignor: must be a string or null`, 'group.remote.assignor');
  }
  const blank = (v: unknown): boolean => v === undefined || v === null || String(v).trim() === '';
  if (c['group.id'] !== undefined && c['group.id'] !== null) {
    // Java's ConsumerConfig.checkUnsupportedConfigs: configs the chosen protocol does not use.
    const unsupported = groupProtocol === 'consumer' ? CLASSIC_ONLY_CONFIGS : (['group.remote.assignor'] as const);
    const invalid = unsupported.filter((name) => !blank(c[name]));
    if (invalid.length > 0) throw new ConfigException(`${invalid.join(', ')} cannot be set when group.protocol=${groupProtocol.toUpperCase()}`, invalid[0]!);
  }
  const groupId = (c['group.id'] as string | null | undefined) ?? null;
  const enableAutoCommit = bool(c, 'enable.auto.commit', groupId !== null);
  if (groupId === null && c['enable.auto.commit'] === true) {
    throw new TypeError('enable.auto.commit cannot be set to true when group.id is not set');
  }
  let strategies = c['partition.assignment.strategy'] as ConsumerConfig['partition.assignment.strategy'];
  strategies ??= ['range', 'cooperative-sticky'];
  const list = typeof strategies === 'string' ? strategies.split(',').map((s) => s.trim()).filter((s) => s !== '') : strategies;
  if (list.length === 0) throw new TypeError('partition.assignment.strategy must list at least one assignor');
  const assignors = list.map((s) => (typeof s === 'string' ? assignorByName(s) : s));
  const sessionTimeoutMs = int(c, 'session.timeout.ms', 45_000, 1);
  const heartbeatIntervalMs = int(c, 'heartbeat.interval.ms', 3_000, 1);
  if (heartbeatIntervalMs >= sessionTimeoutMs) throw new TypeError('heartbeat.interval.ms must be lower than session.timeout.ms');
  return {
    bootstrapServers: c['bootstrap.servers'] as string | readonly string[],
    groupId,
    groupProtocol,
    groupRemoteAssignor: typeof remoteAssignor === 'string' && remoteAssignor.trim() !== '' ? remoteAssignor.trim() : null,
    groupInstanceId: (c['group.instance.id'] as string | null | undefined) ?? null,
    clientId: (c['client.id'] as string | undefined) ?? (groupId !== null ? `consumer-${groupId}` : 'consumer'),
    clientRack: (c['client.rack'] as string | undefined) || null,
    maxPollRecords: int(c, 'max.poll.records', 500, 1),
    maxPollIntervalMs: int(c, 'max.poll.interval.ms', 300_000, 1),
    fetchMinBytes: int(c, 'fetch.min.bytes', 1),
    fetchMaxWaitMs: int(c, 'fetch.max.wait.ms', 500),
    fetchMaxBytes: int(c, 'fetch.max.bytes', 52_428_800),
    maxPartitionFetchBytes: int(c, 'max.partition.fetch.bytes', 1_048_576),
    autoOffsetReset: oneOf(c, 'auto.offset.reset', 'latest', ['earliest', 'latest', 'none']),
    isolationLevel: oneOf(c, 'isolation.level', 'read_uncommitted', ['read_uncommitted', 'read_committed']) === 'read_committed' ? 1 : 0,
    enableAutoCommit,
    autoCommitIntervalMs: int(c, 'auto.commit.interval.ms', 5_000),
    sessionTimeoutMs,
    heartbeatIntervalMs,
    assignors,
    requestTimeoutMs: int(c, 'request.timeout.ms', 30_000),
    defaultApiTimeoutMs: int(c, 'default.api.timeout.ms', 60_000),
    retryBackoffMs: int(c, 'retry.backoff.ms', 100),
    metadataMaxAgeMs: int(c, 'metadata.max.age.ms', 300_000),
    checkCrcs: bool(c, 'check.crcs', true),
    excludeInternalTopics: bool(c, 'exclude.internal.topics', true),
    allowAutoCreateTopics: bool(c, 'allow.auto.create.topics', true),
    connectTimeoutMs: int(c, 'socket.connection.setup.timeout.ms', 10_000),
    prefetchDepth: int(c, 'fetch.prefetch.depth', 2, 1),
    busyPollUs: int(c, 'samsa.busy.poll.us', 200),
    fetchConnections: intRange(c, 'samsa.fetch.connections.per.broker', 2, 1, 16),
  };
}
