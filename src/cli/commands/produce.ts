/**
 * `samsa produce`: Kafka's kafka-console-producer.sh on Samsa's client Producer.
 * Reads lines from stdin and writes one record per line (Kafka's
 * LineMessageReader properties: parse.key, key.separator, parse.headers,
 * headers.delimiter, headers.separator, headers.key.separator, null.marker,
 * ignore.error).
 *
 * Producer configs as ConsoleProducer builds them: the --producer.config file,
 * --producer-property over it, then each tool option (--timeout → linger.ms,
 * --request-required-acks → acks, ...) over both when given, or as the default
 * when the property is not set (Kafka's CommandLineUtils.maybeMergeOptions). The
 * tool's defaults are ConsoleProducer's, not KafkaProducer's: linger.ms 1000,
 * request.timeout.ms 1500, retries 3, client.id console-producer.
 */
import { createInterface } from 'node:readline';
import type { Interface } from 'node:readline';
import { ConfigException } from '../../client/producer/errors.ts';
import { Producer } from '../../client/producer/producer.ts';
import type { ProducerErrorInfo } from '../../client/producer/producer.ts';
import type { ProducerConfig } from '../../client/producer/config.ts';
import type { ProducerHeader } from '../../client/producer/producer-record.ts';
import type { SendFuture } from '../../client/producer/producer-batch.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors/index.ts';
import { flag, parseArgs, UsageError } from '../args.ts';
import { bootstrapServers, checkFlags, clientProperties, describeError, intFlag } from '../client-options.ts';
import type { ParsedArgs } from '../args.ts';

export const PRODUCE_USAGE = `Usage: samsa produce --bootstrap-server <host:port> --topic <topic> [options]

Reads lines from stdin and produces one record per line (kafka-console-producer).

Options:
  --bootstrap-server <host:port,...>   brokers to connect to (default localhost:9092)
  --topic <topic>                      topic to produce to (required)
  --property <key=value>               line reader property (repeatable); also --reader-property:
                                         parse.key=true, key.separator=<sep> (default tab),
                                         parse.headers=true, headers.delimiter (tab),
                                         headers.separator (,), headers.key.separator (:),
                                         null.marker=<text>, ignore.error=true
  --reader-config <file>               line reader properties file
  --compression-codec [codec]          none (default), gzip (when given without a value), snappy, lz4, zstd
  --request-required-acks <acks>       acks: -1/all, 1 or 0 (default -1)
  --producer-property <key=value>      producer config by Kafka's names (repeatable): acks,
                                         compression.type, batch.size, linger.ms, retries,
                                         request.timeout.ms, enable.idempotence (default true
                                         with acks=all), delivery.timeout.ms, client.id ...
  --producer.config <file>             producer config file (--producer-property overrides it)
  --batch-size <bytes>                 batch.size (default 16384); also --max-partition-memory-bytes
  --timeout <ms>                       linger.ms (default 1000); also --linger-ms
  --request-timeout-ms <ms>            request.timeout.ms (default 1500)
  --message-send-max-retries <n>       retries (default 3)
  --retry-backoff-ms <ms>              retry.backoff.ms (default 100)
  --max-block-ms <ms>                  max.block.ms (default 60000)
  --max-memory-bytes <bytes>           buffer.memory (default 33554432)
  --metadata-expiry-ms <ms>            metadata.max.age.ms (default 300000)
  --sync                               send each line on its own and wait for its answer
                                         (linger.ms=0); stop at the first failure
  --help                               this text

End of input, Ctrl-C or SIGTERM: sends what is buffered, waits for the answers, exits
(a second Ctrl-C exits at once). Exits 1 if the topic is unknown (and not
auto-created), the brokers cannot be reached, or any record failed, printing the
Kafka error name; a record a broker cannot take fails after delivery.timeout.ms
(default 120000).`;

const BOOLEAN_FLAGS = new Set(['sync', 'help']);
const KNOWN_FLAGS = [
  ...BOOLEAN_FLAGS,
  'bootstrap-server', 'broker-list', 'topic', 'property', 'reader-property', 'reader-config', 'line-reader',
  'compression-codec', 'request-required-acks', 'producer-property', 'producer.config', 'batch-size',
  'max-partition-memory-bytes', 'timeout', 'linger-ms', 'request-timeout-ms', 'message-send-max-retries',
  'retry-backoff-ms', 'max-block-ms', 'max-memory-bytes', 'metadata-expiry-ms', 'socket-buffer-size',
];

/** --compression-codec takes an optional value, as in Kafka: alone it means gzip. */
function normaliseArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    out.push(argv[i]!);
    if (argv[i] === '--compression-codec' && (i + 1 >= argv.length || argv[i + 1]!.startsWith('--'))) out.push('gzip');
  }
  return out;
}

interface LineReaderOptions {
  parseKey: boolean;
  keySeparator: string;
  parseHeaders: boolean;
  headersDelimiter: string;
  headersSeparator: string;
  headersKeySeparator: string;
  nullMarker: string | undefined;
  ignoreError: boolean;
}

