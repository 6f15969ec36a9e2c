/**
 * `samsa consumer-groups`: Kafka's kafka-consumer-groups.sh, same flags and output.
 *
 *   samsa consumer-groups --bootstrap-server H:P --list [--state [S,...]]
 *   samsa consumer-groups --describe --group G [--members [--verbose] | --state | --offsets]
 *   samsa consumer-groups --delete --group G
 *   samsa consumer-groups --reset-offsets --group G --topic T[:0,1] | --all-topics
 *         --to-earliest | --to-latest | --to-offset N | --shift-by N | --to-current |
 *         --to-datetime YYYY-MM-DDTHH:mm:SS.sss | --by-duration PnDTnHnMnS | --from-file F
 *         [--dry-run | --execute] [--export]
 *   samsa consumer-groups --delete-offsets --group G --topic T[:0,1]
 *
 * Differences from Kafka: errors ("Error: ...") go to stderr, not stdout, and a
 * refused reset (an active group) exits 1.
 */
import { readFileSync } from 'node:fs';
import { Admin } from '../../client/admin/admin.ts';
import type { ConsumerGroupDescription, TopicPartition } from '../../client/admin/groups.ts';
import type { OffsetSpec } from '../../client/admin/partitions.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors/index.ts';
import { flag, flagAll, parseArgs, UsageError } from '../args.ts';
import type { ParsedArgs } from '../args.ts';
import { bootstrapServers, checkFlags, clientProperties, connectionSettings, describeError } from '../client-options.ts';
import {
  formatDeleteOffsets,
  formatGroupStates,
  formatMembers,
  formatOffsets,
  formatResetCsv,
  formatResetOffsets,
  formatState,
  parseDateTime,
  parseDuration,
  parseStates,
} from '../consumer-groups-format.ts';
import type { MemberRow, OffsetRow, ResetRow } from '../consumer-groups-format.ts';

export const CONSUMER_GROUPS_USAGE = `Usage: samsa consumer-groups --bootstrap-server <host:port> <action> [options]

List, describe and delete consumer groups, reset and delete their offsets
(Kafka's kafka-consumer-groups.sh).

Actions (exactly one):
  --list                            list consumer groups (--state [S,...]: with their states, filtered)
  --describe                        describe groups: offsets and lag (default), --members, --state
  --delete                          delete groups (and their offsets); they must be empty
  --reset-offsets                   reset offsets of inactive groups (--dry-run by default)
  --delete-offsets                  delete a group's offsets of topics

Options:
  --bootstrap-server <host:port,...>  brokers to connect to (default localhost:9092)
  --command-config <file>           client properties (client.id, request.timeout.ms, ...)
  --group <id>                      the group (repeatable)
  --all-groups                      every group (--describe, --delete, --reset-offsets)
  --topic <name[:p1,p2]>            topic, optionally some partitions (repeatable)
  --all-topics                      --reset-offsets: every topic the group has offsets for
  --members                         --describe: the members and their partitions
  --verbose                         --describe --members: the partitions themselves
  --offsets                         --describe: offsets and lag (the default)
  --state [S,...]                   --describe: the group's state and coordinator;
                                    --list: show states, only these (comma-separated)
  --to-earliest | --to-latest | --to-current | --to-offset <n> | --shift-by <n> |
  --to-datetime <YYYY-MM-DDTHH:mm:SS.sss[zone]> | --by-duration <PnDTnHnMnS> | --from-file <csv>
                                    --reset-offsets: where to
  --dry-run                         --reset-offsets: show the new offsets only (the default)
  --execute                         --reset-offsets: commit them
  --export                          --reset-offsets: print CSV (for --from-file)
  --timeout <ms>                    how long to wait for coordinators (default 5000)
  --help                            this text`;

const ACTIONS = ['list', 'describe', 'delete', 'reset-offsets', 'delete-offsets'] as const;
type Action = (typeof ACTIONS)[number];
const SCENARIOS = ['to-datetime', 'by-duration', 'to-earliest', 'to-latest', 'shift-by', 'from-file', 'to-current', 'to-offset'] as const;
const BOOLEAN_FLAGS = new Set([...ACTIONS, 'all-groups', 'all-topics', 'members', 'verbose', 'offsets', 'dry-run', 'execute', 'export', 'to-earliest', 'to-latest', 'to-current', 'help']);
const VALUE_FLAGS = ['bootstrap-server', 'command-config', 'group', 'topic', 'state', 'timeout', 'to-offset', 'shift-by', 'to-datetime', 'by-duration', 'from-file'];

