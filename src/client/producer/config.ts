/**
 * Producer configuration by Kafka's names and defaults (ProducerConfig.java,
 * Kafka 4.0), checked as KafkaProducer's constructor checks it.
 *
 * Values may be numbers/booleans or the strings a .properties file holds ('5',
 * 'true', 'all'). Rules that Kafka enforces:
 * - delivery.timeout.ms >= linger.ms + request.timeout.ms; ConfigException when
 *   delivery.timeout.ms was set explicitly, else it is raised to that sum.
 * - enable.idempotence (default true) needs acks=all, retries > 0 and
 *   max.in.flight.requests.per.connection <= 5: ConfigException when idempotence
 *   was set explicitly, else idempotence is silently turned off (Kafka 3.2+).
 */
import { codecFromName } from '../../protocol/compression/codec.ts';
import type { CompressionCodec } from '../../protocol/compression/codec.ts';
import { ConfigException } from './errors.ts';
import { resolvePartitioner } from './partitioners.ts';
import type { PartitionerConfig, ResolvedPartitioner } from './partitioners.ts';
import type { ProducerInterceptor } from './interceptors.ts';
import { BytesOrStringSerializer, resolveSerializer } from './serializers.ts';
import type { Serializer, SerializerObject } from './serializers.ts';

type Num = number | string;
type Bool = boolean | 'true' | 'false';

export interface ProducerConfig<K = unknown, V = unknown> {
  'bootstrap.servers': string | readonly string[];
  'client.id'?: string;
  /** 'all' | -1 | 0 | 1. Default 'all'. */
  acks?: 'all' | '-1' | '0' | '1' | -1 | 0 | 1;
  'batch.size'?: Num;
  'linger.ms'?: Num;
  'buffer.memory'?: Num;
  'max.block.ms'?: Num;
  'compression.type'?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  'compression.gzip.level'?: Num;
  'compression.zstd.level'?: Num;
  'compression.lz4.level'?: Num;
  'max.request.size'?: Num;
  'request.timeout.ms'?: Num;
  'delivery.timeout.ms'?: Num;
  retries?: Num;
  'retry.backoff.ms'?: Num;
  'retry.backoff.max.ms'?: Num;
  'max.in.flight.requests.per.connection'?: Num;
  'enable.idempotence'?: Bool;
  'metadata.max.age.ms'?: Num;
  'metadata.max.idle.ms'?: Num;
  'socket.connection.setup.timeout.ms'?: Num;
  'reconnect.backoff.ms'?: Num;
  'reconnect.backoff.max.ms'?: Num;
  'connections.max.idle.ms'?: Num;
  'key.serializer'?: Serializer<K> | string;
  'value.serializer'?: Serializer<V> | string;
  'partitioner.class'?: PartitionerConfig<K, V>;
  'partitioner.ignore.keys'?: Bool;
  'partitioner.adaptive.partitioning.enable'?: Bool;
  'partitioner.availability.timeout.ms'?: Num;
  'interceptor.classes'?: ProducerInterceptor<K, V> | readonly ProducerInterceptor<K, V>[];
  'transactional.id'?: string | null;
  /** How long the coordinator lets a transaction stay open before aborting it. Default 60000. */
  'transaction.timeout.ms'?: Num;
  /** Samsa's own: µs the client polls its sockets (instead of sleeping) per request in flight; 0 never. Default 200. */
  'samsa.busy.poll.us'?: Num;
}

/** The checked, typed configuration the producer runs with. */
export interface ResolvedProducerConfig<K, V> {
  bootstrapServers: string | readonly string[];
  clientId: string;
  /** -1, 0 or 1. */
  acks: number;
  batchSize: number;
  lingerMs: number;
  bufferMemory: number;
  maxBlockMs: number;
  compression: CompressionCodec;
  compressionLevel: number | undefined;
  maxRequestSize: number;
  requestTimeoutMs: number;
  deliveryTimeoutMs: number;
  retries: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  maxInFlight: number;
  idempotence: boolean;
  metadataMaxAgeMs: number;
  connectTimeoutMs: number;
  reconnectBackoffMs: number;
  reconnectBackoffMaxMs: number;
  keySerializer: SerializerObject<K>;
  valueSerializer: SerializerObject<V>;
  partitioner: ResolvedPartitioner<K, V>;
  interceptors: ProducerInterceptor<K, V>[];
  /** null: not a transactional producer. */
  transactionalId: string | null;
  transactionTimeoutMs: number;
  busyPollUs: number;
}

