/**
 * Retries and ordering: a TCP proxy between producer and broker (the broker
 * advertises the proxy) cuts every connection again and again while an idempotent
 * producer streams; the log must hold each record exactly once, in order. Plus
 * partition agreement with librdkafka (kcat, murmur2_random).
 */
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Producer } from '../../../src/client/producer/producer.ts';
import { startTestBroker } from '../helpers.ts';
import type { TestBroker } from '../helpers.ts';
import { kcat, kcatConsume } from './helpers.ts';

interface Proxy {
  port: number;
  target: number;
  cut(): number;
  close(): Promise<void>;
}

async function startProxy(): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const proxy: Proxy = {
    port: 0,
    target: 0,
    cut() {
      const n = sockets.size;
      for (const s of sockets) s.destroy();
      sockets.clear();
      return n;
    },
    close: () => new Promise<void>((r) => {
      proxy.cut();
      server.close(() => r());
    }),
  };
  const server: Server = createServer((client) => {
    const upstream = connect(proxy.target, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  proxy.port = (server.address() as { port: number }).port;
  return proxy;
}

describe('Producer retries', () => {
  let proxy: Proxy;
  let b: TestBroker;
  /** The broker's own port: kcat bootstraps here (it is then sent to the proxy, which is fine). */
  let direct = '';
  before(async () => {
    proxy = await startProxy();
    b = await startTestBroker({ 'auto.create.topics.enable': false, 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}` });
    proxy.target = b.broker.server.bound[0]!.port;
    direct = `127.0.0.1:${proxy.target}`;
  });
  after(async () => {
    await proxy.close();
    await b.close();
  });

  it('idempotent producer: connections cut mid-stream → every record once, in order per partition', async () => {
    const topic = 'cut';
    b.broker.topics.create(topic, { partitions: 2 });
    const bootstrap = `127.0.0.1:${proxy.port}`;
    const p = new Producer({ 'bootstrap.servers': bootstrap, 'linger.ms': 0, 'batch.size': 1024, 'retry.backoff.ms': 10, 'retry.backoff.max.ms': 50, 'reconnect.backoff.ms': 5 });
    const N = 20_000;
    let failures = 0;
    let cuts = 0;
    let firstError: Error | null = null;
    const cb = (err: Error | null) => {
      if (err) {
        failures++;
        firstError ??= err;
      }
    };
    for (let i = 0; i < N; i++) {
      p.send({ topic, key: `k${i % 2}`, value: String(i) }, cb);
      if (i % 500 === 499) {
        await new Promise((r) => setTimeout(r, 2));
        if (i % 1500 === 1499) cuts += proxy.cut();
      }
    }
    await p.flush();
    await p.close();
    assert.equal(failures, 0, String(firstError));
    assert.ok(cuts > 0, 'the proxy cut connections');
    const lines = await kcatConsume(direct, topic, '%k %s\n');
    assert.equal(lines.length, N, 'no loss, no duplicates');
    const last = new Map<string, number>();
    for (const l of lines) {
      const [k, v] = l.split(' ');
      const n = Number(v);
      assert.ok(n > (last.get(k!) ?? -1), `order broken for ${k}: ${n} after ${last.get(k!)}`);
      last.set(k!, n);
    }
    assert.equal(new Set(lines).size, N);
  });

  it('without idempotence, max.in.flight=1 keeps order across retries (duplicates allowed, nothing lost)', async () => {
    const topic = 'cut-plain';
    b.broker.topics.create(topic, { partitions: 1 });
    const p = new Producer({ 'bootstrap.servers': `127.0.0.1:${proxy.port}`, acks: 1, 'enable.idempotence': false, 'max.in.flight.requests.per.connection': 1, 'linger.ms': 0, 'batch.size': 1024, 'retry.backoff.ms': 10, 'reconnect.backoff.ms': 5 });
    assert.equal(p.idempotent, false);
    const N = 10_000;
    let failures = 0;
    for (let i = 0; i < N; i++) {
      p.send({ topic, value: String(i) }, (err) => {
        if (err) failures++;
      });
      if (i % 500 === 499) {
        await new Promise((r) => setTimeout(r, 2));
        if (i % 1500 === 1499) proxy.cut();
      }
    }
    await p.flush();
    await p.close();
    assert.equal(failures, 0);
    const values = (await kcatConsume(direct, topic, '%s\n')).map(Number);
    assert.equal(new Set(values).size, N, 'nothing lost');
    // A resent batch may repeat what the broker already wrote, but never jumps back past it.
    let max = -1;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v > max + 1) assert.fail(`gap: ${v} after ${max}`);
      max = Math.max(max, v);
    }
  });

  it('keys land on the same partitions as librdkafka murmur2_random (kcat -P -K:)', async () => {
    b.broker.topics.create('rdk', { partitions: 7 });
    b.broker.topics.create('ours', { partitions: 7 });
    const keys = Array.from({ length: 300 }, (_, i) => `key-${i}-${'x'.repeat(i % 13)}`);
    await kcat(direct, ['-P', '-t', 'rdk', '-K', ':', '-X', 'partitioner=murmur2_random'], keys.map((k) => `${k}:v`).join('\n') + '\n');
    const theirs = new Map<string, string>();
    for (const l of await kcatConsume(direct, 'rdk', '%k %p\n')) {
      const [k, part] = l.split(' ');
      theirs.set(k!, part!);
    }
    assert.equal(theirs.size, keys.length);
    const p = new Producer({ 'bootstrap.servers': direct });
    const mds = await Promise.all(keys.map((key) => p.send({ topic: 'ours', key, value: 'v' })));
    await p.close();
    mds.forEach((md, i) => assert.equal(String(md.partition), theirs.get(keys[i]!), keys[i]));
  });
});
