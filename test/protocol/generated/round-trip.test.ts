/**
 * Property tests over every generated message (every API request and response,
 * headers, data structs, internal records) and every valid version, with seeded
 * random values from the generated schema table. A failure prints its seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer, ProtocolDecodeError, ProtocolEncodeError } from '../../../src/protocol/primitives/index.ts';
import * as generated from '../../../src/protocol/generated/index.ts';
import { MESSAGE_SCHEMAS, type FieldSchema, type MessageSchema } from '../../../src/protocol/generated/schemas.ts';
import { ValueGenerator, defaultOf, inSpan, seededRng } from './random-values.ts';

type Encode = (w: Writer, v: unknown, version: number) => void;
type Decode = (r: Reader, version: number) => unknown;

const exports = generated as unknown as Record<string, unknown>;

function codec(m: MessageSchema): { encode: Encode; decode: Decode } {
  const encode = exports[`encode${m.name}`];
  const decode = exports[`decode${m.name}`];
  assert.equal(typeof encode, 'function', `encode${m.name} is exported`);
  assert.equal(typeof decode, 'function', `decode${m.name} is exported`);
  return { encode: encode as Encode, decode: decode as Decode };
}

function encodeToBuffer(encode: Encode, v: unknown, version: number): Buffer {
  const w = new Writer(16);
  encode(w, v, version);
  return Buffer.from(w.finish());
}

function versions(m: MessageSchema): number[] {
  const out: number[] = [];
  for (let v = m.validVersions[0]; v <= m.validVersions[1]; v++) out.push(v);
  return out;
}

/** Decoding must either succeed or throw ProtocolDecodeError; anything else is a bug. */
function decodeOrDecodeError(decode: Decode, buf: Buffer, version: number, what: string): void {
  try {
    decode(new Reader(buf), version);
  } catch (e) {
    if (!(e instanceof ProtocolDecodeError)) {
      assert.fail(`${what}: threw ${(e as Error).name}: ${(e as Error).message}`);
    }
  }
}

const ITERATIONS = 4;

test('decode(encode(x)) equals x and re-encodes byte-exact, every message × version', () => {
  let checked = 0;
  for (const [mi, m] of MESSAGE_SCHEMAS.entries()) {
    const { encode, decode } = codec(m);
    for (const version of versions(m)) {
      for (let it = 0; it < ITERATIONS; it++) {
        const seed = mi * 100_000 + version * 100 + it;
        const what = `${m.name} v${version} seed ${seed}`;
        const x = new ValueGenerator(seededRng(seed), m, version).message();
        let bytes: Buffer;
        try {
          bytes = encodeToBuffer(encode, x, version);
        } catch (e) {
          assert.fail(`${what}: encode threw ${(e as Error).message}`);
        }
        const r = new Reader(bytes);
        let y: unknown;
        try {
          y = decode(r, version);
        } catch (e) {
          assert.fail(`${what}: decode threw ${(e as Error).message}`);
        }
        assert.equal(r.remaining, 0, `${what}: all bytes consumed`);
        assert.deepStrictEqual(y, x, what);
        assert.ok(encodeToBuffer(encode, y, version).equals(bytes), `${what}: re-encoding is byte-exact`);
        checked++;
      }
    }
  }
  assert.ok(checked > 2000, `checked ${checked}`);
});

test('truncated and corrupted input only ever throws ProtocolDecodeError', () => {
  for (const [mi, m] of MESSAGE_SCHEMAS.entries()) {
    const { encode, decode } = codec(m);
    for (const version of versions(m)) {
      const seed = 7_000_000 + mi * 1000 + version;
      const rng = seededRng(seed);
      const bytes = encodeToBuffer(encode, new ValueGenerator(rng, m, version).message(), version);
      const what = `${m.name} v${version} seed ${seed}`;
      // Every strict prefix must fail, and fail with ProtocolDecodeError.
      const cuts = bytes.length <= 48
        ? Array.from({ length: bytes.length }, (_, i) => i)
        : [0, 1, bytes.length - 1, ...Array.from({ length: 24 }, () => Math.floor(rng() * bytes.length))];
      for (const cut of cuts) {
        assert.throws(() => decode(new Reader(bytes.subarray(0, cut)), version), ProtocolDecodeError, `${what}: prefix ${cut}`);
      }
      // Bit flips and garbage may decode or not, but never throw anything else.
      for (let i = 0; i < 8 && bytes.length > 0; i++) {
        const flipped = Buffer.from(bytes);
        flipped[Math.floor(rng() * flipped.length)]! ^= 1 << Math.floor(rng() * 8);
        decodeOrDecodeError(decode, flipped, version, `${what}: flip ${i}`);
      }
      for (let i = 0; i < 4; i++) {
        const junk = Buffer.alloc(Math.floor(rng() * 40));
        for (let j = 0; j < junk.length; j++) junk[j] = rng() < 0.3 ? 0xff : Math.floor(rng() * 256);
        decodeOrDecodeError(decode, junk, version, `${what}: junk ${i}`);
      }
    }
  }
});

