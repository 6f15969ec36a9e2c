/**
 * Seeded random values for any generated message, built by walking the schema
 * table the generator emits (src/protocol/generated/schemas.ts). A value for
 * version v has every field: random where the field exists in v (null only where
 * v allows it), the default elsewhere — exactly what decode(encode(x)) returns.
 */
import type { FieldSchema, MessageSchema, StructSchema, VersionSpan } from '../../../src/protocol/generated/schemas.ts';

export type Rng = () => number;

/** mulberry32: small, fast, good enough for test data. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function inSpan(s: VersionSpan | null, v: number): boolean {
  return s !== null && v >= s[0] && v <= s[1];
}

const FLOAT_SPECIALS = [0, -0, Number.NaN, Infinity, -Infinity, 1.5, -1e300, Number.MIN_VALUE];
const ALPHABET = 'abcXYZ019-_. é日😀';

function int(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

function randomString(rng: Rng): string {
  const chars = [...ALPHABET];
  let s = '';
  const n = int(rng, 0, 8);
  for (let i = 0; i < n; i++) s += chars[int(rng, 0, chars.length - 1)];
  return s;
}

function randomBuffer(rng: Rng, max = 12): Buffer {
  const b = Buffer.alloc(int(rng, 0, max));
  for (let i = 0; i < b.length; i++) b[i] = int(rng, 0, 255);
  return b;
}

function randomInt64(rng: Rng): bigint {
  switch (int(rng, 0, 4)) {
    case 0: return -1n;
    case 1: return 2n ** 63n - 1n;
    case 2: return -(2n ** 63n);
    default: return BigInt.asIntN(64, (BigInt(int(rng, 0, 0xffffffff)) << 32n) | BigInt(int(rng, 0, 0xffffffff)));
  }
}

function randomPrimitive(rng: Rng, type: string): unknown {
  switch (type) {
    case 'bool': return rng() < 0.5;
    case 'int8': return int(rng, -128, 127);
    case 'int16': return int(rng, -32768, 32767);
    case 'int32': return int(rng, -(2 ** 31), 2 ** 31 - 1);
    case 'uint16': return int(rng, 0, 65535);
    case 'uint32': return int(rng, 0, 2 ** 32 - 1);
    case 'int64': return randomInt64(rng);
    case 'float64': return rng() < 0.3 ? FLOAT_SPECIALS[int(rng, 0, FLOAT_SPECIALS.length - 1)] : (rng() - 0.5) * 1e9;
    case 'string': return randomString(rng);
    case 'uuid': return Buffer.from(Array.from({ length: 16 }, () => int(rng, 0, 255))).toString('base64url');
    case 'bytes': case 'records': return randomBuffer(rng);
    default: throw new Error(`unknown primitive ${type}`);
  }
}

/** The decoded default of a field (fresh objects each call). */
export function defaultOf(f: FieldSchema): unknown {
  if ('default' in f) return f.default;
  switch (f.type) {
    case 'array': return [];
    case 'struct': return defaultStruct(f.struct!);
    case 'bytes': case 'records': return Buffer.alloc(0);
    case 'int64': return 0n;
    case 'bool': return false;
    case 'string': return '';
    case 'uuid': return 'AAAAAAAAAAAAAAAAAAAAAA';
    default: return 0;
  }
}

export function defaultStruct(s: StructSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of s.fields) out[f.name] = defaultOf(f);
  return out;
}

export interface GenOptions {
  /** Probability of adding unknown tagged fields to a flexible struct. */
  readonly unknownTags: number;
}

export class ValueGenerator {
  readonly rng: Rng;
  readonly msg: MessageSchema;
  readonly version: number;
  readonly flexible: boolean;
  readonly opts: GenOptions;

  constructor(rng: Rng, msg: MessageSchema, version: number, opts: GenOptions = { unknownTags: 0.2 }) {
    this.rng = rng;
    this.msg = msg;
    this.version = version;
    this.flexible = inSpan(msg.flexibleVersions, version);
    this.opts = opts;
  }

  message(): Record<string, unknown> {
    return this.struct(this.msg.root, 0);
  }

  struct(s: StructSchema, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of s.fields) {
      out[f.name] = inSpan(f.versions, this.version) ? this.field(f, depth) : defaultOf(f);
    }
    if (this.flexible && this.rng() < this.opts.unknownTags) {
      const known = new Set(s.fields.map((f) => f.tag).filter((t) => t !== null));
      const tags: number[] = [];
      for (let t = int(this.rng, 0, 3); tags.length < 2 && t < 300; t += int(this.rng, 1, 150)) {
        if (!known.has(t)) tags.push(t);
      }
      out._unknownTaggedFields = tags.map((tag) => ({ tag, data: randomBuffer(this.rng, 5) }));
    }
    return out;
  }

  field(f: FieldSchema, depth: number): unknown {
    const v = this.version;
    if (inSpan(f.nullableVersions, v) && this.rng() < 0.15) return null;
    if (inSpan(f.taggedVersions, v) && this.rng() < 0.3) return defaultOf(f);
    if (f.type === 'struct') return this.struct(f.struct!, depth + 1);
    if (f.type === 'array') {
      const n = depth > 3 ? 0 : int(this.rng, 0, 3);
      const a: unknown[] = [];
      for (let i = 0; i < n; i++) {
        a.push(f.element === 'struct' ? this.struct(f.struct!, depth + 1) : randomPrimitive(this.rng, f.element!));
      }
      return a;
    }
    return randomPrimitive(this.rng, f.type);
  }
}
