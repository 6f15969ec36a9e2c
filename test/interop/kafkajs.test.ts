/**
 * kafkajs 2.2.4 against a fresh `samsa start`: admin topic creation, keyed records
 * with headers and producer timestamps (codecs: none and gzip — kafkajs has only
 * these built in; snappy, lz4 and zstd need the kafkajs-snappy, kafkajs-lz4 and
 * @kafkajs/zstd plugins, which are not installed), one idempotent producer run,
 * consumer-group consumption (kafkajs has no other consumer), topic offsets (earliest,
 * latest, by timestamp), describe/alter configs, deleteTopicRecords and deleteTopics.
 */
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import type { Admin, IHeaders, Kafka as KafkaClient, KafkaMessage, LogEntry, Message, PartitionMetadata } from 'kafkajs';
import { RECORDS, TEST_TIMEOUT_MS, makeTempDir, removeDir, startSamsa, topicName } from './harness.ts';
import type { Samsa } from './harness.ts';
import { describeProblems, expectedOffsetsForTimestamp, makeRecords, partitionView, verifyRoundTrip } from './records.ts';
import type { ConsumedRecord, Delivery, Header, TestRecord, VerifyResult } from './records.ts';

const { Kafka, CompressionTypes, ConfigResourceTypes, Partitioners, logLevel } = kafkajs;

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const PARTITIONS = 3;
const CHUNK = 1000;
const CONSUME_LIMIT_MS = Math.max(30_000, TEST_TIMEOUT_MS - 30_000);
const JOIN_LIMIT_MS = 60_000;

interface Topic {
  label: string;
  compression: number;
  idempotent: boolean;
  name: string;
  records: TestRecord[];
  deliveries?: Delivery[];
  result?: VerifyResult;
}

function toHeaders(h: readonly Header[]): IHeaders | undefined {
  if (h.length === 0) return undefined;
  const out: IHeaders = {};
  for (const [k, v] of h) out[k] = v;
  return out;
}

function fromHeaders(h: IHeaders | undefined): Header[] {
  const out: Header[] = [];
  for (const [k, v] of Object.entries(h ?? {})) {
    for (const one of Array.isArray(v) ? v : [v]) {
      if (one !== undefined) out.push([k, Buffer.isBuffer(one) ? one : Buffer.from(one)]);
    }
  }
  return out;
}

