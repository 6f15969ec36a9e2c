/**
 * `samsa topics`: Kafka's kafka-topics.sh, same flags and output.
 *
 *   samsa topics --bootstrap-server H:P --create --topic T [--partitions N] ...
 *   samsa topics create --topic T ...           (subcommand form, same flags)
 *
 * As in Kafka, --topic is a regular expression for --list, --describe and
 * --delete (a plain name matches only itself).
 */
import { Admin, ConfigResourceType } from '../../client/admin/admin.ts';
import type { TopicDescription } from '../../client/admin/admin.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors/index.ts';
import { DescribeConfigsApi } from '../../protocol/generated/api-keys.ts';
import { flag, flagAll, keyValues, parseArgs, UsageError } from '../args.ts';
import type { ParsedArgs } from '../args.ts';
import { bootstrapServers, checkFlags, clientProperties, connectionSettings, describeError, intFlag } from '../client-options.ts';

export const TOPICS_USAGE = `Usage: samsa topics [create|list|describe|delete] [options]
       samsa topics --create|--list|--describe|--delete [options]

Create, list, describe and delete topics (Kafka's kafka-topics.sh).

Options:
  --bootstrap-server <host:port,...>  brokers to connect to (default localhost:9092)
  --command-config <file>           client properties (client.id, request.timeout.ms, ...)
  --create                          create a topic
  --list                            list topics
  --describe                        describe topics: partitions, leaders, replicas, ISR, configs
  --delete                          delete topics
  --alter                           raise a topic's partition count (--partitions)
  --topic <name|regex>              the topic; a regex for --list, --describe, --delete
  --partitions <n>                  partitions of a new topic (default: broker's num.partitions)
  --replication-factor <n>          replication factor of a new topic (default: broker's default)
  --replica-assignment <list>       explicit assignment: "1:2,2:3" (per partition, ':'-separated broker ids)
  --config <name=value>             topic config override for --create (repeatable)
  --if-not-exists                   --create: do nothing if the topic exists
  --if-exists                       --describe/--delete: do nothing if the topic does not exist
  --exclude-internal                leave internal topics out of --list and --describe
  --under-replicated-partitions     --describe: only partitions whose ISR is smaller than the replicas
  --unavailable-partitions          --describe: only partitions without a leader
  --at-min-isr-partitions           --describe: only partitions whose ISR equals min.insync.replicas
  --under-min-isr-partitions        --describe: only partitions whose ISR is below min.insync.replicas
  --help                            this text`;

const PARTITION_FILTERS = ['under-replicated-partitions', 'unavailable-partitions', 'at-min-isr-partitions', 'under-min-isr-partitions'] as const;
const BOOLEAN_FLAGS = new Set(['create', 'list', 'describe', 'delete', 'alter', 'if-not-exists', 'if-exists', 'exclude-internal', 'help', ...PARTITION_FILTERS]);
const ACTIONS = ['create', 'list', 'describe', 'delete', 'alter'] as const;
type Action = (typeof ACTIONS)[number];

type Out = (line: string) => void;

export async function topicsCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, BOOLEAN_FLAGS);
  checkFlags(args, [...BOOLEAN_FLAGS, 'bootstrap-server', 'command-config', 'topic', 'partitions', 'replication-factor', 'replica-assignment', 'config']);
  const actions = new Set<Action>();
  for (const a of ACTIONS) if (args.flags.has(a)) actions.add(a);
  for (const p of args.positionals) {
    if ((ACTIONS as readonly string[]).includes(p)) actions.add(p as Action);
    else throw new UsageError(`unexpected argument '${p}'\n${TOPICS_USAGE}`);
  }
  if (actions.size !== 1) {
    throw new UsageError(`Command must include exactly one action: --list, --describe, --create, --alter or --delete\n${TOPICS_USAGE}`);
  }
  const action = [...actions][0]!;
  const topic = flag(args, 'topic');
  if ((action === 'create' || action === 'delete' || action === 'alter') && topic === undefined) {
    throw new UsageError(`Missing required argument "[topic]"`);
  }
  const props = clientProperties(args, 'command-config', []);
  const admin = new Admin({ bootstrapServers: bootstrapServers(args), ...connectionSettings(props) });
  const out: Out = (line) => process.stdout.write(`${line}\n`);
  try {
    switch (action) {
      case 'create':
        return await create(admin, args, topic!, out);
      case 'list':
        return await list(admin, args, topic, out);
      case 'describe':
        return await describe(admin, args, topic, out);
      case 'delete':
        return await remove(admin, args, topic!);
      case 'alter':
        return await alter(admin, args, topic!);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    process.stderr.write(`Error while executing topic command : ${describeError(err)}\n`);
    return 1;
  } finally {
    admin.close();
  }
}

function parseReplicaAssignment(text: string): Map<number, number[]> {
  const out = new Map<number, number[]>();
  text.split(',').forEach((part, i) => {
    const ids = part.split(':').map((s) => Number(s.trim()));
    if (ids.some((n) => !Number.isInteger(n) || n < 0)) throw new UsageError(`Invalid --replica-assignment '${text}'`);
    out.set(i, ids);
  });
  return out;
}

