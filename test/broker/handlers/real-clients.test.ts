// Produce, Fetch, ListOffsets, DeleteRecords and InitProducerId as real clients use
// them, against an in-process broker: kafkajs, kcat (librdkafka), confluent-kafka
// and kafka-python. A missing tool fails the test (the CI image installs them).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import { dataPlane } from '../../../src/broker/fetch/state.ts';
import type { TestBroker } from './data-plane-helpers.ts';
import { startTestBroker } from './data-plane-helpers.ts';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');
const PYTHON = '/usr/bin/python3';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program without blocking the event loop (the broker lives in this process). */
function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    p.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} could not run (is it installed?): ${e.message}`));
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    p.stdin.end(opts.input ?? '');
  });
}

function python(script: string, args: string[], timeoutMs = 120_000): Promise<Run> {
  return run(PYTHON, ['-c', script, ...args], { timeoutMs });
}

/** Consumes [from, end) of one partition with kcat (assign mode, no group). */
async function kcatConsume(bootstrap: string, topic: string, partition = 0, from: string = 'beginning'): Promise<string[]> {
  const r = await run('kcat', ['-C', '-b', bootstrap, '-t', topic, '-p', String(partition), '-o', from, '-e', '-q', '-f', '%o|%k|%s\\n']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

let tb: TestBroker;
let kafka: InstanceType<typeof Kafka>;

before(async () => {
  tb = await startTestBroker({ 'num.partitions': 1 });
  kafka = new Kafka({ clientId: 'samsa-test', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
});

after(async () => {
  await tb.close();
});

describe('real clients', () => {
  test('kafkajs producer with acks 1, -1 and 0; kcat reads everything back', async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    try {
      const r1 = await producer.send({ topic: 'kjs', acks: 1, messages: [{ key: 'k1', value: 'one' }, { key: 'k2', value: 'two' }] });
      assert.equal(r1[0]!.errorCode, 0);
      assert.equal(r1[0]!.baseOffset, '0');
      const r2 = await producer.send({ topic: 'kjs', acks: -1, messages: [{ key: 'k3', value: 'three' }] });
      assert.equal(r2[0]!.baseOffset, '2');
      await producer.send({ topic: 'kjs', acks: 0, messages: [{ key: 'k4', value: 'four' }] });
      // acks=0 has no answer: an acked send after it on the same connection proves it landed first.
      const r4 = await producer.send({ topic: 'kjs', acks: 1, messages: [{ key: 'k5', value: 'five' }] });
      assert.equal(r4[0]!.baseOffset, '4');
    } finally {
      await producer.disconnect();
    }
    assert.deepEqual(await kcatConsume(tb.bootstrap, 'kjs'), ['0|k1|one', '1|k2|two', '2|k3|three', '3|k4|four', '4|k5|five']);
  });

  test('kafkajs admin: offsets by timestamp, deleteTopicRecords moves the earliest offset', async () => {
    const producer = kafka.producer();
    await producer.connect();
    const t0 = Date.now();
    await producer.send({ topic: 'kjs-del', messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, timestamp: String(t0 + i * 1000) })) });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    try {
      assert.deepEqual(await admin.fetchTopicOffsets('kjs-del'), [{ partition: 0, offset: '10', high: '10', low: '0' }]);
      assert.deepEqual(await admin.fetchTopicOffsetsByTimestamp('kjs-del', t0 + 3500), [{ partition: 0, offset: '4' }]);
      await admin.deleteTopicRecords({ topic: 'kjs-del', partitions: [{ partition: 0, offset: '6' }] });
      assert.deepEqual(await admin.fetchTopicOffsets('kjs-del'), [{ partition: 0, offset: '10', high: '10', low: '6' }]);
      await admin.deleteTopicRecords({ topic: 'kjs-del', partitions: [{ partition: 0, offset: '-1' }] });
      assert.deepEqual(await admin.fetchTopicOffsets('kjs-del'), [{ partition: 0, offset: '10', high: '10', low: '10' }]);
    } finally {
      await admin.disconnect();
    }
    // A consumer from the beginning now starts at 10 and sees nothing.
    assert.deepEqual(await kcatConsume(tb.bootstrap, 'kjs-del'), []);
  });

  test('kcat produce → consume, every codec, keys; offsets by time with kcat -Q', async () => {
    tb.broker.topics.create('kc');
    const lines = Array.from({ length: 200 }, (_, i) => `key${i}\tvalue-${i}`).join('\n') + '\n';
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
      const r = await run('kcat', ['-P', '-b', tb.bootstrap, '-t', 'kc', '-p', '0', '-K', '\t', '-z', codec], { input: lines });
      assert.equal(r.code, 0, r.stderr);
    }
    const got = await kcatConsume(tb.bootstrap, 'kc');
    assert.equal(got.length, 1000);
    got.forEach((l, i) => assert.equal(l, `${i}|key${i % 200}|value-${i % 200}`));
    const end = await run('kcat', ['-Q', '-b', tb.bootstrap, '-t', 'kc:0:-1']);
    assert.match(end.stdout, /kc \[0\] offset 1000/);
    const past = await run('kcat', ['-Q', '-b', tb.bootstrap, '-t', `kc:0:${Date.now() - 3_600_000}`]);
    assert.match(past.stdout, /kc \[0\] offset 0/);
    const future = await run('kcat', ['-Q', '-b', tb.bootstrap, '-t', `kc:0:${Date.now() + 3_600_000}`]);
    assert.match(future.stdout, /kc \[0\] offset -1/);
    // A consumer from "end - 5".
    assert.equal((await kcatConsume(tb.bootstrap, 'kc', 0, '-5')).length, 5);
  });

  test('confluent-kafka idempotent producer, then a consumer; offsets_for_times', async () => {
    tb.broker.topics.create('ck', { partitions: 3 });
    const script = `
