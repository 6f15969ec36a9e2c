// Produce (key 0), versions 0-12. v1 adds throttle time; v2 log_append_time_ms; v3
// transactional_id and magic-2 batches only (exactly one per partition); v4 may
// answer KAFKA_STORAGE_ERROR (mapped to NOT_LEADER_OR_FOLLOWER before); v5
// log_start_offset; v7 zstd; v8 record_errors and error_message; v9 flexible; v10
// current_leader and node_endpoints tags (KIP-951, only with NOT_LEADER_OR_FOLLOWER,
// which a single node never answers); v11 may answer TRANSACTION_ABORTABLE; v12 (the
// body of v11, see src/protocol/kip890-versions.ts) is transactions v2 (KIP-890 part 2): a
// transactional batch adds its partition to the producer's transaction.
//
// Kafka's path (KafkaApis.handleProduceRequest → ReplicaManager.appendRecords →
// UnifiedLog.appendAsLeader), per partition:
//   unknown topic or partition       UNKNOWN_TOPIC_OR_PARTITION (no auto-creation:
//                                    Kafka creates topics from Metadata only)
//   internal topic from a client     INVALID_TOPIC_EXCEPTION
//   acks not in {-1, 0, 1}           INVALID_REQUIRED_ACKS (every partition)
//   acks=-1, min.insync.replicas > 1 NOT_ENOUGH_REPLICAS (the ISR is this node)
//   record set checks                CORRUPT_MESSAGE, INVALID_RECORD,
//                                    MESSAGE_TOO_LARGE, UNSUPPORTED_COMPRESSION_TYPE,
//                                    UNSUPPORTED_FOR_MESSAGE_FORMAT, INVALID_TIMESTAMP
//   transactional batches            verified by the transaction coordinator
//                                    (produceHooks.verifyTransaction): the partition
//                                    must be in the producer's ongoing transaction,
//                                    else INVALID_TXN_STATE; an old epoch is
//                                    INVALID_PRODUCER_EPOCH (TRANSACTIONAL_ID_-
//                                    AUTHORIZATION_FAILED without a transactional id).
//                                    v12 with transaction.version 2: the coordinator
//                                    adds the partition instead (an old epoch is still
//                                    INVALID_PRODUCER_EPOCH, and the bumped epoch the
//                                    last markers wrote fences it in storage too)
//   idempotence (storage)            duplicate → the original offsets;
//                                    OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH
//   storage failures                 KAFKA_STORAGE_ERROR, RECORD_LIST_TOO_LARGE
//
// The fast path never looks inside a batch: validate the header and CRC, append
// (storage patches the base offset in place), advance the high watermark (a single
// node is the whole ISR, so acks=1 and acks=-1 are both satisfied by the append)
// and wake long-polling fetches. Records are decoded only where Kafka must too:
// magic 0/1 sets from produce v0-2 are converted to one magic-2 batch; a topic whose
// compression.type is not `producer` gets batches in another codec recompressed; a
// compacted topic checks that every record has a key; and a batch whose header
// timestamps break message.timestamp.{before,after}.max.ms is decoded to name the
// offending records.
//
// acks=0: no response at all; if a partition failed, the connection is closed so
// the client notices (Kafka does the same).
import type { ProduceResponsePartitionProduceResponseInit, ProduceResponseTopicProduceResponseInit } from '../../protocol/generated/produce-response.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { CompressionCodec, codecFromName } from '../../protocol/compression/codec.ts';
import { ProtocolDecodeError } from '../../protocol/primitives/decode-error.ts';
import { buildRecordBatch } from '../../protocol/records/batch-builder.ts';
import { decodeRecordBatch } from '../../protocol/records/batch-decoder.ts';
import { ATTR_COMPRESSION_MASK, ATTR_TRANSACTIONAL } from '../../protocol/records/batch-header.ts';
import type { BatchHeader } from '../../protocol/records/batch-header.ts';
import { decodeLegacyEntry } from '../../protocol/records/legacy.ts';
import type { DecodedBatch, RecordInput } from '../../protocol/records/record.ts';
import { validateRecordSet } from '../../protocol/records/validate.ts';
import type { ValidatedRecordSet } from '../../protocol/records/validate.ts';
import { RecordValidationError } from '../../protocol/records/validation-error.ts';
import { StorageError } from '../../storage/errors.ts';
import type { LogConfig } from '../../storage/log-config.ts';
import { isCompacted } from '../../storage/log-config.ts';
import type { BrokerContext } from '../broker-context.ts';
import { leaderEpochOf, notifyPartitionChanged } from '../fetch/state.ts';
import { ProduceApiKip890 } from '../../protocol/kip890-versions.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestContext } from './api-handler.ts';

