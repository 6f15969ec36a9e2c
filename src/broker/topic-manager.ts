import { ErrorCode } from '../protocol/errors/index.ts';
import type { LogManager } from '../storage/log-manager.ts';
import type { BrokerConfig } from './config/broker-config.ts';
import { brokerValueForTopicConfig } from './config/config-entries.ts';
import { DynamicBrokerConfigs } from './config/dynamic-broker-configs.ts';
import { InvalidConfigError, validateTopicConfigs } from './config/topic-config-defs.ts';
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

/**
 * A change of the topic metadata file: an I/O failure (a full disk, say) fails the
 * request with KAFKA_STORAGE_ERROR and changes nothing (the registry writes before it
 * applies).
 */
function metadataWrite<T>(change: () => T): T {
  try {
    return change();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('E')) throw new TopicError(ErrorCode.KAFKA_STORAGE_ERROR, `The topic metadata could not be written: ${(e as Error).message}`);
    throw e;
  }
}

export interface ReplicaAssignment {
  partitionIndex: number;
  brokerIds: readonly number[];
}

/**
 * Most partitions one request may create (Kafka's controller: MAX_PARTITIONS_PER_BATCH).
 * Every partition holds open files; without a bound one request could exhaust them.
 */
export const MAX_PARTITIONS_PER_REQUEST = 10_000;

function checkPartitionBatch(n: number): void {
  if (n > MAX_PARTITIONS_PER_REQUEST) {
    throw new TopicError(ErrorCode.POLICY_VIOLATION, 'Excessively large number of partitions per request.');
  }
}

export interface CreateTopicOptions {
  /** -1 or undefined: num.partitions. Must be -1/undefined with `assignments`. */
  partitions?: number;
  /** -1 or undefined: default.replication.factor. Must be -1/undefined with `assignments`. */
  replicationFactor?: number;
  /** Manual replica assignment, one entry per partition (CreateTopics assignments). */
  assignments?: readonly ReplicaAssignment[];
  configs?: Record<string, string>;
  validateOnly?: boolean;
}

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/**
 * Topic lifecycle on a single node: validation with Kafka's rules and error codes,
 * the registry (names, ids, configs) and the partition logs kept in step.
 */
export class TopicManager {
  readonly registry: TopicRegistry;
  /** Dynamic broker configs (AlterConfigs on BROKER resources), loaded and applied at construction. */
  readonly dynamicConfigs: DynamicBrokerConfigs;
  private readonly logs: LogManager;
  private readonly config: BrokerConfig;
  private readonly liveBrokers: () => number;

  constructor(registry: TopicRegistry, logs: LogManager, config: BrokerConfig, liveBrokers: () => number = () => 1) {
    this.registry = registry;
    this.logs = logs;
    this.config = config;
    this.liveBrokers = liveBrokers;
    this.dynamicConfigs = DynamicBrokerConfigs.open(registry.dir, config, logs, (m) => process.stderr.write(`[samsa] ${m}\n`));
  }