/** One line's record: what the Producer gets besides the topic. */
export interface LineRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: ProducerHeader[];
}

class LineFormatError extends Error {}

/** Kafka's LineMessageReader: [headers<headers.delimiter>][key<key.separator>]value. */
export function parseLine(line: string, lineNumber: number, o: LineReaderOptions): LineRecord {
  let rest = line;
  let headers: ProducerHeader[] | undefined;
  const bytes = (s: string): Buffer | null => (o.nullMarker !== undefined && s === o.nullMarker ? null : Buffer.from(s, 'utf8'));
  if (o.parseHeaders) {
    const i = rest.indexOf(o.headersDelimiter);
    if (i < 0) {
      if (!o.ignoreError) throw new LineFormatError(`No headers delimiter found on line number ${lineNumber}: '${line}'`);
    } else {
      const text = rest.slice(0, i);
      rest = rest.slice(i + o.headersDelimiter.length);
      headers = text === '' ? [] : text.split(o.headersSeparator).map((h) => {
        const k = h.indexOf(o.headersKeySeparator);
        if (k < 0) return { key: h, value: null };
        return { key: h.slice(0, k), value: bytes(h.slice(k + o.headersKeySeparator.length)) };
      });
    }
  }
  if (o.parseKey) {
    const i = rest.indexOf(o.keySeparator);
    if (i < 0) {
      if (o.ignoreError) return { key: null, value: bytes(rest), ...(headers ? { headers } : {}) };
      throw new LineFormatError(`No key separator found on line number ${lineNumber}: '${line}'`);
    }
    return { key: bytes(rest.slice(0, i)), value: bytes(rest.slice(i + o.keySeparator.length)), ...(headers ? { headers } : {}) };
  }
  return { key: null, value: bytes(rest), ...(headers ? { headers } : {}) };
}

/**
 * The producer's configs by Kafka's names, as ConsoleProducerOptions.producerProps
 * builds them (string values; the client parses them as KafkaProducer does).
 */
