/**
 * confluent-kafka-python 1.7 (librdkafka 2.0.2) against a fresh `samsa start`:
 * AdminClient topic creation, keyed records with headers and producer timestamps in
 * every codec (plus one idempotent run), assign() and consumer-group consumption,
 * watermark and by-timestamp offsets, describe/alter configs, delete records (when the
 * client has it) and topic deletion. The python side is python/confluent_tool.py.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  CHILD_TIMEOUT_MS,
  RECORDS,
  TEST_TIMEOUT_MS,
  makeTempDir,
  removeDir,
  requirePythonModule,
  runPython,
  startSamsa,
  topicName,
} from './harness.ts';
import type { Samsa } from './harness.ts';
import {
  CODECS,
  describeProblems,
  expectedOffsetsForTimestamp,
  makeRecords,
  partitionView,
  readConsumed,
  readDeliveries,
  verifyRoundTrip,
  writeRecordsFile,
} from './records.ts';
import type { Codec, Delivery, TestRecord, VerifyResult } from './records.ts';

const PARTITIONS = 3;
const SCRIPT = 'confluent_tool.py';
const PY_TIMEOUT_MS = CHILD_TIMEOUT_MS;

interface Topic {
  label: string;
  codec: Codec;
  idempotent: boolean;
  name: string;
  records: TestRecord[];
  recordsFile: string;
  deliveries?: Delivery[];
  result?: VerifyResult;
}

describe('confluent-kafka-python (librdkafka) interop', () => {
  let broker: Samsa;
  let tmp: string;
  const topics: Topic[] = [];
  const byLabel = (label: string): Topic => topics.find((t) => t.label === label)!;

  const py = <T = any>(command: string, args: string[] = [], timeoutSec = 60): Promise<T> =>
    runPython<T>(SCRIPT, [command, '--bootstrap', broker.bootstrap, '--timeout', String(timeoutSec), ...args], PY_TIMEOUT_MS);

  const fail = (msg: string): never => assert.fail(`${msg}\n--- broker log tail ---\n${broker.logTail().slice(-4000)}`);

  before(async () => {
    requirePythonModule('confluent_kafka', 'python3-confluent-kafka');
    tmp = makeTempDir('samsa-interop-confluent-');
    broker = await startSamsa({ dataDir: join(tmp, 'data') });
    const specs: Array<[string, Codec, boolean]> = [...CODECS.map((c): [string, Codec, boolean] => [c, c, false]), ['idempotent', 'snappy', true]];
    for (const [label, codec, idempotent] of specs) {
      const records = makeRecords(RECORDS, { tag: `confluent-${label}`, headers: true, tombstones: true });
      const recordsFile = join(tmp, `${label}.records.jsonl`);
      writeRecordsFile(recordsFile, records);
      topics.push({ label, codec, idempotent, name: topicName('confluent', label), records, recordsFile });
    }
  });

  after(async () => {
    if (broker) await broker.stop();
    if (tmp) removeDir(tmp);
  });

  it('reports client versions and capabilities', async (t) => {
    const info = await runPython(SCRIPT, ['info'], 30_000);
    t.diagnostic(`confluent-kafka ${info.confluent_kafka}, librdkafka ${info.librdkafka}`);
    t.diagnostic(`AdminClient.delete_records: ${info.admin_delete_records}, list_offsets: ${info.admin_list_offsets}`);
  });

  it(`creates ${CODECS.length + 1} topics with ${PARTITIONS} partitions (AdminClient.create_topics)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const r = await py('create-topics', ['--topics', topics.map((t) => t.name).join(','), '--partitions', String(PARTITIONS)]);
    assert.deepEqual(r.errors, {}, 'CreateTopics errors');
    for (const t of topics) assert.equal(r.partitions[t.name], PARTITIONS, `${t.name} partitions in metadata`);
  });

  it('sees the broker and the topics in metadata (list_topics)', { timeout: TEST_TIMEOUT_MS }, async () => {
    const md = await py('metadata');
    assert.deepEqual(md.brokers, [{ id: broker.nodeId, host: broker.host, port: broker.port }], 'brokers');
    assert.equal(md.controller_id, broker.nodeId, 'controller id');
    for (const t of topics) {
      const tm = md.topics[t.name];
      assert.ok(tm, `${t.name} missing from metadata`);
      assert.equal(tm.error, null, `${t.name} error`);
      assert.equal(Object.keys(tm.partitions).length, PARTITIONS);
      for (const p of Object.values<any>(tm.partitions)) {
        assert.equal(p.leader, broker.nodeId);
        assert.equal(p.error, null);
      }
    }
  });

  for (const label of [...CODECS, 'idempotent']) {
    it(`produces ${RECORDS} keyed records with headers and timestamps: ${label === 'idempotent' ? 'enable.idempotence=true, snappy' : `compression.type=${label}`}`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const t = byLabel(label);
      const out = join(tmp, `${label}.deliveries.jsonl`);
      const args = ['--topic', t.name, '--codec', t.codec, '--records', t.recordsFile, '--out', out];
      if (t.idempotent) args.push('--idempotent');
      const r = await py('produce', args, 240);
      const { deliveries, errors } = readDeliveries(out);
      if (errors.length > 0 || r.delivered !== RECORDS || r.undelivered !== 0) {
        fail(`delivery failed: ${JSON.stringify(r)}\n${errors.slice(0, 10).join('\n')}`);
      }
      t.deliveries = deliveries;
      assert.equal(r.timestamp_mismatches, 0, `delivery report timestamps: ${r.first_timestamp_mismatch}`);
    });
  }

  for (const label of [...CODECS, 'idempotent']) {
    it(`consumes back ${label} records identically (assign, from the beginning)`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const t = byLabel(label);
      if (!t.deliveries) return assert.fail('the produce step failed; nothing to compare with');
      const out = join(tmp, `${label}.consumed.jsonl`);
      const r = await py('consume', ['--topic', t.name, '--partitions', String(PARTITIONS), '--expect', String(RECORDS), '--out', out], 240);
      assert.deepEqual(r.errors, [], `consumer errors (${r.error_count})`);
      assert.equal(r.stop_reason, 'end', `consumer stopped: ${r.stop_reason}, after ${r.consumed} records`);
      const result = verifyRoundTrip(t.records, t.deliveries, readConsumed(out), { partitions: PARTITIONS });
      if (result.problems.length > 0) fail(describeProblems(`consume ${t.name}`, result));
      // librdkafka: 0 = NOT_AVAILABLE, 1 = CREATE_TIME, 2 = LOG_APPEND_TIME
      assert.deepEqual(r.timestamp_types, { '1': RECORDS }, 'all timestamps are CreateTime');
      t.result = result;
    });
  }

  it('consumes as a consumer group (subscribe) and commits the final offsets', { timeout: TEST_TIMEOUT_MS }, async () => {
    const t = byLabel('gzip');
    if (!t.deliveries) return assert.fail('the produce step failed; nothing to compare with');
    const out = join(tmp, 'group.consumed.jsonl');
    const group = `interop-confluent-group-${Date.now()}`;
    const r = await py('consume', ['--topic', t.name, '--group', group, '--partitions', String(PARTITIONS), '--expect', String(RECORDS), '--out', out], 180);
    assert.deepEqual(r.errors, [], 'consumer errors');
    assert.equal(r.stop_reason, 'end', `group consumer stopped: ${r.stop_reason}, after ${r.consumed} records`);
    assert.deepEqual(r.assignment, [0, 1, 2], 'the only member is assigned every partition');
    const result = verifyRoundTrip(t.records, t.deliveries, readConsumed(out), { partitions: PARTITIONS });
    if (result.problems.length > 0) fail(describeProblems(`group consume ${t.name}`, result));
    assert.equal(r.commit_error, undefined, 'commit');
    assert.equal(r.committed_error, undefined, 'committed()');
    const expected = Object.fromEntries(result.counts.map((c, p) => [String(p), c]));
    assert.deepEqual(r.committed, expected, 'committed offsets = end of each partition');
  });

  it('lists offsets: watermarks and offsets_for_times', { timeout: TEST_TIMEOUT_MS }, async () => {
    const t = byLabel('none');
    if (!t.deliveries) return assert.fail('the produce step failed; no reference data');
    const view = partitionView(t.records, t.deliveries, PARTITIONS);
    const base = t.records[0].timestamp;
    const targets = [base - 1000, base + Math.floor(RECORDS / 2), base + Math.floor((RECORDS * 3) / 4) + 1, base + RECORDS + 60_000];
    const r = await py('offsets', ['--topic', t.name, '--partitions', String(PARTITIONS), '--timestamps', targets.join(',')]);
    assert.equal(r.errors, undefined, 'offsets_for_times errors');
    const watermarks = Object.fromEntries(view.counts.map((c, p) => [String(p), [0, c]]));
    assert.deepEqual(r.watermarks, watermarks, 'get_watermark_offsets = [0, records in partition]');
    for (const ts of targets) {
      const expected: Record<string, number> = Object.fromEntries(expectedOffsetsForTimestamp(view.byPartition, ts).map((o, p) => [String(p), o]));
      assert.deepEqual(r.by_timestamp[String(ts)], expected, `offsets_for_times(${ts}) (-1 = none)`);
    }
  });

  it('describes and alters topic configs (retention.ms)', { timeout: TEST_TIMEOUT_MS }, async () => {
    const t = byLabel('lz4');
    const before = await py('describe-configs', ['--topic', t.name]);
    const c = before.configs;
    for (const name of ['retention.ms', 'cleanup.policy', 'segment.bytes', 'max.message.bytes', 'compression.type']) {
      assert.ok(c[name], `describe_configs lacks ${name}; got ${Object.keys(c).join(', ')}`);
    }
    assert.equal(c['retention.ms'].value, '604800000', 'default retention.ms');
    assert.equal(c['cleanup.policy'].value, 'delete');
    assert.equal(c['retention.ms'].default, true, 'retention.ms is a default');
    const altered = await py('alter-configs', ['--topic', t.name, '--set', 'retention.ms=1234567890']);
    assert.equal(altered.error, null, 'alter_configs error');
    const after = await py('describe-configs', ['--topic', t.name]);
    assert.equal(after.configs['retention.ms'].value, '1234567890', 'retention.ms after alter_configs');
    assert.equal(after.configs['retention.ms'].source, 'DYNAMIC_TOPIC_CONFIG', 'retention.ms source');
    assert.equal(after.configs['retention.ms'].default, false);
    assert.equal(after.configs['cleanup.policy'].value, 'delete', 'other configs unchanged');
  });

  it('deletes records (AdminClient.delete_records, if this client version has it)', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const topic = byLabel('zstd');
    const r = await py('delete-records', ['--topic', topic.name, '--offsets', '0:10,1:0']);
    if (!r.supported) {
      // Not a skip of the broker feature: kafkajs and @platformatic/kafka test DeleteRecords.
      t.diagnostic(`${r.reason}; DeleteRecords is covered by the kafkajs and platformatic tests`);
      return;
    }
    assert.equal(r.partitions['0'].low_watermark, 10);
    const offsets = await py('offsets', ['--topic', topic.name, '--partitions', String(PARTITIONS)]);
    assert.equal(offsets.watermarks['0'][0], 10, 'new earliest offset of partition 0');
  });

  it('deletes topics (AdminClient.delete_topics) and they are gone', { timeout: TEST_TIMEOUT_MS }, async () => {
    const names = topics.map((t) => t.name);
    const r = await py('delete-topics', ['--topics', names.join(',')], 30);
    assert.deepEqual(r.errors, {}, 'DeleteTopics errors');
    assert.deepEqual(r.remaining, [], 'topics still listed after deletion');
  });

  it('shuts down cleanly on SIGTERM, with no failed request in its log', { timeout: TEST_TIMEOUT_MS }, async () => {
    const code = await broker.stop();
    assert.equal(code, 0, `exit code\n${broker.logTail().slice(-4000)}`);
    assert.deepEqual(broker.logProblems(), [], 'the broker log shows failed requests or internal errors');
  });
});
