/**
 * Serializers: a key or value object → bytes, as org.apache.kafka.common.serialization.
 *
 * A serializer is an object with `serialize(topic, data, headers)` (Java's
 * Serializer<T>) or a plain function `(data, topic, headers) => bytes`. `null` data
 * stays null (a null value is a tombstone). The built-ins write exactly what the
 * Java ones write: IntegerSerializer 4 bytes big-endian, LongSerializer 8, ...
 * They are also reachable by their Java class names ('org.apache.kafka.common.
 * serialization.StringSerializer') so a config copied from Java works.
 */
import type { ProducerHeader } from './producer-record.ts';

export interface SerializerObject<T> {
  serialize(topic: string, data: T, headers: ProducerHeader[] | undefined): Uint8Array | null;
  close?(): void;
}

export type SerializerFunction<T> = (data: T, topic: string, headers: ProducerHeader[] | undefined) => Uint8Array | null;

export type Serializer<T> = SerializerObject<T> | SerializerFunction<T>;

/** Bytes as they are; strings as UTF-8 (the default for both key and value). */
export type Bytes = Uint8Array | string | null | undefined;

export const ByteArraySerializer: SerializerObject<Uint8Array | null | undefined> = {
  serialize: (_t, data) => (data == null ? null : data),
};

/** The default: Buffer/Uint8Array as is, string as UTF-8, null/undefined as null. */
export const BytesOrStringSerializer: SerializerObject<Bytes> = {
  serialize: (_t, data) => (data == null ? null : typeof data === 'string' ? Buffer.from(data, 'utf8') : data),
};

export const StringSerializer: SerializerObject<string | null | undefined> = {
  serialize: (_t, data) => (data == null ? null : Buffer.from(data, 'utf8')),
};

function checkInteger(v: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${what}: ${v} is not in [${min}, ${max}]`);
}

export const ShortSerializer: SerializerObject<number | null | undefined> = {
  serialize: (_t, data) => {
    if (data == null) return null;
    checkInteger(data, -0x8000, 0x7fff, 'ShortSerializer');
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(data, 0);
    return b;
  },
};

export const IntegerSerializer: SerializerObject<number | null | undefined> = {
  serialize: (_t, data) => {
    if (data == null) return null;
    checkInteger(data, -0x80000000, 0x7fffffff, 'IntegerSerializer');
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(data, 0);
    return b;
  },
};

export const LongSerializer: SerializerObject<bigint | number | null | undefined> = {
  serialize: (_t, data) => {
    if (data == null) return null;
    if (typeof data === 'number' && !Number.isSafeInteger(data)) throw new RangeError(`LongSerializer: ${data} is not a safe integer; pass a bigint`);
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(BigInt(data), 0);
    return b;
  },
};

export const FloatSerializer: SerializerObject<number | null | undefined> = {
  serialize: (_t, data) => {
    if (data == null) return null;
    const b = Buffer.allocUnsafe(4);
    b.writeFloatBE(data, 0);
    return b;
  },
};

export const DoubleSerializer: SerializerObject<number | null | undefined> = {
  serialize: (_t, data) => {
    if (data == null) return null;
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleBE(data, 0);
    return b;
  },
};

export const UUIDSerializer: SerializerObject<string | null | undefined> = StringSerializer;

/** Always null (Java's VoidSerializer): for keyless topics. */
export const VoidSerializer: SerializerObject<null | undefined | void> = {
  serialize: () => null,
};

/** JSON.stringify as UTF-8; null stays null. */
export const JsonSerializer: SerializerObject<unknown> = {
  serialize: (_t, data) => (data == null ? null : Buffer.from(JSON.stringify(data), 'utf8')),
};

const JAVA = 'org.apache.kafka.common.serialization.';

/** Java class names and short names of the built-in serializers. */
export const SERIALIZERS_BY_NAME: ReadonlyMap<string, SerializerObject<never>> = new Map<string, SerializerObject<never>>([
  ['ByteArraySerializer', ByteArraySerializer],
  ['BytesSerializer', ByteArraySerializer],
  ['ByteBufferSerializer', ByteArraySerializer],
  ['StringSerializer', StringSerializer],
  ['ShortSerializer', ShortSerializer],
  ['IntegerSerializer', IntegerSerializer],
  ['LongSerializer', LongSerializer],
  ['FloatSerializer', FloatSerializer],
  ['DoubleSerializer', DoubleSerializer],
  ['UUIDSerializer', UUIDSerializer],
  ['VoidSerializer', VoidSerializer],
  ['JsonSerializer', JsonSerializer],
].flatMap(([name, s]) => [[name as string, s as SerializerObject<never>], [JAVA + (name as string), s as SerializerObject<never>]]));

/** 'string', 'json', 'long', … as the consumer's deserializer names. */
const SERIALIZERS_BY_SHORT_NAME: ReadonlyMap<string, SerializerObject<never>> = new Map(
  [...SERIALIZERS_BY_NAME].filter(([name]) => !name.includes('.')).map(([name, ser]) => [name.replace(/Serializer$/, '').toLowerCase(), ser]),
);

/** The serialize function of a serializer given as an object, a function, or a (Java) class name; undefined if unknown. */
export function resolveSerializer<T>(s: Serializer<T> | string): SerializerObject<T> | undefined {
  if (typeof s === 'string') return (SERIALIZERS_BY_NAME.get(s) ?? SERIALIZERS_BY_SHORT_NAME.get(s.toLowerCase())) as SerializerObject<T> | undefined;
  if (typeof s === 'function') {
    const fn = s;
    return { serialize: (topic, data, headers) => fn(data, topic, headers) };
  }
  if (s !== null && typeof s === 'object' && typeof s.serialize === 'function') return s;
  return undefined;
}
