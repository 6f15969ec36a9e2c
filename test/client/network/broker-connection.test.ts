import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrokerConnection } from '../../../src/client/network/broker-connection.ts';
import { ConnectionError, ProtocolError, RequestTimeoutError } from '../../../src/client/network/errors.ts';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors/index.ts';
import { APIS } from '../../../src/protocol/generated/api-keys.ts';
import { encodeApiVersionsResponse } from '../../../src/protocol/generated/api-versions-response.ts';
import type { ApiVersionsResponseInit } from '../../../src/protocol/generated/api-versions-response.ts';
import { encodeMetadataResponse } from '../../../src/protocol/generated/metadata-response.ts';
import { Writer } from '../../../src/protocol/primitives/writer.ts';
import { buildRecordBatch } from '../../../src/protocol/records/batch-builder.ts';
import { frameV0, startFakeServer, startTestBroker } from '../helpers.ts';
import type { FakeRequest, TestBroker } from '../helpers.ts';

function apiVersionsBody(v: ApiVersionsResponseInit, version: number): Buffer {
  const w = new Writer(256);
  encodeApiVersionsResponse(w, v, version);
  return Buffer.from(w.finish());
}

const FULL_RANGES = [
  { apiKey: 0, minVersion: 0, maxVersion: 11 },
  { apiKey: 3, minVersion: 0, maxVersion: 12 },
  { apiKey: 18, minVersion: 0, maxVersion: 4 },
];

/** Answers ApiVersions v4 like a current broker. */
function answerApiVersions(req: FakeRequest, socket: import('node:net').Socket, apiKeys = FULL_RANGES): void {
  socket.write(frameV0(req.correlationId, apiVersionsBody({ errorCode: 0, apiKeys }, req.apiVersion)));
}

