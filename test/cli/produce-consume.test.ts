import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultPartition } from '../../src/protocol/murmur2.ts';
import { FetchApi, InitProducerIdApi, ListOffsetsApi, ProduceApi } from '../../src/protocol/generated/api-keys.ts';
import { BrokerConnection } from '../../src/client/network/broker-connection.ts';
import { iterateRecordSet } from '../../src/protocol/records/record-set.ts';
import { startTestBroker } from '../client/helpers.ts';
import type { TestBroker } from '../client/helpers.ts';
import { brokerSupports, run, samsa } from './helpers.ts';

const KCAT = '/usr/bin/kcat';

describe('samsa produce / samsa consume', () => {
  let b: TestBroker;
  let bs: string[];
  let canProduce = false;
  let canFetch = false;
  let canListOffsets = false;
  before(async () => {
    b = await startTestBroker({ 'auto.create.topics.enable': false });
    for (const [name, partitions] of [['keyed', 3], ['plain', 1], ['codecs', 1], ['headers', 1], ['kcat-to-samsa', 1], ['ends', 2], ['idem', 1], ['kcat-keyed', 4]] as const) {
      b.broker.topics.create(name, { partitions });
    }
    bs = ['--bootstrap-server', b.bootstrap];
    canProduce = await brokerSupports(b.host, b.port, [ProduceApi]);
    canFetch = await brokerSupports(b.host, b.port, [FetchApi]);
    canListOffsets = await brokerSupports(b.host, b.port, [ListOffsetsApi]);
  });
  after(async () => {
    await b.close();
  });

  /** Reads a partition from offset 0 (no ListOffsets needed). */
  function consumeFrom0(topic: string, partition: number, count: number, props: string[] = []): ReturnType<typeof samsa> {
    return samsa(['consume', ...bs, '--topic', topic, '--partition', String(partition), '--offset', '0', '--max-messages', String(count), '--timeout-ms', '10000', ...props.flatMap((p) => ['--property', p])]);
  }

  it('places keyed records with murmur2 like the Java client, and reads them back in order', async (t) => {
    if (!canProduce || !canFetch) return t.skip('no Produce/Fetch handler yet');
    const lines = Array.from({ length: 300 }, (_, i) => `key-${i % 37}:value-${i}`);
    const p = await samsa(['produce', ...bs, '--topic', 'keyed', '--property', 'parse.key=true', '--property', 'key.separator=:'], { input: `${lines.join('\n')}\n` });
    assert.equal(p.code, 0, p.stderr);
    const expected = new Map<number, string[]>([[0, []], [1, []], [2, []]]);
    for (const l of lines) {
      const [k, v] = l.split(':');
      expected.get(defaultPartition(Buffer.from(k!), 3))!.push(`${k}\t${v}`);
    }
    for (const [partition, want] of expected) {
      const c = await consumeFrom0('keyed', partition, want.length, ['print.key=true']);
      assert.equal(c.code, 0, c.stderr);
      assert.deepEqual(c.stdout.trimEnd().split('\n'), want, `partition ${partition}`);
      assert.match(c.stderr, new RegExp(`Processed a total of ${want.length} messages`));
    }
  });

  it('prints timestamp, partition, offset, headers, key and value as DefaultMessageFormatter does', async (t) => {
    if (!canProduce || !canFetch) return t.skip('no Produce/Fetch handler yet');
    const before = Date.now();
    const p = await samsa(['produce', ...bs, '--topic', 'headers', '--property', 'parse.key=true', '--property', 'parse.headers=true', '--property', 'null.marker=NULL'], {
      input: 'h1:v1,h2:v2\tk1\tone\n\tNULL\ttwo\n',
    });
    assert.equal(p.code, 0, p.stderr);
    const c = await consumeFrom0('headers', 0, 2, ['print.timestamp=true', 'print.partition=true', 'print.offset=true', 'print.headers=true', 'print.key=true', 'key.separator=|']);
    assert.equal(c.code, 0, c.stderr);
    const lines = c.stdout.trimEnd().split('\n');
    const m = /^CreateTime:(\d+)\|Partition:0\|Offset:0\|h1:v1,h2:v2\|k1\|one$/.exec(lines[0]!);
    assert.ok(m, lines[0]);
    assert.ok(Number(m[1]) >= before - 1000 && Number(m[1]) <= Date.now());
    assert.match(lines[1]!, /^CreateTime:\d+\|Partition:0\|Offset:1\|NO_HEADERS\|null\|two$/);
  });

  it('produces with every compression codec', async (t) => {
    if (!canProduce || !canFetch) return t.skip('no Produce/Fetch handler yet');
    const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
    for (const codec of codecs) {
      const input = Array.from({ length: 50 }, (_, i) => `${codec}-${i}-${'x'.repeat(i)}`).join('\n');
      const p = await samsa(['produce', ...bs, '--topic', 'codecs', '--compression-codec', codec], { input });
      assert.equal(p.code, 0, `${codec}: ${p.stderr}`);
    }
    const c = await consumeFrom0('codecs', 0, 250);
    assert.equal(c.code, 0, c.stderr);
    const got = c.stdout.trimEnd().split('\n');
    assert.equal(got.length, 250);
    assert.deepEqual(got.slice(50, 53), ['gzip-0-', 'gzip-1-x', 'gzip-2-xx']);
    assert.equal(got[249], `zstd-49-${'x'.repeat(49)}`);
  });

  it('acks=0, acks=1 and --sync all deliver', async (t) => {
    if (!canProduce || !canFetch) return t.skip('no Produce/Fetch handler yet');
    const a0 = await samsa(['produce', ...bs, '--topic', 'plain', '--request-required-acks', '0'], { input: 'zero-1\nzero-2\n' });
    assert.equal(a0.code, 0, a0.stderr);
    const a1 = await samsa(['produce', ...bs, '--topic', 'plain', '--producer-property', 'acks=1', '--producer-property', 'linger.ms=0'], { input: 'one-1\n' });
    assert.equal(a1.code, 0, a1.stderr);
    const sync = await samsa(['produce', ...bs, '--topic', 'plain', '--sync'], { input: 'sync-1\nsync-2\n' });
    assert.equal(sync.code, 0, sync.stderr);
    const c = await consumeFrom0('plain', 0, 5);
    assert.equal(c.code, 0, c.stderr);
    assert.deepEqual(c.stdout.trimEnd().split('\n'), ['zero-1', 'zero-2', 'one-1', 'sync-1', 'sync-2']);
    const bad = await samsa(['produce', ...bs, '--topic', 'plain', '--producer-property', 'acks=2'], { input: 'x\n' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Invalid value 2 for configuration acks/);
  });

  it('is idempotent by default with acks=all (producer id and sequences), not with enable.idempotence=false', async (t) => {
    if (!canProduce || !canFetch || !(await brokerSupports(b.host, b.port, [InitProducerIdApi]))) return t.skip('no InitProducerId handler yet');
    // 40-byte values: the client sizes a batch at least 125 bytes (header + 64), so two records fill one.
    const p1 = await samsa(['produce', ...bs, '--topic', 'idem', '--batch-size', '100'], { input: ['a', 'b', 'c', 'd', 'e'].map((c) => c.repeat(40)).join('\n') + '\n' });
    assert.equal(p1.code, 0, p1.stderr);
    const p2 = await samsa(['produce', ...bs, '--topic', 'idem', '--producer-property', 'enable.idempotence=false'], { input: 'f\n' });
    assert.equal(p2.code, 0, p2.stderr);
    const bad = await samsa(['produce', ...bs, '--topic', 'idem', '--producer-property', 'enable.idempotence=true', '--producer-property', 'acks=1'], { input: 'g\n' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Must set acks to all/);
    const conn = await BrokerConnection.connect({ host: b.host, port: b.port });
    try {
      const topicId = b.broker.topics.get('idem')!.topicId;
      const res = await conn.send(FetchApi, { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, sessionEpoch: -1, topics: [{ topic: 'idem', topicId, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] });
      const batches = [...iterateRecordSet(res.responses[0]!.partitions[0]!.records!)];
      const idempotent = batches.filter((x) => x.header.producerId >= 0n);
      assert.ok(idempotent.length >= 2, 'batch.size 100 splits the five records');
      assert.ok(idempotent.every((x) => x.header.producerId === idempotent[0]!.header.producerId));
      let expectedSequence = 0;
      for (const x of idempotent) {
        assert.equal(x.header.baseSequence, expectedSequence);
        expectedSequence += x.header.recordCount;
      }
      assert.equal(expectedSequence, 5);
      const last = batches[batches.length - 1]!;
      assert.equal(last.header.producerId, -1n);
      assert.equal(last.records[0]!.value!.toString(), 'f');
    } finally {
      conn.close();
    }
  });

  it('fails with the Kafka error name when the topic does not exist', async () => {
    const p = await samsa(['produce', ...bs, '--topic', 'no-such-topic'], { input: 'x\n' });
    assert.equal(p.code, 1);
    assert.match(p.stderr, /UNKNOWN_TOPIC_OR_PARTITION/);
    const c = await samsa(['consume', ...bs, '--topic', 'no-such-topic', '--partition', '0', '--offset', '0', '--timeout-ms', '1000']);
    assert.equal(c.code, 1);
    assert.match(c.stderr, /UNKNOWN_TOPIC_OR_PARTITION/);
  });

  it('refuses a line without the key separator, as Kafka does', async (t) => {
    if (!canProduce) return t.skip('no Produce handler yet');
    const p = await samsa(['produce', ...bs, '--topic', 'plain', '--property', 'parse.key=true'], { input: 'no separator here\n' });
    assert.equal(p.code, 1);
    assert.match(p.stderr, /No key separator found on line number 1: 'no separator here'/);
  });

  it('rejects consumer usage errors', async () => {
    // --group works now (test/cli/console-client.test.ts); with --partition it is refused, as Kafka does.
    const g = await samsa(['consume', ...bs, '--topic', 'plain', '--group', 'g1', '--partition', '0']);
    assert.equal(g.code, 1);
    assert.match(g.stderr, /Options group and partition cannot be specified together/);
    const o = await samsa(['consume', ...bs, '--topic', 'plain', '--offset', '3']);
    assert.equal(o.code, 1);
    assert.match(o.stderr, /The partition is required when offset is specified/);
    const bad = await samsa(['consume', ...bs, '--topic', 'plain', '--partition', '0', '--offset', 'soon']);
    assert.equal(bad.code, 1);
  });

  it('--from-beginning, --offset latest and --timeout-ms', async (t) => {
    if (!canProduce || !canFetch || !canListOffsets) return t.skip('no ListOffsets handler yet');
    const p = await samsa(['produce', ...bs, '--topic', 'ends'], { input: 'a\nb\nc\nd\n' });
    assert.equal(p.code, 0, p.stderr);
    const all = await samsa(['consume', ...bs, '--topic', 'ends', '--from-beginning', '--max-messages', '4', '--timeout-ms', '10000']);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(all.stdout.trimEnd().split('\n').sort(), ['a', 'b', 'c', 'd']);
    const latest = await samsa(['consume', ...bs, '--topic', 'ends', '--timeout-ms', '1500']);
    assert.equal(latest.code, 0, latest.stderr);
    assert.equal(latest.stdout, '');
    assert.match(latest.stderr, /Processed a total of 0 messages/);
  });

  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    it(`records written by samsa produce (${codec}) are read by kcat`, async (t) => {
      if (!canProduce || !canFetch || !canListOffsets) return t.skip('kcat needs ListOffsets, not in the broker yet');
      const topic = `samsa-to-kcat-${codec}`;
      b.broker.topics.create(topic, { partitions: 2 });
      const lines = Array.from({ length: 200 }, (_, i) => `k${i % 11}=v${i}`);
      const p = await samsa(['produce', ...bs, '--topic', topic, '--property', 'parse.key=true', '--property', 'key.separator==', '--compression-codec', codec], { input: lines.join('\n') });
      assert.equal(p.code, 0, p.stderr);
      const k = await run(KCAT, ['-C', '-b', b.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k:%s:%p\n']);
      assert.equal(k.code, 0, k.stderr);
      const got = k.stdout.trimEnd().split('\n');
      assert.equal(got.length, 200);
      const want = lines.map((l) => {
        const [key, value] = l.split('=');
        return `${key}:${value}:${defaultPartition(Buffer.from(key!), 2)}`;
      });
      assert.deepEqual([...got].sort(), [...want].sort(), 'same records, each in the partition the Java client picks');
    });
  }

  it('records written by kcat are read by samsa consume', async (t) => {
    if (!canProduce || !canFetch) return t.skip('no Produce/Fetch handler yet');
    const lines = Array.from({ length: 100 }, (_, i) => `key${i}:value ${i}`);
    const k = await run(KCAT, ['-P', '-b', b.bootstrap, '-t', 'kcat-to-samsa', '-p', '0', '-K', ':', '-z', 'snappy'], { input: `${lines.join('\n')}\n` });
    assert.equal(k.code, 0, k.stderr);
    const c = await consumeFrom0('kcat-to-samsa', 0, 100, ['print.key=true', 'key.separator=:']);
    assert.equal(c.code, 0, c.stderr);
    assert.deepEqual(c.stdout.trimEnd().split('\n'), lines);
  });

  it('kcat (librdkafka murmur2 partitioner) and samsa produce put each key in the same partition', async (t) => {
    if (!canProduce || !canFetch || !canListOffsets) return t.skip('no ListOffsets handler yet');
    const keys = Array.from({ length: 60 }, (_, i) => `user-${i * 7919}`);
    const k = await run(KCAT, ['-P', '-b', b.bootstrap, '-t', 'kcat-keyed', '-K', ':', '-X', 'partitioner=murmur2_random'], { input: `${keys.map((x) => `${x}:kcat`).join('\n')}\n` });
    assert.equal(k.code, 0, k.stderr);
    const p = await samsa(['produce', ...bs, '--topic', 'kcat-keyed', '--property', 'parse.key=true', '--property', 'key.separator=:'], { input: keys.map((x) => `${x}:samsa`).join('\n') });
    assert.equal(p.code, 0, p.stderr);
    const c = await samsa(['consume', ...bs, '--topic', 'kcat-keyed', '--from-beginning', '--max-messages', '120', '--timeout-ms', '10000', '--property', 'print.partition=true', '--property', 'print.key=true']);
    assert.equal(c.code, 0, c.stderr);
    const partitionsByKey = new Map<string, Set<string>>();
    for (const line of c.stdout.trimEnd().split('\n')) {
      const [partition, key] = line.split('\t');
      const set = partitionsByKey.get(key!) ?? new Set<string>();
      set.add(partition!);
      partitionsByKey.set(key!, set);
    }
    assert.equal(partitionsByKey.size, 60);
    for (const [key, set] of partitionsByKey) {
      assert.deepEqual([...set], [`Partition:${defaultPartition(Buffer.from(key), 4)}`], key);
    }
  });
});
