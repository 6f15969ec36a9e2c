// ListOffsets, DeleteRecords, OffsetForLeaderEpoch, InitProducerId, DescribeProducers,
// DescribeLogDirs against an in-process broker, with raw requests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  DeleteRecordsApi,
  DescribeLogDirsApi,
  DescribeProducersApi,
  FetchApi,
  InitProducerIdApi,
  ListOffsetsApi,
  OffsetForLeaderEpochApi,
  ProduceApi,
} from '../../../src/protocol/generated/api-keys.ts';
import { ErrorCode } from '../../../src/protocol/errors/index.ts';
import { buildRecordBatch } from '../../../src/protocol/records/batch-builder.ts';
import { PRODUCER_IDS_FILE } from '../../../src/broker/producer-ids.ts';
import type { TestBroker } from './data-plane-helpers.ts';
import { RawClient, batchOf, startTestBroker } from './data-plane-helpers.ts';

let tb: TestBroker;
let c: RawClient;
const T0 = 1_700_000_000_000;

before(async () => {
  tb = await startTestBroker();
  tb.broker.topics.create('lo', { partitions: 1 });
  tb.broker.topics.create('dr', { partitions: 2 });
  tb.broker.topics.create('compactonly', { configs: { 'cleanup.policy': 'compact' } });
  tb.broker.topics.create('emptyt');
  c = await RawClient.connect(tb.bootstrap);
  // Offsets 0-2 at T0, T0+10, T0+20 (one batch); 3-4 at T0+5 and T0+100 (max).
  await produce('lo', 0, batchOfTimes(['a', 'b', 'c'], [0, 10, 20]));
  await produce('lo', 0, batchOfTimes(['d', 'e'], [5, 100]));
});

after(async () => {
  c.close();
  await tb.close();
});

function batchOfTimes(values: string[], deltas: number[]): Buffer {
  return buildRecordBatch(
    values.map((v, i) => ({ key: null, value: Buffer.from(v), timestampDelta: deltas[i]! })),
    { baseTimestamp: T0 },
  );
}

async function produce(topic: string, partition: number, records: Buffer) {
  const r = await c.send(ProduceApi, 9, { acks: -1, timeoutMs: 1000, transactionalId: null, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  const p = r.responses[0]!.partitionResponses[0]!;
  assert.equal(p.errorCode, 0, `produce: ${p.errorMessage}`);
  return p;
}

async function listOffset(topic: string, ts: number | bigint, version = 9, opts: { isolationLevel?: number; currentLeaderEpoch?: number; partition?: number } = {}) {
  const r = await c.send(ListOffsetsApi, version, {
    replicaId: -1,
    isolationLevel: opts.isolationLevel ?? 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: opts.partition ?? 0, currentLeaderEpoch: opts.currentLeaderEpoch ?? -1, timestamp: BigInt(ts), maxNumOffsets: version === 0 ? 10 : 1 }] }],
    timeoutMs: version >= 10 ? 1000 : 0,
  });
  return r.topics[0]!.partitions[0]!;
}

