/**
 * kcat (librdkafka 2.0.2) against a fresh `samsa start`: metadata (-L), producing keyed
 * records with headers in every codec (-P -K: -H -z) into auto-created topics,
 * consuming them back (-C -o beginning -e -f) and as a consumer group (-G), offset
 * queries (-Q), and a broker restart on the same data directory.
 *
 * kcat has no admin API: topics are auto-created (num.partitions=3), and topic
 * deletion, config and delete-records checks live in the other clients' tests.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { defaultPartition } from '../../src/protocol/murmur2.ts';
import {
  CHILD_TIMEOUT_MS,
  RECORDS,
  TEST_TIMEOUT_MS,
  makeTempDir,
  removeDir,
  requireKcat,
  run,
  startSamsa,
  topicName,
} from './harness.ts';
import type { Samsa } from './harness.ts';
import {
  CODECS,
  describeProblems,
  deliveriesFromPartitions,
  expectedOffsetsForTimestamp,
  makeRecords,
  verifyRoundTrip,
} from './records.ts';
import type { Codec, ConsumedRecord, Header, TestRecord, VerifyResult } from './records.ts';

const PARTITIONS = 3;
const KCAT_TIMEOUT_MS = CHILD_TIMEOUT_MS;
const FORMAT = '%p\\t%o\\t%T\\t%K\\t%k\\t%S\\t%s\\t%h\\n';

interface Produced {
  topic: string;
  records: TestRecord[];
  headers: Header[];
  startMs: number;
  endMs: number;
  result?: VerifyResult;
}

function kcatHeaders(codec: string): Header[] {
  return [
    ['src', Buffer.from('kcat')],
    ['codec', Buffer.from(codec)],
  ];
}

/** Parses kcat -f FORMAT output; values and keys never contain tabs or newlines. */
function parseConsumed(stdout: string): ConsumedRecord[] {
  const out: ConsumedRecord[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const f = line.split('\t');
    if (f.length !== 8) throw new Error(`unparseable kcat line (${f.length} fields): ${JSON.stringify(line.slice(0, 200))}`);
    const [p, o, ts, klen, key, vlen, value, headers] = f;
    const h: Header[] = [];
    if (headers !== '') {
      for (const kv of headers.split(',')) {
        const eq = kv.indexOf('=');
        h.push([kv.slice(0, eq), Buffer.from(kv.slice(eq + 1))]);
      }
    }
    out.push({
      partition: Number(p),
      offset: Number(o),
      timestamp: Number(ts),
      key: Number(klen) === -1 ? null : Buffer.from(key),
      value: Number(vlen) === -1 ? null : Buffer.from(value),
      headers: h,
    });
  }
  return out;
}

function checkKcatTimestamps(p: Produced) {
  // kcat cannot set per-message timestamps: librdkafka stamps CreateTime at produce().
  return (ts: number): string | undefined =>
    ts >= p.startMs - 5 && ts <= p.endMs + 5 ? undefined : `outside the produce window [${p.startMs}, ${p.endMs}]`;
}

