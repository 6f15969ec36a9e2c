/**
 * Java's ConsumerPartitionAssignor, for the classic group protocol: the group
 * leader runs `assign` over every member's subscription and the topics'
 * partition counts; SyncGroup hands each member its part.
 *
 * Members are ordered as Kafka's MemberInfo: members with a group.instance.id
 * first, by that id, then the rest by member id.
 */
import type { TopicPartition } from '../types.ts';

export type RebalanceProtocol = 'eager' | 'cooperative';

export interface Subscription {
  readonly topics: readonly string[];
  readonly userData: Buffer | null;
  readonly ownedPartitions: readonly TopicPartition[];
  /** The member's last generation (-1 if none). */
  readonly generationId: number;
  readonly rackId: string | null;
  readonly groupInstanceId: string | null;
}

export interface Assignment {
  partitions: TopicPartition[];
  userData?: Buffer | null;
}

export interface ConsumerPartitionAssignor {
  /** The protocol name sent in JoinGroup (range, roundrobin, sticky, cooperative-sticky). */
  readonly name: string;
  /** Most preferred last, as Java's supportedProtocols(): cooperative implies eager. */
  readonly supportedProtocols: readonly RebalanceProtocol[];
  /** userData for this member's subscription. */
  subscriptionUserData?(topics: readonly string[], owned: readonly TopicPartition[], generationId: number): Buffer | null;
  /** Called on every member after SyncGroup with its assignment. */
  onAssignment?(assignment: Assignment, generationId: number): void;
  /** Leader only: memberId → assignment. `partitionsPerTopic` holds every subscribed topic that exists. */
  assign(partitionsPerTopic: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, Subscription>): Map<string, Assignment>;
}

/** Member ids in Kafka's MemberInfo order. */
export function sortedMembers(subscriptions: ReadonlyMap<string, Subscription>): string[] {
  return [...subscriptions.keys()].sort((a, b) => {
    const ia = subscriptions.get(a)!.groupInstanceId;
    const ib = subscriptions.get(b)!.groupInstanceId;
    if (ia !== null && ib !== null) return ia < ib ? -1 : ia > ib ? 1 : 0;
    if (ia !== null) return -1;
    if (ib !== null) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

export function emptyAssignments(subscriptions: ReadonlyMap<string, Subscription>): Map<string, Assignment> {
  const out = new Map<string, Assignment>();
  for (const id of subscriptions.keys()) out.set(id, { partitions: [] });
  return out;
}