describe('ListOffsets', () => {
  test('earliest, latest, max timestamp, earliest local, latest tiered', async () => {
    assert.deepEqual(pick(await listOffset('lo', -2)), [0, -1n, 0n, 0]);
    assert.deepEqual(pick(await listOffset('lo', -1)), [0, -1n, 5n, 0]);
    assert.deepEqual(pick(await listOffset('lo', -3)), [0, BigInt(T0 + 100), 4n, 0]);
    assert.deepEqual(pick(await listOffset('lo', -4)), [0, -1n, 0n, 0]);
    assert.deepEqual(pick(await listOffset('lo', -5)), [0, -1n, -1n, -1]);
    assert.equal((await listOffset('lo', -3, 6)).errorCode, ErrorCode.UNSUPPORTED_VERSION);
  });

  test('by timestamp: first record at or after it; none → -1', async () => {
    assert.deepEqual(pick(await listOffset('lo', T0)), [0, BigInt(T0), 0n, 0]);
    // In offset order, not timestamp order: offset 1 (T0+10) comes before offset 3 (T0+5).
    assert.deepEqual(pick(await listOffset('lo', T0 + 1)), [0, BigInt(T0 + 10), 1n, 0]);
    assert.deepEqual(pick(await listOffset('lo', T0 + 21)), [0, BigInt(T0 + 100), 4n, 0]);
    assert.deepEqual(pick(await listOffset('lo', T0 + 11)), [0, BigInt(T0 + 20), 2n, 0]);
    assert.deepEqual(pick(await listOffset('lo', T0 + 101)), [0, -1n, -1n, -1]);
    // v1 has no leader epoch.
    assert.deepEqual(pick(await listOffset('lo', T0 + 11, 1)), [0, BigInt(T0 + 20), 2n, -1]);
  });

  test('v0 old style offsets; errors', async () => {
    const v0 = await listOffset('lo', -1, 0);
    assert.deepEqual(v0.oldStyleOffsets, [5n, 0n]);
    const v0e = await listOffset('lo', -2, 0);
    assert.deepEqual(v0e.oldStyleOffsets, [0n]);
    assert.equal((await listOffset('missing', -1)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal((await listOffset('lo', -1, 9, { currentLeaderEpoch: 1 })).errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);
    assert.equal((await listOffset('lo', -1, 9, { currentLeaderEpoch: 0 })).errorCode, 0);
    assert.deepEqual(pick(await listOffset('emptyt', -1)), [0, -1n, 0n, 0]);
    assert.deepEqual(pick(await listOffset('emptyt', -3)), [0, -1n, -1n, -1]);
  });

  test('duplicate partitions: INVALID_REQUEST', async () => {
    const r = await c.send(ListOffsetsApi, 5, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: 'lo', partitions: [{ partitionIndex: 0, timestamp: -1n }, { partitionIndex: 0, timestamp: -2n }] }],
    });
    assert.deepEqual(r.topics[0]!.partitions.map((p) => p.errorCode), [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
  });
});

function pick(p: { errorCode: number; timestamp: bigint; offset: bigint; leaderEpoch: number }) {
  return [p.errorCode, p.timestamp, p.offset, p.leaderEpoch];
}

describe('DeleteRecords', () => {
  test('moves the log start offset; -1 is the high watermark; beyond it OFFSET_OUT_OF_RANGE', async () => {
    for (let i = 0; i < 5; i++) await produce('dr', 0, batchOf([`r${i}`]));
    const del = async (topic: string, partition: number, offset: number) =>
      (await c.send(DeleteRecordsApi, 2, { topics: [{ name: topic, partitions: [{ partitionIndex: partition, offset: BigInt(offset) }] }], timeoutMs: 1000 })).topics[0]!.partitions[0]!;
    assert.deepEqual(await del('dr', 0, 2), { partitionIndex: 0, lowWatermark: 2n, errorCode: 0 });
    assert.deepEqual(pick(await listOffset('dr', -2)), [0, -1n, 2n, 0]);
    const below = await c.send(FetchApi, 12, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'dr', partitions: [{ partition: 0, fetchOffset: 1n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n }] }],
      forgottenTopicsData: [], rackId: '',
    });
    assert.equal(below.responses[0]!.partitions[0]!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    assert.equal((await del('dr', 0, 6)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    assert.equal((await del('dr', 0, 6)).lowWatermark, -1n);
    assert.deepEqual(await del('dr', 0, -1), { partitionIndex: 0, lowWatermark: 5n, errorCode: 0 });
    assert.equal((await del('dr', 9, 0)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal((await del('compactonly', 0, 0)).errorCode, ErrorCode.POLICY_VIOLATION);
  });
});

describe('OffsetForLeaderEpoch', () => {
  test('end offset of the current epoch is the log end offset; unknown epochs -1', async () => {
    const ofle = async (topic: string, leaderEpoch: number, currentLeaderEpoch = -1, version = 4) =>
      (await c.send(OffsetForLeaderEpochApi, version, { replicaId: -1, topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch }] }] })).topics[0]!.partitions[0]!;
    assert.deepEqual(await ofle('lo', 0), { errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 5n });
    assert.deepEqual(await ofle('lo', 3), { errorCode: 0, partition: 0, leaderEpoch: -1, endOffset: -1n });
    assert.deepEqual(await ofle('emptyt', 0), { errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 0n });
    assert.equal((await ofle('lo', 0, 2)).errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);
    assert.equal((await ofle('nope', 0)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const v0 = await ofle('lo', 0, -1, 0);
    assert.equal(v0.endOffset, 5n);
  });
});

describe('InitProducerId', () => {
  test('fresh ids with epoch 0, persisted in blocks, never reused after a restart', async () => {
    const init = async (client: RawClient, body: { transactionalId?: string | null; producerId?: bigint; producerEpoch?: number }, version = 4) =>
      client.send(InitProducerIdApi, version, { transactionalId: null, transactionTimeoutMs: 60_000, ...body });
    const a = await init(c, {});
    const b = await init(c, {}, 0);
    assert.equal(a.errorCode, 0);
    assert.equal(a.producerEpoch, 0);
    assert.equal(b.producerId, a.producerId + 1n);
    // KIP-360 fields on an idempotent producer: a new id, as Kafka.
    const bumped = await init(c, { producerId: a.producerId, producerEpoch: 0 });
    assert.equal(bumped.producerEpoch, 0);
    assert.ok(bumped.producerId > b.producerId);
    assert.equal((await init(c, { producerId: 5n, producerEpoch: -1 })).errorCode, ErrorCode.INVALID_REQUEST);
    // Transactional ids are served by the transaction coordinator (test/broker/txn).
    assert.equal((await init(c, { transactionalId: 'tx' })).errorCode, ErrorCode.NONE);
    assert.equal((await init(c, { transactionalId: '' })).errorCode, ErrorCode.INVALID_REQUEST);
    const file = fs.readFileSync(path.join(tb.dir, PRODUCER_IDS_FILE), 'utf8');
    assert.equal(file, '0\n1000\n');

    // Restart on the same dir: the next id comes from the next block.
    const dir = tb.dir;
    c.close();
    await tb.broker.close();
    const tb2 = await startTestBroker({}, dir);
    const c2 = await RawClient.connect(tb2.bootstrap);
    try {
      const after = await init(c2, {});
      assert.equal(after.producerId, 1000n);
      assert.equal(fs.readFileSync(path.join(dir, PRODUCER_IDS_FILE), 'utf8'), '0\n2000\n');
      // Producer state survives too: DescribeProducers.
      const pid = after.producerId;
      await c2.send(ProduceApi, 9, {
        acks: -1,
        timeoutMs: 1000,
        transactionalId: null,
        topicData: [{ name: 'lo', partitionData: [{ index: 0, records: batchOf(['x', 'y'], { producerId: pid, producerEpoch: 0, baseSequence: 0 }) }] }],
      });
      const dp = await c2.send(DescribeProducersApi, 0, { topics: [{ name: 'lo', partitionIndexes: [0, 3] }, { name: 'missing', partitionIndexes: [0] }] });
      const [p0, p3] = dp.topics[0]!.partitions;
      assert.equal(p0!.errorCode, 0);
      const st = p0!.activeProducers.find((x) => x.producerId === pid)!;
      assert.equal(st.producerEpoch, 0);
      assert.equal(st.lastSequence, 1);
      assert.equal(st.currentTxnStartOffset, -1n);
      assert.equal(p3!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      assert.equal(dp.topics[1]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

      // DescribeLogDirs on this broker.
      const all = await c2.send(DescribeLogDirsApi, 4, { topics: null });
      assert.equal(all.errorCode, 0);
      assert.equal(all.results.length, 1);
      const r = all.results[0]!;
      assert.equal(r.logDir, path.resolve(dir));
      assert.ok(r.totalBytes > 0n && r.usableBytes > 0n && r.usableBytes <= r.totalBytes);
      const lo = r.topics.find((t) => t.name === 'lo')!;
      assert.equal(lo.partitions[0]!.partitionSize, BigInt(tb2.broker.logs.getLog('lo', 0)!.sizeBytes));
      assert.equal(lo.partitions[0]!.offsetLag, 0n);
      assert.equal(lo.partitions[0]!.isFutureKey, false);
      const some = await c2.send(DescribeLogDirsApi, 1, { topics: [{ topic: 'dr', partitions: [1, 7] }, { topic: 'missing', partitions: [0] }] });
      assert.deepEqual(some.results[0]!.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]), [['dr', [1]]]);
      assert.equal(some.results[0]!.totalBytes, -1n);
    } finally {
      c2.close();
      await tb2.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
