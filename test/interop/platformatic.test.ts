/**
 * @platformatic/kafka 2.12.1 against a fresh `samsa start`: Admin topic creation,
 * keyed records with headers and producer timestamps in every codec it supports
 * (none, gzip, snappy, lz4, zstd — zstd through node:zlib), one idempotent producer
 * run, consumer-group consumption with explicit commits, Admin.listOffsets (earliest,
 * latest, by timestamp), describe/alter/incrementalAlter configs, deleteRecords and
 * deleteTopics.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  Admin,
  Consumer,
  Producer,
  ConfigResourceTypes,
  ConfigSources,
  IncrementalAlterConfigOperationTypes,
  defaultPartitioner,
} from '@platformatic/kafka';
import type { Message, MessageToProduce } from '@platformatic/kafka';
import { RECORDS, TEST_TIMEOUT_MS, makeTempDir, removeDir, startSamsa, topicName } from './harness.ts';
import type { Samsa } from './harness.ts';
import { CODECS, describeProblems, expectedOffsetsForTimestamp, makeRecords, partitionView, verifyRoundTrip } from './records.ts';
import type { Codec, ConsumedRecord, Delivery, TestRecord, VerifyResult } from './records.ts';

const PARTITIONS = 3;
const CHUNK = 1000;
const CONSUME_LIMIT_MS = Math.max(30_000, TEST_TIMEOUT_MS - 30_000);
const JOIN_LIMIT_MS = 60_000;

interface Topic {
  label: string;
  codec: Codec;
  idempotent: boolean;
  name: string;
  records: TestRecord[];
  deliveries?: Delivery[];
  result?: VerifyResult;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not complete within ${ms} ms`)), ms);
    }),
  ]);
}

function errorText(e: unknown): string {
  const err = e as Error & { errors?: unknown[]; cause?: unknown };
  let s = err?.stack ?? String(e);
  if (Array.isArray(err?.errors)) s += `\ncaused by:\n${err.errors.map((x) => errorText(x)).join('\n')}`;
  else if (err?.cause) s += `\ncause: ${errorText(err.cause)}`;
  return s;
}

describe('@platformatic/kafka interop', () => {
  let broker: Samsa;
  let tmp: string;
  let admin: Admin;
  const clientOptions = () => ({ clientId: 'samsa-interop-platformatic', bootstrapBrokers: [broker.bootstrap] });
  const specs: Array<[string, Codec, boolean]> = [...CODECS.map((c): [string, Codec, boolean] => [c, c, false]), ['idempotent', 'lz4', true]];
  const topics: Topic[] = specs.map(([label, codec, idempotent]) => ({
    label,
    codec,
    idempotent,
    name: topicName('platformatic', label),
    records: makeRecords(RECORDS, { tag: `platformatic-${label}`, headers: true, tombstones: true }),
  }));
  const byLabel = (label: string): Topic => topics.find((t) => t.label === label)!;
  const fail = (msg: string): never => assert.fail(`${msg}\n--- broker log tail ---\n${broker.logTail().slice(-3000)}`);

  before(async () => {
    tmp = makeTempDir('samsa-interop-platformatic-');
    broker = await startSamsa({ dataDir: join(tmp, 'data') });
    admin = new Admin(clientOptions());
  });

  after(async () => {
    await admin?.close().catch(() => {});
    if (broker) await broker.stop();
    if (tmp) removeDir(tmp);
  });

  it(`creates ${topics.length} topics with ${PARTITIONS} partitions (Admin.createTopics)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const created = await admin.createTopics({ topics: topics.map((t) => t.name), partitions: PARTITIONS, replicas: 1 });
    assert.deepEqual(created.map((c) => [c.name, c.partitions]).sort(), topics.map((t) => [t.name, PARTITIONS]).sort());
    const md = await admin.metadata({ topics: topics.map((t) => t.name), forceUpdate: true });
    assert.deepEqual([...md.brokers.keys()], [broker.nodeId], 'brokers');
    const b = md.brokers.get(broker.nodeId)!;
    assert.deepEqual([b.host, b.port], [broker.host, broker.port], 'advertised listener');
    for (const t of topics) {
      const tm = md.topics.get(t.name);
      assert.ok(tm, `${t.name} missing from metadata`);
      assert.equal(tm.partitionsCount, PARTITIONS);
      assert.match(tm.id, /^[0-9a-f-]{36}$/i, 'topic id');
      for (const p of tm.partitions) assert.equal(p.leader, broker.nodeId);
    }
    const listed = await admin.listTopics();
    for (const t of topics) assert.ok(listed.includes(t.name), `listTopics lacks ${t.name}`);
  });

  for (const [label] of specs) {
    it(`produces ${RECORDS} keyed records with headers and timestamps: ${label === 'idempotent' ? 'idempotent producer, lz4' : `compression ${label}`}`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const t = byLabel(label);
      const producer = new Producer({ ...clientOptions(), idempotent: t.idempotent });
      const deliveries: Delivery[] = [];
      try {
        for (let start = 0; start < t.records.length; start += CHUNK) {
          const chunk = t.records.slice(start, start + CHUNK);
          const messages: MessageToProduce[] = chunk.map((r) => ({
            topic: t.name,
            key: r.key ?? undefined,
            value: r.value ?? undefined,
            headers: new Map(r.headers.map(([k, v]) => [Buffer.from(k), v])),
            timestamp: BigInt(r.timestamp),
          }));
          const res = await producer.send({ messages, compression: t.codec });
          const base = new Map<number, number>();
          for (const o of res.offsets ?? []) base.set(o.partition, Number(o.offset));
          const next = new Map<number, number>();
          chunk.forEach((r, i) => {
            // The client's own default partitioner (murmur2 >>> 0) modulo the partition count.
            const p = defaultPartitioner(messages[i], r.key!) % PARTITIONS;
            const k = next.get(p) ?? 0;
            next.set(p, k + 1);
            const b = base.get(p);
            if (b === undefined) fail(`send() reported no offset for partition ${p}: ${JSON.stringify(res.offsets, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
            deliveries.push({ index: r.index, partition: p, offset: b! + k });
          });
        }
      } catch (e) {
        fail(`producer.send failed after ${deliveries.length} records: ${errorText(e)}`);
      } finally {
        await producer.close();
      }
      t.deliveries = deliveries;
    });
  }

  for (const [label] of specs) {
    it(`consumes back ${label} records identically (consumer group, mode earliest) and commits`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const t = byLabel(label);
      if (!t.deliveries) return assert.fail('the produce step failed; nothing to compare with');
      const groupId = `interop-platformatic-${label}-${Date.now()}`;
      const consumer = new Consumer({ ...clientOptions(), groupId, maxWaitTime: 500 });
      const consumed: ConsumedRecord[] = [];
      const last = new Map<number, Message>();
      let timedOut = false;
      try {
        const stream = await withTimeout(
          consumer.consume({ topics: [t.name], mode: 'earliest', autocommit: false }),
          JOIN_LIMIT_MS,
          `Consumer.consume() (joining group ${groupId})`,
        );
        let streamError: unknown;
        stream.on('error', (e) => {
          streamError = e;
        });
        stream.on('data', (m: Message) => {
          consumed.push({
            partition: m.partition,
            offset: Number(m.offset),
            key: m.key ?? null,
            value: m.value ?? null,
            headers: m.headerEntries.map(([k, v]) => [k.toString(), v ?? Buffer.alloc(0)]),
            timestamp: Number(m.timestamp),
          });
          last.set(m.partition, m);
        });
        const started = Date.now();
        while (consumed.length < t.records.length && !streamError) {
          if (Date.now() - started > CONSUME_LIMIT_MS) {
            timedOut = true;
            break;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        await new Promise((r) => setTimeout(r, 500));
        if (streamError) fail(`consumer stream error after ${consumed.length} records: ${errorText(streamError)}`);
        for (const m of last.values()) await m.commit();
        await stream.close();
        const result = verifyRoundTrip(t.records, t.deliveries, consumed, { partitions: PARTITIONS });
        if (result.problems.length > 0) fail(describeProblems(`consume ${t.name}${timedOut ? ' (timed out)' : ''}`, result));
        t.result = result;
        const committed = await consumer.listCommittedOffsets({ topics: [{ topic: t.name, partitions: [0, 1, 2] }] });
        assert.deepEqual(
          (committed.get(t.name) ?? []).map(Number),
          result.counts,
          'committed offsets (listCommittedOffsets) = end of each partition',
        );
      } catch (e) {
        if ((e as Error).name === 'AssertionError') throw e;
        fail(`consumer failed after ${consumed.length} records: ${errorText(e)}`);
      } finally {
        await consumer.close(true).catch(() => {});
      }
    });
  }

  it('lists offsets (Admin.listOffsets): earliest, latest, by timestamp', { timeout: TEST_TIMEOUT_MS }, async () => {
    const t = byLabel('none');
    if (!t.deliveries) return assert.fail('the produce step failed; no reference data');
    const view = partitionView(t.records, t.deliveries, PARTITIONS);
    const list = async (timestamp: bigint): Promise<number[]> => {
      const res = await admin.listOffsets({
        topics: [{ name: t.name, partitions: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, timestamp })) }],
      });
      const parts = res[0].partitions.slice().sort((a, b) => a.partitionIndex - b.partitionIndex);
      return parts.map((p) => Number(p.offset));
    };
    assert.deepEqual(await list(-2n), [0, 0, 0], 'earliest (-2)');
    assert.deepEqual(await list(-1n), view.counts, 'latest (-1)');
    const base = t.records[0].timestamp;
    for (const ts of [base - 1000, base + Math.floor(RECORDS / 2), base + Math.floor((RECORDS * 3) / 4) + 1, base + RECORDS + 60_000]) {
      assert.deepEqual(await list(BigInt(ts)), expectedOffsetsForTimestamp(view.byPartition, ts), `offsets for timestamp ${ts} (-1 = none)`);
    }
  });

  it('describes configs, alters them (AlterConfigs and IncrementalAlterConfigs) and reads the change back', { timeout: TEST_TIMEOUT_MS }, async () => {
    const t = byLabel('snappy');
    const describeTopic = async () => {
      const d = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: t.name }] });
      assert.equal(d.length, 1);
      return new Map(d[0].configs.map((c) => [c.name, c]));
    };
    const before = await describeTopic();
    for (const name of ['retention.ms', 'cleanup.policy', 'segment.bytes', 'max.message.bytes', 'retention.bytes']) {
      assert.ok(before.get(name), `describeConfigs lacks ${name}; got ${[...before.keys()].join(', ')}`);
    }
    assert.equal(before.get('retention.ms')!.value, '604800000');
    assert.equal(before.get('retention.ms')!.configSource, ConfigSources.DEFAULT_CONFIG);

    await admin.alterConfigs({
      resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: t.name, configs: [{ name: 'retention.ms', value: '3600000' }] }],
    });
    const afterAlter = await describeTopic();
    assert.equal(afterAlter.get('retention.ms')!.value, '3600000', 'retention.ms after alterConfigs');
    assert.equal(afterAlter.get('retention.ms')!.configSource, ConfigSources.DYNAMIC_TOPIC_CONFIG);

    await admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: t.name,
          configs: [{ name: 'retention.bytes', configOperation: IncrementalAlterConfigOperationTypes.SET, value: '1073741824' }],
        },
      ],
    });
    const afterIncremental = await describeTopic();
    assert.equal(afterIncremental.get('retention.bytes')!.value, '1073741824', 'retention.bytes after incrementalAlterConfigs');
    assert.equal(afterIncremental.get('retention.ms')!.value, '3600000', 'an incremental SET keeps the other overrides');

    await admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: t.name,
          configs: [{ name: 'retention.ms', configOperation: IncrementalAlterConfigOperationTypes.DELETE }],
        },
      ],
    });
    const afterDelete = await describeTopic();
    assert.equal(afterDelete.get('retention.ms')!.value, '604800000', 'retention.ms back to the default after DELETE');
    assert.equal(afterDelete.get('retention.ms')!.configSource, ConfigSources.DEFAULT_CONFIG);
  });

  it('deletes records (Admin.deleteRecords) and the earliest offsets move', { timeout: TEST_TIMEOUT_MS }, async () => {
    const t = byLabel('zstd');
    if (!t.deliveries) return assert.fail('the produce step failed; no reference data');
    const counts = partitionView(t.records, t.deliveries, PARTITIONS).counts;
    const cut = Math.min(25, counts[2]);
    const res = await admin.deleteRecords({ topics: [{ name: t.name, partitions: [{ partition: 2, offset: BigInt(cut) }] }] });
    assert.deepEqual(res[0].partitions.map((p) => [p.partition, Number(p.lowWatermark)]), [[2, cut]], 'deleteRecords low watermark');
    const listed = await admin.listOffsets({
      topics: [{ name: t.name, partitions: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, timestamp: -2n })) }],
    });
    const earliest = listed[0].partitions.slice().sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => Number(p.offset));
    assert.deepEqual(earliest, [0, 0, cut], 'earliest offsets after deleteRecords');
  });

  it('deletes topics (Admin.deleteTopics) and they are gone', { timeout: TEST_TIMEOUT_MS }, async () => {
    await admin.deleteTopics({ topics: topics.map((t) => t.name) });
    const listed = await admin.listTopics();
    for (const t of topics) assert.ok(!listed.includes(t.name), `${t.name} still listed`);
  });

  it('shuts down cleanly on SIGTERM, with no failed request in its log', { timeout: TEST_TIMEOUT_MS }, async () => {
    await admin.close();
    const code = await broker.stop();
    assert.equal(code, 0, `exit code\n${broker.logTail().slice(-4000)}`);
    assert.deepEqual(broker.logProblems(), [], 'the broker log shows failed requests or internal errors');
  });
});
