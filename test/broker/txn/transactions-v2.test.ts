/**
 * Transactions v2 (KIP-890 part 2) on the wire, with raw requests against a real
 * broker: the transaction.version feature in ApiVersions; Produce v12 adding its
 * partition to the transaction (no AddPartitionsToTxn); EndTxn v5 bumping the epoch
 * and answering the new one; delayed EndTxn / Produce with an old epoch never ending
 * or joining a later transaction; TxnOffsetCommit v5 without AddOffsetsToTxn; epoch
 * exhaustion (new producer id); the state reloaded from __transaction_state after a
 * restart; and transaction.version pinned below 2.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../../src/broker/broker.ts';
import type { Broker } from '../../../src/broker/broker.ts';
import { groupCoordinatorLoaded } from '../../../src/broker/group/index.ts';
import { TRANSACTION_STATE_TOPIC_NAME, txnCoordinatorOf, TxnState } from '../../../src/broker/txn/coordinator.ts';
import { ErrorCode } from '../../../src/protocol/errors/index.ts';
import {
  AddPartitionsToTxnApi,
  ApiVersionsApi,
  CreateTopicsApi,
  DescribeTransactionsApi,
  EndTxnApi,
  FetchApi,
  InitProducerIdApi,
  OffsetFetchApi,
  ProduceApi,
  TxnOffsetCommitApi,
} from '../../../src/protocol/generated/api-keys.ts';
import type { ApiSpec } from '../../../src/protocol/generated/api-keys.ts';
import { decodeTransactionCoordinatorRecord } from '../../../src/protocol/generated/internal/coordinator-records.ts';
import { buildRecordBatch } from '../../../src/protocol/records/batch-builder.ts';
import { isControlBatch } from '../../../src/protocol/records/control.ts';
import { iterateRecordSet } from '../../../src/protocol/records/record-set.ts';
import { PartitionLog } from '../../../src/storage/partition-log.ts';
import { GroupRawClient } from '../group/broker-helpers.ts';

const CONFIG = { listeners: 'PLAINTEXT://127.0.0.1:0', 'transaction.state.log.num.partitions': 3, 'offsets.topic.num.partitions': 3, 'transaction.max.timeout.ms': 60000 };

/**
 * Kafka 4.0's versions that the generated codecs (an older spec snapshot) stop short
 * of: Produce v12 repeats the v11 body, TxnOffsetCommit v5 the v4 body, EndTxn v5 is in
 * the snapshot. Encoded here from the previous version's codec, header version as sent.
 */
function sameAs<Req, ReqInit, Res, ResInit>(api: ApiSpec<Req, ReqInit, Res, ResInit>, version: number): ApiSpec<Req, ReqInit, Res, ResInit> {
  const v = (x: number) => (x > api.maxVersion ? version : x);
  return {
    ...api,
    encodeRequest: (w, b, x) => api.encodeRequest(w, b, v(x)),
    decodeRequest: (r, x) => api.decodeRequest(r, v(x)),
    encodeResponse: (w, b, x) => api.encodeResponse(w, b, v(x)),
    decodeResponse: (r, x) => api.decodeResponse(r, v(x)),
  };
}
const Produce12 = sameAs(ProduceApi, 11);
const TxnOffsetCommit5 = sameAs(TxnOffsetCommitApi, 4);

function txnBatch(pid: bigint, epoch: number, seq: number, values: string[]): Buffer {
  return buildRecordBatch(
    values.map((v, i) => ({ offsetDelta: i, timestampDelta: 0, key: null, value: Buffer.from(v) })),
    { baseTimestamp: Date.now(), transactional: true, producerId: pid, producerEpoch: epoch, baseSequence: seq },
  );
}

