/**
 * The admin client, after Kafka's Admin (kadm in franz-go): promise-based, one
 * result per item asked about.
 *
 * Per-item failures (a topic, a group, a partition, a config resource) come back
 * in each result's `error` as a KafkaError with the broker's message, as Kafka's
 * Admin gives one future per item; a call that fails as a whole rejects.
 *
 * Routing, as Kafka's Admin does it:
 * - topic admin (here) → the controller the metadata names; NOT_CONTROLLER
 *   refreshes the metadata and retries once;
 * - consumer groups (groups.ts) → each group's coordinator (FindCoordinator,
 *   cached; NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE /
 *   COORDINATOR_LOAD_IN_PROGRESS look it up again and retry with backoff);
 * - partitions (partitions.ts: listOffsets, deleteRecords, describeProducers) →
 *   each partition's leader, batched per leader, following leaders that move;
 * - cluster, configs, log dirs (cluster-ops.ts) → any broker, or the broker a
 *   resource names.
 * Retries stop at default.api.timeout.ms; the state a call leaves is seen by
 * later calls once the brokers have it (eventually consistent, as Kafka).
 */
import { ErrorCode, KafkaError } from '../../protocol/errors/index.ts';
import { CreatePartitionsApi, CreateTopicsApi, DeleteTopicsApi, DescribeConfigsApi } from '../../protocol/generated/api-keys.ts';
import type { ApiSpec } from '../../protocol/generated/api-keys.ts';
import type { BrokerConnection } from '../network/broker-connection.ts';
import { Cluster } from '../network/cluster.ts';
import type { ClusterOptions, PartitionInfo } from '../network/cluster.ts';
import * as clusterOps from './cluster-ops.ts';
import type { AlterConfigOp, BrokerLogDirs, ClusterDescription, ConfigResource, ConfigResourceError } from './cluster-ops.ts';
import { Coordinators } from './coordinators.ts';
import type { AdminContext, RetryOptions } from './coordinators.ts';
import * as groups from './groups.ts';
import type {
  ConsumerGroupDescription,
  ConsumerGroupListing,
  ConsumerGroupOffsets,
  GroupOffsetsSpec,
  GroupPartitionsResult,
  GroupResult,
  OffsetToCommit,
  TopicPartition,
} from './groups.ts';
import * as partitions from './partitions.ts';
import type { DeleteRecordsResult, DescribeProducersResult, ListOffsetsResult, OffsetSpec } from './partitions.ts';

export interface AdminOptions extends ClusterOptions {
  /** default.api.timeout.ms: what the broker is given to finish (CreateTopics/DeleteTopics timeoutMs), and how long calls retry. */
  defaultApiTimeoutMs?: number;
  /** retry.backoff.ms (100) */
  retryBackoffMs?: number;
  /** retry.backoff.max.ms (1000) */
  retryBackoffMaxMs?: number;
}

export interface NewTopic {
  name: string;
  /** -1 (default): the broker's num.partitions. */
  numPartitions?: number;
  /** -1 (default): the broker's default.replication.factor. */
  replicationFactor?: number;
  /** Explicit replica assignment: partition index → broker ids. */
  replicaAssignment?: ReadonlyMap<number, readonly number[]>;
  configs?: Readonly<Record<string, string>>;
}

export interface CreateTopicResult {
  name: string;
  topicId: string | null;
  numPartitions: number;
  replicationFactor: number;
  error: KafkaError | null;
}

/** The outcome for one topic of deleteTopics or createPartitions. */
export interface DeleteTopicResult {
  name: string;
  error: KafkaError | null;
}

export interface TopicListing {
  name: string;
  topicId: string;
  isInternal: boolean;
}

export interface TopicDescription {
  name: string;
  topicId: string;
  isInternal: boolean;
  partitions: readonly PartitionInfo[];
}

/** Kafka's ConfigResource.Type codes. */
export const ConfigResourceType = {
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
} as const;
export type ConfigResourceType = (typeof ConfigResourceType)[keyof typeof ConfigResourceType];

/** Kafka's ConfigEntry.ConfigSource codes (DescribeConfigs v1+). */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
  CLIENT_METRICS_CONFIG: 7,
  GROUP_CONFIG: 8,
} as const;

export interface ConfigEntry {
  name: string;
  value: string | null;
  source: number;
  isDefault: boolean;
  isSensitive: boolean;
  readOnly: boolean;
}

