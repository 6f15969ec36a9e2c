/**
 * `samsa produce` / `samsa consume` on the client Producer and Consumer: what
 * the move brought (consumer groups with commits on exit, Kafka's option
 * precedence for producer configs, read_committed through the Consumer),
 * signals and end of input, and the errors Kafka's tools report (broker down,
 * unknown topic, conflicting options). Each case runs the CLI as a process
 * against a broker.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Admin } from '../../src/client/admin/admin.ts';
import { BrokerConnection } from '../../src/client/network/broker-connection.ts';
import { Producer } from '../../src/client/producer/producer.ts';
import type { ApiHandler } from '../../src/broker/handlers/api-handler.ts';
import { ConsumerGroupHeartbeatApi, FetchApi, MetadataApi } from '../../src/protocol/generated/api-keys.ts';
import type { DecodedBatch } from '../../src/protocol/records/record.ts';
import { iterateRecordSet } from '../../src/protocol/records/record-set.ts';
import { startTestBroker } from '../client/helpers.ts';
import type { TestBroker } from '../client/helpers.ts';
import { brokerSupports, samsa, spawnSamsa } from './helpers.ts';

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('samsa produce / consume on the client', () => {
  let b: TestBroker;
  let bs: string[];
  let admin: Admin;
  before(async () => {
    b = await startTestBroker({
      'auto.create.topics.enable': false,
      'group.initial.rebalance.delay.ms': 0,
      'offsets.topic.num.partitions': 3,
      'transaction.state.log.num.partitions': 3,
    });
    for (const [name, partitions] of [['grp', 3], ['grp-sig', 2], ['grp-848', 2], ['acks', 1], ['sig', 1], ['txn', 1], ['eof', 1]] as const) {
      b.broker.topics.create(name, { partitions });
    }
    bs = ['--bootstrap-server', b.bootstrap];
    admin = new Admin({ bootstrapServers: b.bootstrap });
  });
  after(async () => {
    admin.close();
    await b.close();
  });

  /** The group's committed offsets by partition. */
  async function committed(group: string): Promise<Map<number, bigint | null>> {
    const [res] = await admin.listConsumerGroupOffsets([group]);
    assert.equal(res!.error, null);
    return new Map(res!.offsets.map((o) => [o.partition, o.offset]));
  }

  /** Counts the Metadata requests naming `topic` the broker answers, until `restore()`. */
  function metadataRequestsFor(topic: string): { count(): number; restore(): void } {
    const handlers = b.broker.handlers as Map<number, ApiHandler>;
    const original = handlers.get(MetadataApi.apiKey)!;
    let n = 0;
    handlers.set(MetadataApi.apiKey, {
      ...original,
      handle(ctx, req: { topics: { name: string | null }[] | null }) {
        if (req.topics?.some((t) => t.name === topic)) n++;
        return original.handle(ctx, req);
      },
    });
    return { count: () => n, restore: () => void handlers.set(MetadataApi.apiKey, original) };
  }

  /** Raw batches of a partition, as the broker stored them. */
  async function batches(topic: string, partition = 0): Promise<DecodedBatch[]> {
    const conn = await BrokerConnection.connect({ host: b.host, port: b.port });
    try {
      const topicId = b.broker.topics.get(topic)!.topicId;
      const res = await conn.send(FetchApi, { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, sessionEpoch: -1, topics: [{ topic, topicId, partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] });
      const records = res.responses[0]!.partitions[0]!.records;
      return records === null ? [] : [...iterateRecordSet(records)];
    } finally {
      conn.close();
    }
  }

  it('--group: commits exactly what it printed (--max-messages), leaves the group; the next run goes on from there', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `k${i % 7}:v${i}`);
    const p = await samsa(['produce', ...bs, '--topic', 'grp', '--property', 'parse.key=true', '--property', 'key.separator=:'], { input: `${lines.join('\n')}\n` });
    assert.equal(p.code, 0, p.stderr);
    const fmt = ['--property', 'print.partition=true', '--property', 'print.offset=true'];
    const first = await samsa(['consume', ...bs, '--topic', 'grp', '--group', 'cg1', '--from-beginning', '--max-messages', '10', ...fmt]);
    assert.equal(first.code, 0, first.stderr);
    const printed1 = first.stdout.trimEnd().split('\n');
    assert.equal(printed1.length, 10);
    assert.match(first.stderr, /Processed a total of 10 messages/);
    // Per partition: one past the last printed offset, or 0 where nothing was printed.
    const next = new Map<number, bigint>([[0, 0n], [1, 0n], [2, 0n]]);
    for (const l of printed1) {
      const m = /^Partition:(\d+)\tOffset:(\d+)\tv\d+$/.exec(l);
      assert.ok(m, l);
      next.set(Number(m[1]), BigInt(m[2]!) + 1n);
    }
    const c1 = await committed('cg1');
    for (const [partition, offset] of next) assert.equal(c1.get(partition) ?? 0n, offset, `partition ${partition}`);
    const [d1] = await admin.describeConsumerGroups(['cg1']);
    assert.equal(d1!.state, 'Empty');
    assert.equal(d1!.members.length, 0, 'the member left the group on exit');

    // No --from-beginning: the committed offsets decide; every record exactly once over both runs.
    const second = await samsa(['consume', ...bs, '--topic', 'grp', '--group', 'cg1', '--timeout-ms', '3000', ...fmt]);
    assert.equal(second.code, 0, second.stderr);
    const printed2 = second.stdout.trimEnd().split('\n');
    assert.equal(printed2.length, 20, second.stdout);
    const all = [...printed1, ...printed2];
    assert.equal(new Set(all).size, 30);
    assert.deepEqual(all.map((l) => l.split('\t')[2]).sort(), lines.map((l) => l.split(':')[1]).sort());
    const c2 = await committed('cg1');
    // Offsets start at 0 with no gaps: the log end of each partition is its record count.
    for (const partition of [0, 1, 2]) assert.equal(c2.get(partition) ?? 0n, BigInt(all.filter((l) => l.startsWith(`Partition:${partition}\t`)).length));
  });

  it('--group with group.protocol=consumer (KIP-848) commits and leaves too', async (t) => {
    if (!(await brokerSupports(b.host, b.port, [ConsumerGroupHeartbeatApi]))) return t.skip('no ConsumerGroupHeartbeat handler');
    const p = await samsa(['produce', ...bs, '--topic', 'grp-848'], { input: 'a\nb\nc\nd\n' });
    assert.equal(p.code, 0, p.stderr);
    const c = await samsa(['consume', ...bs, '--topic', 'grp-848', '--consumer-property', 'group.id=cg848', '--consumer-property', 'group.protocol=consumer', '--from-beginning', '--max-messages', '4']);
    assert.equal(c.code, 0, c.stderr);
    assert.deepEqual(c.stdout.trimEnd().split('\n').sort(), ['a', 'b', 'c', 'd']);
    const offsets = await committed('cg848');
    assert.equal([...offsets.values()].reduce<bigint>((n, o) => n + (o ?? 0n), 0n), 4n);
  });

  it('SIGINT / SIGTERM: a group consumer stops, commits what it printed, leaves, exits 0', async () => {
    const p = await samsa(['produce', ...bs, '--topic', 'grp-sig'], { input: Array.from({ length: 12 }, (_, i) => `r${i}`).join('\n') });
    assert.equal(p.code, 0, p.stderr);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const group = `cg-${signal}`;
      const c = spawnSamsa(['consume', ...bs, '--topic', 'grp-sig', '--group', group, '--from-beginning']);
      c.child.stdin!.end();
      await c.waitForStdout((out) => out.split('\n').length > 12);
      c.child.kill(signal);
      const r = await c.exited;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /Processed a total of 12 messages/);
      const offsets = await committed(group);
      assert.equal([...offsets.values()].reduce<bigint>((n, o) => n + (o ?? 0n), 0n), 12n, `${signal}: every printed record committed`);
      const [d] = await admin.describeConsumerGroups([group]);
      assert.equal(d!.members.length, 0, `${signal}: left the group`);
    }
  });

  it('SIGTERM / SIGINT on produce: buffered records are sent before it exits 0', async () => {
    let sent = 0;
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      // linger.ms 60 s: nothing goes out unless the signal flushes it.
      const asked = metadataRequestsFor('sig');
      const p = spawnSamsa(['produce', ...bs, '--topic', 'sig', '--timeout', '60000']);
      p.child.stdin!.write(`${signal}-1\n${signal}-2\n`);
      // The tool reads its input once it knows the topic (a signal before that ends it
      // with nothing sent): wait for its Metadata request, however long the process takes
      // to start, then give it time to read the two lines.
      try {
        const deadline = Date.now() + 30_000;
        while (asked.count() === 0) {
          assert.ok(Date.now() < deadline, `the produce tool never asked for the topic's metadata: ${p.stderr()}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        asked.restore();
      }
      await new Promise((r) => setTimeout(r, 1500));
      const t0 = Date.now();
      p.child.kill(signal);
      const r = await p.exited;
      assert.equal(r.code, 0, r.stderr);
      assert.ok(Date.now() - t0 < 10_000, 'did not wait for linger.ms');
      sent += 2;
    }
    const c = await samsa(['consume', ...bs, '--topic', 'sig', '--partition', '0', '--offset', '0', '--max-messages', String(sent), '--timeout-ms', '5000']);
    assert.equal(c.code, 0, c.stderr);
    assert.deepEqual(c.stdout.trimEnd().split('\n'), ['SIGTERM-1', 'SIGTERM-2', 'SIGINT-1', 'SIGINT-2']);
  });

  it('end of input flushes at once, whatever linger.ms', async () => {
    const t0 = Date.now();
    const p = await samsa(['produce', ...bs, '--topic', 'eof', '--producer-property', 'linger.ms=60000'], { input: 'x\ny\n' });
    assert.equal(p.code, 0, p.stderr);
    assert.ok(Date.now() - t0 < 10_000);
    assert.deepEqual((await batches('eof')).flatMap((x) => x.records.map((r) => r.value!.toString())), ['x', 'y']);
  });

  it('--producer-property acks=1 reaches the producer (idempotence off, as KafkaProducer turns it off); a given --request-required-acks wins over it', async () => {
    const a1 = await samsa(['produce', ...bs, '--topic', 'acks', '--producer-property', 'acks=1'], { input: 'one\n' });
    assert.equal(a1.code, 0, a1.stderr);
    const all = await samsa(['produce', ...bs, '--topic', 'acks'], { input: 'all\n' });
    assert.equal(all.code, 0, all.stderr);
    // ConsoleProducer's maybeMergeOptions: an option given on the command line overrides the property.
    const both = await samsa(['produce', ...bs, '--topic', 'acks', '--producer-property', 'acks=1', '--request-required-acks', 'all'], { input: 'both\n' });
    assert.equal(both.code, 0, both.stderr);
    const got = (await batches('acks')).map((x) => ({ value: x.records[0]!.value!.toString(), idempotent: x.header.producerId >= 0n }));
    assert.deepEqual(got, [
      { value: 'one', idempotent: false },
      { value: 'all', idempotent: true },
      { value: 'both', idempotent: true },
    ]);
    const bad = await samsa(['produce', ...bs, '--topic', 'acks', '--producer-property', 'acks=1', '--producer-property', 'enable.idempotence=true'], { input: 'x\n' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Must set acks to all in order to use the idempotent producer/);
  });

  it('--isolation-level read_committed hides a transactional producer\'s aborted records', async () => {
    const txn = new Producer<string, string>({ 'bootstrap.servers': b.bootstrap, 'transactional.id': 'cli-txn', 'key.serializer': 'string', 'value.serializer': 'string' });
    try {
      await txn.initTransactions();
      txn.beginTransaction();
      txn.send({ topic: 'txn', value: 'aborted-1' });
      txn.send({ topic: 'txn', value: 'aborted-2' });
      await txn.flush();
      await txn.abortTransaction();
      txn.beginTransaction();
      txn.send({ topic: 'txn', value: 'committed-1' });
      await txn.commitTransaction();
    } finally {
      await txn.close();
    }
    const plain = await samsa(['produce', ...bs, '--topic', 'txn'], { input: 'plain\n' });
    assert.equal(plain.code, 0, plain.stderr);
    const read = (extra: string[]): ReturnType<typeof samsa> => samsa(['consume', ...bs, '--topic', 'txn', '--from-beginning', '--timeout-ms', '2000', ...extra]);
    const committedOnly = await read(['--isolation-level', 'read_committed']);
    assert.equal(committedOnly.code, 0, committedOnly.stderr);
    assert.deepEqual(committedOnly.stdout.trimEnd().split('\n'), ['committed-1', 'plain']);
    const viaProperty = await read(['--consumer-property', 'isolation.level=read_committed']);
    assert.deepEqual(viaProperty.stdout.trimEnd().split('\n'), ['committed-1', 'plain']);
    const everything = await read([]);
    assert.equal(everything.code, 0, everything.stderr);
    assert.deepEqual(everything.stdout.trimEnd().split('\n'), ['aborted-1', 'aborted-2', 'committed-1', 'plain']);
  });

  it('broker down: both tools fail at once with the connection error and exit 1', async () => {
    const down = ['--bootstrap-server', `127.0.0.1:${await closedPort()}`];
    const p = await samsa(['produce', ...down, '--topic', 'x'], { input: 'x\n', timeoutMs: 20_000 });
    assert.equal(p.code, 1);
    assert.match(p.stderr, /Error: cannot produce to topic x: ConnectionError: .*no bootstrap server reachable/);
    const c = await samsa(['consume', ...down, '--topic', 'x', '--from-beginning'], { timeoutMs: 20_000 });
    assert.equal(c.code, 1);
    assert.match(c.stderr, /Error: ConnectionError: .*no bootstrap server reachable/);
    const g = await samsa(['consume', ...down, '--topic', 'x', '--group', 'g'], { timeoutMs: 20_000 });
    assert.equal(g.code, 1);
    assert.match(g.stderr, /ConnectionError/);
  });

  it('broker gone mid-stream: the records it could not take are reported (delivery.timeout.ms) and produce exits 1', async () => {
    const b2 = await startTestBroker({ 'auto.create.topics.enable': false });
    let closed = false;
    try {
      b2.broker.topics.create('mid', { partitions: 1 });
      const p = spawnSamsa(['produce', '--bootstrap-server', b2.bootstrap, '--topic', 'mid', '--sync', '--producer-property', 'delivery.timeout.ms=4000']);
      p.child.stdin!.write('before\n');
      // --sync: the line is written once the tool is up; wait until the broker has it.
      const admin2 = new Admin({ bootstrapServers: b2.bootstrap });
      try {
        const deadline = Date.now() + 15_000;
        while ((await admin2.listOffsets([{ topic: 'mid', partition: 0, spec: 'latest' }]))[0]!.offset === 0n) {
          assert.ok(Date.now() < deadline, `the first line never arrived: ${p.stderr()}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        admin2.close();
      }
      await b2.close();
      closed = true;
      p.child.stdin!.end('after-1\nafter-2\n');
      const r = await p.exited;
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /Error when sending 1 message\(s\) to topic mid partition 0 with error: TimeoutError: Expiring 1 record/);
      assert.match(r.stderr, /samsa produce: 1 record\(s\) failed, 1 acknowledged/);
    } finally {
      if (!closed) await b2.close();
    }
  });

  it('unknown topic with --group (auto-create off): exit 1 with UNKNOWN_TOPIC_OR_PARTITION, no waiting', async () => {
    const c = await samsa(['consume', ...bs, '--topic', 'no-such-topic', '--group', 'g-unknown']);
    assert.equal(c.code, 1);
    assert.match(c.stderr, /UNKNOWN_TOPIC_OR_PARTITION/);
    const p = await samsa(['consume', ...bs, '--topic', 'grp', '--partition', '7', '--offset', '0']);
    assert.equal(p.code, 1);
    assert.match(p.stderr, /UNKNOWN_TOPIC_OR_PARTITION: .*grp-7: the topic has 3 partition/);
  });

  it('refuses what Kafka\'s console consumer refuses', async () => {
    const mismatch = await samsa(['consume', ...bs, '--topic', 'grp', '--group', 'a', '--consumer-property', 'group.id=b']);
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.stderr, /The group ids provided in different places .* do not match. Detected group ids: 'a', 'b'/);
    const reset = await samsa(['consume', ...bs, '--topic', 'grp', '--from-beginning', '--consumer-property', 'auto.offset.reset=latest']);
    assert.equal(reset.code, 1);
    assert.match(reset.stderr, /Can't simultaneously specify --from-beginning and 'auto.offset.reset=latest'/);
    const badConfig = await samsa(['consume', ...bs, '--topic', 'grp', '--consumer-property', 'fetch.min.bytes=lots']);
    assert.equal(badConfig.code, 1);
    assert.match(badConfig.stderr, /fetch.min.bytes/);
    const badCodec = await samsa(['produce', ...bs, '--topic', 'grp', '--compression-codec', 'brotli'], { input: 'x\n' });
    assert.equal(badCodec.code, 1);
    assert.match(badCodec.stderr, /Invalid value brotli for configuration compression.type/);
  });
});
