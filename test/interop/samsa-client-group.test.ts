/**
 * A mixed consumer group on one real `samsa start`: Samsa Consumers (classic protocol,
 * the default group.protocol) and librdkafka consumers (confluent-kafka-python,
 * python/group_member_tool.py) in the SAME group, with the same assignment strategy,
 * share a 12-partition topic while a Samsa Producer keeps writing to it:
 *
 * - assignments are disjoint and complete (as each client sees its own, and as the
 *   broker's DescribeGroups shows them), balanced (12/4, 12/3, 12/2);
 * - a member leaving (a librdkafka member and a Samsa member, one of them the group
 *   leader, so both clients' assignors run the group) moves its partitions to the
 *   others; with cooperative-sticky the others keep what they had;
 * - every record produced is consumed (no loss), duplicates only for records consumed
 *   but not yet committed when a partition moved, and the group's committed offsets
 *   end at the log end.
 *
 * Runs for `range` and for `cooperative-sticky` (both clients have both).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { Admin } from '../../src/client/admin/index.ts';
import { Producer } from '../../src/client/producer/index.ts';
import { Consumer } from '../../src/client/consumer/index.ts';
import { PYTHON, PYTHON_DIR, makeTempDir, onJsonLines, removeDir, requirePythonModule, startSamsa } from './harness.ts';
import type { Samsa } from './harness.ts';

const PARTITIONS = 12;
const TIMEOUT = 110_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ALL = Array.from({ length: PARTITIONS }, (_, p) => p);

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number, detail: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${detail()}`);
    await sleep(100);
  }
}

interface Member {
  name: string;
  kind: 'samsa' | 'librdkafka';
  /** Current assignment (partitions), as the member itself reports it. */
  assignment(): number[];
  /** Every record it consumed: `${partition}@${offset}` → value. */
  seen: Map<string, string>;
  duplicates: number;
  leave(): Promise<void>;
  /** kill -9 (librdkafka members only): no LeaveGroup, no commit. */
  kill?(): Promise<void>;
  gone: boolean;
  describe(): string;
}

function record(m: { seen: Map<string, string>; duplicates: number }, partition: number, offset: number | bigint, value: string): void {
  const k = `${partition}@${offset}`;
  if (m.seen.has(k)) m.duplicates++;
  m.seen.set(k, value);
}

function samsaMember(bootstrap: string, group: string, topic: string, strategy: string, name: string): Member {
  const c = new Consumer({
    'bootstrap.servers': bootstrap,
    'group.id': group,
    'client.id': name,
    'auto.offset.reset': 'earliest',
    'partition.assignment.strategy': [strategy],
    'session.timeout.ms': 10_000,
    'heartbeat.interval.ms': 500,
    'auto.commit.interval.ms': 500,
    'metadata.max.age.ms': 2000,
  });
  const m: Member = {
    name,
    kind: 'samsa',
    assignment: () => (m.gone ? [] : c.assignment().map((tp) => tp.partition).sort((a, b) => a - b)),
    seen: new Map(),
    duplicates: 0,
    gone: false,
    describe: () => `${name} (Samsa): ${m.gone ? 'gone' : JSON.stringify(m.assignment())}, ${m.seen.size} records`,
    leave: async () => {
      c.stop();
      await done;
      await c.close();
      m.gone = true;
    },
  };
  const show = (tps: readonly { partition: number }[]) => JSON.stringify(tps.map((tp) => tp.partition).sort((a, b) => a - b));
  c.subscribe([topic], {
    onPartitionsAssigned: (tps) => void note(name, `assigned ${show(tps)} → ${show(c.assignment())}`),
    onPartitionsRevoked: (tps) => void note(name, `revoked ${show(tps)}`),
    onPartitionsLost: (tps) => void note(name, `LOST ${show(tps)}`),
  });
  const done = c.consume({
    pollTimeoutMs: 100,
    eachBatch: (records) => {
      for (const r of records) record(m, r.partition, r.offset, r.value!.toString());
    },
  });
  done.catch((e: Error) => {
    m.describe = () => `${name} (Samsa) FAILED: ${e.stack}`;
  });
  return m;
}

