/**
 * A small argv parser in the style of Kafka's tools: `--name value`, `--name=value`,
 * repeatable flags collected in order, boolean flags with no value.
 */
export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string[]>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseArgs(argv: readonly string[], booleanFlags: ReadonlySet<string> = new Set()): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  const add = (k: string, v: string): void => {
    const list = flags.get(k) ?? [];
    list.push(v);
    flags.set(k, list);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '--') {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0) {
      add(a.slice(2, eq), a.slice(eq + 1));
    } else if (booleanFlags.has(a.slice(2))) {
      add(a.slice(2), 'true');
    } else {
      const v = argv[i + 1];
      if (v === undefined) throw new UsageError(`Missing value for ${a}`);
      add(a.slice(2), v);
      i++;
    }
  }
  return { positionals, flags };
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return v === undefined ? undefined : v[v.length - 1];
}

export function flagAll(args: ParsedArgs, name: string): string[] {
  return args.flags.get(name) ?? [];
}

/** Parses `key=value` pairs (as --override, --config, --property take them). */
export function keyValues(pairs: readonly string[], what: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`Invalid ${what} '${p}': expected key=value`);
    out.set(p.slice(0, eq).trim(), p.slice(eq + 1));
  }
  return out;
}
