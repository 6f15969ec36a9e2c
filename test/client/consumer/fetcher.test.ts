/**
 * CompletedFetch, the fetcher's per-partition drain: read_committed filtering of
 * aborted transactions and control batches with hand-built batches, positions,
 * records below the position, and deserialization errors.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildRecordBatch } from '../../../src/protocol/records/batch-builder.ts';
import { buildEndTransactionMarkerBatch } from '../../../src/protocol/records/control.ts';
import { CompletedFetch } from '../../../src/client/consumer/fetcher.ts';
import { PartitionState } from '../../../src/client/consumer/subscription-state.ts';
import type { ConsumerRecord } from '../../../src/client/consumer/consumer-record.ts';
import { RecordDeserializationError } from '../../../src/client/consumer/errors.ts';

const bytes = (_t: string, d: Buffer | null): Buffer | null => d;
const str = (_t: string, d: Buffer | null): string => (d === null ? '' : d.toString());

function batch(baseOffset: bigint, values: string[], o: { producerId?: bigint; transactional?: boolean } = {}): Buffer {
  return buildRecordBatch(
    values.map((v, i) => ({ offsetDelta: i, timestampDelta: i, key: null, value: Buffer.from(v) })),
    { baseOffset, baseTimestamp: 1_700_000_000_000n, producerId: o.producerId ?? -1n, producerEpoch: o.producerId !== undefined ? 0 : -1, baseSequence: o.producerId !== undefined ? 0 : -1, transactional: o.transactional ?? false },
  );
}

function marker(baseOffset: bigint, producerId: bigint, commit: boolean): Buffer {
  return buildEndTransactionMarkerBatch({ commit, producerId, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 1_700_000_000_000n, baseOffset });
}

function drainAll(cf: CompletedFetch, max = 1000): ConsumerRecord<Buffer | null, string>[] {
  const out: ConsumerRecord<Buffer | null, string>[] = [];
  while (!cf.done && out.length < max) cf.drain(out, max, bytes, str);
  return out;
}

describe('CompletedFetch', () => {
  it('read_committed: skips aborted transactions and control batches, keeps committed ones and non-transactional records', () => {
    // 0-1 txn P1 (aborted), 2-3 txn P2 (committed), 4 P1 ABORT marker, 5 plain, 6 P2 COMMIT marker, 7-8 txn P1 (new, committed later)
    const records = Buffer.concat([
      batch(0n, ['a0', 'a1'], { producerId: 1n, transactional: true }),
      batch(2n, ['c2', 'c3'], { producerId: 2n, transactional: true }),
      marker(4n, 1n, false),
      batch(5n, ['p5']),
      marker(6n, 2n, true),
      batch(7n, ['n7', 'n8'], { producerId: 1n, transactional: true }),
    ]);
    const s = new PartitionState('t', 0);
    s.setPosition(0n);
    const cf = new CompletedFetch(s, records, [{ producerId: 1n, firstOffset: 0n }], true);
    const got = drainAll(cf);
    assert.deepEqual(got.map((r) => `${r.offset}:${r.value}`), ['2:c2', '3:c3', '5:p5', '7:n7', '8:n8']);
    assert.equal(s.position, 9n);
  });

  it('read_uncommitted returns every data record and still skips control batches', () => {
    const records = Buffer.concat([batch(0n, ['a0'], { producerId: 1n, transactional: true }), marker(1n, 1n, false), batch(2n, ['b2'])]);
    const s = new PartitionState('t', 0);
    s.setPosition(0n);
    const got = drainAll(new CompletedFetch(s, records, null, true));
    assert.deepEqual(got.map((r) => `${r.offset}:${r.value}`), ['0:a0', '2:b2']);
    assert.equal(s.position, 3n);
  });

  it('skips records below the position and stops at max, resuming where it stopped', () => {
    const records = Buffer.concat([batch(10n, ['x10', 'x11', 'x12', 'x13']), batch(14n, ['x14', 'x15'])]);
    const s = new PartitionState('t', 3);
    s.setPosition(12n);
    const cf = new CompletedFetch(s, records, null, true);
    const out: ConsumerRecord<Buffer | null, string>[] = [];
    cf.drain(out, 3, bytes, str);
    assert.deepEqual(out.map((r) => r.value), ['x12', 'x13', 'x14']);
    assert.equal(s.position, 15n);
    assert.equal(out[0]!.leaderEpoch, null);
    assert.equal(out[0]!.timestamp, 1_700_000_000_002);
    cf.drain(out, 10, bytes, str);
    assert.deepEqual(out.map((r) => r.value), ['x12', 'x13', 'x14', 'x15']);
    assert.equal(s.position, 16n);
  });

  it('a failing deserializer leaves the position at the bad record', () => {
    const s = new PartitionState('t', 0);
    s.setPosition(0n);
    const cf = new CompletedFetch(s, batch(0n, ['ok', 'bad', 'ok2']), null, true);
    const out: ConsumerRecord<Buffer | null, string>[] = [];
    const picky = (_t: string, d: Buffer | null): string => {
      if (d?.toString() === 'bad') throw new Error('nope');
      return d!.toString();
    };
    assert.throws(() => cf.drain(out, 10, bytes, picky), (e: unknown) => e instanceof RecordDeserializationError && e.offset === 1n);
    assert.equal(out.length, 1);
    assert.equal(s.position, 1n);
  });
});
