/**
 * Rebalance listeners with Java's semantics, for the classic protocol (eager and
 * cooperative-sticky) and group.protocol=consumer (KIP-848), against an in-process
 * broker:
 *  - inside onPartitionsRevoked the revoked partitions are still assigned:
 *    position() works and commitSync() with no arguments commits their consumed
 *    positions — the "commit what I processed before losing them" pattern — so the
 *    next owner starts exactly there (no duplicates, no gaps) with
 *    enable.auto.commit=false;
 *  - from the moment onPartitionsRevoked starts, poll() returns no record of a
 *    revoked partition (prefetched records are dropped), even while a slow listener
 *    runs and the application keeps polling;
 *  - auto-commit before revocation commits consumed positions, not prefetched ones;
 *  - inside onPartitionsLost the partitions are still assigned but a commit fails.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { notifyPartitionChanged } from '../../../src/broker/fetch/state.ts';
import { buildRecordBatch } from '../../../src/protocol/records/batch-builder.ts';
import { CommitFailedError, Consumer } from '../../../src/client/consumer/index.ts';
import type { ConsumerConfig, ConsumerRebalanceListener } from '../../../src/client/consumer/index.ts';
import { startTestBroker } from '../helpers.ts';
import type { TestBroker } from '../helpers.ts';
import { createTopic, sleep } from './helpers.ts';

const PARTITIONS = 4;
const PER_PARTITION = 300;

type TP = { topic: string; partition: number };

async function waitFor(what: string, cond: () => boolean, timeoutMs = 30_000, detail?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail ? `: ${detail()}` : ''}`);
    await sleep(25);
  }
}

/** Appends `count` records to every partition, in batches of 10 (so prefetching runs ahead of poll()). */
function produce(b: TestBroker, topic: string, count: number): void {
  for (let p = 0; p < PARTITIONS; p++) {
    const log = b.broker.logs.getLog(topic, p)!;
    for (let i = 0; i < count; i += 10) {
      const n = Math.min(10, count - i);
      log.append(buildRecordBatch(Array.from({ length: n }, (_, j) => ({ key: null, value: Buffer.from(`p${p}-${i + j}`) })), { baseTimestamp: Date.now() }), { leaderEpoch: 0 });
    }
    log.maybeIncrementHighWatermark(log.logEndOffset);
    notifyPartitionChanged(b.broker, topic, p);
  }
}

/**
 * A member polling in a loop (slowly: `processMs` per poll), recording every record
 * and checking that none belongs to a partition whose revocation has started and
 * that was not assigned again since.
 */
class Member {
  readonly consumer: Consumer;
  readonly seen: { partition: number; offset: bigint }[] = [];
  /** Per partition, the offset after the last record returned. */
  readonly consumed = new Map<number, bigint>();
  /** Partitions whose revocation started (until assigned again). */
  readonly revoking = new Set<number>();
  readonly violations: string[] = [];
  readonly listenerErrors: unknown[] = [];
  readonly events: string[] = [];
  /** What the listener saw in onPartitionsRevoked: position() per partition, and what had been consumed. */
  readonly revokedPositions: { partition: number; position: bigint; consumed: bigint }[] = [];
  /** What the group had committed for the revoked partitions after commitSync() in onPartitionsRevoked. */
  readonly committedInRevoke: { partition: number; committed: bigint | null; consumed: bigint }[] = [];
  /** First offset returned per partition after each (re)assignment. */
  readonly firstAfterAssign = new Map<number, bigint>();
  readonly name: string;
  private stopped = false;
  readonly done: Promise<void>;

