/**
 * Kafka's RoundRobinAssignor: every partition of every subscribed topic, sorted by
 * topic then partition, dealt to members in MemberInfo order, skipping members
 * not subscribed to the partition's topic.
 */
import type { Assignment, ConsumerPartitionAssignor, Subscription } from './assignor.ts';
import { emptyAssignments, sortedMembers } from './assignor.ts';

export class RoundRobinAssignor implements ConsumerPartitionAssignor {
  readonly name = 'roundrobin';
  readonly supportedProtocols = ['eager'] as const;

  assign(partitionsPerTopic: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, Subscription>): Map<string, Assignment> {
    const out = emptyAssignments(subscriptions);
    const members = sortedMembers(subscriptions);
    if (members.length === 0) return out;
    const subscribed = new Set<string>();
    for (const s of subscriptions.values()) for (const t of s.topics) if (partitionsPerTopic.has(t)) subscribed.add(t);
    let next = 0;
    for (const topic of [...subscribed].sort()) {
      const n = partitionsPerTopic.get(topic)!;
      for (let p = 0; p < n; p++) {
        for (let tries = 0; tries < members.length; tries++) {
          const m = members[next]!;
          next = (next + 1) % members.length;
          if (subscriptions.get(m)!.topics.includes(topic)) {
            out.get(m)!.partitions.push({ topic, partition: p });
            break;
          }
        }
      }
    }
    return out;
  }
}