export interface ConfigResourceResult {
  type: number;
  name: string;
  entries: ConfigEntry[];
  error: KafkaError | null;
}

export function errorOf(code: number, message: string | null | undefined, what: string): KafkaError | null {
  if (code === ErrorCode.NONE) return null;
  return KafkaError.from(code, message ? `${what}: ${message}` : what);
}

export class Admin {
  readonly cluster: Cluster;
  private readonly apiTimeoutMs: number;
  /** What the group, offset and cluster calls (groups.ts, offsets.ts, cluster-ops.ts) share. */
  private readonly ctx: AdminContext;

  constructor(opts: AdminOptions) {
    const { defaultApiTimeoutMs, retryBackoffMs, retryBackoffMaxMs, ...clusterOpts } = opts;
    this.cluster = new Cluster(clusterOpts);
    this.apiTimeoutMs = defaultApiTimeoutMs ?? 60_000;
    const retry: RetryOptions = { apiTimeoutMs: this.apiTimeoutMs, retryBackoffMs: retryBackoffMs ?? 100, retryBackoffMaxMs: retryBackoffMaxMs ?? 1000 };
    this.ctx = { cluster: this.cluster, coordinators: new Coordinators(this.cluster), retry };
  }

  close(): void {
    this.cluster.close();
  }

  /** Sends to the controller; on NOT_CONTROLLER anywhere in the response, refreshes metadata and retries once. */
  private async toController<Res>(send: (conn: BrokerConnection) => Promise<Res>, notController: (res: Res) => boolean): Promise<Res> {
    for (let attempt = 0; ; attempt++) {
      const res = await send(await this.cluster.controllerConnection());
      if (attempt > 0 || !notController(res)) return res;
      await this.cluster.refreshMetadata([]);
    }
  }