/** The values a read_committed consumer returns from a fetch (aborted transactions filtered, markers skipped). */
function committedValues(records: Buffer | null, aborted: readonly { producerId: bigint; firstOffset: bigint }[] | null): string[] {
  if (!records || records.length === 0) return [];
  const pending = [...(aborted ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  const abortedNow = new Set<bigint>();
  const out: string[] = [];
  for (const batch of iterateRecordSet(records, 0, records.length)) {
    const h = batch.header;
    while (pending.length > 0 && pending[0]!.firstOffset <= h.baseOffset + BigInt(h.lastOffsetDelta)) abortedNow.add(pending.shift()!.producerId);
    if (isControlBatch(h)) {
      abortedNow.delete(h.producerId);
      continue;
    }
    if (abortedNow.has(h.producerId)) continue;
    for (const r of batch.records) out.push(Buffer.from(r.value!).toString());
  }
  return out;
}

describe('transactions v2 (KIP-890 part 2)', () => {
  let dir: string;
  let broker: Broker;
  let c: GroupRawClient;

  const restart = async (config: Record<string, string | number> = {}) => {
    c.close();
    await broker.close();
    broker = await startBroker({ config: { ...CONFIG, ...config, 'log.dirs': dir }, log: () => {} });
    await groupCoordinatorLoaded(broker);
    c = await GroupRawClient.connect(broker.bootstrapServers);
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-txn-v2-'));
    broker = await startBroker({ config: { ...CONFIG, 'log.dirs': dir }, log: () => {} });
    await groupCoordinatorLoaded(broker);
    c = await GroupRawClient.connect(broker.bootstrapServers);
    const r = await c.send(CreateTopicsApi, 5, { topics: [{ name: 't', numPartitions: 2, replicationFactor: 1 }], timeoutMs: 5000 });
    assert.equal(r.topics[0]!.errorCode, 0);
  });
  after(async () => {
    c.close();
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const init = (id: string, timeout = 30000) => c.send(InitProducerIdApi, 5, { transactionalId: id, transactionTimeoutMs: timeout, producerId: -1n, producerEpoch: -1 });
  const produce12 = (id: string, batch: Buffer, partition = 0) =>
    c.send(Produce12, 12, { transactionalId: id, acks: -1, timeoutMs: 5000, topicData: [{ name: 't', partitionData: [{ index: partition, records: batch }] }] }).then((r) => r.responses[0]!.partitionResponses[0]!);
  const endTxn = (id: string, pid: bigint, epoch: number, committed: boolean, version = 5) => c.send(EndTxnApi, version, { transactionalId: id, producerId: pid, producerEpoch: epoch, committed });
  const fetch = (partition = 0) =>
    c
      .send(FetchApi, 11, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 't', partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n }] }], forgottenTopicsData: [], rackId: '' })
      .then((r) => r.responses[0]!.partitions[0]!);
  const visible = async (partition = 0) => {
    const f = await fetch(partition);
    return committedValues(f.records, f.abortedTransactions);
  };
  const state = (id: string) => txnCoordinatorOf(broker).txns.get(id)!;

  it('ApiVersions advertises transaction.version (supported 0-2, finalized 2) and the v2 API versions', async () => {
    const v4 = await c.send(ApiVersionsApi, 4, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1.0' });
    assert.equal(v4.errorCode, ErrorCode.NONE);
    assert.deepEqual(v4.supportedFeatures.map((f) => [f.name, f.minVersion, f.maxVersion]), [['transaction.version', 0, 2]]);
    assert.deepEqual(v4.finalizedFeatures.map((f) => [f.name, f.minVersionLevel, f.maxVersionLevel]), [['transaction.version', 2, 2]]);
    assert.ok(v4.finalizedFeaturesEpoch >= 0n);
    const max = (key: number) => v4.apiKeys.find((k) => k.apiKey === key)!.maxVersion;
    assert.ok(max(ProduceApi.apiKey) >= 12);
    assert.ok(max(EndTxnApi.apiKey) >= 5);
    assert.ok(max(TxnOffsetCommitApi.apiKey) >= 5);
    // Before v4 a feature with min level 0 is left out of SupportedFeatures (KAFKA-17492); the finalized level is there.
    const v3 = await c.send(ApiVersionsApi, 3, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1.0' });
    assert.deepEqual(v3.supportedFeatures, []);
    assert.deepEqual(v3.finalizedFeatures.map((f) => [f.name, f.maxVersionLevel]), [['transaction.version', 2]]);
  });

  it('Produce v12 adds the partition, EndTxn v5 commits with epoch + 1; an abort bumps again and hides its data', async () => {
    const { producerId: pid, producerEpoch: e0, errorCode } = await init('a');
    assert.equal(errorCode, ErrorCode.NONE);
    // No AddPartitionsToTxn: the leader adds t-0 to the transaction.
    const p = await produce12('a', txnBatch(pid, e0, 0, ['c1', 'c2']));
    assert.equal(p.errorCode, ErrorCode.NONE);
    const dt = await c.send(DescribeTransactionsApi, 0, { transactionalIds: ['a'] });
    assert.equal(dt.transactionStates[0]!.transactionState, 'Ongoing');
    assert.deepEqual(dt.transactionStates[0]!.topics.map((t) => [t.topic, t.partitions]), [['t', [0]]]);
    assert.equal((await fetch()).lastStableOffset, p.baseOffset); // held by the open transaction
    assert.deepEqual(await visible(), []);

    const commit = await endTxn('a', pid, e0, true);
    assert.equal(commit.errorCode, ErrorCode.NONE);
    assert.equal(commit.producerId, pid);
    assert.equal(commit.producerEpoch, e0 + 1);
    assert.deepEqual(await visible(), ['c1', 'c2']);
    // The marker carries the bumped epoch into the partition's producer state.
    assert.equal(broker.logs.getLog('t', 0)!.producerState.entry(Number(pid))!.producerEpoch, e0 + 1);
    assert.equal(state('a').clientTransactionVersion, 2);

    // Next transaction at the new epoch, sequences from 0; aborted.
    assert.equal((await produce12('a', txnBatch(pid, e0 + 1, 0, ['x1']))).errorCode, ErrorCode.NONE);
    assert.equal((await produce12('a', txnBatch(pid, e0 + 1, 0, ['x2']), 1)).errorCode, ErrorCode.NONE);
    const abort = await endTxn('a', pid, e0 + 1, false);
    assert.deepEqual([abort.errorCode, abort.producerId, abort.producerEpoch], [ErrorCode.NONE, pid, e0 + 2]);
    assert.deepEqual(await visible(), ['c1', 'c2']);
    assert.deepEqual(await visible(1), []);
    const f = await fetch();
    assert.equal(f.lastStableOffset, f.highWatermark);
    assert.equal(f.abortedTransactions!.length, 1);
  });

  it('a retried EndTxn of the completed transaction succeeds; a delayed one never ends the next transaction', async () => {
    const { producerId: pid, producerEpoch: e0 } = await init('d');
    assert.equal((await produce12('d', txnBatch(pid, e0, 0, ['d1']))).errorCode, ErrorCode.NONE);
    const first = await endTxn('d', pid, e0, true);
    assert.equal(first.producerEpoch, e0 + 1);
    // The response was lost: the client retries the same EndTxn with the old epoch.
    const retry = await endTxn('d', pid, e0, true);
    assert.deepEqual([retry.errorCode, retry.producerId, retry.producerEpoch], [ErrorCode.NONE, pid, e0 + 1]);
    assert.equal(state('d').producerEpoch, e0 + 1); // no second bump
    // The old epoch asking the other outcome: not a retry of what happened.
    assert.equal((await endTxn('d', pid, e0, false)).errorCode, ErrorCode.INVALID_TXN_STATE);
    // Commit with the current epoch and nothing in the transaction: nothing to commit.
    assert.equal((await endTxn('d', pid, e0 + 1, true)).errorCode, ErrorCode.INVALID_TXN_STATE);

    // The next transaction begins.
    assert.equal((await produce12('d', txnBatch(pid, e0 + 1, 0, ['d2']))).errorCode, ErrorCode.NONE);
    // A delayed EndTxn from the previous transaction (either outcome) is fenced and leaves it open.
    for (const committed of [true, false]) {
      const late = await endTxn('d', pid, e0, committed);
      assert.equal(late.errorCode, ErrorCode.PRODUCER_FENCED);
      assert.equal(late.producerEpoch, -1);
    }
    assert.equal((await endTxn('d', pid, e0 + 5, true)).errorCode, ErrorCode.PRODUCER_FENCED); // a future epoch too
    assert.equal(state('d').state, TxnState.ONGOING);
    assert.equal(state('d').producerEpoch, e0 + 1);
    assert.deepEqual(await visible(), ['c1', 'c2', 'd1']);
    const end = await endTxn('d', pid, e0 + 1, false);
    assert.deepEqual([end.errorCode, end.producerEpoch], [ErrorCode.NONE, e0 + 2]);
    assert.deepEqual(await visible(), ['c1', 'c2', 'd1']);
    // Aborting a transaction that added nothing is allowed in v2 (and bumps).
    const empty = await endTxn('d', pid, e0 + 2, false);
    assert.deepEqual([empty.errorCode, empty.producerEpoch], [ErrorCode.NONE, e0 + 3]);
    // A stranger's producer id.
    assert.equal((await endTxn('d', pid + 999n, e0 + 3, true)).errorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  });

  it('a delayed Produce with the old epoch is rejected and never becomes visible', async () => {
    const { producerId: pid, producerEpoch: e0 } = await init('p');
    assert.equal((await produce12('p', txnBatch(pid, e0, 0, ['p1']))).errorCode, ErrorCode.NONE);
    assert.equal((await endTxn('p', pid, e0, true)).producerEpoch, e0 + 1);
    // Between transactions: the old epoch may not start one.
    const between = await produce12('p', txnBatch(pid, e0, 1, ['late-1']));
    assert.equal(between.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(state('p').state, TxnState.COMPLETE_COMMIT);
    // During the next transaction: the old epoch may not join it.
    assert.equal((await produce12('p', txnBatch(pid, e0 + 1, 0, ['p2']))).errorCode, ErrorCode.NONE);
    assert.equal((await produce12('p', txnBatch(pid, e0, 1, ['late-2']))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal((await produce12('p', txnBatch(pid, e0, 1, ['late-3']), 1)).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.deepEqual(state('p').partitions.get('t'), new Set([0]));
    assert.equal((await endTxn('p', pid, e0 + 1, true)).producerEpoch, e0 + 2);
    const all = [...(await visible()), ...(await visible(1))];
    assert.ok(all.includes('p1') && all.includes('p2'));
    assert.ok(!all.some((v) => v.startsWith('late')));
    // The log itself refuses the old epoch too (the markers wrote the bumped one).
    const log = broker.logs.getLog('t', 0)!;
    assert.throws(() => log.append(txnBatch(pid, e0, 2, ['late-4'])), (e: Error & { code?: number }) => e.code === ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  it('TxnOffsetCommit v5 adds the group to the transaction (no AddOffsetsToTxn); v4 still needs it', async () => {
    const { producerId: pid, producerEpoch: e0 } = await init('o');
    const commit = (version: number, epoch: number, offset: bigint) =>
      c
        .send(version >= 5 ? TxnOffsetCommit5 : TxnOffsetCommitApi, version, { transactionalId: 'o', groupId: 'og', producerId: pid, producerEpoch: epoch, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: '' }] }] })
        .then((r) => r.topics[0]!.partitions[0]!.errorCode);
    const offsetFetch = () => c.send(OffsetFetchApi, 7, { groupId: 'og', topics: [{ name: 't', partitionIndexes: [0] }], requireStable: true }).then((r) => r.topics[0]!.partitions[0]!);
    assert.equal(await commit(4, e0, 3n), ErrorCode.INVALID_TXN_STATE);
    assert.equal(await commit(5, e0, 3n), ErrorCode.NONE);
    assert.equal((await offsetFetch()).errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);
    const r = await endTxn('o', pid, e0, true);
    assert.equal(r.producerEpoch, e0 + 1);
    assert.equal((await offsetFetch()).committedOffset, 3n);
    // The old epoch cannot commit offsets into the next transaction.
    assert.equal(await commit(5, e0, 9n), ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(await commit(5, e0 + 1, 4n), ErrorCode.NONE);
    assert.equal((await endTxn('o', pid, e0 + 1, false)).errorCode, ErrorCode.NONE);
    assert.equal((await offsetFetch()).committedOffset, 3n);
  });

  it('InitProducerId with the epoch before an EndTxn whose response was lost answers the current epoch (no second bump)', async () => {
    const { producerId: pid, producerEpoch: e0 } = await init('lost');
    assert.equal((await produce12('lost', txnBatch(pid, e0, 0, ['l1']))).errorCode, ErrorCode.NONE);
    assert.equal((await endTxn('lost', pid, e0, true)).producerEpoch, e0 + 1);
    // The client never saw e0 + 1 and recovers (KIP-360) with the epoch it has.
    const recover = (epoch: number, timeout = 30000) => c.send(InitProducerIdApi, 5, { transactionalId: 'lost', transactionTimeoutMs: timeout, producerId: pid, producerEpoch: epoch });
    const r1 = await recover(e0, 20000);
    assert.deepEqual([r1.errorCode, r1.producerId, r1.producerEpoch], [ErrorCode.NONE, pid, e0 + 1]);
    assert.equal(state('lost').state, TxnState.EMPTY);
    assert.equal(state('lost').timeoutMs, 20000, 'the new transaction timeout is taken');
    // Asked again (its response lost too): the same answer.
    assert.equal((await recover(e0)).producerEpoch, e0 + 1);
    // With the current epoch it is a real bump; an older epoch than the last one is fenced.
    assert.equal((await recover(e0 + 1)).producerEpoch, e0 + 2);
    assert.equal((await recover(e0)).errorCode, ErrorCode.PRODUCER_FENCED);
    // The recovered producer's next transaction commits.
    assert.equal((await produce12('lost', txnBatch(pid, e0 + 2, 0, ['l2']))).errorCode, ErrorCode.NONE);
    assert.equal((await endTxn('lost', pid, e0 + 2, true)).errorCode, ErrorCode.NONE);
  });

  it('an exhausted epoch moves the producer to a new id with epoch 0 (retry of that EndTxn included)', async () => {
    const { producerId: pid } = await init('x');
    // Fast-forward the epoch to the last one a client may use (32766), as if after many transactions.
    const md = state('x');
    md.producerEpoch = 32766;
    assert.equal((await produce12('x', txnBatch(pid, 32766, 0, ['x-last']))).errorCode, ErrorCode.NONE);
    const r = await endTxn('x', pid, 32766, true);
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.notEqual(r.producerId, pid);
    assert.equal(r.producerEpoch, 0);
    assert.equal(md.previousProducerId, pid);
    // The marker went out with the old id at epoch 32767.
    assert.equal(broker.logs.getLog('t', 0)!.producerState.entry(Number(pid))!.producerEpoch, 32767);
    const retry = await endTxn('x', pid, 32766, true);
    assert.deepEqual([retry.errorCode, retry.producerId, retry.producerEpoch], [ErrorCode.NONE, r.producerId, 0]);
    assert.equal((await produce12('x', txnBatch(r.producerId, 0, 0, ['x-new']))).errorCode, ErrorCode.NONE);
    assert.equal((await produce12('x', txnBatch(pid, 32766, 1, ['x-late']))).errorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const next = await endTxn('x', r.producerId, 0, true);
    assert.deepEqual([next.errorCode, next.producerId, next.producerEpoch], [ErrorCode.NONE, r.producerId, 1]);
    const seen = await visible();
    assert.ok(seen.includes('x-last') && seen.includes('x-new') && !seen.includes('x-late'));
  });

  it('restart in the middle: the state reloads from __transaction_state (value v1) and the transaction goes on', async () => {
    const { producerId: pid, producerEpoch: e0 } = await init('r');
    assert.equal((await produce12('r', txnBatch(pid, e0, 0, ['r1']))).errorCode, ErrorCode.NONE);
    assert.equal((await endTxn('r', pid, e0, true)).producerEpoch, e0 + 1);
    assert.equal((await produce12('r', txnBatch(pid, e0 + 1, 0, ['r2']))).errorCode, ErrorCode.NONE);

    // The record in __transaction_state: value version 1 with the client transaction version.
    const tc = txnCoordinatorOf(broker);
    const log = broker.logs.getLog(TRANSACTION_STATE_TOPIC_NAME, tc.partitionFor('r'))!;
    const read = log.read(log.logStartOffset, 1 << 22, { maxOffset: log.highWatermark, minOneBatch: true });
    const buf = PartitionLog.readSlices(read.slices);
    let last: ReturnType<typeof decodeTransactionCoordinatorRecord> | null = null;
    for (const b of iterateRecordSet(buf, 0, buf.length)) {
      for (const rec of b.records) {
        const d = decodeTransactionCoordinatorRecord(Buffer.from(rec.key!), rec.value && Buffer.from(rec.value));
        if (d.key.transactionalId === 'r') last = d;
      }
    }
    assert.equal(last!.valueVersion, 1);
    assert.equal(last!.value!.transactionStatus, TxnState.ONGOING);
    assert.equal(last!.value!.producerEpoch, e0 + 1);
    assert.equal(last!.value!.clientTransactionVersion, 2);

    await restart();
    const md = state('r');
    assert.equal(md.state, TxnState.ONGOING);
    assert.equal(md.producerEpoch, e0 + 1);
    assert.equal(md.clientTransactionVersion, 2);
    const before = await visible();
    assert.ok(before.includes('r1') && !before.includes('r2'));
    // The delayed EndTxn of the first transaction still cannot end the open one.
    assert.equal((await endTxn('r', pid, e0, true)).errorCode, ErrorCode.PRODUCER_FENCED);
    // The producer continues its transaction after the restart and commits it.
    assert.equal((await produce12('r', txnBatch(pid, e0 + 1, 1, ['r3']), 1)).errorCode, ErrorCode.NONE);
    const end = await endTxn('r', pid, e0 + 1, true);
    assert.deepEqual([end.errorCode, end.producerEpoch], [ErrorCode.NONE, e0 + 2]);
    assert.ok((await visible()).includes('r2'));
    assert.ok((await visible(1)).includes('r3'));

    // Restart again right after the commit: the retry of that EndTxn is still recognised.
    await restart();
    const retry = await endTxn('r', pid, e0 + 1, true);
    assert.deepEqual([retry.errorCode, retry.producerId, retry.producerEpoch], [ErrorCode.NONE, pid, e0 + 2]);
    assert.equal((await produce12('r', txnBatch(pid, e0 + 1, 2, ['r-late']))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal((await produce12('r', txnBatch(pid, e0 + 2, 0, ['r4']))).errorCode, ErrorCode.NONE);
    assert.equal((await endTxn('r', pid, e0 + 2, true)).producerEpoch, e0 + 3);
    const seen = await visible();
    assert.ok(seen.includes('r4') && !seen.includes('r-late'));
  });

  it('restart with PrepareCommit of a v2 transaction: completed on load with the bumped epoch', async () => {
    const { producerId: pid, producerEpoch: e0 } = await init('pc');
    assert.equal((await produce12('pc', txnBatch(pid, e0, 0, ['pc1']))).errorCode, ErrorCode.NONE);
    const log = broker.logs.getLog('t', 0)!;
    const append = log.append;
    log.append = () => {
      throw Object.assign(new Error('disk gone'), { code: ErrorCode.KAFKA_STORAGE_ERROR });
    };
    let r;
    try {
      r = await endTxn('pc', pid, e0, true);
    } finally {
      log.append = append;
    }
    assert.deepEqual([r.errorCode, r.producerEpoch], [ErrorCode.NONE, e0 + 1]);
    assert.equal(state('pc').state, TxnState.PREPARE_COMMIT);
    // The retry while the markers are pending: CONCURRENT_TRANSACTIONS (the client retries).
    assert.equal((await endTxn('pc', pid, e0, true)).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    await restart();
    assert.equal(state('pc').state, TxnState.COMPLETE_COMMIT);
    assert.equal(state('pc').producerEpoch, e0 + 1);
    assert.ok((await visible()).includes('pc1'));
    assert.equal((await endTxn('pc', pid, e0, true)).errorCode, ErrorCode.NONE);
  });

  it('a v2 transaction fenced by InitProducerId or timed out is aborted with a bumped epoch; the old producer is fenced', async () => {
    const { producerId: pid, producerEpoch: e0 } = await init('f');
    assert.equal((await produce12('f', txnBatch(pid, e0, 0, ['f-zombie']))).errorCode, ErrorCode.NONE);
    // A new instance of the producer: the open transaction is aborted, the client retries.
    assert.equal((await init('f')).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal(state('f').state, TxnState.COMPLETE_ABORT);
    assert.equal(state('f').producerEpoch, e0 + 2); // fence + the v2 bump of the abort
    const again = await init('f');
    assert.deepEqual([again.errorCode, again.producerId, again.producerEpoch], [ErrorCode.NONE, pid, e0 + 3]);
    // The zombie: its EndTxn and its produce are fenced, its data aborted.
    assert.equal((await endTxn('f', pid, e0, true)).errorCode, ErrorCode.PRODUCER_FENCED);
    assert.equal((await produce12('f', txnBatch(pid, e0, 1, ['f-zombie-2']))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.ok(!(await visible()).some((v) => v.startsWith('f-zombie')));

    // A v2 transaction past its timeout: aborted by the coordinator, epoch moved on.
    const e = again.producerEpoch;
    assert.equal((await produce12('f', txnBatch(pid, e, 0, ['f-slow']))).errorCode, ErrorCode.NONE);
    assert.equal(txnCoordinatorOf(broker).abortTimedOut(Date.now() + 60_000), 1);
    assert.equal(state('f').state, TxnState.COMPLETE_ABORT);
    assert.equal(state('f').producerEpoch, e + 2);
    assert.equal((await endTxn('f', pid, e, true)).errorCode, ErrorCode.PRODUCER_FENCED);
    assert.equal((await produce12('f', txnBatch(pid, e, 1, ['f-slow-2']))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    const f = await fetch();
    assert.equal(f.lastStableOffset, f.highWatermark);
    assert.ok(!(await visible()).some((v) => v.startsWith('f-slow')));
  });

  it('AddPartitionsToTxn v5 (the broker form) with verify_only=false starts a v2 transaction', async () => {
    const { producerId: pid, producerEpoch: e0 } = await init('bf');
    const add = (verifyOnly: boolean, epoch: number, partition: number) =>
      c
        .send(AddPartitionsToTxnApi, 5, { transactions: [{ transactionalId: 'bf', producerId: pid, producerEpoch: epoch, verifyOnly, topics: [{ name: 't', partitions: [partition] }] }] })
        .then((r) => r.resultsByTransaction[0]!.topicResults[0]!.resultsByPartition[0]!.partitionErrorCode);
    assert.equal(await add(true, e0, 0), ErrorCode.INVALID_TXN_STATE); // verification: not in a transaction
    assert.equal(await add(false, e0, 0), ErrorCode.NONE);
    assert.equal(state('bf').clientTransactionVersion, 2);
    assert.equal(await add(true, e0, 0), ErrorCode.NONE);
    assert.equal(await add(true, e0, 1), ErrorCode.INVALID_TXN_STATE);
    assert.equal(await add(false, e0 + 1, 1), ErrorCode.PRODUCER_FENCED);
    assert.equal((await endTxn('bf', pid, e0, false)).producerEpoch, e0 + 1);
    assert.equal(await add(false, e0, 1), ErrorCode.PRODUCER_FENCED); // the ended transaction's epoch
  });

  it('v1 requests keep their v1 behaviour on a v2 broker (AddPartitionsToTxn v3, Produce v9, EndTxn v3: no bump)', async () => {
    const { producerId: pid, producerEpoch: e0 } = await init('v1');
    const produce9 = (batch: Buffer) => c.send(ProduceApi, 9, { transactionalId: 'v1', acks: -1, timeoutMs: 5000, topicData: [{ name: 't', partitionData: [{ index: 0, records: batch }] }] }).then((r) => r.responses[0]!.partitionResponses[0]!);
    assert.equal((await produce9(txnBatch(pid, e0, 0, ['v1-a']))).errorCode, ErrorCode.INVALID_TXN_STATE); // verified only
    const add = await c.send(AddPartitionsToTxnApi, 3, { v3AndBelowTransactionalId: 'v1', v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: e0, v3AndBelowTopics: [{ name: 't', partitions: [0] }] });
    assert.equal(add.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE);
    assert.equal((await produce9(txnBatch(pid, e0, 0, ['v1-b']))).errorCode, ErrorCode.NONE);
    assert.equal((await endTxn('v1', pid, e0, true, 3)).errorCode, ErrorCode.NONE);
    assert.equal(state('v1').producerEpoch, e0);
    assert.equal(state('v1').clientTransactionVersion, 0);
    assert.equal((await endTxn('v1', pid, e0, true, 3)).errorCode, ErrorCode.NONE); // v1 retry
    assert.ok((await visible()).includes('v1-b'));
  });

  it('transaction.version pinned to 1: finalized level 1, Produce v12 only verifies, EndTxn v5 does not bump', async () => {
    await restart({ 'samsa.transaction.version': 1 });
    const v4 = await c.send(ApiVersionsApi, 4, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1.0' });
    assert.deepEqual(v4.finalizedFeatures.map((f) => [f.name, f.maxVersionLevel]), [['transaction.version', 1]]);
    const { producerId: pid, producerEpoch: e0 } = await init('pin');
    assert.equal((await produce12('pin', txnBatch(pid, e0, 0, ['pin-a']))).errorCode, ErrorCode.INVALID_TXN_STATE);
    const add = await c.send(AddPartitionsToTxnApi, 3, { v3AndBelowTransactionalId: 'pin', v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: e0, v3AndBelowTopics: [{ name: 't', partitions: [0] }] });
    assert.equal(add.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE);
    assert.equal((await produce12('pin', txnBatch(pid, e0, 0, ['pin-b']))).errorCode, ErrorCode.NONE);
    const end = await endTxn('pin', pid, e0, true);
    assert.deepEqual([end.errorCode, end.producerId, end.producerEpoch], [ErrorCode.NONE, pid, e0]);
    assert.equal(state('pin').producerEpoch, e0);
    const v0 = await restartAndReadV0();
    assert.equal(v0, true);
  });

  /** Level 0 writes __transaction_state value version 0 (what Kafka before transaction.version 1 reads). */
  async function restartAndReadV0(): Promise<boolean> {
    await restart({ 'samsa.transaction.version': 0 });
    const v4 = await c.send(ApiVersionsApi, 4, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1.0' });
    assert.deepEqual(v4.finalizedFeatures, []);
    const { errorCode } = await init('zero');
    assert.equal(errorCode, ErrorCode.NONE);
    const tc = txnCoordinatorOf(broker);
    const log = broker.logs.getLog(TRANSACTION_STATE_TOPIC_NAME, tc.partitionFor('zero'))!;
    const read = log.read(log.logStartOffset, 1 << 22, { maxOffset: log.highWatermark, minOneBatch: true });
    const buf = PartitionLog.readSlices(read.slices);
    let version: number | null = null;
    for (const b of iterateRecordSet(buf, 0, buf.length)) {
      for (const rec of b.records) {
        const d = decodeTransactionCoordinatorRecord(Buffer.from(rec.key!), rec.value && Buffer.from(rec.value));
        if (d.key.transactionalId === 'zero') version = d.valueVersion;
      }
    }
    return version === 0;
  }
});
