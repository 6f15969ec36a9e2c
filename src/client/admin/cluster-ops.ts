/**
 * Admin calls about the cluster, its configs and its brokers' disks:
 * describeCluster (DescribeCluster, or Metadata on brokers without it),
 * incrementalAlterConfigs and alterConfigs (broker resources go to that broker,
 * the rest to any broker), describeLogDirs (each broker asked).
 */
import { ErrorCode, KafkaError } from '../../protocol/errors/index.ts';
import { AlterConfigsApi, DescribeClusterApi, DescribeLogDirsApi, IncrementalAlterConfigsApi } from '../../protocol/generated/api-keys.ts';
import type { BrokerConnection } from '../network/broker-connection.ts';
import { ConnectionError } from '../network/errors.ts';
import type { AdminContext, Node } from './coordinators.ts';
import type { TopicPartition } from './groups.ts';

export interface ClusterDescription {
  clusterId: string | null;
  /** null when the cluster names none. */
  controller: Node | null;
  nodes: Node[];
}

/** Kafka's AlterConfigOp.OpType codes. */
export const AlterConfigOpType = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;
export type AlterConfigOpName = keyof typeof AlterConfigOpType;

export interface AlterConfigOp {
  name: string;
  /** SET (default), DELETE (back to the default), APPEND / SUBTRACT (list configs). */
  op?: AlterConfigOpName;
  /** Ignored for DELETE. */
  value?: string | null;
}

export interface ConfigResource {
  /** ConfigResourceType: TOPIC 2, BROKER 4, BROKER_LOGGER 8. */
  type: number;
  /** Topic name, broker id ("" for the cluster-wide broker default). */
  name: string;
}

export interface ConfigResourceError extends ConfigResource {
  error: KafkaError | null;
}

export interface ReplicaInfo extends TopicPartition {
  size: bigint;
  offsetLag: bigint;
  isFuture: boolean;
}

export interface LogDirDescription {
  path: string;
  error: KafkaError | null;
  replicas: ReplicaInfo[];
  /** -1 when the broker does not say (DescribeLogDirs before v4). */
  totalBytes: bigint;
  usableBytes: bigint;
}

export interface BrokerLogDirs {
  brokerId: number;
  error: KafkaError | null;
  logDirs: LogDirDescription[];
}

const BROKER = 4;
const BROKER_LOGGER = 8;

function err(code: number, what: string, message?: string | null): KafkaError | null {
  if (code === ErrorCode.NONE) return null;
  return KafkaError.from(code, message ? `${what}: ${message}` : what);
}

async function nodeConnection(ctx: AdminContext, nodeId: number): Promise<BrokerConnection> {
  if (!ctx.cluster.brokers().some((b) => b.nodeId === nodeId)) await ctx.cluster.refreshMetadata([]);
  return ctx.cluster.connection(nodeId);
}

/** The cluster id, the controller and the brokers. */
export async function describeCluster(ctx: AdminContext): Promise<ClusterDescription> {
  const conn = await ctx.cluster.anyConnection();
  if (conn.supports(DescribeClusterApi)) {
    const res = await conn.send(DescribeClusterApi, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    if (res.errorCode !== ErrorCode.NONE) throw KafkaError.from(res.errorCode, res.errorMessage ?? 'DescribeCluster');
    const nodes = res.brokers.map((b) => ({ id: b.brokerId, host: b.host, port: b.port, rack: b.rack })).sort((a, b) => a.id - b.id);
    return { clusterId: res.clusterId, controller: nodes.find((n) => n.id === res.controllerId) ?? null, nodes };
  }
  const res = await ctx.cluster.refreshMetadata([]);
  const nodes = res.brokers.map((b) => ({ id: b.nodeId, host: b.host, port: b.port, rack: b.rack })).sort((a, b) => a.id - b.id);
  return { clusterId: res.clusterId, controller: nodes.find((n) => n.id === res.controllerId) ?? null, nodes };
}

/** Broker and broker-logger resources go to that broker; the rest (topics, cluster-wide defaults) to any. */
function routeResources<T extends ConfigResource>(resources: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of resources) {
    const k = (r.type === BROKER || r.type === BROKER_LOGGER) && r.name !== '' ? r.name : '';
    const list = out.get(k) ?? [];
    list.push(r);
    out.set(k, list);
  }
  return out;
}

