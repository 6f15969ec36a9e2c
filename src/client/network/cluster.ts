/**
 * The client's view of a cluster: bootstrap addresses, the metadata cache
 * (brokers, topics, partition leaders) and one BrokerConnection per node id.
 *
 * Bootstrap addresses are used only to reach a first broker; after the first
 * Metadata response every connection is keyed by node id, as in the Java client
 * and franz-go. Connections are made lazily and remade when closed; concurrent
 * callers wanting the same node share one connect attempt.
 *
 * Staleness: a topic's entry is refreshed when it is missing, when it is older
 * than metadata.max.age.ms, or after `invalidate()` — which callers do on the
 * errors Kafka marks as invalid metadata (NOT_LEADER_OR_FOLLOWER,
 * UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, ...; see handleError).
 */
import { ErrorCode, KafkaError, errorInfo } from '../../protocol/errors/index.ts';
import { MetadataApi } from '../../protocol/generated/api-keys.ts';
import type { MetadataResponse } from '../../protocol/generated/metadata-response.ts';
import { BrokerConnection } from './broker-connection.ts';
import type { BrokerConnectionOptions } from './broker-connection.ts';
import { ConnectionError } from './errors.ts';

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
}

export interface BrokerInfo extends BrokerAddress {
  readonly nodeId: number;
  readonly rack: string | null;
}

export interface PartitionInfo {
  readonly partition: number;
  /** Leader node id, -1 while there is none. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offlineReplicas: readonly number[];
  readonly errorCode: number;
}

export interface TopicInfo {
  readonly name: string;
  /** Kafka's UUID as base64url (22 chars); all-zero before Metadata v10. */
  readonly topicId: string;
  readonly isInternal: boolean;
  /** Sorted by partition index. */
  readonly partitions: readonly PartitionInfo[];
  /** When this entry was fetched (Date.now()). */
  readonly fetchedAt: number;
}

export type ClusterConnectionOptions = Omit<BrokerConnectionOptions, 'host' | 'port' | 'nodeId' | 'onClose'>;

export interface ClusterOptions extends ClusterConnectionOptions {
  /** bootstrap.servers: "host:port,host:port" or a list. */
  bootstrapServers: string | readonly string[];
  /** metadata.max.age.ms */
  metadataMaxAgeMs?: number;
}

export const DEFAULT_PORT = 9092;

/** Parses bootstrap.servers ("h1:9092,h2:9092", "[::1]:9092", "host" → port 9092). */
export function parseBootstrapServers(servers: string | readonly string[]): BrokerAddress[] {
  const list = typeof servers === 'string' ? servers.split(',') : servers.flatMap((s) => s.split(','));
  const out: BrokerAddress[] = [];
  for (const raw of list) {
    const s = raw.trim();
    if (s === '') continue;
    let host: string;
    let portText: string | undefined;
    const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
    if (v6) {
      host = v6[1]!;
      portText = v6[2];
    } else {
      const colon = s.lastIndexOf(':');
      if (colon >= 0 && s.indexOf(':') === colon) {
        host = s.slice(0, colon);
        portText = s.slice(colon + 1);
      } else {
        host = s;
      }
    }
    const port = portText === undefined ? DEFAULT_PORT : Number(portText);
    if (host === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new TypeError(`Invalid url in bootstrap.servers: ${s}`);
    }
    out.push({ host, port });
  }
  if (out.length === 0) throw new TypeError('bootstrap.servers is empty');
  return out;
}

export class Cluster {
  readonly bootstrap: readonly BrokerAddress[];
  private readonly connOpts: ClusterConnectionOptions;
  private readonly metadataMaxAgeMs: number;
  private readonly nodes = new Map<number, BrokerInfo>();
  private readonly topics = new Map<string, TopicInfo>();
  private readonly connections = new Map<number, BrokerConnection>();
  private readonly connecting = new Map<number, Promise<BrokerConnection>>();
  private bootstrapConn: BrokerConnection | null = null;
  private bootstrapConnecting: Promise<BrokerConnection> | null = null;
  private isClosed = false;
  clusterId: string | null = null;
  controllerId = -1;

  constructor(opts: ClusterOptions) {
    this.bootstrap = parseBootstrapServers(opts.bootstrapServers);
    const { bootstrapServers: _b, metadataMaxAgeMs, ...connOpts } = opts;
    this.connOpts = connOpts;
    this.metadataMaxAgeMs = metadataMaxAgeMs ?? 300_000;
  }

