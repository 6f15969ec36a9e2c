/**
 * What the Consumer needs from group membership, whichever the protocol:
 * the classic one (coordinator.ts: JoinGroup/SyncGroup, client-side assignors) or
 * KIP-848's consumer protocol (consumer-membership.ts: ConsumerGroupHeartbeat, the
 * broker assigns). Both reach the coordinator through group-coordinator-link.ts and
 * commit and fetch offsets through offsets.ts.
 */
import type { TopicPartition, TopicPartitionOffset } from './types.ts';

export interface GroupMembershipEvents {
  /** The member must act inside poll() (rejoin, reconcile): a waiting poll should return to do it. */
  onRejoinNeeded(): void;
  /** The assignment changed (the fetcher should look again). */
  onAssignmentChanged(): void;
}

export interface GroupMembership {
  /** The member id ('' before the first join). */
  readonly memberId: string;
  /** The classic generation, or the KIP-848 member epoch (Java's groupMetadata().generationId()). */
  readonly generationId: number;
  /** When poll() was last called (max.poll.interval.ms). */
  lastPollMs: number;
  /** poll() is running (waiting counts as polling). */
  pollActive: boolean;
  /** poll() must call ensureActiveGroup() before returning records. */
  readonly needsRejoin: boolean;
  /** The subscription (or a pattern's matches) changed. */
  requestRejoin(reason: string): void;
  throwIfFatal(): void;
  /** Joins/reconciles, running rebalance listeners; waits up to `timeoutMs` (the work continues past it). */
  ensureActiveGroup(timeoutMs: number, interrupt: Promise<void>): Promise<boolean>;
  /** After a metadata refresh: whether partition counts of assigned topics changed (classic leader). */
  checkPartitionCounts(): void;
  maybeAutoCommit(now: number): void;
  consumedOffsets(): TopicPartitionOffset[];
  commitSync(offsets: readonly TopicPartitionOffset[], deadline: number): Promise<void>;
  commitOnce(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  fetchCommitted(partitions: readonly TopicPartition[], deadline: number): Promise<Map<string, TopicPartitionOffset>>;
  /** Commits (auto-commit), revokes, leaves, stops heartbeats. */
  close(deadline: number): Promise<void>;
  /** Revokes and leaves; the consumer stays usable. */
  unsubscribe(): Promise<void>;
}

/** Waits for `work` at most `timeoutMs`, or until `interrupt` (wakeup()); `work` goes on past it. */
export async function waitAtMost(work: Promise<unknown>, timeoutMs: number, interrupt: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((r) => {
    timer = setTimeout(r, Math.max(0, timeoutMs));
  });
  try {
    await Promise.race([work, timeout, interrupt]);
  } finally {
    clearTimeout(timer);
  }
}
