/**
 * Record-batch layer benchmark: `node bench/records.bench.ts`.
 *
 * Builds and parses one 10,000-record magic-2 batch (Samsa vs @platformatic/kafka
 * vs kafkajs, same records), measures CRC32C (native vs a pure-JS table
 * implementation) and each codec's compress/decompress throughput on 1 MiB of
 * encoded records. Throughputs are over uncompressed bytes.
 */
import { createRequire } from 'node:module';
import { crc32c } from '../src/protocol/crc32c.ts';
import { CompressionCodec, codecName, compress, decompress } from '../src/protocol/compression/index.ts';
import { buildRecordBatch, decodeRecordBatch, encodeRecords } from '../src/protocol/records/index.ts';
import type { RecordInput } from '../src/protocol/records/index.ts';

const require = createRequire(import.meta.url);
const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 400);

async function measure(fn: () => unknown): Promise<number> {
  // Warm up, then run until MIN_MS has passed; returns seconds per op.
  const warm = performance.now();
  while (performance.now() - warm < MIN_MS / 4) await fn();
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < MIN_MS) {
    await fn();
    ops++;
    now = performance.now();
  }
  return (now - start) / 1000 / ops;
}

const fmt = (n: number, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const rows: string[][] = [];
function row(...cells: string[]): void {
  rows.push(cells);
}
function flush(title: string, header: string[]): void {
  console.log(`\n${title}`);
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  for (const r of all) console.log('  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   '));
  rows.length = 0;
}

// Realistic records: 10-12 byte keys, ~150-250 byte JSON values, a header on every other record.
function makeRecords(n: number): RecordInput[] {
  const out: RecordInput[] = [];
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const value = JSON.stringify({
      id: i,
      user: `user-${x % 50000}`,
      action: ['view', 'click', 'purchase', 'scroll'][x % 4],
      page: `/products/${x % 997}/details`,
      amount: (x % 100000) / 100,
      ts: 1_700_000_000_000 + i * 3,
      tags: ['a', 'b', 'c'].slice(0, x % 4),
    });
    out.push({
      timestampDelta: i * 3,
      key: Buffer.from(`user-${x % 50000}`),
      value: Buffer.from(value),
      headers: i % 2 === 0 ? [{ key: 'trace-id', value: Buffer.from((x >>> 0).toString(16).padStart(8, '0')) }] : undefined,
    });
  }
  return out;
}

const N = 10_000;
const records = makeRecords(N);
const batch = buildRecordBatch(records, { baseTimestamp: 1_700_000_000_000 });
const MB = 1024 * 1024;
console.log(`Node ${process.version}, ${N} records, batch ${fmt(batch.length / 1024)} KiB (${fmt(batch.length / N)} B/record)`);

// ---- peers ----
const pk = await import(new URL('../node_modules/@platformatic/kafka/dist/protocol/index.js', import.meta.url).href);
const pkMessages = records.map((r) => ({
  key: r.key as Buffer,
  value: r.value as Buffer,
  topic: 't',
  timestamp: 1_700_000_000_000n + BigInt(r.timestampDelta ?? 0),
  headers: new Map((r.headers ?? []).map((h) => [Buffer.from(h.key), h.value as Buffer])),
}));
const kjsBatch = require('kafkajs/src/protocol/recordBatch/v0');
const kjsRecord = require('kafkajs/src/protocol/recordBatch/record/v0');
const kjsDecode = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const KDecoder = require('kafkajs/src/protocol/decoder');
const kjsCrc = require('kafkajs/src/protocol/recordBatch/crc32C');