  /** Broker ids a replica may be placed on: this node. */
  private registeredBrokers(): number[] {
    return [this.config.nodeId];
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

  /**
   * Validates a complete set of topic overrides (Kafka's LogConfig.validate):
   * INVALID_CONFIG with Kafka's message. With `config`, cross-config checks use
   * the broker's values for configs not overridden.
   */
  static validateConfigs(configs: Record<string, string>, config?: BrokerConfig): void {
    try {
      validateTopicConfigs(configs, config ? (name) => brokerValueForTopicConfig(config, name) : undefined);
    } catch (err) {
      if (err instanceof InvalidConfigError) throw new TopicError(ErrorCode.INVALID_CONFIG, err.message);
      throw err;
    }
  }

  /**
   * Kafka's ReplicationControlManager.validateManualPartitionAssignment: a
   * non-empty list of distinct registered brokers, as many as the other partitions.
   */
  private validateAssignment(brokerIds: readonly number[], replicationFactor: number | undefined): void {
    if (brokerIds.length === 0) {
      throw new TopicError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.');
    }
    const sorted = [...brokerIds].sort((a, b) => a - b);
    const registered = this.registeredBrokers();
    let prev: number | undefined;
    for (const id of sorted) {
      if (!registered.includes(id)) {
        throw new TopicError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${id}, but no such broker is registered.`);
      }
      if (id === prev) {
        throw new TopicError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${id} more than once.`);
      }
      prev = id;
    }
    if (replicationFactor !== undefined && sorted.length !== replicationFactor) {
      throw new TopicError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `The manual partition assignment includes a partition with ${sorted.length} replica(s), but this is not consistent with previous partitions, which have ${replicationFactor} replica(s).`,
      );
    }
  }

  /**
   * Creates a topic with Kafka's checks, in Kafka's order (KRaft
   * ReplicationControlManager): name, existence, configs, then the manual
   * assignment or partition count and replication factor.
   */
  create(name: string, opts: CreateTopicOptions = {}): TopicMetadata {
    const problem = topicNameProblem(name);
    if (problem) throw new TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
    if (this.registry.get(name)) throw new TopicError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const unified = unifyCollisionChars(name);
    const clash = this.registry.all().find((t) => unifyCollisionChars(t.name) === unified);
    if (clash) {
      throw new TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${name}' collides with existing topic: ${clash.name}`);
    }
    const configs = opts.configs ?? {};
    TopicManager.validateConfigs(configs, this.config);
    let partitions: number;
    let rf: number;
    if (opts.assignments && opts.assignments.length > 0) {
      if (opts.replicationFactor !== undefined && opts.replicationFactor !== -1) {
        throw new TopicError(ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but replication factor was not set to -1.');
      }
      if (opts.partitions !== undefined && opts.partitions !== -1) {
        throw new TopicError(ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but numPartitions was not set to -1.');
      }
      const seen = new Set<number>();
      let assignedRf: number | undefined;
      for (const a of opts.assignments) {
        if (seen.has(a.partitionIndex)) {
          throw new TopicError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Found multiple manual partition assignments for partition ${a.partitionIndex}`);
        }
        this.validateAssignment(a.brokerIds, assignedRf);
        assignedRf = a.brokerIds.length;
        seen.add(a.partitionIndex);
      }
      for (let i = 0; i < seen.size; i++) {
        if (!seen.has(i)) throw new TopicError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions should be a consecutive 0-based integer sequence');
      }
      partitions = seen.size;
      rf = assignedRf!;
    } else {
      const wantRf = opts.replicationFactor ?? -1;
      const wantPartitions = opts.partitions ?? -1;
      if (wantRf < -1 || wantRf === 0) {
        throw new TopicError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
      }
      if (wantPartitions < -1 || wantPartitions === 0) {
        throw new TopicError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
      }
      partitions = wantPartitions === -1 ? this.config.int('num.partitions') : wantPartitions;
      checkPartitionBatch(partitions);
      rf = wantRf === -1 ? this.config.int('default.replication.factor') : wantRf;
      if (rf > this.liveBrokers()) {
        throw new TopicError(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${this.liveBrokers()} broker(s) are registered.`,
        );
      }
    }
    if (opts.validateOnly) {
      return { name, topicId: ZERO_UUID, partitions, replicationFactor: rf, configs };
    }
    const t = metadataWrite(() => this.registry.create(name, partitions, rf, configs));
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
    metadataWrite(() => this.registry.delete(name));
    const deletions: Promise<void>[] = [];
    for (let p = 0; p < t.partitions; p++) deletions.push(this.logs.deleteLog(name, p));
    void Promise.all(deletions);
    return t;
  }

  /**
   * Raises a topic's partition count (CreatePartitions), with Kafka's KRaft checks
   * and messages; `assignments` (one replica list per new partition) is optional.
   */
  addPartitions(name: string, count: number, validateOnly = false, assignments?: readonly (readonly number[])[] | null): void {
    const t = this.registry.get(name);
    if (!t) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    if (count === t.partitions) {
      throw new TopicError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${t.partitions} partition(s).`);
    }
    if (count < t.partitions) {
      throw new TopicError(ErrorCode.INVALID_PARTITIONS, `The topic ${name} currently has ${t.partitions} partition(s); ${count} would not be an increase.`);
    }
    const additional = count - t.partitions;
    checkPartitionBatch(additional);
    if (assignments) {
      if (assignments.length !== additional) {
        throw new TopicError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Attempted to add ${additional} additional partition(s), but only ${assignments.length} assignment(s) were specified.`,
        );
      }
      for (const brokerIds of assignments) this.validateAssignment(brokerIds, t.replicationFactor);
    }
    if (validateOnly) return;
    const old = t.partitions;
    metadataWrite(() => this.registry.setPartitions(name, count));
    for (let p = old; p < count; p++) this.logs.getOrCreateLog(name, p, t.configs);
  }

  /** Replaces a topic's overrides (AlterConfigs semantics) after validating them. */
  setConfigs(name: string, configs: Record<string, string>, validateOnly = false): void {
    const t = this.registry.get(name);
    if (!t) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    TopicManager.validateConfigs(configs, this.config);
    if (validateOnly) return;
    metadataWrite(() => this.registry.setConfigs(name, configs));
    this.logs.updateTopicConfig(name, configs);
  }

  isInternal(name: string): boolean {
    return INTERNAL_TOPICS.has(name);
  }
}