type Out = (text: string) => void;

/** `--state` takes a value only when one follows (Kafka: optional argument); a bare one becomes `--state=`. */
export function normalizeStateFlag(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--state') {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) out.push('--state=');
      else {
        out.push(`--state=${next}`);
        i++;
      }
    } else out.push(a);
  }
  return out;
}

export interface ParsedCommand {
  action: Action;
  args: ParsedArgs;
  groups: string[];
  allGroups: boolean;
}

function has(args: ParsedArgs, name: string): boolean {
  return args.flags.has(name);
}

/** Parses and validates as Kafka's ConsumerGroupCommandOptions.checkArgs does. */
export function parseCommand(argv: readonly string[]): ParsedCommand {
  const args = parseArgs(normalizeStateFlag(argv), BOOLEAN_FLAGS);
  checkFlags(args, [...BOOLEAN_FLAGS, ...VALUE_FLAGS]);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const actions = ACTIONS.filter((a) => has(args, a));
  if (actions.length !== 1) throw new UsageError('Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets');
  const action = actions[0]!;
  const groups = flagAll(args, 'group');
  const allGroups = has(args, 'all-groups');
  const needGroup = (): void => {
    if (groups.length === 0 && !allGroups) throw new UsageError(`Option [${action}] takes one of these options: [all-groups], [group]`);
    if (groups.length > 0 && allGroups) throw new UsageError(`Option [${action}] takes one of these options: [all-groups], [group]`);
  };
  const only = (names: readonly string[], allowed: readonly Action[]): void => {
    for (const n of names) if (has(args, n) && !allowed.includes(action)) throw new UsageError(`Option [${n}] can be used only with [${allowed.join('], [')}]`);
  };
  only(['members', 'offsets'], ['describe']);
  only(['verbose'], ['describe']);
  only(['all-topics', 'dry-run', 'execute', 'export', ...SCENARIOS], ['reset-offsets']);
  only(['topic'], ['reset-offsets', 'delete-offsets']);
  only(['all-groups'], ['describe', 'delete', 'reset-offsets']);
  only(['state'], ['list', 'describe']);
  switch (action) {
    case 'list':
      if (groups.length > 0) throw new UsageError('Option [list] does not take [group]');
      break;
    case 'describe': {
      needGroup();
      const modes = ['members', 'offsets', 'state'].filter((m) => has(args, m));
      if (modes.length > 1) throw new UsageError('Option [describe] takes at most one of these options: [members], [offsets], [state]');
      if (has(args, 'state') && flag(args, 'state') !== '') throw new UsageError('Option [describe] --state takes no value');
      if (has(args, 'verbose') && !has(args, 'members')) throw new UsageError('Option [verbose] can be used only with [describe] [members]');
      break;
    }
    case 'delete':
      needGroup();
      break;
    case 'reset-offsets': {
      needGroup();
      if (has(args, 'dry-run') && has(args, 'execute')) throw new UsageError('Option [reset-offsets] takes at most one of these options: [dry-run], [execute]');
      const scenarios = SCENARIOS.filter((s) => has(args, s));
      if (scenarios.length !== 1) throw new UsageError(`Option [reset-offsets] takes exactly one of these options: [${SCENARIOS.join('], [')}]`);
      if (!has(args, 'from-file')) {
        const topics = flagAll(args, 'topic').length > 0;
        if (topics === has(args, 'all-topics')) throw new UsageError('Option [reset-offsets] takes one of these options: [all-topics], [topic]');
      }
      break;
    }
    case 'delete-offsets':
      if (groups.length !== 1 || allGroups || flagAll(args, 'topic').length === 0) throw new UsageError('Option [delete-offsets] takes the following options: [group], [topic]');
      break;
  }
  return { action, args, groups, allGroups };
}

