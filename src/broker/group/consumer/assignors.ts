/**
 * KIP-848 server-side assignors. An assignment is topic name → set of partitions per
 * member. `uniform` (Kafka's UniformAssignor): every partition of the subscribed
 * topics goes to one subscribed member, the counts per member are as even as the
 * subscriptions allow, and a partition stays with the member that had it in the
 * previous target assignment whenever balance permits (sticky). `range` (Kafka's
 * RangeAssignor): per topic, the members subscribed to it in member id order get
 * consecutive ranges, the first `partitions % members` one partition more.
 */

export type Assignment = Map<string, Set<number>>;

export interface AssignorMember {
  memberId: string;
  /** Topic names the member subscribes to (existing topics only matter). */
  subscribedTopics: ReadonlySet<string>;
  /** The member's previous target assignment (stickiness). */
  previous: Assignment;
}

export interface AssignorSpec {
  members: readonly AssignorMember[];
  /** Partition count of every subscribed topic that exists. */
  topicPartitions: ReadonlyMap<string, number>;
}

export interface ServerAssignor {
  readonly name: string;
  assign(spec: AssignorSpec): Map<string, Assignment>;
}

export function cloneAssignment(a: Assignment): Assignment {
  return new Map([...a].map(([t, ps]) => [t, new Set(ps)]));
}

export function assignmentSize(a: Assignment): number {
  let n = 0;
  for (const ps of a.values()) n += ps.size;
  return n;
}

export function addPartition(a: Assignment, topic: string, partition: number): void {
  let s = a.get(topic);
  if (!s) a.set(topic, (s = new Set()));
  s.add(partition);
}

export function removePartition(a: Assignment, topic: string, partition: number): void {
  const s = a.get(topic);
  if (!s) return;
  s.delete(partition);
  if (s.size === 0) a.delete(topic);
}

export function hasPartition(a: Assignment, topic: string, partition: number): boolean {
  return a.get(topic)?.has(partition) ?? false;
}

/** Topic-sorted, partition-sorted list. */
export function partitionsOf(a: Assignment): [string, number][] {
  const out: [string, number][] = [];
  for (const t of [...a.keys()].sort()) for (const p of [...a.get(t)!].sort((x, y) => x - y)) out.push([t, p]);
  return out;
}

export function assignmentsEqual(a: Assignment, b: Assignment): boolean {
  if (assignmentSize(a) !== assignmentSize(b)) return false;
  for (const [t, ps] of a) for (const p of ps) if (!hasPartition(b, t, p)) return false;
  return true;
}

const byId = (x: AssignorMember, y: AssignorMember): number => (x.memberId < y.memberId ? -1 : x.memberId > y.memberId ? 1 : 0);

export const uniformAssignor: ServerAssignor = {
  name: 'uniform',
  assign(spec) {
    const members = [...spec.members].sort(byId);
    const result = new Map<string, Assignment>(members.map((m) => [m.memberId, new Map()]));
    const load = new Map<string, number>(members.map((m) => [m.memberId, 0]));
    const owner = new Map<string, string>(); // "topic\0p" -> member
    const key = (t: string, p: number): string => `${t}\u0000${p}`;
    const all: [string, number][] = [];
    for (const t of [...spec.topicPartitions.keys()].sort()) {
      if (!members.some((m) => m.subscribedTopics.has(t))) continue;
      for (let p = 0; p < spec.topicPartitions.get(t)!; p++) all.push([t, p]);
    }
    const give = (m: string, t: string, p: number): void => {
      addPartition(result.get(m)!, t, p);
      load.set(m, load.get(m)! + 1);
      owner.set(key(t, p), m);
    };
    const take = (m: string, t: string, p: number): void => {
      removePartition(result.get(m)!, t, p);
      load.set(m, load.get(m)! - 1);
      owner.delete(key(t, p));
    };
    // Sticky: keep what the previous target gave, if still subscribed and existing.
    for (const m of members) {
      for (const [t, p] of partitionsOf(m.previous)) {
        const n = spec.topicPartitions.get(t);
        if (n === undefined || p >= n || !m.subscribedTopics.has(t) || owner.has(key(t, p))) continue;
        give(m.memberId, t, p);
      }
    }
    // Unassigned partitions, fewest eligible members first, to the least loaded eligible member.
    const eligible = (t: string): AssignorMember[] => members.filter((m) => m.subscribedTopics.has(t));
    const free = all.filter(([t, p]) => !owner.has(key(t, p)));
    free.sort((a, b) => eligible(a[0]).length - eligible(b[0]).length);
    for (const [t, p] of free) {
      let best: AssignorMember | null = null;
      for (const m of eligible(t)) if (!best || load.get(m.memberId)! < load.get(best.memberId)!) best = m;
      if (best) give(best.memberId, t, p);
    }
    // Balance: move a partition from a member to an eligible one with at least two fewer.
    for (let moved = true; moved; ) {
      moved = false;
      const order = [...members].sort((a, b) => load.get(b.memberId)! - load.get(a.memberId)! || byId(a, b));
      outer: for (const from of order) {
        const mine = partitionsOf(result.get(from.memberId)!).reverse();
        for (const to of [...order].reverse()) {
          if (load.get(to.memberId)! + 1 >= load.get(from.memberId)!) break;
          const pick = mine.find(([t]) => to.subscribedTopics.has(t));
          if (pick) {
            take(from.memberId, pick[0], pick[1]);
            give(to.memberId, pick[0], pick[1]);
            moved = true;
            break outer;
          }
        }
      }
    }
    return result;
  },
};

export const rangeAssignor: ServerAssignor = {
  name: 'range',
  assign(spec) {
    const members = [...spec.members].sort(byId);
    const result = new Map<string, Assignment>(members.map((m) => [m.memberId, new Map()]));
    for (const [t, n] of [...spec.topicPartitions].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const subs = members.filter((m) => m.subscribedTopics.has(t));
      if (subs.length === 0) continue;
      const quota = Math.floor(n / subs.length);
      const extra = n % subs.length;
      let next = 0;
      subs.forEach((m, i) => {
        const count = quota + (i < extra ? 1 : 0);
        for (let k = 0; k < count; k++) addPartition(result.get(m.memberId)!, t, next++);
      });
    }
    return result;
  },
};

export const SERVER_ASSIGNORS: ReadonlyMap<string, ServerAssignor> = new Map([
  [uniformAssignor.name, uniformAssignor],
  [rangeAssignor.name, rangeAssignor],
]);
