import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FetchSession, FetchSessionCache, nextEpoch } from '../../../src/broker/fetch/fetch-session.ts';
import type { FetchPartition } from '../../../src/broker/fetch/fetch-session.ts';

function part(topic: string, partition: number, fetchOffset = 0): FetchPartition {
  return { topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partition, fetchOffset, maxBytes: 1000, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1, highWatermark: -1, lastStableOffset: -1, localLogStartOffset: -1 };
}

const answer = (o: Partial<{ errorCode: number; highWatermark: number; lastStableOffset: number; logStartOffset: number; recordsBytes: number }> = {}) => ({
  errorCode: 0, highWatermark: 5, lastStableOffset: 5, logStartOffset: 0, recordsBytes: 0, hasDivergingEpoch: false, ...o,
});

test('epochs wrap to 1 and -1 stays final', () => {
  assert.equal(nextEpoch(0), 1);
  assert.equal(nextEpoch(0x7fffffff), 1);
  assert.equal(nextEpoch(-1), -1);
});

test('a partition is answered when records, watermarks or errors change', () => {
  const p = part('t', 0);
  assert.equal(FetchSession.mustRespond(p, answer()), true);
  assert.equal(FetchSession.mustRespond(p, answer()), false);
  assert.equal(FetchSession.mustRespond(p, answer({ recordsBytes: 10 })), true);
  assert.equal(FetchSession.mustRespond(p, answer({ highWatermark: 6, lastStableOffset: 6 })), true);
  assert.equal(FetchSession.mustRespond(p, answer({ highWatermark: 6, lastStableOffset: 6 })), false);
  assert.equal(FetchSession.mustRespond(p, answer({ errorCode: 1, highWatermark: -1 })), true);
  assert.equal(FetchSession.mustRespond(p, answer({ errorCode: 1, highWatermark: -1 })), true);
  // After an error clears, the partition is sent again.
  assert.equal(FetchSession.mustRespond(p, answer({ highWatermark: 6, lastStableOffset: 6 })), true);
});

test('update adds, updates and forgets; moveToEnd rotates', () => {
  const cache = new FetchSessionCache({ maxSlots: 10, evictionMs: 1000 });
  const s = cache.maybeCreate(0, false, [part('a', 0), part('a', 1)])!;
  assert.equal(s.epoch, 1);
  s.update([part('a', 1, 7), part('b', 0)], [s.keyOf(part('a', 0))]);
  assert.deepEqual([...s.partitions.values()].map((p) => [p.topic, p.partition, p.fetchOffset]), [['a', 1, 7], ['b', 0, 0]]);
  s.moveToEnd(s.keyOf(part('a', 1)));
  assert.deepEqual([...s.partitions.values()].map((p) => p.topic), ['b', 'a']);
});

test('a full cache evicts a stale session, else a smaller one, else refuses', () => {
  const cache = new FetchSessionCache({ maxSlots: 2, evictionMs: 1000 });
  const a = cache.maybeCreate(0, false, [part('a', 0), part('a', 1)])!;
  const b = cache.maybeCreate(500, false, [part('b', 0), part('b', 1)])!;
  assert.equal(cache.maybeCreate(600, false, [part('c', 0)]), null);
  // a is idle for more than 1000 ms: evicted.
  const c = cache.maybeCreate(1500, false, [part('c', 0)])!;
  assert.equal(cache.get(a.id), undefined);
  assert.ok(cache.get(b.id) && cache.get(c.id));
  // Nothing stale: a larger session evicts the smallest.
  cache.touch(b, 1550);
  const d = cache.maybeCreate(1600, false, [part('d', 0), part('d', 1), part('d', 2)])!;
  assert.ok(d);
  assert.equal(cache.get(c.id), undefined);
  assert.ok(cache.get(b.id));
  assert.equal(cache.size, 2);
});
