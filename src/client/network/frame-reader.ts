import { FrameSplitter, FrameSizeError } from '../../protocol/frame-splitter.ts';

export { FrameSizeError } from '../../protocol/frame-splitter.ts';

/** A response frame holds at least the correlation id. */
const MIN_RESPONSE_BYTES = 4;

/** Splits a broker's byte stream into response frames (see FrameSplitter). */
export class FrameReader extends FrameSplitter {
  constructor(maxFrameBytes: number) {
    super(maxFrameBytes, MIN_RESPONSE_BYTES, 'response');
  }
}

/**
 * Reads response frames straight from the socket (net's `onread`): the bytes of a
 * frame that does not fit the reusable read buffer are read directly into that
 * frame's own buffer, so a large response (a Fetch) costs one allocation and no
 * copy, and reads allocate nothing.
 */
export class DirectFrameReader {
  private readonly scratch = Buffer.allocUnsafe(65536);
  private have = 0;
  private frame: Buffer | null = null;
  private filled = 0;
  private readonly max: number;
  onFrame: (frame: Buffer) => void = () => {};
  onRead: (n: number) => void = (n) => this.read(n);

  constructor(maxFrameBytes: number) {
    this.max = maxFrameBytes;
  }

  /** Where the next read goes. */
  target(): Buffer {
    return this.frame !== null ? this.frame.subarray(this.filled) : this.scratch.subarray(this.have);
  }

  /** `n` bytes were read into the last target. */
  read(n: number): void {
    if (this.frame !== null) {
      this.filled += n;
      if (this.filled === this.frame.length) {
        const f = this.frame;
        this.frame = null;
        this.filled = 0;
        this.onFrame(f);
      }
      return;
    }
    const s = this.scratch;
    this.have += n;
    let pos = 0;
    while (this.have - pos >= 4) {
      const size = s.readInt32BE(pos);
      if (size < 4 || size > this.max) throw new FrameSizeError(size, this.max, 'response');
      const avail = this.have - pos - 4;
      if (avail >= size) {
        // The read buffer is reused: the frame gets its own bytes.
        const f = Buffer.allocUnsafe(size);
        s.copy(f, 0, pos + 4, pos + 4 + size);
        pos += 4 + size;
        this.onFrame(f);
        continue;
      }
      const f = Buffer.allocUnsafe(size);
      s.copy(f, 0, pos + 4, this.have);
      this.frame = f;
      this.filled = avail;
      pos = this.have;
    }
    if (pos > 0 && pos < this.have) s.copyWithin(0, pos, this.have);
    this.have -= pos;
  }
}
