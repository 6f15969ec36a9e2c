/**
 * Splits a broker's byte stream into response frames: int32 size, then `size` bytes.
 *
 * A size above `maxFrameBytes` (or negative) is refused as soon as its four bytes
 * arrive, before anything is buffered for it: a broken or hostile peer cannot make
 * the client allocate what it claims. Chunks are kept as received and joined only
 * when a whole frame is present; a frame inside one chunk is a zero-copy view.
 */
export class FrameSizeError extends Error {
  readonly size: number;

  constructor(size: number, max: number) {
    super(size < 0 ? `invalid response size ${size}` : `response of ${size} bytes exceeds the limit of ${max} bytes`);
    this.name = 'FrameSizeError';
    this.size = size;
  }
}

/** A response frame holds at least the correlation id. */
const MIN_FRAME_BYTES = 4;

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private nextSize = -1;
  private readonly maxFrameBytes: number;

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes held waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Feeds bytes and calls `onFrame` for each complete frame (without its size
   * prefix), in order. Throws FrameSizeError on a size out of bounds.
   */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    if (chunk.length === 0) return;
    // Fast path: nothing buffered, whole frames inside this chunk.
    if (this.buffered === 0 && this.nextSize < 0) {
      let pos = 0;
      while (chunk.length - pos >= 4) {
        const size = chunk.readInt32BE(pos);
        this.check(size);
        if (chunk.length - pos - 4 < size) break;
        onFrame(chunk.subarray(pos + 4, pos + 4 + size));
        pos += 4 + size;
      }
      if (pos === chunk.length) return;
      chunk = chunk.subarray(pos);
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.nextSize < 0) {
        if (this.buffered < 4) return;
        const size = this.peekInt32();
        this.check(size);
        this.consume(4);
        this.nextSize = size;
      }
      if (this.buffered < this.nextSize) return;
      const frame = this.consume(this.nextSize);
      this.nextSize = -1;
      onFrame(frame);
    }
  }

  private check(size: number): void {
    if (size < MIN_FRAME_BYTES || size > this.maxFrameBytes) throw new FrameSizeError(size, this.maxFrameBytes);
  }

  private peekInt32(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    return Buffer.concat(this.chunks, 4).readInt32BE(0);
  }

  /** Removes and returns the next n buffered bytes. */
  private consume(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let copied = 0;
    while (copied < n) {
      const c = this.chunks[0]!;
      const take = Math.min(c.length, n - copied);
      c.copy(out, copied, 0, take);
      copied += take;
      if (take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
    }
    return out;
  }
}
