import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cluster, parseBootstrapServers } from '../../../src/client/network/cluster.ts';
import { ConnectionError } from '../../../src/client/network/errors.ts';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors/index.ts';
import { startFakeKafka, startFakeServer, startTestBroker } from '../helpers.ts';
import type { TestBroker } from '../helpers.ts';

describe('parseBootstrapServers', () => {
  it('parses host:port lists, IPv6 and default ports', () => {
    assert.deepEqual(parseBootstrapServers('a:1, b:2,,c'), [
      { host: 'a', port: 1 },
      { host: 'b', port: 2 },
      { host: 'c', port: 9092 },
    ]);
    assert.deepEqual(parseBootstrapServers(['[::1]:9093', 'x:9']), [
      { host: '::1', port: 9093 },
      { host: 'x', port: 9 },
    ]);
    assert.throws(() => parseBootstrapServers('a:notaport'), /Invalid url in bootstrap.servers/);
    assert.throws(() => parseBootstrapServers(' , '), /empty/);
  });
});

describe('Cluster', () => {
  let b: TestBroker;
  before(async () => {
    b = await startTestBroker({ 'auto.create.topics.enable': false });
    b.broker.topics.create('orders', { partitions: 3 });
  });
  after(async () => {
    await b.close();
  });

  it('bootstraps, learns brokers and topics, connects by node id', async () => {
    const cluster = new Cluster({ bootstrapServers: `127.0.0.1:1,${b.bootstrap}` });
    try {
      const res = await cluster.refreshMetadata(null);
      assert.equal(cluster.clusterId, res.clusterId);
      assert.deepEqual(cluster.brokers().map((x) => x.nodeId), [b.broker.nodeId]);
      assert.equal(cluster.controllerId, b.broker.nodeId);
      const t = await cluster.topic('orders');
      assert.equal(t.partitions.length, 3);
      assert.notEqual(t.topicId, 'AAAAAAAAAAAAAAAAAAAAAA');
      assert.equal(await cluster.leaderFor('orders', 2), b.broker.nodeId);
      const [c1, c2] = await Promise.all([cluster.connection(b.broker.nodeId), cluster.leaderConnection('orders', 0)]);
      assert.equal(c1, c2, 'one connection per node');
      assert.equal(c1.nodeId, b.broker.nodeId);
      c1.close();
      const c3 = await cluster.connection(b.broker.nodeId);
      assert.notEqual(c3, c1, 'a closed connection is remade');
      assert.equal(c3.closed, false);
    } finally {
      cluster.close();
    }
  });

  it('reports unknown topics and partitions as KafkaError', async () => {
    const cluster = new Cluster({ bootstrapServers: b.bootstrap });
    try {
      await assert.rejects(cluster.topic('nope'), (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      await assert.rejects(cluster.leaderFor('orders', 7), (err: unknown) => err instanceof KafkaError && err.name === 'UNKNOWN_TOPIC_OR_PARTITION');
    } finally {
      cluster.close();
    }
  });

  it('refreshes a topic after an invalid-metadata error', async () => {
    const cluster = new Cluster({ bootstrapServers: b.bootstrap });
    try {
      const before = await cluster.topic('orders');
      assert.equal(await cluster.topic('orders'), before, 'served from the cache');
      assert.deepEqual(cluster.handleError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'orders'), { retriable: true, refreshMetadata: true });
      assert.equal(cluster.cachedTopic('orders'), undefined);
      const afterRefresh = await cluster.topic('orders');
      assert.notEqual(afterRefresh, before);
      assert.deepEqual(cluster.handleError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'orders'), { retriable: false, refreshMetadata: false });
      assert.equal(cluster.cachedTopic('orders'), afterRefresh);
    } finally {
      cluster.close();
    }
  });

  it('fails with ConnectionError when no bootstrap server answers', async () => {
    const fake = await startFakeServer(() => {});
    const port = fake.port;
    await fake.close();
    const cluster = new Cluster({ bootstrapServers: `127.0.0.1:${port}` });
    await assert.rejects(cluster.refreshMetadata(null), (err: unknown) => err instanceof ConnectionError && /no bootstrap server reachable/.test(err.message));
    cluster.close();
    await assert.rejects(cluster.anyConnection(), /client is closed/);
  });
});

describe('Cluster with several nodes (scripted)', () => {
  it('connects to each partition leader by node id and follows a leader move after invalidation', async () => {
    let leaders = [1, 2, 3];
    const fake = await startFakeKafka(3, () => ({
      topics: [{ name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: leaders.map((leaderId, partitionIndex) => ({ partitionIndex, leaderId, leaderEpoch: 1, replicaNodes: [1, 2, 3], isrNodes: [1, 2, 3] })) }],
      controllerId: 2,
    }));
    const cluster = new Cluster({ bootstrapServers: `127.0.0.1:${fake.nodes[2]!.port}` });
    try {
      for (let p = 0; p < 3; p++) {
        const conn = await cluster.leaderConnection('t', p);
        assert.equal(conn.nodeId, p + 1);
        assert.equal(conn.port, fake.nodes[p]!.port);
      }
      assert.deepEqual(cluster.brokers().map((b) => b.nodeId), [1, 2, 3]);
      assert.equal((await cluster.controllerConnection()).nodeId, 2);
      leaders = [3, 3, 3];
      assert.equal(await cluster.leaderFor('t', 0), 1, 'cached until told otherwise');
      cluster.handleError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 't');
      assert.equal(await cluster.leaderFor('t', 0), 3);
      assert.equal((await cluster.leaderConnection('t', 1)).port, fake.nodes[2]!.port);
      // Ten concurrent lookups of a stale topic send one Metadata request.
      cluster.invalidate('t');
      const before = fake.requests.filter((r) => r.apiKey === 3).length;
      await Promise.all(Array.from({ length: 10 }, () => cluster.topic('t')));
      assert.equal(fake.requests.filter((r) => r.apiKey === 3).length - before, 1);
    } finally {
      cluster.close();
      await fake.close();
    }
  });

  it('reports a partition without a leader as LEADER_NOT_AVAILABLE after one refresh', async () => {
    const fake = await startFakeKafka(1, () => ({ topics: [{ name: 'x', partitions: [{ partitionIndex: 0, leaderId: -1, errorCode: ErrorCode.LEADER_NOT_AVAILABLE }] }] }));
    const cluster = new Cluster({ bootstrapServers: `127.0.0.1:${fake.nodes[0]!.port}` });
    try {
      await assert.rejects(cluster.leaderFor('x', 0), (err: unknown) => err instanceof KafkaError && err.name === 'LEADER_NOT_AVAILABLE' && err.retriable);
    } finally {
      cluster.close();
      await fake.close();
    }
  });
});
