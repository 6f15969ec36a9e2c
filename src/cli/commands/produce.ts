/**
 * `samsa produce`: Kafka's kafka-console-producer.sh. Reads lines from stdin and
 * writes one record per line (Kafka's LineMessageReader properties: parse.key,
 * key.separator, parse.headers, headers.delimiter, headers.separator,
 * headers.key.separator, null.marker, ignore.error).
 */
import { createInterface } from 'node:readline';
import { Cluster } from '../../client/network/cluster.ts';
import { codecFromName } from '../../protocol/compression/codec.ts';
import type { RecordHeaderInput } from '../../protocol/records/record.ts';
import { flag, flagAll, keyValues, parseArgs, UsageError } from '../args.ts';
import { bootstrapServers, checkFlags, clientProperties, connectionSettings, describeError, intFlag, intProperty } from '../client-options.ts';
import { ConsoleProducer } from '../console-producer.ts';
import type { ProducerRecord } from '../console-producer.ts';

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
  --compression-codec [codec]          none, gzip (default when given without a value), snappy, lz4, zstd
  --request-required-acks <acks>       -1/all, 1 or 0 (default -1)
  --producer-property <key=value>      producer config (repeatable): acks, compression.type,
                                         batch.size, linger.ms, retries, request.timeout.ms,
                                         enable.idempotence (default true with acks=all), client.id ...
  --producer.config <file>             producer config file
  --batch-size <bytes>                 batch.size (default 16384)
  --timeout <ms>                       linger.ms (default 1000)
  --request-timeout-ms <ms>            request.timeout.ms (default 1500)
  --message-send-max-retries <n>       retries (default 3)
  --sync                               send each line on its own (linger.ms=0, batch of one)
  --help                               this text

