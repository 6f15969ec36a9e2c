/**
 * Consumer benchmark: Samsa's Consumer vs kafkajs vs @platformatic/kafka, in one
 * run, reading the same pre-produced topics from the same `samsa start` process
 * (the built broker in dist/: run `npm run build` first).
 *
 *   node bench/client-consumer.bench.ts [--small 500000] [--large 100000] [--runs 3] [--only samsa,kafkajs] [--partition-bytes N]
 *
 * Topics (3 partitions, no compression), produced once with kcat:
 *   c100  --small records of 100 B values
 *   c1k   --large records of 1 KiB values
 * Each client joins a fresh group and reads a topic from the earliest offset to the
 * end, values as raw bytes (no deserialization cost for anyone). Every client asks
 * for the same per-partition fetch size: --partition-bytes, default 1 MiB (Kafka's
 * max.partition.fetch.bytes, kafkajs's maxBytesPerPartition; platformatic's own
 * default is 50 MiB); --partition-bytes 0 leaves each client its default.
 * Other settings are each client's defaults (fetch.min.bytes 1 everywhere; Samsa
 * verifies batch CRC32Cs, as Java's check.crcs=true, the peers do not).
 * Samsa poll() loop; kafkajs eachBatch; platformatic the message stream's 'data' events.
 * Throughput is measured from the client's start (connect, join, first fetch) to the
 * last record: measuring from the first record would hide a large first fetch,
 * which brings most of a topic before the first record is handed over. The time
 * to the first record is shown apart. A first, uncounted run warms every client up.
 * Each figure is the median of --runs runs
 * (best shown too), clients interleaved within each run; a ratio is the median of
 * the per-run ratios (each run's clients ran back to back, under the same load).
 * Prints msgs/s, MB/s, and Samsa's ratios to each peer.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { Consumer as PlatformaticConsumer, MessagesStreamModes } from '@platformatic/kafka';
import { Admin } from '../src/client/admin/admin.ts';
import { Consumer } from '../src/client/consumer/index.ts';
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
const SMALL = arg('small', 500_000);
const LARGE = arg('large', 100_000);
const RUNS = arg('runs', 3);
const PARTITIONS = 3;
/** --partition-bytes N: the same per-partition fetch size for every client (1 MiB by default; 0: each client's own default). */
const PARTITION_BYTES = arg('partition-bytes', 1_048_576);

interface Result {
  records: number;
  bytes: number;
  /** Start to the last record. */
  ms: number;
  /** Start to first record (connect, join, first fetch). */
  firstMs: number;
}

type Reader = (bootstrap: string, topic: string, expected: number, group: string) => Promise<Result>;

async function writeLines(path: string, count: number, size: number): Promise<void> {
  const out = createWriteStream(path);
  const pad = 'x'.repeat(size - 9);
  const chunk: string[] = [];
  for (let i = 0; i < count; i++) {
    chunk.push(`${String(i).padStart(8, '0')}${pad}\n`);
    if (chunk.length === 10_000) {
      if (!out.write(chunk.join(''))) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk.length = 0;
    }
  }
  out.end(chunk.join(''));
  await new Promise<void>((r) => out.once('finish', () => r()));
}

const samsaReader: Reader = async (bootstrap, topic, expected, group) => {
  const c = new Consumer({ 'bootstrap.servers': bootstrap, 'group.id': group, 'auto.offset.reset': 'earliest', ...(PARTITION_BYTES > 0 ? { 'max.partition.fetch.bytes': PARTITION_BYTES } : {}) });
  const t0 = performance.now();
  let first = 0;
  let records = 0;
  let bytes = 0;
  c.subscribe([topic]);
  while (records < expected) {
    const batch = await c.poll(1000);
    if (batch.count === 0) continue;
    if (first === 0) first = performance.now();
    for (const r of batch.all) {
      const v = r.value;
      bytes += v === null ? 0 : v.length;
    }
    records += batch.count;
  }
  const end = performance.now();
  await c.close();
  return { records, bytes, ms: end - t0, firstMs: first - t0 };
};

const kafkajsReader: Reader = async (bootstrap, topic, expected, group) => {
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: group, ...(PARTITION_BYTES > 0 ? { maxBytesPerPartition: PARTITION_BYTES, maxBytes: Math.max(PARTITION_BYTES * PARTITIONS, 10_485_760) } : {}) });
  const t0 = performance.now();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let first = 0;
  let records = 0;
  let bytes = 0;
  let end = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          if (first === 0) first = performance.now();
          for (const m of batch.messages) bytes += m.value === null ? 0 : m.value.length;
          records += batch.messages.length;
          if (records >= expected && end === 0) {
            end = performance.now();
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return { records, bytes, ms: end - t0, firstMs: first - t0 };
};

const platformaticReader: Reader = async (bootstrap, topic, expected, group) => {
  const consumer = new PlatformaticConsumer({ groupId: group, clientId: 'bench-platformatic', bootstrapBrokers: [bootstrap], ...(PARTITION_BYTES > 0 ? { maxBytesPerPartition: PARTITION_BYTES } : {}) });
  const t0 = performance.now();
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: true });
  let first = 0;
  let records = 0;
  let bytes = 0;
  let end = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('data', (m: { value: Buffer | null }) => {
      if (first === 0) first = performance.now();
      bytes += m.value === null || m.value === undefined ? 0 : m.value.length;
      records++;
      if (records >= expected && end === 0) {
        end = performance.now();
        resolve();
      }
    });
  });
  await stream.close();
  await consumer.close(true);
  return { records, bytes, ms: end - t0, firstMs: first - t0 };
};

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

