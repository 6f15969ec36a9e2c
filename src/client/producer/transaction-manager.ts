/**
 * TransactionManager: the transactional producer's state machine and its talks
 * with the transaction coordinator (Java's TransactionManager).
 *
 *   UNINITIALIZED ─initTransactions→ INITIALIZING → READY ─begin→ IN_TRANSACTION
 *   IN_TRANSACTION ─commit→ COMMITTING → READY
 *   IN_TRANSACTION | ABORTABLE_ERROR ─abort→ ABORTING → READY
 *   any ─fenced / not authorized→ FATAL_ERROR (only close() is left)
 *
 * - initTransactions: FindCoordinator(transaction) and InitProducerId with the
 *   transactional.id: the coordinator fences older producers of that id (epoch
 *   bump) and aborts what they left open; CONCURRENT_TRANSACTIONS while it does.
 * - A record for a partition new to the transaction registers the partition; the
 *   Sender holds its batches until AddPartitionsToTxn (v0–3, the client versions)
 *   has added it. With transactions v2 (KIP-890 part 2: the broker finalizes
 *   `transaction.version` ≥ 2 and speaks EndTxn v5) the partition leader adds the
 *   partition itself when the transactional Produce arrives, and every EndTxn bumps
 *   the epoch: the new producer id/epoch come back in its response and every
 *   partition's sequence restarts at 0.
 * - A failed batch makes the transaction abortable (commit then throws; abort
 *   recovers). If the failed batch had a sequence number (a gap the broker would
 *   refuse) the epoch is bumped after the abort, with InitProducerId carrying the
 *   current id/epoch (KIP-360).
 * - PRODUCER_FENCED / INVALID_PRODUCER_EPOCH / TRANSACTIONAL_ID_AUTHORIZATION_FAILED
 *   are fatal.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors/index.ts';
import { AddOffsetsToTxnApi, AddPartitionsToTxnApi, InitProducerIdApi } from '../../protocol/generated/api-keys.ts';
import { EndTxnApiKip890 as EndTxnApi, TxnOffsetCommitApiKip890 as TxnOffsetCommitApi } from '../../protocol/kip890-versions.ts';
import { Coordinators, CoordinatorType, isCoordinatorError } from '../admin/coordinators.ts';
import type { TopicPartitionOffset } from '../consumer/types.ts';
import type { BrokerConnection } from '../network/broker-connection.ts';
import type { Cluster } from '../network/cluster.ts';
import { IllegalStateError, TimeoutError, TransactionAbortedError, TransactionError } from './errors.ts';
import type { ResolvedProducerConfig } from './config.ts';

export type TransactionState =
  | 'UNINITIALIZED'
  | 'INITIALIZING'
  | 'READY'
  | 'IN_TRANSACTION'
  | 'COMMITTING_TRANSACTION'
  | 'ABORTING_TRANSACTION'
  | 'ABORTABLE_ERROR'
  | 'FATAL_ERROR';

/** The consumer group whose offsets a transaction commits (Java's ConsumerGroupMetadata). */
export interface ConsumerGroupMetadata {
  groupId: string | null;
  generationId?: number;
  memberId?: string;
  groupInstanceId?: string | null;
}

/** What the manager needs from the producer and its sender. */
export interface TransactionHost {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  /** A new producer id/epoch: sequences restart at 0. */
  setIdentity(producerId: bigint, epoch: number): void;
  /** Sends everything buffered and waits for every record to complete. */
  flush(): Promise<void>;
  /** Fails queued (unsent) batches and records still waiting to be appended. */
  abortUndrained(err: Error): void;
  /** Waits until no record is buffered or in flight. */
  idle(): Promise<void>;
  wakeup(): void;
}

/** A partition of the transaction, as the accumulator keys it. */
export interface TxnPartition {
  readonly topic: string;
  readonly partition: number;
}

type Attempt<T> = { ok: T } | { retry: Error; rediscover?: boolean; backoffMs?: number };

/** CONCURRENT_TRANSACTIONS clears in milliseconds: retry sooner than retry.backoff.ms (Java: 20 ms). */
const CONCURRENT_TXN_BACKOFF_MS = 20;

function isFatal(code: number): boolean {
  return code === ErrorCode.PRODUCER_FENCED || code === ErrorCode.INVALID_PRODUCER_EPOCH || code === ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    || code === ErrorCode.INVALID_TXN_STATE || code === ErrorCode.TRANSACTIONAL_ID_NOT_FOUND || code === ErrorCode.INVALID_PRODUCER_ID_MAPPING
    || code === ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT || code === ErrorCode.INVALID_TRANSACTION_TIMEOUT;
}

