/**
 * Producer benchmark: Samsa's Producer vs kafkajs vs @platformatic/kafka, in one
 * run, against the same `samsa start` process (a separate process, so client and
 * broker do not share a thread; the built broker in dist/: run `npm run build` first).
 *
 *   node bench/client-producer.bench.ts [--messages 300000] [--awaited 5000] [--runs 3] [--only samsa,kafkajs]
 *
 * Scenarios, each at 100 B and 1 KiB values, acks=all for every client,
 * no compression, a 6-partition topic, unkeyed records:
 *   batched  many concurrent sends, then wait for all. kafkajs and platformatic
 *            send() arrays of 1000 records (their fast path), up to 8 sends in
 *            flight; both spread unkeyed records round-robin, so each request
 *            carries a batch of ~167 records per partition. Samsa send()s record by
 *            record (fire-and-forget, a window of outstanding records for
 *            backpressure, flush at the end) with batch.size matched to that
 *            batch, rounded down to a power of two so Samsa's batches are never
 *            the larger: 16 KiB at 100 B (Kafka's default; ~150 records), 128 KiB
 *            at 1 KiB (~126 records).
 *   awaited  one record per send, each awaited before the next (Samsa with
 *            linger.ms=0, what a Java user sets for synchronous sends; the
 *            others have no linger).
 * Rows: 'samsa' (counted in the summary) as above; 'samsa-sleep' (awaited only):
 * Samsa with samsa.busy.poll.us=0, its thread sleeps while a response is due as the
 * peers' do; 'floor': a raw socket writing pre-encoded Produce requests (the peers'
 * 1000-record requests, 8 in flight, when batched; one record at a time, the socket
 * busy-polled, when awaited) — what the broker costs with no client work at all,
 * the ceiling for every client (it bounds the ratio any client can reach in that
 * scenario). Each row also shows the CPU this process spent per record (the broker
 * is another process): busy polling trades CPU for latency, and this shows how much.
 * Samsa runs with its defaults otherwise (idempotence on); the peers with theirs
 * (idempotence off). Each run interleaves the clients (a shared machine is noisy);
 * a figure is the median of --runs runs, a ratio the median of the per-run ratios.
 * Prints msgs/s per client and Samsa's ratios to each peer.
 */
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { Producer as PlatformaticProducer, ProduceAcks } from '@platformatic/kafka';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { Admin } from '../src/client/admin/admin.ts';
import { Producer } from '../src/client/producer/producer.ts';
import { ProduceApi } from '../src/protocol/generated/api-keys.ts';
import { requestHeaderVersion } from '../src/protocol/generated/header-versions.ts';
import { encodeRequestHeader } from '../src/protocol/generated/request-header.ts';
import { Writer } from '../src/protocol/primitives/writer.ts';
import { buildRecordBatch } from '../src/protocol/records/batch-builder.ts';
import { FrameSplitter } from '../src/protocol/frame-splitter.ts';
import { busyPollBegin, busyPollEnd } from '../src/client/network/busy-poll.ts';
import { join } from 'node:path';
import { REPO_ROOT, makeTempDir, removeDir, startSamsa } from '../test/interop/harness.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const only = (() => {
  const i = args.indexOf('--only');
  return i >= 0 ? args[i + 1]!.split(',') : null;
})();
const MESSAGES = arg('messages', 300_000);
const AWAITED = arg('awaited', 5_000);
const RUNS = arg('runs', 3);
const PARTITIONS = 6;
const CHUNK = 1000;
const CONCURRENCY = 8;
/** Records per partition in one of the peers' requests (round-robin over the partitions). */
const PEER_BATCH_RECORDS = Math.ceil(CHUNK / PARTITIONS);

/** Bytes of the peers' batch: PEER_BATCH_RECORDS unkeyed, headerless records of `valueSize` bytes (magic 2). */
function peerBatchBytes(valueSize: number): number {
  // Per record: length varint (2-3), attributes, timestamp delta (<= 3), offset delta (<= 2), null key, value length (<= 2), header count.
  return 61 + PEER_BATCH_RECORDS * (valueSize + 12);
}

