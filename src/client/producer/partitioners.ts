/**
 * Partitioners: which partition a record goes to when the record does not say.
 *
 * - Default (Java's BuiltInPartitioner, KIP-794; librdkafka's murmur2_random): a
 *   keyed record goes to toPositive(murmur2(keyBytes)) % numPartitions, so every
 *   Kafka client puts a key in the same place; a record without a key goes to a
 *   "sticky" partition that changes once batch.size bytes have gone to it
 *   (uniform sticky: one batch per partition in turn, chosen at random among the
 *   partitions that have a leader). The sticky part lives in the accumulator
 *   (StickyPartitions below), because only it knows how many bytes were appended.
 * - RoundRobinPartitioner: every record to the next available partition, keys
 *   ignored (Java's RoundRobinPartitioner).
 * - UniformStickyPartitioner: the sticky choice for every record, keys ignored
 *   (as partitioner.ignore.keys=true).
 * - Custom: `partitioner.class` set to a function, an object with `partition()`,
 *   or a class whose instances have `partition()` (Java's Partitioner interface).
 */
import { murmur2, toPositive } from '../../protocol/murmur2.ts';

/** What a partitioner may ask about the cluster (Java's Cluster, reduced). */
export interface PartitionerCluster {
  /** Number of partitions of the topic. */
  partitionCountForTopic(topic: string): number;
  /** Partitions of the topic that currently have a leader, ascending. */
  availablePartitionsForTopic(topic: string): readonly number[];
}

export interface Partitioner<K = unknown, V = unknown> {
  partition(topic: string, key: K | undefined, keyBytes: Uint8Array | null, value: V, valueBytes: Uint8Array | null, cluster: PartitionerCluster): number;
  /** Called when a partition's batch is full and a new one starts (Java's deprecated onNewBatch). */
  onNewBatch?(topic: string, cluster: PartitionerCluster, prevPartition: number): void;
  close?(): void;
}

export type PartitionerFunction<K = unknown, V = unknown> = (
  topic: string,
  key: K | undefined,
  keyBytes: Uint8Array | null,
  value: V,
  valueBytes: Uint8Array | null,
  cluster: PartitionerCluster,
) => number;

export type PartitionerClass<K = unknown, V = unknown> = new () => Partitioner<K, V>;

/** What `partitioner.class` accepts. */
export type PartitionerConfig<K = unknown, V = unknown> = string | Partitioner<K, V> | PartitionerFunction<K, V> | PartitionerClass<K, V>;

/** The key's partition as the Java client and librdkafka's murmur2 partitioners compute it. */
export function murmur2Partition(keyBytes: Uint8Array, numPartitions: number): number {
  return toPositive(murmur2(keyBytes)) % numPartitions;
}

/** Java's RoundRobinPartitioner: a counter per topic over the available partitions. */
export class RoundRobinPartitioner implements Partitioner {
  private readonly counters = new Map<string, number>();

  partition(topic: string, _key: unknown, _kb: Uint8Array | null, _v: unknown, _vb: Uint8Array | null, cluster: PartitionerCluster): number {
    const n = this.counters.get(topic) ?? 0;
    this.counters.set(topic, (n + 1) | 0);
    const available = cluster.availablePartitionsForTopic(topic);
    if (available.length > 0) return available[toPositive(n) % available.length]!;
    return toPositive(n) % cluster.partitionCountForTopic(topic);
  }
}

/** Marker for the built-in choice with keys ignored: the accumulator does the work. */
export class UniformStickyPartitioner implements Partitioner {
  partition(): number {
    return -1;
  }
}

/** Marker for the built-in default (murmur2 for keys, sticky otherwise). */
export class DefaultPartitioner implements Partitioner {
  partition(): number {
    return -1;
  }
}

const JAVA = 'org.apache.kafka.clients.producer.';
const internals = 'org.apache.kafka.clients.producer.internals.';