export class TransactionManager {
  readonly transactionalId: string;
  private readonly cfg: ResolvedProducerConfig<unknown, unknown>;
  private readonly cluster: Cluster;
  private readonly host: TransactionHost;
  private readonly txnCoordinators: Coordinators;
  private readonly groupCoordinators: Coordinators;
  state: TransactionState = 'UNINITIALIZED';
  private lastError: Error | null = null;
  /** Partitions the coordinator has added to the current transaction. */
  private readonly added = new Set<TxnPartition>();
  /** Partitions with records, not yet added. */
  private readonly pending = new Set<TxnPartition>();
  private adding = false;
  private addBackoffUntil = 0;
  private addTimer: NodeJS.Timeout | null = null;
  /** Anything (a partition or offsets) was added: EndTxn is needed. */
  private started = false;
  /** A batch with a sequence number failed: bump the epoch after the abort. */
  private epochBumpRequired = false;
  /** Transactions v2 (KIP-890 part 2) with this coordinator. */
  private v2 = false;
  /** The call in progress (initTransactions, commit, abort): a retried call after a timeout resumes it. */
  private inProgress: { kind: string; promise: Promise<void> } | null = null;

  constructor(cfg: ResolvedProducerConfig<unknown, unknown>, cluster: Cluster, host: TransactionHost) {
    this.transactionalId = cfg.transactionalId!;
    this.cfg = cfg;
    this.cluster = cluster;
    this.host = host;
    this.txnCoordinators = new Coordinators(cluster, CoordinatorType.TRANSACTION);
    this.groupCoordinators = new Coordinators(cluster, CoordinatorType.GROUP);
  }

  /** Whether the coordinator runs transactions v2 (partitions added by the leaders, epoch bump per transaction). */
  get transactionV2(): boolean {
    return this.v2;
  }

  // --- what the producer and the sender ask ----------------------------------

  /** send() may buffer a record now (Java's failIfNotReadyForSend). */
  checkSend(): void {
    if (this.state === 'ABORTABLE_ERROR' || this.state === 'FATAL_ERROR') {
      throw new TransactionError('Cannot perform send because at least one previous transactional or idempotent request has failed without being acknowledged.', this.state === 'ABORTABLE_ERROR', { cause: this.lastError ?? undefined });
    }
    if (this.host.producerId < 0n) throw new IllegalStateError("Cannot perform a 'send' before completing a call to initTransactions when transactions are enabled.");
    if (this.state !== 'IN_TRANSACTION') throw new IllegalStateError(`Cannot call send in state ${this.state}`);
  }

  /** A record reached the accumulator (it may have waited for metadata): may it join the transaction? */
  appendError(): Error | null {
    if (this.state === 'IN_TRANSACTION' || this.state === 'COMMITTING_TRANSACTION') return null;
    if (this.lastError !== null) return new TransactionError('Cannot append to a transaction in an error state', this.state === 'ABORTABLE_ERROR', { cause: this.lastError });
    return new IllegalStateError(`Cannot append a record in state ${this.state}`);
  }

  /** A record was appended to `p`: the partition must be in the transaction before its batches go out. */
  maybeAddPartition(p: TxnPartition): void {
    if (this.added.has(p)) return;
    if (this.v2) {
      // The leader adds it when the transactional Produce arrives.
      this.added.add(p);
      this.started = true;
      return;
    }
    if (!this.pending.has(p)) {
      this.pending.add(p);
      this.host.wakeup();
    }
  }

  /** The Sender may send batches of `p`. */
  isSendAllowed(p: TxnPartition): boolean {
    return this.added.has(p);
  }

  /** A batch failed. `gap`: it had a sequence number the broker never acknowledged. */
  batchFailed(err: Error, gap: boolean): void {
    if (gap) this.epochBumpRequired = true;
    if (this.state === 'IN_TRANSACTION' || this.state === 'COMMITTING_TRANSACTION') this.toError(err, false);
  }

  /** The producer was fenced or is not allowed to use its transactional id. */
  fatal(err: Error): void {
    this.toError(err, true);
  }