async function create(admin: Admin, args: ParsedArgs, topic: string, out: Out): Promise<number> {
  const partitions = intFlag(args, 'partitions');
  const replicationFactor = intFlag(args, 'replication-factor');
  if (partitions !== undefined && partitions < 1) throw new UsageError('The partitions must be greater than 0');
  if (replicationFactor !== undefined && (replicationFactor < 1 || replicationFactor > 32767)) {
    throw new UsageError('The replication factor must be between 1 and 32767');
  }
  const assignmentText = flag(args, 'replica-assignment');
  const configs = Object.fromEntries(keyValues(flagAll(args, 'config'), '--config'));
  if (topic.includes('.') || topic.includes('_')) {
    out("WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.");
  }
  const [result] = await admin.createTopics([
    {
      name: topic,
      ...(partitions !== undefined ? { numPartitions: partitions } : {}),
      ...(replicationFactor !== undefined ? { replicationFactor } : {}),
      ...(assignmentText !== undefined ? { replicaAssignment: parseReplicaAssignment(assignmentText) } : {}),
      configs,
    },
  ]);
  if (!result) throw KafkaError.from(ErrorCode.UNKNOWN_SERVER_ERROR, 'empty CreateTopics response');
  if (result.error) {
    if (result.error.code === ErrorCode.TOPIC_ALREADY_EXISTS && args.flags.has('if-not-exists')) return 0;
    throw result.error;
  }
  out(`Created topic ${topic}.`);
  return 0;
}

/** Kafka's TopicFilter: --topic as a whole-name regex; internal topics per --exclude-internal. */
async function matchingTopics(admin: Admin, args: ParsedArgs, pattern: string | undefined): Promise<string[]> {
  const all = await admin.listTopics({ listInternal: !args.flags.has('exclude-internal') });
  if (pattern === undefined) return all.map((t) => t.name);
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern})$`);
  } catch {
    throw new UsageError(`Invalid --topic regex '${pattern}'`);
  }
  return all.filter((t) => re.test(t.name)).map((t) => t.name);
}

function ensureMatched(names: readonly string[], pattern: string | undefined, args: ParsedArgs): boolean {
  if (names.length > 0 || pattern === undefined) return true;
  if (args.flags.has('if-exists')) return false;
  throw KafkaError.from(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${pattern}' does not exist as expected`);
}

async function list(admin: Admin, args: ParsedArgs, pattern: string | undefined, out: Out): Promise<number> {
  for (const name of await matchingTopics(admin, args, pattern)) out(name);
  return 0;
}

async function describe(admin: Admin, args: ParsedArgs, pattern: string | undefined, out: Out): Promise<number> {
  const names = await matchingTopics(admin, args, pattern);
  if (!ensureMatched(names, pattern, args)) return 0;
  if (names.length === 0) return 0;
  const topics = await admin.describeTopics(names);
  const configs = await topicConfigs(admin, topics);
  const filter = PARTITION_FILTERS.find((f) => args.flags.has(f));
  for (const t of topics) {
    const rf = t.partitions[0]?.replicas.length ?? 0;
    const minIsr = Number(configs.get(t.name)?.all.get('min.insync.replicas') ?? '1');
    const partitions = t.partitions.filter((p) => {
      switch (filter) {
        case undefined:
          return true;
        case 'under-replicated-partitions':
          return p.isr.length < p.replicas.length;
        case 'unavailable-partitions':
          return p.leader < 0;
        case 'at-min-isr-partitions':
          return p.isr.length === minIsr;
        case 'under-min-isr-partitions':
          return p.isr.length < minIsr;
      }
    });
    // As kafka-topics: with a partition filter, only the matching partitions and no topic line.
    if (filter === undefined) {
      out(`Topic: ${t.name}\tTopicId: ${t.topicId}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${rf}\tConfigs: ${configs.get(t.name)?.text ?? ''}`);
    }
    for (const p of partitions) {
      const leader = p.leader < 0 ? 'none' : String(p.leader);
      const offline = p.offlineReplicas.length > 0 ? `\tOffline: ${p.offlineReplicas.join(',')}` : '';
      out(`\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}${offline}`);
    }
  }
  return 0;
}

/**
 * Each topic's configs: `text` is "name=value,..." of the non-default ones, as
 * kafka-topics prints them; `all` every value. Empty without DescribeConfigs.
 */
async function topicConfigs(admin: Admin, topics: readonly TopicDescription[]): Promise<Map<string, { text: string; all: Map<string, string | null> }>> {
  const out = new Map<string, { text: string; all: Map<string, string | null> }>();
  if (topics.length === 0 || !(await admin.supports(DescribeConfigsApi))) return out;
  const results = await admin.describeConfigs(topics.map((t) => ({ type: ConfigResourceType.TOPIC, name: t.name })));
  for (const r of results) {
    if (r.error) continue;
    const entries = r.entries.filter((e) => !e.isDefault).map((e) => `${e.name}=${e.isSensitive ? '<sensitive>' : (e.value ?? 'null')}`);
    out.set(r.name, { text: entries.join(','), all: new Map(r.entries.map((e) => [e.name, e.value])) });
  }
  return out;
}

async function alter(admin: Admin, args: ParsedArgs, pattern: string): Promise<number> {
  const partitions = intFlag(args, 'partitions');
  if (partitions === undefined) throw new UsageError('--alter needs --partitions (other changes: samsa configs)');
  if (args.flags.has('replication-factor')) throw new UsageError('Option "[replication-factor]" can\'t be used with option "[alter]"');
  const names = await matchingTopics(admin, args, pattern);
  if (!ensureMatched(names, pattern, args) || names.length === 0) return 0;
  const results = await admin.createPartitions(names.map((name) => ({ name, count: partitions })));
  const failed = results.find((r) => r.error !== null);
  if (failed) throw failed.error!;
  return 0;
}

async function remove(admin: Admin, args: ParsedArgs, pattern: string): Promise<number> {
  const names = await matchingTopics(admin, args, pattern);
  if (!ensureMatched(names, pattern, args) || names.length === 0) return 0;
  const results = await admin.deleteTopics(names);
  const failed = results.find((r) => r.error !== null && !(r.error.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && args.flags.has('if-exists')));
  if (failed) throw failed.error!;
  return 0;
}
