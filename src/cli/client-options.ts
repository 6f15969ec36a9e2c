/**
 * What every client-side tool shares: --bootstrap-server (default localhost:9092),
 * client properties from --command-config / --producer.config / --consumer.config
 * files and repeated key=value flags, and how errors are printed.
 */
import { readFileSync } from 'node:fs';
import { parseProperties } from '../broker/config/properties.ts';
import { ConnectionError } from '../client/network/errors.ts';
import { KafkaError } from '../protocol/errors/index.ts';
import { flag, flagAll, keyValues, UsageError } from './args.ts';
import type { ParsedArgs } from './args.ts';

export const DEFAULT_BOOTSTRAP = 'localhost:9092';

export function bootstrapServers(args: ParsedArgs): string {
  return flag(args, 'bootstrap-server') ?? flag(args, 'broker-list') ?? DEFAULT_BOOTSTRAP;
}

/** Client properties: the file first, then each --<flagName> key=value over it. */
export function clientProperties(args: ParsedArgs, fileFlag: string, pairFlags: readonly string[]): Map<string, string> {
  const props = new Map<string, string>();
  const file = flag(args, fileFlag);
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --${fileFlag} ${file}: ${(err as Error).message}`);
    }
    for (const [k, v] of parseProperties(text)) props.set(k, v);
  }
  for (const f of pairFlags) for (const [k, v] of keyValues(flagAll(args, f), `--${f}`)) props.set(k, v);
  return props;
}

/** Refuses flags the tool does not know, as Kafka's tools do (a typo must not be ignored). */
export function checkFlags(args: ParsedArgs, known: readonly string[]): void {
  for (const name of args.flags.keys()) {
    if (!known.includes(name)) throw new UsageError(`${name} is not a recognized option`);
  }
}

export function intProperty(props: ReadonlyMap<string, string>, name: string, fallback: number): number {
  const raw = props.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw.trim());
  if (!Number.isSafeInteger(n)) throw new UsageError(`Invalid value ${raw} for configuration ${name}: Not a number of type INT`);
  return n;
}

export function intFlag(args: ParsedArgs, name: string): number | undefined {
  const raw = flag(args, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${name} must be an integer, got '${raw}'`);
  return n;
}

/** Connection settings a tool passes to the client, from its properties. */
export function connectionSettings(props: ReadonlyMap<string, string>): { clientId?: string; requestTimeoutMs?: number; connectTimeoutMs?: number } {
  const out: { clientId?: string; requestTimeoutMs?: number; connectTimeoutMs?: number } = {};
  const clientId = props.get('client.id');
  if (clientId !== undefined) out.clientId = clientId;
  if (props.has('request.timeout.ms')) out.requestTimeoutMs = intProperty(props, 'request.timeout.ms', 30_000);
  if (props.has('socket.connection.setup.timeout.ms')) out.connectTimeoutMs = intProperty(props, 'socket.connection.setup.timeout.ms', 10_000);
  return out;
}

/** One line for an error a user can act on: Kafka's error name, or the connection problem. */
export function describeError(err: unknown): string {
  if (err instanceof KafkaError) return `${err.name}: ${err.message}`;
  if (err instanceof ConnectionError) return `${err.name}: ${err.message}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
