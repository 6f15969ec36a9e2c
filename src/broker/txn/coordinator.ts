/**
 * Transaction coordinator (Kafka's TransactionCoordinator + TransactionStateManager +
 * TransactionMarkerChannelManager, on one node).
 *
 * This node coordinates every transactional id (it leads every __transaction_state
 * partition: Utils.abs(transactionalId.hashCode()) % transaction.state.log.num.partitions).
 * Every state change is written to __transaction_state (compacted, internal) as a
 * TransactionLog record (key: transactional id, value: producer id/epoch, timeout,
 * state, partitions, timestamps) before it takes effect; the topic is replayed on start.
 *
 * Completing a transaction writes PrepareCommit/PrepareAbort, then a COMMIT/ABORT
 * control marker to every partition of the transaction (direct appends on this node:
 * Kafka's WriteTxnMarkers to itself), then CompleteCommit/CompleteAbort. The markers
 * are written synchronously, so EndTxn answers once the transaction is complete.
 *
 * Transactions v1 (EndTxn v0-4): the epoch stays for the producer's life. Transactions
 * v2 (KIP-890 part 2, EndTxn v5+ with transaction.version 2 finalized; see
 * features.ts): partitions are added by the partition leader when the transactional
 * Produce v12 arrives (`addPartitions(..., TV_2)`), and every EndTxn bumps the epoch
 * (PrepareX carries epoch + 1, the markers are written with it, so the partitions'
 * producer state fences the old epoch); the response returns the new id/epoch. When
 * the epoch is exhausted (>= 32766) PrepareX records a NextProducerId and the
 * completion rotates to it with epoch 0. A delayed EndTxn with the previous epoch is a
 * retry only of the transaction just completed (same result: NONE), anything else is
 * PRODUCER_FENCED / INVALID_TXN_STATE, as Kafka's TransactionCoordinator.endTransaction.
 *
 * Transactional offset commits (TxnOffsetCommit) are appended to __consumer_offsets as
 * transactional batches under the producer's id and epoch, kept pending here and
 * applied to the group when the COMMIT marker lands there (dropped on ABORT). The
 * group loader already honours the markers on replay.
 *
 * Expired transactions (transaction.timeout.ms) are aborted every
 * transaction.abort.timed.out.transaction.cleanup.interval.ms with a bumped epoch,
 * fencing the producer as Kafka does.
 */
import { ErrorCode } from '../../protocol/errors/index.ts';
import { decodeGroupCoordinatorRecord, encodeGroupCoordinatorRecord } from '../../protocol/generated/internal/coordinator-records.ts';
import { decodeTransactionCoordinatorRecord, encodeTransactionCoordinatorRecord } from '../../protocol/generated/internal/coordinator-records.ts';
import { buildRecordBatch } from '../../protocol/records/batch-builder.ts';
import { ATTR_TRANSACTIONAL } from '../../protocol/records/batch-header.ts';
import { buildEndTransactionMarkerBatch, isControlBatch } from '../../protocol/records/control.ts';
import { iterateRecordSet } from '../../protocol/records/record-set.ts';
import { StorageError } from '../../storage/errors.ts';
import { PartitionLog } from '../../storage/partition-log.ts';
import type { BrokerContext } from '../broker-context.ts';
import { dataPlane, leaderEpochOf, notifyPartitionChanged } from '../fetch/state.ts';
import { ClassicGroup, GroupState } from '../group/classic-group.ts';
import { ensureOffsetsTopic, groupCoordinatorOf, GROUP_METADATA_TOPIC_NAME } from '../group/index.ts';
import { partitionForGroup } from '../group/partition-for.ts';
import { offsetCommitRecord } from '../group/records.ts';
import { transactionVersionLevel, TV_2 } from './features.ts';

export const TRANSACTION_STATE_TOPIC_NAME = '__transaction_state';

/** Kafka's TransactionState ids (as written in TransactionLogValue.transaction_status). */
export const TxnState = {
  EMPTY: 0,
  ONGOING: 1,
  PREPARE_COMMIT: 2,
  PREPARE_ABORT: 3,
  COMPLETE_COMMIT: 4,
  COMPLETE_ABORT: 5,
  DEAD: 6,
  PREPARE_EPOCH_FENCE: 7,
} as const;

export const TXN_STATE_NAMES = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'];

const MAX_EPOCH = 32767;

export interface PendingOffset {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
}

export interface TxnMetadata {
  transactionalId: string;
  producerId: bigint;
  previousProducerId: bigint;
  /** Transactions v2: the producer id the completion of the transaction rotates to (epoch exhausted), else -1. */
  nextProducerId: bigint;
  producerEpoch: number;
  lastProducerEpoch: number;
  timeoutMs: number;
  state: number;
  /** topic → partitions in the transaction. */
  partitions: Map<string, Set<number>>;
  startMs: number;
  lastUpdateMs: number;
  /** groupId → offsets written in this transaction, applied on commit. */
  pendingOffsets: Map<string, PendingOffset[]>;
  /** Kafka's TransactionVersion the transaction runs with: 0 (v1 requests) or 2 (transactions v2). */
  clientTransactionVersion: number;
}