async function main(): Promise<void> {
  if (spawnSync('kcat', ['-V']).error) throw new Error('kcat is required for this benchmark (apt-get install kcat)');
  const work = makeTempDir('samsa-consumer-bench-');
  const samsa = await startSamsa({
    dataDir: join(work, 'data'),
    cliMain: join(REPO_ROOT, 'dist', 'cli', 'main.js'),
    overrides: { 'group.initial.rebalance.delay.ms': '0' },
  });
  try {
    const admin = new Admin({ bootstrapServers: samsa.bootstrap });
    await admin.createTopics([
      { name: 'c100', numPartitions: PARTITIONS, replicationFactor: 1 },
      { name: 'c1k', numPartitions: PARTITIONS, replicationFactor: 1 },
    ]);
    admin.close();
    const topics = [
      { name: 'c100', count: SMALL, size: 100 },
      { name: 'c1k', count: LARGE, size: 1024 },
    ];
    for (const t of topics) {
      const file = join(work, `${t.name}.txt`);
      await writeLines(file, t.count, t.size);
      const r = spawnSync('kcat', ['-P', '-b', samsa.bootstrap, '-t', t.name, '-X', 'linger.ms=5', '-X', 'batch.size=1000000', '-X', 'queue.buffering.max.messages=2000000', '-l', file], { stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`kcat -P failed: ${r.stderr.toString()}`);
    }
    const readers: Record<string, Reader> = { samsa: samsaReader, kafkajs: kafkajsReader, platformatic: platformaticReader };
    const names = Object.keys(readers).filter((n) => only === null || only.includes(n));
    console.log(`consumer bench: ${fmt(SMALL)} x 100 B and ${fmt(LARGE)} x 1 KiB, ${PARTITIONS} partitions, median of ${RUNS} runs, per-partition fetch size ${PARTITION_BYTES > 0 ? fmt(PARTITION_BYTES) : 'client defaults'}, against samsa start (${samsa.bootstrap})`);
    const all = new Map<string, Result[]>();
    let group = 0;
    // Run -1 warms every client up (JIT, the broker's page cache) and is not counted.
    for (let run = -1; run < RUNS; run++) {
      for (const t of topics) {
        for (const n of names) {
          const r = await readers[n]!(samsa.bootstrap, t.name, t.count, `bench-${n}-${group++}`);
          if (r.records < t.count) throw new Error(`${n} read ${r.records} of ${t.count}`);
          if (run < 0) continue;
          const k = `${t.name}/${n}`;
          all.set(k, [...(all.get(k) ?? []), r]);
        }
      }
    }
    // The median run (by time to the last record), and the best.
    const median = new Map<string, Result>();
    const best = new Map<string, Result>();
    for (const [k, rs] of all) {
      const sorted = [...rs].sort((a, b) => a.ms - b.ms);
      median.set(k, sorted[(sorted.length - 1) >> 1]!);
      best.set(k, sorted[0]!);
    }
    const summary: string[] = [];
    for (const t of topics) {
      console.log(`\n${t.name}: ${fmt(t.count)} records of ${t.size} B values, ${PARTITIONS} partitions, from the earliest offset; client start -> last record (median of ${RUNS}):`);
      for (const n of names) {
        const r = median.get(`${t.name}/${n}`)!;
        const b = best.get(`${t.name}/${n}`)!;
        console.log(`  ${n.padEnd(13)} ${fmt((r.records / r.ms) * 1000).padStart(11)} msgs/s ${((r.bytes / r.ms) * 1000 / 1e6).toFixed(1).padStart(8)} MB/s   (first record after ${fmt(r.firstMs)} ms; best run ${fmt((b.records / b.ms) * 1000)} msgs/s)`);
      }
      const s = median.get(`${t.name}/samsa`);
      if (s) {
        for (const n of names) {
          if (n === 'samsa') continue;
          // Paired: each run's ratio (the clients ran back to back), then the median.
          const ours = all.get(`${t.name}/samsa`)!;
          const theirs = all.get(`${t.name}/${n}`)!;
          const ratios = ours.map((o, i) => theirs[i]!.ms / o.ms).sort((a, b) => a - b);
          const ratio = ratios[(ratios.length - 1) >> 1]!;
          console.log(`  samsa / ${n}: ${ratio.toFixed(2)}x   (per run: ${ratios.map((x) => x.toFixed(2)).join(', ')})`);
          summary.push(`${t.name}_vs_${n}=${ratio.toFixed(2)}`);
        }
        summary.unshift(`${t.name}_samsa_msgs_s=${Math.round((s.records / s.ms) * 1000)}`);
      }
    }
    console.log(`\nconsumer-bench ${summary.join(' ')}`);
  } finally {
    await samsa.stop();
    removeDir(work);
  }
}

await main();
