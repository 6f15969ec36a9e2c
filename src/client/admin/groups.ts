/**
 * Consumer group administration, as Kafka's Admin does it: listing asks every
 * broker (ListGroups), everything else goes to each group's coordinator
 * (FindCoordinator, retried while the coordinator moves or loads; see
 * coordinators.ts). Per-group and per-partition failures come back as KafkaError
 * in the results; a call rejects only when it fails as a whole.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors/index.ts';
import { DeleteGroupsApi, DescribeGroupsApi, ListGroupsApi, OffsetCommitApi, OffsetDeleteApi, OffsetFetchApi } from '../../protocol/generated/api-keys.ts';
import { decodeConsumerProtocolAssignment } from '../../protocol/generated/consumer-protocol-assignment.ts';
import type { DescribeGroupsResponseDescribedGroup } from '../../protocol/generated/describe-groups-response.ts';
import { Reader } from '../../protocol/primitives/reader.ts';
import type { BrokerConnection } from '../network/broker-connection.ts';
import { isCoordinatorError, perCoordinator, sleep } from './coordinators.ts';
import type { AdminContext, Node } from './coordinators.ts';

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** Kafka's ConsumerGroupState names, as the brokers send them. */
export const CONSUMER_GROUP_STATES = ['Unknown', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead', 'Empty', 'Assigning', 'Reconciling'] as const;

export interface ConsumerGroupListing {
  groupId: string;
  /** A group with no protocol type: offsets committed by assign()-only consumers or admin tools. */
  isSimpleConsumerGroup: boolean;
  /** The group's state (ListGroups v4+), else null. */
  state: string | null;
  /** "classic" or "consumer" (ListGroups v5+), else null. */
  type: string | null;
}

export interface MemberDescription {
  consumerId: string;
  groupInstanceId: string | null;
  clientId: string;
  host: string;
  /** The member's partitions, decoded from its ConsumerProtocol assignment. */
  assignment: TopicPartition[];
}

export interface ConsumerGroupDescription {
  groupId: string;
  isSimpleConsumerGroup: boolean;
  members: MemberDescription[];
  /** The assignor (protocol name) while Stable, else "". */
  partitionAssignor: string;
  state: string;
  coordinator: Node | null;
  /** Kafka's AclOperation codes bit set, when asked for; else null. */
  authorizedOperations: number | null;
  error: KafkaError | null;
}

export interface GroupResult {
  groupId: string;
  error: KafkaError | null;
}

export interface CommittedOffset extends TopicPartition {
  /** null: the group has no committed offset for the partition. */
  offset: bigint | null;
  leaderEpoch: number | null;
  metadata: string;
  error: KafkaError | null;
}

export interface ConsumerGroupOffsets {
  groupId: string;
  /** Sorted by topic, then partition. */
  offsets: CommittedOffset[];
  error: KafkaError | null;
}

export interface PartitionResult extends TopicPartition {
  error: KafkaError | null;
}

export interface GroupPartitionsResult {
  groupId: string;
  /** A group-level failure (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, ...); partitions may be empty then. */
  error: KafkaError | null;
  partitions: PartitionResult[];
}

export interface OffsetToCommit extends TopicPartition {
  offset: bigint | number;
  leaderEpoch?: number;
  metadata?: string | null;
}

function err(code: number, what: string, message?: string | null): KafkaError | null {
  if (code === ErrorCode.NONE) return null;
  return KafkaError.from(code, message ? `${what}: ${message}` : what);
}

const byTopicPartition = (a: TopicPartition, b: TopicPartition): number => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition);

function groupByTopic(partitions: readonly TopicPartition[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const tp of partitions) {
    const list = out.get(tp.topic) ?? [];
    if (!list.includes(tp.partition)) list.push(tp.partition);
    out.set(tp.topic, list);
  }
  return out;
}

function failed<T>(code: number, groupId: string, message?: string | null): Map<string, { value: T } | { code: number; error: KafkaError }> {
  return new Map([[groupId, { code, error: err(code, `group ${groupId}`, message)! }]]);
}

/**
 * Every group of every broker, sorted by id (Kafka's Admin asks each broker:
 * a group lives on its coordinator). `states` filters by state, case-insensitive
 * (sent to brokers with ListGroups v4+, applied here too). Only consumer groups
 * (protocol type "consumer", or "" for simple groups) are listed.
 */