describe('BrokerConnection against Samsa', () => {
  let b: TestBroker;
  before(async () => {
    b = await startTestBroker();
  });
  after(async () => {
    await b.close();
  });

  it('handshakes with ApiVersions v4 and records the broker ranges', async () => {
    const conn = await BrokerConnection.connect({ host: b.host, port: b.port });
    try {
      assert.equal(conn.apiVersionsVersion, 4);
      assert.deepEqual(conn.apiVersions.get(18), { min: 0, max: 4 });
      assert.ok(conn.apiVersions.has(3));
      assert.equal(conn.supports(APIS.Metadata), true);
      assert.equal(conn.versionFor(APIS.Metadata), Math.min(conn.apiVersions.get(3)!.max, APIS.Metadata.maxVersion));
    } finally {
      conn.close();
    }
  });

  it('negotiates the newest common version, or uses the one asked for', async () => {
    const conn = await BrokerConnection.connect({ host: b.host, port: b.port, clientId: 'negotiation-test' });
    try {
      const newest = await conn.send(APIS.Metadata, { topics: null });
      assert.equal(newest.brokers.length, 1);
      assert.equal(newest.brokers[0]!.port, b.port);
      assert.ok(newest.clusterId);
      const v1 = await conn.send(APIS.Metadata, { topics: null }, { version: 1 });
      assert.equal(v1.clusterId, null, 'cluster id arrived in v2');
      assert.equal(v1.brokers[0]!.nodeId, newest.brokers[0]!.nodeId);
      assert.equal(conn.versionFor(APIS.Metadata, { maxVersion: 8 }), 8);
      await assert.rejects(conn.send(APIS.Metadata, { topics: null }, { version: 99 }), (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.UNSUPPORTED_VERSION);
      // An API the broker does not list.
      assert.throws(() => conn.versionFor(APIS.DescribeDelegationToken), (err: unknown) => err instanceof KafkaError && err.name === 'UNSUPPORTED_VERSION');
    } finally {
      conn.close();
    }
  });

  it('pipelines many requests with maxInFlight and matches responses in order', async () => {
    const conn = await BrokerConnection.connect({ host: b.host, port: b.port, maxInFlight: 2 });
    try {
      const versions = Array.from({ length: 60 }, (_, i) => 1 + (i % 12));
      const results = await Promise.all(versions.map((v) => conn.send(APIS.Metadata, { topics: null }, { version: v })));
      for (let i = 0; i < results.length; i++) {
        assert.equal(results[i]!.clusterId === null, versions[i]! < 2, `response ${i} decoded with its own version`);
      }
      assert.equal(conn.pendingRequests, 0);
    } finally {
      conn.close();
    }
  });

  it('rejects pending requests with ConnectionError on close, and later sends too', async () => {
    const conn = await BrokerConnection.connect({ host: b.host, port: b.port });
    const p = conn.send(APIS.Metadata, { topics: null });
    conn.close();
    await assert.rejects(p, ConnectionError);
    await assert.rejects(conn.send(APIS.Metadata, { topics: null }), ConnectionError);
    assert.equal(conn.closed, true);
  });

  it('sendWithCallback: large record batches go out by reference (writev), corked requests in order, errors never synchronous', async () => {
    b.broker.topics.create('splice-test', { partitions: 2 });
    const conn = await BrokerConnection.connect({ host: b.host, port: b.port });
    try {
      const batch = (records: number, size: number): Buffer =>
        buildRecordBatch(
          Array.from({ length: records }, (_r, i) => ({ offsetDelta: i, timestampDelta: 0, key: null, value: Buffer.alloc(size, 97 + (i % 26)) })),
          { baseOffset: 0n, baseTimestamp: BigInt(Date.now()), producerId: -1n, producerEpoch: -1, baseSequence: -1, transactional: false },
        );
      const sizes = [[3, 10], [40, 1024], [100, 1024], [1, 200_000]] as const;
      const results: { i: number; err: Error | null; offsets: bigint[] }[] = [];
      let sync = true;
      conn.corkWrites();
      for (let i = 0; i < sizes.length; i++) {
        const [n, size] = sizes[i]!;
        const request = { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'splice-test', partitionData: [{ index: 0, records: batch(n, size) }, { index: 1, records: batch(n, size) }] }] };
        conn.sendWithCallback(APIS.Produce, request, { writeNow: true }, (ctx: number, err, res) => {
          assert.equal(sync, false, 'never called synchronously');
          results.push({ i: ctx, err, offsets: res ? res.responses[0]!.partitionResponses.map((p) => (assert.equal(p.errorCode, 0), p.baseOffset)) : [] });
        }, i);
      }
      conn.uncorkWrites();
      sync = false;
      for (let i = 0; i < 3000 && results.length < sizes.length; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(results.map((r) => r.i), [0, 1, 2, 3], 'answered in order');
      assert.ok(results.every((r) => r.err === null));
      assert.deepEqual(results.map((r) => r.offsets), [[0n, 0n], [3n, 3n], [43n, 43n], [143n, 143n]]);
      // The broker read every byte: the partitions hold all the records.
      const fetched = await conn.send(APIS.ListOffsets, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'splice-test', partitions: [{ partitionIndex: 0, timestamp: -1n, currentLeaderEpoch: -1, maxNumOffsets: 1 }] }] });
      assert.equal(fetched.topics[0]!.partitions[0]!.offset, 144n);
      // After close: the error arrives later, not from inside the call.
      conn.close();
      const outcome: { err: Error | null } = { err: null };
      sync = true;
      conn.sendWithCallback(APIS.Metadata, { topics: null }, undefined, (_ctx: null, err) => {
        assert.equal(sync, false);
        outcome.err = err;
      }, null);
      sync = false;
      await new Promise((r) => setImmediate(r));
      assert.ok(outcome.err instanceof ConnectionError);
    } finally {
      conn.close();
    }
  });

  it('fails to connect to a closed port with ConnectionError', async () => {
    const fake = await startFakeServer(() => {});
    const port = fake.port;
    await fake.close();
    await assert.rejects(BrokerConnection.connect({ host: '127.0.0.1', port }), (err: unknown) => err instanceof ConnectionError && err.retriable && /cannot connect/.test(err.message));
  });
});