export function producerProperties(args: ParsedArgs): Map<string, string> {
  const props = clientProperties(args, 'producer.config', ['producer-property']);
  // maybeMergeOptions: a given option wins; its default applies only when the property is unset.
  const merge = (name: string, given: number | string | undefined, fallback: string | null): void => {
    if (given !== undefined) props.set(name, String(given));
    else if (!props.has(name) && fallback !== null) props.set(name, fallback);
  };
  merge('linger.ms', intFlag(args, 'timeout') ?? intFlag(args, 'linger-ms'), '1000');
  merge('acks', flag(args, 'request-required-acks'), '-1');
  merge('request.timeout.ms', intFlag(args, 'request-timeout-ms'), '1500');
  merge('retries', intFlag(args, 'message-send-max-retries'), '3');
  merge('retry.backoff.ms', intFlag(args, 'retry-backoff-ms'), '100');
  merge('buffer.memory', intFlag(args, 'max-memory-bytes'), '33554432');
  merge('batch.size', intFlag(args, 'batch-size'), '16384');
  merge('batch.size', intFlag(args, 'max-partition-memory-bytes'), null);
  merge('metadata.max.age.ms', intFlag(args, 'metadata-expiry-ms'), '300000');
  merge('max.block.ms', intFlag(args, 'max-block-ms'), '60000');
  merge('compression.type', flag(args, 'compression-codec'), 'none');
  intFlag(args, 'socket-buffer-size'); // send.buffer.bytes: accepted, Node sizes its socket buffers itself
  if (!props.has('client.id')) props.set('client.id', 'console-producer');
  // The reader makes bytes; ConsoleProducer's serializers are ByteArraySerializer whatever is configured.
  props.delete('key.serializer');
  props.delete('value.serializer');
  props.delete('bootstrap.servers');
  if (args.flags.has('sync')) props.set('linger.ms', '0');
  return props;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Waits for the topic's metadata, as the Java producer's first send does, but
 * fails at once for a topic that does not exist (and was not auto-created) or
 * brokers that cannot be reached, instead of after max.block.ms. A topic just
 * auto-created may have no leader yet (LEADER_NOT_AVAILABLE): waited for.
 */
async function awaitTopic(producer: Producer<Buffer | null, Buffer | null>, topic: string): Promise<void> {
  const deadline = Date.now() + producer.config.maxBlockMs;
  for (;;) {
    try {
      const partitions = await producer.partitionsFor(topic);
      if (partitions.length > 0) return;
      throw KafkaError.from(ErrorCode.LEADER_NOT_AVAILABLE, `topic ${topic} has no partitions`);
    } catch (err) {
      const waitable = err instanceof KafkaError && (err.code === ErrorCode.LEADER_NOT_AVAILABLE || err.code === ErrorCode.REQUEST_TIMED_OUT);
      const backoff = producer.config.retryBackoffMs;
      if (!waitable || Date.now() + backoff > deadline) throw err;
      await sleep(backoff);
    }
  }
}

export async function produceCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(normaliseArgv(argv), BOOLEAN_FLAGS);
  checkFlags(args, KNOWN_FLAGS);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'\n${PRODUCE_USAGE}`);
  const topic = flag(args, 'topic');
  if (topic === undefined) throw new UsageError('Missing required argument "[topic]"');
  const lineReader = flag(args, 'line-reader');
  if (lineReader !== undefined && !/(^|\.)LineMessageReader$/.test(lineReader)) {
    throw new UsageError(`--line-reader ${lineReader} is not supported: only kafka.tools.LineMessageReader`);
  }
  const reader = clientProperties(args, 'reader-config', ['property', 'reader-property']);
  const props = producerProperties(args);
  const sync = args.flags.has('sync');
  const lineOptions: LineReaderOptions = {
    parseKey: (reader.get('parse.key') ?? 'false').trim().toLowerCase() === 'true',
    keySeparator: reader.get('key.separator') ?? '\t',
    parseHeaders: (reader.get('parse.headers') ?? 'false').trim().toLowerCase() === 'true',
    headersDelimiter: reader.get('headers.delimiter') ?? '\t',
    headersSeparator: reader.get('headers.separator') ?? ',',
    headersKeySeparator: reader.get('headers.key.separator') ?? ':',
    nullMarker: reader.get('null.marker'),
    ignoreError: (reader.get('ignore.error') ?? 'false').trim().toLowerCase() === 'true',
  };
  if (lineOptions.keySeparator === '') throw new UsageError('key.separator must not be empty');

  // The producer's config warnings (an unknown config name) as one log line each, as Kafka logs them.
  process.removeAllListeners('warning');
  process.on('warning', (w: Error) => void process.stderr.write(`[samsa] WARN ${w.message}\n`));
  let producer: Producer<Buffer | null, Buffer | null>;
  try {
    const config = { ...Object.fromEntries(props), 'bootstrap.servers': bootstrapServers(args) } as ProducerConfig<Buffer | null, Buffer | null>;
    producer = new Producer<Buffer | null, Buffer | null>(config);
  } catch (err) {
    // KafkaProducer's constructor checks (acks, idempotence, compression.type, ...).
    if (err instanceof ConfigException || err instanceof TypeError) throw new UsageError(err.message);
    throw err;
  }

  let sent = 0;
  let failed = 0;
  let reported = 0;
  let firstError: Error | null = null;
  const report = (err: Error, partition: number, records: number): void => {
    failed += records;
    firstError ??= err;
    if (reported++ < 10) {
      const where = partition >= 0 ? ` partition ${partition}` : '';
      process.stderr.write(`Error when sending ${records} message(s) to topic ${topic}${where} with error: ${describeError(err)}\n`);
    }
  };
  // Failed batches nobody awaits: one report per batch.
  producer.on('error', (err: Error, info: ProducerErrorInfo) => report(err, info.partition, info.records));
  /** Awaits one record's answer, reporting its failure; true when it was written. */
  const settled = (f: SendFuture): Promise<boolean> =>
    f.then(
      () => true,
      (err: unknown) => {
        report(err as Error, f.partition, 1);
        return false;
      },
    );

  // Made once the topic is known: lines read before the loop starts would be lost.
  let rl: Interface | null = null;
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      // A second Ctrl-C: do not wait for the brokers any longer.
      process.stderr.write(`samsa produce: ${signal} again, exiting without waiting for buffered records\n`);
      process.exit(1);
    }
    interrupted = true;
    if (rl !== null) rl.close();
    else process.stdin.destroy();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let exitCode = 0;
  try {
    try {
      await awaitTopic(producer, topic);
    } catch (err) {
      process.stderr.write(`Error: cannot produce to topic ${topic}: ${describeError(err)}\n`);
      return 1;
    }
    if (interrupted) return 0;
    rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
    // On a terminal Kafka's reader prompts with '>' for each line.
    const prompt = process.stdin.isTTY === true ? (): void => void process.stdout.write('>') : (): void => {};
    let lineNumber = 0;
    prompt();
    for await (const line of rl) {
      lineNumber++;
      let record: LineRecord;
      try {
        record = parseLine(line, lineNumber, lineOptions);
      } catch (err) {
        if (!(err instanceof LineFormatError)) throw err;
        process.stderr.write(`Error: ${err.message}\n`);
        exitCode = 1;
        break;
      }
      const future = producer.send({ topic, key: record.key, value: record.value, ...(record.headers ? { headers: record.headers } : {}) });
      sent++;
      if (sync) {
        // ConsoleProducer's --sync: send(record).get(); the first failure ends the tool.
        if (!(await settled(future))) break;
      } else if (producer.memoryWaiters > 0) {
        // buffer.memory is full: stop reading until this record is answered.
        await settled(future);
      }
      if (interrupted) break;
      prompt();
    }
  } finally {
    rl?.close();
    // Sends what is buffered and waits for every answer (Java's close()).
    await producer.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (firstError !== null) {
    process.stderr.write(`samsa produce: ${failed} record(s) failed, ${sent - failed} acknowledged. First error: ${describeError(firstError)}\n`);
    return 1;
  }
  return exitCode;
}