describe('kafkajs interop', () => {
  let broker: Samsa;
  let tmp: string;
  let kafka: KafkaClient;
  let admin: Admin;
  const logs: string[] = [];
  let logMark = 0;
  const topics: Topic[] = [
    { label: 'none', compression: CompressionTypes.None, idempotent: false },
    { label: 'gzip', compression: CompressionTypes.GZIP, idempotent: false },
    { label: 'idempotent', compression: CompressionTypes.GZIP, idempotent: true },
  ].map((t) => ({
    ...t,
    name: topicName('kafkajs', t.label),
    records: makeRecords(RECORDS, { tag: `kafkajs-${t.label}`, headers: true, tombstones: true }),
  }));
  const byLabel = (label: string): Topic => topics.find((t) => t.label === label)!;

  const context = (): string =>
    `\n--- kafkajs log (this test) ---\n${logs.slice(Math.max(logMark, logs.length - 40)).join('\n')}\n--- broker log tail ---\n${broker.logTail().slice(-3000)}`;
  const fail = (msg: string): never => assert.fail(msg + context());

  before(async () => {
    tmp = makeTempDir('samsa-interop-kafkajs-');
    broker = await startSamsa({ dataDir: join(tmp, 'data') });
    kafka = new Kafka({
      clientId: 'samsa-interop-kafkajs',
      brokers: [broker.bootstrap],
      retry: { retries: 5, initialRetryTime: 200 },
      logLevel: logLevel.INFO,
      logCreator:
        () =>
        ({ namespace, label, log }: LogEntry) => {
          const { message, timestamp: _ts, logger: _l, ...rest } = log as Record<string, unknown>;
          logs.push(`${label} [${namespace}] ${String(message)} ${JSON.stringify(rest)}`);
          if (logs.length > 5000) {
            logs.splice(0, 1000);
            logMark = Math.max(0, logMark - 1000);
          }
        },
    });
    admin = kafka.admin();
    await admin.connect();
  });

  beforeEach(() => {
    logMark = logs.length;
  });

  after(async () => {
    await admin?.disconnect().catch(() => {});
    if (broker) await broker.stop();
    if (tmp) removeDir(tmp);
  });

  it('describes the cluster (admin.describeCluster)', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    t.diagnostic('codecs tested: none, gzip; snappy/lz4/zstd need kafkajs codec plugins that are not installed');
    const c = await admin.describeCluster();
    assert.deepEqual(c.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })), [
      { nodeId: broker.nodeId, host: broker.host, port: broker.port },
    ]);
    assert.equal(c.controller, broker.nodeId, 'controller');
    if (broker.clusterId !== 'external') assert.equal(c.clusterId, broker.clusterId, 'cluster id = the ready line');
  });

  it(`creates ${topics.length} topics with ${PARTITIONS} partitions (admin.createTopics)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const created = await admin.createTopics({
      topics: topics.map((t) => ({ topic: t.name, numPartitions: PARTITIONS, replicationFactor: 1 })),
      waitForLeaders: true,
    });
    assert.equal(created, true, 'createTopics reports the topics as created');
    const md = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
    for (const t of topics) {
      const tm = md.topics.find((x) => x.name === t.name);
      assert.ok(tm, `${t.name} missing from metadata`);
      assert.equal(tm.partitions.length, PARTITIONS);
      for (const p of tm.partitions) assert.equal(p.leader, broker.nodeId);
    }
    const listed = await admin.listTopics();
    for (const t of topics) assert.ok(listed.includes(t.name), `listTopics lacks ${t.name}`);
  });

  for (const label of ['none', 'gzip', 'idempotent']) {
    it(`produces ${RECORDS} keyed records with headers and timestamps: ${label === 'idempotent' ? 'idempotent producer, gzip' : `compression ${label}`}`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const t = byLabel(label);
      const producer = kafka.producer(t.idempotent ? { idempotent: true, maxInFlightRequests: 1 } : {});
      await producer.connect();
      // The partitioner kafkajs itself uses (Java-compatible murmur2).
      const partitioner = Partitioners.DefaultPartitioner();
      const partitionMetadata: PartitionMetadata[] = Array.from({ length: PARTITIONS }, (_, p) => ({
        partitionErrorCode: 0, partitionId: p, leader: broker.nodeId, replicas: [broker.nodeId], isr: [broker.nodeId],
      }));
      const deliveries: Delivery[] = [];
      try {
        for (let start = 0; start < t.records.length; start += CHUNK) {
          const chunk = t.records.slice(start, start + CHUNK);
          const messages: Message[] = chunk.map((r) => ({
            key: r.key,
            value: r.value,
            headers: toHeaders(r.headers),
            timestamp: String(r.timestamp),
          }));
          const metas = await producer.send({ topic: t.name, compression: t.compression, messages });
          const base = new Map<number, number>();
          for (const m of metas) {
            assert.equal(m.errorCode, 0, `partition ${m.partition} error code`);
            base.set(m.partition, Number(m.baseOffset));
          }
          const next = new Map<number, number>();
          chunk.forEach((r, i) => {
            const p = partitioner({ topic: t.name, partitionMetadata, message: messages[i] });
            const k = next.get(p) ?? 0;
            next.set(p, k + 1);
            const b = base.get(p);
            if (b === undefined) fail(`send() returned no RecordMetadata for partition ${p}: ${JSON.stringify(metas)}`);
            deliveries.push({ index: r.index, partition: p, offset: b! + k });
          });
        }
      } catch (e) {
        fail(`producer.send failed after ${deliveries.length} records: ${(e as Error).stack}`);
      } finally {
        await producer.disconnect();
      }
      t.deliveries = deliveries;
    });
  }

  /** Consumes `t` with a fresh group from the beginning; returns what arrived. */
  async function consumeAll(t: Topic, groupId: string): Promise<{ consumed: ConsumedRecord[]; timedOut: boolean }> {
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500 });
    const consumed: ConsumedRecord[] = [];
    let crashed: Error | undefined;
    let joined = false;
    consumer.on(consumer.events.CRASH, (e) => {
      crashed = e.payload.error;
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    await consumer.connect();
    await consumer.subscribe({ topic: t.name, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages as KafkaMessage[]) {
          consumed.push({
            partition: batch.partition,
            offset: Number(m.offset),
            key: m.key,
            value: m.value,
            headers: fromHeaders(m.headers),
            timestamp: Number(m.timestamp),
          });
        }
      },
    });
    const started = Date.now();
    let timedOut = false;
    while (consumed.length < t.records.length && !crashed) {
      if (!joined && Date.now() - started > JOIN_LIMIT_MS) {
        await consumer.disconnect().catch(() => {});
        fail(`the consumer did not join group ${groupId} within ${JOIN_LIMIT_MS} ms`);
      }
      if (Date.now() - started > CONSUME_LIMIT_MS) {
        timedOut = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    // Let stray duplicates (if any) arrive before comparing.
    await new Promise((r) => setTimeout(r, 500));
    await consumer.stop();
    await consumer.disconnect();
    if (crashed) fail(`consumer crashed: ${crashed.stack}`);
    return { consumed, timedOut };
  }

  for (const label of ['none', 'gzip', 'idempotent']) {
    it(`consumes back ${label} records identically (consumer group, fromBeginning)`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const t = byLabel(label);
      if (!t.deliveries) return assert.fail('the produce step failed; nothing to compare with');
      const groupId = `interop-kafkajs-${label}-${Date.now()}`;
      const { consumed, timedOut } = await consumeAll(t, groupId);
      const result = verifyRoundTrip(t.records, t.deliveries, consumed, { partitions: PARTITIONS });
      if (result.problems.length > 0) fail(describeProblems(`consume ${t.name}${timedOut ? ' (timed out)' : ''}`, result));
      t.result = result;
      const committed = await admin.fetchOffsets({ groupId, topics: [t.name] });
      const offsets = committed[0].partitions.map((p) => [p.partition, Number(p.offset)]).sort((a, b) => a[0] - b[0]);
      assert.deepEqual(offsets, result.counts.map((c, p) => [p, c]), 'committed offsets (admin.fetchOffsets) = end of each partition');
    });
  }

  it('fetches topic offsets: earliest/latest (fetchTopicOffsets) and by timestamp', { timeout: TEST_TIMEOUT_MS }, async () => {
    const t = byLabel('none');
    if (!t.deliveries) return assert.fail('the produce step failed; no reference data');
    const view = partitionView(t.records, t.deliveries, PARTITIONS);
    const offsets = (await admin.fetchTopicOffsets(t.name)).sort((a, b) => a.partition - b.partition);
    assert.deepEqual(
      offsets.map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high), offset: Number(o.offset) })),
      view.counts.map((c, p) => ({ partition: p, low: 0, high: c, offset: c })),
    );
    const base = t.records[0].timestamp;
    for (const ts of [base - 1000, base + Math.floor(RECORDS / 2), base + Math.floor((RECORDS * 3) / 4) + 1, base + RECORDS + 60_000]) {
      const got = (await admin.fetchTopicOffsetsByTimestamp(t.name, ts)).sort((a, b) => a.partition - b.partition);
      // kafkajs replaces "no such offset" (-1) by the high watermark.
      const expected: Array<{ partition: number; offset: number }> = expectedOffsetsForTimestamp(view.byPartition, ts).map((o, p) => ({
        partition: p,
        offset: o === -1 ? view.counts[p] : o,
      }));
      assert.deepEqual(got.map((o) => ({ partition: o.partition, offset: Number(o.offset) })), expected, `offsets for timestamp ${ts}`);
    }
  });

  it('describes and alters topic configs (retention.ms)', { timeout: TEST_TIMEOUT_MS }, async () => {
    const t = byLabel('gzip');
    const describeTopic = async () => {
      const d = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: t.name }], includeSynonyms: false });
      assert.equal(d.resources.length, 1);
      assert.equal(d.resources[0].errorCode, 0, `DescribeConfigs error: ${d.resources[0].errorMessage}`);
      return new Map(d.resources[0].configEntries.map((e) => [e.configName, e]));
    };
    const before = await describeTopic();
    for (const name of ['retention.ms', 'cleanup.policy', 'segment.bytes', 'max.message.bytes', 'min.insync.replicas']) {
      assert.ok(before.get(name), `describeConfigs lacks ${name}; got ${[...before.keys()].join(', ')}`);
    }
    assert.equal(before.get('retention.ms')!.configValue, '604800000');
    assert.equal(before.get('retention.ms')!.isDefault, true);
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: t.name, configEntries: [{ name: 'retention.ms', value: '86400000' }] }],
    });
    const after = await describeTopic();
    assert.equal(after.get('retention.ms')!.configValue, '86400000', 'retention.ms after alterConfigs');
    assert.equal(after.get('retention.ms')!.isDefault, false);
    assert.equal(after.get('retention.ms')!.configSource, 1 /* TOPIC_CONFIG */, 'config source');
  });

  it('deletes records (admin.deleteTopicRecords) and the earliest offsets move', { timeout: TEST_TIMEOUT_MS }, async () => {
    const t = byLabel('gzip');
    if (!t.deliveries) return assert.fail('the produce step failed; no reference data');
    const counts = partitionView(t.records, t.deliveries, PARTITIONS).counts;
    const cut = Math.min(10, counts[0]);
    await admin.deleteTopicRecords({
      topic: t.name,
      partitions: [
        { partition: 0, offset: String(cut) },
        { partition: 1, offset: '-1' }, // everything
      ],
    });
    const offsets = (await admin.fetchTopicOffsets(t.name)).sort((a, b) => a.partition - b.partition);
    assert.deepEqual(
      offsets.map((o) => [Number(o.low), Number(o.high)]),
      [[cut, counts[0]], [counts[1], counts[1]], [0, counts[2]]],
      'low/high watermarks after deleting partition 0 below offset 10 and all of partition 1',
    );
    // A timestamp lookup never answers with a deleted offset.
    const early = (await admin.fetchTopicOffsetsByTimestamp(t.name, t.records[0].timestamp - 1000)).sort((a, b) => a.partition - b.partition);
    assert.deepEqual(early.map((o) => Number(o.offset)), [cut, counts[1], 0], 'offsets for a timestamp before every record');
  });

  it('deletes topics (admin.deleteTopics) and they are gone', { timeout: TEST_TIMEOUT_MS }, async () => {
    await admin.deleteTopics({ topics: topics.map((t) => t.name) });
    const listed = await admin.listTopics();
    for (const t of topics) assert.ok(!listed.includes(t.name), `${t.name} still listed`);
  });

  it('shuts down cleanly on SIGTERM, with no failed request in its log', { timeout: TEST_TIMEOUT_MS }, async () => {
    await admin.disconnect();
    const code = await broker.stop();
    assert.equal(code, 0, `exit code\n${broker.logTail().slice(-4000)}`);
    assert.deepEqual(broker.logProblems(), [], 'the broker log shows failed requests or internal errors');
  });
});
