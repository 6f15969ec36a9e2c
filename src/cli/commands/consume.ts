/**
 * `samsa consume`: Kafka's kafka-console-consumer.sh without a group: reads the
 * topic's partitions (or one, with --partition) from the latest offset, the
 * earliest (--from-beginning) or a given one (--offset), and prints records with
 * Kafka's DefaultMessageFormatter.
 */
import { Cluster } from '../../client/network/cluster.ts';
import { flag, flagAll, keyValues, parseArgs, UsageError } from '../args.ts';
import { bootstrapServers, checkFlags, clientProperties, connectionSettings, describeError, intFlag, intProperty } from '../client-options.ts';
import { ConsoleConsumer, formatRecord } from '../console-consumer.ts';
import type { FormatterOptions, OffsetSpec } from '../console-consumer.ts';

export const CONSUME_USAGE = `Usage: samsa consume --bootstrap-server <host:port> --topic <topic> [options]

Prints records of a topic to stdout (kafka-console-consumer), without a consumer group.

Options:
  --bootstrap-server <host:port,...>  brokers to connect to (default localhost:9092)
  --topic <topic>                     topic to read (required)
  --partition <n>                     read only this partition
  --offset <earliest|latest|n>        where to start in --partition (default latest)
  --from-beginning                    start at the earliest offset instead of the latest
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
  --consumer-property <key=value>     consumer config (repeatable): auto.offset.reset,
                                        fetch.max.wait.ms, fetch.min.bytes, fetch.max.bytes,
                                        max.partition.fetch.bytes, client.id, request.timeout.ms
  --consumer.config <file>            consumer config file
  --skip-message-on-error             accepted for compatibility
  --help                              this text

Consumer groups (--group) need the group coordinator, which Samsa does not have yet.`;

const BOOLEAN_FLAGS = new Set(['from-beginning', 'skip-message-on-error', 'enable-systest-events', 'help']);

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

function bool(props: ReadonlyMap<string, string>, name: string, fallback: boolean): boolean {
  const v = props.get(name);
  return v === undefined ? fallback : v.trim().toLowerCase() === 'true';
}

export async function consumeCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, BOOLEAN_FLAGS);
  checkFlags(args, [...BOOLEAN_FLAGS, 'bootstrap-server', 'topic', 'group', 'partition', 'offset', 'max-messages', 'timeout-ms', 'isolation-level', 'property', 'formatter-property', 'formatter-config', 'consumer-property', 'consumer.config', 'formatter', 'key-deserializer', 'value-deserializer']);
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
  if (flag(args, 'group') !== undefined || flagAll(args, 'consumer-property').some((p) => p.startsWith('group.id='))) {
    throw new UsageError('--group is not supported yet: Samsa has no group coordinator. Without --group the consumer reads every partition (or --partition) with no offset commits.');
  }
  const partition = intFlag(args, 'partition');
  const offsetText = flag(args, 'offset');
  const fromBeginning = args.flags.has('from-beginning');
  if (offsetText !== undefined && partition === undefined) throw new UsageError('The partition is required when offset is specified.');
  if (offsetText !== undefined && fromBeginning) throw new UsageError('Options from-beginning and offset cannot be specified together.');
  let start: OffsetSpec = fromBeginning ? 'earliest' : 'latest';
  if (offsetText !== undefined) {
    const t = offsetText.trim().toLowerCase();
    if (t === 'earliest' || t === 'latest') start = t;
    else if (/^\d+$/.test(t)) start = BigInt(t);
    else throw new UsageError(`The provided offset value '${offsetText}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.`);
  }
  const maxMessages = intFlag(args, 'max-messages');
  const timeoutMs = intFlag(args, 'timeout-ms');
  const isolation = (flag(args, 'isolation-level') ?? 'read_uncommitted').toLowerCase();
  if (isolation !== 'read_uncommitted' && isolation !== 'read_committed') throw new UsageError(`Invalid --isolation-level '${isolation}'`);

  const fmt = clientProperties(args, 'formatter-config', ['property', 'formatter-property']);
  const props = clientProperties(args, 'consumer.config', []);
  for (const [k, v] of keyValues(flagAll(args, 'consumer-property'), '--consumer-property')) props.set(k, v);
  const formatter: FormatterOptions = {
    printTimestamp: bool(fmt, 'print.timestamp', false),
    printPartition: bool(fmt, 'print.partition', false),
    printOffset: bool(fmt, 'print.offset', false),
    printHeaders: bool(fmt, 'print.headers', false),
    printKey: bool(fmt, 'print.key', false),
    printValue: bool(fmt, 'print.value', true),
    keySeparator: fmt.get('key.separator') ?? '\t',
    lineSeparator: fmt.get('line.separator') ?? '\n',
    headersSeparator: fmt.get('headers.separator') ?? ',',
    headersKeySeparator: fmt.get('headers.key.separator') ?? ':',
    nullLiteral: fmt.get('null.literal') ?? 'null',
  };
  const resetTo = (props.get('auto.offset.reset') ?? (fromBeginning ? 'earliest' : 'latest')).toLowerCase();
  if (resetTo !== 'earliest' && resetTo !== 'latest' && resetTo !== 'none') throw new UsageError(`Invalid value ${resetTo} for configuration auto.offset.reset`);
  const requestTimeoutMs = intProperty(props, 'request.timeout.ms', 30_000);
  const cluster = new Cluster({ bootstrapServers: bootstrapServers(args), ...connectionSettings(props) });
  const consumer = new ConsoleConsumer(cluster, {
    topic,
    partitions: partition === undefined ? null : [partition],
    start,
    resetTo,
    isolationLevel: isolation === 'read_committed' ? 1 : 0,
    maxWaitMs: Math.min(intProperty(props, 'fetch.max.wait.ms', 500), timeoutMs ?? Number.MAX_SAFE_INTEGER),
    minBytes: intProperty(props, 'fetch.min.bytes', 1),
    maxBytes: intProperty(props, 'fetch.max.bytes', 52_428_800),
    partitionMaxBytes: intProperty(props, 'max.partition.fetch.bytes', 1_048_576),
    requestTimeoutMs,
  });

  let processed = 0;
  let stopping = false;
  const onSignal = (): void => {
    stopping = true;
    cluster.close();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // A reader that goes away (`| head`) ends the consumer quietly, as it does Kafka's.
  const onStdoutError = (): void => {
    stopping = true;
    cluster.close();
  };
  process.stdout.on('error', onStdoutError);
  let exitCode = 0;
  try {
    await consumer.init();
    let lastRecordAt = Date.now();
    const limit = maxMessages ?? Number.POSITIVE_INFINITY;
    while (!stopping && processed < limit) {
      if (timeoutMs !== undefined && Date.now() - lastRecordAt >= timeoutMs) {
        process.stderr.write('[samsa] Error processing message, terminating consumer process: TimeoutException: no record within --timeout-ms\n');
        break;
      }
      const records = await consumer.poll();
      if (records.length === 0) continue;
      lastRecordAt = Date.now();
      const parts: string[] = [];
      for (const { partition: p, record } of records) {
        if (processed >= limit) break;
        formatRecord(p, record, formatter, parts);
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
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    cluster.close();
  }
  process.stderr.write(`Processed a total of ${processed} messages\n`);
  return exitCode;
}
