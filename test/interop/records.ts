/**
 * The records the interop tests send, and the round-trip checks applied to what the
 * clients consume back: identical keys, values, headers and timestamps, in
 * per-partition order, with no loss and no duplicates.
 */
import { writeFileSync, readFileSync } from 'node:fs';

export type Header = [string, Buffer];

export interface TestRecord {
  index: number;
  key: Buffer | null;
  /** null = tombstone */
  value: Buffer | null;
  headers: Header[];
  /** Producer-set CreateTime (ms). */
  timestamp: number;
}

/** Where the producer says record `index` landed. */
export interface Delivery {
  index: number;
  partition: number;
  offset: number;
}

export interface ConsumedRecord {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Header[];
  timestamp: number;
}

export const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Codec = (typeof CODECS)[number];

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export interface MakeRecordsOptions {
  /** Tag put in a header and the values, so records of different runs differ. */
  tag: string;
  /** Timestamp of record 0; record i gets baseTimestamp + i. Default: now - 1 h. */
  baseTimestamp?: number;
  /** Per-record headers (idx, tag). Off for kcat, whose -H headers are static. */
  headers?: boolean;
  /** Every 1000th record (index % 1000 == 999) is a tombstone (null value). */
  tombstones?: boolean;
  seed?: number;
}

/**
 * Deterministic records. Keys and values are printable ASCII without ':' or newlines
 * (so kcat -K: can carry them); values vary in length (0..~300 bytes, and a 16 KiB one
 * every 5000 records) so batches hold records of many sizes.
 */
export function makeRecords(n: number, opts: MakeRecordsOptions): TestRecord[] {
  const base = opts.baseTimestamp ?? Date.now() - 3_600_000;
  const next = mulberry32(opts.seed ?? 0x5a35a);
  const out: TestRecord[] = [];
  for (let i = 0; i < n; i++) {
    const key = Buffer.from(`key-${i}-${next() % 100000}`);
    let value: Buffer | null;
    if (opts.tombstones && i % 1000 === 999) {
      value = null;
    } else {
      const len = i % 5000 === 1 ? 16384 : (i * 37) % 300;
      const prefix = `v${i}.${opts.tag}.`;
      const chars: string[] = [prefix];
      let size = prefix.length;
      // Runs of repeated characters make the payload compressible, but not trivially.
      while (size < prefix.length + len) {
        const run = ALPHABET[next() % ALPHABET.length].repeat(1 + (next() % 6));
        chars.push(run);
        size += run.length;
      }
      value = Buffer.from(chars.join('').slice(0, prefix.length + len));
    }
    const headers: Header[] = [];
    if (opts.headers && i % 7 !== 0) {
      headers.push(['idx', Buffer.from(String(i))]);
      headers.push(['tag', Buffer.from(opts.tag)]);
    }
    out.push({ index: i, key, value, headers, timestamp: base + i });
  }
  return out;
}

/** JSON-lines file the python producers read: {k, v, h, ts} with base64 bytes. */
export function writeRecordsFile(path: string, records: readonly TestRecord[]): void {
  const lines = records.map((r) =>
    JSON.stringify({
      k: r.key === null ? null : r.key.toString('base64'),
      v: r.value === null ? null : r.value.toString('base64'),
      h: r.headers.map(([name, v]) => [name, v.toString('base64')]),
      ts: r.timestamp,
    }),
  );
  writeFileSync(path, lines.join('\n') + '\n');
}

function readJsonLines(path: string): any[] {
  const text = readFileSync(path, 'utf8');
  const out: any[] = [];
  for (const line of text.split('\n')) if (line.trim() !== '') out.push(JSON.parse(line));
  return out;
}

/** Reads deliveries written by the python producers: {i, p, o} or {i, err}. */
export function readDeliveries(path: string): { deliveries: Delivery[]; errors: string[] } {
  const deliveries: Delivery[] = [];
  const errors: string[] = [];
  for (const d of readJsonLines(path)) {
    if (d.err) errors.push(`record ${d.i}: ${d.err}`);
    else deliveries.push({ index: d.i, partition: d.p, offset: d.o });
  }
  return { deliveries, errors };
}