import sys, json, time
from confluent_kafka import Producer, Consumer, TopicPartition
bs, topic = sys.argv[1], sys.argv[2]
p = Producer({'bootstrap.servers': bs, 'enable.idempotence': True, 'linger.ms': 5, 'compression.type': 'lz4'})
errors = []
def cb(err, msg):
    if err is not None: errors.append(str(err))
t0 = int(time.time() * 1000)
N = 20000
for i in range(N):
    while True:
        try:
            p.produce(topic, key=str(i).encode(), value=('v%d' % i).encode(), partition=i % 3, timestamp=t0 + i, on_delivery=cb)
            break
        except BufferError:
            p.poll(0.05)
p.flush(60)
c = Consumer({'bootstrap.servers': bs, 'group.id': 'unused', 'enable.auto.commit': False, 'enable.partition.eof': True})
c.assign([TopicPartition(topic, i, 0) for i in range(3)])
seen = {}
eof = set()
deadline = time.time() + 60
while len(eof) < 3 and time.time() < deadline:
    m = c.poll(1.0)
    if m is None: continue
    if m.error():
        if m.error().code() == -191: eof.add(m.partition()); continue
        errors.append(str(m.error())); break
    seen.setdefault(m.partition(), []).append((m.offset(), int(m.key()), m.value().decode(), m.timestamp()[1]))
times = c.offsets_for_times([TopicPartition(topic, 1, t0 + 3001)], 10)
c.close()
ok = all([o for o, _, _, _ in seen.get(pt, [])] == list(range(len(seen.get(pt, [])))) for pt in range(3))
vals = sorted(k for pt in seen for _, k, _, _ in seen[pt])
print(json.dumps({'errors': errors[:5], 'count': sum(len(v) for v in seen.values()), 'contiguous': ok,
                  'unique': vals == list(range(N)), 'tsok': all(ts == t0 + k for pt in seen for _, k, _, ts in seen[pt]),
                  'times': [(t.partition, t.offset) for t in times]}))