describe('kcat (librdkafka) interop', () => {
  let broker: Samsa;
  let tmp: string;
  let kcatVersion = '';
  const produced = new Map<string, Produced>();
  const overrides = { 'num.partitions': String(PARTITIONS), 'auto.create.topics.enable': 'true' };

  const kcat = (args: string[], input?: string, timeoutMs = KCAT_TIMEOUT_MS) =>
    run('kcat', ['-b', broker.bootstrap, '-m', '30', ...args], { input, timeoutMs });

  const failWithLog = (msg: string): never => assert.fail(`${msg}\n--- broker log tail ---\n${broker.logTail().slice(-4000)}`);

  before(async () => {
    kcatVersion = requireKcat();
    tmp = makeTempDir('samsa-interop-kcat-');
    broker = await startSamsa({ dataDir: join(tmp, 'data'), overrides });
  });

  after(async () => {
    if (broker) await broker.stop();
    if (tmp) removeDir(tmp);
  });

  it('lists broker metadata (-L)', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    t.diagnostic(kcatVersion);
    const r = await kcat(['-L', '-J']);
    const md = JSON.parse(r.stdout);
    const brokers: Array<{ id: number; name: string }> = md.brokers;
    assert.ok(Array.isArray(brokers) && brokers.length === 1, `expected one broker, got ${r.stdout}`);
    assert.equal(brokers[0].id, broker.nodeId, 'broker id = node.id from the ready line');
    assert.equal(brokers[0].name, `${broker.host}:${broker.port}`, 'advertised listener = bound listener');
    assert.equal(md.controllerid, broker.nodeId, 'the single node is the controller');
  });

  async function produce(label: string, codec: Codec, extra: string[] = []): Promise<void> {
    const topic = topicName('kcat', label);
    const records = makeRecords(RECORDS, { tag: `kcat-${label}`, tombstones: true });
    const input = records.map((r) => `${r.key!.toString()}:${r.value === null ? '' : r.value.toString()}\n`).join('');
    const headers = kcatHeaders(codec);
    const startMs = Date.now();
    const res = await kcat([
      '-P', '-t', topic, '-K', ':', '-Z', '-z', codec,
      ...headers.flatMap(([k, v]) => ['-H', `${k}=${v.toString()}`]),
      // The Java client's partitioner, so the expected key -> partition map is computable.
      '-X', 'topic.partitioner=murmur2_random',
      ...extra,
    ], input);
    const endMs = Date.now();
    produced.set(label, { topic, records, headers, startMs, endMs });
    if (/ERROR|[Ff]ailed/.test(res.stderr)) failWithLog(`kcat -P reported errors:\n${res.stderr.slice(0, 4000)}`);
  }

  async function consumeAndVerify(label: string, extraArgs: string[] = [], what = '-C', timeoutMs = KCAT_TIMEOUT_MS): Promise<void> {
    const p = produced.get(label);
    if (!p) return assert.fail(`nothing was produced for ${label} (the produce step failed)`);
    const args = extraArgs.length
      ? [...extraArgs, '-e', '-Z', '-f', FORMAT, p.topic]
      : ['-C', '-t', p.topic, '-o', 'beginning', '-e', '-Z', '-f', FORMAT];
    const res = await kcat(args, undefined, timeoutMs);
    const consumed = parseConsumed(res.stdout);
    const deliveries = deliveriesFromPartitions(p.records.map((r) => defaultPartition(r.key!, PARTITIONS)));
    const result = verifyRoundTrip(p.records, deliveries, consumed, {
      partitions: PARTITIONS,
      expectedHeaders: () => p.headers,
      checkTimestamp: checkKcatTimestamps(p),
    });
    for (const list of result.byPartition) {
      for (let i = 1; i < list.length; i++) {
        if (list[i].timestamp < list[i - 1].timestamp) {
          result.problems.push(`timestamps go backwards at offset ${list[i].offset}: ${list[i - 1].timestamp} -> ${list[i].timestamp}`);
          break;
        }
      }
    }
    if (result.problems.length > 0) failWithLog(describeProblems(`kcat ${what} ${p.topic}`, result) + `\nkcat stderr:\n${res.stderr.slice(-2000)}`);
    p.result ??= result;
  }

  for (const codec of CODECS) {
    it(`produces ${RECORDS} keyed records with headers, -z ${codec}, into an auto-created topic`, { timeout: TEST_TIMEOUT_MS }, async () => {
      await produce(codec, codec);
    });
  }

  it('produces with enable.idempotence=true (-z lz4)', { timeout: TEST_TIMEOUT_MS }, async () => {
    await produce('idempotent', 'lz4', ['-X', 'enable.idempotence=true']);
  });

  it(`auto-created topics have ${PARTITIONS} partitions led by the broker (-L -t)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    for (const p of produced.values()) {
      const r = await kcat(['-L', '-J', '-t', p.topic]);
      const md = JSON.parse(r.stdout);
      const topic = (md.topics as any[]).find((x) => x.topic === p.topic);
      assert.ok(topic, `topic ${p.topic} missing from metadata: ${r.stdout}`);
      assert.equal(topic.error, undefined, `metadata error for ${p.topic}: ${topic.error}`);
      assert.equal(topic.partitions.length, PARTITIONS, `${p.topic} partitions`);
      for (const part of topic.partitions) assert.equal(part.leader, broker.nodeId, `${p.topic} [${part.partition}] leader`);
    }
  });

  for (const label of [...CODECS, 'idempotent']) {
    it(`consumes back ${label} records identically, in per-partition order (-C -o beginning -e)`, { timeout: TEST_TIMEOUT_MS }, async () => {
      await consumeAndVerify(label);
    });
  }

  it('consumes as a consumer group (-G) from the beginning', { timeout: TEST_TIMEOUT_MS }, async () => {
    await consumeAndVerify('gzip', ['-G', `interop-kcat-group-${Date.now()}`, '-o', 'beginning', '-X', 'auto.offset.reset=earliest'], '-G', Math.min(KCAT_TIMEOUT_MS, 120_000));
  });

  it('queries offsets: earliest, latest and by timestamp (-Q)', { timeout: TEST_TIMEOUT_MS }, async () => {
    const p = produced.get('none');
    if (!p?.result) return assert.fail('the none-codec topic was not consumed successfully; no reference data');
    const query = async (ts: number): Promise<number[]> => {
      const args = ['-Q'];
      for (let part = 0; part < PARTITIONS; part++) args.push('-t', `${p.topic}:${part}:${ts}`);
      const r = await kcat(args);
      const got: number[] = new Array(PARTITIONS).fill(NaN);
      for (const line of r.stdout.split('\n')) {
        const m = /^(\S+) \[(\d+)\] offset (-?\d+)(.*)$/.exec(line.trim());
        if (!m) continue;
        if (m[4]) assert.fail(`-Q ${ts} partition ${m[2]}: ${m[4]}`);
        got[Number(m[2])] = Number(m[3]);
      }
      return got;
    };
    const counts = p.result.counts;
    assert.deepEqual(await query(-2), counts.map(() => 0), 'earliest offsets (timestamp -2)');
    assert.deepEqual(await query(-1), counts, 'latest offsets (timestamp -1) = records per partition');
    const mid = p.result.byPartition[0][Math.floor(p.result.byPartition[0].length / 2)].timestamp;
    for (const target of [p.startMs - 60_000, mid, p.endMs + 60_000]) {
      const expected = expectedOffsetsForTimestamp(p.result.byPartition, target);
      assert.deepEqual(await query(target), expected, `offsets for timestamp ${target} (first offset with timestamp >= target, -1 if none)`);
    }
  });

  it('shuts down cleanly on SIGTERM and serves the same data after a restart', { timeout: TEST_TIMEOUT_MS }, async () => {
    const code = await broker.stop();
    assert.equal(code, 0, `samsa exit code after SIGTERM\n${broker.logTail().slice(-4000)}`);
    broker = await startSamsa({ dataDir: broker.dataDir, overrides });
    const r = await kcat(['-L', '-J']);
    const names = new Set((JSON.parse(r.stdout).topics as any[]).map((x) => x.topic));
    for (const p of produced.values()) assert.ok(names.has(p.topic), `${p.topic} is gone after the restart`);
    await consumeAndVerify('zstd');
    await consumeAndVerify('idempotent');
  });

  it('shuts down cleanly again, with no failed request in its log', { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.equal(await broker.stop(), 0, 'exit code');
    assert.deepEqual(broker.logProblems(), [], 'the broker log shows failed requests or internal errors');
  });
});

