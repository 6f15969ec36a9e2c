/**
 * The consumer-group scenario every real client runs against an in-process broker,
 * with each member in its own process (so kill -9 is real):
 *
 *  1. three members on a 12-partition topic get disjoint assignments covering every
 *     partition, consume everything and commit;
 *  2. a fourth joins: rebalance, still disjoint and complete;
 *  3. one is killed with SIGKILL: its partitions move to the others once its session
 *     times out;
 *  4. everybody stops (leaving the group); a new member resumes exactly at the
 *     committed offsets;
 *  5. the broker restarts (same data dir and port): the committed offsets survive and a
 *     new member resumes at them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker } from '../../../src/broker/broker.ts';
import type { Broker } from '../../../src/broker/broker.ts';
import { notifyPartitionChanged } from '../../../src/broker/fetch/state.ts';
import { groupCoordinatorLoaded, groupCoordinatorOf } from '../../../src/broker/group/index.ts';
import { buildRecordBatch } from '../../../src/protocol/records/batch-builder.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const PYTHON = '/usr/bin/python3';
const PY_MEMBER = path.join(HERE, 'clients', 'group_member.py');
const NODE_MEMBER = path.join(HERE, 'clients', 'node-member.ts');

export type ClientKind = 'confluent' | 'kafka-python' | 'kafkajs' | 'platformatic';

export const PARTITIONS = 12;
export const SESSION_MS = 6000;

export interface MemberEvent {
  type: string;
  partitions?: number[];
  partition?: number;
  offset?: number;
  value?: string;
  message?: string;
}

/** A member process and what it has reported. */
export class Member {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly events: MemberEvent[] = [];
  /** Current assignment; null while revoked / not yet assigned. */
  assigned: number[] | null = null;
  readonly records: { partition: number; offset: number; value: string }[] = [];
  exited: number | null = null;
  readonly exit: Promise<number>;
  private stderr = '';
  private buf = '';

  constructor(name: string, cmd: string, args: string[]) {
    this.name = name;
    this.proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    this.proc.stdout!.on('data', (b: Buffer) => this.onData(b.toString('utf8')));
    this.proc.stderr!.on('data', (b: Buffer) => {
      this.stderr = (this.stderr + b.toString('utf8')).slice(-20_000);
    });
    this.exit = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exited = code ?? (signal === 'SIGKILL' ? 137 : 143);
        resolve(this.exited);
      });
    });
    running.add(this);
  }

  private onData(s: string): void {
    this.buf += s;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      let e: MemberEvent;
      try {
        e = JSON.parse(line) as MemberEvent;
      } catch {
        continue;
      }
      this.events.push(e);
      if (e.type === 'assigned') this.assigned = e.partitions ?? [];
      else if (e.type === 'revoked') this.assigned = null;
      else if (e.type === 'record') this.records.push({ partition: e.partition!, offset: e.offset!, value: e.value! });
    }
  }

  get alive(): boolean {
    return this.exited === null;
  }

  describe(): string {
    const errors = this.events.filter((e) => e.type === 'error').map((e) => e.message);
    return `${this.name}: exited=${this.exited} assigned=${JSON.stringify(this.assigned)} records=${this.records.length} errors=${JSON.stringify(errors.slice(-3))}\n  stderr tail: ${this.stderr.slice(-1500)}`;
  }

  async stop(timeoutMs = 30_000): Promise<number> {
    if (this.exited !== null) return this.exited;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    const code = await this.exit;
    clearTimeout(t);
    running.delete(this);
    return code;
  }

  async kill9(): Promise<void> {
    this.proc.kill('SIGKILL');
    await this.exit;
    running.delete(this);
  }
}

const running = new Set<Member>();
process.on('exit', () => {
  for (const m of running) m.proc.kill('SIGKILL');
});

export function spawnMember(kind: ClientKind, name: string, opts: { bootstrap: string; topic: string; group: string; instanceId?: string; sessionMs?: number; strategy?: string }): Member {
  const common = ['--bootstrap', opts.bootstrap, '--topic', opts.topic, '--group', opts.group, '--session-ms', String(opts.sessionMs ?? SESSION_MS), '--client-id', name];
  if (kind === 'confluent' || kind === 'kafka-python') {
    const args = ['-u', PY_MEMBER, '--client', kind, ...common];
    if (opts.instanceId) args.push('--instance-id', opts.instanceId);
    if (opts.strategy) args.push('--strategy', opts.strategy);
    return new Member(name, PYTHON, args);
  }
  if (opts.instanceId || opts.strategy) throw new Error('static membership and assignment strategies are driven with the python clients');
  return new Member(name, process.execPath, [NODE_MEMBER, '--client', kind, ...common]);
}

