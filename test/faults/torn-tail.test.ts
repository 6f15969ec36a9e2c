/**
 * Torn or corrupt tail of the active segment after a crash (Kafka's LogLoader
 * recovery): the broker is killed with SIGKILL (so no clean-shutdown marker), the
 * active segment's .log is damaged by hand, and the broker restarts on the same dir.
 *
 *   garbage    random bytes appended after the last batch (plus a torn .index and a
 *              missing .timeindex): all records survive, the tail is cut to the old
 *              size, the indexes are rebuilt;
 *   torn copy  a truncated copy of the last batch appended (a torn write of a batch
 *              that was never acked): same;
 *   crc        one byte flipped inside a batch in the middle of the active segment:
 *              that batch and everything after it are cut; the log continues at its
 *              base offset.
 * In every case a consumer reads all intact records with contiguous offsets and a
 * new produce lands right after the last good offset.
 *
 * (After a clean stop Kafka skips recovery altogether, so bytes added to a cleanly
 * stopped log are not a scenario Kafka covers; these tests crash first.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { makeTempDir, removeDir, requirePythonModule, startSamsa } from '../interop/harness.ts';
import type { Samsa } from '../interop/harness.ts';
import { TEST_TIMEOUT_MS, consumeAll, envInt, faultTool } from './helpers.ts';

const RECORDS = envInt('SAMSA_FAULTS_TORN_RECORDS', 3000);

interface Batch {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
}

function scanLog(file: string): Batch[] {
  const buf = readFileSync(file);
  const out: Batch[] = [];
  let pos = 0;
  while (pos + 61 <= buf.length) {
    const baseOffset = Number(buf.readBigInt64BE(pos));
    const size = buf.readInt32BE(pos + 8) + 12;
    if (size < 61 || pos + size > buf.length) break;
    out.push({ position: pos, size, baseOffset, lastOffset: baseOffset + buf.readInt32BE(pos + 23) });
    pos += size;
  }
  return out;
}

function segmentFiles(partDir: string): number[] {
  return readdirSync(partDir)
    .filter((n) => /^\d{20}\.log$/.test(n))
    .map((n) => Number(n.slice(0, 20)))
    .sort((a, b) => a - b);
}

const pad = (o: number): string => String(o).padStart(20, '0');

/** Checks the offset and time index of a segment against its log. */
function checkIndexes(partDir: string, base: number, logEnd: number): { indexEntries: number; timeEntries: number } {
  const logPath = join(partDir, `${pad(base)}.log`);
  const batches = scanLog(logPath);
  const byPosition = new Map(batches.map((b) => [b.position, b]));
  const idx = readFileSync(join(partDir, `${pad(base)}.index`));
  assert.equal(idx.length % 8, 0, `.index of ${base} holds whole entries (${idx.length} bytes)`);
  let lastRel = -1;
  let lastPos = -1;
  for (let i = 0; i < idx.length; i += 8) {
    const rel = idx.readInt32BE(i);
    const pos = idx.readInt32BE(i + 4);
    assert.ok(rel > lastRel && pos > lastPos, `.index of ${base}: entry ${i / 8} (${rel}, ${pos}) ascends`);
    const b = byPosition.get(pos);
    assert.ok(b, `.index of ${base}: entry ${i / 8} points at ${pos}, which starts no batch`);
    assert.equal(b.lastOffset, base + rel, `.index of ${base}: entry ${i / 8} names the batch's last offset`);
    lastRel = rel;
    lastPos = pos;
  }
  const tidx = readFileSync(join(partDir, `${pad(base)}.timeindex`));
  assert.equal(tidx.length % 12, 0, `.timeindex of ${base} holds whole entries`);
  let lastTs = -1;
  for (let i = 0; i < tidx.length; i += 12) {
    const ts = Number(tidx.readBigInt64BE(i));
    const off = base + tidx.readInt32BE(i + 8);
    assert.ok(ts >= lastTs, `.timeindex of ${base}: timestamps ascend`);
    assert.ok(off >= base && off < logEnd, `.timeindex of ${base}: offset ${off} inside [${base}, ${logEnd})`);
    lastTs = ts;
  }
  return { indexEntries: idx.length / 8, timeEntries: tidx.length / 12 };
}

type Damage = 'garbage' | 'torn-copy' | 'crc';

