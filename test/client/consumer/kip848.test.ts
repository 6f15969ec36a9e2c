/**
 * group.protocol=consumer (KIP-848) in Samsa's Consumer. Against a `samsa start`
 * process (records produced with kcat, the group read with ConsumerGroupDescribe):
 * three members on a 12-partition topic get disjoint, complete assignments and read
 * everything once; a fourth joins (no duplicates: revocation commits first); one
 * closes and its partitions move; a member in its own process killed with SIGKILL
 * times out and its partitions move; a new member resumes at the committed offsets;
 * Samsa and @platformatic/kafka (groupProtocol 'consumer') members share one group.
 * Against an in-process broker, whose group state the tests read and change: slow
 * handlers, static membership, fencing, max.poll.interval.ms, the remote assignor
 * and its fatal error, subscription changes, pattern subscriptions.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Consumer as PlatformaticConsumer } from '@platformatic/kafka';
import { notifyPartitionChanged } from '../../../src/broker/fetch/state.ts';
import { consumerGroupsOf } from '../../../src/broker/group/consumer/index.ts';
import { buildRecordBatch } from '../../../src/protocol/records/batch-builder.ts';
import { Consumer } from '../../../src/client/consumer/index.ts';
import type { ConsumerConfig, ConsumerRebalanceListener } from '../../../src/client/consumer/index.ts';
import { startTestBroker } from '../helpers.ts';
import type { TestBroker } from '../helpers.ts';
import { PARTITIONS } from '../../broker/group/group-scenario.ts';
import { makeTempDir, removeDir, startSamsa } from '../../interop/harness.ts';
import type { Samsa } from '../../interop/harness.ts';
import { Admin } from '../../../src/client/admin/index.ts';
import { BrokerConnection } from '../../../src/client/network/broker-connection.ts';
import { ConsumerGroupDescribeApi } from '../../../src/protocol/generated/api-keys.ts';
import type { ConsumerGroupDescribeResponseDescribedGroup } from '../../../src/protocol/generated/consumer-group-describe-response.ts';
import { createTopic, kcatProduce, sleep } from './helpers.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const SESSION_MS = 6000;

async function waitFor(what: string, cond: () => boolean, timeoutMs = 30_000, detail?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail ? `: ${detail()}` : ''}`);
    await sleep(50);
  }
}

interface Owner {
  name: string;
  partitions(): number[];
}

/** A Samsa consumer polling in the background, recording what it receives. */
class SamsaMember implements Owner {
  readonly name: string;
  readonly consumer: Consumer;
  readonly seen: { partition: number; offset: number }[] = [];
  readonly events: string[] = [];
  done: Promise<void>;

  constructor(name: string, config: ConsumerConfig, topics: string[] | RegExp, listener: ConsumerRebalanceListener = {}) {
    this.name = name;
    this.consumer = new Consumer(config);
    const ps = (tps: readonly { partition: number }[]) => tps.map((t) => t.partition).sort((a, b) => a - b).join(',');
    this.consumer.subscribe(topics, {
      onPartitionsAssigned: async (tps) => {
        this.events.push(`+${ps(tps)}`);
        await listener.onPartitionsAssigned?.(tps);
      },
      onPartitionsRevoked: async (tps) => {
        this.events.push(`-${ps(tps)}`);
        await listener.onPartitionsRevoked?.(tps);
      },
      onPartitionsLost: async (tps) => {
        this.events.push(`!${ps(tps)}`);
        await listener.onPartitionsLost?.(tps);
      },
    });
    this.done = this.consumer.consume({
      pollTimeoutMs: 100,
      eachBatch: (records) => {
        for (const r of records) this.seen.push({ partition: r.partition, offset: Number(r.offset) });
      },
    });
  }

  partitions(): number[] {
    return this.consumer.assignment().map((tp) => tp.partition).sort((a, b) => a - b);
  }

  async close(): Promise<void> {
    this.consumer.stop();
    await this.done;
    await this.consumer.close();
  }
}

/** A Samsa member in its own process (kip848-member.ts), for kill -9. */
class ChildMember implements Owner {
  readonly name: string;
  readonly proc: ChildProcess;
  assigned: number[] = [];
  readonly seen: { partition: number; offset: number }[] = [];
  stderr = '';

