/**
 * Offset commits and fetches as both memberships send them (classic: coordinator.ts,
 * KIP-848: consumer-membership.ts), on the coordinator connection. What differs is
 * passed in: who commits (generation id or member epoch, member id, instance id),
 * what a partition's error means to the member (lose the generation, rejoin, fatal),
 * and which errors are retried besides the retriable ones (KIP-848's stale epoch).
 */
import { ErrorCode, KafkaError } from '../../protocol/errors/index.ts';
import { OffsetCommitApi, OffsetFetchApi } from '../../protocol/generated/api-keys.ts';
import type { ConsumerSettings } from './config.ts';
import { CommitFailedError, ConsumerTimeoutError } from './errors.ts';
import { sleep } from './fetcher.ts';
import type { GroupCoordinatorLink } from './group-coordinator-link.ts';
import type { SubscriptionState } from './subscription-state.ts';
import type { TopicPartition, TopicPartitionOffset } from './types.ts';
import { tpKey } from './types.ts';

/** Who an OffsetCommit goes as: the classic generation id or the KIP-848 member epoch (-1: not as a member). */
export interface CommitIdentity {
  generationIdOrMemberEpoch: number;
  memberId: string;
  groupInstanceId: string | null;
}

/** Who an OffsetFetch goes as (v9+, epoch ≥ 0: the member id and epoch are sent). */
export interface FetchIdentity {
  memberId: string;
  epoch: number;
}

/** Not as a member: an OffsetFetch without member id and epoch. */
export const NO_MEMBER: FetchIdentity = { memberId: '', epoch: -1 };

/** Positions of every assigned partition that has one. */
export function consumedOffsets(subs: SubscriptionState): TopicPartitionOffset[] {
  const out: TopicPartitionOffset[] = [];
  for (const s of subs.all()) if (s.position !== null) out.push({ topic: s.topic, partition: s.partition, offset: s.position, leaderEpoch: s.positionEpoch, metadata: '' });
  return out;
}

/** enable.auto.commit: the consumed positions, every auto.commit.interval.ms. */
export class AutoCommitter {
  private readonly o: ConsumerSettings;
  private readonly subs: SubscriptionState;
  private next: number;

  constructor(o: ConsumerSettings, subs: SubscriptionState) {
    this.o = o;
    this.subs = subs;
    this.next = Date.now() + o.autoCommitIntervalMs;
  }

  /** Commits once the interval has passed (a subscribed member only while `stable`); failures are retried at the next interval. */
  maybeCommit(now: number, stable: boolean, commitOnce: (offsets: readonly TopicPartitionOffset[]) => Promise<void>): void {
    if (!this.o.enableAutoCommit || now < this.next) return;
    this.next = now + this.o.autoCommitIntervalMs;
    if (this.subs.hasAutoAssignment && !stable) return;
    const offsets = consumedOffsets(this.subs);
    if (offsets.length === 0) return;
    commitOnce(offsets).catch(() => {
      // Auto-commit failures are retried at the next interval.
    });
  }
}

/**
 * commitSync: `commitOnce`, retrying retriable errors (and those `retryAlso` names)
 * until `deadline`. CommitFailedError (the group moved on) is not retried.
 */
export async function commitWithRetries(
  commitOnce: (offsets: readonly TopicPartitionOffset[]) => Promise<void>,
  offsets: readonly TopicPartitionOffset[],
  deadline: number,
  o: ConsumerSettings,
  retryAlso: (err: unknown) => boolean = () => false,
): Promise<void> {
  if (offsets.length === 0) return;
  for (;;) {
    try {
      await commitOnce(offsets);
      return;
    } catch (err) {
      const retriable = retryAlso(err) || ((err as { retriable?: boolean }).retriable === true && !(err instanceof CommitFailedError));
      if (!retriable) throw err;
      if (Date.now() + o.retryBackoffMs > deadline) throw new ConsumerTimeoutError(`Timeout of commitSync expired before the offsets could be committed: ${(err as Error).message}`);
      await sleep(o.retryBackoffMs);
    }
  }
}

/**
 * One OffsetCommit. `identity` is read once the coordinator is known. A partition's
 * error: NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE forget the coordinator, then
 * `onPartitionError` (which may throw its own error), then it is thrown as a KafkaError.
 */