test('versions outside validVersions are refused both ways', () => {
  for (const m of MESSAGE_SCHEMAS) {
    const { encode, decode } = codec(m);
    for (const v of [m.validVersions[0] - 1, m.validVersions[1] + 1]) {
      assert.throws(() => encodeToBuffer(encode, {}, v), ProtocolEncodeError, `${m.name} v${v}`);
      assert.throws(() => decode(new Reader(Buffer.alloc(64)), v), ProtocolDecodeError, `${m.name} v${v}`);
    }
  }
});

/** A non-null, non-default value for a field. */
function nonDefaultValue(f: FieldSchema): unknown {
  switch (f.type) {
    case 'array': return f.element === 'struct' ? [{}] : [f.element === 'string' ? 'x' : f.element === 'int64' ? 1n : f.element === 'uuid' ? 'AQEBAQEBAQEBAQEBAQEBAQ' : 1];
    case 'struct': {
      const inner = f.struct!.fields.find((g) => g.type === 'int32' || g.type === 'string' || g.type === 'int64');
      return inner === undefined ? null : { [inner.name]: inner.type === 'string' ? 'not-default' : inner.type === 'int64' ? 12345n : 12345 };
    }
    case 'bool': return !(f.default ?? false);
    case 'string': return 'not-default';
    case 'uuid': return 'AQEBAQEBAQEBAQEBAQEBAQ';
    case 'bytes': case 'records': return Buffer.from([1]);
    case 'int64': return 12345n;
    default: return 77;
  }
}

interface Placed {
  readonly field: FieldSchema;
  readonly path: string;
  /** Builds a message Init holding `inner` as this field's struct's value. */
  readonly wrap: (inner: Record<string, unknown>) => Record<string, unknown>;
}

/** Every field reachable in `version` (through present struct and array-of-struct fields). */
function placedFields(m: MessageSchema, version: number): Placed[] {
  const out: Placed[] = [];
  const walk = (fields: readonly FieldSchema[], path: string, wrap: Placed['wrap']): void => {
    for (const f of fields) {
      out.push({ field: f, path: `${path}.${f.name}`, wrap });
      if (f.struct === undefined || !inSpan(f.versions, version) || inSpan(f.taggedVersions, version)) continue;
      const inner = f.type === 'array'
        ? (x: Record<string, unknown>) => wrap({ [f.name]: [x] })
        : (x: Record<string, unknown>) => wrap({ [f.name]: x });
      walk(f.struct.fields, `${path}.${f.name}`, inner);
    }
  };
  walk(m.root.fields, m.name, (x) => x);
  return out;
}

test('a non-default value in a version without the field: error unless ignorable', () => {
  let strict = 0;
  let ignorable = 0;
  for (const m of MESSAGE_SCHEMAS) {
    const { encode } = codec(m);
    for (const version of versions(m)) {
      for (const { field: f, path, wrap } of placedFields(m, version)) {
        if (inSpan(f.versions, version)) continue;
        const value = nonDefaultValue(f);
        if (value === null || value === f.default) continue;
        const what = `${path} v${version}`;
        const init = wrap({ [f.name]: value });
        if (f.ignorable) {
          assert.doesNotThrow(() => encodeToBuffer(encode, init, version), what);
          ignorable++;
        } else {
          assert.throws(() => encodeToBuffer(encode, init, version), ProtocolEncodeError, what);
          strict++;
        }
      }
    }
  }
  assert.ok(strict > 100 && ignorable > 100, `strict ${strict}, ignorable ${ignorable}`);
});

test('an ignorable field is dropped in versions without it and decodes as its default', () => {
  const m = MESSAGE_SCHEMAS.find((s) => s.name === 'ApiVersionsRequest')!;
  const bytes = encodeToBuffer(codec(m).encode, { clientSoftwareName: 'samsa', clientSoftwareVersion: '1' }, 2);
  assert.equal(bytes.length, 0);
  assert.deepStrictEqual(generated.decodeApiVersionsRequest(new Reader(bytes), 2), { clientSoftwareName: '', clientSoftwareVersion: '' });
});

test('null in a version where the field is not nullable is refused', () => {
  let checked = 0;
  for (const m of MESSAGE_SCHEMAS) {
    const { encode } = codec(m);
    for (const version of versions(m)) {
      for (const { field: f, path, wrap } of placedFields(m, version)) {
        if (f.nullableVersions === null || !inSpan(f.versions, version) || inSpan(f.nullableVersions, version)) continue;
        assert.throws(() => encodeToBuffer(encode, wrap({ [f.name]: null }), version), ProtocolEncodeError, `${path} v${version}`);
        checked++;
      }
    }
  }
  assert.ok(checked > 20, `checked ${checked}`);
});
