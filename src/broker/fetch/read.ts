import { ErrorCode } from '../../protocol/errors/index.ts';
import { StorageError } from '../../storage/errors.ts';
import type { FileSlice } from '../../storage/log-segment.ts';
import { PartitionLog } from '../../storage/partition-log.ts';
import type { BrokerContext } from '../broker-context.ts';
import { fetchReadPool } from './read-pool.ts';
import type { FetchPartition } from './fetch-session.ts';
import { checkLeaderEpoch, leaderEpochOf } from './state.ts';

export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

/** One partition's share of a fetch, before its bytes are read. */
export interface PartitionRead {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** Whole batches to send, as file ranges. */
  slices: FileSlice[];
  sizeBytes: number;
  divergingEpoch: { epoch: number; endOffset: number } | null;
  /** For the delayed-fetch check: the fetch offset is at or past the readable end. */
  caughtUp: boolean;
  /** read_committed: aborted transactions overlapping the fetched range (from the LSO down). */
  abortedTransactions?: { producerId: number; firstOffset: number }[];
}

export interface ReadParams {
  isolationLevel: number;
  /** Request-level max_bytes (v3+; unbounded before). */
  maxBytes: number;
  /** v0-2: no batch larger than the limits is returned, even for the first partition. */
  hardMaxBytesLimit: boolean;
}

function errorRead(code: number): PartitionRead {
  return { errorCode: code, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, slices: [], sizeBytes: 0, divergingEpoch: null, caughtUp: false };
}

/**
 * Reads one partition (Kafka's ReplicaManager.readFromLocalLog for a consumer):
 * checks the topic, the leader epoch, divergence (last_fetched_epoch, v12+) and the
 * offset range, and returns whole batches below the high watermark (read_uncommitted)
 * or the last stable offset (read_committed).
 */
export function readPartition(broker: BrokerContext, p: FetchPartition, maxBytes: number, minOneMessage: boolean, isolationLevel: number): PartitionRead {
  if (p.topic === '') return errorRead(ErrorCode.UNKNOWN_TOPIC_ID);
  const meta = broker.topics.get(p.topic);
  if (!meta || p.partition < 0 || p.partition >= meta.partitions) return errorRead(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const log = broker.logs.getLog(p.topic, p.partition);
  if (!log) return errorRead(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const leaderEpoch = leaderEpochOf(broker, p.topic, p.partition);
  const epochError = checkLeaderEpoch(p.currentLeaderEpoch, leaderEpoch);
  if (epochError !== ErrorCode.NONE) return errorRead(epochError);
  try {
    const hw = log.highWatermark;
    const lso = log.lastStableOffset;
    const base = { highWatermark: hw, lastStableOffset: lso, logStartOffset: log.logStartOffset };
    if (p.lastFetchedEpoch >= 0 && log.leaderEpochCache.all.length > 0) {
      const end = log.leaderEpochCache.endOffsetFor(p.lastFetchedEpoch, log.logEndOffset);
      if (end.epoch < 0 || end.endOffset < 0) return errorRead(ErrorCode.OFFSET_OUT_OF_RANGE);
      if (end.epoch < p.lastFetchedEpoch || end.endOffset < p.fetchOffset) {
        return { ...base, errorCode: ErrorCode.NONE, slices: [], sizeBytes: 0, divergingEpoch: { epoch: end.epoch, endOffset: end.endOffset }, caughtUp: false };
      }
    }
    const maxOffset = isolationLevel === READ_COMMITTED ? lso : hw;
    const r = log.read(p.fetchOffset, Math.max(0, maxBytes), { minOneBatch: minOneMessage, maxOffset });
    const aborted = isolationLevel === READ_COMMITTED && r.sizeBytes > 0 ? log.abortedTransactions(p.fetchOffset, maxOffset) : undefined;
    return { ...base, errorCode: ErrorCode.NONE, slices: r.slices, sizeBytes: r.sizeBytes, divergingEpoch: null, caughtUp: p.fetchOffset >= maxOffset, abortedTransactions: aborted };
  } catch (e) {
    if (e instanceof StorageError) return errorRead(e.code);
    broker.log(`fetch from ${p.topic}-${p.partition} failed: ${(e as Error).stack ?? String(e)}`);
    return errorRead(ErrorCode.KAFKA_STORAGE_ERROR);
  }
}

/**
 * Reads the partitions of a fetch in order under the request's byte budget: each
 * partition gets min(its max_bytes, what is left); the first partition that has data
 * may exceed both with one batch (KIP-74), except for v0-2 (hard limit).
 */
export function readPartitions(broker: BrokerContext, partitions: readonly FetchPartition[], params: ReadParams): PartitionRead[] {
  let remaining = params.maxBytes;
  let minOneMessage = !params.hardMaxBytesLimit;
  const out: PartitionRead[] = [];
  for (const p of partitions) {
    const r = readPartition(broker, p, Math.min(p.maxBytes, remaining), minOneMessage, params.isolationLevel);
    if (r.sizeBytes > 0) minOneMessage = false;
    remaining = Math.max(0, remaining - r.sizeBytes);
    out.push(r);
  }
  return out;
}

const takeFromPool = (size: number): Buffer => fetchReadPool.take(size);

/**
 * The bytes of a partition read, with positional reads. Large ones are in a pooled
 * buffer: whoever does not hand it to a connection may call fetchReadPool.release().
 */
export function readBytes(r: PartitionRead): Buffer {
  if (r.slices.length === 0) return EMPTY;
  return PartitionLog.readSlices(r.slices, takeFromPool);
}

const EMPTY = Buffer.alloc(0);
