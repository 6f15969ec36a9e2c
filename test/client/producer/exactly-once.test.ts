/**
 * Exactly-once consume-transform-produce with Samsa's client, under faults, against
 * a real `samsa start` process:
 * - EOS_RECORDS input records (default 100,000) on 4 partitions, processed by
 *   eos-processor.ts in transactions of 750 with the consumed offsets;
 * - the processor is killed with SIGKILL three times, each time right after a
 *   transaction's records were written and before its commit, at random moments,
 *   and restarted (same transactional.id: it fences its zombie and the coordinator
 *   aborts the open transaction);
 * - the broker is killed (SIGKILL) and restarted once, on the same port and data;
 * - a librdkafka read_committed consumer reads the output the whole time;
 * - once with transactions v2 (the broker's default) and once with v1.
 * Then: the committed output equals the input (each record once, per-partition
 * order kept), aborted records are in the log (read_uncommitted sees more), and
 * librdkafka saw only committed records, each once.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Admin } from '../../../src/client/admin/index.ts';
import { Consumer } from '../../../src/client/consumer/index.ts';
import { Producer } from '../../../src/client/producer/index.ts';
import { PYTHON, makeTempDir, removeDir, startSamsa } from '../../interop/harness.ts';
import type { Samsa } from '../../interop/harness.ts';

const RECORDS = Number(process.env.EOS_RECORDS ?? 100_000);
const TXN_SIZE = 750;
const PARTITIONS = 4;
const KILLS = 3;
const HERE = import.meta.dirname;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A child process whose stdout lines can be awaited. */
class Proc {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  private waiters: { test: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  readonly exited: Promise<number>;
  stderr = '';

