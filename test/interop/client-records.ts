/**
 * Records and checks for the Samsa-client interop tests (samsa-client*.test.ts):
 * unlike records.ts these carry null keys, empty keys and values, duplicate header
 * keys, null header values, binary and UTF-8 header keys/values, and timestamps far
 * in the past — everything a Kafka record can hold — and the comparison keeps a
 * null header value apart from an empty one.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { makeRecords } from './records.ts';

export interface Hdr {
  key: string;
  value: Buffer | null;
}

export interface Rec {
  index: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Hdr[];
  timestamp: number;
}

export interface Got {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Hdr[];
  timestamp: number;
}

export interface Delivered {
  index: number;
  partition: number;
  offset: number;
}

const BINARY = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

export interface RichOptions {
  tag: string;
  /** Header values may be null (every 9th record). Default true. */
  nullHeaderValues?: boolean;
  /**
   * 'interleaved': a duplicate key around other keys (dup, idx, tag, dup);
   * 'adjacent': duplicates next to each other (what kafkajs' header object can send).
   */
  duplicates?: 'interleaved' | 'adjacent';
  /** Every 23rd record has a CreateTime in 2001. Default true. */
  oldTimestamps?: boolean;
}

/**
 * Deterministic records: records.ts' keys/values (sizes 0..~300 bytes, a 16 KiB one
 * every 5000, a tombstone every 1000th) plus null keys (i % 13 == 5), empty keys
 * (i % 17 == 6), empty values (i % 19 == 7), duplicate header keys (i % 5 == 2),
 * null header values (i % 9 == 4), a UTF-8 header key with binary value (i % 11 == 3)
 * and CreateTimes in 2001 (i % 23 == 0).
 */
export function makeRichRecords(n: number, opts: RichOptions): Rec[] {
  const nullHeaderValues = opts.nullHeaderValues ?? true;
  const dup = opts.duplicates ?? 'interleaved';
  return makeRecords(n, { tag: opts.tag, headers: true, tombstones: true }).map((r) => {
    const i = r.index;
    let key: Buffer | null = r.key;
    if (i % 13 === 5) key = null;
    else if (i % 17 === 6) key = Buffer.alloc(0);
    let value = r.value;
    if (i % 19 === 7) value = Buffer.alloc(0);
    const headers: Hdr[] = r.headers.map(([k, v]) => ({ key: k, value: v }));
    if (i % 5 === 2) {
      if (dup === 'interleaved') {
        headers.unshift({ key: 'dup', value: Buffer.from(`first-${i}`) });
        headers.push({ key: 'dup', value: Buffer.from('second') });
      } else {
        headers.push({ key: 'dup', value: Buffer.from(`first-${i}`) }, { key: 'dup', value: Buffer.from('second') });
      }
    }
    if (nullHeaderValues && i % 9 === 4) headers.push({ key: 'nullv', value: null });
    if (i % 11 === 3) headers.push({ key: 'ключ-✓', value: BINARY });
    const timestamp = (opts.oldTimestamps ?? true) && i % 23 === 0 ? 1_000_000_000_000 + i : r.timestamp;
    return { index: i, key, value, headers, timestamp };
  });
}

/** records.ts' JSON-lines format (confluent_tool.py produce), with null header values as JSON null. */
export function writeRichRecordsFile(path: string, records: readonly Rec[]): void {
  const b64 = (b: Buffer | null): string | null => (b === null ? null : b.toString('base64'));
  writeFileSync(
    path,
    records.map((r) => JSON.stringify({ k: b64(r.key), v: b64(r.value), h: r.headers.map((h) => [h.key, b64(h.value)]), ts: r.timestamp })).join('\n') + '\n',
  );
}