  async createTopics(topics: readonly NewTopic[], opts: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<CreateTopicResult[]> {
    const request = {
      timeoutMs: opts.timeoutMs ?? this.apiTimeoutMs,
      validateOnly: opts.validateOnly ?? false,
      topics: topics.map((t) => ({
        name: t.name,
        numPartitions: t.replicaAssignment ? -1 : (t.numPartitions ?? -1),
        replicationFactor: t.replicaAssignment ? -1 : (t.replicationFactor ?? -1),
        assignments: t.replicaAssignment ? [...t.replicaAssignment].map(([partitionIndex, brokerIds]) => ({ partitionIndex, brokerIds })) : [],
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
    };
    const res = await this.toController(
      (conn) => conn.send(CreateTopicsApi, request, { timeoutMs: request.timeoutMs + REQUEST_SLACK_MS }),
      (r) => r.topics.some((t) => t.errorCode === ErrorCode.NOT_CONTROLLER),
    );
    const out = res.topics.map((t) => ({
      name: t.name,
      topicId: t.topicId === ZERO_UUID ? null : t.topicId,
      numPartitions: t.numPartitions,
      replicationFactor: t.replicationFactor,
      error: errorOf(t.errorCode, t.errorMessage, `topic ${t.name}`),
    }));
    this.cluster.invalidate();
    return out;
  }

  async deleteTopics(names: readonly string[], opts: { timeoutMs?: number } = {}): Promise<DeleteTopicResult[]> {
    const timeoutMs = opts.timeoutMs ?? this.apiTimeoutMs;
    const res = await this.toController(
      (conn) => {
        const version = conn.versionFor(DeleteTopicsApi);
        const request = version >= 6 ? { timeoutMs, topics: names.map((name) => ({ name })) } : { timeoutMs, topicNames: [...names] };
        return conn.send(DeleteTopicsApi, request, { version, timeoutMs: timeoutMs + REQUEST_SLACK_MS });
      },
      (r) => r.responses.some((t) => t.errorCode === ErrorCode.NOT_CONTROLLER),
    );
    this.cluster.invalidate();
    return res.responses.map((t) => ({ name: t.name ?? t.topicId, error: errorOf(t.errorCode, t.errorMessage, `topic ${t.name ?? t.topicId}`) }));
  }

  /** Raises topics' partition counts to `count` (Kafka's createPartitions; counts only grow). */
  async createPartitions(increases: readonly { name: string; count: number }[], opts: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<DeleteTopicResult[]> {
    const timeoutMs = opts.timeoutMs ?? this.apiTimeoutMs;
    const request = { timeoutMs, validateOnly: opts.validateOnly ?? false, topics: increases.map((t) => ({ name: t.name, count: t.count, assignments: null })) };
    const res = await this.toController(
      (conn) => conn.send(CreatePartitionsApi, request, { timeoutMs: timeoutMs + REQUEST_SLACK_MS }),
      (r) => r.results.some((t) => t.errorCode === ErrorCode.NOT_CONTROLLER),
    );
    this.cluster.invalidate();
    return res.results.map((t) => ({ name: t.name, error: errorOf(t.errorCode, t.errorMessage, `topic ${t.name}`) }));
  }

  /** Every topic, sorted by name; internal topics only when asked. */
  async listTopics(opts: { listInternal?: boolean } = {}): Promise<TopicListing[]> {
    const res = await this.cluster.refreshMetadata(null);
    return res.topics
      .filter((t) => t.name !== null && t.errorCode === ErrorCode.NONE && (opts.listInternal || !t.isInternal))
      .map((t) => ({ name: t.name!, topicId: t.topicId, isInternal: t.isInternal }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Topics with their partitions (leader, replicas, ISR). Null: every topic.
   * Rejects with the first topic's KafkaError (e.g. UNKNOWN_TOPIC_OR_PARTITION).
   */
  async describeTopics(names: readonly string[] | null): Promise<TopicDescription[]> {
    const res = await this.cluster.refreshMetadata(names);
    const out: TopicDescription[] = [];
    for (const t of res.topics) {
      if (t.errorCode !== ErrorCode.NONE) throw KafkaError.from(t.errorCode, `topic ${t.name ?? t.topicId}`);
      const info = this.cluster.cachedTopic(t.name!);
      if (!info) continue;
      out.push({ name: info.name, topicId: info.topicId, isInternal: info.isInternal, partitions: info.partitions });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Configs of topics or brokers. Topic configs are asked of any broker, broker
   * configs of that broker. A broker without DescribeConfigs rejects with
   * KafkaError UNSUPPORTED_VERSION.
   */
  async describeConfigs(resources: readonly { type: number; name: string; keys?: readonly string[] }[]): Promise<ConfigResourceResult[]> {
    const out: ConfigResourceResult[] = [];
    const byConn = new Map<string, typeof resources[number][]>();
    for (const r of resources) {
      const key = r.type === ConfigResourceType.BROKER && r.name !== '' ? r.name : '';
      const list = byConn.get(key) ?? [];
      list.push(r);
      byConn.set(key, list);
    }
    for (const [brokerId, list] of byConn) {
      const conn = brokerId === '' ? await this.cluster.anyConnection() : await this.connectionForNode(Number(brokerId));
      const res = await conn.send(DescribeConfigsApi, {
        includeSynonyms: false,
        includeDocumentation: false,
        resources: list.map((r) => ({ resourceType: r.type, resourceName: r.name, configurationKeys: r.keys ? [...r.keys] : null })),
      });
      for (const r of res.results) {
        out.push({
          type: r.resourceType,
          name: r.resourceName,
          error: errorOf(r.errorCode, r.errorMessage, `${r.resourceType === ConfigResourceType.TOPIC ? 'topic' : 'resource'} ${r.resourceName}`),
          entries: r.configs.map((c) => ({
            name: c.name,
            value: c.value,
            source: c.configSource,
            isDefault: c.configSource === ConfigSource.DEFAULT_CONFIG || (c.configSource === -1 && c.isDefault),
            isSensitive: c.isSensitive,
            readOnly: c.readOnly,
          })),
        });
      }
    }
    return out;
  }

  private async connectionForNode(nodeId: number): Promise<BrokerConnection> {
    if (!this.cluster.brokers().some((b) => b.nodeId === nodeId)) await this.cluster.refreshMetadata([]);
    return this.cluster.connection(nodeId);
  }

  // ---- cluster and configs (cluster-ops.ts) ----

  /** The cluster id, the controller and the brokers (Kafka's describeCluster). */
  describeCluster(): Promise<ClusterDescription> {
    return clusterOps.describeCluster(this.ctx);
  }

  /** SET / DELETE / APPEND / SUBTRACT configs of topics and brokers; one result per resource. */
  incrementalAlterConfigs(resources: readonly (ConfigResource & { ops: readonly AlterConfigOp[] })[], opts: { validateOnly?: boolean } = {}): Promise<ConfigResourceError[]> {
    return clusterOps.incrementalAlterConfigs(this.ctx, resources, opts);
  }

  /** Legacy AlterConfigs: replaces each resource's dynamic configs with `configs`. Prefer incrementalAlterConfigs. */
  alterConfigs(resources: readonly (ConfigResource & { configs: Readonly<Record<string, string | null>> })[], opts: { validateOnly?: boolean } = {}): Promise<ConfigResourceError[]> {
    return clusterOps.alterConfigs(this.ctx, resources, opts);
  }

  /** Log directories of brokers (null: every broker) and the replicas in them. */
  describeLogDirs(brokerIds: readonly number[] | null = null, opts: { partitions?: readonly TopicPartition[] | null } = {}): Promise<BrokerLogDirs[]> {
    return clusterOps.describeLogDirs(this.ctx, brokerIds, opts);
  }

  // ---- consumer groups (groups.ts), routed to each group's coordinator ----

  /** Consumer groups of every broker, sorted by id; `states` filters (case-insensitive). */
  listConsumerGroups(opts: { states?: readonly string[] } = {}): Promise<ConsumerGroupListing[]> {
    return groups.listConsumerGroups(this.ctx, opts);
  }

  /** Members (with decoded assignments), state, assignor and coordinator of groups, in the order asked. */
  describeConsumerGroups(groupIds: readonly string[], opts: { includeAuthorizedOperations?: boolean } = {}): Promise<ConsumerGroupDescription[]> {
    return groups.describeConsumerGroups(this.ctx, groupIds, opts);
  }

  /** Deletes empty groups with their offsets. */
  deleteConsumerGroups(groupIds: readonly string[]): Promise<GroupResult[]> {
    return groups.deleteConsumerGroups(this.ctx, groupIds);
  }

  /** Committed offsets of groups (every partition, or those asked); one OffsetFetch per coordinator on v8+. */
  listConsumerGroupOffsets(specs: readonly (string | GroupOffsetsSpec)[], opts: { requireStable?: boolean } = {}): Promise<ConsumerGroupOffsets[]> {
    return groups.listConsumerGroupOffsets(this.ctx, specs, opts);
  }

  /** Commits offsets for an empty group from outside it (generation -1, no member id). */
  alterConsumerGroupOffsets(groupId: string, offsets: readonly OffsetToCommit[]): Promise<GroupPartitionsResult> {
    return groups.alterConsumerGroupOffsets(this.ctx, groupId, offsets);
  }

  /** Deletes a group's committed offsets of some partitions. */
  deleteConsumerGroupOffsets(groupId: string, topicPartitions: readonly TopicPartition[]): Promise<GroupPartitionsResult> {
    return groups.deleteConsumerGroupOffsets(this.ctx, groupId, topicPartitions);
  }

  // ---- partitions (partitions.ts), routed to each partition's leader ----

  /** Offsets by spec (earliest, latest, max-timestamp, a timestamp), in the order asked. */
  listOffsets(requests: readonly (TopicPartition & { spec: OffsetSpec })[], opts: { isolationLevel?: number } = {}): Promise<ListOffsetsResult[]> {
    return partitions.listOffsets(this.ctx, requests, opts);
  }

  /** Deletes records below `beforeOffset` (-1: the high watermark); the new low watermarks. */
  deleteRecords(requests: readonly (TopicPartition & { beforeOffset: bigint | number })[], opts: { timeoutMs?: number } = {}): Promise<DeleteRecordsResult[]> {
    return partitions.deleteRecords(this.ctx, requests, { timeoutMs: opts.timeoutMs ?? this.apiTimeoutMs });
  }

  /** Active producers of partitions (from their leaders, or from `brokerId`). */
  describeProducers(topicPartitions: readonly TopicPartition[], opts: { brokerId?: number } = {}): Promise<DescribeProducersResult[]> {
    return partitions.describeProducers(this.ctx, topicPartitions, opts);
  }

  /** Whether the connected broker serves `api` at all. */
  async supports(api: ApiSpec): Promise<boolean> {
    return (await this.cluster.anyConnection()).supports(api);
  }
}

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
/** The broker may use the whole timeoutMs before answering: room for the round trip. */
export const REQUEST_SLACK_MS = 5_000;
