import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveProducerConfig, PRODUCER_DEFAULTS } from '../../../src/client/producer/config.ts';
import { ConfigException } from '../../../src/client/producer/errors.ts';
import { RoundRobinPartitioner } from '../../../src/client/producer/partitioners.ts';
import { IntegerSerializer, StringSerializer } from '../../../src/client/producer/serializers.ts';
import { Producer } from '../../../src/client/producer/producer.ts';

const base = { 'bootstrap.servers': '127.0.0.1:9092' } as const;
const isConfig = (name: string | null) => (err: unknown) => err instanceof ConfigException && (name === null || err.config === name);

describe('producer config', () => {
  it("has Kafka 4's defaults", () => {
    const c = resolveProducerConfig(base);
    assert.equal(c.acks, -1);
    assert.equal(c.batchSize, 16384);
    assert.equal(c.lingerMs, 5);
    assert.equal(c.bufferMemory, 33554432);
    assert.equal(c.maxBlockMs, 60000);
    assert.equal(c.compression, 0);
    assert.equal(c.maxRequestSize, 1048576);
    assert.equal(c.requestTimeoutMs, 30000);
    assert.equal(c.deliveryTimeoutMs, 120000);
    assert.equal(c.retries, 2147483647);
    assert.equal(c.retryBackoffMs, 100);
    assert.equal(c.retryBackoffMaxMs, 1000);
    assert.equal(c.maxInFlight, 5);
    assert.equal(c.idempotence, true);
    assert.equal(PRODUCER_DEFAULTS['linger.ms'], 5);
  });

  it('takes .properties strings as well as numbers', () => {
    const c = resolveProducerConfig({ ...base, acks: '1', 'linger.ms': '20', 'batch.size': '1000', 'enable.idempotence': 'false', 'compression.type': 'zstd' });
    assert.equal(c.acks, 1);
    assert.equal(c.lingerMs, 20);
    assert.equal(c.batchSize, 1000);
    assert.equal(c.idempotence, false);
    assert.equal(c.compression, 4);
    assert.throws(() => resolveProducerConfig({ ...base, 'linger.ms': 'soon' }), isConfig('linger.ms'));
    assert.throws(() => resolveProducerConfig({ ...base, 'batch.size': -1 }), isConfig('batch.size'));
  });

  it('requires bootstrap.servers and refuses unknown acks and codecs', () => {
    assert.throws(() => resolveProducerConfig({} as never), isConfig('bootstrap.servers'));
    assert.throws(() => resolveProducerConfig({ ...base, acks: 2 as never }), isConfig('acks'));
    assert.throws(() => resolveProducerConfig({ ...base, 'compression.type': 'brotli' as never }), isConfig('compression.type'));
    assert.equal(resolveProducerConfig({ ...base, 'transactional.id': 'tx' }).transactionalId, 'tx');
    assert.equal(resolveProducerConfig({ ...base, 'transactional.id': 'tx' }).transactionTimeoutMs, 60000);
    assert.throws(() => resolveProducerConfig({ ...base, 'transactional.id': 'tx', 'enable.idempotence': false }), isConfig('transactional.id'));
    // Idempotence silently off (acks=1 without an explicit enable.idempotence) cannot carry a transactional.id either.
    assert.throws(() => resolveProducerConfig({ ...base, 'transactional.id': 'tx', acks: 1 }), isConfig('transactional.id'));
    assert.throws(() => resolveProducerConfig({ ...base, 'transactional.id': '' }), isConfig('transactional.id'));
    assert.equal(resolveProducerConfig({ ...base, acks: 'all' }).acks, -1);
    assert.equal(resolveProducerConfig({ ...base, acks: -1 }).acks, -1);
    assert.equal(resolveProducerConfig({ ...base, acks: 0 }).acks, 0);
  });

  it('delivery.timeout.ms must cover linger.ms + request.timeout.ms', () => {
    assert.throws(() => resolveProducerConfig({ ...base, 'delivery.timeout.ms': 1000, 'request.timeout.ms': 1000, 'linger.ms': 1 }), isConfig('delivery.timeout.ms'));
    assert.equal(resolveProducerConfig({ ...base, 'delivery.timeout.ms': 1001, 'request.timeout.ms': 1000, 'linger.ms': 1 }).deliveryTimeoutMs, 1001);
    // Not set explicitly: raised to the sum, as KafkaProducer does.
    const warnings: string[] = [];
    const c = resolveProducerConfig({ ...base, 'request.timeout.ms': 200000 }, (w) => warnings.push(w));
    assert.equal(c.deliveryTimeoutMs, 200005);
    assert.equal(warnings.length, 1);
  });

  it('explicit idempotence conflicting with acks, retries or max.in.flight is a ConfigException', () => {
    const idem = { ...base, 'enable.idempotence': true } as const;
    assert.throws(() => resolveProducerConfig({ ...idem, acks: 1 }), isConfig('acks'));
    assert.throws(() => resolveProducerConfig({ ...idem, acks: 0 }), isConfig('acks'));
    assert.throws(() => resolveProducerConfig({ ...idem, retries: 0 }), isConfig('retries'));
    assert.throws(() => resolveProducerConfig({ ...idem, 'max.in.flight.requests.per.connection': 6 }), isConfig('max.in.flight.requests.per.connection'));
    assert.equal(resolveProducerConfig({ ...idem, 'max.in.flight.requests.per.connection': 5 }).idempotence, true);
  });

  it('default idempotence is silently turned off by conflicting settings', () => {
    assert.equal(resolveProducerConfig({ ...base, acks: 1 }).idempotence, false);
    assert.equal(resolveProducerConfig({ ...base, acks: 0 }).idempotence, false);
    assert.equal(resolveProducerConfig({ ...base, retries: 0 }).idempotence, false);
    assert.equal(resolveProducerConfig({ ...base, 'max.in.flight.requests.per.connection': 10 }).idempotence, false);
    assert.equal(resolveProducerConfig({ ...base, 'enable.idempotence': false }).idempotence, false);
  });

  it('serializers by object, function or Java class name', () => {
    assert.equal(resolveProducerConfig({ ...base, 'key.serializer': StringSerializer }).keySerializer, StringSerializer);
    const byName = resolveProducerConfig({ ...base, 'value.serializer': 'org.apache.kafka.common.serialization.IntegerSerializer' });
    assert.deepEqual(byName.valueSerializer.serialize('t', 7 as never, undefined), Buffer.from([0, 0, 0, 7]));
    const fn = resolveProducerConfig<unknown, number>({ ...base, 'value.serializer': (n: number) => Buffer.from([n]) });
    assert.deepEqual(fn.valueSerializer.serialize('t', 9, undefined), Buffer.from([9]));
    assert.throws(() => resolveProducerConfig({ ...base, 'key.serializer': 'com.example.Nope' }), isConfig('key.serializer'));
    assert.equal(IntegerSerializer.serialize('t', null, undefined), null);
  });

  it('partitioner.class: built-ins by name or class, custom function/object/class', () => {
    assert.deepEqual(resolveProducerConfig(base).partitioner, { kind: 'default', ignoreKeys: false });
    assert.deepEqual(resolveProducerConfig({ ...base, 'partitioner.ignore.keys': true }).partitioner, { kind: 'default', ignoreKeys: true });
    assert.deepEqual(resolveProducerConfig({ ...base, 'partitioner.class': 'org.apache.kafka.clients.producer.UniformStickyPartitioner' }).partitioner, { kind: 'default', ignoreKeys: true });
    const rr = resolveProducerConfig({ ...base, 'partitioner.class': 'org.apache.kafka.clients.producer.RoundRobinPartitioner' }).partitioner;
    assert.ok(rr.kind === 'custom' && rr.partitioner instanceof RoundRobinPartitioner);
    const rr2 = resolveProducerConfig({ ...base, 'partitioner.class': RoundRobinPartitioner }).partitioner;
    assert.ok(rr2.kind === 'custom' && rr2.partitioner instanceof RoundRobinPartitioner);
    const f = resolveProducerConfig({ ...base, 'partitioner.class': () => 0 }).partitioner;
    assert.ok(f.kind === 'custom' && f.partitioner.partition('t', undefined, null, null, null, { partitionCountForTopic: () => 1, availablePartitionsForTopic: () => [0] }) === 0);
    assert.throws(() => resolveProducerConfig({ ...base, 'partitioner.class': 'Nope' }), isConfig('partitioner.class'));
  });

  it('the Producer constructor applies the same checks', () => {
    assert.throws(() => new Producer({ ...base, 'enable.idempotence': true, acks: 1 }), isConfig('acks'));
    assert.throws(() => new Producer({ ...base, 'delivery.timeout.ms': 10 }), isConfig('delivery.timeout.ms'));
  });
});