export async function listConsumerGroups(ctx: AdminContext, opts: { states?: readonly string[] } = {}): Promise<ConsumerGroupListing[]> {
  const states = (opts.states ?? []).map((s) => s.toLowerCase());
  // Kafka's own spelling on the wire (brokers compare as they please).
  const statesFilter = states.map((s) => CONSUMER_GROUP_STATES.find((k) => k.toLowerCase() === s) ?? s);
  await ctx.cluster.refreshMetadata([]);
  const brokers = ctx.cluster.brokers();
  const seen = new Map<string, ConsumerGroupListing>();
  const ask = async (conn: BrokerConnection): Promise<void> => {
    const deadline = Date.now() + ctx.retry.apiTimeoutMs;
    let backoff = ctx.retry.retryBackoffMs;
    for (;;) {
      const version = conn.versionFor(ListGroupsApi);
      const res = await conn.send(ListGroupsApi, { statesFilter: version >= 4 ? statesFilter : [], typesFilter: [] }, { version });
      if (res.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || res.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) {
        if (Date.now() + backoff < deadline) {
          await sleep(backoff);
          backoff = Math.min(backoff * 2, ctx.retry.retryBackoffMaxMs);
          continue;
        }
      }
      if (res.errorCode !== ErrorCode.NONE) throw KafkaError.from(res.errorCode, `ListGroups on ${conn.label}`);
      for (const g of res.groups) {
        if (g.protocolType !== 'consumer' && g.protocolType !== '') continue;
        const state = version >= 4 ? g.groupState : null;
        if (states.length > 0 && state !== null && !states.includes(state.toLowerCase())) continue;
        seen.set(g.groupId, { groupId: g.groupId, isSimpleConsumerGroup: g.protocolType === '', state, type: version >= 5 ? g.groupType : null });
      }
      return;
    }
  };
  if (brokers.length === 0) await ask(await ctx.cluster.anyConnection());
  else await Promise.all(brokers.map(async (b) => ask(await ctx.cluster.connection(b.nodeId))));
  return [...seen.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
}

/** The partitions of a ConsumerProtocol assignment (int16 version + body); [] when empty or undecodable. */
export function decodeAssignment(bytes: Buffer): TopicPartition[] {
  if (bytes.length < 2) return [];
  try {
    const r = new Reader(bytes);
    const version = r.int16();
    const a = decodeConsumerProtocolAssignment(r, Math.min(Math.max(version, 0), 3));
    return a.assignedPartitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition }))).sort(byTopicPartition);
  } catch {
    return [];
  }
}

function describedGroup(g: DescribeGroupsResponseDescribedGroup, node: Node, withOps: boolean): ConsumerGroupDescription {
  const isConsumer = g.protocolType === 'consumer' || g.protocolType === '';
  return {
    groupId: g.groupId,
    isSimpleConsumerGroup: g.protocolType === '',
    members: g.members.map((m) => ({
      consumerId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      host: m.clientHost,
      assignment: isConsumer ? decodeAssignment(m.memberAssignment) : [],
    })),
    partitionAssignor: g.protocolData,
    state: g.groupState,
    coordinator: node,
    authorizedOperations: withOps && g.authorizedOperations !== -2147483648 ? g.authorizedOperations : null,
    error: isConsumer ? null : KafkaError.from(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `group ${g.groupId} is not a consumer group (protocol type ${g.protocolType})`),
  };
}

/**
 * Groups with their members (decoded assignments), state, assignor and
 * coordinator, in the order asked. An unknown group is described with state
 * "Dead" and no members, as Kafka's brokers do.
 */
export async function describeConsumerGroups(ctx: AdminContext, groupIds: readonly string[], opts: { includeAuthorizedOperations?: boolean } = {}): Promise<ConsumerGroupDescription[]> {
  const withOps = opts.includeAuthorizedOperations ?? false;
  const results = await perCoordinator<ConsumerGroupDescription>(ctx.coordinators, ctx.retry, groupIds, async (conn, groups, node) => {
    const res = await conn.send(DescribeGroupsApi, { groups: [...groups], includeAuthorizedOperations: withOps });
    const out = new Map<string, { value: ConsumerGroupDescription } | { code: number; error: KafkaError }>();
    for (const g of res.groups) {
      if (g.errorCode !== ErrorCode.NONE) out.set(g.groupId, { code: g.errorCode, error: err(g.errorCode, `group ${g.groupId}`)! });
      else out.set(g.groupId, { value: describedGroup(g, node, withOps) });
    }
    return out;
  });
  return groupIds.map((groupId) => {
    const r = results.get(groupId)!;
    if ('value' in r) return r.value;
    return { groupId, isSimpleConsumerGroup: false, members: [], partitionAssignor: '', state: 'Unknown', coordinator: null, authorizedOperations: null, error: r.error };
  });
}