  constructor(name: string, bootstrap: string, group: string, topic: string) {
    this.name = name;
    this.proc = spawn(process.execPath, [join(HERE, 'kip848-member.ts'), bootstrap, group, topic], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const e = JSON.parse(line) as { type: string; partitions?: number[]; partition?: number; offset?: number };
        if (e.type === 'assigned') this.assigned = [...e.partitions!].sort((a, b) => a - b);
        else if (e.type === 'record') this.seen.push({ partition: e.partition!, offset: e.offset! });
      }
    });
    this.proc.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
  }

  partitions(): number[] {
    return this.assigned;
  }
}

/** A @platformatic/kafka consumer with groupProtocol 'consumer' (its own KIP-848 implementation). */
class PlatformaticMember implements Owner {
  readonly name: string;
  readonly consumer: PlatformaticConsumer<Buffer, Buffer, Buffer, Buffer>;
  readonly seen: { partition: number; offset: number }[] = [];
  private stream: { close(): Promise<unknown> } | null = null;
  private loop: Promise<void> = Promise.resolve();
  private readonly topic: string;

  constructor(name: string, bootstrap: string, group: string, topic: string) {
    this.name = name;
    this.topic = topic;
    this.consumer = new PlatformaticConsumer({ clientId: name, bootstrapBrokers: [bootstrap], groupId: group, groupProtocol: 'consumer', rebalanceTimeout: 60_000, maxWaitTime: 200, retries: 20 });
  }