async function tornRun(damage: Damage): Promise<void> {
  requirePythonModule('confluent_kafka', 'python3-confluent-kafka');
  const work = makeTempDir('samsa-faults-torn-');
  const dataDir = join(work, 'data');
  let broker: Samsa | undefined;
  try {
    broker = await startSamsa({ dataDir });
    const port = broker.port;
    const topic = `torn-${damage}`;
    await faultTool('create-topic', broker.bootstrap, ['--topic', topic, '--partitions', '1', '--config', 'segment.bytes=20000', '--config', 'index.interval.bytes=512']);
    const produced = await faultTool<{ acked: number; errors: string[] }>('produce', broker.bootstrap, ['--topic', topic, '--count', String(RECORDS), '--partition', '0', '--client-config', 'batch.size=2000']);
    assert.deepEqual(produced, { acked: RECORDS, errors: [] });
    await broker.kill('SIGKILL');

    const partDir = join(dataDir, `${topic}-0`);
    assert.ok(!existsSync(join(dataDir, '.kafka_cleanshutdown')), 'no clean-shutdown marker after kill -9');
    const bases = segmentFiles(partDir);
    assert.ok(bases.length >= 2, `several segments (${bases.join(',')})`);
    const active = bases.at(-1)!;
    const activeLog = join(partDir, `${pad(active)}.log`);
    const batches = scanLog(activeLog);
    assert.ok(batches.length >= 3, `several batches in the active segment (${batches.length})`);
    const originalSize = statSync(activeLog).size;
    assert.equal(batches.at(-1)!.position + batches.at(-1)!.size, originalSize, 'the active segment ends with a whole batch');
    assert.equal(batches.at(-1)!.lastOffset, RECORDS - 1);

    let expectedEnd = RECORDS;
    let expectedSize = originalSize;
    if (damage === 'garbage') {
      appendFileSync(activeLog, randomBytes(333));
      appendFileSync(join(partDir, `${pad(active)}.index`), Buffer.from([1, 2, 3, 4, 5]));
      rmSync(join(partDir, `${pad(active)}.timeindex`), { force: true });
    } else if (damage === 'torn-copy') {
      const last = batches.at(-1)!;
      const copy = readFileSync(activeLog).subarray(last.position, last.position + last.size);
      // The copy claims the next offsets, as a torn write of the next batch would.
      const torn = Buffer.from(copy.subarray(0, Math.max(61, copy.length - 7)));
      torn.writeBigInt64BE(BigInt(RECORDS), 0);
      appendFileSync(activeLog, torn);
    } else {
      const victim = batches[Math.floor(batches.length / 2)]!;
      const buf = readFileSync(activeLog);
      buf[victim.position + victim.size - 1] ^= 0xff;
      writeFileSync(activeLog, buf);
      expectedEnd = victim.baseOffset;
      expectedSize = victim.position;
    }

    broker = await startSamsa({ dataDir, overrides: { listeners: `PLAINTEXT://127.0.0.1:${port}` } });
    assert.equal(statSync(activeLog).size, expectedSize, `the damaged tail was cut (${damage})`);
    const { indexEntries } = checkIndexes(partDir, active, expectedEnd);
    assert.ok(indexEntries > 0, 'the rebuilt offset index has entries');
    for (const b of bases.slice(0, -1)) checkIndexes(partDir, b, expectedEnd);

    const { records, watermarks } = await consumeAll(broker.bootstrap, topic, join(work, 'consumed.jsonl'));
    assert.deepEqual(watermarks['0'], [0, expectedEnd]);
    assert.equal(records.length, expectedEnd);
    records.forEach((r, i) => {
      assert.equal(r.o, i);
      assert.equal(r.v, `r-value-${i}`);
    });

    const more = await faultTool<{ acked: number; errors: string[] }>('produce', broker.bootstrap, ['--topic', topic, '--count', '20', '--partition', '0', '--prefix', 'after']);
    assert.deepEqual(more, { acked: 20, errors: [] });
    const after = await consumeAll(broker.bootstrap, topic, join(work, 'consumed-after.jsonl'));
    assert.deepEqual(after.watermarks['0'], [0, expectedEnd + 20]);
    after.records.slice(expectedEnd).forEach((r, i) => {
      assert.equal(r.o, expectedEnd + i);
      assert.equal(r.v, `after-value-${i}`);
    });

    // A clean stop after recovery leaves consistent indexes behind.
    assert.equal(await broker.stop(), 0);
    checkIndexes(partDir, segmentFiles(partDir).at(-1)!, expectedEnd + 20);
  } catch (e) {
    if (broker) (e as Error).message += `\n--- broker log tail ---\n${broker.logTail().slice(-6000)}`;
    throw e;
  } finally {
    if (broker) await broker.stop();
    removeDir(work);
  }
}

test('torn tail: garbage after the last batch is cut, indexes rebuilt, nothing lost', { timeout: TEST_TIMEOUT_MS }, async () => {
  await tornRun('garbage');
});

test('torn tail: a truncated copy of the last batch is cut, offsets continue', { timeout: TEST_TIMEOUT_MS }, async () => {
  await tornRun('torn-copy');
});

test('corrupt CRC in the active segment: the log is cut at the bad batch and continues from there', { timeout: TEST_TIMEOUT_MS }, async () => {
  await tornRun('crc');
});
