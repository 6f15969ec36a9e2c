/**
 * Protocol layer benchmark: `npm run bench:protocol` (BENCH_MIN_MS per case, default 400).
 *
 *   frames   encode and decode (header + body) of a Produce request and a Fetch
 *            response each carrying 1 MiB of records, at the newest version and the
 *            one most clients still send (Produce v7, Fetch v11); "+records" also
 *            validates (produce) and decodes every record; "spliced" references the
 *            records instead of copying them, as the broker's fetch path does
 *   batches  build and parse one 10,000-record magic-2 batch
 *   crc32c   over 1 MiB
 *   codecs   compress / decompress of 1 MiB of encoded records, per codec
 *
 * Throughputs are over the uncompressed bytes. Figures only, no assertions; the
 * peer comparison (kafkajs, @platformatic/kafka) lives in bench/records.bench.ts.
 */
import { ProduceApi, FetchApi } from '../src/protocol/generated/api-keys.ts';
import { requestHeaderVersion, responseHeaderVersion } from '../src/protocol/generated/header-versions.ts';
import { decodeRequestHeader, encodeRequestHeader } from '../src/protocol/generated/request-header.ts';
import { decodeResponseHeader, encodeResponseHeader } from '../src/protocol/generated/response-header.ts';
import type { ProduceRequest } from '../src/protocol/generated/produce-request.ts';
import type { FetchResponse } from '../src/protocol/generated/fetch-response.ts';
import { Reader, Writer } from '../src/protocol/primitives/index.ts';
import { crc32c } from '../src/protocol/crc32c.ts';
import { CompressionCodec, codecName, compress, decompress } from '../src/protocol/compression/index.ts';
import { buildRecordBatch, decodeRecordBatch, decodeRecordSet, encodeRecords, validateRecordSet } from '../src/protocol/records/index.ts';
import type { RecordInput } from '../src/protocol/records/index.ts';

const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 400);
const MiB = 1024 * 1024;

/** Seconds per call: warm up for a quarter of MIN_MS, then run for MIN_MS. */
function measure(fn: () => unknown): number {
  const warm = performance.now();
  while (performance.now() - warm < MIN_MS / 4) fn();
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < MIN_MS) {
    fn();
    ops++;
    now = performance.now();
  }
  return (now - start) / 1000 / ops;
}

const fmt = (n: number, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const rows: string[][] = [];
function row(name: string, secondsPerOp: number, bytes: number): void {
  rows.push([name, fmt(1 / secondsPerOp, 0), fmt(secondsPerOp * 1e6, 1), fmt(bytes / MiB / secondsPerOp, 0)]);
}
function flush(title: string): void {
  console.log(`\n${title}`);
  const all = [['case', 'ops/s', 'µs/op', 'MB/s'], ...rows];
  const widths = all[0]!.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  for (const r of all) console.log('  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   '));
  rows.length = 0;
}

/** Realistic records: ~12-byte keys, ~150-250-byte JSON values, a header on every other record. */
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
    });
    out.push({
      timestampDelta: i * 3,
      key: Buffer.from(`user-${x % 50000}`),
      value: Buffer.from(value),
      headers: i % 2 === 0 ? [{ key: 'trace-id', value: Buffer.from(x.toString(16).padStart(8, '0')) }] : undefined,
    });
  }
  return out;
}

/** Enough records for `bytes` of encoded records. */
function recordsOfSize(bytes: number): RecordInput[] {
  const probe = encodeRecords(makeRecords(100)).length / 100;
  return makeRecords(Math.ceil(bytes / probe));
}

console.log(`Node ${process.version}, ${MIN_MS} ms per case`);

// ---- frames ----
const mibRecords = recordsOfSize(MiB);
const mibBatch = buildRecordBatch(mibRecords, { baseTimestamp: 1_700_000_000_000, producerId: 1000n, producerEpoch: 0, baseSequence: 0 });
console.log(`1 MiB batch: ${mibRecords.length} records, ${fmt(mibBatch.length / 1024)} KiB`);

function produceFrame(version: number): { encode: () => Buffer; frame: Buffer } {
  const request = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [{ name: 'bench-topic', partitionData: [{ index: 0, records: mibBatch }] }],
  };
  const hv = requestHeaderVersion(0, version);
  const encode = () => {
    const w = new Writer(mibBatch.length + 256);
    encodeRequestHeader(w, { requestApiKey: 0, requestApiVersion: version, correlationId: 42, clientId: 'bench' }, hv);
    ProduceApi.encodeRequest(w, request, version);
    return w.finish();
  };
  return { encode, frame: Buffer.from(encode()) };
}

