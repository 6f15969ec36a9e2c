/**
 * Splits a TCP byte stream into Kafka frames: int32 size, then `size` bytes.
 *
 * A declared size above `maxFrameBytes` (socket.request.max.bytes) or below the
 * smallest possible request is reported before any of it is buffered, so a peer
 * cannot make the broker allocate what it claims. Chunks are kept as received and
 * joined only once a whole frame is present (a single-chunk frame is a zero-copy view).
 */
export class FrameTooLargeError extends Error {
  readonly size: number;
  constructor(size: number, max: number) {
    super(`frame of ${size} bytes exceeds socket.request.max.bytes (${max})`);
    this.name = 'FrameTooLargeError';
    this.size = size;
  }
}

export class InvalidFrameSizeError extends Error {
  constructor(size: number) {
    super(`invalid frame size ${size}`);
    this.name = 'InvalidFrameSizeError';
  }
}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private nextSize = -1;
  private readonly maxFrameBytes: number;
  private readonly minFrameBytes: number;

  constructor(maxFrameBytes: number, minFrameBytes = 0) {
    this.maxFrameBytes = maxFrameBytes;
    this.minFrameBytes = minFrameBytes;
  }

  /** Bytes held waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Feeds bytes; returns the complete frames (without their size prefix). Throws on a bad size. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    if (chunk.length === 0) return frames;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.nextSize < 0) {
        if (this.buffered < 4) break;
        const size = this.peekInt32();
        if (size < this.minFrameBytes || size < 0) throw new InvalidFrameSizeError(size);
        if (size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);
        this.consume(4);
        this.nextSize = size;
      }
      if (this.buffered < this.nextSize) break;
      frames.push(this.consume(this.nextSize));
      this.nextSize = -1;
    }
    return frames;
  }

  private peekInt32(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    const head = Buffer.concat(this.chunks, Math.min(this.buffered, 8));
    return head.readInt32BE(0);
  }

  /** Removes and returns the next n buffered bytes. */
  private consume(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return out;
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
