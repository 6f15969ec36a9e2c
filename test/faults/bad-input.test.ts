/**
 * Bad input on the wire: each attack on its own raw TCP connection while a kcat
 * producer and a kcat consumer keep working on theirs.
 *
 *   - a 4-byte size of ~2 GB (over socket.request.max.bytes = 1 MiB), then nothing,
 *     or then a flood of bytes: that connection is closed, the broker's RSS stays low;
 *   - a size just over the limit: closed;
 *   - a frame shorter than a request header: closed;
 *   - garbage after a valid header (Metadata v1 announcing 2^31-1 topics; a body of
 *     random bytes for Produce v9): closed;
 *   - an unknown API key; an unsupported version of Metadata: closed;
 *   - ApiVersions v99: a v0 ApiVersions response with UNSUPPORTED_VERSION (35) and the
 *     supported ranges, and the connection stays usable (the client retries v0).
 * At the end every line given to the kcat producer has reached the kcat consumer and
 * the broker process is still the one we started.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { REPO_ROOT, eventually, makeTempDir, run, removeDir, requireKcat, requirePythonModule, startSamsa } from '../interop/harness.ts';
import type { Samsa } from '../interop/harness.ts';
import { TEST_TIMEOUT_MS, faultTool, rssKiB, sleep } from './helpers.ts';

const MAX_FRAME = 1024 * 1024;
const CLOSE_WAIT_MS = 15_000;

function header(apiKey: number, apiVersion: number, correlationId: number, clientId = 'samsa-faults'): Buffer {
  const id = Buffer.from(clientId);
  const b = Buffer.alloc(10 + id.length);
  b.writeInt16BE(apiKey, 0);
  b.writeInt16BE(apiVersion, 2);
  b.writeInt32BE(correlationId, 4);
  b.writeInt16BE(id.length, 8);
  id.copy(b, 10);
  return b;
}

function frame(...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

interface Probe {
  socket: Socket;
  closed: Promise<void>;
  isClosed(): boolean;
  received(): Buffer;
  /** Bytes received in total (including frames already taken by nextFrame). */
  receivedBytes(): number;
  /** Resolves with the first complete response frame (without its size). */
  nextFrame(): Promise<Buffer>;
}

async function open(host: string, port: number): Promise<Probe> {
  const socket = connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let buf = Buffer.alloc(0);
  let total = 0;
  let closed = false;
  const waiters: (() => void)[] = [];
  socket.on('data', (b: Buffer) => {
    buf = Buffer.concat([buf, b]);
    total += b.length;
    for (const w of waiters.splice(0)) w();
  });
  socket.on('error', () => {});
  const closedP = new Promise<void>((resolve) =>
    socket.on('close', () => {
      closed = true;
      for (const w of waiters.splice(0)) w();
      resolve();
    }),
  );
  return {
    socket,
    closed: closedP,
    isClosed: () => closed,
    received: () => buf,
    receivedBytes: () => total,
    nextFrame: () =>
      new Promise<Buffer>((resolve, reject) => {
        const check = (): void => {
          if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
            const n = buf.readInt32BE(0);
            const f = buf.subarray(4, 4 + n);
            buf = buf.subarray(4 + n);
            resolve(f);
          } else if (closed) reject(new Error('connection closed before a response'));
          else waiters.push(check);
        };
        check();
      }),
  };
}

async function expectClosed(p: Probe, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), CLOSE_WAIT_MS);
  });
  const r = await Promise.race([p.closed.then(() => 'closed' as const), timeout]);
  clearTimeout(timer);
  p.socket.destroy();
  assert.equal(r, 'closed', `${what}: the broker closes the connection`);
  assert.equal(p.receivedBytes(), 0, `${what}: no response before closing`);
}

