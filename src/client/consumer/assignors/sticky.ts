/**
 * Kafka's StickyAssignor and CooperativeStickyAssignor: a balanced assignment
 * (member counts differ by at most one among members that can take the same
 * partitions) that keeps as many partitions as possible with their current owner.
 *
 * Current owners come from the subscription's ownedPartitions (cooperative) or,
 * for the eager sticky assignor whose members revoke everything before joining,
 * from its userData — Kafka's StickyAssignorUserData v1:
 *   [topic: string, partitions: [int32]] previous assignment, generation: int32.
 * Claims from an older generation lose to newer ones.
 *
 * Cooperative: a partition moving from one member to another is left out of this
 * round (its owner revokes it, rejoins, and the next rebalance gives it to the new
 * owner), as Kafka's CooperativeStickyAssignor does.
 */
import type { TopicPartition } from '../types.ts';
import { compareTp, tpKey } from '../types.ts';
import type { Assignment, ConsumerPartitionAssignor, RebalanceProtocol, Subscription } from './assignor.ts';
import { emptyAssignments, sortedMembers } from './assignor.ts';

export function encodeStickyUserData(partitions: readonly TopicPartition[], generation: number): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const tp of partitions) {
    const l = byTopic.get(tp.topic) ?? [];
    l.push(tp.partition);
    byTopic.set(tp.topic, l);
  }
  let size = 4 + 4;
  for (const [t, ps] of byTopic) size += 2 + Buffer.byteLength(t) + 4 + 4 * ps.length;
  const b = Buffer.alloc(size);
  let o = b.writeInt32BE(byTopic.size, 0);
  for (const [t, ps] of byTopic) {
    o = b.writeInt16BE(Buffer.byteLength(t), o);
    o += b.write(t, o);
    o = b.writeInt32BE(ps.length, o);
    for (const p of ps) o = b.writeInt32BE(p, o);
  }
  b.writeInt32BE(generation, o);
  return b;
}

export function decodeStickyUserData(b: Buffer | null): { partitions: TopicPartition[]; generation: number } | null {
  if (b === null || b.length < 4) return null;
  try {
    const partitions: TopicPartition[] = [];
    let o = 0;
    const nt = b.readInt32BE(o);
    o += 4;
    for (let i = 0; i < nt; i++) {
      const len = b.readInt16BE(o);
      o += 2;
      const topic = b.toString('utf8', o, o + len);
      o += len;
      const np = b.readInt32BE(o);
      o += 4;
      for (let j = 0; j < np; j++, o += 4) partitions.push({ topic, partition: b.readInt32BE(o) });
    }
    const generation = o + 4 <= b.length ? b.readInt32BE(o) : -1;
    return { partitions, generation };
  } catch {
    return null;
  }
}

/** The balanced, sticky assignment as member → partitions. `owners` maps a partition key to its current owner. */
export function stickyAssign(
  partitionsPerTopic: ReadonlyMap<string, number>,
  subscriptions: ReadonlyMap<string, Subscription>,
  owners: ReadonlyMap<string, string>,
): Map<string, TopicPartition[]> {
  const members = sortedMembers(subscriptions);
  const result = new Map<string, TopicPartition[]>();
  for (const m of members) result.set(m, []);
  if (members.length === 0) return result;
  const canTake = (m: string, topic: string): boolean => subscriptions.get(m)!.topics.includes(topic);
  const all: TopicPartition[] = [];
  for (const topic of [...partitionsPerTopic.keys()].sort()) {
    if (!members.some((m) => canTake(m, topic))) continue;
    const n = partitionsPerTopic.get(topic)!;
    for (let p = 0; p < n; p++) all.push({ topic, partition: p });
  }
  const maxQuota = Math.ceil(all.length / members.length);
  const unassigned: TopicPartition[] = [];
  // Keep what each member owns, up to the largest fair share.
  for (const tp of all) {
    const owner = owners.get(tpKey(tp.topic, tp.partition));
    const list = owner !== undefined ? result.get(owner) : undefined;
    if (owner !== undefined && list !== undefined && canTake(owner, tp.topic) && list.length < maxQuota) list.push(tp);
    else unassigned.push(tp);
  }
  // The rest go to the least loaded member that can take them.
  for (const tp of unassigned) {
    let best: string | null = null;
    for (const m of members) {
      if (!canTake(m, tp.topic)) continue;
      if (best === null || result.get(m)!.length < result.get(best)!.length) best = m;
    }
    if (best !== null) result.get(best)!.push(tp);
  }
  // Balance: move partitions from the most to the least loaded member while counts differ by two or more.
  for (let guard = 0; guard < all.length * members.length; guard++) {
    let moved = false;
    const byLoad = [...members].sort((a, b) => result.get(b)!.length - result.get(a)!.length);
    outer: for (const from of byLoad) {
      const src = result.get(from)!;
      for (let i = byLoad.length - 1; i >= 0; i--) {
        const to = byLoad[i]!;
        const dst = result.get(to)!;
        if (src.length - dst.length < 2) continue;
        // Prefer moving a partition that `from` did not own before.
        let idx = -1;
        for (let j = src.length - 1; j >= 0; j--) {
          if (!canTake(to, src[j]!.topic)) continue;
          if (idx < 0) idx = j;
          if (owners.get(tpKey(src[j]!.topic, src[j]!.partition)) !== from) {
            idx = j;
            break;
          }
        }
        if (idx < 0) continue;
        dst.push(src.splice(idx, 1)[0]!);
        moved = true;
        break outer;
      }
    }
    if (!moved) break;
  }
  for (const l of result.values()) l.sort(compareTp);
  return result;
}

