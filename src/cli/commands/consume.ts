/**
 * `samsa consume`: Kafka's kafka-console-consumer.sh on Samsa's client Consumer.
 * With --group (or group.id in the consumer properties) it subscribes to the
 * topic as a member of that group, starts from the group's committed offsets
 * (auto.offset.reset where there are none) and commits what it printed when it
 * exits (enable.auto.commit, default true in a group), then leaves the group.
 * Without a group it assigns itself the topic's partitions (or --partition) and
 * starts at the latest offset, the earliest (--from-beginning) or --offset, with
 * no commits. Records print with Kafka's DefaultMessageFormatter.
 */
import type { ConsumerConfig } from '../../client/consumer/config.ts';
import { Consumer } from '../../client/consumer/consumer.ts';
import type { ConsumerRecord } from '../../client/consumer/consumer-record.ts';
import { WakeupError } from '../../client/consumer/errors.ts';
import { ConfigException } from '../../client/producer/errors.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors/index.ts';
import { flag, flagAll, keyValues, parseArgs, UsageError } from '../args.ts';
import type { ParsedArgs } from '../args.ts';
import { bootstrapServers, checkFlags, clientProperties, describeError, intFlag } from '../client-options.ts';
import { formatRecord, formatterOptions } from '../formatter.ts';

export const CONSUME_USAGE = `Usage: samsa consume --bootstrap-server <host:port> --topic <topic> [options]

Prints records of a topic to stdout (kafka-console-consumer).

Options:
  --bootstrap-server <host:port,...>  brokers to connect to (default localhost:9092)
  --topic <topic>                     topic to read (required)
  --group <group>                     consume as a member of this consumer group: start from
                                        its committed offsets, commit on exit, leave the group
  --partition <n>                     read only this partition (not with --group)
  --offset <earliest|latest|n>        where to start in --partition (default latest)
  --from-beginning                    start at the earliest offset instead of the latest
                                        (with --group: where the group has no committed offset)
  --max-messages <n>                  exit after n records
  --timeout-ms <ms>                   exit when no record arrived for this long
  --isolation-level <level>           read_uncommitted (default) or read_committed
  --property <key=value>              formatter property (repeatable); also --formatter-property:
                                        print.key, print.value (true), print.timestamp,
                                        print.partition, print.offset, print.headers,
                                        key.separator (tab), line.separator (newline),
                                        headers.separator (,), headers.key.separator (:),
                                        null.literal (null)
  --formatter-config <file>           formatter properties file
  --consumer-property <key=value>     consumer config by Kafka's names (repeatable): group.id,
                                        auto.offset.reset, enable.auto.commit, group.protocol,
                                        fetch.max.wait.ms, fetch.min.bytes, fetch.max.bytes,
                                        max.partition.fetch.bytes, client.id, request.timeout.ms ...
  --consumer.config <file>            consumer config file (--consumer-property overrides it)
  --skip-message-on-error             accepted for compatibility
  --help                              this text

Ctrl-C or SIGTERM: stops, commits (in a group) and leaves. Prints the number of
records processed to stderr. Exits 1 if the topic or partition does not exist or
the brokers cannot be reached, printing the Kafka error name.`;

const BOOLEAN_FLAGS = new Set(['from-beginning', 'skip-message-on-error', 'enable-systest-events', 'help']);
const KNOWN_FLAGS = [
  ...BOOLEAN_FLAGS,
  'bootstrap-server', 'topic', 'group', 'partition', 'offset', 'max-messages', 'timeout-ms', 'isolation-level',
  'property', 'formatter-property', 'formatter-config', 'consumer-property', 'consumer.config', 'formatter',
  'key-deserializer', 'value-deserializer',
];

type StartOffset = 'earliest' | 'latest' | bigint;

/** Resolves when stdout drains, or fails, or closes. */
function drained(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.stdout.off('drain', done);
      process.stdout.off('error', done);
      process.stdout.off('close', done);
      resolve();
    };
    process.stdout.on('drain', done);
    process.stdout.on('error', done);
    process.stdout.on('close', done);
  });
}

export interface ConsoleConsumerSettings {
  topic: string;
  /** The group id (--group, group.id), or null: partitions assigned by the tool, no commits. */
  group: string | null;
  partition: number | undefined;
  start: StartOffset;
  maxMessages: number | undefined;
  timeoutMs: number | undefined;
  /** The consumer's configs by Kafka's names (string values), bootstrap.servers included. */
  config: Map<string, string>;
}

