/**
 * Assignors as Kafka's: range, roundrobin, sticky, cooperative-sticky.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CooperativeStickyAssignor, RangeAssignor, RoundRobinAssignor, StickyAssignor } from '../../../src/client/consumer/index.ts';
import type { Subscription } from '../../../src/client/consumer/index.ts';
import { decodeStickyUserData, encodeStickyUserData } from '../../../src/client/consumer/assignors/sticky.ts';

type TP = { topic: string; partition: number };
const sub = (topics: string[], owned: TP[] = [], generationId = -1, groupInstanceId: string | null = null): Subscription => ({ topics, userData: null, ownedPartitions: owned, generationId, rackId: null, groupInstanceId });
const show = (m: Map<string, { partitions: TP[] }>): Record<string, string[]> =>
  Object.fromEntries([...m].map(([k, v]) => [k, v.partitions.map((p) => `${p.topic}-${p.partition}`)]));

describe('assignors', () => {
  it('range: contiguous ranges per topic, the first members get the extra partitions', () => {
    const r = new RangeAssignor().assign(
      new Map([['t0', 3], ['t1', 3]]),
      new Map([['C1', sub(['t0', 't1'])], ['C0', sub(['t0', 't1'])]]),
    );
    // Kafka's javadoc example: C0 [t0p0, t0p1, t1p0, t1p1], C1 [t0p2, t1p2].
    assert.deepEqual(show(r), { C1: ['t0-2', 't1-2'], C0: ['t0-0', 't0-1', 't1-0', 't1-1'] });
  });

  it('range: members with a group.instance.id sort first, by it', () => {
    const r = new RangeAssignor().assign(new Map([['t', 2]]), new Map([['a', sub(['t'])], ['b', sub(['t'], [], -1, 'static')]]));
    assert.deepEqual(show(r), { a: ['t-1'], b: ['t-0'] });
  });

  it('roundrobin: all partitions dealt in turn, skipping members not subscribed', () => {
    const r = new RoundRobinAssignor().assign(
      new Map([['t0', 1], ['t1', 2], ['t2', 3]]),
      new Map([['C0', sub(['t0'])], ['C1', sub(['t0', 't1'])], ['C2', sub(['t0', 't1', 't2'])]]),
    );
    // Kafka's javadoc example.
    assert.deepEqual(show(r), { C0: ['t0-0'], C1: ['t1-0'], C2: ['t1-1', 't2-0', 't2-1', 't2-2'] });
  });

  it('sticky: balanced, and keeps owners when a member joins', () => {
    const a = new StickyAssignor();
    const first = a.assign(new Map([['t', 6]]), new Map([['A', sub(['t'])], ['B', sub(['t'])]]));
    const counts = [...first.values()].map((x) => x.partitions.length).sort();
    assert.deepEqual(counts, [3, 3]);
    const ownedA = first.get('A')!.partitions;
    const ownedB = first.get('B')!.partitions;
    const second = a.assign(new Map([['t', 6]]), new Map([['A', sub(['t'], ownedA, 1)], ['B', sub(['t'], ownedB, 1)], ['C', sub(['t'])]]));
    assert.deepEqual([...second.values()].map((x) => x.partitions.length), [2, 2, 2]);
    for (const tp of second.get('A')!.partitions) assert.ok(ownedA.some((o) => o.partition === tp.partition));
    for (const tp of second.get('B')!.partitions) assert.ok(ownedB.some((o) => o.partition === tp.partition));
  });

  it('sticky userData round-trips (Kafka StickyAssignorUserData v1) and is used when ownedPartitions is empty', () => {
    const owned = [{ topic: 't', partition: 0 }, { topic: 't', partition: 2 }, { topic: 'u', partition: 1 }];
    assert.deepEqual(decodeStickyUserData(encodeStickyUserData(owned, 7)), { partitions: owned, generation: 7 });
    const s = (topics: string[], data: Buffer | null): Subscription => ({ ...sub(topics), userData: data });
    const r = new StickyAssignor().assign(
      new Map([['t', 4]]),
      new Map([['A', s(['t'], encodeStickyUserData([{ topic: 't', partition: 3 }, { topic: 't', partition: 1 }], 3))], ['B', s(['t'], null)]]),
    );
    assert.deepEqual(show(r), { A: ['t-1', 't-3'], B: ['t-0', 't-2'] });
  });

  it('cooperative-sticky: a partition changing owner is withheld for one round', () => {
    const all = [0, 1, 2, 3].map((partition) => ({ topic: 't', partition }));
    const r = new CooperativeStickyAssignor().assign(new Map([['t', 4]]), new Map([['A', sub(['t'], all, 1)], ['B', sub(['t'])]]));
    // A keeps two; the two B will own are in nobody's assignment until A revokes them.
    assert.equal(r.get('A')!.partitions.length, 2);
    assert.equal(r.get('B')!.partitions.length, 0);
    const next = new CooperativeStickyAssignor().assign(new Map([['t', 4]]), new Map([['A', sub(['t'], r.get('A')!.partitions, 2)], ['B', sub(['t'], [], 2)]]));
    assert.equal(next.get('B')!.partitions.length, 2);
    assert.deepEqual(next.get('A')!.partitions, r.get('A')!.partitions);
  });

  it('every assignor: disjoint and complete for mixed subscriptions', () => {
    const topics = new Map([['a', 5], ['b', 3], ['c', 7]]);
    const subs = new Map([['m1', sub(['a', 'b'])], ['m2', sub(['b', 'c'])], ['m3', sub(['a', 'b', 'c'])], ['m4', sub(['c'])]]);
    for (const a of [new RangeAssignor(), new RoundRobinAssignor(), new StickyAssignor(), new CooperativeStickyAssignor()]) {
      const r = a.assign(topics, subs);
      const seen = new Set<string>();
      for (const [m, x] of r) {
        for (const tp of x.partitions) {
          assert.ok(subs.get(m)!.topics.includes(tp.topic), `${a.name}: ${m} got ${tp.topic}`);
          const k = `${tp.topic}-${tp.partition}`;
          assert.ok(!seen.has(k), `${a.name}: ${k} twice`);
          seen.add(k);
        }
      }
      assert.equal(seen.size, 15, a.name);
    }
  });
});
