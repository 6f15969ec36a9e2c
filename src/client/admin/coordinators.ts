/**
 * Coordinator routing (groups for the admin client and the consumer's
 * transactional offsets, transactional ids for the producer), as Kafka does it:
 * FindCoordinator (batched with coordinator_keys from v4, one key per request
 * before), a cache of group → coordinator node, and retries with backoff while
 * the coordinator moves or loads (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE,
 * COORDINATOR_LOAD_IN_PROGRESS) until the API timeout runs out.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors/index.ts';
import { FindCoordinatorApi } from '../../protocol/generated/api-keys.ts';
import type { BrokerConnection } from '../network/broker-connection.ts';
import type { Cluster } from '../network/cluster.ts';
import { ConnectionError } from '../network/errors.ts';

/** A broker as Kafka's Admin names it (org.apache.kafka.common.Node). */
export interface Node {
  id: number;
  host: string;
  port: number;
  rack: string | null;
}

/** FindCoordinator key types. */
export const CoordinatorType = { GROUP: 0, TRANSACTION: 1 } as const;

/** Errors after which the coordinator is looked up again and the request retried. */
export function isCoordinatorError(code: number): boolean {
  return code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_NOT_AVAILABLE || code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
}

export interface RetryOptions {
  /** retry.backoff.ms (Kafka: 100), doubling up to retry.backoff.max.ms (1000). */
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  /** default.api.timeout.ms: how long a call keeps retrying. */
  apiTimeoutMs: number;
}

