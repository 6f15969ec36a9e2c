/**
 * Unit-test rig for the group coordinator: a ManualTimer, an in-memory record log
 * (that can fail appends) and helpers that park JoinGroup/SyncGroup requests and
 * expose their answers.
 */
import { ErrorCode } from '../../../src/protocol/errors/index.ts';
import { encodeGroupCoordinatorRecord } from '../../../src/protocol/generated/internal/coordinator-records.ts';
import type { GroupCoordinatorRecordInit } from '../../../src/protocol/generated/internal/coordinator-records.ts';
import { encodeConsumerProtocolSubscription } from '../../../src/protocol/generated/consumer-protocol-subscription.ts';
import { encodeConsumerProtocolAssignment } from '../../../src/protocol/generated/consumer-protocol-assignment.ts';
import { Writer } from '../../../src/protocol/primitives/writer.ts';
import type { JoinGroupResult, SyncGroupResult, GroupProtocol } from '../../../src/broker/group/classic-group.ts';
import { DEFAULT_GROUP_COORDINATOR_CONFIG } from '../../../src/broker/group/coordinator-context.ts';
import type { CoordinatorRecordLog, GroupCoordinatorConfig } from '../../../src/broker/group/coordinator-context.ts';
import { GroupCoordinator } from '../../../src/broker/group/group-coordinator.ts';
import type { PartitionLoadState } from '../../../src/broker/group/group-coordinator.ts';
import type { JoinGroupParams } from '../../../src/broker/group/group-metadata-manager.ts';
import { ReplayState } from '../../../src/broker/group/records.ts';
import { ManualTimer } from '../../../src/broker/group/timer.ts';

export class MemoryRecordLog implements CoordinatorRecordLog {
  readonly appended: { groupId: string; records: GroupCoordinatorRecordInit[] }[] = [];
  /** Error code for the next appends (NONE: succeed). */
  failWith: number = ErrorCode.NONE;

  append(groupId: string, records: readonly GroupCoordinatorRecordInit[]): number {
    if (this.failWith !== ErrorCode.NONE) return this.failWith;
    this.appended.push({ groupId, records: [...records] });
    return ErrorCode.NONE;
  }

  /** Replays everything appended (encoded and decoded, as the loader would). */
  replay(): ReplayState {
    const s = new ReplayState();
    for (const a of this.appended) {
      for (const r of a.records) {
        const { key, value } = encodeGroupCoordinatorRecord(r);
        s.apply(key, value);
      }
    }
    return s;
  }

  recordsOfType(type: string): GroupCoordinatorRecordInit[] {
    return this.appended.flatMap((a) => a.records.filter((r) => r.type === type));
  }
}

export interface Rig {
  timer: ManualTimer;
  log: MemoryRecordLog;
  coordinator: GroupCoordinator;
  lines: string[];
}

export const TEST_CONFIG: GroupCoordinatorConfig = {
  ...DEFAULT_GROUP_COORDINATOR_CONFIG,
  minSessionTimeoutMs: 1000,
  maxSessionTimeoutMs: 60_000,
  initialRebalanceDelayMs: 100,
};

export function rig(config: Partial<GroupCoordinatorConfig> = {}, initialState: PartitionLoadState = 'loaded', topicExists?: (topic: string) => boolean): Rig {
  const timer = new ManualTimer();
  const log = new MemoryRecordLog();
  const lines: string[] = [];
  const coordinator = new GroupCoordinator({ config: { ...TEST_CONFIG, ...config }, timer, records: log, partitionCount: 50, initialState, topicExists, log: (m) => lines.push(m) });
  return { timer, log, coordinator, lines };
}

export function subscription(topics: string[], version = 0): Buffer {
  const w = new Writer(64);
  w.int16(version);
  encodeConsumerProtocolSubscription(w, { topics, userData: null }, version);
  return w.finish();
}

