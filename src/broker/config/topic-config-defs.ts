/**
 * Topic-level configs as Kafka 4.0's LogConfig defines them (names, types,
 * defaults, validators, documentation), limited to the ones Samsa's storage
 * enforces (src/storage/log-config.ts). Kafka's tiered-storage, replication
 * throttle and compression-level topic configs are left out: Samsa does not
 * implement them, so it neither accepts nor describes them.
 *
 * Also here: which broker configs supply a topic config's default (Kafka's
 * ServerTopicConfigSynonyms, with the hours/minutes converters) and the broker
 * config synonym groups (DynamicBrokerConfig.brokerConfigSynonyms).
 */
import { ErrorCode } from '../../protocol/errors/index.ts';
import { isLogConfigName, parseLogConfigValue } from '../../storage/log-config.ts';
import { ConfigException, parseConfigValue } from './config-def.ts';
import type { ConfigDef, ConfigType } from './config-def.ts';

const LONG_MAX = '9223372036854775807';

function t(name: string, type: ConfigType, def: string, doc: string, extra: Partial<ConfigDef> = {}): ConfigDef {
  return { name, type, default: def, doc, ...extra };
}

export const TOPIC_CONFIG_DEFS: readonly ConfigDef[] = [
  t('cleanup.policy', 'list', 'delete',
    'The retention policy of log segments: "delete" discards old segments when their retention time or size limit is reached; "compact" keeps the latest value for each key (log compaction). Both may be given as "delete,compact": old segments are discarded per retention and the retained ones compacted.',
    { oneOf: ['compact', 'delete'] }),
  t('compression.type', 'string', 'producer',
    "The final compression type of the topic's data: one of the codecs 'gzip', 'snappy', 'lz4', 'zstd', or 'uncompressed' (no compression), or 'producer' (keep the codec the producer used).",
    { oneOf: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] }),
  t('delete.retention.ms', 'long', '86400000',
    'How long delete tombstone markers are kept in log compacted topics. It also bounds the time a consumer reading from offset 0 has to finish to see a valid snapshot of the final state.',
    { min: 0 }),
  t('file.delete.delay.ms', 'long', '60000', 'The time to wait before deleting a file from the filesystem.', { min: 0 }),
  t('flush.messages', 'long', LONG_MAX,
    'The number of messages written to a partition after which its log is fsynced. Replication and the operating system flush are usually preferable.',
    { min: 1 }),
  t('flush.ms', 'long', LONG_MAX,
    'The time after which unflushed data of a partition is fsynced. Replication and the operating system flush are usually preferable.',
    { min: 0 }),
  t('index.interval.bytes', 'int', '4096',
    'How often an entry is added to the offset index: roughly every this many bytes. More entries let reads start closer to the wanted offset but make the index larger.',
    { min: 0 }),
  t('max.compaction.lag.ms', 'long', LONG_MAX,
    'The maximum time a message stays ineligible for compaction. Only applies to compacted logs.',
    { min: 1 }),
  t('max.message.bytes', 'int', '1048588',
    'The largest record batch size allowed (after compression, if compression is enabled).',
    { min: 0 }),
  t('message.timestamp.after.max.ms', 'long', '3600000',
    "How far a record's timestamp may be ahead of the broker's clock. With message.timestamp.type=CreateTime a batch with a timestamp beyond this is rejected; ignored with LogAppendTime.",
    { min: 0 }),
  t('message.timestamp.before.max.ms', 'long', LONG_MAX,
    "How far a record's timestamp may be behind the broker's clock. With message.timestamp.type=CreateTime a batch with a timestamp beyond this is rejected; ignored with LogAppendTime.",
    { min: 0 }),
  t('message.timestamp.type', 'string', 'CreateTime',
    'Whether the timestamp in a record is its create time (set by the producer) or its log append time (set by the broker).',
    { oneOf: ['CreateTime', 'LogAppendTime'] }),
  t('min.cleanable.dirty.ratio', 'double', '0.5',
    'How often the log compactor tries to clean a log: a log is cleaned once the uncompacted ("dirty") part is at least this fraction of it (unless max.compaction.lag.ms forces it earlier).',
    { min: 0, max: 1 }),
  t('min.compaction.lag.ms', 'long', '0',
    'The minimum time a message stays uncompacted. Only applies to compacted logs.',
    { min: 0 }),
  t('min.insync.replicas', 'int', '1',
    'With acks=all (-1), the minimum number of in-sync replicas that must acknowledge a write for it to succeed; otherwise the producer gets NOT_ENOUGH_REPLICAS.',
    { min: 1 }),
  t('preallocate', 'boolean', 'false', 'True if segment files are preallocated on disk when a new segment is created.'),
  t('retention.bytes', 'long', '-1',
    'The maximum size a partition may grow to before old segments are discarded under the "delete" policy. -1: no size limit. Enforced per partition.'),
  t('retention.ms', 'long', '604800000',
    'The maximum time a log segment is kept before it is discarded under the "delete" policy. -1: no time limit.',
    { min: -1 }),
  t('segment.bytes', 'int', '1073741824',
    'The size of one segment file. Retention and cleaning work a whole segment at a time.',
    { min: 14 }),
  t('segment.index.bytes', 'int', '10485760',
    'The size of the offset index file of a segment, preallocated and shrunk when the segment rolls.',
    { min: 4 }),
  t('segment.jitter.ms', 'long', '0',
    'The maximum random jitter subtracted from the scheduled segment roll time, to avoid many segments rolling at once.',
    { min: 0 }),
  t('segment.ms', 'long', '604800000',
    "The time after which the active segment is rolled even if it isn't full, so retention can delete or compact old data.",
    { min: 1 }),
  t('unclean.leader.election.enable', 'boolean', 'false',
    'Whether replicas not in the ISR may be elected leader as a last resort, even though data may be lost.'),
];