/** Deletes empty groups and their offsets; NON_EMPTY_GROUP while a group has members, GROUP_ID_NOT_FOUND for unknown ones. */
export async function deleteConsumerGroups(ctx: AdminContext, groupIds: readonly string[]): Promise<GroupResult[]> {
  const results = await perCoordinator<null>(ctx.coordinators, ctx.retry, groupIds, async (conn, groups) => {
    const res = await conn.send(DeleteGroupsApi, { groupsNames: [...groups] });
    const out = new Map<string, { value: null } | { code: number; error: KafkaError }>();
    for (const r of res.results) {
      out.set(r.groupId, r.errorCode === ErrorCode.NONE ? { value: null } : { code: r.errorCode, error: err(r.errorCode, `group ${r.groupId}`)! });
    }
    return out;
  });
  return groupIds.map((groupId) => {
    const r = results.get(groupId)!;
    return { groupId, error: 'error' in r ? r.error : null };
  });
}

export interface GroupOffsetsSpec {
  groupId: string;
  /** null or missing: every partition the group has committed offsets for. */
  partitions?: readonly TopicPartition[] | null;
}

interface FetchedPartition {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

function committedOffsets(groupId: string, topics: readonly { name: string; partitions: readonly FetchedPartition[] }[]): CommittedOffset[] {
  const out: CommittedOffset[] = [];
  for (const t of topics) {
    for (const p of t.partitions) {
      out.push({
        topic: t.name,
        partition: p.partitionIndex,
        offset: p.errorCode === ErrorCode.NONE && p.committedOffset >= 0n ? p.committedOffset : null,
        leaderEpoch: p.committedLeaderEpoch >= 0 ? p.committedLeaderEpoch : null,
        metadata: p.metadata ?? '',
        error: err(p.errorCode, `group ${groupId} ${t.name}-${p.partitionIndex}`),
      });
    }
  }
  return out.sort(byTopicPartition);
}

/**
 * Committed offsets of groups (OffsetFetch). Groups that share a coordinator go
 * in one request when it speaks OffsetFetch v8+. Asked-for partitions without an
 * offset come back with `offset: null`; when every partition is asked for, only
 * committed ones come back.
 */
export async function listConsumerGroupOffsets(
  ctx: AdminContext,
  groups: readonly (string | GroupOffsetsSpec)[],
  opts: { requireStable?: boolean } = {},
): Promise<ConsumerGroupOffsets[]> {
  const specs = new Map<string, GroupOffsetsSpec>();
  for (const g of groups) {
    const spec = typeof g === 'string' ? { groupId: g } : g;
    specs.set(spec.groupId, spec);
  }
  const topicsOf = (groupId: string): { name: string; partitionIndexes: number[] }[] | null => {
    const partitions = specs.get(groupId)?.partitions;
    if (partitions === undefined || partitions === null) return null;
    return [...groupByTopic(partitions)].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
  };
  const requireStable = opts.requireStable ?? false;
  const keepAll = (groupId: string): boolean => specs.get(groupId)?.partitions != null;
  const results = await perCoordinator<CommittedOffset[]>(ctx.coordinators, ctx.retry, [...specs.keys()], async (conn, batch) => {
    const version = conn.versionFor(OffsetFetchApi);
    const out = new Map<string, { value: CommittedOffset[] } | { code: number; error: KafkaError }>();
    const finish = (groupId: string, offsets: CommittedOffset[]): void => {
      out.set(groupId, { value: keepAll(groupId) ? offsets : offsets.filter((o) => o.offset !== null || o.error !== null) });
    };
    if (version >= 8) {
      const res = await conn.send(OffsetFetchApi, { groups: batch.map((groupId) => ({ groupId, memberId: null, memberEpoch: -1, topics: topicsOf(groupId) })), requireStable }, { version });
      for (const g of res.groups) {
        if (g.errorCode !== ErrorCode.NONE) out.set(g.groupId, { code: g.errorCode, error: err(g.errorCode, `group ${g.groupId}`)! });
        else finish(g.groupId, committedOffsets(g.groupId, g.topics));
      }
      return out;
    }
    for (const groupId of batch) {
      const topics = topicsOf(groupId);
      if (topics === null && version < 2) {
        out.set(groupId, { code: ErrorCode.UNSUPPORTED_VERSION, error: KafkaError.from(ErrorCode.UNSUPPORTED_VERSION, `group ${groupId}: listing every offset needs OffsetFetch v2+`) });
        continue;
      }
      const res = await conn.send(OffsetFetchApi, { groupId, topics, requireStable }, { version });
      if (res.errorCode !== ErrorCode.NONE) {
        out.set(groupId, { code: res.errorCode, error: err(res.errorCode, `group ${groupId}`)! });
        continue;
      }
      // v0-1 put a group error into every partition.
      const first = res.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.NONE;
      if (version < 2 && isCoordinatorError(first)) {
        out.set(groupId, { code: first, error: err(first, `group ${groupId}`)! });
        continue;
      }
      finish(groupId, committedOffsets(groupId, res.topics));
    }
    return out;
  });
  return [...specs.keys()].map((groupId) => {
    const r = results.get(groupId)!;
    return 'value' in r ? { groupId, offsets: r.value, error: null } : { groupId, offsets: [], error: r.error };
  });
}

/**
 * Commits offsets for a group from outside it (OffsetCommit with generation -1
 * and no member id), as Kafka's alterConsumerGroupOffsets: the group must be
 * empty, else the coordinator refuses (UNKNOWN_MEMBER_ID).
 */
export async function alterConsumerGroupOffsets(ctx: AdminContext, groupId: string, offsets: readonly OffsetToCommit[]): Promise<GroupPartitionsResult> {
  const topics = new Map<string, OffsetToCommit[]>();
  for (const o of offsets) {
    const list = topics.get(o.topic) ?? [];
    list.push(o);
    topics.set(o.topic, list);
  }
  const results = await perCoordinator<PartitionResult[]>(ctx.coordinators, ctx.retry, [groupId], async (conn) => {
    const res = await conn.send(OffsetCommitApi, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [...topics].map(([name, list]) => ({
        name,
        partitions: list.map((o) => ({
          partitionIndex: o.partition,
          committedOffset: BigInt(o.offset),
          committedLeaderEpoch: o.leaderEpoch ?? -1,
          commitTimestamp: -1n,
          committedMetadata: o.metadata ?? '',
        })),
      })),
    });
    const parts: PartitionResult[] = [];
    let coordinatorCode: number = ErrorCode.NONE;
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (isCoordinatorError(p.errorCode)) coordinatorCode = p.errorCode;
        parts.push({ topic: t.name, partition: p.partitionIndex, error: err(p.errorCode, `group ${groupId} ${t.name}-${p.partitionIndex}`) });
      }
    }
    if (coordinatorCode !== ErrorCode.NONE) return failed(coordinatorCode, groupId);
    return new Map([[groupId, { value: parts.sort(byTopicPartition) }]]);
  });
  const r = results.get(groupId)!;
  if ('error' in r) return { groupId, error: r.error, partitions: [] };
  // Kafka fails the whole call with a group-level error every partition shares (UNKNOWN_MEMBER_ID: the group is active).
  const codes = new Set(r.value.map((p) => p.error?.code ?? ErrorCode.NONE));
  const groupLevel = [ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION, ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.INVALID_GROUP_ID, ErrorCode.GROUP_AUTHORIZATION_FAILED] as number[];
  const only = codes.size === 1 ? [...codes][0]! : ErrorCode.NONE;
  const error = groupLevel.includes(only)
    ? KafkaError.from(only, only === ErrorCode.UNKNOWN_MEMBER_ID ? `group ${groupId}: commit cannot be completed since the group is active` : `group ${groupId}`)
    : null;
  return { groupId, error, partitions: r.value };
}

