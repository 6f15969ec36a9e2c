/**
 * Broker benchmark: librdkafka (kcat) producing to and consuming from a real
 * `samsa start` process on this machine.
 *
 *   npm run bench:broker [-- --messages 1000000 --profile]
 *
 * Runs the built broker (dist/, as `npm start` and the `samsa` bin do); the npm
 * script builds it first.
 *
 * Prints msgs/s and MB/s for 100 B and 1 KiB records with acks=1 and acks=-1,
 * fetch MB/s from the page cache, start-to-ready time and idle RSS, each with its
 * ratio to the target, and ends with the one summary line tools read:
 *   broker-bench ingest100B_msgs_s=N ingest1KiB_MBs=N fetch_MBs=N ready_ms=N idle_rss_MB=N
 * --profile runs the broker under --cpu-prof (profile written to the data dir).
 * No assertions: figures only.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT, startSamsa } from '../test/interop/harness.ts';

const args = process.argv.slice(2);
const argValue = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const MESSAGES_100B = argValue('messages', 1_000_000);
const MESSAGES_1KIB = Math.max(1000, Math.floor(MESSAGES_100B / 4));
const PROFILE = args.includes('--profile');

const TARGETS = { ingest100B_msgs_s: 1_000_000, ingest1KiB_MBs: 400, fetch_MBs: 800, ready_ms: 300, idle_rss_MB: 80 };

function requireTool(cmd: string): void {
  const r = spawnSync(cmd, ['-V'], { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} is required for this benchmark (apt-get install kcat)`);
}

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

function kcat(argv: string[]): number {
  const t0 = performance.now();
  const r = spawnSync('kcat', argv, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`kcat ${argv.join(' ')} failed: ${r.stderr.toString()}`);
  return ms;
}

function rssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  requireTool('kcat');
  const work = mkdtempSync(join(tmpdir(), 'samsa-bench-'));
  const file100 = join(work, 'm100.txt');
  const file1k = join(work, 'm1k.txt');
  await writeLines(file100, MESSAGES_100B, 100);
  await writeLines(file1k, MESSAGES_1KIB, 1024);

  const spawnT0 = performance.now();
  const samsa = await startSamsa({
    dataDir: join(work, 'data'),
    cliMain: join(REPO_ROOT, 'dist', 'cli', 'main.js'),
    nodeArgs: PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(work, 'profile')}`] : [],
  });
  const spawnToReadyMs = performance.now() - spawnT0;
  const readyMs = Number(/ready_ms=(\d+)/.exec(samsa.readyLine)?.[1] ?? NaN);
  await new Promise((r) => setTimeout(r, 1000));
  const idleRss = rssMB(samsa.proc.pid!);

  const common = ['-b', samsa.bootstrap, '-X', 'linger.ms=5', '-X', 'batch.size=1000000', '-X', 'queue.buffering.max.messages=2000000', '-X', 'queue.buffering.max.kbytes=2097151'];
  const results: Record<string, number> = {};
  console.log(`samsa broker bench: ${fmt(MESSAGES_100B)} x 100 B, ${fmt(MESSAGES_1KIB)} x 1 KiB, kcat (librdkafka) on the same host`);
  console.log(`start-to-ready: broker ${readyMs} ms, spawn-to-ready ${fmt(spawnToReadyMs)} ms (node start included); idle RSS ${fmt(idleRss, 1)} MB`);
  for (const acks of ['1', '-1']) {
    const ms100 = kcat(['-P', ...common, '-X', `acks=${acks}`, '-t', `b100-acks${acks}`, '-l', file100]);
    const rate100 = MESSAGES_100B / (ms100 / 1000);
    const ms1k = kcat(['-P', ...common, '-X', `acks=${acks}`, '-t', `b1k-acks${acks}`, '-l', file1k]);
    const mbs1k = (MESSAGES_1KIB * 1024) / (ms1k / 1000) / 1e6;
    results[`ingest100B_acks${acks}`] = rate100;
    results[`ingest1KiB_acks${acks}`] = mbs1k;
    console.log(`produce acks=${acks.padEnd(2)}  100 B: ${fmt(rate100)} msgs/s (${fmt((rate100 * 100) / 1e6, 1)} MB/s)   1 KiB: ${fmt(mbs1k, 1)} MB/s (${fmt(MESSAGES_1KIB / (ms1k / 1000))} msgs/s)`);
  }
  // kcat -e exits at the end of the log, which it learns from a Fetch there: that one
  // waits fetch.wait.max.ms (500 ms by default, on any broker) for data that never
  // comes. With 250 MB to read that wait would be most of the time measured, so the
  // figure uses a 10 ms wait; the default's is printed too.
  const consume = (waitMs: number): number =>
    kcat(['-C', '-b', samsa.bootstrap, '-t', 'b1k-acks1', '-o', 'beginning', '-e', '-q', '-f', '%o\n', '-X', 'fetch.max.bytes=52428800', '-X', 'max.partition.fetch.bytes=10485760', '-X', `fetch.wait.max.ms=${waitMs}`]);
  const fetchMs = consume(10);
  const fetchMBs = (MESSAGES_1KIB * 1024) / (fetchMs / 1000) / 1e6;
  const defaultWaitMs = consume(500);
  console.log(
    `consume 1 KiB from page cache: ${fmt(fetchMBs, 1)} MB/s (${fmt(MESSAGES_1KIB / (fetchMs / 1000))} msgs/s); ` +
      `${fmt((MESSAGES_1KIB * 1024) / (defaultWaitMs / 1000) / 1e6, 1)} MB/s counting the 500 ms end-of-log wait of fetch.wait.max.ms's default`,
  );
  const loadedRss = rssMB(samsa.proc.pid!);
  console.log(`RSS after the run: ${fmt(loadedRss, 1)} MB`);
  await samsa.stop();

  const summary = {
    ingest100B_msgs_s: Math.round(Math.max(results.ingest100B_acks1!, 0)),
    ingest1KiB_MBs: Math.round(results['ingest1KiB_acks1']!),
    fetch_MBs: Math.round(fetchMBs),
    ready_ms: readyMs,
    idle_rss_MB: Math.round(idleRss),
  };
  console.log('\nagainst the targets (ratio > 1 meets it):');
  for (const [k, target] of Object.entries(TARGETS)) {
    const v = summary[k as keyof typeof summary];
    const ratio = k === 'ready_ms' || k === 'idle_rss_MB' ? target / v : v / target;
    console.log(`  ${k.padEnd(18)} ${fmt(v).padStart(12)}  target ${fmt(target).padStart(10)}  ratio ${ratio.toFixed(2)}`);
  }
  if (PROFILE) console.log(`CPU profile: ${join(work, 'profile')} (kept)`);
  else rmSync(work, { recursive: true, force: true });
  console.log(`broker-bench ingest100B_msgs_s=${summary.ingest100B_msgs_s} ingest1KiB_MBs=${summary.ingest1KiB_MBs} fetch_MBs=${summary.fetch_MBs} ready_ms=${summary.ready_ms} idle_rss_MB=${summary.idle_rss_MB}`);
}

await main();