const buildSamsa = await measure(() => buildRecordBatch(records, { baseTimestamp: 1_700_000_000_000 }));
const buildPk = await measure(() => pk.createRecordsBatch(pkMessages, {}).buffer);
const buildKjs = await measure(async () => {
  const rs = records.map((r, i) =>
    kjsRecord({
      offsetDelta: i,
      timestampDelta: r.timestampDelta,
      key: r.key,
      value: r.value,
      headers: Object.fromEntries((r.headers ?? []).map((h) => [h.key, h.value])),
    }),
  );
  return (await kjsBatch.RecordBatch({ firstTimestamp: 1_700_000_000_000, lastOffsetDelta: N - 1, records: rs })).buffer;
});
const rec = (s: number) => [fmt(N / s / 1e6, 2), fmt(batch.length / s / MB), fmt(s * 1000, 2)];
row('Samsa buildRecordBatch', ...rec(buildSamsa), '1.00');
row('@platformatic/kafka createRecordsBatch', ...rec(buildPk), fmt(buildPk / buildSamsa, 2));
row('kafkajs RecordBatch', ...rec(buildKjs), fmt(buildKjs / buildSamsa, 2));
flush('Build a 10,000-record batch (uncompressed)', ['', 'Mrec/s', 'MB/s', 'ms/batch', 'slower x']);

const pkBuf = pk.createRecordsBatch(pkMessages, {}).buffer as Buffer;
const parseSamsa = await measure(() => decodeRecordBatch(batch));
const parseSamsaNoCrc = await measure(() => decodeRecordBatch(batch, 0, { verifyCrc: false }));
const parseSamsaTouch = await measure(() => {
  let t = 0;
  for (const r of decodeRecordBatch(batch).records) t += Number(r.offset) + r.timestampMs;
  return t;
});
const parsePk = await measure(() => pk.readRecordsBatch(pk.Reader.from(pkBuf)));
const parseKjs = await measure(() => kjsDecode(new KDecoder(batch)));
row('Samsa decodeRecordBatch (CRC checked)', ...rec(parseSamsa), '1.00');
row('Samsa decodeRecordBatch (no CRC)', ...rec(parseSamsaNoCrc), fmt(parseSamsaNoCrc / parseSamsa, 2));
row('Samsa + read every offset/timestamp', ...rec(parseSamsaTouch), fmt(parseSamsaTouch / parseSamsa, 2));
row('@platformatic/kafka readRecordsBatch (no CRC)', ...rec(parsePk), fmt(parsePk / parseSamsa, 2));
row('kafkajs decoder (no CRC)', ...rec(parseKjs), fmt(parseKjs / parseSamsa, 2));
flush('Parse a 10,000-record batch (uncompressed)', ['', 'Mrec/s', 'MB/s', 'ms/batch', 'slower x']);

// ---- CRC32C ----
const TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c;
  }
  return t;
})();
function crc32cTable(buf: Uint8Array): number {
  let crc = -1;
  for (let i = 0; i < buf.length; i++) crc = TABLE[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
const mib = encodeRecords(makeRecords(6000)).subarray(0, MB);
if (crc32cTable(mib) !== crc32c(mib) || kjsCrc(mib) !== crc32c(mib)) throw new Error('CRC32C implementations disagree');
const crcNative = await measure(() => crc32c(mib));
const crcJs = await measure(() => crc32cTable(mib));
const crcKjs = await measure(() => kjsCrc(mib));
row('native (@node-rs/crc32)', fmt(MB / crcNative / MB), '1.00');
row('pure-JS table (byte at a time)', fmt(MB / crcJs / MB), fmt(crcJs / crcNative, 1));
row('kafkajs crc32C (pure JS)', fmt(MB / crcKjs / MB), fmt(crcKjs / crcNative, 1));
flush('CRC32C over 1 MiB', ['', 'MB/s', 'slower x']);

// ---- codecs ----
for (const codec of [CompressionCodec.GZIP, CompressionCodec.SNAPPY, CompressionCodec.LZ4, CompressionCodec.ZSTD]) {
  const c = compress(codec, mib);
  if (!decompress(codec, c).equals(mib)) throw new Error(`${codecName(codec)} round trip failed`);
  const tc = await measure(() => compress(codec, mib));
  const td = await measure(() => decompress(codec, c));
  row(codecName(codec), fmt(MB / tc / MB), fmt(MB / td / MB), fmt(mib.length / c.length, 2));
}
flush('Codecs on 1 MiB of encoded records (sync API; MB/s of uncompressed bytes)', ['', 'compress', 'decompress', 'ratio']);
