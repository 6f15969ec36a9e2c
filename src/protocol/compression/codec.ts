/**
 * Compression codec ids as they appear in the low three bits of a batch's
 * attributes (magic 2) or a legacy message's attributes (magic 0 and 1).
 * Kafka's CompressionType: ids 5-7 are unassigned and refused.
 */
export const CompressionCodec = {
  NONE: 0,
  GZIP: 1,
  SNAPPY: 2,
  LZ4: 3,
  ZSTD: 4,
} as const;
export type CompressionCodec = (typeof CompressionCodec)[keyof typeof CompressionCodec];

/** Kafka's names for the codecs, as used by `compression.type`. */
export const CODEC_NAMES: readonly string[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export function isCompressionCodec(id: number): id is CompressionCodec {
  return Number.isInteger(id) && id >= 0 && id <= 4;
}

export function codecName(id: number): string {
  return CODEC_NAMES[id] ?? `unknown(${id})`;
}

/** Parses a `compression.type` value ('none', 'gzip', ...). Returns undefined for others. */
export function codecFromName(name: string): CompressionCodec | undefined {
  const i = CODEC_NAMES.indexOf(name.toLowerCase());
  return i < 0 ? undefined : (i as CompressionCodec);
}

/**
 * Default ceiling on the output of one decompression: a batch whose payload
 * would inflate beyond this is refused rather than allocated. Callers with a
 * tighter budget (the broker: a multiple of max.message.bytes) pass their own.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;