describe('BrokerConnection against a scripted server', () => {
  it('retries ApiVersions with the broker\'s newest version after UNSUPPORTED_VERSION (v0 form)', async () => {
    const seen: number[] = [];
    const fake = await startFakeServer((req, socket) => {
      if (req.apiKey !== 18) return;
      seen.push(req.apiVersion);
      if (req.apiVersion > 2) {
        socket.write(frameV0(req.correlationId, apiVersionsBody({ errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 2 }] }, 0)));
      } else {
        answerApiVersions(req, socket, [{ apiKey: 3, minVersion: 0, maxVersion: 5 }, { apiKey: 18, minVersion: 0, maxVersion: 2 }]);
      }
    });
    try {
      const conn = await BrokerConnection.connect({ host: '127.0.0.1', port: fake.port });
      assert.deepEqual(seen, [4, 2]);
      assert.equal(conn.apiVersionsVersion, 2);
      assert.equal(conn.versionFor(APIS.Metadata), 5);
      conn.close();
    } finally {
      await fake.close();
    }
  });

  it('sends client.id and the right header version', async () => {
    const headers: { apiKey: number; version: number; clientId: string }[] = [];
    const fake = await startFakeServer((req, socket) => {
      const len = req.frame.readInt16BE(8);
      headers.push({ apiKey: req.apiKey, version: req.apiVersion, clientId: req.frame.toString('utf8', 10, 10 + len) });
      if (req.apiKey === 18) answerApiVersions(req, socket);
      else {
        const w = new Writer(64);
        encodeMetadataResponse(w, { brokers: [], topics: [] }, req.apiVersion);
        // Metadata v12 is flexible: response header v1 has an empty tagged-field section.
        const body = Buffer.concat([Buffer.from([0]), w.finish()]);
        socket.write(frameV0(req.correlationId, body));
      }
    });
    try {
      const conn = await BrokerConnection.connect({ host: '127.0.0.1', port: fake.port, clientId: 'my-client' });
      const res = await conn.send(APIS.Metadata, { topics: null });
      assert.deepEqual(res.topics, []);
      assert.deepEqual(headers, [
        { apiKey: 18, version: 4, clientId: 'my-client' },
        { apiKey: 3, version: 12, clientId: 'my-client' },
      ]);
      conn.close();
    } finally {
      await fake.close();
    }
  });

  it('times out a silent request with RequestTimeoutError and closes the connection', async () => {
    const fake = await startFakeServer((req, socket) => {
      if (req.apiKey === 18) answerApiVersions(req, socket);
    });
    try {
      const conn = await BrokerConnection.connect({ host: '127.0.0.1', port: fake.port, requestTimeoutMs: 150 });
      const t0 = Date.now();
      const first = conn.send(APIS.Metadata, { topics: null });
      const second = conn.send(APIS.Metadata, { topics: null }, { timeoutMs: 10_000 });
      await assert.rejects(first, (err: unknown) => err instanceof RequestTimeoutError && err.timeoutMs === 150 && err.retriable);
      assert.ok(Date.now() - t0 >= 140);
      await assert.rejects(second, (err: unknown) => err instanceof ConnectionError && !(err instanceof RequestTimeoutError));
      assert.equal(conn.closed, true);
    } finally {
      await fake.close();
    }
  });

  it('times out a request still queued behind maxInFlight without closing the connection', async () => {
    let held: FakeRequest | null = null;
    let heldSocket: import('node:net').Socket | null = null;
    const fake = await startFakeServer((req, socket) => {
      if (req.apiKey === 18) answerApiVersions(req, socket);
      else {
        held = req;
        heldSocket = socket;
      }
    });
    try {
      const conn = await BrokerConnection.connect({ host: '127.0.0.1', port: fake.port, maxInFlight: 1 });
      const first = conn.send(APIS.Metadata, { topics: null }, { timeoutMs: 5_000 });
      const second = conn.send(APIS.Metadata, { topics: null }, { timeoutMs: 100 });
      await assert.rejects(second, (err: unknown) => err instanceof RequestTimeoutError && /not sent within 100 ms/.test(err.message));
      assert.equal(conn.closed, false);
      assert.equal(conn.pendingRequests, 1);
      // Answer the held request: the connection still works.
      const w = new Writer(64);
      encodeMetadataResponse(w, { brokers: [], topics: [] }, held!.apiVersion);
      heldSocket!.write(frameV0(held!.correlationId, Buffer.concat([Buffer.from([0]), w.finish()])));
      assert.deepEqual((await first).topics, []);
      conn.close();
    } finally {
      await fake.close();
    }
  });

  it('times out a silent handshake', async () => {
    const fake = await startFakeServer(() => {});
    try {
      await assert.rejects(BrokerConnection.connect({ host: '127.0.0.1', port: fake.port, requestTimeoutMs: 100 }), RequestTimeoutError);
    } finally {
      await fake.close();
    }
  });

  it('turns garbage into ProtocolError, never a crash', async () => {
    const replies: ((req: FakeRequest) => Buffer)[] = [
      // A body that does not decode as ApiVersions.
      (req) => frameV0(req.correlationId, Buffer.from([0, 0, 0x7f, 0xff, 0xff, 0xff])),
      // A size far above the limit.
      () => Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]),
      // A negative size.
      () => Buffer.from([0xff, 0xff, 0xff, 0xfe]),
      // The wrong correlation id.
      (req) => frameV0(req.correlationId + 7, apiVersionsBody({ errorCode: 0, apiKeys: FULL_RANGES }, 4)),
      // Random bytes.
      () => Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'),
    ];
    for (const reply of replies) {
      const fake = await startFakeServer((req, socket) => socket.write(reply(req)));
      try {
        await assert.rejects(BrokerConnection.connect({ host: '127.0.0.1', port: fake.port, maxResponseBytes: 1024 * 1024 }), (err: unknown) => err instanceof ProtocolError && !err.retriable);
      } finally {
        await fake.close();
      }
    }
  });

  it('rejects a response frame above maxResponseBytes after the handshake', async () => {
    const fake = await startFakeServer((req, socket) => {
      if (req.apiKey === 18) answerApiVersions(req, socket);
      else {
        const big = Buffer.alloc(4);
        big.writeInt32BE(64 * 1024 + 1, 0);
        socket.write(big);
      }
    });
    try {
      const conn = await BrokerConnection.connect({ host: '127.0.0.1', port: fake.port, maxResponseBytes: 64 * 1024 });
      await assert.rejects(conn.send(APIS.Metadata, { topics: null }), (err: unknown) => err instanceof ProtocolError && /exceeds the limit/.test(err.message));
      assert.equal(conn.closed, true);
    } finally {
      await fake.close();
    }
  });

  it('reports a broker that hangs up mid-request as ConnectionError', async () => {
    const fake = await startFakeServer((req, socket) => {
      if (req.apiKey === 18) answerApiVersions(req, socket);
      else socket.destroy();
    });
    try {
      const conn = await BrokerConnection.connect({ host: '127.0.0.1', port: fake.port });
      await assert.rejects(conn.send(APIS.Metadata, { topics: null }), (err: unknown) => err instanceof ConnectionError && err.retriable);
    } finally {
      await fake.close();
    }
  });

  it('sends acks=0 Produce without waiting for a response', async () => {
    const produced: FakeRequest[] = [];
    const fake = await startFakeServer((req, socket) => {
      if (req.apiKey === 18) answerApiVersions(req, socket);
      else if (req.apiKey === 0) produced.push(req);
    });
    try {
      const conn = await BrokerConnection.connect({ host: '127.0.0.1', port: fake.port });
      await assert.rejects(conn.send(APIS.Produce, { acks: 0, topicData: [] }), TypeError);
      for (let i = 0; i < 10; i++) await conn.sendNoResponse(APIS.Produce, { acks: 0, timeoutMs: 1000, topicData: [] });
      assert.equal(conn.pendingRequests, 0);
      for (let i = 0; i < 2000 && produced.length < 10; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(produced.length, 10);
      assert.ok(produced.every((r) => r.apiVersion === 11));
      conn.close();
    } finally {
      await fake.close();
    }
  });
});