async function sendRouted<T extends ConfigResource>(
  ctx: AdminContext,
  resources: readonly T[],
  send: (conn: BrokerConnection, list: readonly T[]) => Promise<{ resourceType: number; resourceName: string; errorCode: number; errorMessage: string | null }[]>,
): Promise<ConfigResourceError[]> {
  const answers = new Map<string, ConfigResourceError>();
  for (const [brokerId, list] of routeResources(resources)) {
    const conn = brokerId === '' ? await ctx.cluster.anyConnection() : await nodeConnection(ctx, Number(brokerId));
    for (const r of await send(conn, list)) {
      answers.set(`${r.resourceType}\u0000${r.resourceName}`, {
        type: r.resourceType,
        name: r.resourceName,
        error: err(r.errorCode, `${r.resourceType === 2 ? 'topic' : 'resource'} ${r.resourceName}`, r.errorMessage),
      });
    }
  }
  return resources.map(
    (r) => answers.get(`${r.type}\u0000${r.name}`) ?? { type: r.type, name: r.name, error: KafkaError.from(ErrorCode.UNKNOWN_SERVER_ERROR, `resource ${r.name} missing from the response`) },
  );
}

/**
 * Changes configs one by one (KIP-339): SET a value, DELETE an override, APPEND
 * to or SUBTRACT from a list config; other configs stay as they are.
 */
export async function incrementalAlterConfigs(
  ctx: AdminContext,
  resources: readonly (ConfigResource & { ops: readonly AlterConfigOp[] })[],
  opts: { validateOnly?: boolean } = {},
): Promise<ConfigResourceError[]> {
  return sendRouted(ctx, resources, async (conn, list) => {
    const res = await conn.send(IncrementalAlterConfigsApi, {
      validateOnly: opts.validateOnly ?? false,
      resources: list.map((r) => ({
        resourceType: r.type,
        resourceName: r.name,
        configs: r.ops.map((o) => {
          const op = AlterConfigOpType[o.op ?? 'SET'];
          if (op === undefined) throw new TypeError(`unknown config operation ${String(o.op)}`);
          return { name: o.name, configOperation: op, value: op === AlterConfigOpType.DELETE ? null : (o.value ?? null) };
        }),
      })),
    });
    return res.responses;
  });
}

/**
 * The legacy AlterConfigs: each resource's dynamic configs are replaced by
 * `configs` (configs left out go back to their defaults). Deprecated in Kafka
 * in favour of incrementalAlterConfigs.
 */
export async function alterConfigs(
  ctx: AdminContext,
  resources: readonly (ConfigResource & { configs: Readonly<Record<string, string | null>> })[],
  opts: { validateOnly?: boolean } = {},
): Promise<ConfigResourceError[]> {
  return sendRouted(ctx, resources, async (conn, list) => {
    const res = await conn.send(AlterConfigsApi, {
      validateOnly: opts.validateOnly ?? false,
      resources: list.map((r) => ({ resourceType: r.type, resourceName: r.name, configs: Object.entries(r.configs).map(([name, value]) => ({ name, value })) })),
    });
    return res.responses;
  });
}

/**
 * Each broker's log directories with the replicas they hold (size, lag behind
 * the high watermark, whether a future replica). `brokerIds` null: every broker;
 * `partitions` null: every replica. A broker that cannot be reached (or is not
 * in the cluster) gets NETWORK_EXCEPTION in its result.
 */
export async function describeLogDirs(ctx: AdminContext, brokerIds: readonly number[] | null, opts: { partitions?: readonly TopicPartition[] | null } = {}): Promise<BrokerLogDirs[]> {
  if (brokerIds === null || brokerIds.some((id) => !ctx.cluster.brokers().some((b) => b.nodeId === id))) await ctx.cluster.refreshMetadata([]);
  const ids = brokerIds ?? ctx.cluster.brokers().map((b) => b.nodeId);
  let topics: { topic: string; partitions: number[] }[] | null = null;
  if (opts.partitions) {
    const byTopic = new Map<string, number[]>();
    for (const tp of opts.partitions) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
    topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  }
  return Promise.all(
    ids.map(async (brokerId): Promise<BrokerLogDirs> => {
      let conn: BrokerConnection;
      try {
        conn = await nodeConnection(ctx, brokerId);
      } catch (e) {
        if (!(e instanceof ConnectionError)) throw e;
        return { brokerId, error: KafkaError.from(ErrorCode.NETWORK_EXCEPTION, `broker ${brokerId}: ${e.message}`, { cause: e }), logDirs: [] };
      }
      const version = conn.versionFor(DescribeLogDirsApi);
      const res = await conn.send(DescribeLogDirsApi, { topics }, { version });
      return {
        brokerId,
        error: err(res.errorCode, `DescribeLogDirs on broker ${brokerId}`),
        logDirs: res.results.map((d) => ({
          path: d.logDir,
          error: err(d.errorCode, `log dir ${d.logDir}`),
          totalBytes: version >= 4 ? d.totalBytes : -1n,
          usableBytes: version >= 4 ? d.usableBytes : -1n,
          replicas: d.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, size: p.partitionSize, offsetLag: p.offsetLag, isFuture: p.isFutureKey }))),
        })),
      };
    }),
  );
}