export async function sendOffsetCommit(
  link: GroupCoordinatorLink,
  groupId: string,
  offsets: readonly TopicPartitionOffset[],
  identity: () => CommitIdentity,
  onPartitionError: (code: number) => void,
): Promise<void> {
  const conn = await link.ensure();
  const { generationIdOrMemberEpoch, memberId, groupInstanceId } = identity();
  const byTopic = new Map<string, TopicPartitionOffset[]>();
  for (const o of offsets) {
    const l = byTopic.get(o.topic) ?? [];
    l.push(o);
    byTopic.set(o.topic, l);
  }
  let res;
  try {
    res = await conn.send(OffsetCommitApi, {
      groupId,
      generationIdOrMemberEpoch,
      memberId,
      groupInstanceId,
      retentionTimeMs: -1n,
      topics: [...byTopic].map(([name, l]) => ({
        name,
        partitions: l.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch ?? -1, commitTimestamp: -1n, committedMetadata: o.metadata ?? '' })),
      })),
    });
  } catch (err) {
    link.markUnknown();
    throw err;
  }
  for (const t of res.topics) {
    for (const p of t.partitions) {
      const code = p.errorCode;
      if (code === ErrorCode.NONE) continue;
      if (code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_NOT_AVAILABLE) link.markUnknown();
      onPartitionError(code);
      throw KafkaError.from(code, `OffsetCommit ${t.name}-${p.partitionIndex}`);
    }
  }
}

/**
 * Committed offsets by tpKey (absent: none committed), OffsetFetch with
 * requireStable, retrying retriable errors (and those `retryAlso` names) until
 * `deadline`. `identity` is read at each attempt, once the coordinator is known.
 */
export async function fetchCommittedOffsets(
  link: GroupCoordinatorLink,
  groupId: string,
  partitions: readonly TopicPartition[],
  deadline: number,
  o: ConsumerSettings,
  identity: () => FetchIdentity,
  retryAlso: (err: unknown) => boolean = () => false,
): Promise<Map<string, TopicPartitionOffset>> {
  const byTopic = new Map<string, number[]>();
  for (const tp of partitions) {
    const l = byTopic.get(tp.topic) ?? [];
    l.push(tp.partition);
    byTopic.set(tp.topic, l);
  }
  for (;;) {
    try {
      const conn = await link.ensure();
      const v = conn.versionFor(OffsetFetchApi);
      const topics = [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
      const { memberId, epoch } = identity();
      const group = v >= 9 && epoch >= 0 ? { groupId, memberId, memberEpoch: epoch, topics } : { groupId, topics };
      const res = await conn.send(OffsetFetchApi, v >= 8 ? { groups: [group], requireStable: true } : { groupId, topics, requireStable: true }, { version: v });
      const out = new Map<string, TopicPartitionOffset>();
      const groupError = v >= 8 ? (res.groups[0]?.errorCode ?? ErrorCode.NONE) : res.errorCode;
      if (groupError !== ErrorCode.NONE) throw KafkaError.from(groupError, `OffsetFetch ${groupId}`);
      const rows = v >= 8 ? (res.groups[0]?.topics ?? []) : res.topics;
      for (const t of rows) {
        for (const p of t.partitions) {
          if (p.errorCode !== ErrorCode.NONE) throw KafkaError.from(p.errorCode, `OffsetFetch ${t.name}-${p.partitionIndex}`);
          if (p.committedOffset >= 0n) {
            out.set(tpKey(t.name, p.partitionIndex), { topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch >= 0 ? p.committedLeaderEpoch : null, metadata: p.metadata });
          }
        }
      }
      return out;
    } catch (err) {
      const retriable = retryAlso(err) || (err as { retriable?: boolean }).retriable === true;
      if (!retriable) throw err;
      if (err instanceof KafkaError && (err.code === ErrorCode.NOT_COORDINATOR || err.code === ErrorCode.COORDINATOR_NOT_AVAILABLE)) link.markUnknown();
      else if (!(err instanceof KafkaError)) link.markUnknown();
      if (Date.now() + o.retryBackoffMs > deadline) throw new ConsumerTimeoutError(`Timeout while fetching committed offsets: ${(err as Error).message}`);
      await sleep(o.retryBackoffMs);
    }
  }
}