/** ConsoleConsumerOptions: the flags' checks and the consumer's properties. */
export function consumerSettings(args: ParsedArgs): ConsoleConsumerSettings {
  const formatterClass = flag(args, 'formatter');
  if (formatterClass !== undefined && !/(^|\.)DefaultMessageFormatter$/.test(formatterClass)) {
    throw new UsageError(`--formatter ${formatterClass} is not supported: only kafka.tools.DefaultMessageFormatter`);
  }
  for (const d of ['key-deserializer', 'value-deserializer']) {
    const cls = flag(args, d);
    if (cls !== undefined && !/StringDeserializer$/.test(cls)) throw new UsageError(`--${d} ${cls} is not supported: records print as UTF-8 strings`);
  }
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'\n${CONSUME_USAGE}`);
  const topic = flag(args, 'topic');
  if (topic === undefined) throw new UsageError('The topic is required (--topic)');
  const partition = intFlag(args, 'partition');
  const offsetText = flag(args, 'offset');
  const fromBeginning = args.flags.has('from-beginning');
  if (offsetText !== undefined && partition === undefined) throw new UsageError('The partition is required when offset is specified.');
  if (offsetText !== undefined && fromBeginning) throw new UsageError('Options from-beginning and offset cannot be specified together.');
  let start: StartOffset = fromBeginning ? 'earliest' : 'latest';
  if (offsetText !== undefined) {
    const t = offsetText.trim().toLowerCase();
    if (t === 'earliest' || t === 'latest') start = t;
    else if (/^\d+$/.test(t)) start = BigInt(t);
    else throw new UsageError(`The provided offset value '${offsetText}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.`);
  }
  const isolationFlag = flag(args, 'isolation-level')?.trim().toLowerCase();
  if (isolationFlag !== undefined && isolationFlag !== 'read_uncommitted' && isolationFlag !== 'read_committed') throw new UsageError(`Invalid --isolation-level '${isolationFlag}'`);

  // The group id may come from --group, the file or --consumer-property; all given must agree.
  const fromFile = clientProperties(args, 'consumer.config', []);
  const extra = keyValues(flagAll(args, 'consumer-property'), '--consumer-property');
  const groups = new Set<string>();
  const groupFlag = flag(args, 'group');
  if (groupFlag !== undefined) groups.add(groupFlag);
  if (fromFile.has('group.id')) groups.add(fromFile.get('group.id')!);
  if (extra.has('group.id')) groups.add(extra.get('group.id')!);
  if (groups.size > 1) {
    throw new UsageError(
      `The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: ${[...groups].map((g) => `'${g}'`).join(', ')}`,
    );
  }
  const group = groups.size === 1 ? [...groups][0]! : null;
  if (group !== null && partition !== undefined) throw new UsageError('Options group and partition cannot be specified together.');

  const config = new Map(fromFile);
  for (const [k, v] of extra) config.set(k, v);
  const reset = config.get('auto.offset.reset')?.trim().toLowerCase();
  if (reset !== undefined) {
    if (fromBeginning && reset !== 'earliest') throw new UsageError(`Can't simultaneously specify --from-beginning and 'auto.offset.reset=${reset}', please remove one option`);
    if (reset !== 'earliest' && reset !== 'latest' && reset !== 'none') throw new UsageError(`Invalid value ${reset} for configuration auto.offset.reset: String must be one of: earliest, latest, none`);
    config.set('auto.offset.reset', reset);
  } else {
    config.set('auto.offset.reset', fromBeginning ? 'earliest' : 'latest');
  }
  if (isolationFlag !== undefined) config.set('isolation.level', isolationFlag);
  else if (config.has('isolation.level')) {
    const level = config.get('isolation.level')!.trim().toLowerCase();
    if (level !== 'read_uncommitted' && level !== 'read_committed') throw new UsageError(`Invalid value ${level} for configuration isolation.level: String must be one of: read_committed, read_uncommitted`);
    config.set('isolation.level', level);
  }
  if (!config.has('client.id')) config.set('client.id', 'console-consumer');
  // Records print from their bytes (ConsoleConsumer's consumer uses ByteArrayDeserializer).
  config.delete('key.deserializer');
  config.delete('value.deserializer');
  if (group !== null) config.set('group.id', group);
  else {
    // No group: the tool assigns partitions itself and commits nothing.
    config.delete('group.id');
    config.delete('enable.auto.commit');
  }
  config.set('bootstrap.servers', bootstrapServers(args));
  const maxMessages = intFlag(args, 'max-messages');
  const timeoutMs = intFlag(args, 'timeout-ms');
  return { topic, group, partition, start, maxMessages, timeoutMs, config };
}