  /** Brokers from the last Metadata response, by node id. */
  brokers(): BrokerInfo[] {
    return [...this.nodes.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  /** The cached entry for a topic, fresh or not. */
  cachedTopic(name: string): TopicInfo | undefined {
    return this.topics.get(name);
  }

  /**
   * Fetches metadata for `topics` (null: every topic) and merges it into the
   * cache. Returns the raw response; topic-level errors are not thrown here.
   */
  async refreshMetadata(topics: readonly string[] | null, opts: { allowAutoTopicCreation?: boolean } = {}): Promise<MetadataResponse> {
    const conn = await this.anyConnection();
    const version = conn.versionFor(MetadataApi);
    const wanted = topics === null ? (version === 0 ? [] : null) : topics.map((name) => ({ name }));
    const res = await conn.send(MetadataApi, { topics: wanted, allowAutoTopicCreation: opts.allowAutoTopicCreation ?? false }, { version });
    this.merge(res, topics === null);
    return res;
  }

  private merge(res: MetadataResponse, allTopics: boolean): void {
    const now = Date.now();
    if (res.brokers.length > 0) {
      this.nodes.clear();
      for (const b of res.brokers) this.nodes.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack });
      // A node that left the cluster, or moved, keeps no connection.
      for (const [id, conn] of this.connections) {
        const n = this.nodes.get(id);
        if (!n || n.host !== conn.host || n.port !== conn.port) {
          conn.close();
          this.connections.delete(id);
        }
      }
    }
    if (res.clusterId !== null) this.clusterId = res.clusterId;
    this.controllerId = res.controllerId;
    if (allTopics) this.topics.clear();
    for (const t of res.topics) {
      if (t.name === null) continue;
      if (t.errorCode !== ErrorCode.NONE && t.partitions.length === 0) {
        this.topics.delete(t.name);
        continue;
      }
      const partitions: PartitionInfo[] = t.partitions
        .map((p) => ({
          partition: p.partitionIndex,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offlineReplicas: p.offlineReplicas,
          errorCode: p.errorCode,
        }))
        .sort((a, b) => a.partition - b.partition);
      this.topics.set(t.name, { name: t.name, topicId: t.topicId, isInternal: t.isInternal, partitions, fetchedAt: now });
    }
  }

  /**
   * A topic's metadata, fetched when missing or stale. Throws KafkaError
   * (UNKNOWN_TOPIC_OR_PARTITION, ...) when the broker reports the topic in error.
   */
  topic(name: string, opts: { allowAutoTopicCreation?: boolean } = {}): Promise<TopicInfo> {
    const cached = this.topics.get(name);
    if (cached && Date.now() - cached.fetchedAt < this.metadataMaxAgeMs) return Promise.resolve(cached);
    // Concurrent lookups of one topic share one Metadata request.
    let p = this.topicFetches.get(name);
    if (p === undefined) {
      p = this.fetchTopic(name, opts).finally(() => this.topicFetches.delete(name));
      this.topicFetches.set(name, p);
    }
    return p;
  }

  private readonly topicFetches = new Map<string, Promise<TopicInfo>>();