/** What the admin calls share: the cluster, coordinator routing, retry settings. */
export interface AdminContext {
  readonly cluster: Cluster;
  readonly coordinators: Coordinators;
  readonly retry: RetryOptions;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class Coordinators {
  private readonly cluster: Cluster;
  private readonly keyType: number;
  private readonly cache = new Map<string, Node>();

  /** `keyType`: CoordinatorType.GROUP (group ids) or TRANSACTION (transactional ids). */
  constructor(cluster: Cluster, keyType: number = CoordinatorType.GROUP) {
    this.cluster = cluster;
    this.keyType = keyType;
  }

  forget(groupId: string): void {
    this.cache.delete(groupId);
  }

  /**
   * The coordinator of each group. A group whose lookup fails with a
   * coordinator error is left out of the map (the caller retries); any other
   * error is in `errors`.
   */
  async find(groupIds: readonly string[]): Promise<{ nodes: Map<string, Node>; errors: Map<string, KafkaError> }> {
    const nodes = new Map<string, Node>();
    const errors = new Map<string, KafkaError>();
    const missing: string[] = [];
    for (const g of groupIds) {
      const cached = this.cache.get(g);
      if (cached) nodes.set(g, cached);
      else if (!missing.includes(g)) missing.push(g);
    }
    if (missing.length === 0) return { nodes, errors };
    const conn = await this.cluster.anyConnection();
    const version = conn.versionFor(FindCoordinatorApi);
    const answers: { key: string; nodeId: number; host: string; port: number; errorCode: number; errorMessage: string | null }[] = [];
    if (version >= 4) {
      const res = await conn.send(FindCoordinatorApi, { keyType: this.keyType, coordinatorKeys: missing }, { version });
      answers.push(...res.coordinators);
    } else {
      for (const key of missing) {
        if (version === 0 && this.keyType !== CoordinatorType.GROUP) throw KafkaError.from(ErrorCode.UNSUPPORTED_VERSION, 'FindCoordinator v0 cannot look up transaction coordinators');
        const res = await conn.send(FindCoordinatorApi, { key, keyType: this.keyType }, { version });
        answers.push({ key, nodeId: res.nodeId, host: res.host, port: res.port, errorCode: res.errorCode, errorMessage: res.errorMessage });
      }
    }
    for (const a of answers) {
      if (a.errorCode === ErrorCode.NONE) {
        const node = { id: a.nodeId, host: a.host, port: a.port, rack: null };
        this.cache.set(a.key, node);
        nodes.set(a.key, node);
      } else if (!isCoordinatorError(a.errorCode)) {
        const what = this.keyType === CoordinatorType.GROUP ? 'group' : 'transactional id';
        errors.set(a.key, KafkaError.from(a.errorCode, a.errorMessage ? `${what} ${a.key}: ${a.errorMessage}` : `${what} ${a.key}`));
      }
    }
    return { nodes, errors };
  }

  /** The connection to a coordinator: by node id when metadata knows it. */
  async connect(node: Node): Promise<BrokerConnection> {
    if (!this.cluster.brokers().some((b) => b.nodeId === node.id)) await this.cluster.refreshMetadata([]);
    return this.cluster.connection(node.id);
  }
}

/**
 * Runs a per-group operation against each group's coordinator, batching groups
 * that share one. `send` gets the batch and returns each group's outcome; a
 * group whose outcome is a coordinator error (or whose lookup or connection
 * failed retriably) is looked up again and retried with backoff until the
 * deadline, when it gets its last error. Every group ends with a value or an
 * error.
 */
export async function perCoordinator<T>(
  coordinators: Coordinators,
  opts: RetryOptions,
  groupIds: readonly string[],
  send: (conn: BrokerConnection, groups: readonly string[], node: Node) => Promise<Map<string, { value: T } | { code: number; error: KafkaError }>>,
): Promise<Map<string, { value: T } | { error: KafkaError }>> {
  const out = new Map<string, { value: T } | { error: KafkaError }>();
  const lastError = new Map<string, KafkaError | Error>();
  let pending = [...new Set(groupIds)];
  const deadline = Date.now() + opts.apiTimeoutMs;
  let backoff = opts.retryBackoffMs;
  while (pending.length > 0) {
    const retry: string[] = [];
    let found: Awaited<ReturnType<Coordinators['find']>>;
    try {
      found = await coordinators.find(pending);
    } catch (err) {
      if (!(err instanceof ConnectionError && err.retriable) && !(err instanceof KafkaError && err.retriable)) throw err;
      for (const g of pending) lastError.set(g, err);
      found = { nodes: new Map(), errors: new Map() };
    }
    for (const [g, e] of found.errors) out.set(g, { error: e });
    const byNode = new Map<number, { node: Node; groups: string[] }>();
    for (const g of pending) {
      if (found.errors.has(g)) continue;
      const node = found.nodes.get(g);
      if (!node) {
        if (!lastError.has(g)) lastError.set(g, KafkaError.from(ErrorCode.COORDINATOR_NOT_AVAILABLE, `group ${g}`));
        retry.push(g);
        continue;
      }
      const entry = byNode.get(node.id) ?? { node, groups: [] };
      entry.groups.push(g);
      byNode.set(node.id, entry);
    }
    await Promise.all(
      [...byNode.values()].map(async ({ node, groups }) => {
        let results: Map<string, { value: T } | { code: number; error: KafkaError }>;
        try {
          results = await send(await coordinators.connect(node), groups, node);
        } catch (err) {
          if (!(err instanceof ConnectionError && err.retriable)) throw err;
          for (const g of groups) {
            coordinators.forget(g);
            lastError.set(g, err);
            retry.push(g);
          }
          return;
        }
        for (const g of groups) {
          const r = results.get(g);
          if (r === undefined) {
            out.set(g, { error: KafkaError.from(ErrorCode.UNKNOWN_SERVER_ERROR, `group ${g} missing from the response`) });
          } else if ('code' in r && isCoordinatorError(r.code)) {
            coordinators.forget(g);
            lastError.set(g, r.error);
            retry.push(g);
          } else if ('code' in r) {
            out.set(g, { error: r.error });
          } else {
            out.set(g, r);
          }
        }
      }),
    );
    if (retry.length === 0) break;
    if (Date.now() + backoff >= deadline) {
      for (const g of retry) {
        const e = lastError.get(g)!;
        out.set(g, { error: e instanceof KafkaError ? e : KafkaError.from(ErrorCode.COORDINATOR_NOT_AVAILABLE, `group ${g}: ${e.message}`, { cause: e }) });
      }
      break;
    }
    await sleep(backoff);
    backoff = Math.min(backoff * 2, opts.retryBackoffMaxMs);
    pending = retry;
  }
  return out;
}