/** Kafka lets only its own admin client write to internal topics. */
const ADMIN_CLIENT_ID = '__admin_client';
/** Decompression ceiling on the slow paths: a generous multiple of the batch limit. */
const DECOMPRESS_FACTOR = 64;

/**
 * Hook for a transaction coordinator: decides whether a transactional batch may be
 * appended (Kafka's transaction.partition.verification), or with `addPartition`
 * (Produce v12, transactions v2) adds the partition to the producer's transaction.
 * Returns an error code (0 = accept). Unset, every transactional batch is refused with
 * INVALID_TXN_STATE.
 */
export const produceHooks: {
  verifyTransaction?: (broker: BrokerContext, transactionalId: string, producerId: bigint, producerEpoch: number, topic: string, partition: number, addPartition: boolean) => number;
} = {};

type PartitionResult = ProduceResponsePartitionProduceResponseInit;

function failure(index: number, errorCode: number, errorMessage: string | null = null, recordErrors: { batchIndex: number; batchIndexErrorMessage: string | null }[] = []): PartitionResult {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors, errorMessage };
}

class RecordErrors extends Error {
  readonly code: number;
  readonly records: { batchIndex: number; batchIndexErrorMessage: string | null }[];
  constructor(code: number, summary: string, records: { batchIndex: number; batchIndexErrorMessage: string | null }[]) {
    super(summary);
    this.code = code;
    this.records = records;
  }
}

function rejected(code: number, what: string, errors: { batchIndex: number; batchIndexErrorMessage: string | null }[]): RecordErrors {
  const shown = errors.slice(0, 3).map((e) => `ApiRecordError(batchIndex=${e.batchIndex}, message=${e.batchIndexErrorMessage})`);
  return new RecordErrors(code, `One or more records have been rejected due to ${errors.length} record errors in total, and only showing the first three errors at most: [${shown.join(', ')}] (${what})`, errors);
}

/** The codec a topic's compression.type asks for, or null for `producer`. */
function targetCodec(config: LogConfig): CompressionCodec | null {
  const t = config['compression.type'];
  if (t === 'producer') return null;
  if (t === 'uncompressed') return CompressionCodec.NONE;
  return codecFromName(t) ?? null;
}

function toInputs(batch: DecodedBatch, sequentialOffsets: boolean, baseTimestamp: number, startIndex = 0): RecordInput[] {
  return batch.records.map((r, i) => ({
    offsetDelta: sequentialOffsets ? startIndex + i : r.offsetDelta,
    timestampDelta: r.timestampMs - baseTimestamp,
    key: r.key,
    value: r.value,
    headers: r.headers.map((h) => ({ key: h.key, value: h.value })),
  }));
}

/** Rebuilds a magic-2 batch with another codec, keeping producer fields and timestamps. */
function recompress(batch: DecodedBatch, codec: CompressionCodec): Buffer {
  const h = batch.header;
  const base = Number(h.baseTimestamp);
  return buildRecordBatch(toInputs(batch, false, base), {
    compression: codec,
    baseTimestamp: h.baseTimestamp,
    maxTimestamp: h.maxTimestamp,
    lastOffsetDelta: h.lastOffsetDelta,
    transactional: (h.attributes & ATTR_TRANSACTIONAL) !== 0,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
  });
}

/** Converts the magic 0/1 entries of an old produce request into one magic-2 batch. */
function convertLegacy(records: Buffer, set: ValidatedRecordSet, codec: CompressionCodec | null, maxOutputBytes: number): Buffer {
  const decoded = set.entries.map((e) => decodeLegacyEntry(records, e.position, e.position + e.size, { maxOutputBytes }));
  const first = decoded[0]!.records[0];
  const base = first ? first.timestampMs : -1;
  const inputs: RecordInput[] = [];
  let sourceCodec: number = CompressionCodec.NONE;
  for (const b of decoded) {
    sourceCodec = b.header.attributes & ATTR_COMPRESSION_MASK;
    for (const r of b.records) {
      inputs.push({ offsetDelta: inputs.length, timestampDelta: r.timestampMs - base, key: r.key, value: r.value });
    }
  }
  let maxTs = -1;
  for (const b of decoded) for (const r of b.records) if (r.timestampMs > maxTs) maxTs = r.timestampMs;
  return buildRecordBatch(inputs, {
    compression: (codec ?? sourceCodec) as CompressionCodec,
    baseTimestamp: base,
    maxTimestamp: maxTs,
  });
}