  private async fetchTopic(name: string, opts: { allowAutoTopicCreation?: boolean }): Promise<TopicInfo> {
    const res = await this.refreshMetadata([name], opts);
    const t = res.topics.find((x) => x.name === name);
    if (!t) throw KafkaError.from(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${name} missing from the Metadata response`);
    if (t.errorCode !== ErrorCode.NONE) throw KafkaError.from(t.errorCode, `topic ${name}`);
    return this.topics.get(name)!;
  }

  /** Forgets a topic's entry (or every entry) so the next lookup fetches it. */
  invalidate(topic?: string): void {
    if (topic === undefined) this.topics.clear();
    else this.topics.delete(topic);
  }

  /**
   * What a caller does with an error code from a response about `topic`:
   * invalidates the entry when Kafka says the metadata is stale, and tells
   * whether a retry may succeed.
   */
  handleError(code: number, topic?: string): { retriable: boolean; refreshMetadata: boolean } {
    const info = errorInfo(code);
    if (info.invalidMetadata) this.invalidate(topic);
    return { retriable: info.retriable, refreshMetadata: info.invalidMetadata };
  }

  /** The leader's node id for a partition; refreshes once when there is none. */
  async leaderFor(topic: string, partition: number): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const t = await this.topic(topic);
      const p = t.partitions[partition]?.partition === partition ? t.partitions[partition] : t.partitions.find((x) => x.partition === partition);
      if (p === undefined) {
        if (attempt === 0) {
          this.invalidate(topic);
          continue;
        }
        throw KafkaError.from(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition}: topic has ${t.partitions.length} partitions`);
      }
      if (p.leader >= 0 && p.errorCode !== ErrorCode.LEADER_NOT_AVAILABLE) return p.leader;
      if (attempt === 0) {
        this.invalidate(topic);
        continue;
      }
      throw KafkaError.from(p.errorCode !== ErrorCode.NONE ? p.errorCode : ErrorCode.LEADER_NOT_AVAILABLE, `${topic}-${partition}`);
    }
  }

  async leaderConnection(topic: string, partition: number): Promise<BrokerConnection> {
    return this.connection(await this.leaderFor(topic, partition));
  }

  /** The connection to a node known from metadata, made (or remade) on demand. */
  connection(nodeId: number): Promise<BrokerConnection> {
    if (this.isClosed) return Promise.reject(new ConnectionError(`node ${nodeId}`, 'client is closed'));
    const open = this.connections.get(nodeId);
    if (open && !open.closed) return Promise.resolve(open);
    const inProgress = this.connecting.get(nodeId);
    if (inProgress) return inProgress;
    const node = this.nodes.get(nodeId);
    if (!node) return Promise.reject(new ConnectionError(`node ${nodeId}`, 'node is not in the cluster metadata'));
    const p = BrokerConnection.connect({ ...this.connOpts, host: node.host, port: node.port, nodeId }).then(
      (conn) => {
        this.connecting.delete(nodeId);
        if (this.isClosed) {
          conn.close();
          throw new ConnectionError(conn.label, 'client is closed');
        }
        this.connections.set(nodeId, conn);
        return conn;
      },
      (err: unknown) => {
        this.connecting.delete(nodeId);
        throw err;
      },
    );
    this.connecting.set(nodeId, p);
    return p;
  }

  /** The controller per metadata (KRaft brokers forward admin requests anyway), else any broker. */
  async controllerConnection(): Promise<BrokerConnection> {
    if (this.controllerId < 0 || !this.nodes.has(this.controllerId)) await this.refreshMetadata([]);
    if (this.controllerId >= 0 && this.nodes.has(this.controllerId)) return this.connection(this.controllerId);
    return this.anyConnection();
  }

  /**
   * Any open connection; else a known node; else a bootstrap address — each tried
   * in turn until one connects. Throws the last connect error when none does.
   */
  async anyConnection(): Promise<BrokerConnection> {
    if (this.isClosed) throw new ConnectionError('cluster', 'client is closed');
    for (const c of this.connections.values()) if (!c.closed) return c;
    if (this.bootstrapConn && !this.bootstrapConn.closed) return this.bootstrapConn;
    let lastError: unknown = null;
    for (const id of this.nodes.keys()) {
      try {
        return await this.connection(id);
      } catch (err) {
        lastError = err;
      }
    }
    this.bootstrapConnecting ??= this.connectBootstrap().finally(() => {
      this.bootstrapConnecting = null;
    });
    try {
      return await this.bootstrapConnecting;
    } catch (err) {
      if (lastError !== null) (err as Error).message += `; known nodes failed too (${(lastError as Error).message})`;
      throw err;
    }
  }

  private async connectBootstrap(): Promise<BrokerConnection> {
    let lastError: unknown = null;
    for (const addr of this.bootstrap) {
      try {
        const conn = await BrokerConnection.connect({ ...this.connOpts, host: addr.host, port: addr.port });
        if (this.isClosed) {
          conn.close();
          throw new ConnectionError(conn.label, 'client is closed');
        }
        this.bootstrapConn = conn;
        return conn;
      } catch (err) {
        lastError = err;
      }
    }
    const list = this.bootstrap.map((a) => `${a.host}:${a.port}`).join(',');
    throw new ConnectionError(list, `no bootstrap server reachable (${(lastError as Error)?.message ?? 'none tried'})`, { cause: lastError });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Closes every connection; pending requests reject with ConnectionError. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
    this.bootstrapConn?.close();
    this.bootstrapConn = null;
  }
}
