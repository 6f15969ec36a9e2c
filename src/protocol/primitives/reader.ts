import { ProtocolDecodeError } from './decode-error.ts';

/**
 * A bounds-checked cursor over bytes read from the network or the disk.
 *
 * Invariants: every read checks the bytes present first and throws
 * ProtocolDecodeError, never RangeError; every length or count is compared with
 * the bytes remaining before anything is allocated, so a lying length costs
 * nothing. Byte fields are returned as views of the input (zero copy).
 */
export class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(message: string): never {
    throw new ProtocolDecodeError(message, this.pos);
  }

  need(n: number): void {
    if (n > this.end - this.pos) this.fail(`need ${n} bytes, ${this.end - this.pos} left`);
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  uint16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  float64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A UUID as Kafka prints it: 22 characters of URL-safe base64 without padding. */
  uuid(): string {
    this.need(16);
    const s = this.buf.toString('base64url', this.pos, this.pos + 16);
    this.pos += 16;
    return s;
  }

  /** Unsigned LEB128 varint of at most 5 bytes (a uint32). */
  unsignedVarint(): number {
    let value = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++]!;
      if (i === 4 && b > 0x0f) this.fail('varint longer than 32 bits');
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
      shift += 7;
    }
    return this.fail('varint longer than 5 bytes');
  }

  /** Zigzag-encoded signed varint (an int32). */
  varint(): number {
    const u = this.unsignedVarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Zigzag-encoded signed varlong (an int64), at most 10 bytes. */
  varlong(): bigint {
    let value = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varlong');
      const b = this.buf[this.pos++]!;
      if (i === 9 && b > 0x01) this.fail('varlong longer than 64 bits');
      value |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (value >> 1n) ^ -(value & 1n);
      shift += 7n;
    }
    return this.fail('varlong longer than 10 bytes');
  }

  /**
   * Zigzag varlong read as a JS number; fails (rather than rounding) when the value
   * is outside the safe-integer range. The fast path for record deltas.
   */
  varlongNumber(): number {
    const start = this.pos;
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.end) this.fail('truncated varlong');
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
      mul *= 128;
    }
    this.pos = start;
    const big = this.varlong();
    if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
      this.pos = start;
      this.fail('varlong outside the safe integer range');
    }
    return Number(big);
  }

  raw(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  private utf8(n: number): string {
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  string(): string {
    const n = this.int16();
    if (n < 0) this.fail('null in a non-nullable string');
    return this.utf8(n);
  }

  nullableString(): string | null {
    const n = this.int16();
    if (n < -1) this.fail(`invalid string length ${n}`);
    return n === -1 ? null : this.utf8(n);
  }

  compactString(): string {
    const n = this.unsignedVarint();
    if (n === 0) this.fail('null in a non-nullable compact string');
    return this.utf8(n - 1);
  }

  compactNullableString(): string | null {
    const n = this.unsignedVarint();
    return n === 0 ? null : this.utf8(n - 1);
  }

  bytes(): Buffer {
    const n = this.int32();
    if (n < 0) this.fail('null in non-nullable bytes');
    return this.raw(n);
  }

  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n < -1) this.fail(`invalid bytes length ${n}`);
    return n === -1 ? null : this.raw(n);
  }

  compactBytes(): Buffer {
    const n = this.unsignedVarint();
    if (n === 0) this.fail('null in non-nullable compact bytes');
    return this.raw(n - 1);
  }

  compactNullableBytes(): Buffer | null {
    const n = this.unsignedVarint();
    return n === 0 ? null : this.raw(n - 1);
  }

  /** Array element count (int32, -1 = null). A count beyond the bytes left is refused. */
  arrayLength(): number {
    const n = this.int32();
    if (n < -1) this.fail(`invalid array length ${n}`);
    if (n > this.end - this.pos) this.fail(`array of ${n} elements in ${this.end - this.pos} bytes`);
    return n;
  }

  /** Compact array element count (uvarint N+1, 0 = null), as arrayLength. */
  compactArrayLength(): number {
    const n = this.unsignedVarint() - 1;
    if (n > this.end - this.pos) this.fail(`array of ${n} elements in ${this.end - this.pos} bytes`);
    return n;
  }
}