`;
    const r = await python(script, [tb.bootstrap, 'ck']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.deepEqual(out.errors, []);
    assert.equal(out.count, 20000);
    assert.equal(out.contiguous, true);
    assert.equal(out.unique, true);
    assert.equal(out.tsok, true);
    // Partition 1 holds keys 1, 4, 7, ...: the first with timestamp ≥ t0+3001 is key 3001 at offset 1000.
    assert.deepEqual(out.times, [[1, 1000]]);
    // The idempotent producer's state is visible per partition.
    const st = tb.broker.logs.getLog('ck', 0)!.producerState.activeProducers;
    assert.equal(st.size, 1);
  });

  test('kafka-python consumer long-polls: a fetch waiting for data answers as soon as it comes', async () => {
    tb.broker.topics.create('lpoll');
    const script = `
import sys, json, time
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
bs = sys.argv[1]
c = KafkaConsumer(bootstrap_servers=bs, group_id=None, fetch_max_wait_ms=20000, fetch_min_bytes=1, enable_auto_commit=False, api_version_auto_timeout_ms=10000)
tp = TopicPartition('lpoll', 0)
c.assign([tp])
c.seek(tp, 0)
c.poll(timeout_ms=1500)  # the first fetch is now parked in the broker's purgatory
p = KafkaProducer(bootstrap_servers=bs, acks=1)
t0 = time.time()
p.send('lpoll', b'wake-up').get(10)
got = None
while time.time() - t0 < 15 and got is None:
    for recs in c.poll(timeout_ms=100).values():
        for m in recs: got = m.value.decode()
print(json.dumps({'value': got, 'latency': time.time() - t0}))
p.close(); c.close()
`;
    const r = await python(script, [tb.bootstrap]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.equal(out.value, 'wake-up');
    // fetch_max_wait_ms is 20 s: an answer well before proves the append completed the waiting fetch.
    assert.ok(out.latency < 5, `latency ${out.latency}s`);
  });

  test('@platformatic/kafka: producer, and fetches in an incremental fetch session (KIP-227)', async () => {
    tb.broker.topics.create('pk', { partitions: 2 });
    const hex = Buffer.from(tb.broker.topics.get('pk')!.topicId, 'base64url').toString('hex');
    const topicId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    const producer = new Producer({ clientId: 'p', bootstrapBrokers: [tb.bootstrap], serializers: stringSerializers });
    const consumer = new Consumer({ clientId: 'c', groupId: 'unused', bootstrapBrokers: [tb.bootstrap], maxWaitTime: 200 });
    try {
      const sent = await producer.send({ messages: [{ topic: 'pk', key: 'a', value: 'A', partition: 0 }, { topic: 'pk', key: 'b', value: 'B', partition: 1 }] });
      assert.deepEqual(sent.offsets?.map((o) => [o.partition, o.offset]), [[0, 0n], [1, 0n]]);
      const sessions = dataPlane(tb.broker).fetchSessions;
      const before = sessions.size;
      const fetch = async (offsets: bigint[]) => {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const res: any = await consumer.fetch({
          node: tb.broker.nodeId,
          topics: [{ topicId, partitions: offsets.map((o, p) => ({ partition: p, fetchOffset: o, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 })) }],
        });
        const parts: [number, string[]][] = [];
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        for (const t of res.responses) for (const p of t.partitions) parts.push([p.partitionIndex, (p.records ?? []).flatMap((b: any) => b.records.map((r: any) => r.value.toString()))]);
        return { sessionId: res.sessionId as number, parts };
      };
      const f0 = await fetch([0n, 0n]);
      assert.notEqual(f0.sessionId, 0);
      assert.equal(sessions.size, before + 1);
      assert.deepEqual(f0.parts, [[0, ['A']], [1, ['B']]]);
      // Incremental: nothing new, so nothing is answered (after max wait).
      const f1 = await fetch([1n, 1n]);
      assert.equal(f1.sessionId, f0.sessionId);
      assert.deepEqual(f1.parts, []);
      await producer.send({ messages: [{ topic: 'pk', key: 'c', value: 'C', partition: 1 }] });
      const f2 = await fetch([1n, 1n]);
      assert.equal(f2.sessionId, f0.sessionId);
      assert.deepEqual(f2.parts, [[1, ['C']]]);
      assert.equal(sessions.get(f0.sessionId)!.epoch, 3);
    } finally {
      await consumer.close();
      await producer.close();
    }
  });
});