  private toError(err: Error, fatal: boolean): void {
    if (this.state === 'FATAL_ERROR') return;
    if (!fatal && this.state === 'ABORTABLE_ERROR') return;
    this.lastError = err;
    this.state = fatal ? 'FATAL_ERROR' : 'ABORTABLE_ERROR';
    // Nothing more of this transaction can be sent: fail what waits (Java's abortUndrainedBatches).
    this.host.abortUndrained(err);
    this.pending.clear();
  }

  /** Called at the start of each drain: sends AddPartitionsToTxn for new partitions (one request at a time). */
  maybeSendAddPartitions(): void {
    if (this.adding || this.pending.size === 0 || this.state === 'FATAL_ERROR' || this.state === 'ABORTABLE_ERROR') return;
    const now = Date.now();
    if (now < this.addBackoffUntil) {
      if (this.addTimer === null) {
        this.addTimer = setTimeout(() => {
          this.addTimer = null;
          this.host.wakeup();
        }, this.addBackoffUntil - now);
      }
      return;
    }
    const batch = [...this.pending];
    this.adding = true;
    this.addPartitions(batch).then(
      (retry) => {
        this.adding = false;
        if (retry !== null) this.addBackoffUntil = Date.now() + retry;
        this.host.wakeup();
      },
      (err: unknown) => {
        this.adding = false;
        this.addBackoffUntil = Date.now() + this.cfg.retryBackoffMs;
        // Connection trouble: retried on the next drain. Anything else ends the transaction.
        if ((err as { retriable?: boolean }).retriable !== true) this.toError(err as Error, isFatal((err as { code?: number }).code ?? -1));
        this.host.wakeup();
      },
    );
  }

  /** One AddPartitionsToTxn; resolves with a backoff (ms) when some partitions must be retried, else null. */
  private async addPartitions(parts: TxnPartition[]): Promise<number | null> {
    let conn: BrokerConnection;
    try {
      conn = await this.coordinatorConnection();
    } catch (err) {
      if ((err as { retriable?: boolean }).retriable === false) throw err;
      return this.cfg.retryBackoffMs;
    }
    const byTopic = new Map<string, number[]>();
    for (const p of parts) {
      let list = byTopic.get(p.topic);
      if (list === undefined) byTopic.set(p.topic, (list = []));
      list.push(p.partition);
    }
    const topics = [...byTopic].map(([name, partitions]) => ({ name, partitions }));
    const version = conn.versionFor(AddPartitionsToTxnApi, { maxVersion: 3 });
    const res = await conn.send(AddPartitionsToTxnApi, {
      v3AndBelowTransactionalId: this.transactionalId,
      v3AndBelowProducerId: this.host.producerId,
      v3AndBelowProducerEpoch: this.host.producerEpoch,
      v3AndBelowTopics: topics,
    }, { version });
    const results = res.resultsByTransaction.length > 0 ? res.resultsByTransaction[0]!.topicResults : res.resultsByTopicV3AndBelow;
    if (res.errorCode !== ErrorCode.NONE) return this.addError(res.errorCode, parts);
    let retry: number | null = null;
    for (const t of results) {
      for (const r of t.resultsByPartition) {
        const p = parts.find((x) => x.topic === t.name && x.partition === r.partitionIndex);
        if (p === undefined) continue;
        const code = r.partitionErrorCode;
        if (code === ErrorCode.NONE) {
          this.pending.delete(p);
          this.added.add(p);
          this.started = true;
          continue;
        }
        const backoff = this.addError(code, [p]);
        if (backoff !== null) retry = Math.min(retry ?? Infinity, backoff);
      }
    }
    return retry;
  }

