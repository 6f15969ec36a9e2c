/**
 * The interop tests are only as good as their comparison: these cases make sure
 * verifyRoundTrip notices every kind of damage a broker could do (no broker needed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReadyLine } from './harness.ts';
import {
  deliveriesFromPartitions,
  expectedOffsetsForTimestamp,
  makeRecords,
  partitionView,
  verifyRoundTrip,
} from './records.ts';
import type { ConsumedRecord, Delivery, TestRecord } from './records.ts';

const P = 3;
const BASE = 1_700_000_000_000;
const records = makeRecords(300, { tag: 'self-test', headers: true, tombstones: true, baseTimestamp: BASE });
const deliveries = deliveriesFromPartitions(records.map((r) => r.index % P));

function consumedFrom(recs: readonly TestRecord[], dels: readonly Delivery[]): ConsumedRecord[] {
  return dels
    .slice()
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset)
    .map((d) => {
      const r = recs[d.index];
      return { partition: d.partition, offset: d.offset, key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp };
    });
}

const good = consumedFrom(records, deliveries);

function problems(consumed: ConsumedRecord[], dels: Delivery[] = deliveries): string[] {
  return verifyRoundTrip(records, dels, consumed, { partitions: P }).problems;
}

test('makeRecords is deterministic and varied', () => {
  const again = makeRecords(300, { tag: 'self-test', headers: true, tombstones: true, baseTimestamp: BASE });
  assert.ok(again.every((r, i) => JSON.stringify(r) === JSON.stringify(records[i])), 'same records again');
  assert.equal(records.filter((r) => r.value === null).length, 0, 'fewer than 1000 records: no tombstone yet');
  const big = makeRecords(2000, { tag: 't', tombstones: true });
  assert.equal(big[999].value, null);
  assert.equal(big[1999].value, null);
  assert.equal(big[1].value!.length > 16384, true, 'a 16 KiB value');
  assert.equal(new Set(big.map((r) => r.value?.length)).size > 100, true, 'many value sizes');
  for (const r of big) assert.doesNotMatch(`${r.key}${r.value ?? ''}`, /[:\t\n,]/, 'kcat-safe bytes');
  assert.deepEqual(records[1].headers.map(([k]) => k), ['idx', 'tag']);
  assert.deepEqual(records[7].headers, [], 'every 7th record has no headers');
});

test('an intact round trip has no problems', () => {
  assert.deepEqual(problems(good), []);
});

test('loss, duplicates, reordering and misplacement are reported', () => {
  assert.match(problems(good.filter((_, i) => i !== 5)).join('\n'), /consumed 99 records, expected 100/);
  assert.match(problems([...good, good[3]]).join('\n'), /duplicate or out of order|consumed 101/);
  const swapped = good.slice();
  [swapped[10], swapped[11]] = [swapped[11], swapped[10]];
  assert.notDeepEqual(problems(swapped), []);
  const moved = good.map((c, i) => (i === 0 ? { ...c, partition: 2 } : c));
  assert.notDeepEqual(problems(moved), []);
});

test('damaged keys, values, headers and timestamps are reported', () => {
  const damage = (f: (c: ConsumedRecord) => ConsumedRecord, re: RegExp) => {
    const bad = good.map((c, i) => (i === 43 ? f(c) : c)); // record 129: has headers and a value
    assert.match(problems(bad).join('\n'), re);
  };
  damage((c) => ({ ...c, key: Buffer.from('other') }), /key/);
  damage((c) => ({ ...c, value: null }), /value null/);
  damage((c) => ({ ...c, value: Buffer.concat([c.value!, Buffer.from('x')]) }), /value/);
  damage((c) => ({ ...c, headers: [] }), /headers/);
  damage((c) => ({ ...c, headers: c.headers.slice().reverse() }), /headers/);
  damage((c) => ({ ...c, timestamp: c.timestamp + 1 }), /timestamp/);
  damage((c) => ({ ...c, offset: c.offset + 1000 }), /offset/);
});

test('bad delivery reports are reported', () => {
  assert.match(problems(good, deliveries.slice(1)).join('\n'), /no delivery report/);
  const twice = deliveries.map((d, i) => (i === 4 ? { ...d, offset: deliveries[1].offset, partition: deliveries[1].partition } : d));
  assert.match(problems(good, twice).join('\n'), /both delivered/);
});

test('expected offsets for a timestamp: first offset at or after it, -1 when none', () => {
  const view = partitionView(records, deliveries, P);
  const base = records[0].timestamp;
  assert.deepEqual(expectedOffsetsForTimestamp(view.byPartition, base - 1), [0, 0, 0]);
  // record 150 is in partition 0 at offset 50; partitions 1 and 2 continue with 151, 152.
  assert.deepEqual(expectedOffsetsForTimestamp(view.byPartition, base + 150), [50, 50, 50]);
  assert.deepEqual(expectedOffsetsForTimestamp(view.byPartition, base + 151), [51, 50, 50]);
  assert.deepEqual(expectedOffsetsForTimestamp(view.byPartition, base + 300), [-1, -1, -1]);
});

test('parseReadyLine reads the listener, node id and cluster id', () => {
  assert.deepEqual(parseReadyLine('samsa ready listeners=PLAINTEXT://127.0.0.1:40123 node.id=1 cluster.id=abc ready_ms=87'), {
    host: '127.0.0.1',
    port: 40123,
    nodeId: 1,
    clusterId: 'abc',
  });
  assert.equal(parseReadyLine('samsa ready listeners=PLAINTEXT://[::1]:9092 node.id=3 cluster.id=x').host, '::1');
  assert.throws(() => parseReadyLine('samsa ready node.id=1'), /no listeners/);
});
