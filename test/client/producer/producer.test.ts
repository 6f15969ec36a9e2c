import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Producer } from '../../../src/client/producer/producer.ts';
import type { RecordMetadata } from '../../../src/client/producer/producer-record.ts';
import { JsonSerializer, LongSerializer, StringSerializer } from '../../../src/client/producer/serializers.ts';
import { RecordTooLargeError, SerializationError, TimeoutError, ProducerClosedError } from '../../../src/client/producer/errors.ts';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors/index.ts';
import { BrokerConnection } from '../../../src/client/network/broker-connection.ts';
import type { ResponseCallback, SendOptions } from '../../../src/client/network/broker-connection.ts';
import { ProduceApi } from '../../../src/protocol/generated/api-keys.ts';
import type { ApiSpec } from '../../../src/protocol/generated/api-keys.ts';
import type { RecordAccumulator } from '../../../src/client/producer/accumulator.ts';
import { defaultPartition } from '../../../src/protocol/murmur2.ts';
import { startTestBroker } from '../helpers.ts';
import type { TestBroker } from '../helpers.ts';
import { kcatConsume } from './helpers.ts';

describe('Producer against a broker', () => {
  let b: TestBroker;
  let n = 0;
  const topic = (partitions = 3): string => {
    const name = `p-${++n}`;
    b.broker.topics.create(name, { partitions });
    return name;
  };
  before(async () => {
    b = await startTestBroker({ 'auto.create.topics.enable': false });
  });
  after(async () => {
    await b.close();
  });

  it('await send() gives RecordMetadata; keys go where murmur2 says', async () => {
    const t = topic(5);
    const p = new Producer({ 'bootstrap.servers': b.bootstrap, 'linger.ms': 0 });
    try {
      const md = await p.send({ topic: t, key: 'alpha', value: 'v1', timestamp: 1_700_000_000_000 });
      assert.deepEqual(md, { topic: t, partition: defaultPartition(Buffer.from('alpha'), 5), offset: 0n, timestamp: 1_700_000_000_000, serializedKeySize: 5, serializedValueSize: 2 });
      const md2 = await p.send({ topic: t, key: 'alpha', value: null });
      assert.equal(md2.offset, 1n);
      assert.equal(md2.serializedValueSize, -1);
      for (let i = 0; i < 50; i++) {
        const key = `key-${i}`;
        const m = await p.send({ topic: t, key, value: 'x' });
        assert.equal(m.partition, defaultPartition(Buffer.from(key), 5));
      }
      assert.ok(p.idempotent);
      assert.ok(p.producerIdAndEpoch.producerId >= 0n);
    } finally {
      await p.close();
    }
  });

  it('fire-and-forget, callbacks and flush: offsets are consecutive per partition and records read back in order', async () => {
    const t = topic(1);
    const p = new Producer<string, object>({ 'bootstrap.servers': b.bootstrap, 'key.serializer': StringSerializer, 'value.serializer': JsonSerializer, 'batch.size': 2048 });
    const got: RecordMetadata[] = [];
    for (let i = 0; i < 3000; i++) {
      if (i % 3 === 0) p.send({ topic: t, key: `k${i}`, value: { i } }, (err, md) => (assert.equal(err, null), got.push(md!)));
      else p.send({ topic: t, key: `k${i}`, value: { i } });
    }
    await p.flush();
    assert.equal(got.length, 1000);
    got.forEach((md, j) => assert.equal(md.offset, BigInt(j * 3)));
    await p.close();
    const lines = await kcatConsume(b.bootstrap, t, '%k %s\n');
    assert.equal(lines.length, 3000);
    lines.forEach((l, i) => assert.equal(l, `k${i} {"i":${i}}`));
  });

  it('unkeyed records stick to a partition for a batch, then move (uniform sticky)', async () => {
    const t = topic(4);
    const p = new Producer({ 'bootstrap.servers': b.bootstrap, 'batch.size': 1024, 'linger.ms': 100 });
    const parts: number[] = [];
    const futures = [];
    for (let i = 0; i < 400; i++) futures.push(p.send({ topic: t, value: Buffer.alloc(50) }));
    for (const f of futures) parts.push((await f).partition);
    let switches = 0;
    for (let i = 1; i < parts.length; i++) if (parts[i] !== parts[i - 1]) switches++;
    // ~80 bytes a record, 1024-byte batches: a switch every ~13 records, never per record.
    assert.ok(switches >= 10 && switches < 100, `switches ${switches}`);
    assert.ok(new Set(parts).size > 1);
    await p.close();
  });

  it('round-robin and custom partitioners', async () => {
    const t = topic(3);
    const rr = new Producer({ 'bootstrap.servers': b.bootstrap, 'partitioner.class': 'org.apache.kafka.clients.producer.RoundRobinPartitioner' });
    const parts = await Promise.all([0, 1, 2, 3, 4, 5].map(() => rr.send({ topic: t, key: 'same', value: 'v' }).then((m) => m.partition)));
    assert.deepEqual(parts, [0, 1, 2, 0, 1, 2]);
    await rr.close();
    const custom = new Producer<string, string>({
      'bootstrap.servers': b.bootstrap,
      'partitioner.class': (_topic, key, _kb, _v, _vb, cluster) => (key === 'last' ? cluster.partitionCountForTopic(t) - 1 : 0),
    });
    assert.equal((await custom.send({ topic: t, key: 'last', value: 'v' })).partition, 2);
    assert.equal((await custom.send({ topic: t, key: 'first', value: 'v' })).partition, 0);
    assert.equal((await custom.send({ topic: t, key: 'first', value: 'v', partition: 1 })).partition, 1);
    await custom.close();
  });

  it('headers (ordered, repeated keys, null values) and compression codecs round-trip through kcat', async () => {
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
      const t = topic(1);
      const p = new Producer({ 'bootstrap.servers': b.bootstrap, 'compression.type': codec });
      for (let i = 0; i < 200; i++) {
        p.send({ topic: t, key: `k${i}`, value: `value-${i}-${'z'.repeat(i % 50)}`, headers: [{ key: 'h', value: Buffer.from(`a${i}`) }, { key: 'h', value: 'b' }, { key: 'n', value: null }] });
      }
      await p.close();
      const lines = await kcatConsume(b.bootstrap, t, '%k %s %h\n');
      assert.equal(lines.length, 200, codec);
      lines.forEach((l, i) => assert.equal(l, `k${i} value-${i}-${'z'.repeat(i % 50)} h=a${i},h=b,n=NULL`, codec));
    }
  });

  it('acks=0 and acks=1 deliver; acks=0 reports offset -1', async () => {
    const t = topic(1);
    const p0 = new Producer({ 'bootstrap.servers': b.bootstrap, acks: 0 });
    assert.equal(p0.idempotent, false);
    const md = await p0.send({ topic: t, value: 'zero' });
    assert.equal(md.offset, -1n);
    for (let i = 0; i < 99; i++) p0.send({ topic: t, value: 'zero' });
    await p0.close();
    const p1 = new Producer({ 'bootstrap.servers': b.bootstrap, acks: '1' });
    assert.equal((await p1.send({ topic: t, value: 'one' })).offset >= 1n, true);
    await p1.close();
    assert.equal((await kcatConsume(b.bootstrap, t, '%s\n')).length, 101);
  });

  it('typed serializers; a throwing serializer is a SerializationError thrown by send()', async () => {
    const t = topic(1);
    const p = new Producer<bigint, string>({ 'bootstrap.servers': b.bootstrap, 'key.serializer': LongSerializer, 'value.serializer': StringSerializer });
    await p.send({ topic: t, key: 42n, value: 'answer' });
    const bad = new Producer<string, string>({ 'bootstrap.servers': b.bootstrap, 'value.serializer': () => { throw new Error('nope'); } });
    assert.throws(() => bad.send({ topic: t, value: 'x' }), (e: unknown) => e instanceof SerializationError && /nope/.test(e.message));
    assert.throws(() => p.send({ topic: t, key: 1n, value: 'x', headers: [{ key: 'h', value: 5 as never }] }), TypeError);
    assert.throws(() => new Producer({ 'bootstrap.servers': b.bootstrap }).send({ topic: t, value: 42 as never }), SerializationError);
    await bad.close();
    await p.close();
    assert.deepEqual(await kcatConsume(b.bootstrap, t, '%K %s\n'), ['8 answer']);
  });

  it('interceptors see records before serialization and every acknowledgement', async () => {
    const t = topic(1);
    const acks: (string | null)[] = [];
    const p = new Producer<string, string>({
      'bootstrap.servers': b.bootstrap,
      'key.serializer': StringSerializer,
      'value.serializer': StringSerializer,
      'interceptor.classes': [
        { onSend: (r) => ({ ...r, value: r.value.toUpperCase() }) },
        { onSend: () => { throw new Error('ignored'); }, onAcknowledgement: (md, err) => acks.push(err ? err.name : `${md.partition}:${md.offset}`) },
      ],
    });
    for (let i = 0; i < 5; i++) p.send({ topic: t, value: `v${i}` });
    p.send({ topic: t, value: 'p', partition: 7 }).catch(() => {});
    await p.flush();
    // The bad partition fails at once; the others as their batch completes.
    assert.deepEqual(acks, ['UNKNOWN_TOPIC_OR_PARTITION', '0:0', '0:1', '0:2', '0:3', '0:4']);
    await p.close();
    assert.deepEqual(await kcatConsume(b.bootstrap, t, '%s\n'), ['V0', 'V1', 'V2', 'V3', 'V4']);
  });

  it('max.block.ms: a topic that does not exist fails with TimeoutError (auto-create off)', async () => {
    const p = new Producer({ 'bootstrap.servers': b.bootstrap, 'max.block.ms': 300 });
    const errors: Error[] = [];
    p.on('error', (e: Error) => errors.push(e));
    p.send({ topic: 'no-such-topic', value: 'x' });
    await assert.rejects(p.send({ topic: 'no-such-topic', value: 'y' }), (e: unknown) => e instanceof TimeoutError && /not present in metadata after 300 ms/.test(e.message));
    await p.flush();
    await new Promise((r) => setImmediate(r));
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof TimeoutError);
    await p.close();
  });

  it('RecordTooLargeError above max.request.size; invalid partition fails the send', async () => {
    const t = topic(2);
    const p = new Producer({ 'bootstrap.servers': b.bootstrap, 'max.request.size': 1000 });
    await assert.rejects(p.send({ topic: t, value: Buffer.alloc(2000) }), (e: unknown) => e instanceof RecordTooLargeError && /max.request.size/.test(e.message));
    await assert.rejects(p.send({ topic: t, value: 'x', partition: 5 }), (e: unknown) => e instanceof KafkaError);
    const cbErr = await new Promise<Error | null>((resolve) => p.send({ topic: t, value: Buffer.alloc(2000) }, (err) => resolve(err)));
    assert.ok(cbErr instanceof RecordTooLargeError);
    await p.close();
  });

  it('records larger than batch.size get a batch of their own', async () => {
    const t = topic(1);
    const p = new Producer({ 'bootstrap.servers': b.bootstrap, 'batch.size': 1000 });
    const mds = await Promise.all([p.send({ topic: t, value: 'small' }), p.send({ topic: t, value: Buffer.alloc(5000, 1) }), p.send({ topic: t, value: 'small' })]);
    assert.deepEqual(mds.map((m) => m.offset), [0n, 1n, 2n]);
    await p.close();
  });

  it('batch.size is honoured however small: 0 puts each record in a batch of its own (as Java)', async () => {
    const t = topic(1);
    for (const [batchSize, expected] of [[0, 5], [400, 2], [16384, 1]] as const) {
      const p = new Producer({ 'bootstrap.servers': b.bootstrap, 'batch.size': batchSize, 'linger.ms': 60_000 });
      await p.partitionsFor(t);
      const futures = Array.from({ length: 5 }, (_, i) => p.send({ topic: t, value: Buffer.alloc(100, i) }));
      // 61 B of batch header + ~107 B per record: 3 records fit in 400 B.
      await new Promise((r) => setImmediate(r));
      const acc = (p as unknown as { accumulator: RecordAccumulator }).accumulator;
      const batches = acc.topics.get(t)!.partitions[0]!.batches;
      assert.deepEqual(batches.map((x) => x.recordCount).reduce((a, n) => a + n, 0), 5);
      assert.equal(batches.length, expected, `batch.size ${batchSize}: ${batches.map((x) => x.recordCount).join('+')} records per batch`);
      await p.flush();
      const mds = await Promise.all(futures);
      assert.deepEqual(mds.map((m) => m.partition), [0, 0, 0, 0, 0]);
      await p.close();
    }
  });

  it('buffer.memory full: sends wait for memory, and fail with TimeoutError after max.block.ms if none frees', async () => {
    const t = topic(1);
    // Tiny buffer: records wait for earlier batches to complete, and all get through.
    const p = new Producer({ 'bootstrap.servers': b.bootstrap, 'buffer.memory': 4096, 'batch.size': 1024 });
    const futures = [];
    for (let i = 0; i < 500; i++) futures.push(p.send({ topic: t, value: Buffer.alloc(100, i) }));
    const mds = await Promise.all(futures);
    assert.deepEqual(mds.map((m) => m.offset), mds.map((_, i) => BigInt(i)));
    await p.close();
  });

  it('OUT_OF_ORDER_SEQUENCE_NUMBER on the oldest batch fails it and bumps the epoch (KIP-360); later sends go through', async () => {
    const t = topic(1);
    const p = new Producer({ 'bootstrap.servers': b.bootstrap, 'linger.ms': 0 });
    await p.send({ topic: t, value: 'first' });
    const before = p.producerIdAndEpoch;
    // Pretend a batch was lost: the next sequence skips ahead, as after a broker losing our state.
    const acc = (p as unknown as { accumulator: RecordAccumulator }).accumulator;
    acc.topics.get(t)!.partitions[0]!.nextSequence += 10;
    const err = await p.send({ topic: t, value: 'gap' }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof KafkaError && err.code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, String(err));
    const md = await p.send({ topic: t, value: 'after' });
    assert.equal(md.offset, 1n);
    const now = p.producerIdAndEpoch;
    assert.ok(now.producerId !== before.producerId || now.epoch !== before.epoch, 'new producer id or epoch');
    await p.close();
    assert.deepEqual(await kcatConsume(b.bootstrap, t, '%s\n'), ['first', 'after']);
  });

  it('throttle_time_ms: the next request to that broker waits until the throttle has passed', async () => {
    const t = topic(1);
    const sentAt: number[] = [];
    // The sender's Produce path: sendWithCallback (no promise per request).
    const original = BrokerConnection.prototype.sendWithCallback;
    let throttledUntil = 0;
    BrokerConnection.prototype.sendWithCallback = function (this: BrokerConnection, api: ApiSpec, req: unknown, opts: SendOptions | undefined, cb: ResponseCallback<unknown, unknown>, ctx: unknown) {
      if (api.apiKey !== ProduceApi.apiKey) return original.call(this, api, req, opts, cb, ctx);
      sentAt.push(Date.now());
      return original.call(this, api, req, opts, (c: unknown, err: Error | null, res: unknown) => {
        if (err === null && sentAt.length === 1) {
          throttledUntil = Date.now() + 300;
          res = { ...(res as object), throttleTimeMs: 300 };
        }
        cb(c, err, res);
      }, ctx);
    } as typeof original;
    try {
      const p = new Producer({ 'bootstrap.servers': b.bootstrap, 'linger.ms': 0 });
      await p.send({ topic: t, value: 'one' });
      await p.send({ topic: t, value: 'two' });
      await p.close();
    } finally {
      BrokerConnection.prototype.sendWithCallback = original;
    }
    assert.equal(sentAt.length, 2);
    assert.ok(sentAt[1]! >= throttledUntil, 'second Produce went out before the throttle ended');
  });

  it('UNKNOWN_TOPIC_OR_PARTITION from a Produce refreshes metadata and retries until the topic is back', async () => {
    const t = topic(1);
    const p = new Producer({ 'bootstrap.servers': b.bootstrap, 'linger.ms': 0, 'retry.backoff.ms': 20, 'retry.backoff.max.ms': 100 });
    assert.equal((await p.send({ topic: t, value: 'before' })).offset, 0n);
    await b.broker.topics.delete(t);
    // The topic returns a little later; meanwhile the send is retried.
    const again = setTimeout(() => b.broker.topics.create(t, { partitions: 1 }), 300);
    try {
      const md = await p.send({ topic: t, value: 'after' });
      assert.equal(md.partition, 0);
      assert.equal(md.offset, 0n, 'written to the re-created topic');
    } finally {
      clearTimeout(again);
      await p.close();
    }
  });

  it('close() rejects later sends; close({timeoutMs: 0}) fails what is buffered', async () => {
    const t = topic(1);
    const p = new Producer({ 'bootstrap.servers': b.bootstrap, 'linger.ms': 60_000, 'delivery.timeout.ms': 120_000 });
    const warm = p.send({ topic: t, value: 'warm' });
    await p.flush();
    await warm;
    const f = p.send({ topic: t, value: 'x' }).then(() => null, (e: unknown) => e);
    await p.close({ timeoutMs: 0 });
    assert.ok((await f) instanceof ProducerClosedError);
    assert.throws(() => p.send({ topic: t, value: 'y' }), ProducerClosedError);
  });
});
