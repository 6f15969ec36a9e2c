/**
 * Client memory soak: Samsa's Producer and Consumer (one group member) run against a
 * spawned `samsa start` for SAMSA_SOAK_SECONDS (default 600), producing and
 * consuming as fast as they can (at most SAMSA_SOAK_INFLIGHT unacknowledged records),
 * while this process's RSS is sampled every SAMSA_SOAK_SAMPLE_MS (default 5000) after a
 * warm-up (SAMSA_SOAK_WARMUP_SECONDS, default 10% of the run, at most 60 s). With
 * --expose-gc (npm run bench:soak passes it) each sample follows a full gc(), so the
 * samples show retained memory rather than garbage not yet collected.
 *
 *   npm run bench:soak                          # 600 s
 *   SAMSA_SOAK_SECONDS=60 node --expose-gc bench/client-soak.bench.ts
 *
 * Records: 200-byte values, keys from 1000, one header; a 6-partition topic with
 * small segments and retention so the disk stays bounded. The broker is a separate
 * process (src/cli/main.ts; --built uses dist/cli/main.js): only the client's memory
 * is measured here.
 *
 * Output: one line per sample (t, msgs/s produced and consumed in the interval, RSS,
 * heap used, external, arrayBuffers), a line
 *   client-soak-counts produced=N acked=N consumed=N duplicates=N gaps=N send_errors=N consume_error=...
 *   client-soak-heap heap_start_MB=X heap_end_MB=Y external_end_MB=Z halves_delta_MB=D
 * (after the producer stops and the consumer drains: consumed = acked when nothing is
 * lost), and last:
 *   client-soak seconds=N rss_start_MB=X rss_end_MB=Y rss_max_MB=Z growth_MB_per_min=G verdict=steady|growing
 * rss_start is the first sample after warm-up. growth_MB_per_min is the least-squares
 * slope of RSS over the second half of the samples; verdict=growing when that slope is
 * above 1 MB/min AND the second half's mean RSS is more than 8 MB above the first
 * half's (a heap that has settled moves up and down around a level; a leak climbs in
 * both halves).
 */
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { Admin } from '../src/client/admin/index.ts';
import { Producer } from '../src/client/producer/index.ts';
import { Consumer } from '../src/client/consumer/index.ts';
import { REPO_ROOT, makeTempDir, removeDir, startSamsa } from '../test/interop/harness.ts';

const env = (name: string, dflt: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return n;
};

export interface SoakSample {
  t: number;
  rssMB: number;
  heapMB: number;
  externalMB: number;
  arrayBuffersMB: number;
  /** V8's committed heap pages in memory, and what V8 malloc()ed outside its heap. */
  heapPhysicalMB: number;
  v8MallocedMB: number;
  producedPerSec: number;
  consumedPerSec: number;
}

export interface SoakVerdict {
  heapStartMB: number;
  heapEndMB: number;
  externalEndMB: number;
  rssStartMB: number;
  rssEndMB: number;
  rssMaxMB: number;
  growthMBPerMin: number;
  halvesDeltaMB: number;
  verdict: 'steady' | 'growing';
}

const MB = 1024 * 1024;
const round = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;

