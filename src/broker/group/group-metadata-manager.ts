/**
 * Membership of classic groups: JoinGroup, SyncGroup, Heartbeat, LeaveGroup and the
 * timers behind them, with Kafka's semantics (GroupMetadataManager's classic part;
 * the Scala GroupCoordinator before it).
 *
 * A rebalance: the first join of an Empty group schedules the initial delayed join
 * (group.initial.rebalance.delay.ms, extended while new members keep arriving, at most
 * the rebalance timeout); otherwise PreparingRebalance waits until every known member
 * has rejoined or the largest rebalance timeout expires, then evicts the dynamic
 * members that did not rejoin, bumps the generation, picks the protocol and answers
 * every parked JoinGroup (the leader gets the member list). CompletingRebalance waits
 * for the leader's SyncGroup, writes the GroupMetadata record and hands each member
 * its assignment; members that never sync are removed after the rebalance timeout.
 *
 * Timers (keyed, see timer.ts): `hb` per member (session timeout; 5 minutes for a new
 * member parked in JoinGroup; pending MEMBER_ID_REQUIRED members expire after their
 * session timeout), `join` per group (initial delay or rebalance timeout) and `sync`
 * per group (pending SyncGroups).
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ClassicGroup, ClassicGroupMember, EMPTY_BYTES, GroupState, UNKNOWN_MEMBER_ID, joinError, syncError } from './classic-group.ts';
import type { GroupProtocol, JoinCallback, JoinGroupResult, SyncCallback } from './classic-group.ts';
import { groupAppendError } from './coordinator-context.ts';
import type { CoordinatorContext } from './coordinator-context.ts';
import { groupMetadataRecord } from './records.ts';

export interface JoinGroupParams {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: readonly GroupProtocol[];
  /** JoinGroup v4+: a dynamic member gets its id with MEMBER_ID_REQUIRED first. */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+. */
  supportSkippingAssignment: boolean;
  reason: string | null;
}

export interface SyncGroupParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: readonly { memberId: string; assignment: Buffer }[];
}

export interface HeartbeatParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeavingMember {
  memberId: string;
  groupInstanceId: string | null;
  reason: string | null;
}

export interface LeaveGroupResult {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

const hbKey = (groupId: string, memberId: string): string => `hb\u0000${groupId}\u0000${memberId}`;
const joinKey = (groupId: string): string => `join\u0000${groupId}`;
const syncKey = (groupId: string): string => `sync\u0000${groupId}`;

export class GroupMetadataManager {
  private readonly ctx: CoordinatorContext;

  constructor(ctx: CoordinatorContext) {
    this.ctx = ctx;
  }

  private get now(): number {
    return this.ctx.timer.now();
  }

  // ---- JoinGroup ----

  joinGroup(p: JoinGroupParams, respond: JoinCallback): void {
    const isUnknownMember = p.memberId === UNKNOWN_MEMBER_ID;
    const existing = this.ctx.groups.get(p.groupId);
    if (!existing && !isUnknownMember) {
      respond(joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      return;
    }
    const group = existing ?? this.createGroup(p.groupId);
    if (!this.acceptJoiningMember(group, p.memberId)) {
      group.remove(p.memberId);
      respond(joinError(UNKNOWN_MEMBER_ID, ErrorCode.GROUP_MAX_SIZE_REACHED));
    } else if (isUnknownMember) {
      this.joinNewMember(group, p, respond);
    } else {
      this.joinExistingMember(group, p, respond);
    }
    if (!existing && group.is(GroupState.EMPTY) && group.size === 0 && group.pendingJoinMembers.size === 0 && !group.hasOffsets()) {
      // The join failed before anything was added: do not keep an empty shell.
      this.ctx.groups.delete(group.groupId);
    }
  }

  private createGroup(groupId: string): ClassicGroup {
    const g = new ClassicGroup(groupId, GroupState.EMPTY, this.now);
    this.ctx.groups.set(groupId, g);
    return g;
  }

  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    const max = this.ctx.config.maxSize;
    switch (group.state) {
      case GroupState.EMPTY:
      case GroupState.DEAD:
        return true;
      case GroupState.PREPARING_REBALANCE:
        return (group.has(memberId) && group.member(memberId).isAwaitingJoin) || group.numAwaitingJoinResponse < max;
      default:
        return group.has(memberId) || group.size < max;
    }
  }

