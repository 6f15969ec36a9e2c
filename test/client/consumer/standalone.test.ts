/**
 * Standalone consumer (assign, no group) against an in-process Samsa broker, with
 * kcat (librdkafka) as the producer and as the reference reader.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker } from '../helpers.ts';
import type { TestBroker } from '../helpers.ts';
import { Consumer, NoOffsetForPartitionError, WakeupError, IllegalStateError } from '../../../src/client/consumer/index.ts';
import { createTopic, headersText, kcatConsume, kcatProduce, pollUntil, sleep } from './helpers.ts';
import { BrokerConnection } from '../../../src/client/network/broker-connection.ts';
import type { SendOptions } from '../../../src/client/network/broker-connection.ts';
import { FetchApi } from '../../../src/protocol/generated/api-keys.ts';
import type { ApiSpec } from '../../../src/protocol/generated/api-keys.ts';

describe('Consumer: assign / poll / seek', () => {
  let b: TestBroker;
  before(async () => {
    b = await startTestBroker();
  });
  after(async () => {
    await b.close();
  });

  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    it(`reads kcat's records exactly (${codec})`, async () => {
      const topic = `standalone-${codec}`;
      await createTopic(b.bootstrap, topic, 2);
      const lines = Array.from({ length: 2000 }, (_, i) => `key-${i}:value-${codec}-${i}-${'x'.repeat(i % 50)}`);
      await kcatProduce(b.bootstrap, topic, 1, lines, { codec, headers: ['h1=v1', `codec=${codec}`] });
      const reference = await kcatConsume(b.bootstrap, topic, 1);
      assert.equal(reference.length, lines.length);
      const c = new Consumer<string | null, string | null>({ 'bootstrap.servers': b.bootstrap, 'auto.offset.reset': 'earliest', 'key.deserializer': 'string', 'value.deserializer': 'StringDeserializer' });
      try {
        c.assign([{ topic, partition: 1 }]);
        const got = await pollUntil(c, lines.length);
        assert.equal(got.length, lines.length);
        for (let i = 0; i < got.length; i++) {
          const r = got[i]!;
          const ref = reference[i]!;
          assert.equal(r.topic, topic);
          assert.equal(r.partition, 1);
          assert.equal(r.offset, ref.offset);
          assert.equal(r.offset, BigInt(i));
          assert.equal(r.key, ref.key);
          assert.equal(r.value, ref.value);
          assert.equal(r.key, `key-${i}`);
          assert.equal(r.value, lines[i]!.slice(lines[i]!.indexOf(':') + 1));
          assert.equal(r.timestamp, ref.timestamp);
          assert.equal(r.timestampType, 'CreateTime');
          assert.equal(headersText(r), `h1=v1,codec=${codec}`);
          assert.equal(r.leaderEpoch, 0);
        }
        assert.equal(await c.position({ topic, partition: 1 }), BigInt(lines.length));
        // Nothing more arrives.
        assert.equal((await c.poll(50)).count, 0);
      } finally {
        await c.close();
      }
    });
  }

  it('auto.offset.reset: latest waits for new records, earliest reads all, none throws', async () => {
    const topic = 'reset-variants';
    await createTopic(b.bootstrap, topic, 1);
    await kcatProduce(b.bootstrap, topic, 0, ['a:1', 'b:2', 'c:3']);
    const tp = { topic, partition: 0 };

    const latest = new Consumer({ 'bootstrap.servers': b.bootstrap });
    latest.assign([tp]);
    assert.equal(await latest.position(tp), 3n);
    assert.equal((await latest.poll(50)).count, 0);
    await kcatProduce(b.bootstrap, topic, 0, ['d:4']);
    const got = await pollUntil(latest, 1);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.value!.toString(), '4');
    assert.equal(got[0]!.offset, 3n);
    await latest.close();

    const earliest = new Consumer({ 'bootstrap.servers': b.bootstrap, 'auto.offset.reset': 'earliest' });
    earliest.assign([tp]);
    assert.deepEqual((await pollUntil(earliest, 4)).map((r) => r.key!.toString()), ['a', 'b', 'c', 'd']);
    await earliest.close();

    const none = new Consumer({ 'bootstrap.servers': b.bootstrap, 'auto.offset.reset': 'none' });
    none.assign([tp]);
    await assert.rejects(none.poll(100), (err: unknown) => err instanceof NoOffsetForPartitionError && err.partitions[0]!.topic === topic);
    // An explicit seek gives it a position.
    none.seek(tp, 2n);
    assert.deepEqual((await pollUntil(none, 2)).map((r) => r.key!.toString()), ['c', 'd']);
    await none.close();
  });

  it('seek, seekToBeginning, seekToEnd, position, beginning/endOffsets, offsetsForTimes', async () => {
    const topic = 'seeks';
    await createTopic(b.bootstrap, topic, 1);
    const tp = { topic, partition: 0 };
    await kcatProduce(b.bootstrap, topic, 0, Array.from({ length: 100 }, (_, i) => `k${i}:v${i}`));
    const c = new Consumer({ 'bootstrap.servers': b.bootstrap, 'auto.offset.reset': 'earliest', 'max.poll.records': 10 });
    try {
      c.assign([tp]);
      const first = await c.poll(5000);
      assert.equal(first.count, 10);
      assert.equal(first.all[0]!.offset, 0n);
      assert.deepEqual(first.nextOffsets(), [{ topic, partition: 0, offset: 10n, leaderEpoch: 0 }]);
      assert.equal(await c.position(tp), 10n);
      c.seek(tp, 42n);
      assert.equal(await c.position(tp), 42n);
      const afterSeek = await pollUntil(c, 1);
      assert.equal(afterSeek[0]!.offset, 42n);
      c.seekToBeginning([tp]);
      assert.equal(await c.position(tp), 0n);
      assert.equal((await pollUntil(c, 1))[0]!.offset, 0n);
      c.seekToEnd();
      assert.equal(await c.position(tp), 100n);
      assert.deepEqual(await c.beginningOffsets([tp]), [{ topic, partition: 0, offset: 0n }]);
      assert.deepEqual(await c.endOffsets([tp]), [{ topic, partition: 0, offset: 100n }]);
      const ref = await kcatConsume(b.bootstrap, topic, 0);
      const ts = ref[37]!.timestamp;
      const [found] = await c.offsetsForTimes([{ topic, partition: 0, timestamp: ts }]);
      assert.ok(found);
      // The first record at or after ts (kcat may stamp several records in one millisecond).
      const expected = ref.find((r) => r.timestamp >= ts)!;
      assert.equal(found.offset, expected.offset);
      assert.equal(found.timestamp, expected.timestamp);
      const [none] = await c.offsetsForTimes([{ topic, partition: 0, timestamp: Date.now() + 3_600_000 }]);
      assert.equal(none, null);
      assert.throws(() => c.seek({ topic, partition: 5 }, 0n), IllegalStateError);
    } finally {
      await c.close();
    }
  });

  it('pause and resume; wakeup interrupts a blocking poll', async () => {
    const topic = 'pause-wakeup';
    await createTopic(b.bootstrap, topic, 2);
    await kcatProduce(b.bootstrap, topic, 0, ['a:0']);
    await kcatProduce(b.bootstrap, topic, 1, ['b:1']);
    const c = new Consumer({ 'bootstrap.servers': b.bootstrap, 'auto.offset.reset': 'earliest' });
    try {
      c.assign([{ topic, partition: 0 }, { topic, partition: 1 }]);
      c.pause([{ topic, partition: 0 }]);
      assert.deepEqual(c.paused(), [{ topic, partition: 0 }]);
      const got = await pollUntil(c, 1);
      assert.equal(got.length, 1);
      assert.equal(got[0]!.partition, 1);
      assert.equal((await c.poll(100)).count, 0);
      c.resume([{ topic, partition: 0 }]);
      const more = await pollUntil(c, 1);
      assert.equal(more[0]!.partition, 0);
      const blocking = c.poll(60_000);
      await sleep(50);
      c.wakeup();
      await assert.rejects(blocking, WakeupError);
      // A wakeup before a poll makes that poll throw.
      c.wakeup();
      await assert.rejects(c.poll(10), WakeupError);
      assert.equal((await c.poll(10)).count, 0);
    } finally {
      await c.close();
    }
  });

  it('async iteration and consume({ eachBatch }) follow new records; stop() ends them', async () => {
    const topic = 'iterate';
    await createTopic(b.bootstrap, topic, 1);
    await kcatProduce(b.bootstrap, topic, 0, Array.from({ length: 50 }, (_, i) => `k:${i}`));
    const c = new Consumer<Buffer | null, string | null>({ 'bootstrap.servers': b.bootstrap, 'auto.offset.reset': 'earliest', 'value.deserializer': 'string', 'max.poll.records': 7 });
    c.assign([{ topic, partition: 0 }]);
    const seen: string[] = [];
    for await (const r of c) {
      seen.push(r.value!);
      if (seen.length === 50) break;
    }
    assert.deepEqual(seen, Array.from({ length: 50 }, (_, i) => String(i)));
    const batches: number[] = [];
    const done = c.consume({
      eachBatch: async (records, consumer) => {
        batches.push(records.count);
        if (batches.reduce((a, x) => a + x, 0) >= 20) consumer.stop();
      },
    });
    await kcatProduce(b.bootstrap, topic, 0, Array.from({ length: 20 }, (_, i) => `k:${i}`));
    await done;
    assert.equal(batches.reduce((a, x) => a + x, 0), 20);
    assert.ok(batches.every((n) => n <= 7));
    await c.close();
  });

  it('throttle_time_ms in a Fetch response: the next Fetch to that broker waits until it has passed (KIP-219)', async () => {
    const t = 'throttled-fetch';
    await createTopic(b.bootstrap, t, 1);
    await kcatProduce(b.bootstrap, t, 0, ['k:one']);
    const sentAt: number[] = [];
    let throttledUntil = 0;
    const original = BrokerConnection.prototype.send;
    BrokerConnection.prototype.send = function (this: BrokerConnection, api: ApiSpec, req: unknown, opts?: SendOptions) {
      if (api.apiKey !== FetchApi.apiKey) return original.call(this, api, req, opts);
      sentAt.push(Date.now());
      return original.call(this, api, req, opts).then((res: unknown) => {
        if (sentAt.length !== 1) return res;
        throttledUntil = Date.now() + 300;
        return { ...(res as object), throttleTimeMs: 300 };
      });
    } as typeof original;
    const c = new Consumer({ 'bootstrap.servers': b.bootstrap, 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 50 });
    try {
      c.assign([{ topic: t, partition: 0 }]);
      assert.deepEqual((await pollUntil(c, 1)).map((r) => r.offset), [0n]);
      await pollUntil(c, 1, 1000); // nothing more: keeps fetching
    } finally {
      BrokerConnection.prototype.send = original;
      await c.close();
    }
    assert.ok(sentAt.length >= 2, `fetches sent: ${sentAt.length}`);
    assert.ok(sentAt[1]! >= throttledUntil, 'the second Fetch went out before the throttle ended');
  });

  it('samsa.fetch.connections.per.broker: partitions share out over that many fetch connections; every record once, in order', async () => {
    const t = 'fetch-slots';
    await createTopic(b.bootstrap, t, 4);
    for (let p = 0; p < 4; p++) await kcatProduce(b.bootstrap, t, p, Array.from({ length: 50 }, (_, i) => `k${i}:p${p}-${i}`));
    for (const connections of [1, 2, 3]) {
      const c = new Consumer<string, string>({ 'bootstrap.servers': b.bootstrap, 'auto.offset.reset': 'earliest', 'samsa.fetch.connections.per.broker': connections, 'key.deserializer': 'string', 'value.deserializer': 'string' });
      try {
        c.assign([0, 1, 2, 3].map((partition) => ({ topic: t, partition })));
        const got = await pollUntil(c, 200);
        for (let p = 0; p < 4; p++) {
          assert.deepEqual(got.filter((r) => r.partition === p).map((r) => r.value), Array.from({ length: 50 }, (_, i) => `p${p}-${i}`), `${connections} connection(s), partition ${p}`);
        }
        const fetchConns = (c as unknown as { fetcher: { conns: Map<number, unknown> } }).fetcher.conns;
        assert.equal(fetchConns.size, connections, 'fetch connections to the one broker');
      } finally {
        await c.close();
      }
    }
    assert.throws(() => new Consumer({ 'bootstrap.servers': b.bootstrap, 'samsa.fetch.connections.per.broker': 0 }), /samsa\.fetch\.connections\.per\.broker/);
    assert.throws(() => new Consumer({ 'bootstrap.servers': b.bootstrap, 'samsa.fetch.connections.per.broker': 17 }), /at most 16/);
  });

  it('config: Kafka names, defaults and refusals', () => {
    const c = new Consumer({ 'bootstrap.servers': b.bootstrap });
    assert.equal(c.config.maxPollRecords, 500);
    assert.equal(c.config.fetchMinBytes, 1);
    assert.equal(c.config.fetchMaxWaitMs, 500);
    assert.equal(c.config.fetchMaxBytes, 52428800);
    assert.equal(c.config.maxPartitionFetchBytes, 1048576);
    assert.equal(c.config.autoOffsetReset, 'latest');
    assert.equal(c.config.isolationLevel, 0);
    assert.equal(c.config.sessionTimeoutMs, 45000);
    assert.equal(c.config.heartbeatIntervalMs, 3000);
    assert.equal(c.config.maxPollIntervalMs, 300000);
    assert.deepEqual(c.config.assignors.map((a) => a.name), ['range', 'cooperative-sticky']);
    assert.throws(() => c.subscribe(['x']), IllegalStateError);
    void c.close();
    // group.protocol=consumer (KIP-848): the broker assigns and sets the session and heartbeat, so these are refused (Java's ConfigException).
    const k = new Consumer({ 'bootstrap.servers': b.bootstrap, 'group.id': 'g', 'group.protocol': 'consumer', 'group.remote.assignor': 'range' });
    assert.equal(k.config.groupProtocol, 'consumer');
    assert.equal(k.config.groupRemoteAssignor, 'range');
    void k.close();
    for (const name of ['partition.assignment.strategy', 'session.timeout.ms', 'heartbeat.interval.ms'] as const) {
      const value = name === 'partition.assignment.strategy' ? ['range'] : 3000;
      assert.throws(() => new Consumer({ 'bootstrap.servers': b.bootstrap, 'group.id': 'g', 'group.protocol': 'consumer', [name]: value }), (e: Error) => e.name === 'ConfigException' && e.message === `${name} cannot be set when group.protocol=CONSUMER`);
    }
    assert.throws(
      () => new Consumer({ 'bootstrap.servers': b.bootstrap, 'group.id': 'g', 'group.protocol': 'CONSUMER' as 'consumer', 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500 }),
      /^ConfigException: session.timeout.ms, heartbeat.interval.ms cannot be set when group.protocol=CONSUMER$/,
    );
    assert.throws(() => new Consumer({ 'bootstrap.servers': b.bootstrap, 'group.id': 'g', 'group.remote.assignor': 'uniform' }), /group.remote.assignor cannot be set when group.protocol=CLASSIC/);
    assert.throws(() => new Consumer({ 'bootstrap.servers': b.bootstrap, 'auto.offset.reset': 'smallest' as 'earliest' }), /auto.offset.reset/);
    assert.throws(() => new Consumer({ 'bootstrap.servers': b.bootstrap, 'partition.assignment.strategy': ['nope'] }), /partition.assignment.strategy/);
    const g = new Consumer({ 'bootstrap.servers': b.bootstrap, 'group.id': 'g' });
    assert.equal(g.config.enableAutoCommit, true);
    assert.equal(g.config.autoCommitIntervalMs, 5000);
    void g.close();
  });
});