export type ResolvedPartitioner<K, V> =
  | { kind: 'default'; ignoreKeys: boolean }
  | { kind: 'custom'; partitioner: Partitioner<K, V> };

/** Turns a `partitioner.class` value into the built-in choice or a Partitioner; undefined when unknown. */
export function resolvePartitioner<K, V>(cfg: PartitionerConfig<K, V> | undefined, ignoreKeys: boolean): ResolvedPartitioner<K, V> | undefined {
  if (cfg === undefined || cfg === null) return { kind: 'default', ignoreKeys };
  if (typeof cfg === 'string') {
    switch (cfg) {
      case 'default':
      case 'murmur2_random':
      case 'DefaultPartitioner':
      case internals + 'DefaultPartitioner':
        return { kind: 'default', ignoreKeys };
      case 'uniform-sticky':
      case 'UniformStickyPartitioner':
      case JAVA + 'UniformStickyPartitioner':
        return { kind: 'default', ignoreKeys: true };
      case 'round-robin':
      case 'RoundRobinPartitioner':
      case JAVA + 'RoundRobinPartitioner':
        return { kind: 'custom', partitioner: new RoundRobinPartitioner() as Partitioner<K, V> };
      default:
        return undefined;
    }
  }
  if (typeof cfg === 'function') {
    if (cfg === DefaultPartitioner) return { kind: 'default', ignoreKeys };
    if (cfg === UniformStickyPartitioner) return { kind: 'default', ignoreKeys: true };
    const proto = (cfg as { prototype?: { partition?: unknown } }).prototype;
    if (proto && typeof proto.partition === 'function') return { kind: 'custom', partitioner: new (cfg as PartitionerClass<K, V>)() };
    const fn = cfg as PartitionerFunction<K, V>;
    return { kind: 'custom', partitioner: { partition: fn } };
  }
  if (typeof cfg === 'object' && typeof cfg.partition === 'function') {
    if (cfg instanceof DefaultPartitioner) return { kind: 'default', ignoreKeys };
    if (cfg instanceof UniformStickyPartitioner) return { kind: 'default', ignoreKeys: true };
    return { kind: 'custom', partitioner: cfg };
  }
  return undefined;
}

/**
 * The sticky half of the built-in partitioner (KIP-480/KIP-794): per topic, one
 * partition takes unkeyed records until batch.size bytes have gone to it, then
 * another is picked at random among the available ones (never the same one twice
 * in a row when there is a choice).
 */
export class StickyPartitions {
  private readonly current = new Map<string, { partition: number; bytes: number }>();
  private readonly batchSize: number;

  constructor(batchSize: number) {
    this.batchSize = Math.max(1, batchSize);
  }

  partition(topic: string, numPartitions: number, available: readonly number[] | null): number {
    let s = this.current.get(topic);
    if (s === undefined) {
      s = { partition: pick(numPartitions, available, -1), bytes: 0 };
      this.current.set(topic, s);
    } else if (s.partition >= numPartitions) {
      s.partition = pick(numPartitions, available, -1);
      s.bytes = 0;
    }
    return s.partition;
  }

  /** Counts bytes appended to the sticky partition; switches once a batch's worth went there. */
  appended(topic: string, partition: number, bytes: number, numPartitions: number, available: readonly number[] | null): void {
    const s = this.current.get(topic);
    if (s === undefined || s.partition !== partition) return;
    s.bytes += bytes;
    if (s.bytes >= this.batchSize) {
      s.partition = pick(numPartitions, available, s.partition);
      s.bytes = 0;
    }
  }
}

function pick(numPartitions: number, available: readonly number[] | null, not: number): number {
  const list = available !== null && available.length > 0 ? available : null;
  const n = list ? list.length : numPartitions;
  if (n <= 1) return list ? list[0]! : 0;
  for (;;) {
    const i = Math.floor(Math.random() * n);
    const p = list ? list[i]! : i;
    if (p !== not) return p;
  }
}
