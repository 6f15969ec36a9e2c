/**
 * Admin calls about partitions, each sent to the partition's leader as Kafka's
 * Admin does: listOffsets (ListOffsets), deleteRecords (DeleteRecords),
 * describeProducers (DescribeProducers). Partitions are batched per leader; a
 * partition whose leader moved (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE,
 * ...) or whose leader could not be reached is looked up again and retried with
 * backoff until default.api.timeout.ms. Every partition ends with a value or
 * a KafkaError.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors/index.ts';
import { DeleteRecordsApi, DescribeProducersApi, ListOffsetsApi } from '../../protocol/generated/api-keys.ts';
import type { BrokerConnection } from '../network/broker-connection.ts';
import { ConnectionError } from '../network/errors.ts';
import { sleep } from './coordinators.ts';
import type { AdminContext } from './coordinators.ts';
import type { TopicPartition } from './groups.ts';

/** Kafka's OffsetSpec. */
export type OffsetSpec = 'earliest' | 'latest' | 'max-timestamp' | 'earliest-local' | 'latest-tiered' | { timestamp: number | bigint };

/** ListOffsets' special timestamps. */
export const OffsetSpecTimestamp = {
  latest: -1n,
  earliest: -2n,
  'max-timestamp': -3n,
  'earliest-local': -4n,
  'latest-tiered': -5n,
} as const;

/** ListOffsets version each special timestamp needs. */
const MIN_VERSION: Record<string, number> = { '-3': 7, '-4': 8, '-5': 9 };

export const IsolationLevel = { READ_UNCOMMITTED: 0, READ_COMMITTED: 1 } as const;

export interface ListOffsetsResult extends TopicPartition {
  /** -1 when no record matches (a timestamp after the last record's). */
  offset: bigint;
  timestamp: bigint;
  leaderEpoch: number | null;
  error: KafkaError | null;
}

export interface DeleteRecordsResult extends TopicPartition {
  lowWatermark: bigint;
  error: KafkaError | null;
}

export interface ProducerState {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: bigint;
  coordinatorEpoch: number | null;
  currentTransactionStartOffset: bigint | null;
}

export interface DescribeProducersResult extends TopicPartition {
  activeProducers: ProducerState[];
  error: KafkaError | null;
}

type Outcome<R> = { value: R } | { code: number; error: KafkaError };

const key = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;

/** Errors after which the leader is looked up again. */
function leaderMoved(code: number): boolean {
  return (
    code === ErrorCode.NOT_LEADER_OR_FOLLOWER ||
    code === ErrorCode.LEADER_NOT_AVAILABLE ||
    code === ErrorCode.FENCED_LEADER_EPOCH ||
    code === ErrorCode.UNKNOWN_LEADER_EPOCH ||
    code === ErrorCode.REPLICA_NOT_AVAILABLE ||
    code === ErrorCode.OFFSET_NOT_AVAILABLE ||
    code === ErrorCode.KAFKA_STORAGE_ERROR
  );
}

function byTopic<T extends TopicPartition>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const i of items) {
    const list = out.get(i.topic) ?? [];
    list.push(i);
    out.set(i.topic, list);
  }
  return out;
}

/**
 * Sends `items` to their leaders, batched per leader (or all to `nodeId` when
 * given), retrying partitions whose leader moved. Returns one outcome per item key.
 */
