import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FetchApi, ProduceApi } from '../../../src/protocol/generated/api-keys.ts';
import { ErrorCode } from '../../../src/protocol/errors/index.ts';
import { CompressionCodec } from '../../../src/protocol/compression/codec.ts';
import { decodeRecordSet } from '../../../src/protocol/records/record-set.ts';
import { buildLegacyMessageSet } from '../../../src/protocol/records/legacy.ts';
import { OFFSET_CRC } from '../../../src/protocol/records/batch-header.ts';
import type { TestBroker } from './data-plane-helpers.ts';
import { RawClient, batchOf, sleep, startTestBroker } from './data-plane-helpers.ts';

let tb: TestBroker;
let c: RawClient;

before(async () => {
  tb = await startTestBroker();
  const t = tb.broker.topics;
  t.create('p', { partitions: 2 });
  t.create('small', { configs: { 'max.message.bytes': '1000' } });
  t.create('isr2', { configs: { 'min.insync.replicas': '2' } });
  t.create('appendtime', { configs: { 'message.timestamp.type': 'LogAppendTime' } });
  t.create('compacted', { configs: { 'cleanup.policy': 'compact' } });
  t.create('gz', { configs: { 'compression.type': 'gzip' } });
  t.create('idem');
  t.create('legacy');
  t.create('acks0');
  t.ensureInternal('__consumer_offsets', 1, {});
  c = await RawClient.connect(tb.bootstrap);
});

after(async () => {
  c.close();
  await tb.close();
});

async function produce(topic: string, partition: number, records: Buffer | null, opts: { version?: number; acks?: number; transactionalId?: string | null; client?: RawClient; clientId?: string } = {}) {
  const res = await (opts.client ?? c).send(
    ProduceApi,
    opts.version ?? 9,
    { acks: opts.acks ?? -1, timeoutMs: 30_000, transactionalId: opts.transactionalId ?? null, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] },
    opts.clientId,
  );
  return res.responses[0]!.partitionResponses[0]!;
}