export async function consumerGroupsCommand(argv: readonly string[]): Promise<number> {
  const cmd = parseCommand(argv);
  const { args } = cmd;
  const timeout = flag(args, 'timeout');
  const timeoutMs = timeout === undefined ? 5000 : Number(timeout);
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 0) throw new UsageError(`--timeout must be a number of milliseconds, got '${timeout}'`);
  const props = clientProperties(args, 'command-config', []);
  const admin = new Admin({ bootstrapServers: bootstrapServers(args), defaultApiTimeoutMs: timeoutMs, ...connectionSettings(props) });
  const out: Out = (text) => process.stdout.write(text);
  const err: Out = (text) => process.stderr.write(text);
  try {
    switch (cmd.action) {
      case 'list':
        return await list(admin, args, out);
      case 'describe':
        return await describe(admin, args, await groupIds(admin, cmd), out, err);
      case 'delete':
        return await remove(admin, await groupIds(admin, cmd), out, err);
      case 'reset-offsets':
        return await resetOffsets(admin, args, await groupIds(admin, cmd), out, err);
      case 'delete-offsets':
        return await deleteOffsets(admin, args, cmd.groups[0]!, out, err);
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    err(`\nError: Executing consumer group command failed due to ${describeError(e)}\n`);
    return 1;
  } finally {
    admin.close();
  }
}

async function groupIds(admin: Admin, cmd: ParsedCommand): Promise<string[]> {
  if (!cmd.allGroups) return [...new Set(cmd.groups)];
  return (await admin.listConsumerGroups()).map((g) => g.groupId);
}

async function list(admin: Admin, args: ParsedArgs, out: Out): Promise<number> {
  const stateFlag = flag(args, 'state');
  let states: string[] = [];
  if (stateFlag !== undefined && stateFlag !== '') {
    try {
      states = parseStates(stateFlag);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const groups = await admin.listConsumerGroups({ states });
  if (stateFlag !== undefined) out(formatGroupStates(groups));
  else for (const g of groups) out(`${g.groupId}\n`);
  return 0;
}

/** Kafka's shouldPrintMemberState: warns about empty, rebalancing and missing groups; whether to print the table. */
function shouldPrint(group: string, state: string, rows: number, err: Out): boolean {
  switch (state) {
    case 'Dead':
      err(`\nError: Consumer group '${group}' does not exist.\n`);
      break;
    case 'Empty':
      err(`\nConsumer group '${group}' has no active members.\n`);
      break;
    case 'PreparingRebalance':
    case 'CompletingRebalance':
    case 'Assigning':
    case 'Reconciling':
      err(`\nWarning: Consumer group '${group}' is rebalancing.\n`);
      break;
  }
  return state !== 'Dead' && rows > 0;
}

const byTp = (a: TopicPartition, b: TopicPartition): number => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition);
const tpKey = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;

async function logEndOffsets(admin: Admin, partitions: readonly TopicPartition[]): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  if (partitions.length === 0) return out;
  for (const r of await admin.listOffsets(partitions.map((tp) => ({ ...tp, spec: 'latest' as const })))) {
    if (r.error === null) out.set(tpKey(r), r.offset);
  }
  return out;
}

/** Kafka's collectGroupOffsets: members' partitions (largest assignment first), then committed partitions nobody holds. */
async function offsetRows(admin: Admin, d: ConsumerGroupDescription): Promise<OffsetRow[]> {
  const [committed] = await admin.listConsumerGroupOffsets([d.groupId]);
  if (committed!.error) throw committed!.error;
  const offsets = new Map(committed!.offsets.filter((o) => o.offset !== null).map((o) => [tpKey(o), o.offset!]));
  const rows: (OffsetRow & TopicPartition)[] = [];
  const assigned = new Set<string>();
  const members = d.members.filter((m) => m.assignment.length > 0).sort((a, b) => b.assignment.length - a.assignment.length);
  for (const m of members) {
    for (const tp of [...m.assignment].sort(byTp)) {
      assigned.add(tpKey(tp));
      rows.push({ ...tp, group: d.groupId, offset: offsets.get(tpKey(tp)) ?? null, logEndOffset: null, consumerId: m.consumerId, host: m.host, clientId: m.clientId });
    }
  }
  const unassigned = committed!.offsets.filter((o) => o.offset !== null && !assigned.has(tpKey(o))).sort(byTp);
  for (const o of unassigned) rows.push({ topic: o.topic, partition: o.partition, group: d.groupId, offset: o.offset, logEndOffset: null, consumerId: null, host: null, clientId: null });
  const leos = await logEndOffsets(admin, rows);
  for (const r of rows) r.logEndOffset = leos.get(tpKey(r)) ?? null;
  return rows;
}