async function perLeader<T extends TopicPartition, R>(
  ctx: AdminContext,
  items: readonly T[],
  send: (conn: BrokerConnection, batch: readonly T[]) => Promise<Map<string, Outcome<R>>>,
  nodeId?: number,
): Promise<Map<string, { value: R } | { error: KafkaError }>> {
  const out = new Map<string, { value: R } | { error: KafkaError }>();
  const deadline = Date.now() + ctx.retry.apiTimeoutMs;
  let backoff = ctx.retry.retryBackoffMs;
  let pending = [...items];
  while (pending.length > 0) {
    const retry: { item: T; error: KafkaError }[] = [];
    const byNode = new Map<number, T[]>();
    for (const item of pending) {
      let leader: number;
      try {
        leader = nodeId ?? (await ctx.cluster.leaderFor(item.topic, item.partition));
      } catch (err) {
        if (err instanceof KafkaError && err.code !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && leaderMoved(err.code)) retry.push({ item, error: err });
        else if (err instanceof KafkaError) out.set(key(item), { error: err });
        else if (err instanceof ConnectionError && err.retriable) retry.push({ item, error: KafkaError.from(ErrorCode.NETWORK_EXCEPTION, err.message, { cause: err }) });
        else throw err;
        continue;
      }
      const list = byNode.get(leader) ?? [];
      list.push(item);
      byNode.set(leader, list);
    }
    await Promise.all(
      [...byNode].map(async ([node, batch]) => {
        let results: Map<string, Outcome<R>>;
        try {
          if (nodeId !== undefined && !ctx.cluster.brokers().some((b) => b.nodeId === node)) await ctx.cluster.refreshMetadata([]);
          results = await send(await ctx.cluster.connection(node), batch);
        } catch (err) {
          if (!(err instanceof ConnectionError && err.retriable)) throw err;
          for (const item of batch) {
            ctx.cluster.invalidate(item.topic);
            retry.push({ item, error: KafkaError.from(ErrorCode.NETWORK_EXCEPTION, err.message, { cause: err }) });
          }
          return;
        }
        for (const item of batch) {
          const r = results.get(key(item));
          if (r === undefined) out.set(key(item), { error: KafkaError.from(ErrorCode.UNKNOWN_SERVER_ERROR, `${item.topic}-${item.partition} missing from the response`) });
          else if ('code' in r && leaderMoved(r.code) && nodeId === undefined) {
            ctx.cluster.invalidate(item.topic);
            retry.push({ item, error: r.error });
          } else if ('code' in r) out.set(key(item), { error: r.error });
          else out.set(key(item), r);
        }
      }),
    );
    if (retry.length === 0) break;
    if (Date.now() + backoff >= deadline) {
      for (const r of retry) out.set(key(r.item), { error: r.error });
      break;
    }
    await sleep(backoff);
    backoff = Math.min(backoff * 2, ctx.retry.retryBackoffMaxMs);
    pending = retry.map((r) => r.item);
  }
  return out;
}

function err(code: number, tp: TopicPartition, message?: string | null): KafkaError {
  return KafkaError.from(code, message ? `${tp.topic}-${tp.partition}: ${message}` : `${tp.topic}-${tp.partition}`);
}

function timestampOf(spec: OffsetSpec): bigint {
  return typeof spec === 'string' ? OffsetSpecTimestamp[spec] : BigInt(spec.timestamp);
}

/**
 * Offsets of partitions by OffsetSpec: earliest (log start), latest (high
 * watermark, or last stable offset with READ_COMMITTED), max-timestamp (the
 * record with the largest timestamp), or the first offset whose timestamp is at
 * or after a given time. In the order asked.
 */
export async function listOffsets(
  ctx: AdminContext,
  requests: readonly (TopicPartition & { spec: OffsetSpec })[],
  opts: { isolationLevel?: number } = {},
): Promise<ListOffsetsResult[]> {
  // Kafka's Admin takes one spec per partition; several here go in successive rounds.
  const rounds: (TopicPartition & { spec: OffsetSpec })[][] = [];
  const seen = new Map<string, number>();
  for (const r of requests) {
    const n = seen.get(key(r)) ?? 0;
    seen.set(key(r), n + 1);
    (rounds[n] ??= []).push(r);
  }
  if (rounds.length > 1) {
    const answers = await Promise.all(rounds.map((round) => listOffsetsOnce(ctx, round, opts)));
    const next = new Map<string, number>();
    return requests.map((r) => {
      const n = next.get(key(r)) ?? 0;
      next.set(key(r), n + 1);
      return answers[n]!.find((a) => a.topic === r.topic && a.partition === r.partition)!;
    });
  }
  return listOffsetsOnce(ctx, requests, opts);
}

async function listOffsetsOnce(
  ctx: AdminContext,
  requests: readonly (TopicPartition & { spec: OffsetSpec })[],
  opts: { isolationLevel?: number },
): Promise<ListOffsetsResult[]> {
  const isolationLevel = opts.isolationLevel ?? IsolationLevel.READ_UNCOMMITTED;
  const results = await perLeader<TopicPartition & { spec: OffsetSpec }, ListOffsetsResult>(ctx, requests, async (conn, batch) => {
    const out = new Map<string, Outcome<ListOffsetsResult>>();
    const version = conn.versionFor(ListOffsetsApi);
    const send: (TopicPartition & { timestamp: bigint })[] = [];
    for (const r of batch) {
      const timestamp = timestampOf(r.spec);
      const needs = MIN_VERSION[String(timestamp)] ?? (isolationLevel !== 0 ? 2 : 0);
      if (version < needs) out.set(key(r), { code: ErrorCode.UNSUPPORTED_VERSION, error: err(ErrorCode.UNSUPPORTED_VERSION, r, `needs ListOffsets v${needs}, the broker speaks v${version}`) });
      else send.push({ topic: r.topic, partition: r.partition, timestamp });
    }
    if (send.length === 0) return out;
    const res = await conn.send(
      ListOffsetsApi,
      {
        replicaId: -1,
        isolationLevel,
        timeoutMs: ctx.retry.apiTimeoutMs,
        topics: [...byTopic(send)].map(([name, list]) => ({
          name,
          partitions: list.map((p) => ({ partitionIndex: p.partition, currentLeaderEpoch: -1, timestamp: p.timestamp, maxNumOffsets: 1 })),
        })),
      },
      { version },
    );
    for (const t of res.topics) {
      for (const p of t.partitions) {
        const tp = { topic: t.name, partition: p.partitionIndex };
        if (p.errorCode !== ErrorCode.NONE) {
          out.set(key(tp), { code: p.errorCode, error: err(p.errorCode, tp) });
          continue;
        }
        const offset = version === 0 ? (p.oldStyleOffsets[0] ?? -1n) : p.offset;
        out.set(key(tp), { value: { ...tp, offset, timestamp: version === 0 ? -1n : p.timestamp, leaderEpoch: p.leaderEpoch >= 0 ? p.leaderEpoch : null, error: null } });
      }
    }
    return out;
  });
  return requests.map((r) => {
    const o = results.get(key(r))!;
    return 'value' in o ? o.value : { topic: r.topic, partition: r.partition, offset: -1n, timestamp: -1n, leaderEpoch: null, error: o.error };
  });
}

