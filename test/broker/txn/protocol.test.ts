/**
 * The transaction APIs on the wire (raw requests, generated codecs): error codes as
 * Kafka answers them, produce verification, LSO, read_committed fetch with aborted
 * transactions, ListOffsets read_committed, List/DescribeTransactions, and the
 * .txnindex surviving a restart.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../../src/broker/broker.ts';
import type { Broker } from '../../../src/broker/broker.ts';
import { groupCoordinatorLoaded } from '../../../src/broker/group/index.ts';
import { txnCoordinatorOf } from '../../../src/broker/txn/coordinator.ts';
import { ErrorCode } from '../../../src/protocol/errors/index.ts';
import {
  AddPartitionsToTxnApi,
  CreateTopicsApi,
  DescribeTransactionsApi,
  EndTxnApi,
  FetchApi,
  FindCoordinatorApi,
  InitProducerIdApi,
  ListOffsetsApi,
  ListTransactionsApi,
  OffsetFetchApi,
  ProduceApi,
  TxnOffsetCommitApi,
  AddOffsetsToTxnApi,
} from '../../../src/protocol/generated/api-keys.ts';
import { buildRecordBatch } from '../../../src/protocol/records/batch-builder.ts';
import { StorageError } from '../../../src/storage/errors.ts';
import { GroupRawClient } from '../group/broker-helpers.ts';

const CONFIG = { listeners: 'PLAINTEXT://127.0.0.1:0', 'transaction.state.log.num.partitions': 3, 'offsets.topic.num.partitions': 3, 'transaction.max.timeout.ms': 60000 };

function txnBatch(pid: bigint, epoch: number, seq: number, values: string[]): Buffer {
  return buildRecordBatch(
    values.map((v, i) => ({ offsetDelta: i, timestampDelta: 0, key: null, value: Buffer.from(v) })),
    { baseTimestamp: Date.now(), transactional: true, producerId: pid, producerEpoch: epoch, baseSequence: seq },
  );
}

describe('transaction APIs', () => {
  let dir: string;
  let broker: Broker;
  let c: GroupRawClient;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-txn-proto-'));
    broker = await startBroker({ config: { ...CONFIG, 'log.dirs': dir }, log: () => {} });
    await groupCoordinatorLoaded(broker);
    c = await GroupRawClient.connect(broker.bootstrapServers);
    const r = await c.send(CreateTopicsApi, 5, { topics: [{ name: 't', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000 });
    assert.equal(r.topics[0]!.errorCode, 0);
  });
  after(async () => {
    c.close();
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const produce = (id: string, batch: Buffer) =>
    c.send(ProduceApi, 9, { transactionalId: id, acks: -1, timeoutMs: 5000, topicData: [{ name: 't', partitionData: [{ index: 0, records: batch }] }] }).then((r) => r.responses[0]!.partitionResponses[0]!);
  const fetch = (isolationLevel: number) =>
    c.send(FetchApi, 11, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n }] }], forgottenTopicsData: [], rackId: '' }).then((r) => r.responses[0]!.partitions[0]!);
  const addPartitions = (id: string, pid: bigint, epoch: number, version = 3) =>
    c.send(AddPartitionsToTxnApi, version, { v3AndBelowTransactionalId: id, v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: epoch, v3AndBelowTopics: [{ name: 't', partitions: [0] }] }).then((r) => r.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode);
  const endTxn = (id: string, pid: bigint, epoch: number, committed: boolean, version = 3) =>
    c.send(EndTxnApi, version, { transactionalId: id, producerId: pid, producerEpoch: epoch, committed }).then((r) => r.errorCode);
  const init = (id: string, timeout = 30000) => c.send(InitProducerIdApi, 4, { transactionalId: id, transactionTimeoutMs: timeout, producerId: -1n, producerEpoch: -1 });

  it('FindCoordinator key_type 1 answers this node', async () => {
    const r = await c.send(FindCoordinatorApi, 3, { key: 'some-txn', keyType: 1 });
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.nodeId, broker.nodeId);
  });

  it('InitProducerId: timeout above transaction.max.timeout.ms is INVALID_TRANSACTION_TIMEOUT; bumps the epoch on re-init', async () => {
    assert.equal((await init('x', 60001)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    const a = await init('x');
    assert.equal(a.errorCode, ErrorCode.NONE);
    assert.equal(a.producerEpoch, 0);
    const b = await init('x');
    assert.equal(b.producerId, a.producerId);
    assert.equal(b.producerEpoch, 1);
    // the previous epoch is fenced
    assert.equal(await addPartitions('x', a.producerId, 0, 3), ErrorCode.PRODUCER_FENCED);
    assert.equal(await addPartitions('x', a.producerId, 0, 1), ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(await endTxn('x', b.producerId, 1, true), ErrorCode.INVALID_TXN_STATE); // Empty
    assert.equal(await endTxn('x', b.producerId + 1000n, 1, true), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  });

  it('produce is verified, the LSO holds at the open transaction, aborts are returned to read_committed fetches', async () => {
    const { producerId: pid, producerEpoch: epoch } = await init('v');
    // Not added to the transaction yet.
    assert.equal((await produce('v', txnBatch(pid, epoch, 0, ['n']))).errorCode, ErrorCode.INVALID_TXN_STATE);
    assert.equal(await addPartitions('v', pid, epoch), ErrorCode.NONE);
    const p = await produce('v', txnBatch(pid, epoch, 0, ['a', 'b']));
    assert.equal(p.errorCode, ErrorCode.NONE);
    const first = p.baseOffset;
    const log = broker.logs.getLog('t', 0)!;
    assert.equal(BigInt(log.lastStableOffset), first);
    assert.equal(BigInt(log.highWatermark), first + 2n);
    let f = await fetch(1);
    assert.equal(f.lastStableOffset, first);
    assert.equal(f.records?.length ?? 0, 0);
    const lo = await c.send(ListOffsetsApi, 5, { replicaId: -1, isolationLevel: 1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: -1n, currentLeaderEpoch: -1 }] }] });
    assert.equal(lo.topics[0]!.partitions[0]!.offset, first);
    // ListTransactions / DescribeTransactions see it ongoing.
    const lt = await c.send(ListTransactionsApi, 0, { stateFilters: ['Ongoing'], producerIdFilters: [] });
    assert.ok(lt.transactionStates.some((s) => s.transactionalId === 'v' && s.transactionState === 'Ongoing'));
    const dt = await c.send(DescribeTransactionsApi, 0, { transactionalIds: ['v', 'nope'] });
    assert.equal(dt.transactionStates[0]!.transactionState, 'Ongoing');
    assert.deepEqual(dt.transactionStates[0]!.topics.map((t) => [t.topic, t.partitions]), [['t', [0]]]);
    assert.equal(dt.transactionStates[1]!.errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    // Abort.
    assert.equal(await endTxn('v', pid, epoch, false), ErrorCode.NONE);
    assert.equal(await endTxn('v', pid, epoch, false), ErrorCode.NONE); // retry
    assert.equal(await endTxn('v', pid, epoch, true), ErrorCode.INVALID_TXN_STATE);
    assert.equal(log.lastStableOffset, log.highWatermark);
    f = await fetch(1);
    assert.equal(f.lastStableOffset, BigInt(log.highWatermark));
    assert.ok((f.records?.length ?? 0) > 0);
    assert.deepEqual(f.abortedTransactions, [{ producerId: pid, firstOffset: first }]);
    const u = await fetch(0);
    assert.equal(u.abortedTransactions, null);
    // Produce after the abort without re-adding: INVALID_TXN_STATE.
    assert.equal((await produce('v', txnBatch(pid, epoch, 2, ['late']))).errorCode, ErrorCode.INVALID_TXN_STATE);
    // Commit a second one.
    assert.equal(await addPartitions('v', pid, epoch), ErrorCode.NONE);
    assert.equal((await produce('v', txnBatch(pid, epoch, 2, ['c']))).errorCode, ErrorCode.NONE);
    assert.equal(await endTxn('v', pid, epoch, true, 1), ErrorCode.NONE);
    assert.equal(txnCoordinatorOf(broker).txns.get('v')!.state, 4); // CompleteCommit
  });

  it('TxnOffsetCommit: pending until commit (require_stable → UNSTABLE_OFFSET_COMMIT), dropped on abort', async () => {
    const { producerId: pid, producerEpoch: epoch } = await init('o');
    const offsetFetch = (requireStable: boolean) =>
      c.send(OffsetFetchApi, 7, { groupId: 'og', topics: [{ name: 't', partitionIndexes: [0] }], requireStable }).then((r) => r.topics[0]!.partitions[0]!);
    const commit = (offset: bigint) =>
      c.send(TxnOffsetCommitApi, 3, { transactionalId: 'o', groupId: 'og', producerId: pid, producerEpoch: epoch, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: 'm' }] }] }).then((r) => r.topics[0]!.partitions[0]!.errorCode);
    // Not added with AddOffsetsToTxn yet.
    assert.equal(await commit(5n), ErrorCode.INVALID_TXN_STATE);
    const add = () => c.send(AddOffsetsToTxnApi, 3, { transactionalId: 'o', producerId: pid, producerEpoch: epoch, groupId: 'og' }).then((r) => r.errorCode);
    assert.equal(await add(), ErrorCode.NONE);
    assert.equal(await commit(5n), ErrorCode.NONE);
    assert.equal((await offsetFetch(true)).errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);
    assert.equal((await offsetFetch(false)).committedOffset, -1n);
    assert.equal(await endTxn('o', pid, epoch, false), ErrorCode.NONE);
    assert.equal((await offsetFetch(true)).committedOffset, -1n);
    assert.equal(await add(), ErrorCode.NONE);
    assert.equal(await commit(7n), ErrorCode.NONE);
    assert.equal(await endTxn('o', pid, epoch, true), ErrorCode.NONE);
    const f = await offsetFetch(true);
    assert.equal(f.errorCode, ErrorCode.NONE);
    assert.equal(f.committedOffset, 7n);
  });

  it('the aborted-transaction index and coordinator state survive a restart', async () => {
    const before = broker.logs.getLog('t', 0)!.txnIndex.all.map((e) => ({ ...e }));
    assert.equal(before.length, 1);
    c.close();
    await broker.close();
    broker = await startBroker({ config: { ...CONFIG, 'log.dirs': dir }, log: () => {} });
    await groupCoordinatorLoaded(broker);
    c = await GroupRawClient.connect(broker.bootstrapServers);
    const log = broker.logs.getLog('t', 0)!;
    assert.deepEqual(log.txnIndex.all, before);
    assert.equal(log.lastStableOffset, log.highWatermark);
    assert.ok(fs.readdirSync(log.dir).some((n) => n.endsWith('.txnindex')));
    const f = await fetch(1);
    assert.equal(f.abortedTransactions!.length, 1);
    const md = txnCoordinatorOf(broker).txns.get('v')!;
    assert.equal(md.state, 4);
    const again = await init('v');
    assert.equal(again.producerId, md.producerId);
    assert.equal(again.producerEpoch, 1);
  });

  it('restart with offsets pending in an open transaction: committed after the restart', async () => {
    const { producerId: pid, producerEpoch: epoch } = await init('r');
    assert.equal((await c.send(AddOffsetsToTxnApi, 3, { transactionalId: 'r', producerId: pid, producerEpoch: epoch, groupId: 'rg' })).errorCode, ErrorCode.NONE);
    const tc = await c.send(TxnOffsetCommitApi, 3, { transactionalId: 'r', groupId: 'rg', producerId: pid, producerEpoch: epoch, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 9n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    assert.equal(tc.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    c.close();
    await broker.close();
    broker = await startBroker({ config: { ...CONFIG, 'log.dirs': dir }, log: () => {} });
    await groupCoordinatorLoaded(broker);
    c = await GroupRawClient.connect(broker.bootstrapServers);
    const fetchOffset = (requireStable: boolean) => c.send(OffsetFetchApi, 7, { groupId: 'rg', topics: [{ name: 't', partitionIndexes: [0] }], requireStable }).then((r) => r.topics[0]!.partitions[0]!);
    assert.equal((await fetchOffset(true)).errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);
    assert.equal(await endTxn('r', pid, epoch, true), ErrorCode.NONE);
    assert.equal((await fetchOffset(true)).committedOffset, 9n);
  });

  it('transactional ids idle past transactional.id.expiration.ms are removed', async () => {
    const tc = txnCoordinatorOf(broker);
    assert.ok(tc.txns.has('x'));
    const removed = tc.expireTransactionalIds(Date.now() + 8 * 86_400_000);
    assert.ok(removed >= 1);
    assert.equal(tc.txns.has('x'), false);
    const again = await init('x');
    assert.equal(again.producerEpoch, 0);
  });

  it('restart with an open transaction: it times out and is aborted by the coordinator', async () => {
    const { producerId: pid, producerEpoch: epoch } = await init('late', 1000);
    assert.equal(await addPartitions('late', pid, epoch), ErrorCode.NONE);
    const seq = 0;
    assert.equal((await produce('late', txnBatch(pid, epoch, seq, ['open']))).errorCode, ErrorCode.NONE);
    c.close();
    await broker.close();
    broker = await startBroker({ config: { ...CONFIG, 'log.dirs': dir }, log: () => {} });
    await groupCoordinatorLoaded(broker);
    c = await GroupRawClient.connect(broker.bootstrapServers);
    const log = broker.logs.getLog('t', 0)!;
    assert.ok(log.lastStableOffset < log.highWatermark);
    const tc = txnCoordinatorOf(broker);
    assert.equal(tc.abortTimedOut(Date.now() + 60_000), 1);
    assert.equal(tc.txns.get('late')!.state, 5); // CompleteAbort
    assert.equal(tc.txns.get('late')!.producerEpoch, epoch + 1); // fenced
    assert.equal(log.lastStableOffset, log.highWatermark);
    assert.equal(await endTxn('late', pid, epoch, true), ErrorCode.PRODUCER_FENCED);
  });

  it('a marker that cannot be written leaves the transaction PrepareCommit until the retry succeeds', async () => {
    const { producerId: pid, producerEpoch: epoch } = await init('mk');
    assert.equal(await addPartitions('mk', pid, epoch), ErrorCode.NONE);
    assert.equal((await produce('mk', txnBatch(pid, epoch, 0, ['m']))).errorCode, ErrorCode.NONE);
    const log = broker.logs.getLog('t', 0)!;
    const append = log.append;
    log.append = () => {
      throw new StorageError(56, 'disk gone');
    };
    try {
      assert.equal(await endTxn('mk', pid, epoch, true), ErrorCode.NONE);
    } finally {
      log.append = append;
    }
    const tc = txnCoordinatorOf(broker);
    assert.equal(tc.txns.get('mk')!.state, 2); // PrepareCommit
    assert.ok(log.lastStableOffset < log.highWatermark);
    assert.equal(await endTxn('mk', pid, epoch, true), ErrorCode.CONCURRENT_TRANSACTIONS);
    tc.abortTimedOut();
    assert.equal(tc.txns.get('mk')!.state, 4); // CompleteCommit
    assert.equal(log.lastStableOffset, log.highWatermark);
  });
});