async function describe(admin: Admin, args: ParsedArgs, groups: readonly string[], out: Out, err: Out): Promise<number> {
  const descriptions = (await admin.describeConsumerGroups(groups)).sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  let failed = false;
  for (const d of descriptions) {
    if (d.error) {
      err(`\nError: Executing consumer group command failed due to ${describeError(d.error)}\n`);
      failed = true;
      continue;
    }
    if (args.flags.has('members')) {
      const rows: MemberRow[] = d.members.map((m) => ({ group: d.groupId, consumerId: m.consumerId, groupInstanceId: m.groupInstanceId, host: m.host, clientId: m.clientId, assignment: m.assignment }));
      if (shouldPrint(d.groupId, d.state, rows.length, err)) out(formatMembers(rows, args.flags.has('verbose')));
    } else if (args.flags.has('state')) {
      if (shouldPrint(d.groupId, d.state, 1, err)) {
        out(formatState({ group: d.groupId, coordinator: d.coordinator, assignmentStrategy: d.partitionAssignor, state: d.state, members: d.members.length }));
      }
    } else {
      const rows = d.state === 'Dead' ? [] : await offsetRows(admin, d);
      if (shouldPrint(d.groupId, d.state, rows.length, err)) out(formatOffsets(rows));
    }
  }
  return failed ? 1 : 0;
}

async function remove(admin: Admin, groups: readonly string[], out: Out, err: Out): Promise<number> {
  const results = await admin.deleteConsumerGroups(groups);
  const ok = results.filter((r) => r.error === null).map((r) => r.groupId);
  const failed = results.filter((r) => r.error !== null);
  if (ok.length > 0) out(`Deletion of requested consumer groups ('${ok.join("', '")}') was successful.\n`);
  if (failed.length > 0) {
    err('\nError: Deletion of some consumer groups failed:\n');
    for (const f of failed) err(`* Group '${f.groupId}' could not be deleted due to: ${describeError(f.error)}\n`);
  }
  return failed.length > 0 ? 1 : 0;
}

/** "topic" or "topic:0,1,2" (Kafka's --topic for --reset-offsets and --delete-offsets). */
export function parseTopicSpec(spec: string): { topic: string; partitions: number[] | null } {
  const colon = spec.indexOf(':');
  if (colon < 0) return { topic: spec, partitions: null };
  const topic = spec.slice(0, colon);
  const partitions = spec
    .slice(colon + 1)
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => {
      const n = Number(p);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`Invalid partition '${p}' in --topic ${spec}`);
      return n;
    });
  return { topic, partitions: partitions.length > 0 ? partitions : null };
}

async function topicPartitions(admin: Admin, specs: readonly string[]): Promise<TopicPartition[]> {
  const out: TopicPartition[] = [];
  for (const raw of specs) {
    const { topic, partitions } = parseTopicSpec(raw);
    if (partitions !== null) {
      for (const partition of partitions) out.push({ topic, partition });
      continue;
    }
    const [t] = await admin.describeTopics([topic]);
    for (const p of t?.partitions ?? []) out.push({ topic, partition: p.partition });
  }
  return out;
}

function parseBigInt(text: string, name: string): bigint {
  if (!/^[+-]?\d+$/.test(text.trim())) throw new UsageError(`--${name} must be an integer, got '${text}'`);
  return BigInt(text.trim());
}

