/**
 * __consumer_offsets on this broker: creating the topic, appending coordinator records
 * to the partition owning a group, and replaying a partition on startup.
 *
 * The topic is internal and compacted (cleanup.policy=compact, segment.bytes from
 * offsets.topic.segment.bytes, compression.type=producer) with
 * offsets.topic.num.partitions partitions, created on first use as Kafka does. Each
 * coordinator write is one uncompressed magic-2 batch (CreateTime = now, no producer
 * id), appended as the leader and made visible at once (single node: HW = LEO).
 */
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { GroupCoordinatorRecordInit } from '../../protocol/generated/internal/coordinator-records.ts';
import { encodeGroupCoordinatorRecord } from '../../protocol/generated/internal/coordinator-records.ts';
import { buildRecordBatch } from '../../protocol/records/batch-builder.ts';
import { ATTR_TRANSACTIONAL } from '../../protocol/records/batch-header.ts';
import { ControlRecordType, isControlBatch, readEndTransactionMarker } from '../../protocol/records/control.ts';
import type { RecordInput } from '../../protocol/records/record.ts';
import { iterateRecordSet } from '../../protocol/records/record-set.ts';
import { StorageError } from '../../storage/errors.ts';
import { PartitionLog } from '../../storage/partition-log.ts';
import type { PartitionStore } from '../../storage/partition-store.ts';
import type { BrokerContext } from '../broker-context.ts';
import { leaderEpochOf, notifyPartitionChanged } from '../fetch/state.ts';
import { TopicError } from '../topic-manager.ts';
import type { CoordinatorRecordLog } from './coordinator-context.ts';
import { GROUP_METADATA_TOPIC_NAME } from './group-coordinator.ts';
import { partitionForGroup } from './partition-for.ts';
import { ReplayState } from './records.ts';

/** Kafka's offsets.load.buffer.size default: bytes read per step while loading. */
export const LOAD_BUFFER_BYTES = 5 * 1024 * 1024;

export function offsetsTopicConfigs(broker: BrokerContext): Record<string, string> {
  return {
    'cleanup.policy': 'compact',
    'segment.bytes': String(broker.config.int('offsets.topic.segment.bytes')),
    'compression.type': 'producer',
  };
}

/** Records of __consumer_offsets written through the broker's logs. */
export class OffsetsTopicLog implements CoordinatorRecordLog {
  private readonly broker: BrokerContext;
  readonly partitionCount: number;

  constructor(broker: BrokerContext, partitionCount: number) {
    this.broker = broker;
    this.partitionCount = partitionCount;
  }

  /** Creates the topic if missing; NONE, or the error that prevented it. */
  ensureTopic(): number {
    if (this.broker.topics.get(GROUP_METADATA_TOPIC_NAME)) return ErrorCode.NONE;
    try {
      this.broker.topics.ensureInternal(GROUP_METADATA_TOPIC_NAME, this.partitionCount, offsetsTopicConfigs(this.broker));
      this.broker.log(`Created internal topic ${GROUP_METADATA_TOPIC_NAME} with ${this.partitionCount} partitions`);
      return ErrorCode.NONE;
    } catch (e) {
      this.broker.log(`Could not create ${GROUP_METADATA_TOPIC_NAME}: ${(e as Error).message}`);
      return e instanceof TopicError ? ErrorCode.COORDINATOR_NOT_AVAILABLE : ErrorCode.UNKNOWN_SERVER_ERROR;
    }
  }

  append(groupId: string, records: readonly GroupCoordinatorRecordInit[]): number {
    if (records.length === 0) return ErrorCode.NONE;
    const created = this.ensureTopic();
    if (created !== ErrorCode.NONE) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    const partition = partitionForGroup(groupId, this.partitionCount);
    const log = this.broker.logs.getLog(GROUP_METADATA_TOPIC_NAME, partition);
    if (!log) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    if (log.isClosed) return ErrorCode.KAFKA_STORAGE_ERROR;
    const inputs: RecordInput[] = records.map((r, i) => {
      const { key, value } = encodeGroupCoordinatorRecord(r);
      return { offsetDelta: i, timestampDelta: 0, key, value };
    });
    try {
      const batch = buildRecordBatch(inputs, { baseTimestamp: Date.now() });
      log.append(batch, { leaderEpoch: leaderEpochOf(this.broker, GROUP_METADATA_TOPIC_NAME, partition) });
      log.maybeIncrementHighWatermark(log.logEndOffset);
      notifyPartitionChanged(this.broker, GROUP_METADATA_TOPIC_NAME, partition);
      return ErrorCode.NONE;
    } catch (e) {
      if (e instanceof StorageError) {
        this.broker.log(`Append to ${GROUP_METADATA_TOPIC_NAME}-${partition} failed: ${e.message}`);
        return e.code;
      }
      this.broker.log(`Append to ${GROUP_METADATA_TOPIC_NAME}-${partition} failed: ${(e as Error).stack ?? String(e)}`);
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    }
  }
}

/**
 * Replays one partition from its log start to its high watermark, `chunkBytes` at a
 * time, yielding to the event loop between chunks. Transactional offset commits count
 * only once their COMMIT marker is read; aborted ones are dropped.
 */
export async function replayOffsetsPartition(
  log: PartitionStore,
  opts: { chunkBytes?: number; yieldEvery?: () => Promise<void>; isCancelled?: () => boolean } = {},
): Promise<ReplayState> {
  const state = new ReplayState();
  const chunkBytes = opts.chunkBytes ?? LOAD_BUFFER_BYTES;
  const pause = opts.yieldEvery ?? (() => new Promise<void>((r) => setImmediate(r)));
  const pendingTxn = new Map<bigint, { key: Buffer | null; value: Buffer | null }[]>();
  let offset = log.logStartOffset;
  const end = log.highWatermark;
  while (offset < end) {
    if (opts.isCancelled?.()) break;
    const r = log.read(offset, chunkBytes, { maxOffset: end, minOneBatch: true });
    if (r.sizeBytes === 0) break;
    const buf = PartitionLog.readSlices(r.slices);
    let advanced = false;
    for (const batch of iterateRecordSet(buf, 0, buf.length)) {
      const h = batch.header;
      const next = Number(h.baseOffset) + h.lastOffsetDelta + 1;
      if (next <= offset) continue;
      advanced = true;
      offset = next;
      if (isControlBatch(h)) {
        const marker = readEndTransactionMarker(batch);
        const pending = pendingTxn.get(h.producerId);
        pendingTxn.delete(h.producerId);
        if (marker && marker.type === ControlRecordType.COMMIT && pending) for (const rec of pending) state.apply(rec.key, rec.value);
        continue;
      }
      if ((h.attributes & ATTR_TRANSACTIONAL) !== 0) {
        let pending = pendingTxn.get(h.producerId);
        if (!pending) pendingTxn.set(h.producerId, (pending = []));
        for (const rec of batch.records) pending.push({ key: rec.key && Buffer.from(rec.key), value: rec.value && Buffer.from(rec.value) });
        continue;
      }
      for (const rec of batch.records) state.apply(rec.key, rec.value);
    }
    if (!advanced) break;
    await pause();
  }
  return state;
}