  constructor(
    name: string,
    config: ConsumerConfig,
    topic: string,
    opts: { processMs?: number; commitInRevoke?: boolean; revokeDelayMs?: number; pollMs?: number; lost?: ConsumerRebalanceListener['onPartitionsLost'] } = {},
  ) {
    this.name = name;
    const c = (this.consumer = new Consumer(config));
    c.subscribe([topic], {
      onPartitionsRevoked: async (tps) => {
        this.events.push(`-${tps.map((t) => t.partition).join(',')}`);
        for (const tp of tps) this.revoking.add(tp.partition);
        const assigned = new Set(c.assignment().map((t) => t.partition));
        for (const tp of tps) {
          if (!assigned.has(tp.partition)) this.listenerErrors.push(`${name}: ${tp.partition} is not assigned inside onPartitionsRevoked`);
          try {
            this.revokedPositions.push({ partition: tp.partition, position: await c.position(tp), consumed: this.consumed.get(tp.partition) ?? 0n });
          } catch (err) {
            this.listenerErrors.push(`position(${tp.partition}): ${String(err)}`);
          }
        }
        if (opts.revokeDelayMs) await sleep(opts.revokeDelayMs);
        if (!opts.commitInRevoke) return;
        try {
          await c.commitSync();
          const committed = await c.committed(tps);
          tps.forEach((tp, i) => this.committedInRevoke.push({ partition: tp.partition, committed: committed[i]?.offset ?? null, consumed: this.consumed.get(tp.partition) ?? 0n }));
        } catch (err) {
          this.listenerErrors.push(`commitSync: ${String(err)}`);
        }
      },
      onPartitionsAssigned: (tps) => {
        this.events.push(`+${tps.map((t) => t.partition).join(',')}`);
        for (const tp of tps) {
          this.revoking.delete(tp.partition);
          this.firstAfterAssign.delete(tp.partition);
        }
      },
      ...(opts.lost ? { onPartitionsLost: opts.lost } : {}),
    });
    this.done = (async () => {
      while (!this.stopped) {
        const records = await c.poll(opts.pollMs ?? 50);
        for (const r of records) {
          if (this.revoking.has(r.partition)) this.violations.push(`${name}: ${r.partition}@${r.offset} returned after its revocation started`);
          if (!this.firstAfterAssign.has(r.partition)) this.firstAfterAssign.set(r.partition, r.offset);
          this.seen.push({ partition: r.partition, offset: r.offset });
          this.consumed.set(r.partition, r.offset + 1n);
        }
        if (opts.processMs && !records.isEmpty()) await sleep(opts.processMs);
      }
    })();
  }