/**
 * Deletes records before `beforeOffset` (-1: the high watermark) in each
 * partition: the log start offset moves up. Returns the new low watermarks.
 */
export async function deleteRecords(ctx: AdminContext, requests: readonly (TopicPartition & { beforeOffset: bigint | number })[], opts: { timeoutMs?: number } = {}): Promise<DeleteRecordsResult[]> {
  const timeoutMs = opts.timeoutMs ?? ctx.retry.apiTimeoutMs;
  const results = await perLeader<TopicPartition & { beforeOffset: bigint | number }, DeleteRecordsResult>(ctx, requests, async (conn, batch) => {
    const res = await conn.send(
      DeleteRecordsApi,
      { timeoutMs, topics: [...byTopic(batch)].map(([name, list]) => ({ name, partitions: list.map((p) => ({ partitionIndex: p.partition, offset: BigInt(p.beforeOffset) })) })) },
      { timeoutMs: timeoutMs + 5_000 },
    );
    const out = new Map<string, Outcome<DeleteRecordsResult>>();
    for (const t of res.topics) {
      for (const p of t.partitions) {
        const tp = { topic: t.name, partition: p.partitionIndex };
        out.set(key(tp), p.errorCode !== ErrorCode.NONE ? { code: p.errorCode, error: err(p.errorCode, tp) } : { value: { ...tp, lowWatermark: p.lowWatermark, error: null } });
      }
    }
    return out;
  });
  return requests.map((r) => {
    const o = results.get(key(r))!;
    return 'value' in o ? o.value : { topic: r.topic, partition: r.partition, lowWatermark: -1n, error: o.error };
  });
}

/**
 * The active idempotent and transactional producers of partitions (KIP-664),
 * asked of each partition's leader, or of `brokerId` when given.
 */
export async function describeProducers(ctx: AdminContext, partitions: readonly TopicPartition[], opts: { brokerId?: number } = {}): Promise<DescribeProducersResult[]> {
  const results = await perLeader<TopicPartition, DescribeProducersResult>(
    ctx,
    partitions,
    async (conn, batch) => {
      const res = await conn.send(DescribeProducersApi, { topics: [...byTopic(batch)].map(([name, list]) => ({ name, partitionIndexes: list.map((p) => p.partition) })) });
      const out = new Map<string, Outcome<DescribeProducersResult>>();
      for (const t of res.topics) {
        for (const p of t.partitions) {
          const tp = { topic: t.name, partition: p.partitionIndex };
          if (p.errorCode !== ErrorCode.NONE) {
            out.set(key(tp), { code: p.errorCode, error: err(p.errorCode, tp, p.errorMessage) });
            continue;
          }
          const activeProducers = p.activeProducers.map((s) => ({
            producerId: s.producerId,
            producerEpoch: s.producerEpoch,
            lastSequence: s.lastSequence,
            lastTimestamp: s.lastTimestamp,
            coordinatorEpoch: s.coordinatorEpoch >= 0 ? s.coordinatorEpoch : null,
            currentTransactionStartOffset: s.currentTxnStartOffset >= 0n ? s.currentTxnStartOffset : null,
          }));
          out.set(key(tp), { value: { ...tp, activeProducers, error: null } });
        }
      }
      return out;
    },
    opts.brokerId,
  );
  return partitions.map((r) => {
    const o = results.get(key(r))!;
    return 'value' in o ? o.value : { topic: r.topic, partition: r.partition, activeProducers: [], error: o.error };
  });
}
