import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partitionsOf, rangeAssignor, uniformAssignor } from '../../../../src/broker/group/consumer/assignors.ts';
import type { Assignment, AssignorMember } from '../../../../src/broker/group/consumer/assignors.ts';

const member = (memberId: string, topics: string[], previous: Assignment = new Map()): AssignorMember => ({ memberId, subscribedTopics: new Set(topics), previous });
const flat = (r: Map<string, Assignment>): Map<string, string[]> => new Map([...r].map(([m, a]) => [m, partitionsOf(a).map(([t, p]) => `${t}-${p}`)]));

function assertCompleteDisjoint(r: Map<string, Assignment>, topics: Record<string, number>): void {
  const seen = new Set<string>();
  for (const a of r.values()) for (const [t, p] of partitionsOf(a)) {
    const k = `${t}-${p}`;
    assert.ok(!seen.has(k), `${k} assigned twice`);
    seen.add(k);
  }
  const total = Object.values(topics).reduce((x, y) => x + y, 0);
  assert.equal(seen.size, total);
}

test('uniform: 3 members on 12 partitions get 4 each; a 4th takes 3 with minimal movement', () => {
  const tp = new Map([['t', 12]]);
  const r1 = uniformAssignor.assign({ members: ['a', 'b', 'c'].map((m) => member(m, ['t'])), topicPartitions: tp });
  assertCompleteDisjoint(r1, { t: 12 });
  for (const a of r1.values()) assert.equal(partitionsOf(a).length, 4);
  const r2 = uniformAssignor.assign({ members: [...['a', 'b', 'c'].map((m) => member(m, ['t'], r1.get(m)!)), member('d', ['t'])], topicPartitions: tp });
  assertCompleteDisjoint(r2, { t: 12 });
  for (const a of r2.values()) assert.equal(partitionsOf(a).length, 3);
  // Sticky: each old member keeps 3 of its 4 partitions.
  for (const m of ['a', 'b', 'c']) {
    const kept = flat(r2).get(m)!.filter((k) => flat(r1).get(m)!.includes(k));
    assert.equal(kept.length, 3);
  }
});

test('uniform: heterogeneous subscriptions only get subscribed topics, balanced where possible', () => {
  const tp = new Map([['x', 4], ['y', 2]]);
  const r = uniformAssignor.assign({ members: [member('a', ['x']), member('b', ['x', 'y']), member('c', ['y'])], topicPartitions: tp });
  assertCompleteDisjoint(r, { x: 4, y: 2 });
  for (const [t] of partitionsOf(r.get('a')!)) assert.equal(t, 'x');
  for (const [t] of partitionsOf(r.get('c')!)) assert.equal(t, 'y');
  const sizes = [...r.values()].map((a) => partitionsOf(a).length).sort();
  assert.deepEqual(sizes, [2, 2, 2]);
});

test('range: per-topic ranges in member id order, first ones get the extra', () => {
  const r = rangeAssignor.assign({ members: [member('b', ['t', 'u']), member('a', ['t', 'u']), member('c', ['t'])], topicPartitions: new Map([['t', 7], ['u', 3]]) });
  assert.deepEqual(flat(r).get('a'), ['t-0', 't-1', 't-2', 'u-0', 'u-1']);
  assert.deepEqual(flat(r).get('b'), ['t-3', 't-4', 'u-2']);
  assert.deepEqual(flat(r).get('c'), ['t-5', 't-6']);
});