async function fetchAll(topic: string, partition: number, offset = 0, version = 12) {
  const res = await c.send(FetchApi, version, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 10_000_000,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, fetchOffset: BigInt(offset), partitionMaxBytes: 10_000_000, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
  return res.responses[0]!.partitions[0]!;
}

describe('produce', () => {
  test('appends and answers base offset, log start offset, no log append time', async () => {
    const r1 = await produce('p', 1, batchOf(['a', 'b', 'c']));
    assert.equal(r1.errorCode, 0);
    assert.equal(r1.baseOffset, 0n);
    assert.equal(r1.logAppendTimeMs, -1n);
    assert.equal(r1.logStartOffset, 0n);
    const r2 = await produce('p', 1, batchOf(['d']), { acks: 1 });
    assert.equal(r2.baseOffset, 3n);
    const f = await fetchAll('p', 1);
    assert.equal(f.highWatermark, 4n);
    const set = decodeRecordSet(f.records!);
    assert.deepEqual(set.batches.flatMap((b) => b.records.map((r) => [Number(r.offset), r.value!.toString()])), [[0, 'a'], [1, 'b'], [2, 'c'], [3, 'd']]);
  });

  test('unknown topic and unknown partition: UNKNOWN_TOPIC_OR_PARTITION, no auto-creation', async () => {
    assert.equal((await produce('nope', 0, batchOf(['x']))).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(tb.broker.topics.get('nope'), undefined);
    assert.equal((await produce('p', 7, batchOf(['x']))).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const r = await produce('nope', 0, batchOf(['x']));
    assert.equal(r.baseOffset, -1n);
    assert.equal(r.logStartOffset, -1n);
  });

  test('bad CRC: CORRUPT_MESSAGE; nothing appended', async () => {
    const b = batchOf(['x']);
    b.writeUInt32BE((b.readUInt32BE(OFFSET_CRC) ^ 1) >>> 0, OFFSET_CRC);
    const r = await produce('p', 0, b);
    assert.equal(r.errorCode, ErrorCode.CORRUPT_MESSAGE);
    assert.match(r.errorMessage ?? '', /CRC/);
    assert.equal(tb.broker.logs.getLog('p', 0)!.logEndOffset, 0);
  });

  test('batch over max.message.bytes: MESSAGE_TOO_LARGE', async () => {
    const r = await produce('small', 0, batchOf(['x'.repeat(2000)]));
    assert.equal(r.errorCode, ErrorCode.MESSAGE_TOO_LARGE);
    assert.equal((await produce('small', 0, batchOf(['x'.repeat(100)]))).errorCode, 0);
  });

  test('v3+: two batches or a legacy message set are INVALID_RECORD; null records too', async () => {
    const two = Buffer.concat([batchOf(['a']), batchOf(['b'])]);
    assert.equal((await produce('p', 0, two)).errorCode, ErrorCode.INVALID_RECORD);
    const legacy = buildLegacyMessageSet([{ key: null, value: Buffer.from('x'), timestamp: Date.now() }], { magic: 1 });
    assert.equal((await produce('p', 0, legacy, { version: 3 })).errorCode, ErrorCode.INVALID_RECORD);
    assert.equal((await produce('p', 0, null)).errorCode, ErrorCode.INVALID_RECORD);
  });

  test('invalid acks: INVALID_REQUIRED_ACKS', async () => {
    assert.equal((await produce('p', 0, batchOf(['x']), { acks: 2 })).errorCode, ErrorCode.INVALID_REQUIRED_ACKS);
  });

  test('acks=-1 with min.insync.replicas=2: NOT_ENOUGH_REPLICAS; acks=1 is fine', async () => {
    assert.equal((await produce('isr2', 0, batchOf(['x']), { acks: -1 })).errorCode, ErrorCode.NOT_ENOUGH_REPLICAS);
    assert.equal((await produce('isr2', 0, batchOf(['x']), { acks: 1 })).errorCode, ErrorCode.NONE);
  });

  test('internal topic from a client: INVALID_TOPIC_EXCEPTION', async () => {
    assert.equal((await produce('__consumer_offsets', 0, batchOf(['x']))).errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
  });

  test('LogAppendTime topic answers the append time and stamps the batch', async () => {
    const before = Date.now();
    const r = await produce('appendtime', 0, batchOf(['x'], { baseTimestamp: 1000 }));
    assert.equal(r.errorCode, 0);
    assert.ok(Number(r.logAppendTimeMs) >= before);
    const f = await fetchAll('appendtime', 0);
    const rec = decodeRecordSet(f.records!).batches[0]!.records[0]!;
    assert.equal(rec.timestampMs, Number(r.logAppendTimeMs));
  });

  test('compacted topic refuses records without a key (record_errors in v8+)', async () => {
    const r = await produce('compacted', 0, batchOf(['a', 'b'], { keys: ['k', null] }));
    assert.equal(r.errorCode, ErrorCode.INVALID_RECORD);
    assert.deepEqual(r.recordErrors.map((e) => e.batchIndex), [1]);
    assert.match(r.errorMessage ?? '', /rejected/);
    assert.equal((await produce('compacted', 0, batchOf(['a'], { keys: ['k'] }))).errorCode, 0);
  });

  test('compression.type=gzip recompresses an uncompressed batch', async () => {
    const r = await produce('gz', 0, batchOf(['hello', 'world']));
    assert.equal(r.errorCode, 0);
    const f = await fetchAll('gz', 0);
    const b = decodeRecordSet(f.records!).batches[0]!;
    assert.equal(b.header.attributes & 7, CompressionCodec.GZIP);
    assert.deepEqual(b.records.map((x) => x.value!.toString()), ['hello', 'world']);
  });

  test('timestamps beyond message.timestamp.after.max.ms: INVALID_TIMESTAMP', async () => {
    const r = await produce('p', 0, batchOf(['x'], { baseTimestamp: Date.now() + 2 * 3_600_000 }));
    assert.equal(r.errorCode, ErrorCode.INVALID_TIMESTAMP);
    assert.equal(r.recordErrors.length, 1);
  });

  test('idempotent producer: duplicate gets the original offsets; gaps and old epochs refused', async () => {
    const pid = 4242n;
    const b0 = batchOf(['a', 'b'], { producerId: pid, producerEpoch: 0, baseSequence: 0 });
    const copy = Buffer.from(b0);
    const r0 = await produce('idem', 0, b0);
    assert.equal(r0.baseOffset, 0n);
    await produce('idem', 0, batchOf(['c'], { producerId: pid, producerEpoch: 0, baseSequence: 2 }));
    const dup = await produce('idem', 0, copy);
    assert.equal(dup.errorCode, 0);
    assert.equal(dup.baseOffset, 0n);
    assert.equal(tb.broker.logs.getLog('idem', 0)!.logEndOffset, 3);
    const gap = await produce('idem', 0, batchOf(['d'], { producerId: pid, producerEpoch: 0, baseSequence: 5 }));
    assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    await produce('idem', 0, batchOf(['e'], { producerId: pid, producerEpoch: 1, baseSequence: 0 }));
    const old = await produce('idem', 0, batchOf(['f'], { producerId: pid, producerEpoch: 0, baseSequence: 3 }));
    assert.equal(old.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  test('transactional batches are refused (no transaction coordinator)', async () => {
    const b = () => batchOf(['t'], { producerId: 77n, producerEpoch: 0, baseSequence: 0, transactional: true });
    assert.equal((await produce('p', 0, b(), { transactionalId: 'tx' })).errorCode, ErrorCode.INVALID_TXN_STATE);
    assert.equal((await produce('p', 0, b())).errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  });

  test('produce v2 with magic 1 messages is stored as magic 2; fetch v2 down-converts', async () => {
    const ts = Date.now();
    const legacy = buildLegacyMessageSet(
      [
        { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: ts },
        { key: null, value: Buffer.from('v2'), timestamp: ts + 1 },
      ],
      { magic: 1, compression: CompressionCodec.GZIP },
    );
    const r = await produce('legacy', 0, legacy, { version: 2 });
    assert.equal(r.errorCode, 0);
    assert.equal(r.baseOffset, 0n);
    const v0 = buildLegacyMessageSet([{ key: null, value: Buffer.from('v3') }], { magic: 0 });
    assert.equal((await produce('legacy', 0, v0, { version: 0 })).errorCode, 0);
    const f = await fetchAll('legacy', 0);
    const batches = decodeRecordSet(f.records!).batches;
    assert.ok(batches.every((b) => b.header.magic === 2));
    assert.deepEqual(batches.flatMap((b) => b.records.map((x) => [Number(x.offset), x.key?.toString() ?? null, x.value!.toString(), x.timestampMs])), [
      [0, 'k1', 'v1', ts],
      [1, null, 'v2', ts + 1],
      [2, null, 'v3', -1],
    ]);
    const old = await fetchAll('legacy', 0, 1, 2);
    const oldBatches = decodeRecordSet(old.records!).batches;
    assert.ok(oldBatches.every((b) => b.header.magic === 1));
    assert.deepEqual(oldBatches.flatMap((b) => b.records.map((x) => [Number(x.offset), x.value!.toString()])), [[1, 'v2'], [2, 'v3']]);
    const v0fetch = await fetchAll('legacy', 0, 0, 0);
    assert.ok(decodeRecordSet(v0fetch.records!).batches.every((b) => b.header.magic === 0));
  });

  test('acks=0: no response; a failure closes the connection', async () => {
    const c2 = await RawClient.connect(tb.bootstrap);
    c2.sendNoResponse(ProduceApi, 9, { acks: 0, timeoutMs: 1000, transactionalId: null, topicData: [{ name: 'acks0', partitionData: [{ index: 0, records: batchOf(['a']) }] }] });
    // The next response on the connection is the one for the next request.
    const r = await produce('acks0', 0, batchOf(['b']), { client: c2, acks: 1 });
    assert.equal(r.baseOffset, 1n);
    c2.sendNoResponse(ProduceApi, 9, { acks: 0, timeoutMs: 1000, transactionalId: null, topicData: [{ name: 'missing', partitionData: [{ index: 0, records: batchOf(['a']) }] }] });
    for (let i = 0; i < 500 && !c2.closed; i++) await sleep(20);
    assert.equal(c2.closed, true);
  });

  test('an offline log: KAFKA_STORAGE_ERROR (NOT_LEADER_OR_FOLLOWER before v4); fetch too', async () => {
    tb.broker.topics.create('offline');
    assert.equal((await produce('offline', 0, batchOf(['a']))).errorCode, 0);
    tb.broker.logs.getLog('offline', 0)!.closeUnclean();
    assert.equal((await produce('offline', 0, batchOf(['b']))).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal((await produce('offline', 0, batchOf(['b']), { version: 3 })).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.equal((await fetchAll('offline', 0)).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal((await fetchAll('offline', 0, 0, 5)).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });
});