export async function consumeCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, BOOLEAN_FLAGS);
  checkFlags(args, KNOWN_FLAGS);
  const s = consumerSettings(args);
  const formatter = formatterOptions(clientProperties(args, 'formatter-config', ['property', 'formatter-property']));
  const topic = s.topic;

  let consumer: Consumer;
  try {
    consumer = new Consumer(Object.fromEntries(s.config) as unknown as ConsumerConfig);
  } catch (err) {
    if (err instanceof ConfigException || err instanceof TypeError) throw new UsageError(err.message);
    throw err;
  }

  let processed = 0;
  let stopping = false;
  const stop = (): void => {
    stopping = true;
    consumer.wakeup();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second Ctrl-C: do not wait for the commit and the LeaveGroup.
      process.stderr.write(`samsa consume: ${signal} again, exiting at once\nProcessed a total of ${processed} messages\n`);
      process.exit(1);
    }
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A reader that goes away (`| head`) ends the consumer quietly, as it does Kafka's.
  process.stdout.on('error', stop);
  /** Per partition, the offset of the first record polled but not printed (--max-messages). */
  const unprinted = new Map<number, bigint>();
  let exitCode = 0;
  try {
    const partitions = (await consumer.partitionsFor(topic)).map((p) => p.partition);
    if (partitions.length === 0) throw KafkaError.from(ErrorCode.LEADER_NOT_AVAILABLE, `topic ${topic} has no partitions`);
    if (s.group !== null) {
      consumer.subscribe([topic]);
    } else {
      const wanted = s.partition === undefined ? partitions : [s.partition];
      for (const p of wanted) {
        if (!partitions.includes(p)) throw KafkaError.from(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${p}: the topic has ${partitions.length} partition(s)`);
      }
      const tps = wanted.map((partition) => ({ topic, partition }));
      consumer.assign(tps);
      const start = s.start;
      if (start === 'earliest') consumer.seekToBeginning(tps);
      else if (start === 'latest') consumer.seekToEnd(tps);
      else for (const tp of tps) consumer.seek(tp, start);
    }
    let lastRecordAt = Date.now();
    const limit = s.maxMessages ?? Number.POSITIVE_INFINITY;
    while (!stopping && processed < limit) {
      let wait = 1000;
      if (s.timeoutMs !== undefined) {
        const left = lastRecordAt + s.timeoutMs - Date.now();
        if (left <= 0) {
          process.stderr.write('[samsa] Error processing message, terminating consumer process: TimeoutException: no record within --timeout-ms\n');
          break;
        }
        wait = Math.min(wait, left);
      }
      let records: readonly ConsumerRecord<Buffer | null, Buffer | null>[];
      try {
        records = (await consumer.poll(wait)).all;
      } catch (err) {
        if (err instanceof WakeupError && stopping) break;
        throw err;
      }
      if (records.length === 0) continue;
      lastRecordAt = Date.now();
      const parts: string[] = [];
      for (const r of records) {
        if (processed >= limit) {
          if (!unprinted.has(r.partition)) unprinted.set(r.partition, r.offset);
          continue;
        }
        formatRecord(r.partition, r, formatter, parts);
        processed++;
      }
      if (!process.stdout.write(parts.join('')) && !stopping) await drained();
    }
  } catch (err) {
    if (!stopping) {
      process.stderr.write(`Error: ${describeError(err)}\n`);
      exitCode = 1;
    }
  } finally {
    // Records polled past --max-messages were not printed: move back so the
    // group's commit on close covers exactly what was printed.
    for (const [partition, offset] of unprinted) {
      try {
        consumer.seek({ topic, partition }, offset);
      } catch {
        // no longer assigned
      }
    }
    // Commits (enable.auto.commit in a group), leaves the group, closes connections.
    await consumer.close().catch((err: unknown) => {
      process.stderr.write(`Error while closing the consumer: ${describeError(err)}\n`);
    });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.stdout.off('error', stop);
  }
  process.stderr.write(`Processed a total of ${processed} messages\n`);
  return exitCode;
}
