/**
 * Per-partition log configuration under Kafka's topic-level names, with Kafka's
 * defaults. Topic overrides (CreateTopics / AlterConfigs) arrive as strings and are
 * parsed by `parseLogConfig` on top of the broker-level defaults, which the broker
 * derives from its own `log.*` settings with `logConfigFromBrokerConfig`.
 *
 * Kafka's Long.MAX_VALUE is represented as Number.MAX_SAFE_INTEGER (the broker config
 * parser clamps the same way).
 */
export const LONG_MAX = Number.MAX_SAFE_INTEGER;

export type CleanupPolicy = 'delete' | 'compact';
export type TimestampType = 'CreateTime' | 'LogAppendTime';

export interface LogConfig {
  'cleanup.policy': readonly CleanupPolicy[];
  'compression.type': string;
  'delete.retention.ms': number;
  'file.delete.delay.ms': number;
  'flush.messages': number;
  'flush.ms': number;
  'index.interval.bytes': number;
  'max.compaction.lag.ms': number;
  'max.message.bytes': number;
  'message.timestamp.type': TimestampType;
  'message.timestamp.before.max.ms': number;
  'message.timestamp.after.max.ms': number;
  'min.cleanable.dirty.ratio': number;
  'min.compaction.lag.ms': number;
  'min.insync.replicas': number;
  'preallocate': boolean;
  'retention.bytes': number;
  'retention.ms': number;
  'segment.bytes': number;
  'segment.index.bytes': number;
  'segment.jitter.ms': number;
  'segment.ms': number;
  'unclean.leader.election.enable': boolean;
}

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  'cleanup.policy': ['delete'],
  'compression.type': 'producer',
  'delete.retention.ms': 86_400_000,
  'file.delete.delay.ms': 60_000,
  'flush.messages': LONG_MAX,
  'flush.ms': LONG_MAX,
  'index.interval.bytes': 4096,
  'max.compaction.lag.ms': LONG_MAX,
  'max.message.bytes': 1_048_588,
  'message.timestamp.type': 'CreateTime',
  'message.timestamp.before.max.ms': LONG_MAX,
  'message.timestamp.after.max.ms': 3_600_000,
  'min.cleanable.dirty.ratio': 0.5,
  'min.compaction.lag.ms': 0,
  'min.insync.replicas': 1,
  'preallocate': false,
  'retention.bytes': -1,
  'retention.ms': 604_800_000,
  'segment.bytes': 1_073_741_824,
  'segment.index.bytes': 10_485_760,
  'segment.jitter.ms': 0,
  'segment.ms': 604_800_000,
  'unclean.leader.election.enable': false,
} satisfies LogConfig);

/** Topic config name → the broker config that supplies its default (Kafka's mapping). */
export const TOPIC_TO_BROKER_CONFIG: Readonly<Record<keyof LogConfig, string>> = {
  'cleanup.policy': 'log.cleanup.policy',
  'compression.type': 'compression.type',
  'delete.retention.ms': 'log.cleaner.delete.retention.ms',
  'file.delete.delay.ms': 'log.segment.delete.delay.ms',
  'flush.messages': 'log.flush.interval.messages',
  'flush.ms': 'log.flush.interval.ms',
  'index.interval.bytes': 'log.index.interval.bytes',
  'max.compaction.lag.ms': 'log.cleaner.max.compaction.lag.ms',
  'max.message.bytes': 'message.max.bytes',
  'message.timestamp.type': 'log.message.timestamp.type',
  'message.timestamp.before.max.ms': 'log.message.timestamp.before.max.ms',
  'message.timestamp.after.max.ms': 'log.message.timestamp.after.max.ms',
  'min.cleanable.dirty.ratio': 'log.cleaner.min.cleanable.ratio',
  'min.compaction.lag.ms': 'log.cleaner.min.compaction.lag.ms',
  'min.insync.replicas': 'min.insync.replicas',
  'preallocate': 'log.preallocate',
  'retention.bytes': 'log.retention.bytes',
  'retention.ms': 'log.retention.ms',
  'segment.bytes': 'log.segment.bytes',
  'segment.index.bytes': 'log.index.size.max.bytes',
  'segment.jitter.ms': 'log.roll.jitter.ms',
  'segment.ms': 'log.roll.ms',
  'unclean.leader.election.enable': 'unclean.leader.election.enable',
};

export class LogConfigError extends Error {
  readonly configName: string;
  constructor(configName: string, value: string, reason: string) {
    super(`Invalid value ${value} for configuration ${configName}: ${reason}`);
    this.name = 'LogConfigError';
    this.configName = configName;
  }
}

export function isLogConfigName(name: string): name is keyof LogConfig {
  return Object.hasOwn(DEFAULT_LOG_CONFIG, name);
}

function parseLong(name: string, raw: string, min: number): number {
  const s = raw.trim();
  if (!/^[+-]?\d+$/.test(s)) throw new LogConfigError(name, raw, 'not a number');
  const big = BigInt(s);
  const n = big > BigInt(LONG_MAX) ? LONG_MAX : big < BigInt(Number.MIN_SAFE_INTEGER) ? Number.MIN_SAFE_INTEGER : Number(big);
  if (n < min) throw new LogConfigError(name, raw, `value must be at least ${min}`);
  return n;
}