function fetchFrame(version: number): { encode: () => Buffer; encodeSpliced: () => Buffer[]; frame: Buffer } {
  const response = {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topic: 'bench-topic',
        topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
        partitions: [{ partitionIndex: 0, highWatermark: 10_000n, lastStableOffset: 10_000n, logStartOffset: 0n, abortedTransactions: null, records: mibBatch }],
      },
    ],
  };
  const hv = responseHeaderVersion(1, version);
  const encode = () => {
    const w = new Writer(mibBatch.length + 256);
    encodeResponseHeader(w, { correlationId: 42 }, hv);
    FetchApi.encodeResponse(w, response, version);
    return w.finish();
  };
  /** As the broker writes it: the records referenced, not copied (Writer splicing). */
  const encodeSpliced = () => {
    const w = new Writer(256);
    w.spliceMinBytes = 64 * 1024;
    encodeResponseHeader(w, { correlationId: 42 }, hv);
    FetchApi.encodeResponse(w, response, version);
    return w.finishChunks();
  };
  return { encode, encodeSpliced, frame: Buffer.from(encode()) };
}

for (const version of [ProduceApi.maxVersion, 7]) {
  const { encode, frame } = produceFrame(version);
  const hv = requestHeaderVersion(0, version);
  const decode = () => {
    const r = new Reader(frame);
    decodeRequestHeader(r, hv);
    return ProduceApi.decodeRequest(r, version) as ProduceRequest;
  };
  row(`Produce v${version} request encode`, measure(encode), frame.length);
  row(`Produce v${version} request decode`, measure(decode), frame.length);
  row(`Produce v${version} decode+validate+records`, measure(() => {
    const records = decode().topicData[0]!.partitionData[0]!.records!;
    validateRecordSet(records, 0, records.length, { produceVersion: version });
    return decodeRecordSet(records);
  }), frame.length);
}
for (const version of [FetchApi.maxVersion, 11]) {
  const { encode, encodeSpliced, frame } = fetchFrame(version);
  const hv = responseHeaderVersion(1, version);
  const decode = () => {
    const r = new Reader(frame);
    decodeResponseHeader(r, hv);
    return FetchApi.decodeResponse(r, version) as FetchResponse;
  };
  row(`Fetch v${version} response encode`, measure(encode), frame.length);
  row(`Fetch v${version} response encode, spliced`, measure(encodeSpliced), frame.length);
  row(`Fetch v${version} response decode`, measure(decode), frame.length);
  row(`Fetch v${version} decode+records`, measure(() => decodeRecordSet(decode().responses[0]!.partitions[0]!.records!)), frame.length);
}
flush('Frames carrying 1 MiB of records');

// ---- batches ----
const N = 10_000;
const records = makeRecords(N);
const batch = buildRecordBatch(records, { baseTimestamp: 1_700_000_000_000 });
row(`build ${N}-record batch`, measure(() => buildRecordBatch(records, { baseTimestamp: 1_700_000_000_000 })), batch.length);
row(`parse ${N}-record batch`, measure(() => decodeRecordBatch(batch)), batch.length);
flush(`Record batch: ${N} records, ${fmt(batch.length / 1024)} KiB`);
{
  const build = measure(() => buildRecordBatch(records, { baseTimestamp: 1_700_000_000_000 }));
  const parse = measure(() => decodeRecordBatch(batch));
  console.log(`  records/s: build ${fmt(N / build, 0)}, parse ${fmt(N / parse, 0)}`);
}

// ---- crc32c ----
const crcInput = Buffer.from(mibBatch.subarray(0, MiB));
row('crc32c 1 MiB', measure(() => crc32c(crcInput)), crcInput.length);
row('crc32c 4 KiB', measure(() => crc32c(crcInput.subarray(0, 4096))), 4096);
flush('CRC32C');

// ---- codecs ----
const raw = encodeRecords(mibRecords);
for (const codec of [CompressionCodec.GZIP, CompressionCodec.SNAPPY, CompressionCodec.LZ4, CompressionCodec.ZSTD]) {
  const compressed = compress(codec, raw);
  const name = codecName(codec);
  row(`${name} compress (ratio ${fmt(raw.length / compressed.length, 2)})`, measure(() => compress(codec, raw)), raw.length);
  row(`${name} decompress`, measure(() => decompress(codec, compressed)), raw.length);
}
flush(`Codecs over ${fmt(raw.length / 1024)} KiB of encoded records (MB/s of uncompressed bytes)`);
