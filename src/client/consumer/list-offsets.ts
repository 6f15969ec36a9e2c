/**
 * ListOffsets for the consumer: auto.offset.reset, seekToBeginning/End,
 * beginningOffsets/endOffsets and offsetsForTimes. One request per partition
 * leader; invalid-metadata errors refresh the metadata and retry until the deadline.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors/index.ts';
import { ListOffsetsApi } from '../../protocol/generated/api-keys.ts';
import type { Cluster } from '../network/cluster.ts';
import { ConsumerTimeoutError } from './errors.ts';
import { sleep } from './fetcher.ts';
import type { TopicPartition } from './types.ts';
import { tpKey } from './types.ts';

export const EARLIEST_TIMESTAMP = -2n;
export const LATEST_TIMESTAMP = -1n;

export interface ListedOffset {
  offset: bigint;
  timestamp: bigint;
  leaderEpoch: number;
}

export interface ListOffsetsQuery extends TopicPartition {
  timestamp: bigint;
}

/** Offsets by tpKey. A partition with no offset for its timestamp maps to offset -1. */
export async function listOffsets(
  cluster: Cluster,
  queries: readonly ListOffsetsQuery[],
  opts: { isolationLevel: number; timeoutMs: number; retryBackoffMs: number },
): Promise<Map<string, ListedOffset>> {
  const out = new Map<string, ListedOffset>();
  const deadline = Date.now() + opts.timeoutMs;
  let pending = [...queries];
  let lastError: Error | null = null;
  while (pending.length > 0) {
    if (Date.now() > deadline) {
      throw new ConsumerTimeoutError(`Failed to get offsets by times in ${opts.timeoutMs}ms${lastError ? `: ${lastError.message}` : ''}`);
    }
    const byLeader = new Map<number, ListOffsetsQuery[]>();
    const retry: ListOffsetsQuery[] = [];
    for (const q of pending) {
      try {
        const leader = await cluster.leaderFor(q.topic, q.partition);
        const l = byLeader.get(leader) ?? [];
        l.push(q);
        byLeader.set(leader, l);
      } catch (err) {
        if (err instanceof KafkaError && !err.retriable) throw err;
        lastError = err as Error;
        retry.push(q);
      }
    }
    await Promise.all(
      [...byLeader].map(async ([leader, qs]) => {
        const topics = new Map<string, ListOffsetsQuery[]>();
        for (const q of qs) {
          const l = topics.get(q.topic) ?? [];
          l.push(q);
          topics.set(q.topic, l);
        }
        try {
          const conn = await cluster.connection(leader);
          const res = await conn.send(ListOffsetsApi, {
            replicaId: -1,
            isolationLevel: opts.isolationLevel,
            timeoutMs: opts.timeoutMs,
            topics: [...topics].map(([name, l]) => ({ name, partitions: l.map((q) => ({ partitionIndex: q.partition, timestamp: q.timestamp, maxNumOffsets: 1, currentLeaderEpoch: -1 })) })),
          });
          const answered = new Set<string>();
          for (const t of res.topics) {
            for (const p of t.partitions) {
              const k = tpKey(t.name, p.partitionIndex);
              answered.add(k);
              const q = qs.find((x) => x.topic === t.name && x.partition === p.partitionIndex);
              if (!q) continue;
              if (p.errorCode === ErrorCode.NONE) {
                const offset = p.oldStyleOffsets.length > 0 && p.offset < 0n ? p.oldStyleOffsets[0]! : p.offset;
                out.set(k, { offset, timestamp: p.timestamp, leaderEpoch: p.leaderEpoch });
                continue;
              }
              const err = KafkaError.from(p.errorCode, `ListOffsets ${t.name}-${p.partitionIndex}`);
              if (!err.retriable) throw err;
              if (err.invalidMetadata) cluster.invalidate(t.name);
              lastError = err;
              retry.push(q);
            }
          }
          for (const q of qs) if (!answered.has(tpKey(q.topic, q.partition))) retry.push(q);
        } catch (err) {
          if (err instanceof KafkaError && !err.retriable) throw err;
          if (!(err instanceof KafkaError) && (err as { retriable?: boolean }).retriable !== true) throw err;
          lastError = err as Error;
          for (const t of topics.keys()) cluster.invalidate(t);
          retry.push(...qs);
        }
      }),
    );
    pending = retry;
    if (pending.length > 0) await sleep(opts.retryBackoffMs);
  }
  return out;
}