const MIN_VALUE: Partial<Record<keyof LogConfig, number>> = {
  'delete.retention.ms': 0,
  'file.delete.delay.ms': 0,
  'flush.messages': 1,
  'flush.ms': 0,
  'index.interval.bytes': 0,
  'max.compaction.lag.ms': 1,
  'max.message.bytes': 0,
  'message.timestamp.before.max.ms': 0,
  'message.timestamp.after.max.ms': 0,
  'min.compaction.lag.ms': 0,
  'min.insync.replicas': 1,
  'retention.bytes': Number.MIN_SAFE_INTEGER,
  'retention.ms': -1,
  'segment.bytes': 14,
  'segment.index.bytes': 4,
  'segment.jitter.ms': 0,
  'segment.ms': 1,
};

/** Parses one topic-level value; throws LogConfigError with Kafka-like wording. */
export function parseLogConfigValue<K extends keyof LogConfig>(name: K, raw: string): LogConfig[K] {
  let v: unknown;
  switch (name) {
    case 'cleanup.policy': {
      const parts = raw.split(',').map((p) => p.trim().toLowerCase()).filter((p) => p !== '');
      for (const p of parts) if (p !== 'delete' && p !== 'compact') throw new LogConfigError(name, raw, 'must be delete, compact or both');
      v = [...new Set(parts)];
      break;
    }
    case 'message.timestamp.type':
      if (raw !== 'CreateTime' && raw !== 'LogAppendTime') throw new LogConfigError(name, raw, 'must be CreateTime or LogAppendTime');
      v = raw;
      break;
    case 'compression.type': {
      const c = raw.trim().toLowerCase();
      if (!['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'].includes(c)) throw new LogConfigError(name, raw, 'unknown compression');
      v = c;
      break;
    }
    case 'min.cleanable.dirty.ratio': {
      const n = Number(raw);
      if (raw.trim() === '' || Number.isNaN(n) || n < 0 || n > 1) throw new LogConfigError(name, raw, 'must be between 0 and 1');
      v = n;
      break;
    }
    case 'preallocate':
    case 'unclean.leader.election.enable': {
      const l = raw.trim().toLowerCase();
      if (l !== 'true' && l !== 'false') throw new LogConfigError(name, raw, 'must be true or false');
      v = l === 'true';
      break;
    }
    default:
      v = parseLong(name, raw, MIN_VALUE[name] ?? Number.MIN_SAFE_INTEGER);
  }
  return v as LogConfig[K];
}

/**
 * Applies topic-level overrides (strings, Kafka names) on top of `base`. Unknown
 * names are ignored here (the broker validates names against its topic config list).
 */
export function parseLogConfig(overrides: Readonly<Record<string, string>>, base: Readonly<LogConfig> = DEFAULT_LOG_CONFIG): LogConfig {
  const out: LogConfig = { ...base };
  for (const [name, raw] of Object.entries(overrides)) {
    if (!isLogConfigName(name)) continue;
    (out as unknown as Record<string, unknown>)[name] = parseLogConfigValue(name, raw);
  }
  return out;
}

/**
 * Broker-level defaults from `log.*` settings (strings, as in server.properties),
 * including Kafka's precedence log.retention.ms > .minutes > .hours and
 * log.roll.ms > log.roll.hours.
 */
export function logConfigFromBrokerConfig(props: Readonly<Record<string, string | undefined>>): LogConfig {
  const topicLevel: Record<string, string> = {};
  for (const [topicName, brokerName] of Object.entries(TOPIC_TO_BROKER_CONFIG)) {
    const v = props[brokerName];
    if (v !== undefined) topicLevel[topicName] = v;
  }
  if (props['log.retention.ms'] === undefined) {
    // A negative minutes/hours value means "no limit" (-1), as in Kafka's LogConfig.
    const scaled = (raw: string, unitMs: number): string => (Number(raw) < 0 ? '-1' : String(Number(raw) * unitMs));
    if (props['log.retention.minutes'] !== undefined) topicLevel['retention.ms'] = scaled(props['log.retention.minutes'], 60_000);
    else if (props['log.retention.hours'] !== undefined) topicLevel['retention.ms'] = scaled(props['log.retention.hours'], 3_600_000);
  }
  if (props['log.roll.ms'] === undefined && props['log.roll.hours'] !== undefined) {
    topicLevel['segment.ms'] = String(Number(props['log.roll.hours']) * 3_600_000);
  }
  if (props['log.roll.jitter.ms'] === undefined && props['log.roll.jitter.hours'] !== undefined) {
    topicLevel['segment.jitter.ms'] = String(Number(props['log.roll.jitter.hours']) * 3_600_000);
  }
  if (props['log.flush.interval.ms'] === undefined && props['log.flush.scheduler.interval.ms'] !== undefined) {
    topicLevel['flush.ms'] = props['log.flush.scheduler.interval.ms'];
  }
  return parseLogConfig(topicLevel);
}

export function isCompacted(config: Readonly<LogConfig>): boolean {
  return config['cleanup.policy'].includes('compact');
}

export function isDeleteEnabled(config: Readonly<LogConfig>): boolean {
  return config['cleanup.policy'].includes('delete');
}