  private addError(code: number, parts: TxnPartition[]): number | null {
    if (code === ErrorCode.CONCURRENT_TRANSACTIONS) return CONCURRENT_TXN_BACKOFF_MS;
    if (code === ErrorCode.OPERATION_NOT_ATTEMPTED) return 0;
    if (isCoordinatorError(code)) {
      this.txnCoordinators.forget(this.transactionalId);
      return this.cfg.retryBackoffMs;
    }
    if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || code === ErrorCode.REQUEST_TIMED_OUT) return this.cfg.retryBackoffMs;
    const detail = parts.map((p) => `${p.topic}-${p.partition}`).join(', ');
    if (code === ErrorCode.UNKNOWN_PRODUCER_ID) this.epochBumpRequired = true;
    this.toError(KafkaError.from(code, `AddPartitionsToTxn ${detail}`), isFatal(code));
    return null;
  }

  // --- the user's calls -------------------------------------------------------

  private transition(to: TransactionState, allowed: readonly TransactionState[]): void {
    if (this.state === 'FATAL_ERROR' || (this.state === 'ABORTABLE_ERROR' && to !== 'ABORTING_TRANSACTION')) {
      throw new TransactionError('Cannot execute transactional method because we are in an error state', this.state === 'ABORTABLE_ERROR', { cause: this.lastError ?? undefined });
    }
    if (!allowed.includes(this.state)) {
      throw new IllegalStateError(`TransactionalId ${this.transactionalId}: Invalid transition attempted from state ${this.state} to state ${to}`);
    }
    this.state = to;
  }

  /** Runs `op` once; a call of the same kind while it runs (after a timeout) waits for the same run. */
  private async bounded(kind: string, start: () => void, op: () => Promise<void>, timeoutMs: number): Promise<void> {
    let run = this.inProgress;
    if (run === null || run.kind !== kind) {
      start();
      const promise = op().finally(() => {
        if (this.inProgress?.promise === promise) this.inProgress = null;
      });
      run = { kind, promise };
      this.inProgress = run;
    }
    let timer: NodeJS.Timeout | null = null;
    try {
      await Promise.race([
        run.promise,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new TimeoutError(`Timeout expired after ${timeoutMs} ms while awaiting ${kind}`)), timeoutMs);
        }),
      ]);
    } finally {
      if (timer !== null) clearTimeout(timer);
    }
  }

  initTransactions(timeoutMs = this.cfg.maxBlockMs): Promise<void> {
    return this.bounded('InitProducerId', () => this.transition('INITIALIZING', ['UNINITIALIZED']), async () => {
      try {
        await this.initProducerId(false);
        this.state = 'READY';
      } catch (err) {
        this.state = 'UNINITIALIZED';
        throw err;
      }
    }, timeoutMs);
  }

  beginTransaction(): void {
    if (this.inProgress !== null) throw new IllegalStateError(`TransactionalId ${this.transactionalId}: ${this.inProgress.kind} is still in progress`);
    this.transition('IN_TRANSACTION', ['READY']);
  }

  /** AddOffsetsToTxn then TxnOffsetCommit to the group's coordinator. */
  async sendOffsetsToTransaction(offsets: readonly TopicPartitionOffset[], group: ConsumerGroupMetadata | string, timeoutMs = this.cfg.maxBlockMs): Promise<void> {
    const meta: ConsumerGroupMetadata = typeof group === 'string' ? { groupId: group } : group;
    const groupId = meta.groupId;
    if (groupId === null || groupId === '') throw new IllegalStateError('sendOffsetsToTransaction needs a consumer group id');
    if (this.state === 'ABORTABLE_ERROR' || this.state === 'FATAL_ERROR') {
      throw new TransactionError('Cannot execute transactional method because we are in an error state', this.state === 'ABORTABLE_ERROR', { cause: this.lastError ?? undefined });
    }
    if (this.state !== 'IN_TRANSACTION') throw new IllegalStateError(`TransactionalId ${this.transactionalId}: Cannot send offsets if a transaction is not in progress (currentState= ${this.state})`);
    if (offsets.length === 0) return;
    const deadline = Date.now() + timeoutMs;
    try {
      // Transactions v2: TxnOffsetCommit v5 adds the group to the transaction itself.
      if (!this.v2) await this.retrying('AddOffsetsToTxn', deadline, async () => {
        const conn = await this.coordinatorConnection();
        const res = await conn.send(AddOffsetsToTxnApi, { transactionalId: this.transactionalId, producerId: this.host.producerId, producerEpoch: this.host.producerEpoch, groupId });
        return this.coordinatorAnswer(res.errorCode, 'AddOffsetsToTxn', undefined);
      });
      this.started = true;
      const byTopic = new Map<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }[]>();
      for (const o of offsets) {
        let list = byTopic.get(o.topic);
        if (list === undefined) byTopic.set(o.topic, (list = []));
        list.push({ partitionIndex: o.partition, committedOffset: BigInt(o.offset), committedLeaderEpoch: o.leaderEpoch ?? -1, committedMetadata: o.metadata ?? '' });
      }
      const topics = [...byTopic].map(([name, partitions]) => ({ name, partitions }));
      await this.retrying('TxnOffsetCommit', deadline, async () => {
        const found = await this.groupCoordinators.find([groupId]);
        const err = found.errors.get(groupId);
        if (err !== undefined) throw err;
        const node = found.nodes.get(groupId);
        if (node === undefined) return { retry: KafkaError.from(ErrorCode.COORDINATOR_NOT_AVAILABLE, `group ${groupId}`) };
        const conn = await this.groupCoordinators.connect(node);
        const res = await conn.send(TxnOffsetCommitApi, {
          transactionalId: this.transactionalId,
          groupId,
          producerId: this.host.producerId,
          producerEpoch: this.host.producerEpoch,
          generationId: meta.generationId ?? -1,
          memberId: meta.memberId ?? '',
          groupInstanceId: meta.groupInstanceId ?? null,
          topics,
        });
        let retry: Attempt<undefined> | null = null;
        for (const t of res.topics) {
          for (const p of t.partitions) {
            const code = p.errorCode;
            if (code === ErrorCode.NONE) continue;
            const e = KafkaError.from(code, `TxnOffsetCommit ${groupId} ${t.name}-${p.partitionIndex}`);
            if (isCoordinatorError(code)) {
              this.groupCoordinators.forget(groupId);
              retry = { retry: e };
            } else if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || code === ErrorCode.REQUEST_TIMED_OUT || code === ErrorCode.CONCURRENT_TRANSACTIONS || code === ErrorCode.UNSTABLE_OFFSET_COMMIT) {
              retry = { retry: e, backoffMs: code === ErrorCode.CONCURRENT_TRANSACTIONS ? CONCURRENT_TXN_BACKOFF_MS : undefined };
            } else {
              // ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID (Java: CommitFailedException), fencing, authorization.
              throw e;
            }
          }
        }
        return retry ?? { ok: undefined };
      });
    } catch (err) {
      if (!(err instanceof TimeoutError)) this.toError(err as Error, isFatal((err as { code?: number }).code ?? -1));
      throw err;
    }
  }

  commitTransaction(timeoutMs = this.cfg.maxBlockMs): Promise<void> {
    if (this.state === 'ABORTABLE_ERROR' && this.inProgress?.kind !== 'commit') {
      return Promise.reject(new TransactionError('Cannot commit transaction: a previous operation of the transaction failed; abort it', true, { cause: this.lastError ?? undefined }));
    }
    return this.bounded('commit', () => this.transition('COMMITTING_TRANSACTION', ['IN_TRANSACTION']), async () => {
      await this.host.flush();
      // The flush may have failed records: the transaction can only be aborted now.
      if (this.state !== 'COMMITTING_TRANSACTION') {
        throw new TransactionError('Cannot commit transaction: a record of the transaction failed; abort it', this.state === 'ABORTABLE_ERROR', { cause: this.lastError ?? undefined });
      }
      await this.endTxn(true);
      this.completed();
    }, timeoutMs);
  }

  abortTransaction(timeoutMs = this.cfg.maxBlockMs): Promise<void> {
    return this.bounded('abort', () => this.transition('ABORTING_TRANSACTION', ['IN_TRANSACTION', 'ABORTABLE_ERROR']), async () => {
      this.pending.clear();
      this.host.abortUndrained(new TransactionAbortedError());
      // Batches already sent complete (they are part of the transaction and the marker aborts them).
      await this.host.idle();
      await this.endTxn(false);
      if (this.epochBumpRequired && !this.v2) await this.initProducerId(true);
      this.completed();
    }, timeoutMs);
  }

  private completed(): void {
    this.added.clear();
    this.pending.clear();
    this.started = false;
    this.lastError = null;
    this.state = 'READY';
  }

  // --- requests to the coordinator --------------------------------------------

  private async coordinatorConnection(): Promise<BrokerConnection> {
    const found = await this.txnCoordinators.find([this.transactionalId]);
    const err = found.errors.get(this.transactionalId);
    if (err !== undefined) throw err;
    const node = found.nodes.get(this.transactionalId);
    if (node === undefined) throw KafkaError.from(ErrorCode.COORDINATOR_NOT_AVAILABLE, `transactional id ${this.transactionalId}`);
    return this.txnCoordinators.connect(node);
  }

  /** The retry decision for a coordinator's error code. */
  private coordinatorAnswer<T>(code: number, what: string, value: T): Attempt<T> {
    if (code === ErrorCode.NONE) return { ok: value };
    const err = KafkaError.from(code, `${what}, transactional id ${this.transactionalId}`);
    if (isCoordinatorError(code)) return { retry: err, rediscover: code !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS };
    if (code === ErrorCode.CONCURRENT_TRANSACTIONS) return { retry: err, backoffMs: CONCURRENT_TXN_BACKOFF_MS };
    if (code === ErrorCode.REQUEST_TIMED_OUT) return { retry: err };
    throw err;
  }

  /** Runs `attempt` until it succeeds, throws, or the deadline passes (then TimeoutError). */
  private async retrying<T>(what: string, deadline: number, attempt: () => Promise<Attempt<T>>): Promise<T> {
    let tries = 0;
    for (;;) {
      let result: Attempt<T>;
      try {
        result = await attempt();
      } catch (err) {
        const e = err as Error & { retriable?: boolean; code?: number };
        // Connection errors and timeouts, and coordinator moves seen in FindCoordinator, are retried.
        if (e.retriable !== true || (e.code !== undefined && isFatal(e.code))) throw err;
        result = { retry: e, rediscover: true };
      }
      if ('ok' in result) return result.ok;
      if (result.rediscover === true) this.txnCoordinators.forget(this.transactionalId);
      tries++;
      const backoff = result.backoffMs ?? Math.min(this.cfg.retryBackoffMaxMs, this.cfg.retryBackoffMs * 2 ** Math.min(tries - 1, 10));
      if (Date.now() + backoff >= deadline) {
        throw new TimeoutError(`Timeout expired while awaiting ${what} for transactional id ${this.transactionalId} (last error: ${result.retry.message})`, { cause: result.retry });
      }
      await new Promise((r) => setTimeout(r, backoff));
    }
  }

  /** InitProducerId with the transactional id; `bump` keeps the producer id and asks for the next epoch (KIP-360). */
  private async initProducerId(bump: boolean): Promise<void> {
    const deadline = Date.now() + Math.max(this.cfg.maxBlockMs, this.cfg.transactionTimeoutMs);
    const res = await this.retrying('InitProducerId', deadline, async () => {
      const conn = await this.coordinatorConnection();
      if (!conn.supports(InitProducerIdApi)) throw KafkaError.from(ErrorCode.UNSUPPORTED_VERSION, `broker ${conn.label} has no InitProducerId: transactions need it`);
      const version = conn.versionFor(InitProducerIdApi);
      const keep = bump && version >= 3 && this.host.producerId >= 0n;
      const r = await conn.send(InitProducerIdApi, {
        transactionalId: this.transactionalId,
        transactionTimeoutMs: this.cfg.transactionTimeoutMs,
        producerId: keep ? this.host.producerId : -1n,
        producerEpoch: keep ? this.host.producerEpoch : -1,
      }, { version });
      this.v2 = transactionVersion(conn) >= 2 && conn.versionFor(EndTxnApi) >= 5;
      return this.coordinatorAnswer(r.errorCode, 'InitProducerId', r);
    });
    this.host.setIdentity(res.producerId, res.producerEpoch);
    this.epochBumpRequired = false;
  }

  private async endTxn(committed: boolean): Promise<void> {
    if (!this.started && this.added.size === 0) return;
    const what = committed ? 'EndTxn(commit)' : 'EndTxn(abort)';
    const deadline = Date.now() + Math.max(this.cfg.maxBlockMs, this.cfg.requestTimeoutMs);
    const res = await this.retrying(what, deadline, async () => {
      const conn = await this.coordinatorConnection();
      const r = await conn.send(EndTxnApi, { transactionalId: this.transactionalId, producerId: this.host.producerId, producerEpoch: this.host.producerEpoch, committed });
      return this.coordinatorAnswer(r.errorCode, what, r);
    }).catch((err: unknown) => {
      const code = (err as { code?: number }).code;
      if (code !== undefined && isFatal(code)) this.toError(err as Error, true);
      throw err;
    });
    // Transactions v2: every transaction ends with a new epoch (or a new producer id).
    if (this.v2 && res.producerId >= 0n && res.producerEpoch >= 0 && (res.producerId !== this.host.producerId || res.producerEpoch !== this.host.producerEpoch)) {
      this.host.setIdentity(res.producerId, res.producerEpoch);
    }
  }
}

/** The finalized `transaction.version` feature level the broker advertised in ApiVersions (0 when absent). */
function transactionVersion(conn: BrokerConnection): number {
  return conn.finalizedFeatures.get('transaction.version') ?? 0;
}