test('bad input closes only the offending connection; kcat keeps being served', { timeout: TEST_TIMEOUT_MS }, async () => {
  requireKcat();
  requirePythonModule('confluent_kafka', 'python3-confluent-kafka');
  const work = makeTempDir('samsa-faults-badinput-');
  let broker: Samsa | undefined;
  const children: ReturnType<typeof spawn>[] = [];
  try {
    broker = await startSamsa({ dataDir: `${work}/data`, overrides: { 'socket.request.max.bytes': String(MAX_FRAME) } });
    const { host, port, bootstrap } = broker;
    const pid = broker.proc.pid!;
    const topic = 'bad-input-bystander';
    await faultTool('create-topic', bootstrap, ['--topic', topic, '--partitions', '1']);

    // Bystanders: a kcat consumer tailing the topic all along, and a kcat producer per
    // step (kcat -P only sends a piped stdin at EOF).
    const consumer = spawn('kcat', ['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-u', '-f', '%s\n'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(consumer);
    let consumed = '';
    let consumerErr = '';
    consumer.stdout!.on('data', (b: Buffer) => (consumed += b.toString()));
    consumer.stderr!.on('data', (b: Buffer) => (consumerErr += b.toString()));
    let sent = 0;
    const lines = (): string[] => consumed.split('\n').filter((l) => l !== '');
    const bystander = async (label: string): Promise<void> => {
      await run('kcat', ['-b', bootstrap, '-P', '-t', topic, '-p', '0'], { input: `line-${sent}-${label}\n`, timeoutMs: 30_000 });
      sent++;
      await eventually(`kcat consumer to receive line ${sent} (after ${label})\nconsumer stderr: ${consumerErr}`, () => lines().length >= sent, 30_000);
    };
    await bystander('start');

    const rssBefore = rssKiB(pid);

    // 1. 2 GB size, then nothing.
    for (const size of [2_000_000_000, 0x7fffffff, MAX_FRAME + 1]) {
      const p = await open(host, port);
      const b = Buffer.alloc(4);
      b.writeInt32BE(size, 0);
      p.socket.write(b);
      await expectClosed(p, `size ${size} then nothing`);
      await bystander(`size-${size}`);
    }
    // 1b. 2 GB size, then a flood (the broker must not buffer it); a few connections at once.
    {
      const probes = await Promise.all(Array.from({ length: 8 }, () => open(host, port)));
      const chunk = Buffer.alloc(1024 * 1024, 0x41);
      for (const p of probes) {
        const b = Buffer.alloc(4);
        b.writeInt32BE(2_000_000_000, 0);
        p.socket.write(b);
        for (let i = 0; i < 16 && !p.isClosed(); i++) p.socket.write(chunk);
      }
      for (const p of probes) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([p.closed, new Promise<void>((r) => (timer = setTimeout(r, CLOSE_WAIT_MS)))]);
        clearTimeout(timer);
        assert.ok(p.isClosed(), 'size 2 GB then a flood: the broker closes the connection');
        p.socket.destroy();
      }
      await bystander('flood');
    }
    const rssAfter = rssKiB(pid);
    assert.ok(rssAfter - rssBefore < 96 * 1024, `RSS stays low after oversized frames: ${rssBefore} KiB -> ${rssAfter} KiB`);

    // 2. A frame shorter than any request header.
    {
      const p = await open(host, port);
      p.socket.write(frame(Buffer.from([0, 3, 0])));
      await expectClosed(p, 'a 3-byte frame');
      await bystander('short');
    }
    // 3. Garbage after a valid header.
    {
      const p = await open(host, port);
      const count = Buffer.alloc(4);
      count.writeInt32BE(0x7fffffff, 0);
      p.socket.write(frame(header(3, 1, 7), count));
      await expectClosed(p, 'Metadata v1 announcing 2^31-1 topics');
      await bystander('garbage-metadata');
    }
    for (let i = 0; i < 5; i++) {
      const p = await open(host, port);
      // Produce v9 is flexible: a tagged-field section follows the client id.
      const body = Buffer.concat([header(0, 9, 8 + i), Buffer.from([0]), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), randomBytes(200)]);
      p.socket.write(frame(body));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([p.closed, new Promise<void>((r) => (timer = setTimeout(r, CLOSE_WAIT_MS)))]);
      clearTimeout(timer);
      assert.ok(p.isClosed(), 'Produce v9 with a garbage body: the connection is closed');
      p.socket.destroy();
    }
    await bystander('garbage-produce');
    // 4. Unknown API key; unsupported Metadata version.
    for (const [key, version, what] of [
      [9999, 0, 'unknown API key 9999'],
      [-1, 0, 'API key -1'],
      [3, 99, 'Metadata v99'],
      [3, -1, 'Metadata v-1'],
    ] as const) {
      const p = await open(host, port);
      p.socket.write(frame(header(key, version, 11), Buffer.alloc(16)));
      await expectClosed(p, what);
      await bystander(what.replaceAll(' ', '-'));
    }
    // 5. ApiVersions v99: a v0 answer with UNSUPPORTED_VERSION, then v0 works on the same connection.
    {
      const p = await open(host, port);
      p.socket.write(frame(header(18, 99, 42), Buffer.from([0, 0])));
      const f = await p.nextFrame();
      assert.equal(f.readInt32BE(0), 42, 'correlation id');
      assert.equal(f.readInt16BE(4), 35, 'UNSUPPORTED_VERSION');
      const n = f.readInt32BE(6);
      assert.ok(n > 10, `api keys listed (${n})`);
      const keys = new Map<number, [number, number]>();
      for (let i = 0; i < n; i++) keys.set(f.readInt16BE(10 + i * 6), [f.readInt16BE(12 + i * 6), f.readInt16BE(14 + i * 6)]);
      assert.equal(f.length, 10 + n * 6, 'exactly a v0 body (no throttle time, no tagged fields)');
      assert.ok(keys.has(18) && keys.get(18)![0] === 0 && keys.get(18)![1] >= 3, `ApiVersions range ${JSON.stringify(keys.get(18))}`);
      assert.ok(keys.has(3) && keys.has(0) && keys.has(1), 'Metadata, Produce, Fetch listed');
      p.socket.write(frame(header(18, 0, 43)));
      const f0 = await p.nextFrame();
      assert.equal(f0.readInt32BE(0), 43);
      assert.equal(f0.readInt16BE(4), 0, 'ApiVersions v0 on the same connection succeeds');
      assert.ok(!p.isClosed());
      p.socket.destroy();
      await bystander('apiversions-v99');
    }

    // The bystanders were served all along; the broker is the same process.
    await eventually('kcat consumer to receive every line', () => lines().length >= sent, 30_000);
    assert.deepEqual(lines().map((l) => Number(l.split('-')[1])), Array.from({ length: sent }, (_, i) => i));
    assert.equal(lines().length, sent, 'no duplicates');
    assert.equal(broker.proc.exitCode, null, 'the broker is still running');
    assert.equal(broker.proc.pid, pid);
    await sleep(0);
  } catch (e) {
    if (broker) (e as Error).message += `\n--- broker log tail ---\n${broker.logTail().slice(-6000)}`;
    throw e;
  } finally {
    for (const c of children) c.kill('SIGKILL');
    if (broker) {
      const code = await broker.stop();
      removeDir(work);
      assert.equal(code, 0, `clean stop\n--- broker log tail ---\n${broker.logTail().slice(-4000)}`);
    } else removeDir(work);
  }
});