Exits 1 if any record failed, printing the Kafka error name.`;

const BOOLEAN_FLAGS = new Set(['sync', 'help']);

/** --compression-codec takes an optional value, as in Kafka: alone it means gzip. */
function normaliseArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    out.push(argv[i]!);
    if (argv[i] === '--compression-codec' && (i + 1 >= argv.length || argv[i + 1]!.startsWith('--'))) out.push('gzip');
  }
  return out;
}

function parseAcks(raw: string): number {
  const v = raw.trim().toLowerCase();
  if (v === 'all' || v === '-1') return -1;
  if (v === '0' || v === '1') return Number(v);
  throw new UsageError(`Invalid value ${raw} for configuration acks: String must be one of: all, -1, 0, 1`);
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

class LineFormatError extends Error {}

/** Kafka's LineMessageReader: [headers<headers.delimiter>][key<key.separator>]value. */
export function parseLine(line: string, lineNumber: number, o: LineReaderOptions): ProducerRecord {
  let rest = line;
  let headers: RecordHeaderInput[] | undefined;
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

export async function produceCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(normaliseArgv(argv), BOOLEAN_FLAGS);
  checkFlags(args, [...BOOLEAN_FLAGS, 'bootstrap-server', 'broker-list', 'topic', 'property', 'reader-property', 'reader-config', 'compression-codec', 'request-required-acks', 'producer-property', 'producer.config', 'batch-size', 'timeout', 'linger-ms', 'request-timeout-ms', 'message-send-max-retries', 'retry-backoff-ms']);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'\n${PRODUCE_USAGE}`);
  const topic = flag(args, 'topic');
  if (topic === undefined) throw new UsageError('Missing required argument "[topic]"');
  const reader = clientProperties(args, 'reader-config', ['property', 'reader-property']);
  const props = clientProperties(args, 'producer.config', []);
  // Explicit tool options, then --producer-property over them (as ConsoleProducer does).
  const setIf = (name: string, v: string | number | undefined): void => {
    if (v !== undefined) props.set(name, String(v));
  };
  setIf('compression.type', flag(args, 'compression-codec'));
  setIf('acks', flag(args, 'request-required-acks'));
  setIf('batch.size', intFlag(args, 'batch-size'));
  setIf('linger.ms', intFlag(args, 'timeout') ?? intFlag(args, 'linger-ms'));
  setIf('request.timeout.ms', intFlag(args, 'request-timeout-ms'));
  setIf('retries', intFlag(args, 'message-send-max-retries'));
  setIf('retry.backoff.ms', intFlag(args, 'retry-backoff-ms'));
  for (const [k, v] of keyValues(flagAll(args, 'producer-property'), '--producer-property')) props.set(k, v);
  const sync = args.flags.has('sync');

  const codecName = props.get('compression.type') ?? 'none';
  const compression = codecFromName(codecName);
  if (compression === undefined) throw new UsageError(`Invalid value ${codecName} for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd`);
  const acks = parseAcks(props.get('acks') ?? '-1');
  const requestTimeoutMs = intProperty(props, 'request.timeout.ms', 1500);
  // As the Java producer: idempotent by default with acks=all, off by default otherwise.
  const idempotenceSetting = props.get('enable.idempotence')?.trim().toLowerCase();
  if (idempotenceSetting === 'true' && acks !== -1) throw new UsageError('Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.');
  const idempotent = idempotenceSetting === undefined ? acks === -1 : idempotenceSetting === 'true';
  const lineOptions: LineReaderOptions = {
    parseKey: (reader.get('parse.key') ?? 'false').toLowerCase() === 'true',
    keySeparator: reader.get('key.separator') ?? '\t',
    parseHeaders: (reader.get('parse.headers') ?? 'false').toLowerCase() === 'true',
    headersDelimiter: reader.get('headers.delimiter') ?? '\t',
    headersSeparator: reader.get('headers.separator') ?? ',',
    headersKeySeparator: reader.get('headers.key.separator') ?? ':',
    nullMarker: reader.get('null.marker'),
    ignoreError: (reader.get('ignore.error') ?? 'false').toLowerCase() === 'true',
  };
  if (lineOptions.keySeparator === '') throw new UsageError('key.separator must not be empty');

  const cluster = new Cluster({ bootstrapServers: bootstrapServers(args), ...connectionSettings(props), requestTimeoutMs: requestTimeoutMs + 5_000 });
  let reported = 0;
  const producer = new ConsoleProducer(cluster, {
    topic,
    acks,
    compression,
    batchSize: sync ? 1 : intProperty(props, 'batch.size', 16384),
    lingerMs: sync ? 0 : intProperty(props, 'linger.ms', 1000),
    requestTimeoutMs,
    retries: intProperty(props, 'retries', 3),
    retryBackoffMs: intProperty(props, 'retry.backoff.ms', 100),
    maxBufferedBytes: intProperty(props, 'buffer.memory', 32 * 1024 * 1024),
    idempotent,
    onError(err, partition, records) {
      if (reported++ < 10) {
        process.stderr.write(`Error when sending ${records} message(s) to topic ${topic} partition ${partition} with error: ${describeError(err)}\n`);
      }
    },
  });
  try {
    try {
      await producer.init(intProperty(props, 'max.block.ms', 60_000));
    } catch (err) {
      process.stderr.write(`Error: cannot produce to topic ${topic}: ${describeError(err)}\n`);
      return 1;
    }
    const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
    // On a terminal Kafka's reader prompts with '>' for each line.
    const prompt = process.stdin.isTTY === true ? (): void => void process.stdout.write('>') : (): void => {};
    let lineNumber = 0;
    prompt();
    for await (const line of rl) {
      lineNumber++;
      let record: ProducerRecord;
      try {
        record = parseLine(line, lineNumber, lineOptions);
      } catch (err) {
        if (!(err instanceof LineFormatError)) throw err;
        process.stderr.write(`Error: ${err.message}\n`);
        rl.close();
        await producer.flush();
        return 1;
      }
      await producer.send(record);
      if (sync) await producer.flush();
      prompt();
    }
    await producer.flush();
    if (producer.firstError) {
      process.stderr.write(`samsa produce: ${producer.failed} record(s) failed, ${producer.acked} acknowledged. First error: ${describeError(producer.firstError)}\n`);
      return 1;
    }
    return 0;
  } finally {
    cluster.close();
  }
}
