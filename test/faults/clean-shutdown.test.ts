/**
 * SIGTERM: a clean shutdown exits 0, leaves `.kafka_cleanshutdown`, recovery-point
 * checkpoints at the log end and producer snapshots; the next start consumes the
 * marker and skips recovery (no index is rewritten), while a start after kill -9
 * recovers (the active segment's indexes are rebuilt). Data is intact both ways.
 *
 * "Skips recovery" is observed through the files, not the clock: recovery rebuilds
 * the indexes of every segment from the recovery point on, which rewrites them; a
 * clean start opens them lazily and leaves them alone. ready_ms of each start is
 * printed for the record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeDir, requireKcat, requirePythonModule, startSamsa } from '../interop/harness.ts';
import type { Samsa } from '../interop/harness.ts';
import { TEST_TIMEOUT_MS, consumeAll, faultTool, sleep } from './helpers.ts';
import type { ConsumedRecord } from './helpers.ts';

const MARKER = '.kafka_cleanshutdown';

function readyMs(b: Samsa): number {
  return Number(/ready_ms=(\d+)/.exec(b.readyLine)?.[1] ?? NaN);
}

/** mtime (ns) of every index file of the topic's partitions. */
function indexTimes(dataDir: string, topic: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const d of readdirSync(dataDir).filter((n) => n.startsWith(`${topic}-`))) {
    for (const f of readdirSync(join(dataDir, d)).filter((n) => n.endsWith('.index') || n.endsWith('.timeindex'))) {
      out.set(`${d}/${f}`, statSync(join(dataDir, d, f), { bigint: true }).mtimeNs);
    }
  }
  return out;
}

/** Partitions interleave differently from one read to the next: compare in (partition, offset) order. */
function sorted(records: readonly ConsumedRecord[]): ConsumedRecord[] {
  return [...records].sort((a, b) => a.p - b.p || a.o - b.o);
}

function checkpoint(path: string): Map<string, number> {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  assert.equal(lines[0], '0', `${path}: version`);
  const m = new Map<string, number>();
  for (const l of lines.slice(2)) {
    const [t, p, o] = l.split(' ');
    m.set(`${t}-${p}`, Number(o));
  }
  assert.equal(m.size, Number(lines[1]), `${path}: count`);
  return m;
}

test('SIGTERM exits 0 and the next start skips recovery; after kill -9 it recovers', { timeout: TEST_TIMEOUT_MS }, async () => {
  requireKcat();
  requirePythonModule('confluent_kafka', 'python3-confluent-kafka');
  const work = makeTempDir('samsa-faults-sigterm-');
  const dataDir = join(work, 'data');
  let broker: Samsa | undefined;
  try {
    broker = await startSamsa({ dataDir });
    const port = broker.port;
    const listeners = `PLAINTEXT://127.0.0.1:${port}`;
    const topic = 'sigterm';
    await faultTool('create-topic', broker.bootstrap, ['--topic', topic, '--partitions', '3', '--config', 'segment.bytes=16384', '--config', 'index.interval.bytes=256']);
    assert.deepEqual(await faultTool('produce', broker.bootstrap, ['--topic', topic, '--count', '3000']), { acked: 3000, errors: [] });
    const before = await consumeAll(broker.bootstrap, topic, join(work, 'before.jsonl'));
    assert.equal(before.records.length, 3000);
    assert.ok(!existsSync(join(dataDir, MARKER)), 'no marker while running');

    // A consumer stays connected (long-polling) through the shutdown.
    const tail = spawn('kcat', ['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'end', '-q'], { stdio: 'ignore' });
    await sleep(500);
    const code = await broker.stop();
    tail.kill('SIGKILL');
    assert.equal(code, 0, `SIGTERM exits 0\n${broker.logTail().slice(-3000)}`);
    assert.match(broker.logTail(), /SIGTERM: shutting down/);

    // What a clean stop leaves behind.
    assert.ok(existsSync(join(dataDir, MARKER)), '.kafka_cleanshutdown written');
    const rp = checkpoint(join(dataDir, 'recovery-point-offset-checkpoint'));
    for (const [p, [, hi]] of Object.entries(before.watermarks)) {
      assert.equal(rp.get(`${topic}-${p}`), hi, `recovery point of partition ${p} is its log end`);
      const partDir = join(dataDir, `${topic}-${p}`);
      assert.ok(existsSync(join(partDir, `${String(hi).padStart(20, '0')}.snapshot`)), `producer snapshot at the log end of partition ${p}: ${readdirSync(partDir).join(' ')}`);
    }
    const cleanTimes = indexTimes(dataDir, topic);
    assert.ok(cleanTimes.size >= 6, `index files: ${[...cleanTimes.keys()].join(' ')}`);

    // Clean start: the marker is consumed, no index is rewritten, the data is all there.
    await sleep(20); // mtime granularity: a rewrite must be able to change it
    broker = await startSamsa({ dataDir, overrides: { listeners } });
    const cleanReady = readyMs(broker);
    assert.ok(!existsSync(join(dataDir, MARKER)), 'the marker only vouches for one stop: removed at start');
    const afterClean = await consumeAll(broker.bootstrap, topic, join(work, 'after-clean.jsonl'));
    assert.deepEqual(afterClean.watermarks, before.watermarks);
    assert.deepEqual(sorted(afterClean.records), sorted(before.records));
    const touched = [...indexTimes(dataDir, topic)].filter(([f, t]) => cleanTimes.get(f) !== t).map(([f]) => f);
    assert.deepEqual(touched, [], 'a clean start rewrites no index (recovery skipped)');

    // kill -9: no marker, and the next start recovers the active segments.
    await broker.kill('SIGKILL');
    assert.ok(!existsSync(join(dataDir, MARKER)));
    const crashTimes = indexTimes(dataDir, topic);
    await sleep(20);
    broker = await startSamsa({ dataDir, overrides: { listeners } });
    const crashReady = readyMs(broker);
    const rewritten = [...indexTimes(dataDir, topic)].filter(([f, t]) => crashTimes.get(f) !== t).map(([f]) => f);
    for (const p of Object.keys(before.watermarks)) {
      const partDir = join(dataDir, `${topic}-${p}`);
      const active = readdirSync(partDir).filter((n) => n.endsWith('.log')).sort().at(-1)!;
      assert.ok(rewritten.includes(`${topic}-${p}/${active.replace('.log', '.index')}`), `recovery rebuilt the index of the active segment of partition ${p} (rewritten: ${rewritten.join(' ')})`);
    }
    const afterCrash = await consumeAll(broker.bootstrap, topic, join(work, 'after-crash.jsonl'));
    assert.deepEqual(sorted(afterCrash.records), sorted(before.records));
    assert.deepEqual(await faultTool('produce', broker.bootstrap, ['--topic', topic, '--count', '30', '--prefix', 'after']), { acked: 30, errors: [] });
    assert.equal(await broker.stop(), 0);
    console.log(`ready_ms: after SIGTERM ${cleanReady}, after kill -9 ${crashReady}`);
  } catch (e) {
    if (broker) (e as Error).message += `\n--- broker log tail ---\n${broker.logTail().slice(-6000)}`;
    throw e;
  } finally {
    if (broker) await broker.stop();
    removeDir(work);
  }
});