/**
 * Checks CreateTime timestamps against message.timestamp.{before,after}.max.ms. The
 * batch header bounds them (maxTimestamp exactly; baseTimestamp is the first
 * record's); records are decoded only when the bounds fail, or when a
 * before.max.ms is configured (the minimum is not in the header).
 */
function checkTimestamps(records: Buffer, headers: readonly BatchHeader[], positions: readonly number[], config: LogConfig, nowMs: number, maxOutputBytes: number): void {
  if (config['message.timestamp.type'] !== 'CreateTime') return;
  const before = config['message.timestamp.before.max.ms'];
  const after = config['message.timestamp.after.max.ms'];
  const lowest = before >= Number.MAX_SAFE_INTEGER ? -Infinity : nowMs - before;
  const highest = after >= Number.MAX_SAFE_INTEGER ? Infinity : nowMs + after;
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    const maxTs = Number(h.maxTimestamp);
    const needDecode = (maxTs > highest) || lowest !== -Infinity;
    if (!needDecode) continue;
    const batch = decodeRecordBatch(records, positions[i]!, { verifyCrc: false, maxOutputBytes });
    const errors: { batchIndex: number; batchIndexErrorMessage: string | null }[] = [];
    batch.records.forEach((r, idx) => {
      const ts = r.timestampMs;
      if (ts !== -1 && (ts < lowest || ts > highest)) {
        errors.push({
          batchIndex: idx,
          batchIndexErrorMessage: `Timestamp ${ts} of message with offset ${idx} is out of range. The timestamp should be within [${lowest === -Infinity ? '-inf' : lowest}, ${highest === Infinity ? 'inf' : highest}]`,
        });
      }
    });
    if (errors.length > 0) throw rejected(ErrorCode.INVALID_TIMESTAMP, 'timestamp out of range', errors);
  }
}

