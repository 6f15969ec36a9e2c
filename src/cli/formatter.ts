/**
 * Kafka's DefaultMessageFormatter (kafka-console-consumer's --formatter default),
 * byte for byte: print.timestamp, print.partition, print.offset, print.headers,
 * print.key, print.value, key.separator, line.separator, headers.separator,
 * headers.key.separator, null.literal.
 */
import { ATTR_TIMESTAMP_TYPE_LOG_APPEND } from '../protocol/records/batch-header.ts';

export interface FormatterOptions {
  printTimestamp: boolean;
  printPartition: boolean;
  printOffset: boolean;
  printHeaders: boolean;
  printKey: boolean;
  printValue: boolean;
  keySeparator: string;
  lineSeparator: string;
  headersSeparator: string;
  headersKeySeparator: string;
  nullLiteral: string;
}

/**
 * What the formatter reads of a record: the client's ConsumerRecord (with its
 * raw key and value) or a DecodedRecord from the protocol layer.
 */
export interface FormattableRecord {
  readonly offset: bigint;
  readonly timestamp: number | bigint;
  readonly batch: { readonly attributes: number };
  readonly headers: readonly { readonly key: string; readonly value: Buffer | null }[];
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

function bool(props: ReadonlyMap<string, string>, name: string, fallback: boolean): boolean {
  const v = props.get(name);
  return v === undefined ? fallback : v.trim().toLowerCase() === 'true';
}

/** The formatter's options from its properties (--property / --formatter-config), with Kafka's defaults. */
export function formatterOptions(props: ReadonlyMap<string, string>): FormatterOptions {
  return {
    printTimestamp: bool(props, 'print.timestamp', false),
    printPartition: bool(props, 'print.partition', false),
    printOffset: bool(props, 'print.offset', false),
    printHeaders: bool(props, 'print.headers', false),
    printKey: bool(props, 'print.key', false),
    printValue: bool(props, 'print.value', true),
    keySeparator: props.get('key.separator') ?? '\t',
    lineSeparator: props.get('line.separator') ?? '\n',
    headersSeparator: props.get('headers.separator') ?? ',',
    headersKeySeparator: props.get('headers.key.separator') ?? ':',
    nullLiteral: props.get('null.literal') ?? 'null',
  };
}

/** Kafka's DefaultMessageFormatter.writeTo, appending to `parts`. */
export function formatRecord(partition: number, r: FormattableRecord, o: FormatterOptions, parts: string[]): void {
  const sep = (more: boolean): void => {
    parts.push(more ? o.keySeparator : o.lineSeparator);
  };
  const text = (b: Buffer | null): string => (b === null ? o.nullLiteral : b.toString('utf8'));
  if (o.printTimestamp) {
    const logAppend = (r.batch.attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0;
    parts.push(`${logAppend ? 'LogAppendTime' : 'CreateTime'}:${r.timestamp}`);
    sep(o.printPartition || o.printOffset || o.printHeaders || o.printKey || o.printValue);
  }
  if (o.printPartition) {
    parts.push(`Partition:${partition}`);
    sep(o.printOffset || o.printHeaders || o.printKey || o.printValue);
  }
  if (o.printOffset) {
    parts.push(`Offset:${r.offset}`);
    sep(o.printHeaders || o.printKey || o.printValue);
  }
  if (o.printHeaders) {
    if (r.headers.length === 0) parts.push('NO_HEADERS');
    else parts.push(r.headers.map((h) => `${h.key}${o.headersKeySeparator}${text(h.value)}`).join(o.headersSeparator));
    sep(o.printKey || o.printValue);
  }
  if (o.printKey) {
    parts.push(text(r.key));
    sep(o.printValue);
  }
  if (o.printValue) {
    parts.push(text(r.value));
    parts.push(o.lineSeparator);
  }
}
