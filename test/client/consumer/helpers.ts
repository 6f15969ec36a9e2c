/**
 * Consumer test helpers: an in-process broker with topics, kcat as the producer
 * (spawned asynchronously: the broker shares this event loop), and poll loops.
 */
import { spawn } from 'node:child_process';
import { Admin } from '../../../src/client/admin/index.ts';
import type { Consumer } from '../../../src/client/consumer/index.ts';
import type { ConsumerRecord } from '../../../src/client/consumer/index.ts';

export function run(cmd: string, args: string[], input?: string | Buffer, timeoutMs = 60_000): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out; stderr: ${err}`));
    }, timeoutMs);
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: err });
    });
    p.stdin.end(input ?? '');
  });
}

export async function createTopic(bootstrap: string, name: string, partitions: number, configs?: Record<string, string>): Promise<void> {
  const admin = new Admin({ bootstrapServers: bootstrap });
  try {
    const [r] = await admin.createTopics([{ name, numPartitions: partitions, replicationFactor: 1, ...(configs ? { configs } : {}) }]);
    if (r?.error) throw r.error;
  } finally {
    admin.close();
  }
}

/** Produces "key:value" lines with kcat to one partition. */
export async function kcatProduce(bootstrap: string, topic: string, partition: number, lines: string[], opts: { codec?: string; headers?: string[] } = {}): Promise<void> {
  const args = ['-b', bootstrap, '-P', '-t', topic, '-p', String(partition), '-K', ':', '-z', opts.codec ?? 'none'];
  for (const h of opts.headers ?? []) args.push('-H', h);
  const r = await run('kcat', args, lines.join('\n') + '\n');
  if (r.code !== 0) throw new Error(`kcat -P failed: ${r.stderr}`);
}

export interface KcatRecord {
  partition: number;
  offset: bigint;
  timestamp: number;
  key: string;
  value: string;
  headers: string;
}

/** Reads a partition from the beginning to its end with kcat: the reference view. */
export async function kcatConsume(bootstrap: string, topic: string, partition: number): Promise<KcatRecord[]> {
  const r = await run('kcat', ['-b', bootstrap, '-C', '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-f', '%p\t%o\t%T\t%k\t%s\t%h\n']);
  if (r.code !== 0) throw new Error(`kcat -C failed: ${r.stderr}`);
  return r.stdout
    .toString()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const f = l.split('\t');
      return { partition: Number(f[0]), offset: BigInt(f[1]!), timestamp: Number(f[2]), key: f[3]!, value: f[4]!, headers: f[5]! };
    });
}

/** Polls until `count` records arrived (or `timeoutMs` passed), returning them. */
export async function pollUntil<K, V>(consumer: Consumer<K, V>, count: number, timeoutMs = 30_000): Promise<ConsumerRecord<K, V>[]> {
  const out: ConsumerRecord<K, V>[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count && Date.now() < deadline) {
    const recs = await consumer.poll(200);
    for (const r of recs) out.push(r);
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function headersText(r: ConsumerRecord<unknown, unknown>): string {
  return r.headers.map((h) => `${h.key}=${h.value === null ? '' : h.value.toString()}`).join(',');
}
