import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FetchApi, ProduceApi } from '../../../src/protocol/generated/api-keys.ts';
import type { FetchRequestInit } from '../../../src/protocol/generated/fetch-request.ts';
import { ErrorCode } from '../../../src/protocol/errors/index.ts';
import { CompressionCodec } from '../../../src/protocol/compression/codec.ts';
import { decodeRecordSet } from '../../../src/protocol/records/record-set.ts';
import type { TestBroker } from './data-plane-helpers.ts';
import { RawClient, batchOf, sleep, startTestBroker } from './data-plane-helpers.ts';

let tb: TestBroker;
let c: RawClient;

before(async () => {
  tb = await startTestBroker({ 'max.incremental.fetch.session.cache.slots': 3 });
  for (const name of ['f', 'lp', 'lp2', 'big', 's', 'zs', 'empty']) tb.broker.topics.create(name, { partitions: 2 });
  c = await RawClient.connect(tb.bootstrap);
});

after(async () => {
  c.close();
  await tb.close();
});

async function produce(topic: string, partition: number, records: Buffer) {
  const r = await c.send(ProduceApi, 9, { acks: 1, timeoutMs: 1000, transactionalId: null, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, 0);
}

interface P {
  topic: string;
  partition?: number;
  offset?: number;
  maxBytes?: number;
  topicId?: string;
  currentLeaderEpoch?: number;
}

function request(parts: P[], opts: Partial<FetchRequestInit> = {}): FetchRequestInit {
  const byTopic = new Map<string, P[]>();
  for (const p of parts) {
    const k = p.topicId ?? p.topic;
    if (!byTopic.has(k)) byTopic.set(k, []);
    byTopic.get(k)!.push(p);
  }
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 50_000_000,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [...byTopic.values()].map((ps) => ({
      topic: ps[0]!.topic,
      topicId: ps[0]!.topicId,
      partitions: ps.map((p) => ({
        partition: p.partition ?? 0,
        fetchOffset: BigInt(p.offset ?? 0),
        partitionMaxBytes: p.maxBytes ?? 1_000_000,
        currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
        lastFetchedEpoch: -1,
        logStartOffset: -1n,
      })),
    })),
    forgottenTopicsData: [],
    rackId: '',
    ...opts,
  };
}

function values(records: Buffer | null): string[] {
  if (!records || records.length === 0) return [];
  return decodeRecordSet(records).batches.flatMap((b) => b.records.map((r) => r.value!.toString()));
}

