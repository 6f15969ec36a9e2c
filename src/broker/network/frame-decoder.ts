import { FrameSizeError, FrameSplitter } from '../../protocol/frame-splitter.ts';

/**
 * Splits a client's byte stream into request frames (see FrameSplitter). A declared
 * size above socket.request.max.bytes is refused before any of it is buffered.
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
  private readonly splitter: FrameSplitter;
  private readonly maxFrameBytes: number;

  constructor(maxFrameBytes: number, minFrameBytes = 0) {
    this.maxFrameBytes = maxFrameBytes;
    this.splitter = new FrameSplitter(maxFrameBytes, minFrameBytes, 'request');
  }

  /** Bytes held waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.splitter.bufferedBytes;
  }

  /** Feeds bytes; returns the complete frames (without their size prefix). Throws on a bad size. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    try {
      this.splitter.push(chunk, (f) => frames.push(f));
    } catch (err) {
      if (!(err instanceof FrameSizeError)) throw err;
      throw err.tooLarge ? new FrameTooLargeError(err.size, this.maxFrameBytes) : new InvalidFrameSizeError(err.size);
    }
    return frames;
  }
}