/** Samsa's batch.size: the largest power of two not above the peers' batch (never larger batches than theirs). */
function samsaBatchSize(valueSize: number): number {
  return 2 ** Math.floor(Math.log2(peerBatchBytes(valueSize)));
}

type Runner = (topic: string, value: Buffer, count: number) => Promise<void>;
interface Client {
  name: string;
  /** Absent: the client runs the awaited scenarios only. */
  batched?: Runner;
  awaited: Runner;
  close(): Promise<void>;
}

async function samsaClient(bootstrap: string, name: string, config: (valueSize: number) => Record<string, string | number>): Promise<Client> {
  const extra: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) if (args[i] === '--samsa-config') extra[args[i + 1]!.split('=')[0]!] = args[i + 1]!.split('=')[1]!;
  const producers = new Map<string, Producer>();
  const producerFor = (mode: 'batched' | 'awaited', valueSize: number): Producer => {
    const k = `${mode}/${valueSize}`;
    let p = producers.get(k);
    if (p === undefined) {
      p = new Producer({ 'bootstrap.servers': bootstrap, ...config(valueSize), ...(mode === 'awaited' ? { 'linger.ms': 0 } : {}), ...extra });
      producers.set(k, p);
    }
    return p;
  };
  return {
    name,
    async batched(topic, value, count) {
      const producer = producerFor('batched', value.length);
      // Backpressure: about 8 MB outstanding, well inside buffer.memory (await an older record's ack).
      const WINDOW = Math.max(8 * CHUNK, Math.min(64 * CHUNK, Math.floor(8e6 / value.length)));
      const marks: PromiseLike<unknown>[] = [];
      for (let i = 0; i < count; i++) {
        const f = producer.send({ topic, value });
        if (i % CHUNK === CHUNK - 1) {
          marks.push(f);
          if (marks.length * CHUNK >= WINDOW) await marks.shift();
        }
      }
      await producer.flush();
    },
    async awaited(topic, value, count) {
      const producer = producerFor('awaited', value.length);
      for (let i = 0; i < count; i++) await producer.send({ topic, value });
    },
    async close() {
      for (const p of producers.values()) await p.close();
    },
  };
}

/**
 * The floor: pre-encoded Produce v3 requests (acks=all, no producer id) written on a
 * raw socket — no client work but the syscalls, so what the broker itself costs.
 * Awaited: one record per request, the next written when the response is in.
 * Batched: the peers' requests (1000 records, ~167 per partition, one batch per
 * partition), up to 8 in flight.
 */
async function floorClient(bootstrap: string): Promise<Client> {
  const [host, port] = [bootstrap.slice(0, bootstrap.lastIndexOf(':')), Number(bootstrap.slice(bootstrap.lastIndexOf(':') + 1))];
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = netConnect({ host, port }, () => resolve(s));
    s.once('error', reject);
  });
  socket.setNoDelay(true);
  // Responses come back in order: resolve the oldest waiter per response frame.
  const waiting: (() => void)[] = [];
  const frames = new FrameSplitter(1 << 30);
  socket.on('data', (chunk: Buffer) => frames.push(chunk, () => waiting.shift()?.()));
  const requests = new Map<string, Buffer>();
  const requestFor = (topic: string, value: Buffer, records: number): Buffer => {
    const k = `${topic}/${value.length}/${records}`;
    let frame = requests.get(k);
    if (frame === undefined) {
      const partitions = Math.min(records, PARTITIONS);
      const partitionData = Array.from({ length: partitions }, (_, p) => {
        const n = Math.floor(records / partitions) + (p < records % partitions ? 1 : 0);
        const batch = buildRecordBatch(
          Array.from({ length: n }, (_r, i) => ({ offsetDelta: i, timestampDelta: 0, key: null, value })),
          { baseOffset: 0n, baseTimestamp: BigInt(Date.now()), producerId: -1n, producerEpoch: -1, baseSequence: -1, transactional: false },
        );
        return { index: p, records: batch };
      });
      const w = new Writer(records * (value.length + 16) + 1024);
      w.int32(0);
      encodeRequestHeader(w, { requestApiKey: ProduceApi.apiKey, requestApiVersion: 3, correlationId: 1, clientId: 'bench-floor' }, requestHeaderVersion(ProduceApi.apiKey, 3));
      ProduceApi.encodeRequest(w, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData }] }, 3);
      frame = Buffer.from(w.finish());
      frame.writeInt32BE(frame.length - 4, 0);
      requests.set(k, frame);
    }
    return frame;
  };
  const roundTrip = (frame: Buffer): Promise<void> =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      socket.write(frame);
    });
  // Awaited: the socket is polled while the response is due, as Samsa's client does
  // (samsa.busy.poll.us), so the floor stays the ceiling for every client.
  const polledRoundTrip = (frame: Buffer): Promise<void> =>
    new Promise<void>((resolve) => {
      busyPollBegin(performance.now() + FLOOR_POLL_US / 1000);
      waiting.push(() => {
        busyPollEnd();
        resolve();
      });
      socket.write(frame);
    });
  return {
    name: 'floor',
    async batched(topic, value, count) {
      await pool(count, (_s, n) => roundTrip(requestFor(topic, value, n)));
    },
    async awaited(topic, value, count) {
      const frame = requestFor(topic, value, 1);
      for (let i = 0; i < count; i++) await polledRoundTrip(frame);
    },
    async close() {
      socket.destroy();
    },
  };
}