function jsonLines(path: string): any[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

/** Records confluent_tool.py consume wrote: {p, o, k, v, h: [[name, b64|null]], ts}, null kept apart from empty. */
export function readConsumedRich(path: string): Got[] {
  const buf = (s: string | null): Buffer | null => (s === null || s === undefined ? null : Buffer.from(s, 'base64'));
  return jsonLines(path).map((c) => ({
    partition: c.p,
    offset: c.o,
    key: buf(c.k),
    value: buf(c.v),
    headers: (c.h ?? []).map(([k, v]: [string, string | null]) => ({ key: k, value: buf(v) })),
    timestamp: c.ts,
  }));
}

/** Delivery reports confluent_tool.py produce wrote: {i, p, o} or {i, err}. */
export function readDeliveredRich(path: string): { deliveries: Delivered[]; errors: string[] } {
  const deliveries: Delivered[] = [];
  const errors: string[] = [];
  for (const d of jsonLines(path)) {
    if (d.err) errors.push(`record ${d.i}: ${d.err}`);
    else deliveries.push({ index: d.i, partition: d.p, offset: d.o });
  }
  return { deliveries, errors };
}

function show(b: Buffer | null, max = 40): string {
  if (b === null) return 'null';
  const s = b.toString('utf8');
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}...(${b.length} bytes)` : s);
}

export function showHeaders(h: readonly Hdr[]): string {
  return `[${h.map((x) => `${x.key}=${show(x.value, 20)}`).join(', ')}]`;
}

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null || b === null) return a === b;
  return a.equals(b);
}

/** Headers grouped by key in order of each key's first appearance: what an object-of-headers client (kafkajs) can show. */
export function groupedHeaders(h: readonly Hdr[]): Hdr[] {
  const order: string[] = [];
  const by = new Map<string, Hdr[]>();
  for (const x of h) {
    let l = by.get(x.key);
    if (!l) {
      l = [];
      by.set(x.key, l);
      order.push(x.key);
    }
    l.push(x);
  }
  return order.flatMap((k) => by.get(k)!);
}

export interface CheckOptions {
  partitions: number;
  /** 'exact' (order and duplicates as sent) or 'grouped' (see groupedHeaders). */
  headers?: 'exact' | 'grouped';
  maxProblems?: number;
}

/**
 * Every record delivered once at a distinct (partition, offset); consumed exactly
 * once there, in offset order per partition; key, value, headers (with nulls) and
 * timestamp identical to what was sent. Returns the problems (empty = all good).
 */
export function checkExact(sent: readonly Rec[], deliveries: readonly Delivered[], consumed: readonly Got[], opts: CheckOptions): string[] {
  const max = opts.maxProblems ?? 25;
  const problems: string[] = [];
  let more = 0;
  const problem = (s: string): void => {
    if (problems.length < max) problems.push(s);
    else more++;
  };
  const seen = new Uint8Array(sent.length);
  const at = new Map<string, number>();
  for (const d of deliveries) {
    if (!(d.index >= 0 && d.index < sent.length)) {
      problem(`delivery for unknown record ${d.index}`);
      continue;
    }
    if (seen[d.index]) problem(`record ${d.index} delivered twice`);
    seen[d.index] = 1;
    if (!(d.partition >= 0 && d.partition < opts.partitions)) problem(`record ${d.index} delivered to partition ${d.partition}`);
    const k = `${d.partition}@${d.offset}`;
    if (at.has(k)) problem(`records ${at.get(k)} and ${d.index} both delivered at ${k}`);
    at.set(k, d.index);
  }
  const undelivered = sent.length - seen.reduce((a, b) => a + b, 0);
  if (undelivered > 0) problem(`${undelivered} of ${sent.length} records have no delivery report`);

  const expected: Delivered[][] = Array.from({ length: opts.partitions }, () => []);
  for (const d of deliveries) expected[d.partition]?.push(d);
  for (const e of expected) e.sort((a, b) => a.offset - b.offset);
  const got: Got[][] = Array.from({ length: opts.partitions }, () => []);
  for (const c of consumed) {
    if (!(c.partition >= 0 && c.partition < opts.partitions)) problem(`consumed a record from partition ${c.partition}`);
    else got[c.partition]!.push(c);
  }
  for (let p = 0; p < opts.partitions; p++) {
    const exp = expected[p]!;
    const g = got[p]!;
    if (g.length !== exp.length) problem(`partition ${p}: consumed ${g.length} records, expected ${exp.length}`);
    for (let i = 1; i < g.length; i++) {
      if (!(g[i]!.offset > g[i - 1]!.offset)) {
        problem(`partition ${p}: offset ${g[i]!.offset} consumed after ${g[i - 1]!.offset} (duplicate or out of order)`);
        break;
      }
    }
    const n = Math.min(g.length, exp.length);
    for (let i = 0; i < n; i++) {
      const c = g[i]!;
      const d = exp[i]!;
      const r = sent[d.index]!;
      const where = `partition ${p} #${i} (offset ${c.offset}, record ${d.index})`;
      if (c.offset !== d.offset) {
        problem(`${where}: consumed offset ${c.offset}, delivered at ${d.offset}`);
        break;
      }
      if (!sameBytes(c.key, r.key)) problem(`${where}: key ${show(c.key)}, sent ${show(r.key)}`);
      if (!sameBytes(c.value, r.value)) problem(`${where}: value ${show(c.value)}, sent ${show(r.value)}`);
      const want = opts.headers === 'grouped' ? groupedHeaders(r.headers) : r.headers;
      const same = c.headers.length === want.length && c.headers.every((h, j) => h.key === want[j]!.key && sameBytes(h.value, want[j]!.value));
      if (!same) problem(`${where}: headers ${showHeaders(c.headers)}, sent ${showHeaders(want)}`);
      if (c.timestamp !== r.timestamp) problem(`${where}: timestamp ${c.timestamp}, sent ${r.timestamp}`);
    }
  }
  if (more > 0) problems.push(`... and ${more} more problems`);
  return problems;
}

/** Deliveries for records sent to fixed partitions in order, from each partition's base offset. */
export function deliveredFromBases(records: readonly Rec[], partitionOf: (r: Rec) => number, bases: Map<number, number>): Delivered[] {
  const next = new Map(bases);
  return records.map((r) => {
    const partition = partitionOf(r);
    const offset = next.get(partition);
    if (offset === undefined) throw new Error(`no base offset for partition ${partition}`);
    next.set(partition, offset + 1);
    return { index: r.index, partition, offset };
  });
}
