import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { BrokerConnection } from '../../../src/client/network/broker-connection.ts';
import { busyPollActive, busyPollBegin, busyPollEnd } from '../../../src/client/network/busy-poll.ts';
import { Consumer } from '../../../src/client/consumer/consumer.ts';
import { ConfigException } from '../../../src/client/producer/errors.ts';
import { Producer } from '../../../src/client/producer/producer.ts';
import { APIS } from '../../../src/protocol/generated/api-keys.ts';
import { encodeApiVersionsResponse } from '../../../src/protocol/generated/api-versions-response.ts';
import { encodeMetadataResponse } from '../../../src/protocol/generated/metadata-response.ts';
import { Writer } from '../../../src/protocol/primitives/writer.ts';
import { frameV0, startFakeServer } from '../helpers.ts';
import type { FakeRequest } from '../helpers.ts';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A broker that answers ApiVersions and Metadata, each `delayMs` after the request. */
async function slowBroker(delayMs: number) {
  return startFakeServer((req: FakeRequest, socket) => {
    let frame: Buffer;
    if (req.apiKey === 18) {
      const w = new Writer(256);
      encodeApiVersionsResponse(w, { errorCode: 0, apiKeys: [{ apiKey: 3, minVersion: 0, maxVersion: 12 }, { apiKey: 18, minVersion: 0, maxVersion: 4 }] }, req.apiVersion);
      frame = frameV0(req.correlationId, Buffer.from(w.finish()));
    } else {
      const w = new Writer(64);
      encodeMetadataResponse(w, { brokers: [], topics: [] }, req.apiVersion);
      frame = frameV0(req.correlationId, Buffer.concat([Buffer.from([0]), w.finish()]));
    }
    setTimeout(() => socket.write(frame), delayMs);
  });
}

/** A connection (samsa.busy.poll.us = `busyPollUs`) to a broker answering after `delayMs`. */
async function withSlowBroker(delayMs: number, busyPollUs: number, body: (conn: BrokerConnection) => Promise<void>): Promise<void> {
  const fake = await slowBroker(delayMs);
  try {
    const conn = await BrokerConnection.connect({ host: '127.0.0.1', port: fake.port, busyPollUs });
    await body(conn);
    conn.close();
  } finally {
    await fake.close();
  }
}

async function assertNoSpinWhileInFlight(conn: BrokerConnection): Promise<void> {
  const pending = conn.send(APIS.Metadata, { topics: null });
  await tick();
  assert.equal(busyPollActive(), false);
  await pending;
}

// One spinner per process: the tests run one after the other.
describe('busy polling (samsa.busy.poll.us)', { concurrency: 1 }, () => {
  it('spins only while a polled request is in flight', async () => {
    assert.equal(busyPollActive(), false);
    busyPollBegin(performance.now() + 60_000);
    assert.equal(busyPollActive(), true);
    await sleep(5);
    assert.equal(busyPollActive(), true, 'still within the window and in flight');
    busyPollEnd();
    await tick();
    await tick();
    assert.equal(busyPollActive(), false, 'stops once nothing is in flight');
  });

  it('stops at the end of the window even while the request is still in flight', async () => {
    busyPollBegin(performance.now() + 1);
    await sleep(20);
    await tick();
    assert.equal(busyPollActive(), false);
    busyPollEnd();
    // A later request starts it again.
    busyPollBegin(performance.now() + 60_000);
    assert.equal(busyPollActive(), true);
    busyPollEnd();
    await tick();
    await tick();
    assert.equal(busyPollActive(), false);
  });

  it('a connection pauses polling after 16 responses in a row that came after the window', async () => {
    await withSlowBroker(5, 100, async (conn) => {
      // The handshake's response was the first late one.
      assert.equal(conn.busyPolling, true);
      for (let i = 0; i < 14; i++) await conn.send(APIS.Metadata, { topics: null });
      assert.equal(conn.busyPolling, true, '15 late responses: still polling');
      await conn.send(APIS.Metadata, { topics: null });
      assert.equal(conn.busyPolling, false, 'the 16th late response pauses polling');
      // While paused, a request in flight does not spin.
      await assertNoSpinWhileInFlight(conn);
    });
  });

  it('samsa.busy.poll.us=0 never spins', async () => {
    await withSlowBroker(20, 0, async (conn) => {
      assert.equal(conn.busyPolling, false);
      await assertNoSpinWhileInFlight(conn);
    });
  });

  it('is a checked config of the producer and the consumer', () => {
    assert.throws(() => new Producer({ 'bootstrap.servers': '127.0.0.1:1', 'samsa.busy.poll.us': -1 }), ConfigException);
    assert.throws(() => new Consumer({ 'bootstrap.servers': '127.0.0.1:1', 'group.id': 'g', 'samsa.busy.poll.us': 'fast' as unknown as number }), /samsa\.busy\.poll\.us/);
  });
});
