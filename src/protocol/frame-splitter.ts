/**
 * Splits a Kafka byte stream into frames: int32 size, then `size` bytes. The broker
 * reads requests with it and the client reads responses.
 *
 * A size above `maxFrameBytes` (or below the smallest frame) is refused as soon as
 * its four bytes arrive, before anything is buffered for it: a broken or hostile
 * peer cannot make the reader allocate what it claims. Chunks are kept as received
 * and joined only when a whole frame is present; a frame inside one chunk is a
 * zero-copy view.
 */
export class FrameSizeError extends Error {
  readonly size: number;
  /** True when the size is above the limit (not merely invalid). */
  readonly tooLarge: boolean;

  constructor(size: number, max: number, what = 'frame') {
    super(size > max ? `${what} of ${size} bytes exceeds the limit of ${max} bytes` : `invalid ${what} size ${size}`);
    this.name = 'FrameSizeError';
    this.size = size;
    this.tooLarge = size > max;
  }
}

export class FrameSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private nextSize = -1;
  private readonly maxFrameBytes: number;
  private readonly minFrameBytes: number;
  private readonly what: string;

  /** `what` names the frames in errors ("request", "response"). */
  constructor(maxFrameBytes: number, minFrameBytes = 0, what = 'frame') {
    this.maxFrameBytes = maxFrameBytes;
    this.minFrameBytes = minFrameBytes;
    this.what = what;
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
    if (size < this.minFrameBytes || size > this.maxFrameBytes) throw new FrameSizeError(size, this.maxFrameBytes, this.what);
  }

  private peekInt32(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    return Buffer.concat(this.chunks, 4).readInt32BE(0);
  }

  /** Removes and returns the next n buffered bytes. */
  private consume(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
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
