/**
 * Typed config definitions in the shape of Kafka's ConfigDef: a name, a type, a
 * default, a validator, and whether (and how) the value can change at run time.
 * Values keep the string a user wrote (DescribeConfigs answers with it) next to the
 * parsed value the code uses.
 */
export type ConfigType = 'boolean' | 'int' | 'short' | 'long' | 'double' | 'string' | 'list' | 'password' | 'class';

/** Kafka's DescribeConfigs config_type codes (KIP-569). */
export const CONFIG_TYPE_CODE: Record<ConfigType, number> = {
  boolean: 1, string: 2, int: 3, short: 4, long: 5, double: 6, list: 7, class: 8, password: 9,
};

/** read-only: needs a restart; per-broker / cluster-wide: dynamic, as Kafka's DynamicBrokerConfig. */
export type DynamicMode = 'read-only' | 'per-broker' | 'cluster-wide';

export type ConfigValue = boolean | number | string | string[] | null;

export interface ConfigDef {
  name: string;
  type: ConfigType;
  /** The default as Kafka writes it (null = no default). */
  default: string | null;
  doc: string;
  dynamic?: DynamicMode;
  /** Allowed values for enumerated string configs. */
  oneOf?: readonly string[];
  /** Inclusive lower bound for numbers. */
  min?: number;
  max?: number;
  sensitive?: boolean;
}

export class ConfigException extends Error {
  constructor(name: string, value: string, reason: string) {
    super(`Invalid value ${value} for configuration ${name}: ${reason}`);
    this.name = 'ConfigException';
  }
}

const LONG_MAX = 9223372036854775807n;
const LONG_MIN = -9223372036854775808n;

/** Parses and validates one value. Longs beyond 2^53 are clamped to the safe range. */
export function parseConfigValue(def: ConfigDef, raw: string | null): ConfigValue {
  if (raw === null) return null;
  const s = raw.trim();
  let v: ConfigValue;
  switch (def.type) {
    case 'boolean': {
      const l = s.toLowerCase();
      if (l !== 'true' && l !== 'false') throw new ConfigException(def.name, raw, 'Expected value to be either true or false');
      v = l === 'true';
      break;
    }
    case 'int':
    case 'short':
    case 'long': {
      if (!/^[+-]?\d+$/.test(s)) throw new ConfigException(def.name, raw, `Not a number of type ${def.type.toUpperCase()}`);
      const big = BigInt(s);
      const [lo, hi] = def.type === 'int' ? [-(2n ** 31n), 2n ** 31n - 1n] : def.type === 'short' ? [-32768n, 32767n] : [LONG_MIN, LONG_MAX];
      if (big < lo || big > hi) throw new ConfigException(def.name, raw, `Not a number of type ${def.type.toUpperCase()}`);
      v = big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : big < BigInt(Number.MIN_SAFE_INTEGER) ? Number.MIN_SAFE_INTEGER : Number(big);
      break;
    }
    case 'double': {
      const n = Number(s);
      if (s === '' || Number.isNaN(n)) throw new ConfigException(def.name, raw, 'Not a number of type DOUBLE');
      v = n;
      break;
    }
    case 'list':
      v = s === '' ? [] : s.split(',').map((x) => x.trim());
      break;
    default:
      v = s;
  }
  if (typeof v === 'number') {
    if (def.min !== undefined && v < def.min) throw new ConfigException(def.name, raw, `Value must be at least ${def.min}`);
    if (def.max !== undefined && v > def.max) throw new ConfigException(def.name, raw, `Value must be no more than ${def.max}`);
  }
  if (def.oneOf) {
    const values = Array.isArray(v) ? v : [String(v)];
    for (const x of values) {
      if (!def.oneOf.includes(x.toLowerCase()) && !def.oneOf.includes(x)) {
        throw new ConfigException(def.name, raw, `String must be one of: ${def.oneOf.join(', ')}`);
      }
    }
  }
  return v;
}
