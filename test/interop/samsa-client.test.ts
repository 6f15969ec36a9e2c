/**
 * Samsa's own client (Producer, Consumer) against independently written clients, both
 * ways, on one real `samsa start` process:
 *
 * - Samsa's Producer writes keyed, null-keyed, empty-keyed records with headers
 *   (duplicate keys, null values, binary values, UTF-8 keys) and CreateTimes (some in
 *   2001), in each codec (none, gzip, snappy, lz4, zstd); librdkafka
 *   (confluent-kafka-python) and kafkajs (with snappy/lz4/zstd registered from
 *   independent libraries: kafkajs-codecs.ts) read them back byte-exact at the
 *   offsets Samsa's Producer reported.
 * - librdkafka, kafkajs and @platformatic/kafka write such records (each codec);
 *   Samsa's Consumer reads them exactly: values, keys, header order, timestamps,
 *   partitions, offsets — standalone (assign) and through a group (subscribe,
 *   commitSync, offsets checked with Samsa's Admin).
 * - Samsa's default partitioner puts keyed records on the partitions librdkafka's
 *   murmur2_random (and kafkajs' Java-compatible DefaultPartitioner) choose.
 *
 * SAMSA_CLIENT_INTEROP_RECORDS records per topic (default 5000).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import type { IHeaders, Kafka as KafkaClient, KafkaMessage, Message, PartitionMetadata } from 'kafkajs';
import { Producer as PlatformaticProducer } from '@platformatic/kafka';
import type { MessageToProduce } from '@platformatic/kafka';
import { Admin } from '../../src/client/admin/index.ts';
import { Producer } from '../../src/client/producer/index.ts';
import { Consumer } from '../../src/client/consumer/index.ts';
import type { ConsumerRecord } from '../../src/client/consumer/index.ts';
import { makeTempDir, removeDir, requirePythonModule, runPython, startSamsa } from './harness.ts';
import type { Samsa } from './harness.ts';
import { CODECS } from './records.ts';
import type { Codec } from './records.ts';
import { checkExact, deliveredFromBases, makeRichRecords, readConsumedRich, readDeliveredRich, writeRichRecordsFile } from './client-records.ts';
import type { Delivered, Got, Hdr, Rec } from './client-records.ts';
import { registerKafkajsCodecs } from './kafkajs-codecs.ts';

const { Kafka, CompressionTypes, Partitioners, logLevel } = kafkajs;
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
registerKafkajsCodecs();

const N = Number(process.env.SAMSA_CLIENT_INTEROP_RECORDS ?? 5000);
const PARTITIONS = 3;
const TIMEOUT = 120_000;
const PY_TIMEOUT = 90_000;
const RUN = Math.random().toString(16).slice(2, 8);
const KAFKAJS_CODEC: Record<Codec, number> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

function fromRecord(r: ConsumerRecord<Buffer | null, Buffer | null>): Got {
  return {
    partition: r.partition,
    offset: Number(r.offset),
    // Copies: the consumer's buffers are views of fetch responses.
    key: r.key === null ? null : Buffer.from(r.key),
    value: r.value === null ? null : Buffer.from(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : Buffer.from(h.value) })),
    timestamp: r.timestamp,
  };
}

function fromKafkajs(partition: number, m: KafkaMessage): Got {
  const headers: Hdr[] = [];
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    for (const one of Array.isArray(v) ? v : [v]) headers.push({ key: k, value: one === null || one === undefined ? null : Buffer.from(one) });
  }
  return { partition, offset: Number(m.offset), key: m.key, value: m.value, headers, timestamp: Number(m.timestamp) };
}

/** kafkajs' header object: keys in first-appearance order, a repeated key as an array. */
function toKafkajsHeaders(h: readonly Hdr[]): IHeaders | undefined {
  if (h.length === 0) return undefined;
  const out: Record<string, (Buffer | null)[]> = {};
  for (const x of h) (out[x.key] ??= []).push(x.value);
  const res: IHeaders = {};
  for (const [k, v] of Object.entries(out)) res[k] = (v.length === 1 ? v[0] : v) as IHeaders[string];
  return res;
}

