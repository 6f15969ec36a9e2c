import { ErrorCode } from '../protocol/errors/index.ts';
import type { LogManager } from '../storage/log-manager.ts';
import { isLogConfigName, parseLogConfigValue } from '../storage/log-config.ts';
import type { BrokerConfig } from './config/broker-config.ts';
import { INTERNAL_TOPICS, topicNameProblem, unifyCollisionChars } from './metadata/topic-names.ts';
import type { TopicMetadata, TopicRegistry } from './metadata/topic-registry.ts';

/** A refused topic operation: the Kafka error code and the message clients show. */
export class TopicError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'TopicError';
    this.code = code;
  }
}

export interface CreateTopicOptions {
  partitions?: number;
  replicationFactor?: number;
  configs?: Record<string, string>;
  validateOnly?: boolean;
}

/**
 * Topic lifecycle on a single node: validation with Kafka's rules and error codes,
 * the registry (names, ids, configs) and the partition logs kept in step.
 */
export class TopicManager {
  readonly registry: TopicRegistry;
  private readonly logs: LogManager;
  private readonly config: BrokerConfig;
  private readonly liveBrokers: () => number;

  constructor(registry: TopicRegistry, logs: LogManager, config: BrokerConfig, liveBrokers: () => number = () => 1) {
    this.registry = registry;
    this.logs = logs;
    this.config = config;
    this.liveBrokers = liveBrokers;
  }

  get(name: string): TopicMetadata | undefined {
    return this.registry.get(name);
  }

  getById(id: string): TopicMetadata | undefined {
    return this.registry.getById(id);
  }

  all(): TopicMetadata[] {
    return this.registry.all();
  }

  /** Opens every partition log of every known topic (startup). */
  openAll(): void {
    for (const t of this.registry.all()) {
      for (let p = 0; p < t.partitions; p++) this.logs.getOrCreateLog(t.name, p, t.configs);
    }
  }

  static validateConfigs(configs: Record<string, string>): void {
    for (const [name, value] of Object.entries(configs)) {
      if (!isLogConfigName(name)) throw new TopicError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`);
      try {
        parseLogConfigValue(name, value);
      } catch (err) {
        throw new TopicError(ErrorCode.INVALID_CONFIG, (err as Error).message);
      }
    }
  }

  create(name: string, opts: CreateTopicOptions = {}): TopicMetadata {
    const problem = topicNameProblem(name);
    if (problem) throw new TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
    if (this.registry.get(name)) throw new TopicError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const unified = unifyCollisionChars(name);
    const clash = this.registry.all().find((t) => unifyCollisionChars(t.name) === unified);
    if (clash) {
      throw new TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${name}' collides with existing topic: ${clash.name}`);
    }
    const partitions = opts.partitions === undefined || opts.partitions === -1 ? this.config.int('num.partitions') : opts.partitions;
    if (partitions <= 0) throw new TopicError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
    const rf = opts.replicationFactor === undefined || opts.replicationFactor === -1
      ? this.config.int('default.replication.factor')
      : opts.replicationFactor;
    if (rf <= 0) throw new TopicError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
    if (rf > this.liveBrokers()) {
      throw new TopicError(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${this.liveBrokers()} broker(s) are registered.`,
      );
    }
    const configs = opts.configs ?? {};
    TopicManager.validateConfigs(configs);
    if (opts.validateOnly) {
      return { name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions, replicationFactor: rf, configs };
    }
    const t = this.registry.create(name, partitions, rf, configs);
    for (let p = 0; p < partitions; p++) this.logs.getOrCreateLog(name, p, configs);
    return t;
  }

  /** Creates an internal topic with a capped replication factor (offsets, transactions). */
  ensureInternal(name: string, partitions: number, configs: Record<string, string>): TopicMetadata {
    const existing = this.registry.get(name);
    if (existing) return existing;
    return this.create(name, { partitions, replicationFactor: 1, configs });
  }

  async delete(name: string): Promise<TopicMetadata> {
    if (!this.config.bool('delete.topic.enable')) {
      throw new TopicError(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
    }
    const t = this.registry.get(name);
    if (!t) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    this.registry.delete(name);
    const deletions: Promise<void>[] = [];
    for (let p = 0; p < t.partitions; p++) deletions.push(this.logs.deleteLog(name, p));
    void Promise.all(deletions);
    return t;
  }

  addPartitions(name: string, count: number, validateOnly = false): void {
    const t = this.registry.get(name);
    if (!t) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    if (count < t.partitions) {
      throw new TopicError(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${t.partitions} partitions, which is higher than the requested ${count}.`);
    }
    if (count === t.partitions) {
      throw new TopicError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${t.partitions} partitions.`);
    }
    if (validateOnly) return;
    const old = t.partitions;
    this.registry.setPartitions(name, count);
    for (let p = old; p < count; p++) this.logs.getOrCreateLog(name, p, t.configs);
  }

  /** Replaces a topic's overrides (AlterConfigs semantics) after validating them. */
  setConfigs(name: string, configs: Record<string, string>, validateOnly = false): void {
    const t = this.registry.get(name);
    if (!t) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    TopicManager.validateConfigs(configs);
    if (validateOnly) return;
    this.registry.setConfigs(name, configs);
    this.logs.updateTopicConfig(name, configs);
  }

  isInternal(name: string): boolean {
    return INTERNAL_TOPICS.has(name);
  }
}