  private joinNewMember(group: ClassicGroup, p: JoinGroupParams, respond: JoinCallback): void {
    if (group.is(GroupState.DEAD)) {
      respond(joinError(UNKNOWN_MEMBER_ID, ErrorCode.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    if (!group.supportsProtocols(p.protocolType, p.protocols)) {
      respond(joinError(UNKNOWN_MEMBER_ID, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      return;
    }
    const newMemberId = `${p.groupInstanceId ?? p.clientId}-${randomUUID()}`;
    if (p.groupInstanceId !== null) {
      const existingMemberId = group.staticMemberId(p.groupInstanceId);
      if (existingMemberId !== undefined) {
        this.ctx.log(
          `Static member with groupInstanceId=${p.groupInstanceId} and unknown member id joins group ${group.groupId} in ${group.state} state. Replacing previously mapped member ${existingMemberId} with this groupInstanceId.`,
        );
        this.updateStaticMemberThenRebalanceOrCompleteJoin(group, p, existingMemberId, newMemberId, respond);
      } else {
        this.addMemberThenRebalanceOrCompleteJoin(group, p, newMemberId, respond);
      }
    } else if (p.requireKnownMemberId) {
      group.addPendingMember(newMemberId);
      this.ctx.timer.schedule(hbKey(group.groupId, newMemberId), p.sessionTimeoutMs, () => this.expireHeartbeat(group.groupId, newMemberId));
      respond(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    } else {
      this.addMemberThenRebalanceOrCompleteJoin(group, p, newMemberId, respond);
    }
  }

  private joinExistingMember(group: ClassicGroup, p: JoinGroupParams, respond: JoinCallback): void {
    const memberId = p.memberId;
    if (group.is(GroupState.DEAD)) {
      respond(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    if (!group.supportsProtocols(p.protocolType, p.protocols)) {
      respond(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      return;
    }
    if (group.isPendingMember(memberId)) {
      if (p.groupInstanceId !== null) {
        // A pending member never has an instance id; treat the mix as an unknown member.
        respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
        return;
      }
      this.addMemberThenRebalanceOrCompleteJoin(group, p, memberId, respond);
      return;
    }
    const err = validateMember(group, memberId, p.groupInstanceId);
    if (err !== ErrorCode.NONE) {
      respond(joinError(memberId, err));
      return;
    }
    const member = group.member(memberId);
    switch (group.state) {
      case GroupState.PREPARING_REBALANCE:
        this.updateMemberThenRebalanceOrCompleteJoin(group, member, p, respond, `Member ${memberId} is joining group during ${group.state}`);
        return;
      case GroupState.COMPLETING_REBALANCE:
        if (member.matches(p.protocols)) {
          // The member lost the JoinGroup response: send the current generation again.
          respond(this.joinResult(group, memberId, group.isLeader(memberId)));
        } else {
          this.updateMemberThenRebalanceOrCompleteJoin(group, member, p, respond, `Updating metadata for member ${memberId} during ${group.state}`);
        }
        return;
      case GroupState.STABLE:
        if (group.isLeader(memberId)) {
          // The leader rejoins to trigger a rebalance (e.g. topic metadata changed).
          this.updateMemberThenRebalanceOrCompleteJoin(group, member, p, respond, `Leader ${memberId} re-joining group during ${group.state}`);
        } else if (!member.matches(p.protocols)) {
          this.updateMemberThenRebalanceOrCompleteJoin(group, member, p, respond, `Updating metadata for member ${memberId} during ${group.state}`);
        } else {
          respond(this.joinResult(group, memberId, false));
        }
        return;
      default:
        this.ctx.log(`Attempt to add rejoining member ${memberId} of group ${group.groupId} in unexpected group state ${group.state}`);
        respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private joinResult(group: ClassicGroup, memberId: string, withMembers: boolean, leader: string = group.leaderOrEmpty(), skipAssignment = false): JoinGroupResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader,
      skipAssignment,
      memberId,
      members: withMembers ? group.currentMembersForJoin() : [],
    };
  }

  private updateStaticMemberThenRebalanceOrCompleteJoin(group: ClassicGroup, p: JoinGroupParams, oldMemberId: string, newMemberId: string, respond: JoinCallback): void {
    const instanceId = p.groupInstanceId!;
    const currentLeader = group.leaderOrEmpty();
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId, ErrorCode.FENCED_INSTANCE_ID);
    this.ctx.timer.cancel(hbKey(group.groupId, oldMemberId));
    this.rescheduleHeartbeat(group, member);
    const oldProtocols = member.supportedProtocols;
    const oldRebalanceTimeoutMs = member.rebalanceTimeoutMs;
    const oldSessionTimeoutMs = member.sessionTimeoutMs;
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, respond);

    switch (group.state) {
      case GroupState.STABLE: {
        // Unchanged protocol choice: keep the generation and the assignment, persist
        // the new member id. Otherwise rebalance so assignment and protocol agree.
        if (group.protocolName !== group.selectProtocol()) {
          this.maybePrepareRebalanceOrCompleteJoin(group, `Group's selectedProtocol will change because static member ${newMemberId} with instance id ${instanceId} joined with change of protocol`);
          return;
        }
        this.ctx.log(`Static member which joins during Stable stage and doesn't affect the selected protocol will not trigger a rebalance (group ${group.groupId}, instance ${instanceId}).`);
        const assignment = new Map<string, Buffer>([...group.members.values()].map((m) => [m.memberId, m.assignment]));
        const err = this.ctx.records.append(group.groupId, [groupMetadataRecord(group, assignment)]);
        if (err !== ErrorCode.NONE) {
          this.ctx.log(`Failed to persist metadata for group ${group.groupId} static member ${newMemberId} with group instance id ${instanceId}; reverting to old member id ${oldMemberId}.`);
          group.updateMember(member, oldProtocols, oldRebalanceTimeoutMs, oldSessionTimeoutMs, null);
          const old = group.replaceStaticMember(instanceId, newMemberId, oldMemberId, ErrorCode.FENCED_INSTANCE_ID);
          this.ctx.timer.cancel(hbKey(group.groupId, newMemberId));
          this.rescheduleHeartbeat(group, old);
          respond({ ...this.joinResult(group, UNKNOWN_MEMBER_ID, false, currentLeader), errorCode: groupAppendError(err) });
          return;
        }
        if (p.supportSkippingAssignment) {
          const isLeader = group.isLeader(newMemberId);
          group.completeJoin(member, this.joinResult(group, newMemberId, isLeader, group.leaderOrEmpty(), isLeader));
        } else {
          // The old leader id keeps a rejoining leader from computing an assignment a
          // Stable group would never distribute.
          group.completeJoin(member, this.joinResult(group, newMemberId, false, currentLeader));
        }
        return;
      }
      case GroupState.COMPLETING_REBALANCE:
        // The leader may already be assigning to the old member id: rebalance.
        this.prepareRebalance(group, `Updating metadata for static member ${newMemberId} with instance id ${instanceId}`);
        return;
      case GroupState.PREPARING_REBALANCE:
        this.maybeCompleteJoinPhase(group);
        return;
      default:
        throw new Error(`Group ${group.groupId} was not supposed to be in the state ${group.state} when the unknown static member ${instanceId} rejoins.`);
    }
  }

  private addMemberThenRebalanceOrCompleteJoin(group: ClassicGroup, p: JoinGroupParams, memberId: string, respond: JoinCallback): void {
    const member = new ClassicGroupMember({
      memberId,
      groupInstanceId: p.groupInstanceId,
      clientId: p.clientId,
      clientHost: p.clientHost,
      rebalanceTimeoutMs: p.rebalanceTimeoutMs,
      sessionTimeoutMs: p.sessionTimeoutMs,
      protocolType: p.protocolType,
      supportedProtocols: p.protocols,
    });
    member.isNew = true;
    if (group.is(GroupState.PREPARING_REBALANCE) && group.previousState === GroupState.EMPTY) group.newMemberAdded = true;
    group.add(member, respond);
    // A parked JoinGroup cannot heartbeat and a muted socket hides disconnects: new
    // members get a join timeout instead, and retry if still alive.
    this.rescheduleHeartbeat(group, member, this.ctx.config.newMemberJoinTimeoutMs);
    this.maybePrepareRebalanceOrCompleteJoin(group, `Adding new member ${memberId} with group instance id ${p.groupInstanceId}${p.reason ? `; client reason: ${p.reason}` : ''}`);
  }

  private updateMemberThenRebalanceOrCompleteJoin(group: ClassicGroup, member: ClassicGroupMember, p: JoinGroupParams, respond: JoinCallback, reason: string): void {
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, respond);
    this.maybePrepareRebalanceOrCompleteJoin(group, p.reason ? `${reason}; client reason: ${p.reason}` : reason);
  }

  // ---- rebalance ----

  maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup, reason: string): void {
    if (group.canRebalance()) this.prepareRebalance(group, reason);
    else this.maybeCompleteJoinPhase(group);
  }

  prepareRebalance(group: ClassicGroup, reason: string): void {
    // Members parked in SyncGroup must rejoin.
    if (group.is(GroupState.COMPLETING_REBALANCE)) this.resetAndPropagateAssignmentWithError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.ctx.timer.cancel(syncKey(group.groupId));
    const isInitialRebalance = group.is(GroupState.EMPTY);
    if (isInitialRebalance) {
      const delayMs = this.ctx.config.initialRebalanceDelayMs;
      const remainingMs = Math.max(group.rebalanceTimeoutMs() - delayMs, 0);
      const groupId = group.groupId;
      this.ctx.timer.schedule(joinKey(groupId), delayMs, () => this.tryCompleteInitialRebalanceElseSchedule(groupId, delayMs, remainingMs));
    }
    group.transitionTo(GroupState.PREPARING_REBALANCE, this.now);
    this.ctx.log(
      `Preparing to rebalance group ${group.groupId} in state ${group.state} with old generation ${group.generationId} (${this.ctx.partitionName(group.groupId)}) (reason: ${reason})`,
    );
    if (!isInitialRebalance) this.maybeCompleteJoinElseSchedule(group);
  }

  private maybeCompleteJoinElseSchedule(group: ClassicGroup): void {
    if (group.hasAllMembersJoined()) {
      this.completeJoin(group);
    } else {
      const groupId = group.groupId;
      this.ctx.timer.schedule(joinKey(groupId), group.rebalanceTimeoutMs(), () => this.completeJoinById(groupId));
    }
  }

  /** Completes the join phase early once everybody rejoined (not during the initial delay). */
  maybeCompleteJoinPhase(group: ClassicGroup): void {
    if (group.is(GroupState.PREPARING_REBALANCE) && group.hasAllMembersJoined() && group.previousState !== GroupState.EMPTY) {
      this.completeJoin(group);
    }
  }

  private tryCompleteInitialRebalanceElseSchedule(groupId: string, delayMs: number, remainingMs: number): void {
    const group = this.ctx.groups.get(groupId);
    if (!group || !group.is(GroupState.PREPARING_REBALANCE)) return;
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false;
      const newDelayMs = Math.min(this.ctx.config.initialRebalanceDelayMs, remainingMs);
      const newRemainingMs = Math.max(remainingMs - delayMs, 0);
      this.ctx.timer.schedule(joinKey(groupId), newDelayMs, () => this.tryCompleteInitialRebalanceElseSchedule(groupId, newDelayMs, newRemainingMs));
    } else {
      this.completeJoin(group);
    }
  }

  private completeJoinById(groupId: string): void {
    const group = this.ctx.groups.get(groupId);
    if (group && group.is(GroupState.PREPARING_REBALANCE)) this.completeJoin(group);
  }

  private completeJoin(group: ClassicGroup): void {
    const groupId = group.groupId;
    this.ctx.timer.cancel(joinKey(groupId));
    const notRejoined = group.notYetRejoinedMembers().filter((m) => !m.isStatic);
    if (notRejoined.length > 0) {
      for (const m of notRejoined) {
        this.ctx.timer.cancel(hbKey(groupId, m.memberId));
        this.removeMember(group, m);
      }
      this.ctx.log(`Group ${groupId} removed dynamic members who haven't joined: ${notRejoined.map((m) => m.memberId).join(', ')}`);
    }
    if (group.is(GroupState.DEAD)) {
      this.ctx.log(`Group ${groupId} is dead, skipping rebalance stage`);
      return;
    }
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Only static members that have not rejoined are left: wait for their session
      // timeouts to remove them.
      this.ctx.log(`Group ${groupId} could not complete rebalance because no members rejoined`);
      this.ctx.timer.schedule(joinKey(groupId), group.rebalanceTimeoutMs(), () => this.completeJoinById(groupId));
      return;
    }
    group.initNextGeneration(this.now);
    if (group.is(GroupState.EMPTY)) {
      this.ctx.log(`Group ${groupId} with generation ${group.generationId} is now empty (${this.ctx.partitionName(groupId)})`);
      const err = this.ctx.records.append(groupId, [groupMetadataRecord(group, new Map())]);
      if (err !== ErrorCode.NONE) this.ctx.log(`Failed to write empty metadata for group ${groupId}: error ${err}`);
      return;
    }
    this.ctx.log(`Stabilized group ${groupId} generation ${group.generationId} (${this.ctx.partitionName(groupId)}) with ${group.size} members`);
    for (const member of [...group.members.values()]) {
      group.completeJoin(member, this.joinResult(group, member.memberId, group.isLeader(member.memberId)));
      this.rescheduleHeartbeat(group, member);
      member.isNew = false;
      group.addPendingSyncMember(member.memberId);
    }
    const generation = group.generationId;
    this.ctx.timer.schedule(syncKey(groupId), group.rebalanceTimeoutMs(), () => this.expirePendingSync(groupId, generation));
  }

  private expirePendingSync(groupId: string, generationId: number): void {
    const group = this.ctx.groups.get(groupId);
    if (!group || generationId !== group.generationId) return;
    if (!group.is(GroupState.COMPLETING_REBALANCE) && !group.is(GroupState.STABLE)) return;
    if (group.pendingSyncMembers.size === 0) return;
    const pending = [...group.pendingSyncMembers];
    for (const id of pending) {
      this.ctx.timer.cancel(hbKey(groupId, id));
      if (group.has(id)) this.removeMember(group, group.member(id));
    }
    this.ctx.log(`Group ${groupId} removed members who haven't sent their sync requests: ${pending.join(', ')}`);
    this.maybePrepareRebalanceOrCompleteJoin(group, `Removing ${pending.join(', ')} on pending sync request expiration`);
  }

  /** Removes a member, answering whatever it has parked (UNKNOWN_MEMBER_ID: rejoin if alive). */
  private removeMember(group: ClassicGroup, member: ClassicGroupMember): void {
    group.completeJoin(member, joinError(UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID));
    group.completeSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: ClassicGroupMember, reason: string): void {
    this.removeMember(group, member);
    if (group.is(GroupState.STABLE) || group.is(GroupState.COMPLETING_REBALANCE)) this.maybePrepareRebalanceOrCompleteJoin(group, reason);
    else this.maybeCompleteJoinPhase(group);
  }

  private expireHeartbeat(groupId: string, memberId: string): void {
    const group = this.ctx.groups.get(groupId);
    if (!group || group.is(GroupState.DEAD)) return;
    if (group.isPendingMember(memberId)) {
      this.ctx.log(`Pending member ${memberId} in group ${groupId} has been removed after session timeout expiration.`);
      group.remove(memberId);
      this.maybeCompleteJoinPhase(group);
      return;
    }
    const member = group.members.get(memberId);
    if (!member || member.hasSatisfiedHeartbeat()) return;
    this.ctx.log(`Member ${memberId} in group ${groupId} has failed, removing it from the group`);
    this.removeMemberAndUpdateGroup(group, member, `removing member ${memberId} on heartbeat expiration`);
  }

  rescheduleHeartbeat(group: ClassicGroup, member: ClassicGroupMember, timeoutMs: number = member.sessionTimeoutMs): void {
    const groupId = group.groupId;
    const memberId = member.memberId;
    this.ctx.timer.schedule(hbKey(groupId, memberId), timeoutMs, () => this.expireHeartbeat(groupId, memberId));
  }

  /** After loading a group with members: they must heartbeat within their session timeouts. */
  onGroupLoaded(group: ClassicGroup): void {
    for (const m of group.members.values()) this.rescheduleHeartbeat(group, m);
  }

  /** Forgets a group's timers (the group is gone or unloaded). */
  cancelGroupTimers(group: ClassicGroup): void {
    this.ctx.timer.cancel(joinKey(group.groupId));
    this.ctx.timer.cancel(syncKey(group.groupId));
    for (const id of group.members.keys()) this.ctx.timer.cancel(hbKey(group.groupId, id));
    for (const id of group.pendingJoinMembers) this.ctx.timer.cancel(hbKey(group.groupId, id));
  }

  private resetAndPropagateAssignmentWithError(group: ClassicGroup, errorCode: number): void {
    if (!group.is(GroupState.COMPLETING_REBALANCE)) throw new Error(`Group ${group.groupId} must be in CompletingRebalance state to reset assignments`);
    for (const m of group.members.values()) m.assignment = EMPTY_BYTES;
    this.propagateAssignment(group, errorCode);
  }

  private propagateAssignment(group: ClassicGroup, errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE;
    for (const member of [...group.members.values()]) {
      const done = group.completeSync(member, {
        errorCode,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: member.assignment,
      });
      // Restart the session clock now that the member has its answer.
      if (done) this.rescheduleHeartbeat(group, member);
    }
  }

  // ---- SyncGroup ----

  syncGroup(p: SyncGroupParams, respond: SyncCallback): void {
    const group = this.ctx.groups.get(p.groupId);
    if (!group) {
      respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      return;
    }
    const err = this.validateSyncGroup(group, p);
    if (err !== ErrorCode.NONE) {
      respond(syncError(err));
      return;
    }
    switch (group.state) {
      case GroupState.EMPTY:
        respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
        return;
      case GroupState.PREPARING_REBALANCE:
        respond(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        return;
      case GroupState.COMPLETING_REBALANCE: {
        const member = group.member(p.memberId);
        // A retried SyncGroup replaces the parked one, which is answered as superseded.
        if (member.awaitingSync) group.completeSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        member.awaitingSync = respond;
        this.removePendingSyncMember(group, p.memberId);
        if (group.isLeader(p.memberId)) {
          this.ctx.log(
            `Assignment received from leader ${p.memberId} for group ${group.groupId} for generation ${group.generationId}. The group has ${group.size} members, ${group.staticMembers.size} of which are static.`,
          );
          const assignment = new Map<string, Buffer>();
          for (const a of p.assignments) assignment.set(a.memberId, a.assignment);
          const missing = [...group.members.keys()].filter((id) => !assignment.has(id));
          for (const id of missing) assignment.set(id, EMPTY_BYTES);
          if (missing.length > 0) this.ctx.log(`Setting empty assignments for members ${missing.join(', ')} of ${group.groupId} for generation ${group.generationId}.`);
          const appendErr = this.ctx.records.append(group.groupId, [groupMetadataRecord(group, assignment)]);
          if (group.is(GroupState.COMPLETING_REBALANCE) && p.generationId === group.generationId) {
            if (appendErr !== ErrorCode.NONE) {
              const e = groupAppendError(appendErr);
              this.resetAndPropagateAssignmentWithError(group, e);
              this.maybePrepareRebalanceOrCompleteJoin(group, `Error ${e} when storing group assignment during SyncGroup (member: ${p.memberId}).`);
            } else {
              for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY_BYTES;
              this.propagateAssignment(group, ErrorCode.NONE);
              group.transitionTo(GroupState.STABLE, this.now);
            }
          }
        }
        return;
      }
      case GroupState.STABLE: {
        this.removePendingSyncMember(group, p.memberId);
        const member = group.member(p.memberId);
        respond({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
        this.rescheduleHeartbeat(group, member);
        return;
      }
      default:
        respond(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    }
  }

  private validateSyncGroup(group: ClassicGroup, p: SyncGroupParams): number {
    if (group.is(GroupState.DEAD)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const err = validateMember(group, p.memberId, p.groupInstanceId);
    if (err !== ErrorCode.NONE) return err;
    if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (isProtocolInconsistent(p.protocolType, group.protocolType) || isProtocolInconsistent(p.protocolName, group.protocolName)) {
      return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    }
    return ErrorCode.NONE;
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.removePendingSyncMember(memberId);
    if (!group.is(GroupState.COMPLETING_REBALANCE) && !group.is(GroupState.STABLE)) this.ctx.timer.cancel(syncKey(group.groupId));
    else if (group.pendingSyncMembers.size === 0) this.ctx.timer.cancel(syncKey(group.groupId));
  }

  // ---- Heartbeat ----

  heartbeat(p: HeartbeatParams): number {
    const group = this.ctx.groups.get(p.groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is(GroupState.DEAD)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const err = validateMember(group, p.memberId, p.groupInstanceId);
    if (err !== ErrorCode.NONE) return err;
    if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    switch (group.state) {
      case GroupState.EMPTY:
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case GroupState.PREPARING_REBALANCE:
        this.rescheduleHeartbeat(group, group.member(p.memberId));
        return ErrorCode.REBALANCE_IN_PROGRESS;
      default:
        // CompletingRebalance (a member may heartbeat between JoinGroup and SyncGroup) or Stable.
        this.rescheduleHeartbeat(group, group.member(p.memberId));
        return ErrorCode.NONE;
    }
  }

  // ---- LeaveGroup ----

  leaveGroup(groupId: string, leaving: readonly LeavingMember[]): LeaveGroupResult {
    const group = this.ctx.groups.get(groupId);
    if (!group) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] };
    if (group.is(GroupState.DEAD)) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const results: LeaveGroupResult['members'] = [];
    const left: string[] = [];
    for (const l of leaving) {
      const reason = l.reason ?? 'not provided';
      let errorCode: number = ErrorCode.NONE;
      if (l.memberId === UNKNOWN_MEMBER_ID) {
        // Administrative removal by group.instance.id.
        const id = l.groupInstanceId !== null ? group.staticMemberId(l.groupInstanceId) : undefined;
        if (id !== undefined) {
          this.removeLeavingMember(group, id, reason);
          left.push(id);
        } else {
          errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
        }
      } else if (group.isPendingMember(l.memberId)) {
        group.remove(l.memberId);
        this.ctx.timer.cancel(hbKey(groupId, l.memberId));
        this.ctx.log(`Pending member ${l.memberId} has left group ${groupId} through explicit LeaveGroup request; client reason: ${reason}`);
        left.push(l.memberId);
      } else {
        errorCode = validateMember(group, l.memberId, l.groupInstanceId);
        if (errorCode === ErrorCode.NONE) {
          this.removeLeavingMember(group, l.memberId, reason);
          left.push(l.memberId);
        }
      }
      results.push({ memberId: l.memberId, groupInstanceId: l.groupInstanceId, errorCode });
    }
    if (left.length > 0) {
      const why = `explicit LeaveGroup request for (${left.join(', ')}) members.`;
      if (group.is(GroupState.STABLE) || group.is(GroupState.COMPLETING_REBALANCE)) this.maybePrepareRebalanceOrCompleteJoin(group, why);
      else if (group.is(GroupState.PREPARING_REBALANCE)) this.maybeCompleteJoinPhase(group);
    }
    return { errorCode: ErrorCode.NONE, members: results };
  }

  private removeLeavingMember(group: ClassicGroup, memberId: string, reason: string): void {
    this.ctx.timer.cancel(hbKey(group.groupId, memberId));
    this.ctx.log(`Member ${memberId} has left group ${group.groupId} through explicit LeaveGroup request; client reason: ${reason}`);
    this.removeMember(group, group.member(memberId));
  }
}

/** The member id exists and, with an instance id, is the one that instance maps to. */
export function validateMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
  if (groupInstanceId !== null) {
    const existing = group.staticMemberId(groupInstanceId);
    if (existing === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (existing !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
  }
  return group.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
}

function isProtocolInconsistent(requested: string | null, current: string | null): boolean {
  return requested !== null && current !== null && requested !== current;
}