/** Current owners from claims, newest generation winning. */
function ownersFrom(claims: Iterable<{ member: string; partitions: readonly TopicPartition[]; generation: number }>): Map<string, string> {
  const owners = new Map<string, string>();
  const gens = new Map<string, number>();
  for (const c of claims) {
    for (const tp of c.partitions) {
      const k = tpKey(tp.topic, tp.partition);
      const g = gens.get(k);
      if (g === undefined || c.generation > g) {
        owners.set(k, c.member);
        gens.set(k, c.generation);
      }
    }
  }
  return owners;
}

export class StickyAssignor implements ConsumerPartitionAssignor {
  readonly name: string = 'sticky';
  readonly supportedProtocols: readonly RebalanceProtocol[] = ['eager'];
  private memberAssignment: TopicPartition[] = [];
  private generation = -1;

  subscriptionUserData(): Buffer | null {
    return encodeStickyUserData(this.memberAssignment, this.generation);
  }

  onAssignment(assignment: Assignment, generationId: number): void {
    this.memberAssignment = assignment.partitions;
    this.generation = generationId;
  }

  assign(partitionsPerTopic: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, Subscription>): Map<string, Assignment> {
    const claims = [...subscriptions].map(([member, s]) => {
      if (s.ownedPartitions.length > 0) return { member, partitions: s.ownedPartitions, generation: s.generationId };
      const u = decodeStickyUserData(s.userData);
      return { member, partitions: u?.partitions ?? [], generation: u?.generation ?? -1 };
    });
    const result = stickyAssign(partitionsPerTopic, subscriptions, ownersFrom(claims));
    const out = emptyAssignments(subscriptions);
    for (const [m, ps] of result) out.get(m)!.partitions = ps;
    return out;
  }
}

export class CooperativeStickyAssignor implements ConsumerPartitionAssignor {
  readonly name = 'cooperative-sticky';
  readonly supportedProtocols: readonly RebalanceProtocol[] = ['eager', 'cooperative'];
  private generation = -1;

  /** Java's CooperativeStickyAssignor: the generation as an int32, for members whose subscription has no generationId. */
  subscriptionUserData(): Buffer | null {
    const b = Buffer.alloc(4);
    b.writeInt32BE(this.generation, 0);
    return b;
  }

  onAssignment(_assignment: Assignment, generationId: number): void {
    this.generation = generationId;
  }

  assign(partitionsPerTopic: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, Subscription>): Map<string, Assignment> {
    const claims = [...subscriptions].map(([member, s]) => {
      let generation = s.generationId;
      if (generation < 0 && s.userData !== null && s.userData.length >= 4) generation = s.userData.readInt32BE(0);
      return { member, partitions: s.ownedPartitions, generation };
    });
    const owners = ownersFrom(claims);
    const result = stickyAssign(partitionsPerTopic, subscriptions, owners);
    const out = emptyAssignments(subscriptions);
    for (const [m, ps] of result) {
      // A partition changing hands waits for its owner to revoke it first.
      out.get(m)!.partitions = ps.filter((tp) => {
        const owner = owners.get(tpKey(tp.topic, tp.partition));
        return owner === undefined || owner === m || !subscriptions.has(owner);
      });
    }
    return out;
  }
}
