/**
 * Aborted transactions of a partition (Kafka's TransactionIndex). One `.txnindex`
 * file per segment, `<segment base offset:20 digits>.txnindex`, holding an entry per
 * ABORT marker appended while that segment was active, in Kafka's format (34 bytes,
 * big-endian):
 *
 *   int16 version (0), int64 producerId, int64 firstOffset, int64 lastOffset,
 *   int64 lastStableOffset
 *
 * firstOffset is the transaction's first offset in this partition, lastOffset the
 * offset of the ABORT marker. read_committed fetches return the entries overlapping
 * the fetched range so that consumers drop the aborted batches.
 *
 * The entries are also kept in memory (ascending lastOffset). An entry is written
 * right after its marker is appended; on open, entries beyond the log end (a
 * truncated tail) are dropped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './file-io.ts';

export const TXN_INDEX_SUFFIX = '.txnindex';
const ENTRY_SIZE = 34;
const VERSION = 0;

export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

function fileName(dir: string, baseOffset: number): string {
  return path.join(dir, String(baseOffset).padStart(20, '0') + TXN_INDEX_SUFFIX);
}

function encode(e: AbortedTxn): Buffer {
  const b = Buffer.alloc(ENTRY_SIZE);
  b.writeInt16BE(VERSION, 0);
  b.writeBigInt64BE(BigInt(e.producerId), 2);
  b.writeBigInt64BE(BigInt(e.firstOffset), 10);
  b.writeBigInt64BE(BigInt(e.lastOffset), 18);
  b.writeBigInt64BE(BigInt(e.lastStableOffset), 26);
  return b;
}

export function decodeTxnIndex(buf: Buffer): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  for (let p = 0; p + ENTRY_SIZE <= buf.length; p += ENTRY_SIZE) {
    if (buf.readInt16BE(p) !== VERSION) break;
    out.push({
      producerId: Number(buf.readBigInt64BE(p + 2)),
      firstOffset: Number(buf.readBigInt64BE(p + 10)),
      lastOffset: Number(buf.readBigInt64BE(p + 18)),
      lastStableOffset: Number(buf.readBigInt64BE(p + 26)),
    });
  }
  return out;
}

/**
 * The control record type (0 ABORT, 1 COMMIT, ...) of an uncompressed control batch
 * at `pos` in `buf`, or -1. Reads the first record's key: varint length, int8
 * attributes, varlong timestampDelta, varint offsetDelta, varint keyLength, key
 * (int16 version, int16 type).
 */
export function controlTypeAt(buf: Buffer, pos: number): number {
  let p = pos + 61;
  const varint = (): number => {
    let shift = 0;
    let v = 0;
    for (;;) {
      if (p >= buf.length || shift > 63) throw new Error('bad varint');
      const b = buf[p++]!;
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
    }
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  };
  try {
    varint(); // length
    p += 1; // attributes
    varint(); // timestampDelta
    varint(); // offsetDelta
    const keyLen = varint();
    if (keyLen < 4 || p + 4 > buf.length) return -1;
    return buf.readInt16BE(p + 2);
  } catch {
    return -1;
  }
}

export class TxnIndex {
  private readonly dir: string;
  private entries: AbortedTxn[] = [];

  constructor(dir: string) {
    this.dir = dir;
  }

  get all(): readonly AbortedTxn[] {
    return this.entries;
  }

  /** Loads every `.txnindex` file of the dir, keeping entries below `logEnd`. */
  load(logEnd: number): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir).filter((n) => n.endsWith(TXN_INDEX_SUFFIX)).sort();
    } catch {
      names = [];
    }
    const out: AbortedTxn[] = [];
    let dropped = false;
    for (const n of names) {
      for (const e of decodeTxnIndex(fs.readFileSync(path.join(this.dir, n)))) {
        if (e.lastOffset < logEnd) out.push(e);
        else dropped = true;
      }
    }
    out.sort((a, b) => a.lastOffset - b.lastOffset);
    this.entries = out;
    if (dropped) this.rewrite((o) => o);
  }

  /** Records an aborted transaction, in the file of the segment based at `segmentBase`. */
  append(e: AbortedTxn, segmentBase: number): void {
    if (this.entries.length > 0 && this.entries[this.entries.length - 1]!.lastOffset > e.lastOffset) {
      this.entries.push(e);
      this.entries.sort((a, b) => a.lastOffset - b.lastOffset);
    } else {
      this.entries.push(e);
    }
    fs.appendFileSync(fileName(this.dir, segmentBase), encode(e));
  }

  /** Whether an entry ends at `lastOffset` (the marker's offset). */
  has(lastOffset: number): boolean {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if (e.lastOffset === lastOffset) return true;
      if (e.lastOffset < lastOffset) return false;
    }
    return false;
  }

  /** Entries whose range overlaps [from, to): lastOffset ≥ from and firstOffset < to. */
  overlapping(from: number, to: number): AbortedTxn[] {
    // Ascending lastOffset: skip the entries that end before `from`.
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.lastOffset < from) lo = mid + 1;
      else hi = mid;
    }
    const out: AbortedTxn[] = [];
    for (let i = lo; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (e.firstOffset < to) out.push(e);
    }
    return out;
  }

  /** Drops entries at or after `offset` (truncation). */
  truncateTo(offset: number): void {
    if (!this.entries.some((e) => e.lastOffset >= offset)) return;
    this.entries = this.entries.filter((e) => e.lastOffset < offset);
    this.rewrite((o) => o);
  }

  /** Drops the entries ending at these offsets (the cleaner left no batch of their transactions). */
  remove(lastOffsets: ReadonlySet<number>): void {
    if (!this.entries.some((e) => lastOffsets.has(e.lastOffset))) return;
    this.entries = this.entries.filter((e) => !lastOffsets.has(e.lastOffset));
    this.rewrite((o) => o);
  }

  /** Deletes the file of a removed segment. */
  deleteFor(segmentBase: number): void {
    try {
      fs.unlinkSync(fileName(this.dir, segmentBase));
    } catch {
      // none
    }
  }

  /** Drops entries that end below the log start (their segments are gone). */
  dropBelow(logStart: number): void {
    if (this.entries.length > 0 && this.entries[0]!.lastOffset < logStart) this.entries = this.entries.filter((e) => e.lastOffset >= logStart);
  }

  /** Rewrites the files from memory: each entry into the file of the segment holding its marker. */
  private rewrite(segmentBaseOf: (lastOffset: number) => number): void {
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.dir).filter((n) => n.endsWith(TXN_INDEX_SUFFIX));
    } catch {
      return;
    }
    const bases = names.map((n) => Number(n.slice(0, 20))).sort((a, b) => a - b);
    const groups = new Map<number, Buffer[]>();
    for (const b of bases) groups.set(b, []);
    for (const e of this.entries) {
      const target = segmentBaseOf(e.lastOffset);
      let base = bases[0] ?? 0;
      for (const b of bases) if (b <= target) base = b;
      if (!groups.has(base)) groups.set(base, []);
      groups.get(base)!.push(encode(e));
    }
    // Each file is replaced whole: a crash leaves the old or the new one.
    for (const [base, bufs] of groups) writeFileAtomic(fileName(this.dir, base), Buffer.concat(bufs));
  }
}