export function assignment(parts: Record<string, number[]>): Buffer {
  const w = new Writer(64);
  w.int16(0);
  encodeConsumerProtocolAssignment(w, { assignedPartitions: Object.entries(parts).map(([topic, partitions]) => ({ topic, partitions })), userData: null }, 0);
  return w.finish();
}

export function rangeProtocols(topics: string[] = ['t']): GroupProtocol[] {
  return [{ name: 'range', metadata: subscription(topics) }];
}

export class Pending<T> {
  result: T | null = null;
  calls = 0;
  readonly cb = (r: T): void => {
    this.calls++;
    this.result = r;
  };
  get done(): boolean {
    return this.result !== null;
  }
  get value(): T {
    if (this.result === null) throw new Error('not answered yet');
    return this.result;
  }
}

export function joinParams(p: Partial<JoinGroupParams> & { groupId: string }): JoinGroupParams {
  return {
    memberId: '',
    groupInstanceId: null,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: rangeProtocols(),
    requireKnownMemberId: false,
    supportSkippingAssignment: false,
    reason: null,
    ...p,
  };
}

export function join(r: Rig, p: Partial<JoinGroupParams> & { groupId: string }): Pending<JoinGroupResult> {
  const pending = new Pending<JoinGroupResult>();
  r.coordinator.joinGroup(joinParams(p), pending.cb);
  return pending;
}

export function sync(
  r: Rig,
  groupId: string,
  memberId: string,
  generationId: number,
  assignments: { memberId: string; assignment: Buffer }[] = [],
  extra: { groupInstanceId?: string | null; protocolType?: string | null; protocolName?: string | null } = {},
): Pending<SyncGroupResult> {
  const pending = new Pending<SyncGroupResult>();
  r.coordinator.syncGroup(
    { groupId, generationId, memberId, groupInstanceId: extra.groupInstanceId ?? null, protocolType: extra.protocolType ?? null, protocolName: extra.protocolName ?? null, assignments },
    pending.cb,
  );
  return pending;
}

export function heartbeat(r: Rig, groupId: string, memberId: string, generationId: number, groupInstanceId: string | null = null): number {
  return r.coordinator.heartbeat({ groupId, memberId, generationId, groupInstanceId });
}

/** Advances time by the initial rebalance delay until every join is answered (the delay extends while members arrive). */
export function settleInitialDelay(r: Rig, joins: readonly { readonly done: boolean }[]): void {
  for (let i = 0; i < 20 && joins.some((j) => !j.done); i++) r.timer.advance(r.coordinator.config.initialRebalanceDelayMs);
  if (joins.some((j) => !j.done)) throw new Error('join did not complete');
}

/** Joins `n` dynamic members (v3-style, no MEMBER_ID_REQUIRED), waits the initial delay, syncs with `assign`. */
export function stableGroup(r: Rig, groupId: string, n: number, opts: { protocols?: GroupProtocol[]; sessionTimeoutMs?: number; rebalanceTimeoutMs?: number } = {}): { members: string[]; leader: string; generation: number } {
  const joins = Array.from({ length: n }, (_, i) =>
    join(r, { groupId, clientId: `c${i}`, protocols: opts.protocols ?? rangeProtocols(), sessionTimeoutMs: opts.sessionTimeoutMs ?? 10_000, rebalanceTimeoutMs: opts.rebalanceTimeoutMs ?? 30_000 }),
  );
  settleInitialDelay(r, joins);
  const leader = joins[0]!.value.leader;
  const generation = joins[0]!.value.generationId;
  const members = joins.map((j) => j.value.memberId);
  const syncs = members.map((m) => (m === leader ? null : sync(r, groupId, m, generation)));
  const leaderSync = sync(r, groupId, leader, generation, members.map((m, i) => ({ memberId: m, assignment: assignment({ t: [i] }) })));
  if (!leaderSync.done || syncs.some((s) => s && !s.done)) throw new Error('sync did not complete');
  return { members, leader, generation };
}
