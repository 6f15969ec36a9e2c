/**
 * Producer benchmark: Samsa's Producer vs kafkajs vs @platformatic/kafka, in one
 * run, against the same `samsa start` process (a separate process, so client and
 * broker do not share a thread).
 *
 *   node bench/client-producer.bench.ts [--messages 300000] [--awaited 5000] [--runs 3] [--only samsa]
 *
 * Scenarios, each at 100 B and 1 KiB values, acks=all for every client,
 * no compression, a 6-partition topic, unkeyed records:
 *   batched  many concurrent sends, then wait for all: Samsa send() per record
 *            (fire-and-forget, a window of outstanding records for backpressure,
 *            flush at the end); kafkajs and platformatic send() arrays of 1000
 *            records with up to 8 sends in flight (their fast path).
 *   awaited  one record per send, each awaited before the next (Samsa with
 *            linger.ms=0, what a Java user sets for synchronous sends; the
 *            others have no linger).
 * 'samsa' runs with Kafka's defaults (batch.size 16384); 'samsa-1MiB' with
 * batch.size=1048576 (librdkafka's default), which makes fewer, larger requests.
 * Each figure is the best of --runs runs, the clients interleaved (a shared machine is
 * noisy). Prints msgs/s per client and Samsa's ratios to each peer. Samsa runs with its
 * defaults (idempotence on); the peers with theirs (idempotence off).
 */
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { Producer as PlatformaticProducer, ProduceAcks } from '@platformatic/kafka';
import { Admin } from '../src/client/admin/admin.ts';
import { Producer } from '../src/client/producer/producer.ts';
import { makeTempDir, removeDir, startSamsa } from '../test/interop/harness.ts';

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

type Runner = (topic: string, value: Buffer, count: number) => Promise<void>;
interface Client {
  name: string;
  batched: Runner;
  awaited: Runner;
  close(): Promise<void>;
}

async function samsaClient(bootstrap: string, name = 'samsa', config: Record<string, string> = {}): Promise<Client> {
  const extra: Record<string, string> = { ...config };
  for (let i = 0; i < args.length; i++) if (args[i] === '--samsa-config') extra[args[i + 1]!.split('=')[0]!] = args[i + 1]!.split('=')[1]!;
  const batchedProducer = new Producer({ 'bootstrap.servers': bootstrap, ...extra });
  const awaitedProducer = new Producer({ 'bootstrap.servers': bootstrap, ...extra, 'linger.ms': 0 });
  return {
    name,
    async batched(topic, value, count) {
      // Backpressure: about 8 MB outstanding, well inside buffer.memory (await an older record's ack).
      const WINDOW = Math.max(8 * CHUNK, Math.min(64 * CHUNK, Math.floor(8e6 / value.length)));
      const marks: PromiseLike<unknown>[] = [];
      for (let i = 0; i < count; i++) {
        const f = batchedProducer.send({ topic, value });
        if (i % CHUNK === CHUNK - 1) {
          marks.push(f);
          if (marks.length * CHUNK >= WINDOW) await marks.shift();
        }
      }
      await batchedProducer.flush();
    },
    async awaited(topic, value, count) {
      for (let i = 0; i < count; i++) await awaitedProducer.send({ topic, value });
    },
    async close() {
      await batchedProducer.close();
      await awaitedProducer.close();
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

async function main(): Promise<void> {
  const dir = makeTempDir('samsa-bench-producer-');
  const broker = await startSamsa({ dataDir: dir, overrides: { 'num.partitions': String(PARTITIONS) } });
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  console.log(`broker ${broker.bootstrap} (separate process); ${MESSAGES} msgs batched, ${AWAITED} awaited; node ${process.version}`);
  const makers: Record<string, (b: string) => Promise<Client>> = {
    samsa: (b) => samsaClient(b),
    // librdkafka's default batch size: larger requests, fewer broker round trips.
    'samsa-1MiB': (b) => samsaClient(b, 'samsa-1MiB', { 'batch.size': '1048576' }),
    kafkajs: kafkajsClient,
    platformatic: platformaticClient,
  };
  const clients: Client[] = [];
  for (const [name, make] of Object.entries(makers)) if (only === null || only.includes(name)) clients.push(await make(broker.bootstrap));
  const results = new Map<string, Map<string, number>>();
  let topicSeq = 0;
  try {
    for (const size of [100, 1024]) {
      const value = Buffer.alloc(size, 120);
      for (const mode of ['batched', 'awaited'] as const) {
        const count = mode === 'batched' ? (size === 100 ? MESSAGES : Math.floor(MESSAGES / 3)) : AWAITED;
        const label = `${mode} ${size === 100 ? '100 B' : '1 KiB'}`;
        const row = new Map<string, number>();
        results.set(label, row);
        const topics = new Map<string, string>();
        for (const c of clients) {
          const topic = `bench-${c.name}-${++topicSeq}`;
          topics.set(c.name, topic);
          await admin.createTopics([{ name: topic, numPartitions: PARTITIONS }]);
          // Warm-up (connections, metadata, JIT) on the same topic.
          await c[mode](topic, value, Math.min(2000, count));
        }
        // The machine is shared: runs interleave the clients and each keeps its best.
        for (let run = 0; run < RUNS; run++) {
          for (const c of clients) {
            const t0 = performance.now();
            await c[mode](topics.get(c.name)!, value, count);
            const rate = count / ((performance.now() - t0) / 1000);
            if (rate > (row.get(c.name) ?? 0)) row.set(c.name, rate);
          }
        }
        for (const c of clients) {
          const rate = row.get(c.name)!;
          console.log(`${label.padEnd(16)} ${c.name.padEnd(13)} ${Math.round(rate).toString().padStart(9)} msgs/s  ${((rate * size) / 1e6).toFixed(1).padStart(7)} MB/s`);
        }
      }
    }
  } finally {
    for (const c of clients) await c.close().catch(() => {});
    admin.close();
    await broker.stop();
    removeDir(dir);
  }
  console.log('\nSamsa ratios (targets: >= 3x kafkajs, >= 1.5x platformatic):');
  const summary: string[] = [];
  for (const [label, row] of results) {
    for (const ours of ['samsa', 'samsa-1MiB']) {
      const s = row.get(ours);
      if (s === undefined) continue;
      const parts = [...row].filter(([n]) => !n.startsWith('samsa')).map(([n, r]) => `${(s / r).toFixed(2)}x ${n}`);
      console.log(`  ${label.padEnd(16)} ${ours.padEnd(11)} ${parts.join('  ')}`);
      for (const [n, r] of row) if (!n.startsWith('samsa')) summary.push(`${ours}_${label.replace(/\s+/g, '_')}_vs_${n}=${(s / r).toFixed(2)}`);
    }
  }
  console.log(`producer-bench ${summary.join(' ')}`);
}

await main();