  constructor(cmd: string, args: string[]) {
    this.child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.child.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        this.lines.push(line);
        this.waiters = this.waiters.filter((w) => {
          if (!w.test(line)) return true;
          w.resolve(line);
          return false;
        });
      }
    });
    this.child.stderr!.on('data', (b: Buffer) => {
      this.stderr = (this.stderr + b.toString()).slice(-20_000);
    });
    this.exited = new Promise((r) => this.child.on('exit', (code, signal) => r(code ?? (signal ? 128 : -1))));
  }

  /** The next line (from now on) matching `test`; rejects if the process exits first or after `timeoutMs`. */
  next(test: (l: string) => boolean, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching line within ${timeoutMs} ms; last lines: ${this.lines.slice(-5).join(' / ')}; stderr: ${this.stderr.slice(-2000)}`)), timeoutMs);
      const done = (l: string): void => {
        clearTimeout(timer);
        resolve(l);
      };
      this.waiters.push({ test, resolve: done });
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`process exited (${code}); last lines: ${this.lines.slice(-5).join(' / ')}; stderr: ${this.stderr.slice(-2000)}`));
      });
    });
  }
}

for (const level of [2, 1]) describe(`exactly-once consume-transform-produce with kill -9 and a broker restart, transaction.version ${level}`, { timeout: 600_000 }, () => {
  let broker: Samsa;
  const dataDir = makeTempDir('samsa-eos-');
  after(async () => {
    await broker?.stop();
    removeDir(dataDir);
  });

  it(`${RECORDS} records, ${TXN_SIZE} per transaction: output == input, no duplicates, order kept, librdkafka read_committed sees no aborted record`, async (t) => {
    const overrides = { 'samsa.transaction.version': String(level), 'transaction.state.log.num.partitions': '5', 'offsets.topic.num.partitions': '5', 'group.initial.rebalance.delay.ms': '0', 'auto.create.topics.enable': 'false' };
    broker = await startSamsa({ dataDir, overrides });
    const bootstrap = broker.bootstrap;
    const admin = new Admin({ bootstrapServers: bootstrap });
    const created = await admin.createTopics([
      { name: 'eos-in', numPartitions: PARTITIONS, replicationFactor: 1 },
      { name: 'eos-out', numPartitions: PARTITIONS, replicationFactor: 1 },
    ]);
    admin.close();
    for (const r of created) assert.equal(r.error, null);

    // Input: record i on partition i % 4, so per-partition order is increasing i.
    const input = new Producer<string, string>({ 'bootstrap.servers': bootstrap, 'key.serializer': 'string', 'value.serializer': 'string' });
    for (let i = 0; i < RECORDS; i++) input.send({ topic: 'eos-in', partition: i % PARTITIONS, key: `k${i}`, value: `v${i}` });
    await input.flush();
    await input.close();

    const observedFile = join(dataDir, '..', `${dataDir.split('/').pop()}.rdkafka.tsv`);
    const observer = new Proc(PYTHON, [join(HERE, 'rdkafka_read_committed.py'), bootstrap, 'eos-out', String(PARTITIONS), String(RECORDS), observedFile, '400']);

    const processor = (incarnation: number): Proc =>
      new Proc(process.execPath, [join(HERE, 'eos-processor.ts'), bootstrap, 'eos-in', 'eos-out', 'eos-group', 'eos-txn', String(incarnation), String(RECORDS), String(TXN_SIZE)]);

    let incarnation = 1;
    let proc = processor(incarnation);
    let committedBefore = 0; // transactions committed by earlier incarnations
    const committedSoFar = (): number => committedBefore + proc.lines.filter((l) => l.startsWith('committed ')).length;
    // Kill points spread over the run (by transactions committed so far), with jitter.
    const txns = Math.ceil(RECORDS / TXN_SIZE);
    const targets = Array.from({ length: KILLS }, (_, k) => Math.max(1, Math.floor((txns * (k + 1)) / (KILLS + 2) + (Math.random() - 0.5) * (txns / (KILLS + 2)))));
    const restartAfterKill = 1 + Math.floor(Math.random() * KILLS); // the broker restarts after this kill
    for (let k = 1; k <= KILLS; k++) {
      // Right after a transaction's records are written, before its commit.
      await proc.next((l) => l.startsWith('sent ') && committedSoFar() >= targets[k - 1]!, 120_000);
      proc.child.kill('SIGKILL');
      await proc.exited;
      committedBefore += proc.lines.filter((l) => l.startsWith('committed ')).length;
      proc = processor(++incarnation);
      if (k === restartAfterKill) {
        // The broker goes down hard while the new processor starts up against it.
        await sleep(200 + Math.random() * 800);
        await broker.kill('SIGKILL');
        broker = await startSamsa({ dataDir, overrides: { ...overrides, listeners: `PLAINTEXT://127.0.0.1:${broker.port}` } });
      }
    }
    await proc.next((l) => l === 'done', 300_000);
    assert.equal(await proc.exited, 0);
    const recovered = proc.lines.filter((l) => l.startsWith('error'));

    const observerResult = JSON.parse((observer.lines.find((l) => l.startsWith('{')) ?? (await observer.next((l) => l.startsWith('{'), 420_000))).trim()) as { seen: number; errors: string[] };
    await observer.exited;

    // The committed output, as Samsa's read_committed consumer sees it.
    const readOut = async (isolation: 'read_committed' | 'read_uncommitted'): Promise<{ partition: number; value: string }[]> => {
      const c = new Consumer<string, string>({ 'bootstrap.servers': broker.bootstrap, 'isolation.level': isolation, 'auto.offset.reset': 'earliest', 'key.deserializer': 'string', 'value.deserializer': 'string' });
      try {
        const parts = Array.from({ length: PARTITIONS }, (_, p) => ({ topic: 'eos-out', partition: p }));
        c.assign(parts);
        const ends = await c.endOffsets(parts);
        const out: { partition: number; value: string }[] = [];
        const deadline = Date.now() + 120_000;
        for (;;) {
          let done = true;
          for (const e of ends) if ((await c.position(e)) < e.offset) done = false;
          if (done || Date.now() > deadline) break;
          for (const r of await c.poll(500)) out.push({ partition: r.partition, value: r.value });
        }
        return out;
      } finally {
        await c.close();
      }
    };
    const committed = await readOut('read_committed');
    const raw = await readOut('read_uncommitted');

    // Output == input: every input record exactly once, on its partition, in order.
    const inputOf = (v: string): number => Number(v.slice(1, v.indexOf('|')));
    assert.equal(committed.length, RECORDS, `committed output has ${committed.length} records (recovered errors: ${recovered.join(' / ')})`);
    const seen = new Set<number>();
    const last = new Array<number>(PARTITIONS).fill(-1);
    for (const r of committed) {
      const i = inputOf(r.value);
      assert.ok(!seen.has(i), `v${i} committed twice`);
      seen.add(i);
      assert.equal(i % PARTITIONS, r.partition, `v${i} on partition ${r.partition}`);
      assert.ok(i > last[r.partition]!, `order broken on partition ${r.partition}: v${i} after v${last[r.partition]}`);
      last[r.partition] = i;
    }
    assert.equal(seen.size, RECORDS);
    // The kills left aborted transactions in the log (each kill came after a flush).
    assert.ok(raw.length > RECORDS, `read_uncommitted sees ${raw.length} records: the killed processors' transactions are in the log`);
    const committedValues = new Set(committed.map((r) => r.value));
    const aborted = raw.filter((r) => !committedValues.has(r.value));
    // A kill may land just after a commit (the processor runs on while the line travels), so at least one.
    assert.ok(aborted.length >= 1, `${aborted.length} aborted records`);

    const abortedBy = new Map<string, number>();
    for (const r of aborted) {
      const tag = r.value.slice(r.value.indexOf('|') + 1);
      abortedBy.set(tag, (abortedBy.get(tag) ?? 0) + 1);
    }
    t.diagnostic(`aborted transactions (incarnation.txn → records): ${[...abortedBy].map(([k, v]) => `${k}→${v}`).join(', ')}`);
    t.diagnostic(`kill targets (txns committed): ${targets.join(', ')}; broker restarted after kill ${restartAfterKill}; incarnations ${incarnation}; aborted records in the log ${aborted.length}; recovered errors in the last incarnation: ${recovered.length}; librdkafka saw ${observerResult.seen}`);
    // librdkafka's read_committed view: only committed records, each once, all of them.
    const observed = readFileSync(observedFile, 'utf8').split('\n').filter((l) => l !== '').map((l) => l.split('\t')[2]!);
    const leaked = observed.filter((v) => !committedValues.has(v));
    assert.deepEqual(leaked.slice(0, 5), [], `librdkafka read_committed saw ${leaked.length} aborted records`);
    assert.equal(new Set(observed).size, observed.length, 'librdkafka saw a record twice');
    assert.equal(observed.length, RECORDS, `librdkafka saw ${observed.length} records (${JSON.stringify(observerResult)})`);
  });
});
