/**
 * Byte-level mutations for the fuzzers: bit flips, byte sets, truncations,
 * length-field lies (int16/int32/varint values that claim too much, too little, or
 * are negative), insertions, deletions and splices from another corpus input.
 */
import type { Rng } from './rng.ts';

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

function lengthLie(rng: Rng, remaining: number): number {
  return rng.pick([-2, -1, 0, 1, remaining - 1, remaining, remaining + 1, remaining * 2 + 7, 0x7fff, 0x7fffffff, -0x80000000, rng.int(256)]);
}

function writeUnsignedVarint(out: number[], v: number): void {
  let u = v >>> 0;
  while (u >= 0x80) {
    out.push((u & 0x7f) | 0x80);
    u >>>= 7;
  }
  out.push(u);
}

export type Mutation = (rng: Rng, b: Buffer, corpus: readonly Buffer[]) => Buffer;

export const MUTATIONS: Record<string, Mutation> = {
  bitFlip(rng, b) {
    if (b.length === 0) return b;
    const n = rng.range(1, 4);
    for (let i = 0; i < n; i++) b[rng.int(b.length)]! ^= 1 << rng.int(8);
    return b;
  },
  byteSet(rng, b) {
    if (b.length === 0) return b;
    const n = rng.range(1, 4);
    for (let i = 0; i < n; i++) b[rng.int(b.length)] = rng.chance(0.5) ? rng.pick(INTERESTING_BYTES) : rng.int(256);
    return b;
  },
  truncate(rng, b) {
    return b.subarray(0, rng.int(b.length + 1));
  },
  int16Lie(rng, b) {
    if (b.length < 2) return b;
    const at = rng.int(b.length - 1);
    b.writeInt16BE(Math.max(-0x8000, Math.min(0x7fff, lengthLie(rng, b.length - at - 2))), at);
    return b;
  },
  int32Lie(rng, b) {
    if (b.length < 4) return b;
    const at = rng.int(b.length - 3);
    b.writeInt32BE(lengthLie(rng, b.length - at - 4) | 0, at);
    return b;
  },
  varintLie(rng, b) {
    // Replace one byte with a varint (compact length N+1 or zigzag) claiming a lie.
    if (b.length === 0) return b;
    const at = rng.int(b.length);
    const lie = lengthLie(rng, b.length - at);
    const bytes: number[] = [];
    writeUnsignedVarint(bytes, rng.chance(0.5) ? lie + 1 : (lie << 1) ^ (lie >> 31));
    return Buffer.concat([b.subarray(0, at), Buffer.from(bytes), b.subarray(at + 1)]);
  },
  insert(rng, b) {
    const at = rng.int(b.length + 1);
    return Buffer.concat([b.subarray(0, at), rng.bytes(rng.range(1, 8)), b.subarray(at)]);
  },
  remove(rng, b) {
    if (b.length === 0) return b;
    const at = rng.int(b.length);
    return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + rng.range(1, 8)))]);
  },
  splice(rng, b, corpus) {
    const other = rng.pick(corpus);
    if (other.length === 0) return b;
    const from = rng.int(other.length);
    const piece = other.subarray(from, from + rng.range(1, 64));
    const at = rng.int(b.length + 1);
    const replace = rng.chance(0.5) ? piece.length : 0;
    return Buffer.concat([b.subarray(0, at), piece, b.subarray(Math.min(b.length, at + replace))]);
  },
};

const NAMES = Object.keys(MUTATIONS);

/** One to three stacked mutations of a copy of `input`. */
export function mutate(rng: Rng, input: Buffer, corpus: readonly Buffer[], protectPrefix = 0): Buffer {
  let b: Buffer = Buffer.from(input);
  const n = rng.range(1, 3);
  for (let i = 0; i < n; i++) {
    const name = rng.pick(NAMES);
    if (protectPrefix > 0 && b.length > protectPrefix && name !== 'truncate') {
      // Mutate past a prefix (e.g. a header already fuzzed elsewhere) to reach the body.
      const head = b.subarray(0, protectPrefix);
      b = Buffer.concat([head, MUTATIONS[name]!(rng, Buffer.from(b.subarray(protectPrefix)), corpus)]);
    } else {
      b = MUTATIONS[name]!(rng, b, corpus);
    }
  }
  return b;
}