/** Deterministic PRNG (mulberry32) so a failure can be replayed with SAMSA_FAULTS_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('random bodies for every API key and version, mutated real requests: the broker answers or closes, and stays up', { timeout: TEST_TIMEOUT_MS }, async () => {
  requireKcat();
  const seed = Number(process.env.SAMSA_FAULTS_SEED ?? 20261129);
  const perVersion = Number(process.env.SAMSA_FAULTS_RANDOM_PER_VERSION ?? 4);
  const rnd = prng(seed);
  const work = makeTempDir('samsa-faults-random-');
  let broker: Samsa | undefined;
  try {
    broker = await startSamsa({ dataDir: `${work}/data`, overrides: { 'socket.request.max.bytes': String(MAX_FRAME) } });
    const { host, port, bootstrap } = broker;
    const pid = broker.proc.pid!;
    await run('kcat', ['-b', bootstrap, '-P', '-t', 'random-bystander', '-p', '0'], { input: 'before\n', timeoutMs: 30_000, allowFailure: true });

    const p0 = await open(host, port);
    p0.socket.write(frame(header(18, 0, 1)));
    const f = await p0.nextFrame();
    p0.socket.destroy();
    const ranges: [number, number, number][] = [];
    for (let i = 0, n = f.readInt32BE(6); i < n; i++) ranges.push([f.readInt16BE(10 + i * 6), f.readInt16BE(12 + i * 6), f.readInt16BE(14 + i * 6)]);

    const cases: { key: number; version: number; body: Buffer; raw?: Buffer }[] = [];
    for (const [key, min, max] of ranges) {
      for (let v = min; v <= max; v++) {
        for (let i = 0; i < perVersion; i++) {
          const len = Math.floor(rnd() * 300);
          const body = Buffer.alloc(len);
          for (let j = 0; j < len; j++) body[j] = rnd() < 0.3 ? 0 : rnd() < 0.1 ? 0xff : Math.floor(rnd() * 256);
          cases.push({ key, version: v, body });
        }
      }
    }
    // Mutations of real clients' requests (test/fixtures/golden): flipped bytes past
    // the api key and version, truncations and extensions; these get deeper into the
    // decoders and handlers than random bodies do.
    const goldenDir = join(REPO_ROOT, 'test', 'fixtures', 'golden');
    for (const client of readdirSync(goldenDir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      for (const name of readdirSync(join(goldenDir, client.name)).filter((n) => n.endsWith('-request.bin')).sort()) {
        const whole = readFileSync(join(goldenDir, client.name, name));
        const req = whole.subarray(4);
        if (req.length < 8) continue;
        // Not CreateTopics/CreatePartitions: a mutated partition count creates tens of
        // thousands of partitions (one open file each), which exhausts the file
        // descriptors of the test machine rather than testing input handling.
        if (req.readInt16BE(0) === 19 || req.readInt16BE(0) === 37) continue;
        for (let i = 0; i < perVersion; i++) {
          const m = Buffer.from(req);
          const kind = rnd();
          let out: Buffer;
          if (kind < 0.5) {
            const flips = 1 + Math.floor(rnd() * 4);
            for (let j = 0; j < flips && m.length > 4; j++) m[4 + Math.floor(rnd() * (m.length - 4))] = Math.floor(rnd() * 256);
            out = m;
          } else if (kind < 0.8) {
            out = m.subarray(0, 8 + Math.floor(rnd() * (m.length - 8)));
          } else {
            const extra = Buffer.alloc(1 + Math.floor(rnd() * 64));
            for (let j = 0; j < extra.length; j++) extra[j] = Math.floor(rnd() * 256);
            out = Buffer.concat([m, extra]);
          }
          cases.push({ key: out.readInt16BE(0), version: out.readInt16BE(2), body: out.subarray(8), raw: out });
        }
      }
    }
    let answered = 0;
    let closed = 0;
    const pending: string[] = [];
    // In waves: each connection gets one request; the wave ends when every connection
    // was answered or closed, or after a short grace (long polls may legitimately wait).
    for (let start = 0; start < cases.length; start += 50) {
      const wave = cases.slice(start, start + 50);
      const probes = await Promise.all(wave.map(() => open(host, port)));
      wave.forEach((c, i) => probes[i]!.socket.write(c.raw ? frame(c.raw) : frame(header(c.key, c.version, 1000 + i), c.body)));
      await Promise.race([
        Promise.all(probes.map((p) => Promise.race([p.closed, p.nextFrame().catch(() => undefined)]))),
        sleep(2000),
      ]);
      probes.forEach((p, i) => {
        if (p.receivedBytes() > 0) answered++;
        else if (p.isClosed()) closed++;
        else pending.push(`${wave[i]!.key}v${wave[i]!.version}`);
        p.socket.destroy();
      });
      assert.equal(broker.proc.exitCode, null, `the broker died during wave ${start / 50} (seed ${seed})`);
    }
    // Still serving: ApiVersions on a fresh connection, kcat produce + consume.
    const p1 = await open(host, port);
    p1.socket.write(frame(header(18, 0, 2)));
    assert.equal((await p1.nextFrame()).readInt16BE(4), 0);
    p1.socket.destroy();
    await run('kcat', ['-b', bootstrap, '-P', '-t', 'random-bystander', '-p', '0'], { input: 'after\n', timeoutMs: 30_000 });
    const got = await run('kcat', ['-b', bootstrap, '-C', '-t', 'random-bystander', '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\\n'], { timeoutMs: 30_000 });
    assert.ok(got.stdout.split('\n').includes('after'), `kcat reads back: ${got.stdout}`);
    assert.equal(broker.proc.pid, pid);
    console.log(`${cases.length} random requests (seed ${seed}): ${answered} answered, ${closed} closed, ${pending.length} pending (${[...new Set(pending)].join(' ')})`);
  } catch (e) {
    if (broker) (e as Error).message += `\n--- broker log tail ---\n${broker.logTail().slice(-6000)}`;
    throw e;
  } finally {
    if (broker) {
      const code = await broker.stop();
      removeDir(work);
      assert.equal(code, 0, `clean stop\n--- broker log tail ---\n${broker.logTail().slice(-4000)}`);
    } else removeDir(work);
  }
});