  partitions(): number[] {
    return this.consumer.assignment().map((t: TP) => t.partition);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

describe('Rebalance listeners (Java semantics)', { timeout: 180_000 }, () => {
  let b: TestBroker;

  before(async () => {
    b = await startTestBroker({
      'group.initial.rebalance.delay.ms': 0,
      'group.consumer.heartbeat.interval.ms': 300,
      'group.consumer.session.timeout.ms': 6000,
      'offsets.topic.num.partitions': 3,
    });
  });
  after(async () => {
    await b.close();
  });

  const protocols: { name: string; config: Partial<ConsumerConfig> }[] = [
    { name: 'classic eager (range)', config: { 'partition.assignment.strategy': ['range'], 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 200 } },
    { name: 'classic cooperative-sticky', config: { 'partition.assignment.strategy': ['cooperative-sticky'], 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 200 } },
    { name: 'group.protocol=consumer', config: { 'group.protocol': 'consumer' } },
  ];
  let n = 0;
  const base = (group: string, extra: Partial<ConsumerConfig>): ConsumerConfig => ({
    'bootstrap.servers': b.bootstrap,
    'group.id': group,
    'auto.offset.reset': 'earliest',
    'fetch.max.wait.ms': 100,
    'max.poll.records': 5,
    ...extra,
  });

  /** A consumes slowly; B joins; both run until every record is in. */
  async function handOver(proto: Partial<ConsumerConfig>, aOpts: ConstructorParameters<typeof Member>[3], extra: Partial<ConsumerConfig>) {
    const id = `rl-${++n}`;
    await createTopic(b.bootstrap, id, PARTITIONS);
    produce(b, id, PER_PARTITION);
    const a = new Member('A', base(id, { ...proto, ...extra }), id, aOpts);
    let bm: Member | null = null;
    try {
      await waitFor('A consumed some', () => a.seen.length >= 60);
      bm = new Member('B', base(id, { ...proto, ...extra }), id);
      await waitFor('B owns partitions', () => bm!.partitions().length > 0 && a.partitions().length > 0 && a.partitions().length + bm!.partitions().length === PARTITIONS, 30_000, () => `A ${a.events.join(' ')} B ${bm!.events.join(' ')}`);
      const total = (): number => new Set([...a.seen, ...bm!.seen].map((r) => `${r.partition}:${r.offset}`)).size;
      await waitFor('every record consumed', () => total() === PARTITIONS * PER_PARTITION, 60_000, () => `${total()} of ${PARTITIONS * PER_PARTITION}`);
      await a.stop();
      await bm.stop();
      return { a, b: bm, topic: id };
    } finally {
      await a.stop().catch(() => {});
      await bm?.stop().catch(() => {});
      await a.consumer.close();
      await bm?.consumer.close();
    }
  }

  /** B's first offset on each partition it took over is the position A had when it revoked it. */
  function assertNextOwnerStartsAtRevokedPosition(a: Member, bm: Member): void {
    const lastRevoked = new Map(a.revokedPositions.map((r) => [r.partition, r.position]));
    for (const p of bm.partitions()) {
      const first = bm.firstAfterAssign.get(p);
      if (first === undefined) continue; // A had consumed it to the end
      assert.equal(first, lastRevoked.get(p), `B's first offset on partition ${p}`);
    }
  }

  /** Every record exactly once across A and B. */
  function assertExactlyOnce(a: Member, bm: Member): void {
    const seen = new Map<string, number>();
    for (const r of [...a.seen, ...bm.seen]) seen.set(`${r.partition}:${r.offset}`, (seen.get(`${r.partition}:${r.offset}`) ?? 0) + 1);
    const dups = [...seen].filter(([, k]) => k > 1).map(([x]) => x);
    assert.deepEqual(dups.slice(0, 10), [], `duplicates (${dups.length})`);
    assert.equal(seen.size, PARTITIONS * PER_PARTITION, 'no gaps');
  }

  for (const proto of protocols) {
    it(`${proto.name}: position() and commitSync() inside onPartitionsRevoked see the revoked partitions; the next owner starts exactly there`, async () => {
      const { a, b: bm } = await handOver(proto.config, { processMs: 15, commitInRevoke: true }, { 'enable.auto.commit': false });
      // Processing committed only in the listener: every record exactly once across A and B.
      assertExactlyOnce(a, bm);
      // B starts each partition it took over exactly where A's commitSync() in the listener left it.
      assertNextOwnerStartsAtRevokedPosition(a, bm);
      assert.deepEqual(a.listenerErrors.map(String), [], 'the listener could read positions and commit');
      assert.deepEqual(a.violations, []);
      assert.deepEqual(bm.violations, []);
      assert.ok(a.revokedPositions.length > 0, `A revoked something: ${a.events.join(' ')}`);
      // position() inside the listener is what A consumed (not what it prefetched) ...
      for (const r of a.revokedPositions) assert.equal(r.position, r.consumed, `partition ${r.partition}`);
      // ... and commitSync() with no arguments committed exactly that.
      assert.ok(a.committedInRevoke.length > 0);
      for (const r of a.committedInRevoke) assert.equal(r.committed, r.consumed, `committed offset of partition ${r.partition}`);
    });
  }

  for (const proto of protocols) {
    it(`${proto.name}: no record of a revoked partition is returned after onPartitionsRevoked starts, with a slow listener and polls meanwhile`, async () => {
      const { a, b: bm } = await handOver(proto.config, { processMs: 15, commitInRevoke: true, revokeDelayMs: 1500, pollMs: 20 }, { 'enable.auto.commit': false });
      // The revocation came mid-stream: records were there to be (wrongly) returned while the listener ran.
      assert.ok(a.revokedPositions.some((r) => r.position < BigInt(PER_PARTITION)), `A revoked mid-stream: ${a.revokedPositions.map((r) => `${r.partition}@${r.position}`).join(' ')}`);
      assert.deepEqual(a.violations.slice(0, 5), [], `${a.violations.length} records after revocation`);
      assert.deepEqual(bm.violations, []);
      assert.ok(a.events.some((e) => e.startsWith('-') && e.length > 1), `A revoked something: ${a.events.join(' ')}`);
      assertExactlyOnce(a, bm);
      assert.deepEqual(a.listenerErrors.map(String), []);
    });
  }

  for (const proto of protocols) {
    it(`${proto.name}: auto-commit before onPartitionsRevoked commits the consumed positions, not the prefetched ones`, async () => {
      const { a, b: bm } = await handOver(proto.config, { processMs: 15 }, { 'enable.auto.commit': true, 'auto.commit.interval.ms': 600_000 });
      assertExactlyOnce(a, bm);
      assert.deepEqual(a.listenerErrors.map(String), []);
      assert.ok(a.revokedPositions.length > 0);
      for (const r of a.revokedPositions) assert.equal(r.position, r.consumed, `partition ${r.partition}`);
      assertNextOwnerStartsAtRevokedPosition(a, bm);
    });
  }

  for (const proto of [protocols[0]!, protocols[2]!]) {
    it(`${proto.name}: inside onPartitionsLost the partitions are still assigned, but commitSync() fails`, async () => {
      const id = `rl-${++n}`;
      await createTopic(b.bootstrap, id, PARTITIONS);
      produce(b, id, 10);
      const seen: { assigned: number[]; position: bigint | string; commit: string }[] = [];
      const c = new Consumer(base(id, { ...proto.config, 'enable.auto.commit': false, 'max.poll.interval.ms': 1000 }));
      c.subscribe([id], {
        onPartitionsLost: async (tps) => {
          let position: bigint | string;
          try {
            position = await c.position(tps[0]!);
          } catch (err) {
            position = String(err);
          }
          let commit = 'committed';
          try {
            await c.commitSync();
          } catch (err) {
            commit = err instanceof CommitFailedError ? 'CommitFailedError' : String(err);
          }
          seen.push({ assigned: c.assignment().map((t) => t.partition), position, commit });
        },
      });
      try {
        let got = 0;
        const deadline = Date.now() + 20_000;
        while (got < PARTITIONS * 10 && Date.now() < deadline) got += (await c.poll(100)).count;
        assert.equal(got, PARTITIONS * 10);
        // Stop polling past max.poll.interval.ms: the member leaves; the next poll runs onPartitionsLost.
        await sleep(2500);
        const until = Date.now() + 20_000;
        while (seen.length === 0 && Date.now() < until) await c.poll(100);
        assert.equal(seen.length, 1);
        assert.deepEqual(seen[0]!.assigned, [0, 1, 2, 3]);
        assert.equal(seen[0]!.position, 10n);
        assert.equal(seen[0]!.commit, 'CommitFailedError');
      } finally {
        await c.close();
      }
    });
  }

  for (const proto of protocols) {
    it(`${proto.name}: a listener that throws fails one poll(), then the consumer carries on`, async () => {
      const id = `rl-${++n}`;
      await createTopic(b.bootstrap, id, PARTITIONS);
      produce(b, id, 10);
      const c = new Consumer(base(`${id}-g`, proto.config));
      let calls = 0;
      c.subscribe([id], {
        onPartitionsAssigned: () => {
          calls++;
          if (calls === 1) throw new Error('listener failed');
        },
      });
      try {
        let thrown: Error | null = null;
        let got = 0;
        const deadline = Date.now() + 20_000;
        while (got < PARTITIONS * 10 && Date.now() < deadline) {
          try {
            got += (await c.poll(100)).count;
          } catch (err) {
            assert.equal(thrown, null, `poll() threw twice: ${(err as Error).message}`);
            thrown = err as Error;
          }
        }
        assert.equal(thrown?.message, 'listener failed');
        assert.equal(got, PARTITIONS * 10, 'every record after the listener error');
        assert.equal(c.assignment().length, PARTITIONS);
      } finally {
        await c.close();
      }
    });
  }
});
