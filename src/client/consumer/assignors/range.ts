/**
 * Kafka's RangeAssignor: per topic, the partitions in order split into contiguous
 * ranges, one per subscribed member in MemberInfo order; the first
 * (partitions % members) members get one extra.
 */
import type { Assignment, ConsumerPartitionAssignor, Subscription } from './assignor.ts';
import { emptyAssignments, sortedMembers } from './assignor.ts';

export class RangeAssignor implements ConsumerPartitionAssignor {
  readonly name = 'range';
  readonly supportedProtocols = ['eager'] as const;

  assign(partitionsPerTopic: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, Subscription>): Map<string, Assignment> {
    const out = emptyAssignments(subscriptions);
    const members = sortedMembers(subscriptions);
    const topics = [...partitionsPerTopic.keys()].sort();
    for (const topic of topics) {
      const n = partitionsPerTopic.get(topic)!;
      const consumers = members.filter((m) => subscriptions.get(m)!.topics.includes(topic));
      if (consumers.length === 0) continue;
      const per = Math.floor(n / consumers.length);
      const extra = n % consumers.length;
      for (let i = 0; i < consumers.length; i++) {
        const start = per * i + Math.min(i, extra);
        const length = per + (i + 1 > extra ? 0 : 1);
        const a = out.get(consumers[i]!)!;
        for (let p = start; p < start + length; p++) a.partitions.push({ topic, partition: p });
      }
    }
    return out;
  }
}