function slopePerMin(samples: readonly SoakSample[]): number {
  if (samples.length < 2) return 0;
  const n = samples.length;
  const mx = samples.reduce((a, s) => a + s.t, 0) / n;
  const my = samples.reduce((a, s) => a + s.rssMB, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.t - mx) * (s.rssMB - my);
    den += (s.t - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60;
}

/** The verdict on post-warm-up samples (t in seconds). */
export function judge(samples: readonly SoakSample[]): SoakVerdict {
  if (samples.length === 0) throw new Error('no samples after warm-up: run longer');
  const half = Math.floor(samples.length / 2);
  const first = samples.slice(0, Math.max(1, half));
  const second = samples.slice(half);
  const mean = (l: readonly SoakSample[]) => l.reduce((a, s) => a + s.rssMB, 0) / l.length;
  const growth = slopePerMin(second);
  const delta = mean(second) - mean(first);
  return {
    heapStartMB: samples[0]!.heapMB,
    heapEndMB: samples.at(-1)!.heapMB,
    externalEndMB: samples.at(-1)!.externalMB,
    rssStartMB: samples[0]!.rssMB,
    rssEndMB: samples.at(-1)!.rssMB,
    rssMaxMB: Math.max(...samples.map((s) => s.rssMB)),
    growthMBPerMin: growth,
    halvesDeltaMB: delta,
    verdict: growth > 1 && delta > 8 ? 'growing' : 'steady',
  };
}

export async function soak(opts: { seconds: number; sampleMs: number; warmupSeconds: number; inflight: number; built: boolean; log: (line: string) => void }): Promise<SoakVerdict> {
  const { log } = opts;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) log('# no --expose-gc: samples include uncollected garbage');
  const tmp = makeTempDir('samsa-client-soak-');
  const broker = await startSamsa({
    dataDir: join(tmp, 'data'),
    cliMain: opts.built ? join(REPO_ROOT, 'dist', 'cli', 'main.js') : undefined,
    overrides: {
      'group.initial.rebalance.delay.ms': '0',
      'log.segment.bytes': String(16 * MB),
      'log.retention.bytes': String(64 * MB),
      'log.retention.check.interval.ms': '5000',
    },
  });
  const topic = 'soak';
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  const producer = new Producer<string, Buffer>({ 'bootstrap.servers': broker.bootstrap, 'linger.ms': 5 });
  const consumer = new Consumer({ 'bootstrap.servers': broker.bootstrap, 'group.id': 'soak', 'auto.offset.reset': 'earliest' });
  try {
    const [created] = await admin.createTopics([{ name: topic, numPartitions: 6, replicationFactor: 1 }]);
    if (created?.error) throw created.error;

    let produced = 0;
    let acked = 0;
    let sendErrors = 0;
    let firstSendError = '';
    let consumed = 0;
    let duplicates = 0;
    let gaps = 0;
    let consumeError: Error | null = null;
    const next = new Map<number, bigint>();
    const onSent = (err: Error | null): void => {
      if (err) {
        sendErrors++;
        firstSendError ||= err.message;
      } else acked++;
    };
    let producing = true;
    const produceLoop = (async () => {
      const headers = [{ key: 'soak', value: 'yes' }];
      while (producing) {
        // At most opts.inflight records waiting: send() never blocks, so this is the backpressure.
        const room = Math.min(2000, opts.inflight - (produced - acked - sendErrors));
        for (let i = 0; i < room; i++) {
          const value = Buffer.alloc(200, 'x');
          value.writeUInt32BE(produced >>> 0, 0);
          producer.send({ topic, key: `key-${produced % 1000}`, value, headers }, onSent);
          produced++;
        }
        await new Promise((r) => setImmediate(r));
        if (room <= 0) await new Promise((r) => setTimeout(r, 1));
      }
      await producer.flush();
    })();

    consumer.subscribe([topic]);
    const consumeLoop = consumer
      .consume({
        pollTimeoutMs: 200,
        eachBatch: (records) => {
          for (const r of records) {
            const expect = next.get(r.partition) ?? 0n;
            if (r.offset < expect) duplicates++;
            else if (r.offset > expect && next.has(r.partition)) gaps++;
            next.set(r.partition, r.offset + 1n);
            consumed++;
          }
        },
      })
      .catch((e: Error) => {
        consumeError = e;
      });

    const started = Date.now();
    const samples: SoakSample[] = [];
    let lastT = 0;
    let lastProduced = 0;
    let lastConsumed = 0;
    log(`# broker ${broker.bootstrap}; ${opts.seconds} s, sample every ${opts.sampleMs} ms after ${opts.warmupSeconds} s warm-up`);
    log('t_s produced_per_s consumed_per_s rss_MB heap_MB external_MB arraybuffers_MB heap_physical_MB v8_malloced_MB');
    while (Date.now() - started < opts.seconds * 1000) {
      await new Promise((r) => setTimeout(r, opts.sampleMs));
      if (consumeError) throw consumeError;
      if (gc) gc();
      const m = process.memoryUsage();
      const h = getHeapStatistics();
      const t = (Date.now() - started) / 1000;
      const s: SoakSample = {
        t,
        rssMB: m.rss / MB,
        heapMB: m.heapUsed / MB,
        externalMB: m.external / MB,
        arrayBuffersMB: m.arrayBuffers / MB,
        heapPhysicalMB: h.total_physical_size / MB,
        v8MallocedMB: h.malloced_memory / MB,
        producedPerSec: (acked - lastProduced) / (t - lastT),
        consumedPerSec: (consumed - lastConsumed) / (t - lastT),
      };
      lastT = t;
      lastProduced = acked;
      lastConsumed = consumed;
      const warm = t >= opts.warmupSeconds;
      if (warm) samples.push(s);
      log(`${round(t)} ${Math.round(s.producedPerSec)} ${Math.round(s.consumedPerSec)} ${round(s.rssMB)} ${round(s.heapMB)} ${round(s.externalMB)} ${round(s.arrayBuffersMB)} ${round(s.heapPhysicalMB)} ${round(s.v8MallocedMB)}${warm ? '' : ' (warm-up)'}`);
    }
    const elapsed = (Date.now() - started) / 1000;
    producing = false;
    await produceLoop;
    const drainDeadline = Date.now() + 60_000;
    while (consumed - duplicates < acked && !consumeError && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 100));
    consumer.stop();
    await consumeLoop;
    log(`client-soak-throughput produced_msgs_per_s=${Math.round(acked / elapsed)} consumed_msgs_per_s=${Math.round(consumed / elapsed)}`);
    log(
      `client-soak-counts produced=${produced} acked=${acked} consumed=${consumed - duplicates} duplicates=${duplicates} gaps=${gaps} send_errors=${sendErrors}` +
        `${firstSendError ? ` first_send_error=${JSON.stringify(firstSendError)}` : ''} consume_error=${consumeError ? JSON.stringify(String(consumeError)) : 'none'}`,
    );
    return judge(samples);
  } finally {
    await consumer.close().catch(() => {});
    await producer.close({ timeoutMs: 5000 }).catch(() => {});
    admin.close();
    await broker.stop();
    removeDir(tmp);
  }
}

if (import.meta.main) {
  const seconds = env('SAMSA_SOAK_SECONDS', 600);
  const v = await soak({
    seconds,
    sampleMs: env('SAMSA_SOAK_SAMPLE_MS', 5000),
    warmupSeconds: env('SAMSA_SOAK_WARMUP_SECONDS', Math.min(60, seconds / 10)),
    inflight: env('SAMSA_SOAK_INFLIGHT', 20_000),
    built: process.argv.includes('--built'),
    log: (l) => console.log(l),
  });
  // Where growth is: the JS heap (a leak in JS objects) or outside it (buffers, native memory, allocator).
  console.log(`client-soak-heap heap_start_MB=${round(v.heapStartMB)} heap_end_MB=${round(v.heapEndMB)} external_end_MB=${round(v.externalEndMB)} halves_delta_MB=${round(v.halvesDeltaMB)}`);
  console.log(
    `client-soak seconds=${seconds} rss_start_MB=${round(v.rssStartMB)} rss_end_MB=${round(v.rssEndMB)} rss_max_MB=${round(v.rssMaxMB)} ` +
      `growth_MB_per_min=${round(v.growthMBPerMin, 2)} verdict=${v.verdict}`,
  );
  process.exit(0);
}