describe('fetch', () => {
  test('reads batches with high watermark, last stable offset and log start offset', async () => {
    await produce('f', 0, batchOf(['a', 'b']));
    await produce('f', 0, batchOf(['c']));
    const res = await c.send(FetchApi, 12, request([{ topic: 'f' }, { topic: 'f', offset: 2 }]));
    const [p0, p0b] = res.responses[0]!.partitions;
    assert.equal(p0!.errorCode, 0);
    assert.equal(p0!.highWatermark, 3n);
    assert.equal(p0!.lastStableOffset, 3n);
    assert.equal(p0!.logStartOffset, 0n);
    assert.equal(p0!.preferredReadReplica, -1);
    assert.equal(p0!.abortedTransactions, null);
    assert.deepEqual(values(p0!.records), ['a', 'b', 'c']);
    // A fetch offset inside the log returns from the batch holding it.
    assert.deepEqual(values(p0b!.records), ['c']);
  });

  test('offset out of range; unknown topic; unknown topic id; leader epoch checks', async () => {
    const res = await c.send(FetchApi, 12, request([{ topic: 'f', offset: 99 }, { topic: 'nope' }, { topic: 'f', partition: 5 }, { topic: 'f', partition: 1, currentLeaderEpoch: 3 }]));
    const codes = res.responses.flatMap((t) => t.partitions.map((p) => [t.topic, p.partitionIndex, p.errorCode, p.highWatermark]));
    assert.deepEqual(codes, [
      ['f', 0, ErrorCode.OFFSET_OUT_OF_RANGE, -1n],
      ['f', 5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n],
      ['f', 1, ErrorCode.UNKNOWN_LEADER_EPOCH, -1n],
      ['nope', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n],
    ]);
    const id = tb.broker.topics.get('f')!.topicId;
    const byId = await c.send(FetchApi, 13, request([{ topic: '', topicId: id }, { topic: '', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }]));
    assert.equal(byId.responses[0]!.topicId, id);
    assert.deepEqual(values(byId.responses[0]!.partitions[0]!.records), ['a', 'b', 'c']);
    assert.equal(byId.responses[1]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
  });

  test('long poll answers when data arrives', async () => {
    const t0 = Date.now();
    const pending = c.send(FetchApi, 12, request([{ topic: 'lp' }, { topic: 'lp', partition: 1 }], { maxWaitMs: 10_000, minBytes: 1 }));
    await sleep(200);
    const c2 = await RawClient.connect(tb.bootstrap);
    await c2.send(ProduceApi, 9, { acks: 1, timeoutMs: 1000, transactionalId: null, topicData: [{ name: 'lp', partitionData: [{ index: 1, records: batchOf(['late']) }] }] });
    c2.close();
    const res = await pending;
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 150 && elapsed < 5000, `answered after ${elapsed} ms`);
    assert.deepEqual(values(res.responses[0]!.partitions[1]!.records), ['late']);
    assert.equal(tb.broker.logs.getLog('lp', 1)!.highWatermark, 1);
  });

  test('long poll times out with an empty answer after max_wait_ms', async () => {
    const t0 = Date.now();
    const res = await c.send(FetchApi, 12, request([{ topic: 'lp2' }], { maxWaitMs: 300, minBytes: 1 }));
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 250, `answered after ${elapsed} ms`);
    assert.equal(res.responses[0]!.partitions[0]!.records!.length, 0);
  });

  test('min_bytes larger than what arrives waits for enough bytes', async () => {
    const pending = c.send(FetchApi, 12, request([{ topic: 'lp2', partition: 1 }], { maxWaitMs: 10_000, minBytes: 300 }));
    // Responses on one connection come in request order: produce on another.
    const c2 = await RawClient.connect(tb.bootstrap);
    await c2.send(ProduceApi, 9, { acks: 1, timeoutMs: 1000, transactionalId: null, topicData: [{ name: 'lp2', partitionData: [{ index: 1, records: batchOf(['x']) }] }] });
    let done = false;
    void pending.then(() => (done = true));
    await sleep(150);
    assert.equal(done, false);
    await c2.send(ProduceApi, 9, { acks: 1, timeoutMs: 1000, transactionalId: null, topicData: [{ name: 'lp2', partitionData: [{ index: 1, records: batchOf(['y'.repeat(400)]) }] }] });
    c2.close();
    const res = await pending;
    assert.equal(values(res.responses[0]!.partitions[0]!.records).length, 2);
  });

  test('byte limits: first partition with data may exceed them by one batch, others not', async () => {
    await produce('big', 0, batchOf(['x'.repeat(5000)]));
    await produce('big', 0, batchOf(['y'.repeat(10)]));
    await produce('big', 1, batchOf(['z'.repeat(5000)]));
    const res = await c.send(FetchApi, 12, request([{ topic: 'big', maxBytes: 100 }, { topic: 'big', partition: 1, maxBytes: 100 }], { maxBytes: 200 }));
    const [p0, p1] = res.responses[0]!.partitions;
    assert.deepEqual(values(p0!.records).map((v) => v.length), [5000]);
    assert.equal(p1!.records!.length, 0);
    // v2 has a hard limit: no oversized batch at all.
    const v2 = await c.send(FetchApi, 2, request([{ topic: 'big', maxBytes: 100 }]));
    assert.equal(v2.responses[0]!.partitions[0]!.records!.length, 0);
    // Request max_bytes bounds the total.
    const total = await c.send(FetchApi, 12, request([{ topic: 'big', maxBytes: 100_000 }, { topic: 'big', partition: 1, maxBytes: 100_000 }], { maxBytes: 5200 }));
    const sizes = total.responses[0]!.partitions.map((p) => values(p.records).length);
    assert.deepEqual(sizes, [2, 0]);
  });

  test('read_committed answers an empty aborted transactions list', async () => {
    const res = await c.send(FetchApi, 12, request([{ topic: 'f' }], { isolationLevel: 1 }));
    assert.deepEqual(res.responses[0]!.partitions[0]!.abortedTransactions, []);
    assert.equal(res.responses[0]!.partitions[0]!.lastStableOffset, 3n);
  });

  test('zstd batches are UNSUPPORTED_COMPRESSION_TYPE before v10', async () => {
    await produce('zs', 0, batchOf(['z1', 'z2'], { compression: CompressionCodec.ZSTD }));
    const old = await c.send(FetchApi, 9, request([{ topic: 'zs' }]));
    assert.equal(old.responses[0]!.partitions[0]!.errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    const ok = await c.send(FetchApi, 10, request([{ topic: 'zs' }]));
    assert.deepEqual(values(ok.responses[0]!.partitions[0]!.records), ['z1', 'z2']);
  });

  test('fetch sessions: full, incremental, forgotten topics, errors, close', async () => {
    await produce('s', 0, batchOf(['s0']));
    const full = await c.send(FetchApi, 12, request([{ topic: 's' }, { topic: 's', partition: 1 }], { sessionId: 0, sessionEpoch: 0 }));
    const id = full.sessionId;
    assert.notEqual(id, 0);
    assert.equal(full.responses[0]!.partitions.length, 2);
    // Nothing changed: an incremental fetch (offsets moved for p0) answers nothing.
    const inc1 = await c.send(FetchApi, 12, request([{ topic: 's', offset: 1 }], { sessionId: id, sessionEpoch: 1 }));
    assert.equal(inc1.errorCode, 0);
    assert.equal(inc1.sessionId, id);
    assert.deepEqual(inc1.responses, []);
    // New data on p1 only: only p1 comes back, though the request names no partition.
    await produce('s', 1, batchOf(['s1']));
    const inc2 = await c.send(FetchApi, 12, request([], { sessionId: id, sessionEpoch: 2 }));
    assert.deepEqual(inc2.responses.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, values(p.records)])), [[1, ['s1']]]);
    // p0's fetch offset in the session is 1: new data there comes from 1 on.
    await produce('s', 0, batchOf(['s0b']));
    const inc3 = await c.send(FetchApi, 12, request([{ topic: 's', partition: 1, offset: 1 }], { sessionId: id, sessionEpoch: 3 }));
    assert.deepEqual(inc3.responses.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, values(p.records)])), [[0, ['s0b']]]);
    // Wrong epoch, unknown session.
    assert.equal((await c.send(FetchApi, 12, request([], { sessionId: id, sessionEpoch: 9 }))).errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    assert.equal((await c.send(FetchApi, 12, request([], { sessionId: 12345, sessionEpoch: 1 }))).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    // Using topic ids in a session made without them.
    assert.equal((await c.send(FetchApi, 13, request([], { sessionId: id, sessionEpoch: 4 }))).errorCode, ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    // Forget p0: new data there is not answered any more.
    const inc4 = await c.send(FetchApi, 12, request([], { sessionId: id, sessionEpoch: 4, forgottenTopicsData: [{ topic: 's', partitions: [0] }] }));
    assert.equal(inc4.errorCode, 0);
    await produce('s', 0, batchOf(['s0c']));
    const inc5 = await c.send(FetchApi, 12, request([], { sessionId: id, sessionEpoch: 5 }));
    assert.deepEqual(inc5.responses, []);
    // Forgetting the last partition ends the session.
    const inc6 = await c.send(FetchApi, 12, request([], { sessionId: id, sessionEpoch: 6, forgottenTopicsData: [{ topic: 's', partitions: [1] }] }));
    assert.equal(inc6.sessionId, 0);
    assert.equal((await c.send(FetchApi, 12, request([], { sessionId: id, sessionEpoch: 7 }))).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  test('fetch sessions with topic ids (v13+); epoch -1 closes a session', async () => {
    const topicId = tb.broker.topics.get('s')!.topicId;
    const full = await c.send(FetchApi, 15, request([{ topic: '', topicId, partition: 0 }], { sessionId: 0, sessionEpoch: 0 }));
    assert.notEqual(full.sessionId, 0);
    assert.equal(full.responses[0]!.topicId, topicId);
    await produce('s', 0, batchOf(['byid']));
    const inc = await c.send(FetchApi, 15, request([{ topic: '', topicId, partition: 0, offset: 3 }], { sessionId: full.sessionId, sessionEpoch: 1 }));
    assert.deepEqual(values(inc.responses[0]!.partitions[0]!.records), ['byid']);
    const closed = await c.send(FetchApi, 15, request([{ topic: '', topicId, partition: 0 }], { sessionId: full.sessionId, sessionEpoch: -1 }));
    assert.equal(closed.sessionId, 0);
    assert.equal((await c.send(FetchApi, 15, request([], { sessionId: full.sessionId, sessionEpoch: 2 }))).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  test('the session cache is bounded (max.incremental.fetch.session.cache.slots)', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await c.send(FetchApi, 12, request([{ topic: 'empty' }], { sessionId: 0, sessionEpoch: 0 }));
      ids.push(r.sessionId);
    }
    assert.ok(ids.filter((x) => x !== 0).length <= 3, `ids ${ids}`);
    assert.equal(ids[4], 0);
    // A larger session evicts a smaller one.
    const big = await c.send(FetchApi, 12, request([{ topic: 'empty' }, { topic: 'empty', partition: 1 }], { sessionId: 0, sessionEpoch: 0 }));
    assert.notEqual(big.sessionId, 0);
  });
});