/** The answer to EndTxn: error, and (EndTxn v5) the producer id/epoch to use next. */
export interface EndTxnResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

export class TxnCoordinator {
  readonly broker: BrokerContext;
  readonly txns = new Map<string, TxnMetadata>();
  readonly partitionCount: number;
  private timer: NodeJS.Timeout | null = null;
  private expireTimer: NodeJS.Timeout | null = null;

  constructor(broker: BrokerContext) {
    this.broker = broker;
    const existing = broker.topics.get(TRANSACTION_STATE_TOPIC_NAME);
    this.partitionCount = existing ? existing.partitions : broker.config.int('transaction.state.log.num.partitions');
  }

  // ---- lifecycle ----

  start(): void {
    groupCoordinatorOf(this.broker).offsetManager.hasPendingTxnOffset = (g, t, p) => this.hasPendingOffsets(g, t, p);
    this.load();
    const interval = this.broker.config.int('transaction.abort.timed.out.transaction.cleanup.interval.ms');
    this.timer = setInterval(() => this.abortTimedOut(), interval);
    this.timer.unref();
    const removeInterval = this.broker.config.int('transaction.remove.expired.transaction.cleanup.interval.ms');
    this.expireTimer = setInterval(() => this.expireTransactionalIds(), removeInterval);
    this.expireTimer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.expireTimer) clearInterval(this.expireTimer);
    this.timer = null;
    this.expireTimer = null;
  }

  private load(): void {
    if (!this.broker.topics.get(TRANSACTION_STATE_TOPIC_NAME)) return;
    for (let p = 0; p < this.partitionCount; p++) {
      const log = this.broker.logs.getLog(TRANSACTION_STATE_TOPIC_NAME, p);
      if (!log) continue;
      let offset = log.logStartOffset;
      const end = log.highWatermark;
      while (offset < end) {
        const r = log.read(offset, 5 * 1024 * 1024, { maxOffset: end, minOneBatch: true });
        if (r.sizeBytes === 0) break;
        const buf = PartitionLog.readSlices(r.slices);
        let advanced = false;
        for (const batch of iterateRecordSet(buf, 0, buf.length)) {
          const next = Number(batch.header.baseOffset) + batch.header.lastOffsetDelta + 1;
          if (next <= offset) continue;
          advanced = true;
          offset = next;
          if (isControlBatch(batch.header)) continue;
          for (const rec of batch.records) {
            if (!rec.key) continue;
            try {
              const d = decodeTransactionCoordinatorRecord(Buffer.from(rec.key), rec.value && Buffer.from(rec.value));
              const id = d.key.transactionalId;
              if (d.value === null) {
                this.txns.delete(id);
                continue;
              }
              const v = d.value;
              const partitions = new Map<string, Set<number>>();
              for (const tp of v.transactionPartitions ?? []) partitions.set(tp.topic, new Set(tp.partitionIds));
              this.txns.set(id, {
                transactionalId: id,
                producerId: v.producerId,
                previousProducerId: v.previousProducerId,
                nextProducerId: v.nextProducerId,
                producerEpoch: v.producerEpoch,
                lastProducerEpoch: -1,
                timeoutMs: v.transactionTimeoutMs,
                state: v.transactionStatus,
                partitions,
                startMs: Number(v.transactionStartTimestampMs),
                lastUpdateMs: Number(v.transactionLastUpdateTimestampMs),
                pendingOffsets: new Map(),
                clientTransactionVersion: v.clientTransactionVersion,
              });
            } catch (e) {
              this.broker.log(`[TransactionCoordinator] skipping a bad record in ${TRANSACTION_STATE_TOPIC_NAME}-${p}: ${(e as Error).message}`);
            }
          }
        }
        if (!advanced) break;
      }
    }
    // Open transactions' offsets are pending in __consumer_offsets: recover them.
    for (const md of this.txns.values()) {
      if (md.state !== TxnState.ONGOING) continue;
      for (const p of md.partitions.get(GROUP_METADATA_TOPIC_NAME) ?? []) this.recoverPendingOffsets(md, p);
    }
    // Finish what was being completed when the broker stopped.
    for (const md of this.txns.values()) {
      if (md.state === TxnState.PREPARE_COMMIT) this.complete(md, true);
      else if (md.state === TxnState.PREPARE_ABORT || md.state === TxnState.PREPARE_EPOCH_FENCE) this.complete(md, false);
    }
    if (this.txns.size > 0) this.broker.log(`[TransactionCoordinator] loaded ${this.txns.size} transactional ids`);
  }

  /** Reads the producer's transactional offset commits after its last marker in a __consumer_offsets partition. */
  private recoverPendingOffsets(md: TxnMetadata, partition: number): void {
    const log = this.broker.logs.getLog(GROUP_METADATA_TOPIC_NAME, partition);
    if (!log) return;
    let found = new Map<string, PendingOffset[]>();
    let offset = log.logStartOffset;
    const end = log.logEndOffset;
    while (offset < end) {
      const r = log.read(offset, 5 * 1024 * 1024, { maxOffset: end, minOneBatch: true });
      if (r.sizeBytes === 0) break;
      const buf = PartitionLog.readSlices(r.slices);
      let advanced = false;
      for (const batch of iterateRecordSet(buf, 0, buf.length)) {
        const h = batch.header;
        const next = Number(h.baseOffset) + h.lastOffsetDelta + 1;
        if (next <= offset) continue;
        advanced = true;
        offset = next;
        if (h.producerId !== md.producerId) continue;
        if (isControlBatch(h)) {
          found = new Map();
          continue;
        }
        if ((h.attributes & ATTR_TRANSACTIONAL) === 0) continue;
        for (const rec of batch.records) {
          if (!rec.key) continue;
          try {
            const d = decodeGroupCoordinatorRecord(Buffer.from(rec.key), rec.value && Buffer.from(rec.value));
            if (d.type !== 'OffsetCommit' || d.value === null) continue;
            let list = found.get(d.key.group);
            if (!list) found.set(d.key.group, (list = []));
            list.push({ topic: d.key.topic, partition: d.key.partition, offset: d.value.offset, leaderEpoch: d.value.leaderEpoch, metadata: d.value.metadata });
          } catch {
            // not an offset commit
          }
        }
      }
      if (!advanced) break;
    }
    for (const [g, list] of found) {
      const mine = md.pendingOffsets.get(g) ?? [];
      mine.push(...list);
      md.pendingOffsets.set(g, mine);
    }
  }

  /** Removes transactional ids idle longer than transactional.id.expiration.ms (tombstones). */
  expireTransactionalIds(now = Date.now()): number {
    const expiration = this.broker.config.int('transactional.id.expiration.ms');
    let n = 0;
    for (const md of [...this.txns.values()]) {
      const idle = md.state === TxnState.EMPTY || md.state === TxnState.COMPLETE_COMMIT || md.state === TxnState.COMPLETE_ABORT;
      if (!idle || now - md.lastUpdateMs < expiration) continue;
      if (this.writeTombstone(md.transactionalId) === ErrorCode.NONE) {
        this.txns.delete(md.transactionalId);
        n++;
      }
    }
    return n;
  }

  private writeTombstone(transactionalId: string): number {
    const partition = this.partitionFor(transactionalId);
    const log = this.broker.logs.getLog(TRANSACTION_STATE_TOPIC_NAME, partition);
    if (!log || log.isClosed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const { key } = encodeTransactionCoordinatorRecord({ type: 'TransactionLog', key: { transactionalId }, value: null });
    try {
      log.append(buildRecordBatch([{ offsetDelta: 0, timestampDelta: 0, key, value: null }], { baseTimestamp: Date.now() }), { leaderEpoch: leaderEpochOf(this.broker, TRANSACTION_STATE_TOPIC_NAME, partition) });
      log.maybeIncrementHighWatermark(log.logEndOffset);
      return ErrorCode.NONE;
    } catch {
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    }
  }

  // ---- the log ----

  ensureTopic(): number {
    if (this.broker.topics.get(TRANSACTION_STATE_TOPIC_NAME)) return ErrorCode.NONE;
    try {
      this.broker.topics.ensureInternal(TRANSACTION_STATE_TOPIC_NAME, this.partitionCount, {
        'cleanup.policy': 'compact',
        'segment.bytes': String(this.broker.config.int('transaction.state.log.segment.bytes')),
        'compression.type': 'uncompressed',
      });
      this.broker.log(`Created internal topic ${TRANSACTION_STATE_TOPIC_NAME} with ${this.partitionCount} partitions`);
      return ErrorCode.NONE;
    } catch (e) {
      this.broker.log(`Could not create ${TRANSACTION_STATE_TOPIC_NAME}: ${(e as Error).message}`);
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  partitionFor(transactionalId: string): number {
    return partitionForGroup(transactionalId, this.partitionCount);
  }

  /** Writes the metadata's current state; NONE or the error to answer. */
  private persist(md: TxnMetadata): number {
    if (this.ensureTopic() !== ErrorCode.NONE) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const partition = this.partitionFor(md.transactionalId);
    const log = this.broker.logs.getLog(TRANSACTION_STATE_TOPIC_NAME, partition);
    if (!log || log.isClosed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const { key, value } = encodeTransactionCoordinatorRecord({
      type: 'TransactionLog',
      key: { transactionalId: md.transactionalId },
      value: {
        producerId: md.producerId,
        previousProducerId: md.previousProducerId,
        nextProducerId: md.nextProducerId,
        producerEpoch: md.producerEpoch,
        transactionTimeoutMs: md.timeoutMs,
        transactionStatus: md.state,
        transactionPartitions:
          md.state === TxnState.EMPTY || md.state === TxnState.COMPLETE_COMMIT || md.state === TxnState.COMPLETE_ABORT
            ? null
            : [...md.partitions].map(([topic, ps]) => ({ topic, partitionIds: [...ps].sort((a, b) => a - b) })),
        transactionLastUpdateTimestampMs: BigInt(md.lastUpdateMs),
        transactionStartTimestampMs: BigInt(md.startMs),
        clientTransactionVersion: md.clientTransactionVersion,
      },
      // As Kafka's TransactionLog.valueToBytes: value v1 (flexible, with the tagged
      // previous/next producer ids and client transaction version) from transaction.version 1.
      valueVersion: transactionVersionLevel(this.broker) >= 1 ? 1 : 0,
    });
    try {
      const batch = buildRecordBatch([{ offsetDelta: 0, timestampDelta: 0, key, value }], { baseTimestamp: Date.now() });
      log.append(batch, { leaderEpoch: leaderEpochOf(this.broker, TRANSACTION_STATE_TOPIC_NAME, partition) });
      log.maybeIncrementHighWatermark(log.logEndOffset);
      notifyPartitionChanged(this.broker, TRANSACTION_STATE_TOPIC_NAME, partition);
      return ErrorCode.NONE;
    } catch (e) {
      this.broker.log(`[TransactionCoordinator] append to ${TRANSACTION_STATE_TOPIC_NAME}-${partition} failed: ${(e as Error).message}`);
      return ErrorCode.NOT_COORDINATOR;
    }
  }

  private transition(md: TxnMetadata, state: number): number {
    md.state = state;
    md.lastUpdateMs = Date.now();
    return this.persist(md);
  }

  // ---- InitProducerId ----

  initProducerId(transactionalId: string, timeoutMs: number, reqProducerId: bigint, reqEpoch: number): { errorCode: number; producerId: bigint; producerEpoch: number } {
    const fail = (errorCode: number) => ({ errorCode, producerId: -1n, producerEpoch: -1 });
    if (timeoutMs <= 0 || timeoutMs > this.broker.config.int('transaction.max.timeout.ms')) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    if (this.ensureTopic() !== ErrorCode.NONE) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const now = Date.now();
    let md = this.txns.get(transactionalId);
    if (!md) {
      const id = this.newProducerId();
      if (id < 0n) return fail(ErrorCode.UNKNOWN_SERVER_ERROR);
      md = {
        transactionalId,
        producerId: id,
        previousProducerId: -1n,
        nextProducerId: -1n,
        producerEpoch: 0,
        lastProducerEpoch: -1,
        timeoutMs,
        state: TxnState.EMPTY,
        partitions: new Map(),
        startMs: -1,
        lastUpdateMs: now,
        pendingOffsets: new Map(),
        clientTransactionVersion: 0,
      };
      const err = this.persist(md);
      if (err !== ErrorCode.NONE) return fail(err);
      this.txns.set(transactionalId, md);
      return { errorCode: ErrorCode.NONE, producerId: md.producerId, producerEpoch: md.producerEpoch };
    }
    // KIP-360: a producer resuming with its id and epoch.
    if (reqProducerId >= 0n) {
      if (reqProducerId !== md.producerId && reqProducerId !== md.previousProducerId) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
      if (reqProducerId === md.producerId && reqEpoch !== md.producerEpoch && reqEpoch !== md.lastProducerEpoch) return fail(ErrorCode.PRODUCER_FENCED);
      // The producer's last epoch: a retry of an InitProducerId that already bumped it,
      // or (transactions v2) a producer that lost the response of the EndTxn that did.
      // As Kafka's prepareIncrementProducerEpoch: the current epoch, no new bump.
      const retry = reqProducerId === md.previousProducerId || (reqEpoch === md.lastProducerEpoch && reqEpoch !== md.producerEpoch);
      if (retry && (md.state === TxnState.EMPTY || md.state === TxnState.COMPLETE_COMMIT || md.state === TxnState.COMPLETE_ABORT)) {
        if (md.state !== TxnState.EMPTY) {
          const err = this.resetToEmpty(md, timeoutMs);
          if (err !== ErrorCode.NONE) return fail(err);
        }
        return { errorCode: ErrorCode.NONE, producerId: md.producerId, producerEpoch: md.producerEpoch };
      }
    }
    switch (md.state) {
      case TxnState.PREPARE_COMMIT:
      case TxnState.PREPARE_ABORT:
      case TxnState.PREPARE_EPOCH_FENCE:
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      case TxnState.ONGOING: {
        // Fence the previous producer and abort its transaction; the client retries.
        this.fenceAndAbort(md);
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      }
      default: {
        if (md.producerEpoch + 1 >= MAX_EPOCH) {
          const id = this.newProducerId();
          if (id < 0n) return fail(ErrorCode.UNKNOWN_SERVER_ERROR);
          md.previousProducerId = md.producerId;
          md.producerId = id;
          md.lastProducerEpoch = -1;
          md.producerEpoch = 0;
        } else {
          md.lastProducerEpoch = md.producerEpoch;
          md.producerEpoch += 1;
        }
        const err = this.resetToEmpty(md, timeoutMs);
        if (err !== ErrorCode.NONE) return fail(err);
        return { errorCode: ErrorCode.NONE, producerId: md.producerId, producerEpoch: md.producerEpoch };
      }
    }
  }

  /** InitProducerId's end: no transaction, the new timeout, state Empty (persisted). */
  private resetToEmpty(md: TxnMetadata, timeoutMs: number): number {
    md.timeoutMs = timeoutMs;
    md.nextProducerId = -1n;
    md.partitions = new Map();
    md.pendingOffsets = new Map();
    md.startMs = -1;
    return this.transition(md, TxnState.EMPTY);
  }

  private newProducerId(): bigint {
    try {
      return BigInt(dataPlane(this.broker).producerIds.generate());
    } catch (e) {
      this.broker.log(`producer id allocation failed: ${(e as Error).message}`);
      return -1n;
    }
  }

  /**
   * Bumps the epoch (fencing the current producer) and aborts the ongoing transaction.
   * A transactions-v2 transaction is aborted as EndTxn v5 would (one more bump, the
   * markers carry it), so the epoch moves by two, as in Kafka.
   */
  private fenceAndAbort(md: TxnMetadata): void {
    if (md.producerEpoch + 1 < MAX_EPOCH) {
      md.lastProducerEpoch = -1;
      md.producerEpoch += 1;
    }
    this.transition(md, TxnState.PREPARE_EPOCH_FENCE);
    if (md.clientTransactionVersion >= TV_2) {
      // The fenced epoch was never handed out: nothing for lastProducerEpoch to remember.
      if (this.bumpForEnd(md) !== ErrorCode.NONE) return;
      md.lastProducerEpoch = -1;
    }
    this.transition(md, TxnState.PREPARE_ABORT);
    this.complete(md, false);
  }

  /**
   * Transactions v2: the epoch bump of PrepareCommit/PrepareAbort (Kafka's
   * prepareAbortOrCommit). An exhausted epoch (>= 32766) allocates the next producer id,
   * which the completion switches to with epoch 0.
   */
  private bumpForEnd(md: TxnMetadata): number {
    md.nextProducerId = -1n;
    if (md.producerEpoch >= MAX_EPOCH - 1) {
      const id = this.newProducerId();
      if (id < 0n) return ErrorCode.UNKNOWN_SERVER_ERROR;
      md.nextProducerId = id;
    }
    md.lastProducerEpoch = md.producerEpoch;
    md.producerEpoch = Math.min(md.producerEpoch + 1, MAX_EPOCH);
    return ErrorCode.NONE;
  }

  // ---- validation ----

  /** NONE when (producerId, epoch) is the current producer of `md`. */
  private checkProducer(md: TxnMetadata | undefined, producerId: bigint, epoch: number): number {
    if (!md) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (md.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (md.producerEpoch !== epoch) return ErrorCode.PRODUCER_FENCED;
    return ErrorCode.NONE;
  }

  // ---- AddPartitionsToTxn / AddOffsetsToTxn ----

  /**
   * Error for every partition (one code), NONE when all were added. `clientTransactionVersion`
   * is TV_2 for the implicit add of transactions v2 (Produce v12, TxnOffsetCommit v5),
   * which may start a transaction from Empty/CompleteCommit/CompleteAbort as the v1 add does.
   */
  addPartitions(
    transactionalId: string,
    producerId: bigint,
    epoch: number,
    partitions: readonly { topic: string; partition: number }[],
    verifyOnly = false,
    clientTransactionVersion = 0,
  ): number {
    const md = this.txns.get(transactionalId);
    // A v2 producer already on the id its transaction's completion rotates to.
    if (md && md.nextProducerId >= 0n && producerId === md.nextProducerId && (md.state === TxnState.PREPARE_COMMIT || md.state === TxnState.PREPARE_ABORT)) return ErrorCode.CONCURRENT_TRANSACTIONS;
    const err = this.checkProducer(md, producerId, epoch);
    if (err !== ErrorCode.NONE) return err;
    const m = md!;
    if (verifyOnly) {
      if (m.state !== TxnState.ONGOING) return ErrorCode.INVALID_TXN_STATE;
      return partitions.every((p) => m.partitions.get(p.topic)?.has(p.partition)) ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
    }
    if (m.state === TxnState.PREPARE_COMMIT || m.state === TxnState.PREPARE_ABORT) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (m.state === TxnState.PREPARE_EPOCH_FENCE || m.state === TxnState.DEAD) return ErrorCode.INVALID_TXN_STATE;
    const already = m.state === TxnState.ONGOING && partitions.every((p) => m.partitions.get(p.topic)?.has(p.partition));
    if (already) return ErrorCode.NONE;
    if (m.state !== TxnState.ONGOING) {
      m.partitions = new Map();
      m.pendingOffsets = new Map();
      m.startMs = Date.now();
      m.clientTransactionVersion = clientTransactionVersion;
    }
    for (const p of partitions) {
      let s = m.partitions.get(p.topic);
      if (!s) m.partitions.set(p.topic, (s = new Set()));
      s.add(p.partition);
    }
    return this.transition(m, TxnState.ONGOING);
  }

  addOffsets(transactionalId: string, producerId: bigint, epoch: number, groupId: string, clientTransactionVersion = 0): number {
    if (ensureOffsetsTopic(this.broker) !== ErrorCode.NONE) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const partition = partitionForGroup(groupId, groupCoordinatorOf(this.broker).partitionCount);
    return this.addPartitions(transactionalId, producerId, epoch, [{ topic: GROUP_METADATA_TOPIC_NAME, partition }], false, clientTransactionVersion);
  }

  /**
   * The produce path of transactions v2 (Produce v12): the partition leader adds the
   * partition to the producer's transaction (Kafka's AddPartitionsToTxnManager with
   * verifyOnly=false), starting one if none is open. Errors as the leader answers them:
   * an old epoch is INVALID_PRODUCER_EPOCH; coordinator states a client should retry
   * are NOT_ENOUGH_REPLICAS (Kafka's choice: retriable, no metadata refresh).
   */
  addPartitionFromProduce(transactionalId: string, producerId: bigint, epoch: number, topic: string, partition: number): number {
    const code = this.addPartitions(transactionalId, producerId, epoch, [{ topic, partition }], false, TV_2);
    switch (code) {
      case ErrorCode.PRODUCER_FENCED:
        return ErrorCode.INVALID_PRODUCER_EPOCH;
      case ErrorCode.CONCURRENT_TRANSACTIONS:
      case ErrorCode.COORDINATOR_NOT_AVAILABLE:
      case ErrorCode.NOT_COORDINATOR:
        return ErrorCode.NOT_ENOUGH_REPLICAS;
      default:
        return code;
    }
  }

  /** The produce path's check (transaction.partition.verification). */
  verifyProduce(transactionalId: string, producerId: bigint, epoch: number, topic: string, partition: number): number {
    // As Kafka's AddPartitionsToTxnManager: an unknown id/mapping is INVALID_TXN_STATE,
    // a fenced epoch INVALID_PRODUCER_EPOCH.
    const md = this.txns.get(transactionalId);
    if (!md || md.producerId !== producerId) return ErrorCode.INVALID_TXN_STATE;
    if (epoch !== md.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (md.state !== TxnState.ONGOING || !md.partitions.get(topic)?.has(partition)) return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  // ---- TxnOffsetCommit ----

  txnOffsetCommit(
    transactionalId: string,
    producerId: bigint,
    epoch: number,
    groupId: string,
    generationId: number,
    offsets: readonly PendingOffset[],
  ): number {
    const md = this.txns.get(transactionalId);
    const err = this.checkProducer(md, producerId, epoch);
    if (err !== ErrorCode.NONE) return err;
    const m = md!;
    const gc = groupCoordinatorOf(this.broker);
    const partition = partitionForGroup(groupId, gc.partitionCount);
    if (m.state !== TxnState.ONGOING || !m.partitions.get(GROUP_METADATA_TOPIC_NAME)?.has(partition)) return ErrorCode.INVALID_TXN_STATE;
    const group = gc.groups.get(groupId);
    if (group && generationId >= 0 && group.generationId !== generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (offsets.length === 0) return ErrorCode.NONE;
    const log = this.broker.logs.getLog(GROUP_METADATA_TOPIC_NAME, partition);
    if (!log || log.isClosed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const now = Date.now();
    const inputs = offsets.map((o, i) => {
      const { key, value } = encodeGroupCoordinatorRecord(
        offsetCommitRecord(groupId, o.topic, o.partition, { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, commitTimestampMs: now, expireTimestampMs: null }),
      );
      return { offsetDelta: i, timestampDelta: 0, key, value };
    });
    try {
      const batch = buildRecordBatch(inputs, { baseTimestamp: now, transactional: true, producerId, producerEpoch: epoch, baseSequence: -1 });
      log.append(batch, { origin: 'coordinator', leaderEpoch: leaderEpochOf(this.broker, GROUP_METADATA_TOPIC_NAME, partition) });
      log.maybeIncrementHighWatermark(log.logEndOffset);
      notifyPartitionChanged(this.broker, GROUP_METADATA_TOPIC_NAME, partition);
    } catch (e) {
      this.broker.log(`[TransactionCoordinator] transactional offset commit failed: ${(e as Error).message}`);
      return e instanceof StorageError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR;
    }
    let pending = m.pendingOffsets.get(groupId);
    if (!pending) m.pendingOffsets.set(groupId, (pending = []));
    pending.push(...offsets);
    return ErrorCode.NONE;
  }

  /** Whether a group has offsets pending in an open transaction for topic-partition. */
  hasPendingOffsets(groupId: string, topic: string, partition: number): boolean {
    for (const md of this.txns.values()) {
      if (md.state !== TxnState.ONGOING && md.state !== TxnState.PREPARE_COMMIT) continue;
      for (const o of md.pendingOffsets.get(groupId) ?? []) if (o.topic === topic && o.partition === partition) return true;
    }
    return false;
  }

  // ---- EndTxn ----

  endTxn(transactionalId: string, producerId: bigint, epoch: number, commit: boolean): number {
    const md = this.txns.get(transactionalId);
    const err = this.checkProducer(md, producerId, epoch);
    if (err !== ErrorCode.NONE) return err;
    const m = md!;
    switch (m.state) {
      case TxnState.ONGOING: {
        const e = this.transition(m, commit ? TxnState.PREPARE_COMMIT : TxnState.PREPARE_ABORT);
        if (e !== ErrorCode.NONE) return e;
        this.complete(m, commit);
        return ErrorCode.NONE;
      }
      case TxnState.COMPLETE_COMMIT:
        return commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
      case TxnState.COMPLETE_ABORT:
        return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
      case TxnState.PREPARE_COMMIT:
        return commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE;
      case TxnState.PREPARE_ABORT:
        return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS;
      case TxnState.PREPARE_EPOCH_FENCE:
        return ErrorCode.PRODUCER_FENCED;
      default:
        return ErrorCode.INVALID_TXN_STATE;
    }
  }

  /**
   * EndTxn v5+ (transactions v2), Kafka's TransactionCoordinator.endTransaction for TV_2:
   *
   *                   Abort            Commit
   *                   retry  current   retry  current     retry: epoch = current - 1
   *   Empty           FENCED bump      FENCED ITS         bump: PrepareX at epoch + 1
   *   CompleteAbort   NONE   bump      ITS    ITS         ITS: INVALID_TXN_STATE
   *   CompleteCommit  ITS    bump      NONE   ITS
   *
   * Ongoing needs the current epoch; PrepareX (markers pending) accepts only the retry
   * (CONCURRENT_TRANSACTIONS for the same operation). Any other epoch is PRODUCER_FENCED,
   * so a delayed EndTxn can never end a later transaction. NONE answers carry the id and
   * epoch the producer must use next.
   */
  endTxnV2(transactionalId: string, producerId: bigint, epoch: number, commit: boolean): EndTxnResult {
    const fail = (errorCode: number): EndTxnResult => ({ errorCode, producerId: -1n, producerEpoch: -1 });
    const md = this.txns.get(transactionalId);
    if (!md) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    // A retry of an EndTxn whose completion rotated the producer id (epoch exhausted).
    const retryOnOverflow = md.previousProducerId === producerId && epoch === MAX_EPOCH - 1 && md.producerEpoch === 0;
    // A retry of the EndTxn that bumped the epoch to the current one.
    const retryOnEpochBump = md.producerId === producerId && md.producerEpoch === epoch + 1;
    if (md.producerId !== producerId && !retryOnOverflow) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    let valid: boolean;
    switch (md.state) {
      case TxnState.PREPARE_COMMIT:
      case TxnState.PREPARE_ABORT:
        valid = retryOnEpochBump;
        break;
      case TxnState.COMPLETE_COMMIT:
      case TxnState.COMPLETE_ABORT:
        valid = retryOnEpochBump || retryOnOverflow || (md.producerId === producerId && epoch === md.producerEpoch);
        break;
      default:
        valid = md.producerId === producerId && epoch === md.producerEpoch;
    }
    if (!valid) return fail(ErrorCode.PRODUCER_FENCED);
    const isRetry = retryOnEpochBump || retryOnOverflow;
    const current = (): EndTxnResult => ({ errorCode: ErrorCode.NONE, producerId: md.producerId, producerEpoch: md.producerEpoch });
    switch (md.state) {
      case TxnState.ONGOING:
        return this.endV2(md, commit, false);
      case TxnState.COMPLETE_COMMIT:
        if (commit) return isRetry ? current() : fail(ErrorCode.INVALID_TXN_STATE);
        return isRetry ? fail(ErrorCode.INVALID_TXN_STATE) : this.endV2(md, false, true);
      case TxnState.COMPLETE_ABORT:
        if (!commit) return isRetry ? current() : this.endV2(md, false, true);
        return fail(ErrorCode.INVALID_TXN_STATE);
      case TxnState.EMPTY:
        return commit ? fail(ErrorCode.INVALID_TXN_STATE) : this.endV2(md, false, true);
      case TxnState.PREPARE_COMMIT:
        return fail(commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE);
      case TxnState.PREPARE_ABORT:
        return fail(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS);
      default:
        return fail(ErrorCode.INVALID_TXN_STATE);
    }
  }

  /** PrepareX with the bumped epoch, the markers, CompleteX; the id/epoch to use next. */
  private endV2(md: TxnMetadata, commit: boolean, noPartitionAdded: boolean): EndTxnResult {
    const before = { ...md };
    const undo = (errorCode: number): EndTxnResult => {
      Object.assign(md, before);
      return { errorCode, producerId: -1n, producerEpoch: -1 };
    };
    const bump = this.bumpForEnd(md);
    if (bump !== ErrorCode.NONE) return undo(bump);
    md.clientTransactionVersion = TV_2;
    if (noPartitionAdded) {
      // Aborting a transaction that added nothing (allowed in v2): no markers to write.
      md.partitions = new Map();
      md.pendingOffsets = new Map();
      md.startMs = Date.now();
    }
    const e = this.transition(md, commit ? TxnState.PREPARE_COMMIT : TxnState.PREPARE_ABORT);
    if (e !== ErrorCode.NONE) return undo(e);
    this.complete(md, commit);
    // Markers still pending (retried by the cleanup timer): the producer already moves on
    // to the epoch (or the rotated id) the completion will have.
    if (md.nextProducerId >= 0n) return { errorCode: ErrorCode.NONE, producerId: md.nextProducerId, producerEpoch: 0 };
    return { errorCode: ErrorCode.NONE, producerId: md.producerId, producerEpoch: md.producerEpoch };
  }

  /** Writes the markers, applies/drops pending offsets, and records the completion. */
  private complete(md: TxnMetadata, commit: boolean): void {
    const results = this.writeMarkers(md.producerId, md.producerEpoch, commit, md.partitions);
    // Partitions whose marker could not be written stay in the transaction, which stays
    // PrepareCommit/PrepareAbort; the cleanup timer retries them. A deleted topic is
    // skipped, as Kafka does.
    const failed = new Map<string, Set<number>>();
    for (const [topic, res] of results) {
      for (const [p, code] of res) {
        if (code === ErrorCode.NONE || code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) continue;
        let f = failed.get(topic);
        if (!f) failed.set(topic, (f = new Set()));
        f.add(p);
      }
    }
    const gc = groupCoordinatorOf(this.broker);
    const now = Date.now();
    for (const [groupId, offsets] of [...md.pendingOffsets]) {
      if (failed.get(GROUP_METADATA_TOPIC_NAME)?.has(partitionForGroup(groupId, gc.partitionCount))) continue;
      md.pendingOffsets.delete(groupId);
      if (!commit) continue;
      let group = gc.groups.get(groupId);
      if (!group) {
        group = new ClassicGroup(groupId, GroupState.EMPTY, gc.timer.now());
        gc.groups.set(groupId, group);
      }
      for (const o of offsets) {
        group.setOffset(o.topic, o.partition, { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, commitTimestampMs: now, expireTimestampMs: null });
      }
    }
    if (failed.size > 0) {
      md.partitions = failed;
      this.broker.log(`[TransactionCoordinator] ${md.transactionalId}: markers pending for ${[...failed].map(([t, ps]) => `${t}-[${[...ps].join(',')}]`).join(' ')}; will retry`);
      return;
    }
    if (md.nextProducerId >= 0n) {
      // Transactions v2, epoch exhausted: the completion moves to the next producer id
      // (lastProducerEpoch stays the last epoch the client saw, as Kafka's prepareComplete).
      md.previousProducerId = md.producerId;
      md.producerId = md.nextProducerId;
      md.producerEpoch = 0;
      md.nextProducerId = -1n;
    }
    md.partitions = new Map();
    this.transition(md, commit ? TxnState.COMPLETE_COMMIT : TxnState.COMPLETE_ABORT);
  }

  /** Appends a COMMIT/ABORT marker to each partition (Kafka's WriteTxnMarkers). Per-partition error codes. */
  writeMarkers(producerId: bigint, epoch: number, commit: boolean, partitions: ReadonlyMap<string, ReadonlySet<number>>): Map<string, Map<number, number>> {
    const out = new Map<string, Map<number, number>>();
    const now = Date.now();
    for (const [topic, ps] of partitions) {
      const res = new Map<number, number>();
      out.set(topic, res);
      for (const p of ps) {
        const log = this.broker.logs.getLog(topic, p);
        if (!log) {
          res.set(p, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          continue;
        }
        try {
          const batch = buildEndTransactionMarkerBatch({ commit, producerId, producerEpoch: epoch, coordinatorEpoch: 0, timestamp: now });
          log.append(batch, { origin: 'coordinator', leaderEpoch: leaderEpochOf(this.broker, topic, p) });
          log.maybeIncrementHighWatermark(log.logEndOffset);
          notifyPartitionChanged(this.broker, topic, p);
          res.set(p, ErrorCode.NONE);
        } catch (e) {
          this.broker.log(`[TransactionCoordinator] marker to ${topic}-${p} failed: ${(e as Error).message}`);
          res.set(p, e instanceof StorageError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR);
        }
      }
    }
    return out;
  }

  // ---- timeouts ----

  abortTimedOut(now = Date.now()): number {
    let n = 0;
    for (const md of this.txns.values()) {
      // Markers that failed earlier are retried here.
      if (md.state === TxnState.PREPARE_COMMIT || md.state === TxnState.PREPARE_ABORT) {
        this.complete(md, md.state === TxnState.PREPARE_COMMIT);
        continue;
      }
      if (md.state === TxnState.ONGOING && md.startMs >= 0 && now > md.startMs + md.timeoutMs) {
        this.broker.log(`[TransactionCoordinator] aborting timed out transaction of ${md.transactionalId} (producer ${md.producerId}, epoch ${md.producerEpoch})`);
        this.fenceAndAbort(md);
        n++;
      }
    }
    return n;
  }
}

const coordinators = new WeakMap<BrokerContext, TxnCoordinator>();

/** The broker's transaction coordinator, started (and its log loaded) on first use. */
export function txnCoordinatorOf(broker: BrokerContext): TxnCoordinator {
  let c = coordinators.get(broker);
  if (!c) {
    c = new TxnCoordinator(broker);
    coordinators.set(broker, c);
    c.start();
  }
  return c;
}

export function startTxnCoordinator(broker: BrokerContext): TxnCoordinator {
  return txnCoordinatorOf(broker);
}

export function stopTxnCoordinator(broker: BrokerContext): void {
  coordinators.get(broker)?.stop();
  coordinators.delete(broker);
}