async function pool(count: number, run: (start: number, n: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const start = next;
      const n = Math.min(CHUNK, count - start);
      next += n;
      await run(start, n);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function kafkajsClient(bootstrap: string): Promise<Client> {
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  return {
    name: 'kafkajs',
    async batched(topic, value, count) {
      await pool(count, (_s, n) => producer.send({ topic, acks: -1, messages: Array.from({ length: n }, () => ({ value })) }));
    },
    async awaited(topic, value, count) {
      for (let i = 0; i < count; i++) await producer.send({ topic, acks: -1, messages: [{ value }] });
    },
    close: () => producer.disconnect(),
  };
}

async function platformaticClient(bootstrap: string): Promise<Client> {
  const producer = new PlatformaticProducer({ clientId: 'bench-platformatic', bootstrapBrokers: [bootstrap], acks: ProduceAcks.ALL });
  return {
    name: 'platformatic',
    async batched(topic, value, count) {
      await pool(count, (_s, n) => producer.send({ messages: Array.from({ length: n }, () => ({ topic, value })) }));
    },
    async awaited(topic, value, count) {
      for (let i = 0; i < count; i++) await producer.send({ messages: [{ topic, value }] });
    },
    close: () => producer.close(),
  };
}

const FLOOR_POLL_US = 200;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!;

async function main(): Promise<void> {
  const dir = makeTempDir('samsa-bench-producer-');
  // The built broker (as the consumer bench): both benches measure the same build.
  const broker = await startSamsa({ dataDir: dir, cliMain: join(REPO_ROOT, 'dist', 'cli', 'main.js'), overrides: { 'num.partitions': String(PARTITIONS) } });
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  console.log(`broker ${broker.bootstrap} (separate process); ${MESSAGES} msgs batched (a third at 1 KiB), ${AWAITED} awaited; median of ${RUNS} runs; node ${process.version}`);
  const makers: Record<string, (b: string) => Promise<Client>> = {
    // The peers' batch: ~167 records per partition per request.
    samsa: (b) => samsaClient(b, 'samsa', (size) => ({ 'batch.size': samsaBatchSize(size) })),
    // Awaited sends without busy polling: what the CPU it spends buys.
    'samsa-sleep': async (b) => {
      const c = await samsaClient(b, 'samsa-sleep', () => ({ 'samsa.busy.poll.us': 0 }));
      delete c.batched;
      return c;
    },
    kafkajs: kafkajsClient,
    platformatic: platformaticClient,
    floor: floorClient,
  };
  const clients: Client[] = [];
  for (const [name, make] of Object.entries(makers)) if (only === null || only.includes(name)) clients.push(await make(broker.bootstrap));
  /** msgs/s of each run, by scenario and client. */
  const results = new Map<string, Map<string, number[]>>();
  /** CPU µs (user + system, this process) per record of each run, by scenario and client. */
  const cpu = new Map<string, Map<string, number[]>>();
  let topicSeq = 0;
  try {
    for (const size of [100, 1024]) {
      const value = Buffer.alloc(size, 120);
      for (const mode of ['batched', 'awaited'] as const) {
        const count = mode === 'batched' ? (size === 100 ? MESSAGES : Math.floor(MESSAGES / 3)) : AWAITED;
        const label = `${mode} ${size === 100 ? '100 B' : '1 KiB'}`;
        const row = new Map<string, number[]>();
        results.set(label, row);
        const cpuRow = new Map<string, number[]>();
        cpu.set(label, cpuRow);
        const here = clients.filter((c) => c[mode] !== undefined);
        const topics = new Map<string, string>();
        for (const c of here) {
          const topic = `bench-${c.name}-${++topicSeq}`;
          topics.set(c.name, topic);
          await admin.createTopics([{ name: topic, numPartitions: PARTITIONS }]);
          // Warm-up (connections, metadata, JIT of client and broker) on the same topic.
          // Awaited sends take ~10,000 round trips before V8 has optimized both sides' paths.
          await c[mode]!(topic, value, mode === 'awaited' ? Math.max(count, 10_000) : Math.min(2000, count));
        }
        // The machine is shared: runs interleave the clients.
        for (let run = 0; run < RUNS; run++) {
          for (const c of here) {
            const t0 = performance.now();
            const c0 = process.cpuUsage();
            await c[mode]!(topics.get(c.name)!, value, count);
            const used = process.cpuUsage(c0);
            row.set(c.name, [...(row.get(c.name) ?? []), count / ((performance.now() - t0) / 1000)]);
            cpuRow.set(c.name, [...(cpuRow.get(c.name) ?? []), (used.user + used.system) / count]);
          }
        }
        const what =
          mode === 'batched'
            ? `${count} records of ${size} B, concurrent sends (peers: arrays of ${CHUNK}, ~${peerBatchBytes(size)} B per partition; samsa: batch.size ${samsaBatchSize(size)}), then wait for all`
            : `${count} records of ${size} B, one send at a time, each awaited`;
        console.log(`${label}: ${what}`);
        for (const c of here) {
          const rate = median(row.get(c.name)!);
          const cpuUs = median(cpuRow.get(c.name)!);
          console.log(`  ${c.name.padEnd(13)} ${Math.round(rate).toString().padStart(9)} msgs/s  ${((rate * size) / 1e6).toFixed(1).padStart(7)} MB/s  ${cpuUs.toFixed(1).padStart(6)} µs CPU/msg   (best ${Math.round(Math.max(...row.get(c.name)!))})`);
        }
      }
    }
  } finally {
    for (const c of clients) await c.close().catch(() => {});
    admin.close();
    await broker.stop();
    removeDir(dir);
  }
  console.log('\nSamsa ratios, median of per-run ratios (targets: >= 3x kafkajs, >= 1.5x platformatic):');
  const summary: string[] = [];
  const peers = ['kafkajs', 'platformatic'];
  for (const [label, row] of results) {
    for (const ours of ['samsa', 'samsa-sleep', 'floor']) {
      const s = row.get(ours);
      if (s === undefined) continue;
      const parts: string[] = [];
      for (const n of peers) {
        const r = row.get(n);
        if (r === undefined) continue;
        const ratio = median(s.map((x, i) => x / r[i]!));
        parts.push(`${ratio.toFixed(2)}x ${n}`);
        summary.push(`${ours}_${label.replace(/\s+/g, '_')}_vs_${n}=${ratio.toFixed(2)}`);
      }
      const note = ours === 'floor' ? '  (no client work: the most any client could reach)' : ours === 'samsa-sleep' ? '  (samsa.busy.poll.us=0)' : '';
      console.log(`  ${label.padEnd(16)} ${ours.padEnd(12)} ${parts.join('  ')}${note}`);
    }
  }
  console.log(`producer-bench ${summary.join(' ')}`);
}

await main();