export async function eventually(what: string, check: () => boolean, timeoutMs: number, describe: () => string = () => ''): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${describe()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - start;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ScenarioBroker {
  broker: Broker;
  bootstrap: string;
  dir: string;
  port: number;
  config: Record<string, string | number | boolean>;
}

export async function startScenarioBroker(dir: string, port: number, extra: Record<string, string | number | boolean> = {}): Promise<ScenarioBroker> {
  const config = {
    listeners: `PLAINTEXT://127.0.0.1:${port}`,
    'log.dirs': dir,
    'group.initial.rebalance.delay.ms': 300,
    'offsets.topic.num.partitions': 10,
    ...extra,
  };
  const broker = await startBroker({ config, log: () => {} });
  await groupCoordinatorLoaded(broker);
  return { broker, bootstrap: `127.0.0.1:${port}`, dir, port, config };
}

/** Appends one record per partition (value "p<partition>-o<offset>") straight into the logs. */
export function produceRound(broker: Broker, topic: string): void {
  for (let p = 0; p < PARTITIONS; p++) {
    const log = broker.logs.getLog(topic, p)!;
    const offset = log.logEndOffset;
    log.append(buildRecordBatch([{ key: null, value: Buffer.from(`p${p}-o${offset}`) }], { baseTimestamp: Date.now() }), { leaderEpoch: 0 });
    log.maybeIncrementHighWatermark(log.logEndOffset);
    notifyPartitionChanged(broker, topic, p);
  }
}

export function committedOffsets(broker: Broker, group: string, topic: string): number[] {
  const r = groupCoordinatorOf(broker).fetchOffsets(group, [{ name: topic, partitionIndexes: Array.from({ length: PARTITIONS }, (_, i) => i) }], false);
  return r.topics[0]!.partitions.map((p) => Number(p.committedOffset));
}

/** Every live member has a non-empty assignment; together disjoint and complete; the broker's group is Stable with exactly them. */
export function balanced(broker: Broker, group: string, members: readonly Member[]): boolean {
  const g = groupCoordinatorOf(broker).groups.get(group);
  if (!g || g.state !== 'Stable' || g.size !== members.length) return false;
  const seen = new Set<number>();
  for (const m of members) {
    if (!m.alive || m.assigned === null || m.assigned.length === 0) return false;
    for (const p of m.assigned) {
      if (seen.has(p)) return false;
      seen.add(p);
    }
  }
  return seen.size === PARTITIONS;
}

export function describeGroup(broker: Broker, group: string, members: readonly Member[]): string {
  const g = groupCoordinatorOf(broker).groups.get(group);
  const state = g ? `${g.state} generation=${g.generationId} members=${[...g.members.keys()].join(',')}` : 'no group';
  return `group ${group}: ${state}\n${members.map((m) => m.describe()).join('\n')}`;
}

function assertDisjointComplete(members: readonly Member[]): void {
  const all = members.flatMap((m) => m.assigned ?? []).sort((x, y) => x - y);
  assert.deepEqual(all, Array.from({ length: PARTITIONS }, (_, i) => i), `assignments ${members.map((m) => `${m.name}=${JSON.stringify(m.assigned)}`).join(' ')}`);
}

export interface ScenarioReport {
  killMoveMs: number;
}

/** Runs the whole scenario for one client library. */
export async function runGroupScenario(kind: ClientKind, log: (msg: string) => void = () => {}, strategy?: string): Promise<ScenarioReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `samsa-group-${kind}-`));
  const port = await freePort();
  let sb = await startScenarioBroker(dir, port);
  const topic = `group-${kind}${strategy ? `-${strategy}` : ''}`;
  const group = `g-${kind}${strategy ? `-${strategy}` : ''}`;
  const members: Member[] = [];
  const spawnOne = (name: string): Member => {
    const m = spawnMember(kind, name, { bootstrap: sb.bootstrap, topic, group, strategy });
    members.push(m);
    return m;
  };
  const live = (): Member[] => members.filter((m) => m.alive);
  const explain = (): string => describeGroup(sb.broker, group, members);
  try {
    sb.broker.topics.create(topic, { partitions: PARTITIONS });
    for (let i = 0; i < 10; i++) produceRound(sb.broker, topic);

    // 1. Three members: disjoint, complete; everything consumed and committed.
    const [m1, m2, m3] = [spawnOne(`${kind}-1`), spawnOne(`${kind}-2`), spawnOne(`${kind}-3`)];
    await eventually('3 members balanced', () => balanced(sb.broker, group, [m1!, m2!, m3!]), 90_000, explain);
    assertDisjointComplete([m1!, m2!, m3!]);
    log(`3 members: ${[m1!, m2!, m3!].map((m) => JSON.stringify(m.assigned)).join(' ')}`);
    await eventually('120 records committed', () => committedOffsets(sb.broker, group, topic).every((o) => o === 10), 60_000, explain);
    // A member reports a record after its commit, so the report can reach this process
    // (over a pipe) after the broker has stored the commit: wait for the reports too.
    const reported = (): number => new Set(members.flatMap((m) => m.records.map((r) => r.value))).size;
    await eventually('every record reported by some member', () => reported() >= 120, 10_000, explain);
    assert.equal(reported(), 120, 'every record consumed by some member');

    // 2. A fourth member: rebalance, still disjoint and complete.
    const m4 = spawnOne(`${kind}-4`);
    await eventually('4 members balanced', () => balanced(sb.broker, group, [m1!, m2!, m3!, m4]), 90_000, explain);
    assertDisjointComplete([m1!, m2!, m3!, m4]);
    log(`4 members: ${[m1!, m2!, m3!, m4].map((m) => JSON.stringify(m.assigned)).join(' ')}`);

    // 3. kill -9 one member: its partitions move to the others after its session timeout.
    const victim = m2!;
    const victimPartitions = [...victim.assigned!];
    const killedAt = Date.now();
    await victim.kill9();
    await eventually('3 survivors balanced', () => balanced(sb.broker, group, [m1!, m3!, m4]), SESSION_MS + 30_000, explain);
    const killMoveMs = Date.now() - killedAt;
    assertDisjointComplete([m1!, m3!, m4]);
    log(`after kill -9 of ${victim.name} (${JSON.stringify(victimPartitions)}): moved in ${killMoveMs} ms: ${[m1!, m3!, m4].map((m) => JSON.stringify(m.assigned)).join(' ')}`);
    assert.ok(killMoveMs >= SESSION_MS - 1500, `partitions moved after ${killMoveMs} ms, before the session timeout: the member was not killed?`);
    assert.ok(killMoveMs <= SESSION_MS + 8000, `partitions moved ${killMoveMs} ms after kill -9 (session timeout ${SESSION_MS} ms)`);

    // 4. Everybody leaves; a new member resumes at the committed offsets.
    for (const m of live()) assert.equal(await m.stop(), 0, `${m.name} stopped cleanly\n${m.describe()}`);
    await eventually('group empty after LeaveGroup', () => groupCoordinatorOf(sb.broker).groups.get(group)?.state === 'Empty', 30_000, explain);
    produceRound(sb.broker, topic);
    const m5 = spawnOne(`${kind}-5`);
    await eventually('resumed member consumed the new round', () => committedOffsets(sb.broker, group, topic).every((o) => o === 11), 90_000, explain);
    await eventually(`${kind}-5 reported the round`, () => m5.records.length >= PARTITIONS, 10_000, explain);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(m5.records.map((r) => r.offset).sort(), Array(PARTITIONS).fill(10), `${kind}-5 resumes at the committed offsets (10), nothing older`);
    assert.equal(await m5.stop(), 0);

    // 5. Broker restart: the offsets are reloaded from __consumer_offsets.
    await sb.broker.close();
    sb = await startScenarioBroker(dir, port);
    assert.deepEqual(committedOffsets(sb.broker, group, topic), Array(PARTITIONS).fill(11), 'committed offsets after the restart');
    produceRound(sb.broker, topic);
    const m6 = spawnOne(`${kind}-6`);
    await eventually('member after broker restart consumed the new round', () => committedOffsets(sb.broker, group, topic).every((o) => o === 12), 90_000, explain);
    await eventually(`${kind}-6 reported the round`, () => m6.records.length >= PARTITIONS, 10_000, explain);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(m6.records.map((r) => r.offset).sort(), Array(PARTITIONS).fill(11), `${kind}-6 resumes at the offsets committed before the broker restart`);
    assert.equal(await m6.stop(), 0);
    return { killMoveMs };
  } finally {
    for (const m of members) if (m.alive) await m.kill9();
    await sb.broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