  async start(): Promise<void> {
    const stream = await this.consumer.consume({ topics: [this.topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
    this.stream = stream;
    this.loop = (async () => {
      try {
        for await (const m of stream) {
          await m.commit();
          this.seen.push({ partition: m.partition, offset: Number(m.offset) });
        }
      } catch {
        // closing
      }
    })();
  }

  partitions(): number[] {
    return (this.consumer.assignments ?? []).filter((a) => a.topic === this.topic).flatMap((a) => a.partitions).sort((x, y) => x - y);
  }

  async close(): Promise<void> {
    await this.stream?.close().catch(() => {});
    await this.loop;
    await this.consumer.close(true);
  }
}

function describeOwners(owners: readonly Owner[]): string {
  return owners.map((o) => `${o.name}=[${o.partitions().join(',')}]`).join(' ');
}

/** Every owner has `each` partitions (when given); together disjoint and complete. */
function disjointComplete(owners: readonly Owner[], each?: number): boolean {
  const all = owners.flatMap((o) => o.partitions());
  if (each !== undefined && !owners.every((o) => o.partitions().length === each)) return false;
  return all.length === PARTITIONS && new Set(all).size === PARTITIONS;
}

/** One record on each of the first `partitions` partitions of `topic`. */
function produceRoundOn(b: TestBroker, topic: string, partitions: number): void {
  for (let p = 0; p < partitions; p++) {
    const log = b.broker.logs.getLog(topic, p)!;
    log.append(buildRecordBatch([{ key: null, value: Buffer.from(`p${p}-o${log.logEndOffset}`) }], { baseTimestamp: Date.now() }), { leaderEpoch: 0 });
    log.maybeIncrementHighWatermark(log.logEndOffset);
    notifyPartitionChanged(b.broker, topic, p);
  }
}

function countDistinct(seen: readonly { partition: number; offset: number }[]): number {
  return new Set(seen.map((s) => `${s.partition}:${s.offset}`)).size;
}

/** The group as ConsumerGroupDescribe shows it (the broker is another process). */
class GroupView {
  private readonly conn: BrokerConnection;
  private constructor(conn: BrokerConnection) {
    this.conn = conn;
  }
  static async open(host: string, port: number): Promise<GroupView> {
    return new GroupView(await BrokerConnection.connect({ host, port, clientId: 'kip848-view' }));
  }
  async describe(group: string): Promise<ConsumerGroupDescribeResponseDescribedGroup> {
    const res = await this.conn.send(ConsumerGroupDescribeApi, { groupIds: [group], includeAuthorizedOperations: false });
    return res.groups[0]!;
  }
  /** Stable with `n` members, each at the assignment epoch. */
  async stable(group: string, n: number): Promise<boolean> {
    const g = await this.describe(group);
    return g.errorCode === 0 && g.groupState === 'Stable' && g.members.length === n && g.members.every((m) => m.memberEpoch === g.assignmentEpoch);
  }
  close(): void {
    this.conn.close();
  }
}

async function waitForAsync(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 30_000, detail?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail ? `: ${detail()}` : ''}`);
    await sleep(50);
  }
}

/** `n` records on every partition, with kcat (one process per partition). */
async function produceAll(bootstrap: string, topic: string, n: number): Promise<void> {
  await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => kcatProduce(bootstrap, topic, p, Array.from({ length: n }, (_, i) => `k${i}:p${p}-${i}`))));
}

describe('Consumer with group.protocol=consumer (KIP-848) against a samsa start process', { timeout: 240_000 }, () => {
  let broker: Samsa;
  let view: GroupView;
  let tmp: string;
  const config = (group: string, extra: Partial<ConsumerConfig> = {}): ConsumerConfig => ({
    'bootstrap.servers': broker.bootstrap,
    'group.id': group,
    'group.protocol': 'consumer',
    'auto.offset.reset': 'earliest',
    'fetch.max.wait.ms': 100,
    ...extra,
  });

  before(async () => {
    tmp = makeTempDir('samsa-kip848-');
    broker = await startSamsa({
      dataDir: join(tmp, 'data'),
      overrides: {
        'group.initial.rebalance.delay.ms': '0',
        'group.consumer.heartbeat.interval.ms': '300',
        'group.consumer.session.timeout.ms': String(SESSION_MS),
        'offsets.topic.num.partitions': '3',
      },
    });
    view = await GroupView.open(broker.host, broker.port);
  });
  after(async () => {
    view?.close();
    await broker?.stop();
    if (tmp) removeDir(tmp);
  });

  it('3 members → 4 → one closes → one is killed (-9) → a new member resumes at the committed offsets', async () => {
    const topic = 'kip848-main';
    const group = 'kip848-main';
    await createTopic(broker.bootstrap, topic, PARTITIONS);
    await produceAll(broker.bootstrap, topic, 10);
    const members: SamsaMember[] = [];
    const all: SamsaMember[] = [];
    let child: ChildMember | null = null;
    try {
      for (let i = 0; i < 3; i++) {
        const m = new SamsaMember(`m${i}`, config(group, { 'auto.commit.interval.ms': 200 }), [topic]);
        members.push(m);
        all.push(m);
      }
      const detail = () => describeOwners(members);
      await waitForAsync('3 members with 4 partitions each', async () => disjointComplete(members, 4) && (await view.stable(group, 3)), 30_000, detail);
      await waitFor('every record read', () => countDistinct(all.flatMap((m) => m.seen)) === 10 * PARTITIONS, 30_000);
      // The members' epochs are the group's assignment epoch; the assignor is the broker's default.
      const g = await view.describe(group);
      assert.equal(g.assignorName, 'uniform');
      for (const m of members) {
        const described = g.members.find((x) => x.memberId === m.consumer.groupMetadata().memberId)!;
        assert.equal(m.consumer.groupMetadata().generationId, described.memberEpoch);
        assert.deepEqual(described.assignment.topicPartitions.flatMap((t) => t.partitions).sort((a, b) => a - b), m.partitions());
      }

      // A fourth member: 3 partitions each; revocations commit first, so nothing is read twice.
      const m3 = new SamsaMember('m3', config(group, { 'auto.commit.interval.ms': 200 }), [topic]);
      members.push(m3);
      all.push(m3);
      await waitForAsync('4 members with 3 partitions each', async () => disjointComplete(members, 3) && (await view.stable(group, 4)), 30_000, detail);
      await produceAll(broker.bootstrap, topic, 5);
      await waitFor('the new records read', () => countDistinct(all.flatMap((m) => m.seen)) === 15 * PARTITIONS, 30_000);
      const reads = all.flatMap((m) => m.seen);
      assert.equal(reads.length, countDistinct(reads), 'no record delivered twice');
      assert.ok(members[0]!.events.some((e) => e.startsWith('-')), members[0]!.events.join(' '));
      assert.ok(m3.events.some((e) => e.startsWith('+') && e.length > 1), m3.events.join(' '));

      // One closes (leaves with epoch -1): its partitions move to the others.
      const closing = members.shift()!;
      const moved = closing.partitions();
      await closing.close();
      await waitForAsync('3 members with 4 partitions each after a leave', async () => disjointComplete(members, 4) && (await view.stable(group, 3)), 30_000, detail);
      for (const p of moved) assert.ok(members.some((m) => m.partitions().includes(p)), `partition ${p} moved`);

      // A member in its own process joins, then is killed with SIGKILL: its session times out, its partitions move.
      child = new ChildMember('child', broker.bootstrap, group, topic);
      const owners: Owner[] = [...members, child];
      await waitForAsync('4 members with the child', async () => disjointComplete(owners, 3) && (await view.stable(group, 4)), 30_000, () => `${describeOwners(owners)} ${child!.stderr}`);
      const childHad = child.partitions();
      await produceAll(broker.bootstrap, topic, 2);
      await waitFor('the child read its new records', () => childHad.every((p) => child!.seen.filter((s) => s.partition === p).length >= 2), 30_000, () => child!.stderr);
      child.proc.kill('SIGKILL');
      const killedAt = Date.now();
      await waitForAsync('3 members with 4 partitions each after the kill', async () => disjointComplete(members, 4) && (await view.stable(group, 3)), 30_000, detail);
      assert.ok(Date.now() - killedAt >= SESSION_MS - 1000, 'the partitions moved when the session timed out');
      for (const p of childHad) assert.ok(members.some((m) => m.partitions().includes(p)), `partition ${p} moved from the killed member`);
      await produceAll(broker.bootstrap, topic, 3);
      const total = 20 * PARTITIONS;
      await waitFor('every record read', () => countDistinct([...all.flatMap((m) => m.seen), ...child!.seen]) === total, 30_000);
      // The child committed after each batch before reporting it: nothing it reported is read again.
      const childKeys = new Set(child.seen.map((s) => `${s.partition}:${s.offset}`));
      assert.deepEqual(all.flatMap((m) => m.seen).filter((s) => childKeys.has(`${s.partition}:${s.offset}`)), []);

      // Everybody closes (auto-commit on revocation and close); the group is empty, its offsets at the end.
      for (const m of members.splice(0)) await m.close();
      await waitForAsync('group empty', async () => (await view.describe(group)).groupState === 'Empty');
      const admin = new Admin({ bootstrapServers: broker.bootstrap });
      try {
        const [offsets] = await admin.listConsumerGroupOffsets([group]);
        assert.deepEqual(offsets!.offsets.map((o) => o.offset), Array.from({ length: PARTITIONS }, () => 20n));
      } finally {
        admin.close();
      }

      // A new member resumes at the committed offsets: only what is new.
      await produceAll(broker.bootstrap, topic, 2);
      const fresh = new SamsaMember('fresh', config(group), [topic]);
      members.push(fresh);
      await waitFor('the new records read', () => fresh.seen.length >= 2 * PARTITIONS, 30_000);
      await sleep(300);
      assert.equal(fresh.seen.length, 2 * PARTITIONS);
      assert.ok(fresh.seen.every((s) => s.offset === 20 || s.offset === 21), JSON.stringify(fresh.seen.slice(0, 5)));
    } finally {
      child?.proc.kill('SIGKILL');
      for (const m of members) await m.close().catch(() => {});
    }
  });

  it('mixed group: Samsa and @platformatic/kafka (groupProtocol consumer) members share the partitions', async () => {
    const topic = 'kip848-mixed';
    const group = 'kip848-mixed';
    await createTopic(broker.bootstrap, topic, PARTITIONS);
    await produceAll(broker.bootstrap, topic, 4);
    const samsa: SamsaMember[] = [];
    const plat: PlatformaticMember[] = [];
    try {
      samsa.push(new SamsaMember('s0', config(group, { 'auto.commit.interval.ms': 200 }), [topic]));
      const p0 = new PlatformaticMember('p0', broker.bootstrap, group, topic);
      await p0.start();
      plat.push(p0);
      samsa.push(new SamsaMember('s1', config(group, { 'auto.commit.interval.ms': 200 }), [topic]));
      const p1 = new PlatformaticMember('p1', broker.bootstrap, group, topic);
      await p1.start();
      plat.push(p1);
      const owners = (): Owner[] => [...samsa, ...plat];
      const everyone = owners() as (SamsaMember | PlatformaticMember)[];
      const seen = () => everyone.flatMap((m) => m.seen);
      await waitForAsync('2 + 2 members with 3 partitions each', async () => disjointComplete(owners(), 3) && (await view.stable(group, 4)), 60_000, () => describeOwners(owners()));
      await waitFor('every record read', () => countDistinct(seen()) === 4 * PARTITIONS, 30_000);
      // A platformatic member leaves: its partitions go to the other three.
      await plat.shift()!.close();
      await waitForAsync('3 members with 4 partitions each', async () => disjointComplete(owners(), 4) && (await view.stable(group, 3)), 60_000, () => describeOwners(owners()));
      // A Samsa member leaves: 6 each.
      await samsa.shift()!.close();
      await waitForAsync('2 members with 6 partitions each', async () => disjointComplete(owners(), 6) && (await view.stable(group, 2)), 60_000, () => describeOwners(owners()));
      await produceAll(broker.bootstrap, topic, 2);
      await waitFor('the new records read', () => countDistinct(seen()) === 6 * PARTITIONS, 30_000, () => describeOwners(owners()));
    } finally {
      for (const m of samsa) await m.close().catch(() => {});
      for (const m of plat) await m.close().catch(() => {});
    }
  });
});

describe('Consumer with group.protocol=consumer (KIP-848), in-process broker (its group state inspected)', { timeout: 240_000 }, () => {
  let b: TestBroker;
  const config = (group: string, extra: Partial<ConsumerConfig> = {}): ConsumerConfig => ({
    'bootstrap.servers': b.bootstrap,
    'group.id': group,
    'group.protocol': 'consumer',
    'auto.offset.reset': 'earliest',
    'fetch.max.wait.ms': 100,
    ...extra,
  });

  before(async () => {
    b = await startTestBroker({
      'group.initial.rebalance.delay.ms': 0,
      'group.consumer.heartbeat.interval.ms': 300,
      'group.consumer.session.timeout.ms': SESSION_MS,
      'offsets.topic.num.partitions': 3,
    });
  });
  after(async () => {
    await b.close();
  });

  it('heartbeats continue while the handler is slower than the session timeout: no fencing, no rebalance', async () => {
    const topic = 'kip848-slow';
    const group = 'kip848-slow';
    await createTopic(b.bootstrap, topic, 2);
    produceRoundOn(b, topic, 2);
    const c = new Consumer(config(group, { 'max.poll.interval.ms': 60_000 }));
    const events: string[] = [];
    c.subscribe([topic], { onPartitionsAssigned: (tps) => void events.push(`+${tps.length}`), onPartitionsLost: (tps) => void events.push(`!${tps.length}`), onPartitionsRevoked: (tps) => void events.push(`-${tps.length}`) });
    let batches = 0;
    const epochs: number[] = [];
    const seen: number[] = [];
    const done = c.consume({
      pollTimeoutMs: 100,
      eachBatch: async (records) => {
        for (const r of records) seen.push(Number(r.offset));
        epochs.push(c.groupMetadata().generationId);
        if (batches++ === 0) await sleep(SESSION_MS * 2); // twice the broker's session timeout
      },
    });
    try {
      await waitFor('first batch', () => batches >= 1);
      await sleep(SESSION_MS * 2 + 500);
      produceRoundOn(b, topic, 2);
      await waitFor('a record after the slow handler', () => seen.length >= 4, 20_000);
      assert.deepEqual(events, ['+2']);
      assert.ok(epochs.every((e) => e === epochs[0]), epochs.join(','));
    } finally {
      c.stop();
      await done;
      await c.close();
    }
  });

  it('static membership: a member closing with epoch -2 and restarting with its group.instance.id gets its partitions back; the other keeps its own', async () => {
    const topic = 'kip848-static';
    const group = 'kip848-static';
    await createTopic(b.bootstrap, topic, 2);
    const one = new SamsaMember('one', config(group, { 'group.instance.id': 'one' }), [topic]);
    let two = new SamsaMember('two', config(group, { 'group.instance.id': 'two' }), [topic]);
    try {
      await waitFor('1 + 1', () => one.partitions().length === 1 && two.partitions().length === 1, 30_000, () => describeOwners([one, two]));
      const twoHad = two.partitions();
      const oneEvents = one.events.length;
      await two.close();
      const g = consumerGroupsOf(b.broker).groups.get(group)!;
      assert.equal(g.members.size, 2, 'the static member stays until its session expires');
      assert.equal([...g.members.values()].find((m) => m.instanceId === 'two')!.memberEpoch, -2);
      two = new SamsaMember('two-again', config(group, { 'group.instance.id': 'two' }), [topic]);
      await waitFor('two back', () => two.partitions().length === 1);
      assert.deepEqual(two.partitions(), twoHad);
      await sleep(500);
      assert.equal(one.events.length, oneEvents, `no rebalance of the other member: ${one.events.join(' ')}`);
      assert.equal(one.partitions().length, 1);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('fenced by the broker: onPartitionsLost, then the member rejoins with epoch 0 and gets partitions again', async () => {
    const topic = 'kip848-fenced';
    const group = 'kip848-fenced';
    await createTopic(b.bootstrap, topic, 3);
    const m = new SamsaMember('m', config(group, { 'client.rack': 'rack-1', 'max.poll.interval.ms': 45_678, 'client.id': 'fence-me' }), [topic]);
    try {
      await waitFor('assigned', () => m.partitions().length === 3);
      const manager = consumerGroupsOf(b.broker);
      const g = manager.groups.get(group)!;
      const before = m.consumer.groupMetadata().memberId;
      // The join carried the rack, the rebalance timeout (max.poll.interval.ms) and the subscription.
      const member = g.members.get(before)!;
      assert.equal(member.rackId, 'rack-1');
      assert.equal(member.rebalanceTimeoutMs, 45_678);
      assert.equal(member.clientId, 'fence-me');
      assert.deepEqual(member.subscribedTopicNames, [topic]);
      assert.equal(member.serverAssignor, null);
      manager.removeMember(g, g.members.get(before)!);
      await waitFor('lost', () => m.events.includes('!0,1,2'), 10_000, () => m.events.join(' '));
      await waitFor('assigned again', () => m.partitions().length === 3 && g.members.size === 1 && g.state === 'Stable', 10_000);
      assert.ok(m.consumer.groupMetadata().generationId > 0);
    } finally {
      await m.close();
    }
  });

  it('max.poll.interval.ms exceeded: the member leaves; its next poll runs onPartitionsLost and rejoins', async () => {
    const topic = 'kip848-pollint';
    const group = 'kip848-pollint';
    await createTopic(b.bootstrap, topic, 2);
    const lost: number[][] = [];
    const c1 = new Consumer(config(group, { 'max.poll.interval.ms': 1500 }));
    c1.subscribe([topic], { onPartitionsLost: (tps) => void lost.push(tps.map((t) => t.partition)) });
    const c2 = new SamsaMember('c2', config(group), [topic]);
    try {
      await waitFor('c2 owns all', () => c2.partitions().length === 2);
      while (c1.assignment().length === 0) await c1.poll(100);
      await waitFor('c2 down to one', () => c2.partitions().length === 1);
      // c1 stops polling: past max.poll.interval.ms it leaves and c2 gets everything.
      await waitFor('c2 takes everything after c1 leaves', () => c2.partitions().length === 2, 20_000);
      const deadline = Date.now() + 20_000;
      while ((lost.length === 0 || c1.assignment().length === 0) && Date.now() < deadline) await c1.poll(100);
      assert.equal(lost.length, 1);
      assert.equal(lost[0]!.length, 1);
      assert.equal(c1.assignment().length, 1);
    } finally {
      await c1.close();
      await c2.close();
    }
  });

  it('group.remote.assignor picks the broker assignor; an unknown one is fatal (UNSUPPORTED_ASSIGNOR)', async () => {
    const topic = 'kip848-assignor';
    await createTopic(b.bootstrap, topic, 6);
    const members = [0, 1].map((i) => new SamsaMember(`r${i}`, config('kip848-range', { 'group.remote.assignor': 'range' }), [topic]));
    try {
      await waitFor('3 + 3', () => members.every((m) => m.partitions().length === 3));
      assert.equal(consumerGroupsOf(b.broker).groups.get('kip848-range')!.assignorName, 'range');
      for (const m of members) {
        const ps = m.partitions();
        assert.equal(ps[2]! - ps[0]!, 2, `contiguous: ${ps.join(',')}`);
      }
    } finally {
      for (const m of members) await m.close();
    }
    const bad = new Consumer(config('kip848-bad', { 'group.remote.assignor': 'nope' }));
    bad.subscribe([topic]);
    try {
      await assert.rejects(async () => {
        for (let i = 0; i < 50; i++) await bad.poll(100);
      }, (e: Error) => e.name === 'UNSUPPORTED_ASSIGNOR');
    } finally {
      await bad.close();
    }
  });

  it('subscribe() to other topics while in the group: the next heartbeat carries them, the old topic is revoked, the new one assigned', async () => {
    await createTopic(b.bootstrap, 'ksub-a', 2);
    await createTopic(b.bootstrap, 'ksub-b', 2);
    const events: string[] = [];
    const c = new Consumer(config('kip848-resub'));
    const listener: ConsumerRebalanceListener = {
      onPartitionsAssigned: (tps) => void events.push(`+${tps.map((t) => `${t.topic}-${t.partition}`).join(',')}`),
      onPartitionsRevoked: (tps) => void events.push(`-${tps.map((t) => `${t.topic}-${t.partition}`).join(',')}`),
    };
    c.subscribe(['ksub-a'], listener);
    try {
      const deadline = Date.now() + 20_000;
      while (c.assignment().length < 2 && Date.now() < deadline) await c.poll(100);
      const epoch = c.groupMetadata().generationId;
      c.subscribe(['ksub-b'], listener);
      while (!c.assignment().every((tp) => tp.topic === 'ksub-b') || c.assignment().length < 2) {
        if (Date.now() > deadline) throw new Error(`no ksub-b assignment: ${events.join(' ')}`);
        await c.poll(100);
      }
      assert.deepEqual(events, ['+ksub-a-0,ksub-a-1', '-ksub-a-0,ksub-a-1', '+', '+ksub-b-0,ksub-b-1']);
      assert.ok(c.groupMetadata().generationId > epoch);
    } finally {
      await c.close();
    }
  });

  it('a pattern subscription sends its matches and picks up a new matching topic; unsubscribe leaves, subscribe rejoins', async () => {
    await createTopic(b.bootstrap, 'kpat-a', 1);
    await createTopic(b.bootstrap, 'kother', 1);
    const c = new Consumer(config('kip848-pattern', { 'metadata.max.age.ms': 300 }));
    c.subscribe(/^kpat-/);
    try {
      const deadline = Date.now() + 20_000;
      while (c.assignment().length < 1 && Date.now() < deadline) await c.poll(100);
      assert.deepEqual(c.assignment(), [{ topic: 'kpat-a', partition: 0 }]);
      await createTopic(b.bootstrap, 'kpat-b', 2);
      while (c.assignment().length < 3 && Date.now() < deadline + 20_000) await c.poll(100);
      assert.deepEqual(c.subscription(), ['kpat-a', 'kpat-b']);
      assert.equal(c.assignment().length, 3);
      const g = consumerGroupsOf(b.broker).groups.get('kip848-pattern')!;
      assert.deepEqual([...g.members.values()][0]!.subscribedTopicNames, ['kpat-a', 'kpat-b']);
      await c.unsubscribe();
      assert.equal(g.members.size, 0);
      c.subscribe(['kother']);
      while (c.assignment().length < 1 && Date.now() < deadline + 40_000) await c.poll(100);
      assert.deepEqual(c.assignment(), [{ topic: 'kother', partition: 0 }]);
      assert.equal(g.members.size, 1);
    } finally {
      await c.close();
    }
  });
});
