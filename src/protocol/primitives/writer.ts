import { ProtocolEncodeError } from './decode-error.ts';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * A growable byte sink for encoding. `finish()` returns a view of exactly the bytes
 * written. Values out of range for their wire type are refused with
 * ProtocolEncodeError instead of being silently truncated.
 *
 * Splicing: with `spliceMinBytes` set, a byte field at least that large is not
 * copied but kept by reference; `finishChunks()` then returns the encoding as a list
 * of buffers to write in order (a Fetch response's records go out as read from the
 * segment files). Bytes already written are never moved once spliced around, so
 * back-patching before a splice point stays valid.
 */
export class Writer {
  buf: Buffer;
  pos: number;
  /** Byte fields of at least this many bytes are referenced, not copied (default: never). */
  spliceMinBytes = Infinity;
  /** >0 while an encoder needs contiguous bytes (an open tagged field). */
  spliceBlocked = 0;
  private chunks: Buffer[] | null = null;
  /** Start, in `buf`, of the bytes not yet handed to `chunks`. */
  private regionStart = 0;

  constructor(capacity = 256) {
    this.buf = Buffer.allocUnsafe(capacity);
    this.pos = 0;
  }

  /** Starts over (keeping the buffer): nothing written, nothing spliced. */
  reset(): void {
    this.pos = 0;
    this.chunks = null;
    this.regionStart = 0;
  }

  /** Whether a byte field was spliced (kept by reference): use finishChunks(). */
  get spliced(): boolean {
    return this.chunks !== null;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  finish(): Buffer {
    if (this.chunks === null) return this.buf.subarray(0, this.pos);
    return Buffer.concat(this.finishChunks());
  }

  /** The encoding as buffers to write in order (one unless large fields were spliced). */
  finishChunks(): Buffer[] {
    if (this.chunks === null) return [this.buf.subarray(0, this.pos)];
    const out = this.chunks;
    if (this.pos > this.regionStart) out.push(this.buf.subarray(this.regionStart, this.pos));
    this.regionStart = this.pos;
    return out;
  }

  /** Total bytes written, spliced ones included. */
  get length(): number {
    if (this.chunks === null) return this.pos;
    let n = this.pos - this.regionStart;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  uint16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  int64(v: bigint): this {
    if (v < INT64_MIN || v > INT64_MAX) throw new ProtocolEncodeError(`int64 out of range: ${v}`);
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  uuid(v: string): this {
    const b = Buffer.from(v, 'base64url');
    if (b.length !== 16 || v.length !== 22) throw new ProtocolEncodeError(`not a Kafka UUID: ${v}`);
    return this.raw(b);
  }

  unsignedVarint(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw new ProtocolEncodeError(`unsigned varint out of range: ${v}`);
    }
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  varint(v: number): this {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
      throw new ProtocolEncodeError(`varint out of range: ${v}`);
    }
    return this.unsignedVarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  varlong(v: bigint): this {
    if (v < INT64_MIN || v > INT64_MAX) throw new ProtocolEncodeError(`varlong out of range: ${v}`);
    let u = v >= 0n ? v << 1n : ((-v) << 1n) - 1n;
    this.ensure(10);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
    return this;
  }

  /** Zigzag varlong from a safe-integer number: the fast path for record deltas. */
  varlongNumber(v: number): this {
    if (!Number.isSafeInteger(v)) throw new ProtocolEncodeError(`varlong not a safe integer: ${v}`);
    if (v >= 2 ** 51 || v <= -(2 ** 51)) return this.varlong(BigInt(v));
    let u = v >= 0 ? v * 2 : -v * 2 - 1;
    this.ensure(10);
    while (u >= 0x80) {
      this.buf[this.pos++] = (u % 128) | 0x80;
      u = Math.floor(u / 128);
    }
    this.buf[this.pos++] = u;
    return this;
  }

  raw(b: Uint8Array): this {
    if (b.length >= this.spliceMinBytes && this.spliceBlocked === 0) {
      this.chunks ??= [];
      if (this.pos > this.regionStart) this.chunks.push(this.buf.subarray(this.regionStart, this.pos));
      this.chunks.push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length));
      this.regionStart = this.pos;
      return this;
    }
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  private utf8(s: string, len: number): void {
    this.ensure(len);
    this.buf.write(s, this.pos, len, 'utf8');
    this.pos += len;
  }

  string(s: string): this {
    const len = Buffer.byteLength(s, 'utf8');
    if (len > 0x7fff) throw new ProtocolEncodeError(`string of ${len} bytes is longer than 32767`);
    this.int16(len);
    this.utf8(s, len);
    return this;
  }

  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    return this.string(s);
  }

  compactString(s: string): this {
    const len = Buffer.byteLength(s, 'utf8');
    if (len > 0x7fff) throw new ProtocolEncodeError(`string of ${len} bytes is longer than 32767`);
    this.unsignedVarint(len + 1);
    this.utf8(s, len);
    return this;
  }

  compactNullableString(s: string | null): this {
    if (s === null) return this.unsignedVarint(0);
    return this.compactString(s);
  }

  bytes(b: Uint8Array): this {
    this.int32(b.length);
    return this.raw(b);
  }

  nullableBytes(b: Uint8Array | null): this {
    if (b === null) return this.int32(-1);
    return this.bytes(b);
  }

  compactBytes(b: Uint8Array): this {
    this.unsignedVarint(b.length + 1);
    return this.raw(b);
  }

  compactNullableBytes(b: Uint8Array | null): this {
    if (b === null) return this.unsignedVarint(0);
    return this.compactBytes(b);
  }

  arrayLength(n: number | null): this {
    return this.int32(n === null ? -1 : n);
  }

  compactArrayLength(n: number | null): this {
    return this.unsignedVarint(n === null ? 0 : n + 1);
  }
}