/**
 * Deletes a group's committed offsets for some partitions (OffsetDelete).
 * Group-level errors: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP (a non-consumer group
 * with members); partitions of topics the group is subscribed to get
 * GROUP_SUBSCRIBED_TO_TOPIC.
 */
export async function deleteConsumerGroupOffsets(ctx: AdminContext, groupId: string, partitions: readonly TopicPartition[]): Promise<GroupPartitionsResult> {
  const results = await perCoordinator<GroupPartitionsResult>(ctx.coordinators, ctx.retry, [groupId], async (conn) => {
    const res = await conn.send(OffsetDeleteApi, {
      groupId,
      topics: [...groupByTopic(partitions)].map(([name, list]) => ({ name, partitions: list.map((partitionIndex) => ({ partitionIndex })) })),
    });
    if (isCoordinatorError(res.errorCode)) return failed(res.errorCode, groupId);
    const parts: PartitionResult[] = [];
    for (const t of res.topics) {
      for (const p of t.partitions) parts.push({ topic: t.name, partition: p.partitionIndex, error: err(p.errorCode, `group ${groupId} ${t.name}-${p.partitionIndex}`) });
    }
    return new Map([[groupId, { value: { groupId, error: err(res.errorCode, `group ${groupId}`), partitions: parts.sort(byTopicPartition) } }]]);
  });
  const r = results.get(groupId)!;
  return 'error' in r ? { groupId, error: r.error, partitions: [] } : r.value;
}