function producePartition(ctx: RequestContext, topic: string, index: number, records: Buffer | null, acks: number, transactionalId: string | null): PartitionResult {
  const { broker, apiVersion: version } = ctx;
  const meta = broker.topics.get(topic);
  if (!meta || index < 0 || index >= meta.partitions) return failure(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (broker.topics.isInternal(topic) && ctx.header.clientId !== ADMIN_CLIENT_ID) {
    return failure(index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic}`);
  }
  const log = broker.logs.getLog(topic, index);
  if (!log) return failure(index, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  // A closed log of a live topic is one whose log dir failed: Kafka's offline replica.
  if (log.isClosed) return failure(index, version >= 4 ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.NOT_LEADER_OR_FOLLOWER, `The log of ${topic}-${index} is offline`);
  const config = log.config;
  if (records === null || records.length === 0) {
    if (version >= 3) return failure(index, ErrorCode.INVALID_RECORD, `Produce requests with version ${version} must have at least one record batch per partition`);
    // Old versions: an empty set appends nothing (Kafka answers offset -1).
    return { index, errorCode: ErrorCode.NONE, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: BigInt(log.logStartOffset), recordErrors: [], errorMessage: null };
  }
  if (acks === -1 && config['min.insync.replicas'] > 1) {
    return failure(
      index,
      ErrorCode.NOT_ENOUGH_REPLICAS,
      `The size of the current ISR Set(${broker.nodeId}) is insufficient to satisfy the min.isr requirement of ${config['min.insync.replicas']} for partition ${topic}-${index}`,
    );
  }
  const maxBatch = config['max.message.bytes'];
  const maxOutputBytes = Math.max(maxBatch * DECOMPRESS_FACTOR, 64 * 1024 * 1024);
  let data = records;
  try {
    const set = validateRecordSet(records, 0, records.length, { produceVersion: version, allowLegacy: version < 3, maxBatchBytes: maxBatch });
    const codec = targetCodec(config);
    if (set.magic !== 2) {
      data = convertLegacy(records, set, codec, maxOutputBytes);
      if (data.length > maxBatch) return failure(index, ErrorCode.MESSAGE_TOO_LARGE, `The converted record batch of ${data.length} bytes exceeds max.message.bytes ${maxBatch}`);
    } else {
      const headers = set.entries.map((e) => e.header!);
      const positions = set.entries.map((e) => e.position);
      for (const h of headers) {
        if ((h.attributes & ATTR_TRANSACTIONAL) === 0) continue;
        if (transactionalId === null) return failure(index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'Transactional records require a transactional id');
        const verify = produceHooks.verifyTransaction;
        const code = verify ? verify(broker, transactionalId, h.producerId, h.producerEpoch, topic, index, version >= 12) : ErrorCode.INVALID_TXN_STATE;
        if (code !== ErrorCode.NONE) return failure(index, code, verify ? null : 'Samsa has no transaction coordinator yet: transactional produce is not supported');
      }
      checkTimestamps(records, headers, positions, config, Date.now(), maxOutputBytes);
      const compacted = isCompacted(config);
      const recompressAll = codec !== null && headers.some((h) => (h.attributes & ATTR_COMPRESSION_MASK) !== codec);
      if (compacted || recompressAll) {
        const parts: Buffer[] = [];
        for (let i = 0; i < headers.length; i++) {
          const batch = decodeRecordBatch(records, positions[i]!, { verifyCrc: false, maxOutputBytes });
          if (compacted) {
            const missing = batch.records.flatMap((r, idx) => (r.key === null ? [{ batchIndex: idx, batchIndexErrorMessage: `Compacted topic cannot accept message without key in topic partition ${topic}-${index}.` }] : []));
            if (missing.length > 0) throw rejected(ErrorCode.INVALID_RECORD, 'records without keys', missing);
          }
          const h = headers[i]!;
          if (codec !== null && (h.attributes & ATTR_COMPRESSION_MASK) !== codec) parts.push(recompress(batch, codec));
          else parts.push(records.subarray(positions[i]!, positions[i]! + h.batchLength + 12));
        }
        if (recompressAll) data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      }
    }
  } catch (e) {
    if (e instanceof RecordErrors) return failure(index, e.code, version >= 8 ? e.message : null, version >= 8 ? e.records : []);
    if (e instanceof RecordValidationError) return failure(index, e.errorCode, e.message);
    if (e instanceof ProtocolDecodeError) return failure(index, ErrorCode.CORRUPT_MESSAGE, e.message);
    throw e;
  }
  try {
    const r = log.append(data, { leaderEpoch: leaderEpochOf(broker, topic, index) });
    if (!r.duplicate) {
      log.maybeIncrementHighWatermark(log.logEndOffset);
      notifyPartitionChanged(broker, topic, index);
    }
    return {
      index,
      errorCode: ErrorCode.NONE,
      baseOffset: BigInt(r.baseOffset),
      logAppendTimeMs: BigInt(r.logAppendTimeMs),
      logStartOffset: BigInt(r.logStartOffset),
      recordErrors: [],
      errorMessage: null,
    };
  } catch (e) {
    if (e instanceof StorageError) {
      let code = e.code;
      if (code === ErrorCode.KAFKA_STORAGE_ERROR && version < 4) code = ErrorCode.NOT_LEADER_OR_FOLLOWER;
      if (code === ErrorCode.KAFKA_STORAGE_ERROR) broker.log(`append to ${topic}-${index} failed: ${e.message}`);
      return failure(index, code, e.message);
    }
    broker.log(`append to ${topic}-${index} failed: ${(e as Error).stack ?? String(e)}`);
    return failure(index, version >= 4 ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.NOT_LEADER_OR_FOLLOWER, (e as Error).message);
  }
}

export const produceHandler = defineHandler({
  api: ProduceApiKip890,
  minVersion: 0,
  handle(ctx, req) {
    const acks = req.acks;
    const validAcks = acks === -1 || acks === 0 || acks === 1;
    const transactionalId = ctx.apiVersion >= 3 ? req.transactionalId : null;
    const responses: ProduceResponseTopicProduceResponseInit[] = [];
    let failed = false;
    for (const t of req.topicData) {
      const partitionResponses: PartitionResult[] = [];
      for (const p of t.partitionData) {
        const r = validAcks ? producePartition(ctx, t.name, p.index, p.records, acks, transactionalId) : failure(p.index, ErrorCode.INVALID_REQUIRED_ACKS);
        if (r.errorCode !== ErrorCode.NONE) failed = true;
        if (ctx.apiVersion < 8) {
          partitionResponses.push({ ...r, recordErrors: [], errorMessage: null });
        } else {
          partitionResponses.push(r);
        }
      }
      responses.push({ name: t.name, partitionResponses });
    }
    if (acks === 0) {
      if (failed) ctx.connection.close('acks=0 produce request failed; closing the connection so the client refreshes metadata');
      return null;
    }
    return { responses, throttleTimeMs: 0 };
  },
});
