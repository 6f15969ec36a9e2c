/**
 * Deserializers, as Kafka's key.deserializer / value.deserializer. A config value
 * may be a function, an object with `deserialize`, or the name of a built-in
 * (Kafka's class names are accepted: StringDeserializer, ByteArrayDeserializer, ...).
 * The default is the raw bytes (a Buffer view; copy it to keep it past the next poll
 * if memory matters).
 */
import type { RecordHeader } from '../../protocol/records/record.ts';

export type DeserializeFn<T> = (topic: string, data: Buffer | null, headers: readonly RecordHeader[]) => T;

export interface Deserializer<T> {
  deserialize: DeserializeFn<T>;
}

export type DeserializerConfig<T> = DeserializeFn<T> | Deserializer<T> | string;

const bytes: DeserializeFn<Buffer | null> = (_t, data) => data;
const string: DeserializeFn<string | null> = (_t, data) => (data === null ? null : data.toString('utf8'));
const json: DeserializeFn<unknown> = (_t, data) => (data === null ? null : JSON.parse(data.toString('utf8')));
const int32: DeserializeFn<number | null> = (_t, data) => {
  if (data === null) return null;
  if (data.length !== 4) throw new Error(`Size of data received by IntegerDeserializer is not 4 (${data.length})`);
  return data.readInt32BE(0);
};
const int64: DeserializeFn<bigint | null> = (_t, data) => {
  if (data === null) return null;
  if (data.length !== 8) throw new Error(`Size of data received by LongDeserializer is not 8 (${data.length})`);
  return data.readBigInt64BE(0);
};
const float64: DeserializeFn<number | null> = (_t, data) => {
  if (data === null) return null;
  if (data.length !== 8) throw new Error(`Size of data received by DoubleDeserializer is not 8 (${data.length})`);
  return data.readDoubleBE(0);
};

const BUILT_INS: Record<string, DeserializeFn<unknown>> = {
  bytes,
  buffer: bytes,
  bytearray: bytes,
  bytearraydeserializer: bytes,
  bytebufferdeserializer: bytes,
  bytesdeserializer: bytes,
  string,
  stringdeserializer: string,
  json,
  int32,
  integer: int32,
  integerdeserializer: int32,
  int64,
  long: int64,
  longdeserializer: int64,
  double: float64,
  doubledeserializer: float64,
};

/** Resolves a deserializer config to a function; undefined means raw bytes. */
export function resolveDeserializer<T>(config: DeserializerConfig<T> | undefined, which: string): DeserializeFn<T> {
  if (config === undefined) return bytes as DeserializeFn<T>;
  if (typeof config === 'function') return config;
  if (typeof config === 'object' && config !== null && typeof config.deserialize === 'function') return config.deserialize.bind(config);
  if (typeof config === 'string') {
    const short = config.slice(config.lastIndexOf('.') + 1).toLowerCase();
    const fn = BUILT_INS[short];
    if (fn) return fn as DeserializeFn<T>;
  }
  throw new TypeError(`Invalid value ${String(config)} for configuration ${which}: a function, an object with deserialize(), or one of ${Object.keys(BUILT_INS).join(', ')}`);
}

export const Deserializers = { bytes, string, json, int32, int64, float64 } as const;

/** The identity deserializer (raw bytes): the drain skips calling it. */
export const BYTES_DESERIALIZER: DeserializeFn<unknown> = bytes;