export const PRODUCER_DEFAULTS = {
  'client.id': '',
  acks: 'all',
  'batch.size': 16384,
  'linger.ms': 5,
  'buffer.memory': 33554432,
  'max.block.ms': 60000,
  'compression.type': 'none',
  'max.request.size': 1048576,
  'request.timeout.ms': 30000,
  'delivery.timeout.ms': 120000,
  retries: 2147483647,
  'retry.backoff.ms': 100,
  'retry.backoff.max.ms': 1000,
  'max.in.flight.requests.per.connection': 5,
  'enable.idempotence': true,
  'metadata.max.age.ms': 300000,
  'socket.connection.setup.timeout.ms': 10000,
  'reconnect.backoff.ms': 50,
  'reconnect.backoff.max.ms': 1000,
  'transaction.timeout.ms': 60000,
  'samsa.busy.poll.us': 200,
} as const;

const KNOWN = new Set<string>([
  'bootstrap.servers', 'client.id', 'acks', 'batch.size', 'linger.ms', 'buffer.memory', 'max.block.ms',
  'compression.type', 'compression.gzip.level', 'compression.zstd.level', 'compression.lz4.level',
  'max.request.size', 'request.timeout.ms', 'delivery.timeout.ms', 'retries', 'retry.backoff.ms',
  'retry.backoff.max.ms', 'max.in.flight.requests.per.connection', 'enable.idempotence',
  'metadata.max.age.ms', 'metadata.max.idle.ms', 'socket.connection.setup.timeout.ms',
  'reconnect.backoff.ms', 'reconnect.backoff.max.ms', 'connections.max.idle.ms', 'key.serializer',
  'value.serializer', 'partitioner.class', 'partitioner.ignore.keys',
  'partitioner.adaptive.partitioning.enable', 'partitioner.availability.timeout.ms',
  'interceptor.classes', 'transactional.id', 'transaction.timeout.ms', 'samsa.busy.poll.us',
]);

let clientSeq = 0;

function int(cfg: Record<string, unknown>, name: string, def: number, min: number, max = 0x7fffffff): number {
  const raw = cfg[name];
  if (raw === undefined || raw === null) return def;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isInteger(n)) throw new ConfigException(`Invalid value ${String(raw)} for configuration ${name}: Not a number of type INT`, name);
  if (n < min || n > max) throw new ConfigException(`Invalid value ${n} for configuration ${name}: Value must be at least ${min}${max < 0x7fffffff ? ` and at most ${max}` : ''}`, name);
  return n;
}

function long(cfg: Record<string, unknown>, name: string, def: number, min: number): number {
  return int(cfg, name, def, min, Number.MAX_SAFE_INTEGER);
}

function bool(cfg: Record<string, unknown>, name: string, def: boolean): boolean {
  const raw = cfg[name];
  if (raw === undefined || raw === null) return def;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new ConfigException(`Invalid value ${String(raw)} for configuration ${name}: Expected value to be either true or false`, name);
}

function parseAcks(raw: unknown): number {
  if (raw === undefined || raw === null) return -1;
  const s = String(raw).trim().toLowerCase();
  if (s === 'all' || s === '-1') return -1;
  if (s === '0') return 0;
  if (s === '1') return 1;
  throw new ConfigException(`Invalid value ${String(raw)} for configuration acks: String must be one of: all, -1, 0, 1`, 'acks');
}

