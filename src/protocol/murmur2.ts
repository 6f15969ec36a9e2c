/**
 * Kafka's key hash and default partition choice. Every Kafka client that wants the
 * Java client's placement of keyed records (the Java client itself, librdkafka's
 * murmur2 partitioners, kafkajs' JavaCompatiblePartitioner) computes exactly this, so
 * any change here silently moves keys to other partitions. Keep it bit-identical to
 * org.apache.kafka.common.utils.Utils.murmur2(byte[]).
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** MurmurHash2 (32-bit) over `data` with Kafka's seed, as a signed int32 like Java's `int`. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;

  // Whole 4-byte chunks, little-endian.
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }

  // The last 1-3 bytes. Java's switch falls through 3 → 2 → 1; the ifs do the same.
  const tail = length & ~3;
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= data[tail + 2] << 16;
    if (rest >= 2) h ^= data[tail + 1] << 8;
    h ^= data[tail];
    h = Math.imul(h, M);
  }

  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive: clears the sign bit (not Math.abs, which breaks on -2^31). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/**
 * The partition the Java producer's BuiltInPartitioner picks for a non-null key:
 * toPositive(murmur2(key)) % numPartitions. (Records without a key are placed by the
 * sticky partitioner instead; that choice is not a function of the record.)
 */
export function defaultPartition(keyBytes: Uint8Array, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions < 1 || numPartitions > 0x7fffffff) {
    throw new RangeError(`numPartitions must be an integer in [1, 2^31-1], got ${numPartitions}`);
  }
  return toPositive(murmur2(keyBytes)) % numPartitions;
}