function librdkafkaMember(bootstrap: string, group: string, topic: string, strategy: string, name: string): Member {
  const py: ChildProcessWithoutNullStreams = spawn(PYTHON, ['-u', join(PYTHON_DIR, 'group_member_tool.py'), bootstrap, group, topic, strategy, name], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  let assignment: number[] = [];
  let closed = false;
  let stderr = '';
  const errors: string[] = [];
  const m: Member = {
    name,
    kind: 'librdkafka',
    assignment: () => (m.gone ? [] : assignment),
    seen: new Map(),
    duplicates: 0,
    gone: false,
    describe: () => `${name} (librdkafka): ${m.gone ? 'gone' : JSON.stringify(assignment)}, ${m.seen.size} records${errors.length ? `, errors ${errors.slice(0, 3).join('; ')}` : ''}${stderr ? `\n  stderr: ${stderr.slice(-1500)}` : ''}`,
    leave: async () => {
      py.stdin.end();
      await waitFor(`${name} to close`, () => closed, 30_000, () => m.describe());
      m.gone = true;
    },
    kill: async () => {
      const exited = new Promise((r) => py.once('exit', r));
      py.kill('SIGKILL');
      await exited;
      closed = true;
      m.gone = true;
    },
  };
  py.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  onJsonLines<{ event: string; partitions?: number[]; r?: [number, number, string][]; error?: string }>(py.stdout, (e) => {
    if (e.event === 'assignment') {
      assignment = e.partitions!;
      note(name, `assignment ${JSON.stringify(assignment)}`);
    } else if (e.event === 'records') for (const [p, o, v] of e.r!) record(m, p, o, v);
    else if (e.event === 'error') errors.push(e.error!);
    else if (e.event === 'closed') closed = true;
  });
  py.on('exit', () => {
    if (!closed) m.describe = () => `${name} (librdkafka) EXITED early; stderr: ${stderr.slice(-3000)}`;
  });
  processes.push(py);
  return m;
}

const processes: ChildProcessWithoutNullStreams[] = [];
/** Assignment changes as each member reports them, for failure messages. */
const timeline: string[] = [];
let t0 = Date.now();
const note = (name: string, what: string) => timeline.push(`+${Date.now() - t0}ms ${name} ${what}`);

/** Offsets as ranges: [1,2,3,7,8] → "1-3,7-8". */
function ranges(offsets: number[]): string {
  const o = [...offsets].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < o.length; ) {
    let j = i;
    while (j + 1 < o.length && o[j + 1] === o[j]! + 1) j++;
    out.push(o[i] === o[j] ? `${o[i]}` : `${o[i]}-${o[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

/** Live members' assignments are disjoint, cover all 12 partitions, and are balanced. */
function balancedAndComplete(members: Member[]): boolean {
  const live = members.filter((m) => !m.gone);
  const all = live.flatMap((m) => m.assignment()).sort((a, b) => a - b);
  if (all.length !== PARTITIONS || all.some((p, i) => p !== ALL[i])) return false;
  const per = PARTITIONS / live.length;
  return live.every((m) => m.assignment().length === per);
}

describe('Mixed consumer group: Samsa Consumers + librdkafka consumers', () => {
  let broker: Samsa;
  let tmp: string;
  let admin: Admin;

  before(async () => {
    requirePythonModule('confluent_kafka', 'python3-confluent-kafka');
    tmp = makeTempDir('samsa-client-group-');
    broker = await startSamsa({ dataDir: join(tmp, 'data'), overrides: { 'group.initial.rebalance.delay.ms': '0' } });
    admin = new Admin({ bootstrapServers: broker.bootstrap });
  });

  after(async () => {
    for (const p of processes) p.kill('SIGKILL');
    admin?.close();
    if (broker) await broker.stop();
    if (tmp) removeDir(tmp);
  });

  // range: a librdkafka member joins first (the leader: librdkafka's range assignor runs
  // the group), then leaves, and a Samsa member leaves after it.
  // cooperative-sticky: a Samsa member leads first, then leaves, then a librdkafka member.
  const scenarios = [
    { strategy: 'range', order: ['rd1', 'samsa1', 'rd2', 'samsa2'], leaving: ['rd1', 'samsa2'] },
    { strategy: 'cooperative-sticky', order: ['samsa1', 'rd1', 'samsa2', 'rd2'], leaving: ['samsa1', 'rd1'] },
  ];

  for (const sc of scenarios) {
    it(`${sc.strategy}: disjoint + complete assignments, partitions move when members leave, every record consumed`, { timeout: TIMEOUT }, async (t) => {
      t0 = Date.now();
      timeline.length = 0;
      const topic = `mixed-${sc.strategy}`;
      const group = `mixed-group-${sc.strategy}`;
      const [created] = await admin.createTopics([{ name: topic, numPartitions: PARTITIONS, replicationFactor: 1 }]);
      assert.equal(created!.error ?? null, null);

      // A Samsa producer writes all along: 3000 records up front, then 100 every 50 ms.
      const producer = new Producer({ 'bootstrap.servers': broker.bootstrap, 'linger.ms': 5 });
      const delivered = new Map<string, string>();
      const sendErrors: string[] = [];
      let next = 0;
      const send = (n: number) => {
        for (let i = 0; i < n; i++) {
          const v = String(next++);
          producer.send({ topic, key: `k${v}`, value: v }, (err, md) => {
            if (err) sendErrors.push(err.message);
            else delivered.set(`${md!.partition}@${md!.offset}`, v);
          });
        }
      };
      send(3000);
      await producer.flush();
      let producing = true;
      const background = (async () => {
        while (producing) {
          send(100);
          await sleep(50);
        }
        await producer.flush();
      })();

      const members = new Map<string, Member>();
      const detail = () => [...members.values()].map((m) => m.describe()).join('\n') + `\n--- broker log ---\n${broker.logTail().slice(-2500)}`;
      const groupView = async (): Promise<{ state: string; assignor: string; byClient: Map<string, number[]> }> => {
        const [d] = await admin.describeConsumerGroups([group]);
        const byClient = new Map<string, number[]>();
        for (const mem of d!.members) byClient.set(mem.clientId, mem.assignment.map((tp) => tp.partition).sort((a, b) => a - b));
        return { state: d!.state, assignor: d!.partitionAssignor, byClient };
      };
      /** Clients and the broker agree: balanced, disjoint, complete, Stable with the expected members. */
      const settled = async (expectMembers: number): Promise<boolean> => {
        const live = [...members.values()].filter((m) => !m.gone);
        if (live.length !== expectMembers || !balancedAndComplete(live)) return false;
        const view = await groupView();
        if (view.state !== 'Stable' || view.byClient.size !== expectMembers || view.assignor !== sc.strategy) return false;
        return live.every((m) => JSON.stringify(view.byClient.get(m.name)) === JSON.stringify(m.assignment()));
      };

      try {
        for (const name of sc.order) {
          const make = name.startsWith('rd') ? librdkafkaMember : samsaMember;
          note(name, 'joins');
          members.set(name, make(broker.bootstrap, group, topic, sc.strategy, name));
          await sleep(300);
        }
        await waitFor('4 members with 3 partitions each, agreed by every client and the broker', () => settled(4), 45_000, detail);
        const ownersOf = () => new Map([...members.values()].filter((m) => !m.gone).map((m) => [m.name, m.assignment()]));

        for (const leaver of sc.leaving) {
          const before = ownersOf();
          const had = before.get(leaver)!;
          note(leaver, 'leaves');
          await members.get(leaver)!.leave();
          note(leaver, 'left');
          const left = members.size - [...members.values()].filter((m) => m.gone).length;
          await waitFor(`${leaver} left: ${left} members with ${PARTITIONS / left} partitions each`, () => settled(left), 45_000, detail);
          const after = ownersOf();
          const moved = had.map((p) => [...after].find(([, ps]) => ps.includes(p))?.[0]);
          assert.ok(moved.every((o) => o !== undefined && o !== leaver), `${leaver}'s partitions ${JSON.stringify(had)} went to ${JSON.stringify(moved)}`);
          if (sc.strategy === 'cooperative-sticky') {
            for (const [name, ps] of after) {
              const kept = before.get(name)!.filter((p) => !ps.includes(p));
              assert.deepEqual(kept, [], `cooperative-sticky: ${name} kept ${JSON.stringify(before.get(name))} → ${JSON.stringify(ps)}`);
            }
          }
        }
      } catch (e) {
        await Promise.all([...members.values()].filter((m) => !m.gone).map((m) => m.leave().catch(() => {})));
        throw e;
      } finally {
        producing = false;
        await background;
        await producer.close();
      }
      assert.deepEqual(sendErrors.slice(0, 3), [], 'producer errors');

      // Every delivered record reaches some member.
      const consumed = new Map<string, string>();
      const totalDuplicates = () => [...members.values()].reduce((a, m) => a + m.duplicates, 0);
      const missing = () => [...delivered.keys()].filter((k) => !consumed.has(k));
      try {
        await waitFor(
          `all ${delivered.size} records consumed`,
          () => {
            for (const m of members.values()) for (const [k, v] of m.seen) consumed.set(k, v);
            return missing().length === 0;
          },
          30_000,
          () => `${missing().length} missing, e.g. ${missing().slice(0, 5)}\n${detail()}`,
        );
      } catch (e) {
        // Where each partition stands: log end, committed, last offset each member read.
        const ends = await admin.listOffsets(ALL.map((p) => ({ topic, partition: p, spec: 'latest' as const })));
        const [offs] = await admin.listConsumerGroupOffsets([group]);
        const lost = missing();
        const lines = ALL.map((p) => {
          const read = [...members.values()].map((m) => `${m.name}:[${ranges([...m.seen.keys()].filter((k) => k.startsWith(`${p}@`)).map((k) => Number(k.split('@')[1])))}]`);
          const gap = ranges(lost.filter((k) => k.startsWith(`${p}@`)).map((k) => Number(k.split('@')[1])));
          return `  p${p}: end ${ends[p]!.offset} committed ${offs!.offsets.find((o) => o.partition === p)?.offset}${gap ? ` MISSING ${gap}` : ''} read ${read.join(' ')}`;
        });
        lines.push('timeline:', ...timeline.map((l) => `  ${l}`));
        await Promise.all([...members.values()].filter((m) => !m.gone).map((m) => m.leave().catch(() => {})));
        throw new Error(`${(e as Error).message}\n${lines.join('\n')}`);
      }
      for (const [k, v] of delivered) assert.equal(consumed.get(k), v, `record at ${k}`);
      assert.equal(consumed.size, delivered.size, 'nothing consumed that was not delivered');
      // A record read twice was read again from the last commit after a rebalance: the
      // members auto-commit every 500 ms and on revoke/leave, so duplicates are rare (0 in
      // most runs, a few dozen at worst seen); 5% leaves room for a slow CI machine.
      const crossDuplicates = [...consumed.keys()].filter((k) => [...members.values()].filter((m) => m.seen.has(k)).length > 1).length;
      t.diagnostic(`${delivered.size} records; duplicates: ${crossDuplicates} across members, ${totalDuplicates()} within one member`);
      assert.ok(crossDuplicates + totalDuplicates() <= delivered.size / 20, `duplicates: ${crossDuplicates} across members, ${totalDuplicates()} within`);

      // The remaining members leave, one at a time, each after the group settled again
      // (a member closing in the middle of a rebalance cannot commit: OffsetCommit gets
      // REBALANCE_IN_PROGRESS or ILLEGAL_GENERATION, as from Kafka, so its last
      // auto-commit interval of progress stays uncommitted — at-least-once, not a loss);
      // the committed offsets are then the log end.
      const committedNow = async () => (await admin.listConsumerGroupOffsets([group]))[0]!.offsets.map((o) => String(o.offset)).join(',');
      const steps: string[] = [];
      for (const m of members.values()) {
        if (m.gone) continue;
        const left = [...members.values()].filter((x) => !x.gone).length - 1;
        note(m.name, 'leaves (end)');
        await m.leave();
        if (left > 0) await waitFor(`the group to settle with ${left} member(s)`, () => settled(left), 45_000, detail);
        steps.push(`after ${m.name} left: ${await committedNow()}`);
      }
      const [offs] = await admin.listConsumerGroupOffsets([group]);
      const ends = new Map<number, bigint>();
      for (const k of delivered.keys()) {
        const [p, o] = k.split('@').map(Number) as [number, number];
        if (BigInt(o + 1) > (ends.get(p) ?? 0n)) ends.set(p, BigInt(o + 1));
      }
      const why = () =>
        `\n${steps.join('\n')}\nlast offset read per partition: ${ALL.map((p) => `p${p} ${[...members.values()].map((m) => `${m.name}:${Math.max(-1, ...[...m.seen.keys()].filter((k) => k.startsWith(`${p}@`)).map((k) => Number(k.split('@')[1])))}`).join(' ')}`).join('; ')}` +
        `\ntimeline:\n${timeline.join('\n')}`;
      assert.deepEqual(offs!.offsets.map((o) => [o.partition, o.offset]), ALL.map((p) => [p, ends.get(p) ?? null]), `committed offsets = log end${why()}`);
    });
  }

  it('range: a librdkafka member killed -9 — after session.timeout.ms its partitions move to the Samsa members, re-read only from its last commit', { timeout: TIMEOUT }, async (t) => {
    t0 = Date.now();
    timeline.length = 0;
    const topic = 'mixed-kill';
    const group = 'mixed-group-kill';
    const [created] = await admin.createTopics([{ name: topic, numPartitions: PARTITIONS, replicationFactor: 1 }]);
    assert.equal(created!.error ?? null, null);
    const producer = new Producer({ 'bootstrap.servers': broker.bootstrap, 'linger.ms': 5 });
    const delivered = new Map<string, string>();
    let next = 0;
    let producing = true;
    const background = (async () => {
      while (producing) {
        for (let i = 0; i < 60; i++) {
          const v = String(next++);
          producer.send({ topic, key: `k${v}`, value: v }, (err, md) => {
            if (!err) delivered.set(`${md!.partition}@${md!.offset}`, v);
          });
        }
        await sleep(50);
      }
      await producer.flush();
    })();
    const members = new Map<string, Member>();
    const detail = () => [...members.values()].map((m) => m.describe()).join('\n') + `\ntimeline:\n${timeline.join('\n')}`;
    try {
      for (const name of ['samsa1', 'rd1', 'samsa2']) {
        members.set(name, name.startsWith('rd') ? librdkafkaMember(broker.bootstrap, group, topic, 'range', name) : samsaMember(broker.bootstrap, group, topic, 'range', name));
        await sleep(300);
      }
      const all = () => [...members.values()];
      await waitFor('3 members with 4 partitions each', () => balancedAndComplete(all()), 45_000, detail);
      const rd1 = members.get('rd1')!;
      const rdParts = rd1.assignment();
      await waitFor('rd1 reading', () => rdParts.every((p) => [...rd1.seen.keys()].some((k) => k.startsWith(`${p}@`))), 20_000, detail);
      await sleep(1000);
      note('rd1', 'kill -9');
      const killedAt = Date.now();
      await rd1.kill!();
      await waitFor('2 Samsa members with 6 partitions each', () => balancedAndComplete(all()), 45_000, detail);
      const moveMs = Date.now() - killedAt;
      await sleep(1000);
      producing = false;
      await background;
      const consumed = new Set<string>();
      const missing = () => [...delivered.keys()].filter((k) => !consumed.has(k));
      await waitFor(`all ${delivered.size} records consumed`, () => {
        for (const m of all()) for (const k of m.seen.keys()) consumed.add(k);
        return missing().length === 0;
      }, 30_000, () => `${missing().length} missing, e.g. ${missing().slice(0, 5)}\n${detail()}`);
      // Records read by both rd1 and a Samsa member: only on rd1's partitions, and only the tail rd1 read after its last auto-commit.
      const both = [...rd1.seen.keys()].filter((k) => members.get('samsa1')!.seen.has(k) || members.get('samsa2')!.seen.has(k));
      t.diagnostic(`${delivered.size} records; partitions moved ${moveMs} ms after the kill; ${both.length} read by rd1 and again by a Samsa member`);
      assert.ok(both.every((k) => rdParts.includes(Number(k.split('@')[0]))), `re-reads outside rd1's partitions: ${both.slice(0, 5)}`);
      assert.ok(moveMs >= 5000, `partitions moved ${moveMs} ms after the kill: before the 10 s session timeout could expire?`);
    } finally {
      producing = false;
      await background.catch(() => {});
      await producer.close();
      for (const m of members.values()) if (!m.gone) await m.leave().catch(() => {});
    }
  });

  it('the broker log shows no failed request', { timeout: TIMEOUT }, async () => {
    admin.close();
    assert.equal(await broker.stop(), 0);
    assert.deepEqual(broker.logProblems(), []);
  });
});