/** Checks `config` as KafkaProducer does and fills in the defaults. Throws ConfigException. */
export function resolveProducerConfig<K, V>(config: ProducerConfig<K, V>, warn: (msg: string) => void = () => {}): ResolvedProducerConfig<K, V> {
  if (config === null || typeof config !== 'object') throw new ConfigException('producer config must be an object');
  const cfg = config as unknown as Record<string, unknown>;
  for (const k of Object.keys(cfg)) {
    if (!KNOWN.has(k) && cfg[k] !== undefined) warn(`The configuration '${k}' was supplied but isn't a known config.`);
  }
  const bootstrapServers = config['bootstrap.servers'];
  if (bootstrapServers === undefined || bootstrapServers === null || (typeof bootstrapServers === 'string' ? bootstrapServers.trim() === '' : bootstrapServers.length === 0)) {
    throw new ConfigException('Missing required configuration "bootstrap.servers" which has no default value.', 'bootstrap.servers');
  }
  const rawTxnId = config['transactional.id'];
  if (rawTxnId !== undefined && rawTxnId !== null && (typeof rawTxnId !== 'string' || rawTxnId === '')) {
    throw new ConfigException(`Invalid value ${String(rawTxnId)} for configuration transactional.id: must be a non-empty string`, 'transactional.id');
  }
  const transactionalId = rawTxnId ?? null;
  const clientId = config['client.id'] ?? `producer-${++clientSeq}`;
  const acks = parseAcks(config.acks);
  const batchSize = int(cfg, 'batch.size', PRODUCER_DEFAULTS['batch.size'], 0);
  const lingerMs = long(cfg, 'linger.ms', PRODUCER_DEFAULTS['linger.ms'], 0);
  const bufferMemory = long(cfg, 'buffer.memory', PRODUCER_DEFAULTS['buffer.memory'], 0);
  const maxBlockMs = long(cfg, 'max.block.ms', PRODUCER_DEFAULTS['max.block.ms'], 0);
  const codecName = config['compression.type'] ?? 'none';
  const compression = codecFromName(String(codecName));
  if (compression === undefined) throw new ConfigException(`Invalid value ${String(codecName)} for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd`, 'compression.type');
  let compressionLevel: number | undefined;
  if (compression === 1 && cfg['compression.gzip.level'] !== undefined) compressionLevel = int(cfg, 'compression.gzip.level', -1, -1, 9);
  if (compression === 4 && cfg['compression.zstd.level'] !== undefined) compressionLevel = int(cfg, 'compression.zstd.level', 3, -131072, 22);
  if (compressionLevel === -1) compressionLevel = undefined;
  const maxRequestSize = int(cfg, 'max.request.size', PRODUCER_DEFAULTS['max.request.size'], 0);
  const requestTimeoutMs = int(cfg, 'request.timeout.ms', PRODUCER_DEFAULTS['request.timeout.ms'], 0);
  const retries = int(cfg, 'retries', PRODUCER_DEFAULTS.retries, 0);
  const retryBackoffMs = long(cfg, 'retry.backoff.ms', PRODUCER_DEFAULTS['retry.backoff.ms'], 0);
  const retryBackoffMaxMs = long(cfg, 'retry.backoff.max.ms', PRODUCER_DEFAULTS['retry.backoff.max.ms'], 0);
  const maxInFlight = int(cfg, 'max.in.flight.requests.per.connection', PRODUCER_DEFAULTS['max.in.flight.requests.per.connection'], 1);
  const metadataMaxAgeMs = long(cfg, 'metadata.max.age.ms', PRODUCER_DEFAULTS['metadata.max.age.ms'], 0);
  const connectTimeoutMs = long(cfg, 'socket.connection.setup.timeout.ms', PRODUCER_DEFAULTS['socket.connection.setup.timeout.ms'], 0);
  const reconnectBackoffMs = long(cfg, 'reconnect.backoff.ms', PRODUCER_DEFAULTS['reconnect.backoff.ms'], 0);
  const reconnectBackoffMaxMs = long(cfg, 'reconnect.backoff.max.ms', PRODUCER_DEFAULTS['reconnect.backoff.max.ms'], 0);
  const busyPollUs = int(cfg, 'samsa.busy.poll.us', PRODUCER_DEFAULTS['samsa.busy.poll.us'], 0);

  // delivery.timeout.ms covers linger and one request at least (KafkaProducer.lingerAndRequestTimeout).
  let deliveryTimeoutMs = long(cfg, 'delivery.timeout.ms', PRODUCER_DEFAULTS['delivery.timeout.ms'], 0);
  if (deliveryTimeoutMs < lingerMs + requestTimeoutMs) {
    if (cfg['delivery.timeout.ms'] !== undefined) {
      throw new ConfigException('delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms', 'delivery.timeout.ms');
    }
    warn(`delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms. Setting it to ${lingerMs + requestTimeoutMs}.`);
    deliveryTimeoutMs = lingerMs + requestTimeoutMs;
  }

  // Idempotence (ProducerConfig.postProcessAndValidateIdempotenceConfigs).
  const idempotenceExplicit = cfg['enable.idempotence'] !== undefined;
  let idempotence = bool(cfg, 'enable.idempotence', true);
  if (idempotence) {
    if (maxInFlight > 5) {
      if (idempotenceExplicit) throw new ConfigException('Must set max.in.flight.requests.per.connection to at most 5 when using the idempotent producer.', 'max.in.flight.requests.per.connection');
      idempotence = false;
    }
    if (retries === 0) {
      if (idempotenceExplicit) throw new ConfigException('Must set retries to non-zero when using the idempotent producer.', 'retries');
      idempotence = false;
    }
    if (acks !== -1) {
      if (idempotenceExplicit) throw new ConfigException('Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.', 'acks');
      idempotence = false;
    }
  }

  // Checked after idempotence, which may have been turned off above (ProducerConfig does the same).
  if (transactionalId !== null && !idempotence) {
    throw new ConfigException('Cannot set a transactional.id without also enabling idempotence.', 'transactional.id');
  }
  const transactionTimeoutMs = int(cfg, 'transaction.timeout.ms', PRODUCER_DEFAULTS['transaction.timeout.ms'], 0);

  const keySerializer = serializerOf<K>(config['key.serializer'], 'key.serializer');
  const valueSerializer = serializerOf<V>(config['value.serializer'], 'value.serializer');
  const ignoreKeys = bool(cfg, 'partitioner.ignore.keys', false);
  bool(cfg, 'partitioner.adaptive.partitioning.enable', true);
  long(cfg, 'partitioner.availability.timeout.ms', 0, 0);
  const partitioner = resolvePartitioner(config['partitioner.class'], ignoreKeys);
  if (partitioner === undefined) throw new ConfigException(`Invalid value ${String(config['partitioner.class'])} for configuration partitioner.class: not a partitioner`, 'partitioner.class');
  const rawInterceptors = config['interceptor.classes'];
  const interceptors = rawInterceptors === undefined ? [] : Array.isArray(rawInterceptors) ? [...rawInterceptors] : [rawInterceptors as ProducerInterceptor<K, V>];
  for (const i of interceptors) {
    if (i === null || typeof i !== 'object' || (typeof i.onSend !== 'function' && typeof i.onAcknowledgement !== 'function')) {
      throw new ConfigException('interceptor.classes: each interceptor must have onSend and/or onAcknowledgement', 'interceptor.classes');
    }
  }

  return {
    bootstrapServers,
    clientId,
    acks,
    batchSize,
    lingerMs,
    bufferMemory,
    maxBlockMs,
    compression,
    compressionLevel,
    maxRequestSize,
    requestTimeoutMs,
    deliveryTimeoutMs,
    retries,
    retryBackoffMs,
    retryBackoffMaxMs,
    maxInFlight,
    idempotence,
    metadataMaxAgeMs,
    connectTimeoutMs,
    reconnectBackoffMs,
    reconnectBackoffMaxMs,
    keySerializer,
    valueSerializer,
    partitioner,
    interceptors,
    transactionalId,
    transactionTimeoutMs,
    busyPollUs,
  };
}

function serializerOf<T>(s: Serializer<T> | string | undefined, name: string): SerializerObject<T> {
  if (s === undefined || s === null) return BytesOrStringSerializer as SerializerObject<T>;
  const resolved = resolveSerializer(s);
  if (resolved === undefined) throw new ConfigException(`Invalid value ${String(s)} for configuration ${name}: not a serializer (an object with serialize(), a function, or a known class name)`, name);
  return resolved;
}