export const TOPIC_CONFIG_DEF_BY_NAME: ReadonlyMap<string, ConfigDef> = new Map(TOPIC_CONFIG_DEFS.map((d) => [d.name, d]));

/** A broker config that supplies a topic config's default, with its unit conversion. */
export interface TopicConfigSynonym {
  name: string;
  /** Multiplier to the topic config's unit (hours → ms). */
  factor?: bigint;
}

const HOURS = 3_600_000n;
const MINUTES = 60_000n;

/** Topic config → broker configs that supply its default, in precedence order (Kafka's ServerTopicConfigSynonyms). */
export const TOPIC_CONFIG_SYNONYMS: Readonly<Record<string, readonly TopicConfigSynonym[]>> = {
  'cleanup.policy': [{ name: 'log.cleanup.policy' }],
  'compression.type': [{ name: 'compression.type' }],
  'delete.retention.ms': [{ name: 'log.cleaner.delete.retention.ms' }],
  'file.delete.delay.ms': [{ name: 'log.segment.delete.delay.ms' }],
  'flush.messages': [{ name: 'log.flush.interval.messages' }],
  'flush.ms': [{ name: 'log.flush.interval.ms' }, { name: 'log.flush.scheduler.interval.ms' }],
  'index.interval.bytes': [{ name: 'log.index.interval.bytes' }],
  'max.compaction.lag.ms': [{ name: 'log.cleaner.max.compaction.lag.ms' }],
  'max.message.bytes': [{ name: 'message.max.bytes' }],
  'message.timestamp.after.max.ms': [{ name: 'log.message.timestamp.after.max.ms' }],
  'message.timestamp.before.max.ms': [{ name: 'log.message.timestamp.before.max.ms' }],
  'message.timestamp.type': [{ name: 'log.message.timestamp.type' }],
  'min.cleanable.dirty.ratio': [{ name: 'log.cleaner.min.cleanable.ratio' }],
  'min.compaction.lag.ms': [{ name: 'log.cleaner.min.compaction.lag.ms' }],
  'min.insync.replicas': [{ name: 'min.insync.replicas' }],
  'preallocate': [{ name: 'log.preallocate' }],
  'retention.bytes': [{ name: 'log.retention.bytes' }],
  'retention.ms': [{ name: 'log.retention.ms' }, { name: 'log.retention.minutes', factor: MINUTES }, { name: 'log.retention.hours', factor: HOURS }],
  'segment.bytes': [{ name: 'log.segment.bytes' }],
  'segment.index.bytes': [{ name: 'log.index.size.max.bytes' }],
  'segment.jitter.ms': [{ name: 'log.roll.jitter.ms' }, { name: 'log.roll.jitter.hours', factor: HOURS }],
  'segment.ms': [{ name: 'log.roll.ms' }, { name: 'log.roll.hours', factor: HOURS }],
  'unclean.leader.election.enable': [{ name: 'unclean.leader.election.enable' }],
};

const BROKER_SYNONYM_GROUPS: readonly (readonly string[])[] = [
  ['log.roll.ms', 'log.roll.hours'],
  ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
  ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
];

/**
 * Broker configs that set the same thing as `name`, most specific first
 * (Kafka's DynamicBrokerConfig.brokerConfigSynonyms).
 */
export function brokerConfigSynonyms(name: string): readonly string[] {
  if (name === 'log.flush.interval.ms') return ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'];
  return BROKER_SYNONYM_GROUPS.find((g) => g.includes(name)) ?? [name];
}

/** A refused topic config: INVALID_CONFIG with Kafka's message. */
export class InvalidConfigError extends Error {
  readonly code: number = ErrorCode.INVALID_CONFIG;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidConfigError';
  }
}

/**
 * Validates a complete set of topic overrides as Kafka's LogConfig.validate does:
 * known names, each value's type and range (Kafka's messages, e.g. "Invalid value
 * abc for configuration retention.ms: Not a number of type LONG"), then
 * min.compaction.lag.ms <= max.compaction.lag.ms on the effective values.
 * `brokerDefault` gives the broker-level value of a topic config not overridden.
 */
export function validateTopicConfigs(
  overrides: Readonly<Record<string, string>>,
  brokerDefault?: (topicConfig: string) => string | null,
): void {
  for (const [name, value] of Object.entries(overrides)) {
    const def = TOPIC_CONFIG_DEF_BY_NAME.get(name);
    if (!def || !isLogConfigName(name)) throw new InvalidConfigError(`Unknown topic config name: ${name}`);
    try {
      parseConfigValue(def, value);
      parseLogConfigValue(name, value);
    } catch (err) {
      if (err instanceof ConfigException) throw new InvalidConfigError(err.message);
      throw new InvalidConfigError(`Invalid value ${value} for configuration ${name}: ${(err as Error).message.replace(/^Invalid value .* for configuration \S+: /, '')}`);
    }
  }
  const effective = (name: string): bigint | null => {
    const raw = overrides[name] ?? brokerDefault?.(name) ?? TOPIC_CONFIG_DEF_BY_NAME.get(name)!.default;
    try {
      return raw === null ? null : BigInt(raw.trim());
    } catch {
      return null;
    }
  };
  const minLag = effective('min.compaction.lag.ms');
  const maxLag = effective('max.compaction.lag.ms');
  if (minLag !== null && maxLag !== null && minLag > maxLag) {
    throw new InvalidConfigError(`conflict topic config setting min.compaction.lag.ms (${minLag}) > max.compaction.lag.ms (${maxLag})`);
  }
}