/** Reads consumed records written by the python consumers: {p, o, k, v, h, ts}. */
export function readConsumed(path: string): ConsumedRecord[] {
  return readJsonLines(path).map((c) => ({
    partition: c.p,
    offset: c.o,
    key: c.k === null ? null : Buffer.from(c.k, 'base64'),
    value: c.v === null ? null : Buffer.from(c.v, 'base64'),
    headers: (c.h ?? []).map(([n, v]: [string, string | null]) => [n, v === null ? Buffer.alloc(0) : Buffer.from(v, 'base64')] as Header),
    timestamp: c.ts,
  }));
}

/**
 * Deliveries for a producer that reports only a base offset per (partition, request):
 * records of one partition get consecutive offsets in the order they were sent.
 */
export function deliveriesFromPartitions(partitionOf: readonly number[], baseOffsets?: Map<number, number>): Delivery[] {
  const next = new Map<number, number>(baseOffsets ?? []);
  return partitionOf.map((partition, index) => {
    const offset = next.get(partition) ?? 0;
    next.set(partition, offset + 1);
    return { index, partition, offset };
  });
}

function show(b: Buffer | null, max = 60): string {
  if (b === null) return 'null';
  const s = b.toString('utf8');
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}...(${b.length} bytes)` : s);
}

function showHeaders(h: readonly Header[]): string {
  return `[${h.map(([n, v]) => `${n}=${show(v, 30)}`).join(', ')}]`;
}

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null || b === null) return a === b;
  return a.equals(b);
}

export interface VerifyOptions {
  partitions: number;
  /** Headers every consumed record must carry, instead of record.headers (kcat -H). */
  expectedHeaders?: (r: TestRecord) => Header[];
  /** Default: exact equality with record.timestamp. */
  checkTimestamp?: (consumedTs: number, r: TestRecord) => string | undefined;
  maxProblems?: number;
}

export interface VerifyResult {
  problems: string[];
  /** Records per partition, as consumed. */
  counts: number[];
  /** Per partition, consumed (offset, timestamp, index) in order — for offset queries. */
  byPartition: Array<Array<{ offset: number; timestamp: number; index: number }>>;
}

/**
 * Checks `consumed` against `sent` and the producer's `deliveries`: every record
 * delivered exactly once, consumed exactly once at the delivered (partition, offset),
 * per-partition order preserved, key/value/headers/timestamp identical.
 */
export function verifyRoundTrip(
  sent: readonly TestRecord[],
  deliveries: readonly Delivery[],
  consumed: readonly ConsumedRecord[],
  opts: VerifyOptions,
): VerifyResult {
  const max = opts.maxProblems ?? 25;
  const problems: string[] = [];
  let more = 0;
  const problem = (s: string): void => {
    if (problems.length < max) problems.push(s);
    else more++;
  };

  // 1. The producer's view: each record delivered once, to a distinct (partition, offset).
  const deliveredIndex = new Map<string, number>();
  const seen = new Uint8Array(sent.length);
  for (const d of deliveries) {
    if (d.index < 0 || d.index >= sent.length) {
      problem(`delivery report for unknown record index ${d.index}`);
      continue;
    }
    if (seen[d.index]) problem(`record ${d.index} delivered twice`);
    seen[d.index] = 1;
    if (!(d.partition >= 0 && d.partition < opts.partitions)) problem(`record ${d.index} delivered to partition ${d.partition}`);
    const at = `${d.partition}@${d.offset}`;
    const other = deliveredIndex.get(at);
    if (other !== undefined) problem(`records ${other} and ${d.index} both delivered at partition ${d.partition} offset ${d.offset}`);
    deliveredIndex.set(at, d.index);
  }
  const missing = sent.length - seen.reduce((a, b) => a + b, 0);
  if (missing > 0) problem(`${missing} of ${sent.length} records have no delivery report`);

  // 2. Expected per-partition sequence (by delivered offset).
  const expected: Delivery[][] = Array.from({ length: opts.partitions }, () => []);
  for (const d of deliveries) if (d.partition >= 0 && d.partition < opts.partitions) expected[d.partition].push(d);
  for (const e of expected) e.sort((a, b) => a.offset - b.offset);

  // 3. The consumer's view, partition by partition, in the order received.
  const got: ConsumedRecord[][] = Array.from({ length: opts.partitions }, () => []);
  for (const c of consumed) {
    if (!(c.partition >= 0 && c.partition < opts.partitions)) {
      problem(`consumed a record from partition ${c.partition}`);
      continue;
    }
    got[c.partition].push(c);
  }
  const byPartition: VerifyResult['byPartition'] = [];
  for (let p = 0; p < opts.partitions; p++) {
    const exp = expected[p];
    const g = got[p];
    const list: Array<{ offset: number; timestamp: number; index: number }> = [];
    byPartition.push(list);
    if (g.length !== exp.length) {
      problem(`partition ${p}: consumed ${g.length} records, expected ${exp.length}`);
    }
    for (let i = 1; i < g.length; i++) {
      if (!(g[i].offset > g[i - 1].offset)) {
        problem(`partition ${p}: offset ${g[i].offset} consumed after offset ${g[i - 1].offset} (duplicate or out of order)`);
        break;
      }
    }
    const n = Math.min(g.length, exp.length);
    for (let i = 0; i < n; i++) {
      const c = g[i];
      const d = exp[i];
      const r = sent[d.index];
      list.push({ offset: c.offset, timestamp: c.timestamp, index: d.index });
      const where = `partition ${p} position ${i} (offset ${c.offset}, record ${d.index})`;
      if (c.offset !== d.offset) {
        problem(`${where}: consumed offset ${c.offset}, producer reported offset ${d.offset}`);
        // One shifted offset makes every following record mismatch; report once.
        if (problems.length >= max) break;
      }
      if (!sameBytes(c.key, r.key)) problem(`${where}: key ${show(c.key)}, sent ${show(r.key)}`);
      if (!sameBytes(c.value, r.value)) problem(`${where}: value ${show(c.value)}, sent ${show(r.value)}`);
      const wantHeaders = opts.expectedHeaders ? opts.expectedHeaders(r) : r.headers;
      const headersEqual =
        c.headers.length === wantHeaders.length &&
        c.headers.every(([n2, v], j) => n2 === wantHeaders[j][0] && v.equals(wantHeaders[j][1]));
      if (!headersEqual) problem(`${where}: headers ${showHeaders(c.headers)}, sent ${showHeaders(wantHeaders)}`);
      if (opts.checkTimestamp) {
        const why = opts.checkTimestamp(c.timestamp, r);
        if (why) problem(`${where}: timestamp ${c.timestamp}: ${why}`);
      } else if (c.timestamp !== r.timestamp) {
        problem(`${where}: timestamp ${c.timestamp}, sent ${r.timestamp}`);
      }
    }
  }
  if (more > 0) problems.push(`... and ${more} more problems`);
  return { problems, counts: got.map((g) => g.length), byPartition };
}

/**
 * The producer's view of a topic (per partition: records and their offsets and
 * timestamps), for offset checks that should not depend on a consumer working.
 */
export function partitionView(
  sent: readonly TestRecord[],
  deliveries: readonly Delivery[],
  partitions: number,
): Pick<VerifyResult, 'counts' | 'byPartition'> {
  const byPartition: VerifyResult['byPartition'] = Array.from({ length: partitions }, () => []);
  for (const d of deliveries) byPartition[d.partition]?.push({ offset: d.offset, timestamp: sent[d.index].timestamp, index: d.index });
  for (const list of byPartition) list.sort((a, b) => a.offset - b.offset);
  return { counts: byPartition.map((l) => l.length), byPartition };
}

/**
 * Kafka's ListOffsets-by-timestamp answer per partition: the earliest offset whose
 * timestamp is >= target, or -1 when there is none.
 */
export function expectedOffsetsForTimestamp(
  byPartition: VerifyResult['byPartition'],
  target: number,
): number[] {
  return byPartition.map((list) => {
    let best = -1;
    for (const r of list) if (r.timestamp >= target && (best === -1 || r.offset < best)) best = r.offset;
    return best;
  });
}

/** Asserts-friendly summary of a verification failure. */
export function describeProblems(what: string, result: VerifyResult): string {
  return `${what}: ${result.problems.length} problem(s); consumed per partition ${JSON.stringify(result.counts)}\n  ${result.problems.join('\n  ')}`;
}