describe('Samsa client interop (librdkafka, kafkajs, @platformatic/kafka)', () => {
  let broker: Samsa;
  let tmp: string;
  let admin: Admin;
  let kafka: KafkaClient;
  const kafkajsLogs: string[] = [];
  const topic = (what: string) => `samsa-client-${what}-${RUN}`;
  const ctx = () => `\n--- broker log tail ---\n${broker.logTail().slice(-3000)}`;

  async function createTopics(names: string[], partitions: number): Promise<void> {
    const res = await admin.createTopics(names.map((name) => ({ name, numPartitions: partitions, replicationFactor: 1 })));
    for (const r of res) assert.equal(r.error ?? null, null, `createTopics ${r.name}: ${String(r.error)}`);
  }

  /** Everything Samsa's Consumer reads from `t` (assign, or a group with commitSync at the end). */
  async function samsaConsume(t: string, expect: number, group?: string): Promise<{ got: Got[]; committed?: (bigint | null)[] }> {
    const c = new Consumer({
      'bootstrap.servers': broker.bootstrap,
      'auto.offset.reset': 'earliest',
      ...(group ? { 'group.id': group, 'enable.auto.commit': false, 'session.timeout.ms': 10_000, 'heartbeat.interval.ms': 1000 } : {}),
    });
    const got: Got[] = [];
    try {
      if (group) c.subscribe([t]);
      else c.assign(Array.from({ length: PARTITIONS }, (_, p) => ({ topic: t, partition: p })));
      const deadline = Date.now() + 60_000;
      while (got.length < expect && Date.now() < deadline) for (const r of await c.poll(500)) got.push(fromRecord(r));
      // A little longer: duplicates would show up here.
      const settle = Date.now() + 1000;
      while (Date.now() < settle) for (const r of await c.poll(200)) got.push(fromRecord(r));
      if (!group) return { got };
      await c.commitSync();
      const committed = await c.committed(Array.from({ length: PARTITIONS }, (_, p) => ({ topic: t, partition: p })));
      return { got, committed: committed.map((x) => x?.offset ?? null) };
    } finally {
      await c.close();
    }
  }

  before(async () => {
    requirePythonModule('confluent_kafka', 'python3-confluent-kafka');
    tmp = makeTempDir('samsa-client-interop-');
    broker = await startSamsa({ dataDir: join(tmp, 'data'), overrides: { 'group.initial.rebalance.delay.ms': '0' } });
    admin = new Admin({ bootstrapServers: broker.bootstrap });
    kafka = new Kafka({
      clientId: 'samsa-client-interop-kafkajs',
      brokers: [broker.bootstrap],
      retry: { retries: 5, initialRetryTime: 200 },
      logLevel: logLevel.WARN,
      logCreator: () => (e) => {
        kafkajsLogs.push(`${e.label} [${e.namespace}] ${String(e.log.message)}`);
        if (kafkajsLogs.length > 200) kafkajsLogs.shift();
      },
    });
  });

  after(async () => {
    admin?.close();
    if (broker) await broker.stop();
    if (tmp) removeDir(tmp);
  });

  // ---- Samsa's Producer → librdkafka, kafkajs ----

  const samsaOut = new Map<Codec, { records: Rec[]; deliveries: Delivered[] }>();

  it(`Samsa's Producer writes ${N} records per codec (${CODECS.join(', ')}); delivery reports are complete and exact`, { timeout: TIMEOUT }, async () => {
    await createTopics(CODECS.map((c) => topic(`out-${c}`)), PARTITIONS);
    for (const codec of CODECS) {
      const records = makeRichRecords(N, { tag: `samsa-${codec}` });
      const p = new Producer({ 'bootstrap.servers': broker.bootstrap, 'compression.type': codec, 'linger.ms': 5 });
      const deliveries: Delivered[] = [];
      const errors: string[] = [];
      const tsMismatch: string[] = [];
      for (const r of records) {
        p.send(
          { topic: topic(`out-${codec}`), key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp },
          (err, md) => {
            if (err) errors.push(`record ${r.index}: ${err.message}`);
            else {
              deliveries.push({ index: r.index, partition: md!.partition, offset: Number(md!.offset) });
              if (md!.timestamp !== r.timestamp) tsMismatch.push(`record ${r.index}: metadata timestamp ${md!.timestamp}, sent ${r.timestamp}`);
              if (md!.serializedKeySize !== (r.key === null ? -1 : r.key.length)) tsMismatch.push(`record ${r.index}: serializedKeySize ${md!.serializedKeySize}`);
            }
          },
        );
      }
      await p.flush();
      await p.close();
      assert.deepEqual(errors.slice(0, 5), [], `${codec}: send errors${ctx()}`);
      assert.deepEqual(tsMismatch.slice(0, 5), [], `${codec}: RecordMetadata`);
      assert.equal(deliveries.length, N, `${codec}: delivery reports`);
      // Keyed records sit where murmur2 puts them (the partitioner test compares with librdkafka at scale).
      samsaOut.set(codec, { records, deliveries });
    }
  });

  for (const codec of CODECS) {
    it(`librdkafka reads Samsa's ${codec} records byte-exact (keys, null keys, headers incl. duplicates and nulls, timestamps, offsets)`, { timeout: TIMEOUT }, async () => {
      const out = samsaOut.get(codec);
      if (!out) return assert.fail('the Samsa produce step failed');
      const file = join(tmp, `rdkafka-read-${codec}.jsonl`);
      const res = await runPython('samsa_client_read.py', [broker.bootstrap, topic(`out-${codec}`), String(PARTITIONS), String(N), file], PY_TIMEOUT);
      assert.equal(res.error_count, 0, `librdkafka consume errors: ${JSON.stringify(res.errors)}`);
      const problems = checkExact(out.records, out.deliveries, readConsumedRich(file), { partitions: PARTITIONS, headers: 'exact' });
      assert.deepEqual(problems, [], `librdkafka reading Samsa's ${codec} topic (stop: ${res.stop_reason})`);
    });
  }

  for (const codec of CODECS) {
    it(`kafkajs reads Samsa's ${codec} records byte-exact (headers compared grouped by key: kafkajs' header object)`, { timeout: TIMEOUT }, async () => {
      const out = samsaOut.get(codec);
      if (!out) return assert.fail('the Samsa produce step failed');
      const consumer = kafka.consumer({ groupId: `kafkajs-read-${codec}-${RUN}`, maxWaitTimeInMs: 200 });
      const got: Got[] = [];
      let crashed: Error | undefined;
      consumer.on(consumer.events.CRASH, (e) => {
        crashed = e.payload.error;
      });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic: topic(`out-${codec}`), fromBeginning: true });
        await consumer.run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) got.push(fromKafkajs(batch.partition, m));
          },
        });
        const deadline = Date.now() + 60_000;
        while (got.length < N && !crashed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        await new Promise((r) => setTimeout(r, 500));
      } finally {
        await consumer.disconnect();
      }
      if (crashed) assert.fail(`kafkajs consumer crashed: ${crashed.stack}\n${kafkajsLogs.slice(-20).join('\n')}`);
      const problems = checkExact(out.records, out.deliveries, got, { partitions: PARTITIONS, headers: 'grouped' });
      assert.deepEqual(problems, [], `kafkajs reading Samsa's ${codec} topic\n${kafkajsLogs.slice(-10).join('\n')}`);
    });
  }

  it("LogAppendTime topic: Samsa's RecordMetadata has the broker's append time; librdkafka and Samsa's Consumer read that time", { timeout: TIMEOUT }, async () => {
    const t = topic('log-append-time');
    const res0 = await admin.createTopics([{ name: t, numPartitions: PARTITIONS, replicationFactor: 1, configs: { 'message.timestamp.type': 'LogAppendTime' } }]);
    assert.equal(res0[0]!.error ?? null, null);
    const records = makeRichRecords(2000, { tag: 'log-append' });
    const before = Date.now();
    const p = new Producer({ 'bootstrap.servers': broker.bootstrap, 'compression.type': 'lz4' });
    const stamps = new Map<string, number>();
    const deliveries: Delivered[] = [];
    for (const r of records) {
      p.send({ topic: t, key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp }, (err, md) => {
        if (err) return;
        stamps.set(`${md!.partition}@${md!.offset}`, md!.timestamp);
        deliveries.push({ index: r.index, partition: md!.partition, offset: Number(md!.offset) });
      });
    }
    await p.flush();
    await p.close();
    const after = Date.now();
    assert.equal(stamps.size, records.length, 'every record delivered');
    for (const [at, ts] of stamps) assert.ok(ts >= before - 1000 && ts <= after + 1000, `RecordMetadata.timestamp at ${at} is ${ts}: not the append time (${before}..${after})`);
    // Both readers see the append time the producer was told, and the rest as sent.
    const appendTime = records.map((r) => ({ ...r }));
    for (const d of deliveries) appendTime[d.index]!.timestamp = stamps.get(`${d.partition}@${d.offset}`)!;
    const file = join(tmp, 'rdkafka-read-log-append.jsonl');
    const res = await runPython('samsa_client_read.py', [broker.bootstrap, t, String(PARTITIONS), String(records.length), file], PY_TIMEOUT);
    assert.deepEqual(res.timestamp_types, { '2': records.length }, 'librdkafka sees LogAppendTime (type 2) on every record');
    assert.deepEqual(checkExact(appendTime, deliveries, readConsumedRich(file), { partitions: PARTITIONS }), [], 'librdkafka reading the LogAppendTime topic');
    const c = new Consumer({ 'bootstrap.servers': broker.bootstrap, 'auto.offset.reset': 'earliest' });
    c.assign(Array.from({ length: PARTITIONS }, (_, q) => ({ topic: t, partition: q })));
    const got: Got[] = [];
    const types = new Set<string>();
    const deadline = Date.now() + 30_000;
    while (got.length < records.length && Date.now() < deadline) {
      for (const r of await c.poll(500)) {
        got.push(fromRecord(r));
        types.add(r.timestampType);
      }
    }
    await c.close();
    assert.deepEqual([...types], ['LogAppendTime']);
    assert.deepEqual(checkExact(appendTime, deliveries, got, { partitions: PARTITIONS }), [], "Samsa's Consumer reading the LogAppendTime topic");
  });

  // ---- librdkafka, kafkajs, @platformatic/kafka → Samsa's Consumer ----

  for (const codec of CODECS) {
    it(`Samsa's Consumer reads librdkafka's ${codec} records exactly (assign; then a group with commitSync)${codec === 'zstd' ? ', idempotent producer' : ''}`, { timeout: TIMEOUT }, async () => {
      const t = topic(`rdkafka-${codec}`);
      await createTopics([t], PARTITIONS);
      const records = makeRichRecords(N, { tag: `rdkafka-${codec}` });
      const recFile = join(tmp, `rdkafka-${codec}.records.jsonl`);
      const delFile = join(tmp, `rdkafka-${codec}.deliveries.jsonl`);
      writeRichRecordsFile(recFile, records);
      const res = await runPython('confluent_tool.py', ['produce', '--bootstrap', broker.bootstrap, '--topic', t, '--codec', codec, '--records', recFile, '--out', delFile, '--config', 'linger.ms=5', ...(codec === 'zstd' ? ['--idempotent'] : [])], PY_TIMEOUT);
      assert.equal(res.errors, 0, `librdkafka produce: ${res.first_error}`);
      const { deliveries, errors } = readDeliveredRich(delFile);
      assert.deepEqual(errors.slice(0, 5), []);
      const standalone = await samsaConsume(t, N);
      assert.deepEqual(checkExact(records, deliveries, standalone.got, { partitions: PARTITIONS }), [], `Samsa Consumer (assign) reading librdkafka's ${codec} topic${ctx()}`);
      if (codec === 'none' || codec === 'zstd') {
        const group = `samsa-read-${codec}-${RUN}`;
        const grouped = await samsaConsume(t, N, group);
        assert.deepEqual(checkExact(records, deliveries, grouped.got, { partitions: PARTITIONS }), [], `Samsa Consumer (group) reading librdkafka's ${codec} topic`);
        const ends = Array.from({ length: PARTITIONS }, (_, p) => BigInt(deliveries.filter((d) => d.partition === p).length));
        assert.deepEqual(grouped.committed, ends, 'Consumer.committed() after commitSync = end of each partition');
        const [offs] = await admin.listConsumerGroupOffsets([group]);
        assert.deepEqual(offs!.offsets.map((o) => [o.partition, o.offset]), ends.map((e, p) => [p, e]), 'Admin.listConsumerGroupOffsets');
      }
    });
  }

  it("Samsa's Consumer reads librdkafka's transactions: read_committed skips aborted ones and control records, read_uncommitted has every data record", { timeout: TIMEOUT }, async () => {
    const t = topic('rdkafka-txn');
    await createTopics([t], PARTITIONS);
    const file = join(tmp, 'rdkafka-txn.jsonl');
    const res = await runPython('samsa_client_txn.py', [broker.bootstrap, t, '30', '40', file], PY_TIMEOUT);
    assert.equal(res.error_count, 0, `librdkafka transactional produce: ${JSON.stringify(res.errors)}`);
    const written = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { p: number; o: number; v: string; kind: string });
    assert.equal(written.filter((w) => w.kind === 'aborted').length, 10 * 40, 'aborted records written');
    const view = (kinds: string[]) =>
      written.filter((w) => kinds.includes(w.kind)).sort((a, b) => a.p - b.p || a.o - b.o).map((w) => `${w.p}@${w.o}=${w.v}`);
    for (const [isolation, kinds] of [['read_committed', ['committed', 'plain']], ['read_uncommitted', ['committed', 'plain', 'aborted']]] as const) {
      const c = new Consumer({ 'bootstrap.servers': broker.bootstrap, 'auto.offset.reset': 'earliest', 'isolation.level': isolation });
      const tps = Array.from({ length: PARTITIONS }, (_, q) => ({ topic: t, partition: q }));
      c.assign(tps);
      const ends = await c.endOffsets(tps);
      const got: { p: number; o: bigint; v: string }[] = [];
      const deadline = Date.now() + 30_000;
      for (;;) {
        for (const r of await c.poll(300)) got.push({ p: r.partition, o: r.offset, v: r.value!.toString() });
        const positions = await Promise.all(tps.map((tp) => c.position(tp)));
        if (positions.every((pos, q) => pos >= ends[q]!.offset) || Date.now() > deadline) break;
      }
      await c.close();
      const seen = got.sort((a, b) => a.p - b.p || Number(a.o - b.o)).map((g) => `${g.p}@${g.o}=${g.v}`);
      const want = view([...kinds]);
      const extra = seen.filter((x) => !want.includes(x));
      const missing = want.filter((x) => !seen.includes(x));
      assert.deepEqual({ extra: extra.slice(0, 10), missing: missing.slice(0, 10), count: seen.length }, { extra: [], missing: [], count: want.length }, `${isolation}${ctx()}`);
    }
  });

  for (const codec of CODECS) {
    it(`Samsa's Consumer reads kafkajs' ${codec} records exactly (duplicate header keys as kafkajs sends them)`, { timeout: TIMEOUT }, async () => {
      const t = topic(`kafkajs-${codec}`);
      await createTopics([t], PARTITIONS);
      // kafkajs' header object repeats a key only next to itself, and it cannot send a null header value.
      const records = makeRichRecords(N, { tag: `kafkajs-${codec}`, duplicates: 'adjacent', nullHeaderValues: false });
      const producer = kafka.producer();
      await producer.connect();
      const deliveries: Delivered[] = [];
      const partitionOf = (r: Rec) => r.index % PARTITIONS;
      try {
        for (let start = 0; start < N; start += 1000) {
          const chunk = records.slice(start, start + 1000);
          const messages: Message[] = chunk.map((r) => ({
            partition: partitionOf(r),
            key: r.key,
            value: r.value,
            headers: toKafkajsHeaders(r.headers),
            timestamp: String(r.timestamp),
          }));
          const metas = await producer.send({ topic: t, compression: KAFKAJS_CODEC[codec], messages });
          deliveries.push(...deliveredFromBases(chunk, partitionOf, new Map(metas.map((m) => [m.partition, Number(m.baseOffset)]))));
        }
      } finally {
        await producer.disconnect();
      }
      const { got } = await samsaConsume(t, N);
      assert.deepEqual(checkExact(records, deliveries, got, { partitions: PARTITIONS }), [], `Samsa Consumer reading kafkajs' ${codec} topic${ctx()}`);
    });
  }

  for (const codec of CODECS) {
    it(`Samsa's Consumer reads @platformatic/kafka's ${codec} records exactly (group, duplicate header keys interleaved)`, { timeout: TIMEOUT }, async () => {
      const t = topic(`platformatic-${codec}`);
      await createTopics([t], PARTITIONS);
      // Its header Map (Buffer keys) can repeat a key anywhere; it has no null header values.
      // No CreateTimes from 2001: @platformatic/kafka 2.12.1 writes wrong timestamps for
      // the other records of a batch whose first record is years older (kcat shows the
      // same wrong values), so its records stay within the last hour.
      const records = makeRichRecords(N, { tag: `platformatic-${codec}`, nullHeaderValues: false, oldTimestamps: false });
      const producer = new PlatformaticProducer({ clientId: 'samsa-client-interop-platformatic', bootstrapBrokers: [broker.bootstrap] });
      const deliveries: Delivered[] = [];
      const partitionOf = (r: Rec) => (r.index * 7) % PARTITIONS;
      try {
        for (let start = 0; start < N; start += 1000) {
          const chunk = records.slice(start, start + 1000);
          const messages: MessageToProduce[] = chunk.map((r) => ({
            topic: t,
            partition: partitionOf(r),
            key: r.key ?? undefined,
            value: r.value ?? undefined,
            headers: new Map(r.headers.map((h) => [Buffer.from(h.key), h.value!])),
            timestamp: BigInt(r.timestamp),
          }));
          const res = await producer.send({ messages, compression: codec });
          deliveries.push(...deliveredFromBases(chunk, partitionOf, new Map((res.offsets ?? []).map((o) => [o.partition, Number(o.offset)]))));
        }
      } finally {
        await producer.close();
      }
      // @platformatic/kafka sends an undefined key/value as null.
      const { got } = await samsaConsume(t, N, `samsa-read-platformatic-${codec}-${RUN}`);
      assert.deepEqual(checkExact(records, deliveries, got, { partitions: PARTITIONS }), [], `Samsa Consumer reading @platformatic/kafka's ${codec} topic${ctx()}`);
    });
  }

  // ---- the default partitioner ----

  // At least 10,000 keys per partition count, whatever SAMSA_CLIENT_INTEROP_RECORDS says.
  const KEYS = Math.max(N, 10_000);
  for (const partitions of [12, 7]) {
    it(`Samsa's default partitioner = librdkafka's murmur2_random = kafkajs' DefaultPartitioner (${KEYS} keys, ${partitions} partitions)`, { timeout: TIMEOUT }, async () => {
      const t = topic(`partitioner-${partitions}`);
      await createTopics([t], partitions);
      // ASCII, binary (every byte value, lengths 1..64), UTF-8 and numeric keys.
      let seed = 0x1234567 + partitions;
      const rnd = () => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed >>> 8;
      };
      const records: Rec[] = Array.from({ length: KEYS }, (_, i) => {
        let key: Buffer;
        switch (i === 0 ? -1 : i % 4) {
          case -1: key = Buffer.alloc(0); break; // an empty key is a key (murmur2 of no bytes), not a null one
          case 0: key = Buffer.from(`user-${i}`); break;
          case 1: key = Buffer.from(Array.from({ length: 1 + (rnd() % 64) }, () => rnd() & 0xff)); break;
          case 2: key = Buffer.from(`ключ-${i}-😀`); break;
          default: key = Buffer.from(String(rnd() * 7919 + i));
        }
        return { index: i, key, value: Buffer.from(`v${i}`), headers: [], timestamp: Date.now() };
      });
      const recFile = join(tmp, `partitioner-${partitions}.records.jsonl`);
      const delFile = join(tmp, `partitioner-${partitions}.deliveries.jsonl`);
      writeRichRecordsFile(recFile, records);
      const res = await runPython('confluent_tool.py', ['produce', '--bootstrap', broker.bootstrap, '--topic', t, '--records', recFile, '--out', delFile, '--config', 'partitioner=murmur2_random', '--config', 'linger.ms=5'], PY_TIMEOUT);
      assert.equal(res.errors, 0, `librdkafka produce: ${res.first_error}`);
      const rd = readDeliveredRich(delFile).deliveries;
      assert.equal(rd.length, KEYS);
      const rdPartition = new Map(rd.map((d) => [d.index, d.partition]));

      const p = new Producer({ 'bootstrap.servers': broker.bootstrap, 'linger.ms': 5 });
      const samsaPartition = new Map<number, number>();
      for (const r of records) {
        p.send({ topic: t, key: r.key, value: r.value }, (err, md) => {
          if (!err) samsaPartition.set(r.index, md!.partition);
        });
      }
      await p.flush();
      await p.close();
      assert.equal(samsaPartition.size, KEYS, 'every Samsa record delivered');

      const kjs = Partitioners.DefaultPartitioner();
      const partitionMetadata: PartitionMetadata[] = Array.from({ length: partitions }, (_, id) => ({ partitionErrorCode: 0, partitionId: id, leader: broker.nodeId, replicas: [broker.nodeId], isr: [broker.nodeId] }));
      const mismatches: string[] = [];
      const used = new Set<number>();
      for (const r of records) {
        const s = samsaPartition.get(r.index);
        const l = rdPartition.get(r.index);
        const k = kjs({ topic: t, partitionMetadata, message: { key: r.key, value: r.value } });
        used.add(s!);
        if (s !== l || s !== k) mismatches.push(`key ${r.key!.toString('hex')}: Samsa ${s}, librdkafka ${l}, kafkajs ${k}`);
      }
      assert.deepEqual(mismatches.slice(0, 10), [], `${mismatches.length} keys placed differently`);
      assert.equal(used.size, partitions, 'keys spread over every partition');
    });
  }

  it('the broker log shows no failed request', { timeout: TIMEOUT }, async () => {
    admin.close();
    const code = await broker.stop();
    assert.equal(code, 0, `exit code${ctx()}`);
    assert.deepEqual(broker.logProblems(), []);
  });
});
