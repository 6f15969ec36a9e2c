/**
 * Structure-aware length lies: decode a corpus frame once with a Reader that notes
 * where every length or count prefix sits (int16 string lengths, int32 bytes and
 * array lengths, unsigned varints: compact lengths, tagged-field counts and
 * sizes), then rewrite exactly one of them with a lie in its own encoding — so
 * every such mutation lands on a length, where a random byte rarely does.
 */
import { Reader } from '../../src/protocol/primitives/index.ts';
import type { Rng } from './rng.ts';

export type LengthKind = 'int16' | 'int32' | 'uvarint';

export interface LengthField {
  /** Offset of the prefix in the traced buffer. */
  start: number;
  end: number;
  kind: LengthKind;
  /** The value read. */
  value: number;
}

/** A Reader that records the position of every length or count it reads. */
export class TracingReader extends Reader {
  readonly fields: LengthField[] = [];

  private note(kind: LengthKind, start: number, width: number, read: () => number): number {
    const value = read();
    this.fields.push({ start, end: start + width, kind, value });
    return value;
  }

  override unsignedVarint(): number {
    const start = this.pos;
    const value = super.unsignedVarint();
    this.fields.push({ start, end: this.pos, kind: 'uvarint', value });
    return value;
  }

  override string(): string {
    const start = this.pos;
    this.note('int16', start, 2, () => this.buf.readInt16BE(start));
    return super.string();
  }

  override nullableString(): string | null {
    const start = this.pos;
    if (this.remaining >= 2) this.note('int16', start, 2, () => this.buf.readInt16BE(start));
    return super.nullableString();
  }

  override bytes(): Buffer {
    const start = this.pos;
    if (this.remaining >= 4) this.note('int32', start, 4, () => this.buf.readInt32BE(start));
    return super.bytes();
  }

  override nullableBytes(): Buffer | null {
    const start = this.pos;
    if (this.remaining >= 4) this.note('int32', start, 4, () => this.buf.readInt32BE(start));
    return super.nullableBytes();
  }

  override arrayLength(): number {
    const start = this.pos;
    if (this.remaining >= 4) this.note('int32', start, 4, () => this.buf.readInt32BE(start));
    return super.arrayLength();
  }
}

function uvarint(v: number): Buffer {
  const out: number[] = [];
  let u = v >>> 0;
  while (u >= 0x80) {
    out.push((u & 0x7f) | 0x80);
    u >>>= 7;
  }
  out.push(u);
  return Buffer.from(out);
}

/** Rewrites one traced length of `input` (a copy) with a lie in the same encoding. */
export function lieAboutLength(rng: Rng, input: Buffer, fields: readonly LengthField[]): Buffer {
  if (fields.length === 0) return Buffer.from(input);
  const f = rng.pick(fields);
  const remaining = input.length - f.end;
  const lies = [f.value - 1, f.value + 1, f.value * 2 + 1, 0, 1, remaining, remaining + 1, remaining + 2];
  let encoded: Buffer;
  switch (f.kind) {
    case 'int16': {
      const v = rng.chance(0.3) ? rng.pick([-2, -1, 0x7fff, -0x8000]) : rng.pick(lies);
      encoded = Buffer.alloc(2);
      encoded.writeInt16BE(Math.max(-0x8000, Math.min(0x7fff, v)));
      break;
    }
    case 'int32': {
      const v = rng.chance(0.3) ? rng.pick([-2, -1, 0x7fffffff, -0x80000000]) : rng.pick(lies);
      encoded = Buffer.alloc(4);
      encoded.writeInt32BE(Math.max(-0x80000000, Math.min(0x7fffffff, v)));
      break;
    }
    case 'uvarint': {
      const r = rng.int(10);
      if (r === 0) encoded = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]); // 2^32 - 1
      else if (r === 1) encoded = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]); // six bytes
      else if (r === 2) encoded = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x1f]); // past 32 bits
      else if (r === 3) {
        // Over-long but legal: the same value with a redundant continuation byte.
        const canonical = uvarint(f.value);
        encoded = Buffer.concat([canonical.subarray(0, -1), Buffer.from([0x80 | canonical.at(-1)!, 0x00])]);
      }
      else encoded = uvarint(Math.max(0, rng.pick(lies)));
      break;
    }
  }
  return Buffer.concat([input.subarray(0, f.start), encoded, input.subarray(f.end)]);
}
