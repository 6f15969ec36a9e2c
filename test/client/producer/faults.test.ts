/**
 * Faults against a spawned `samsa start` (a separate process we can kill and stop):
 * idempotent delivery across a kill -9 and restart on the same data dir and port,
 * and delivery.timeout.ms expiry while the broker is frozen (SIGSTOP).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Admin } from '../../../src/client/admin/admin.ts';
import { Producer } from '../../../src/client/producer/producer.ts';
import { TimeoutError } from '../../../src/client/producer/errors.ts';
import { makeTempDir, removeDir, startSamsa } from '../../interop/harness.ts';
import type { Samsa } from '../../interop/harness.ts';
import { kcatConsume } from './helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Producer faults (spawned broker)', { timeout: 180_000 }, () => {
  const dirs: string[] = [];
  const brokers: Samsa[] = [];
  after(async () => {
    for (const b of brokers) await b.stop().catch(() => {});
    for (const d of dirs) removeDir(d);
  });

  it('idempotence across a broker kill -9 and restart: no loss, no duplicates, order kept per partition', async () => {
    const tmp = makeTempDir('samsa-producer-restart-');
    dirs.push(tmp);
    const dataDir = join(tmp, 'data');
    const first = await startSamsa({ dataDir, overrides: { 'auto.create.topics.enable': 'false' } });
    brokers.push(first);
    const admin = new Admin({ bootstrapServers: first.bootstrap });
    await admin.createTopics([{ name: 'restart', numPartitions: 3 }]);
    admin.close();
    const p = new Producer({ 'bootstrap.servers': first.bootstrap, 'linger.ms': 1, 'batch.size': 4096, 'request.timeout.ms': 5000, 'reconnect.backoff.ms': 20, 'reconnect.backoff.max.ms': 200 });
    const N = 30_000;
    let failures = 0;
    let firstError: Error | null = null;
    const cb = (err: Error | null) => {
      if (err) {
        failures++;
        firstError ??= err;
      }
    };
    let second: Samsa | null = null;
    for (let i = 0; i < N; i++) {
      p.send({ topic: 'restart', key: `k${i % 5}`, value: String(i) }, cb);
      if (i % 1000 === 999) await sleep(5);
      if (i === 10_000) {
        await first.kill('SIGKILL');
        // Records keep coming while the broker is down; it returns on the same port and data.
        setTimeout(() => {
          void startSamsa({ dataDir, overrides: { listeners: `PLAINTEXT://127.0.0.1:${first.port}`, 'auto.create.topics.enable': 'false' } }).then((s) => {
            second = s;
            brokers.push(s);
          });
        }, 300);
      }
    }
    await p.flush();
    await p.close();
    assert.equal(failures, 0, String(firstError));
    assert.ok(second !== null);
    const lines = await kcatConsume(first.bootstrap, 'restart', '%k %s\n');
    assert.equal(new Set(lines).size, lines.length, 'no duplicates');
    assert.equal(lines.length, N, 'no loss');
    const last = new Map<string, number>();
    for (const l of lines) {
      const [k, v] = l.split(' ');
      assert.ok(Number(v) > (last.get(k!) ?? -1), `order broken for ${k}`);
      last.set(k!, Number(v));
    }
  });

  it('delivery.timeout.ms: records for a frozen broker (SIGSTOP) fail with TimeoutError', async () => {
    const tmp = makeTempDir('samsa-producer-stop-');
    dirs.push(tmp);
    const b = await startSamsa({ dataDir: join(tmp, 'data') });
    brokers.push(b);
    const admin = new Admin({ bootstrapServers: b.bootstrap });
    await admin.createTopics([{ name: 'frozen', numPartitions: 1 }]);
    admin.close();
    const p = new Producer({ 'bootstrap.servers': b.bootstrap, 'linger.ms': 0, 'request.timeout.ms': 500, 'delivery.timeout.ms': 1500 });
    await p.send({ topic: 'frozen', value: 'before' });
    b.proc.kill('SIGSTOP');
    try {
      const outcome = await p.send({ topic: 'frozen', value: 'during' }).then(() => null, (e: unknown) => e);
      assert.ok(outcome instanceof TimeoutError, String(outcome));
      assert.match((outcome as Error).message, /Expiring 1 record\(s\) for frozen-0/);
    } finally {
      b.proc.kill('SIGCONT');
    }
    await p.close({ timeoutMs: 1000 });
  });
});