/** --from-file: Kafka's CSV, "topic,partition,offset" or "group,topic,partition,offset". */
function readResetPlan(path: string): Map<string, { tp: TopicPartition; offset: bigint }[]> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --from-file ${path}: ${(e as Error).message}`);
  }
  const plan = new Map<string, { tp: TopicPartition; offset: bigint }[]>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const f = line.split(',');
    const [group, topic, partition, offset] = f.length === 4 ? f : f.length === 3 ? ['', ...f] : [];
    if (topic === undefined || !/^\d+$/.test(partition!.trim()) || !/^-?\d+$/.test(offset!.trim())) throw new UsageError(`Invalid line in --from-file ${path}: '${line}'`);
    const list = plan.get(group!) ?? [];
    list.push({ tp: { topic, partition: Number(partition) }, offset: BigInt(offset!.trim()) });
    plan.set(group!, list);
  }
  return plan;
}

async function offsetsBySpec(admin: Admin, partitions: readonly TopicPartition[], spec: OffsetSpec): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  if (partitions.length === 0) return out;
  for (const r of await admin.listOffsets(partitions.map((tp) => ({ ...tp, spec })))) {
    if (r.error) throw r.error;
    out.set(tpKey(r), r.offset);
  }
  return out;
}

/** Kafka's checkOffsetsRange: below the log start → log start, above the log end → log end. */
async function clamp(admin: Admin, requested: Map<string, { tp: TopicPartition; offset: bigint }>): Promise<Map<string, bigint>> {
  const tps = [...requested.values()].map((r) => r.tp);
  const [earliest, latest] = await Promise.all([offsetsBySpec(admin, tps, 'earliest'), offsetsBySpec(admin, tps, 'latest')]);
  const out = new Map<string, bigint>();
  for (const [k, r] of requested) {
    const lo = earliest.get(k)!;
    const hi = latest.get(k)!;
    out.set(k, r.offset > hi ? hi : r.offset < lo ? lo : r.offset);
  }
  return out;
}

async function prepareOffsets(admin: Admin, args: ParsedArgs, group: string, partitions: readonly TopicPartition[]): Promise<Map<string, bigint>> {
  const committed = async (): Promise<Map<string, bigint>> => {
    const [c] = await admin.listConsumerGroupOffsets([group]);
    if (c!.error) throw c!.error;
    return new Map(c!.offsets.filter((o) => o.offset !== null).map((o) => [tpKey(o), o.offset!]));
  };
  if (args.flags.has('to-earliest')) return offsetsBySpec(admin, partitions, 'earliest');
  if (args.flags.has('to-latest')) return offsetsBySpec(admin, partitions, 'latest');
  if (args.flags.has('to-offset')) {
    const n = parseBigInt(flag(args, 'to-offset')!, 'to-offset');
    return clamp(admin, new Map(partitions.map((tp) => [tpKey(tp), { tp, offset: n }])));
  }
  if (args.flags.has('shift-by')) {
    const n = parseBigInt(flag(args, 'shift-by')!, 'shift-by');
    const current = await committed();
    const requested = new Map<string, { tp: TopicPartition; offset: bigint }>();
    for (const tp of partitions) {
      const c = current.get(tpKey(tp));
      if (c === undefined) throw new UsageError(`Cannot shift offset for partition ${tp.topic}-${tp.partition} since there is no current committed offset`);
      requested.set(tpKey(tp), { tp, offset: c + n });
    }
    return clamp(admin, requested);
  }
  if (args.flags.has('to-current')) {
    const current = await committed();
    const missing = partitions.filter((tp) => !current.has(tpKey(tp)));
    const leo = await offsetsBySpec(admin, missing, 'latest');
    return new Map(partitions.map((tp) => [tpKey(tp), current.get(tpKey(tp)) ?? leo.get(tpKey(tp))!]));
  }
  let timestamp: number;
  if (args.flags.has('to-datetime')) {
    try {
      timestamp = parseDateTime(flag(args, 'to-datetime')!);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  } else {
    try {
      timestamp = Date.now() - parseDuration(flag(args, 'by-duration')!);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  // Kafka: the first offset at or after the time; the log end when no record is that new.
  const found = await offsetsBySpec(admin, partitions, { timestamp });
  const none = partitions.filter((tp) => found.get(tpKey(tp))! < 0n);
  const leo = await offsetsBySpec(admin, none, 'latest');
  return new Map(partitions.map((tp) => [tpKey(tp), found.get(tpKey(tp))! >= 0n ? found.get(tpKey(tp))! : leo.get(tpKey(tp))!]));
}

async function resetOffsets(admin: Admin, args: ParsedArgs, groups: readonly string[], out: Out, err: Out): Promise<number> {
  const execute = args.flags.has('execute');
  if (!execute && !args.flags.has('dry-run')) {
    err(
      'WARN: No action will be performed as the --execute option is missing. ' +
        'In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. ' +
        'You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.\n',
    );
  }
  const plan = args.flags.has('from-file') ? readResetPlan(flag(args, 'from-file')!) : null;
  const rows: ResetRow[] = [];
  let failed = false;
  const descriptions = await admin.describeConsumerGroups(groups);
  for (const d of descriptions) {
    if (d.error) throw d.error;
    if (d.state !== 'Empty' && d.state !== 'Dead') {
      err(`\nError: Assignments can only be reset if the group '${d.groupId}' is inactive, but the current state is ${d.state}.\n`);
      failed = true;
      continue;
    }
    let offsets: Map<string, bigint>;
    let partitions: TopicPartition[];
    if (plan !== null) {
      const entries = plan.get(d.groupId) ?? plan.get('') ?? [];
      partitions = entries.map((e) => e.tp);
      offsets = new Map(entries.map((e) => [tpKey(e.tp), e.offset]));
    } else {
      if (args.flags.has('all-topics')) {
        const [c] = await admin.listConsumerGroupOffsets([d.groupId]);
        if (c!.error) throw c!.error;
        partitions = c!.offsets.filter((o) => o.offset !== null).map((o) => ({ topic: o.topic, partition: o.partition }));
      } else {
        partitions = await topicPartitions(admin, flagAll(args, 'topic'));
      }
      partitions.sort(byTp);
      offsets = await prepareOffsets(admin, args, d.groupId, partitions);
    }
    if (execute && partitions.length > 0) {
      const res = await admin.alterConsumerGroupOffsets(
        d.groupId,
        partitions.map((tp) => ({ ...tp, offset: offsets.get(tpKey(tp))! })),
      );
      if (res.error) throw res.error;
      const bad = res.partitions.find((p) => p.error !== null);
      if (bad) throw bad.error!;
    }
    for (const tp of partitions) rows.push({ group: d.groupId, topic: tp.topic, partition: tp.partition, offset: offsets.get(tpKey(tp))! });
  }
  if (args.flags.has('export')) out(formatResetCsv(rows, groups.length > 1));
  else if (rows.length > 0 || !failed) out(formatResetOffsets(rows));
  return failed ? 1 : 0;
}

async function deleteOffsets(admin: Admin, args: ParsedArgs, group: string, out: Out, err: Out): Promise<number> {
  const specs = flagAll(args, 'topic');
  const partitions: TopicPartition[] = [];
  const missingTopics: string[] = [];
  for (const raw of specs) {
    const { topic, partitions: parts } = parseTopicSpec(raw);
    if (parts !== null) {
      for (const partition of parts) partitions.push({ topic, partition });
      continue;
    }
    try {
      const [t] = await admin.describeTopics([topic]);
      for (const p of t?.partitions ?? []) partitions.push({ topic, partition: p.partition });
    } catch (e) {
      if (!(e instanceof KafkaError && e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) throw e;
      missingTopics.push(topic);
    }
  }
  const res = partitions.length > 0 ? await admin.deleteConsumerGroupOffsets(group, partitions) : { groupId: group, error: null, partitions: [] };
  const code = res.error?.code ?? (missingTopics.length > 0 || res.partitions.some((p) => p.error) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.NONE);
  switch (code) {
    case ErrorCode.NONE:
      out(`Request succeed for deleting offsets with topic ${specs.join(', ')} group ${group}\n`);
      break;
    case ErrorCode.INVALID_GROUP_ID:
      err(`\nError: '${group}' is not valid.\n`);
      break;
    case ErrorCode.GROUP_ID_NOT_FOUND:
      err(`\nError: '${group}' does not exist.\n`);
      break;
    case ErrorCode.GROUP_AUTHORIZATION_FAILED:
      err(`\nError: Access to '${group}' is not authorized.\n`);
      break;
    case ErrorCode.NON_EMPTY_GROUP:
      err(`\nError: Deleting offsets of a consumer group '${group}' is forbidden if the group is not empty.\n`);
      break;
    case ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC:
    case ErrorCode.TOPIC_AUTHORIZATION_FAILED:
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
      err('\nError: Encounter some partition level error, see the follow-up details:\n');
      break;
    default:
      err(`\nError: Encounter some unknown error: ${res.error?.name ?? code}\n`);
  }
  if (res.error === null || res.partitions.length > 0 || missingTopics.length > 0) {
    const rows = [
      ...res.partitions.map((p) => ({ topic: p.topic, partition: p.partition, error: p.error ? p.error.message : null })),
      ...missingTopics.map((topic) => ({ topic, partition: null, error: KafkaError.from(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).message })),
    ];
    out(formatDeleteOffsets(rows));
  }
  return code === ErrorCode.NONE ? 0 : 1;
}
