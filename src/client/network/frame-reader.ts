import { FrameSplitter } from '../../protocol/frame-splitter.ts';

export { FrameSizeError } from '../../protocol/frame-splitter.ts';

/** A response frame holds at least the correlation id. */
const MIN_RESPONSE_BYTES = 4;

/** Splits a broker's byte stream into response frames (see FrameSplitter). */
export class FrameReader extends FrameSplitter {
  constructor(maxFrameBytes: number) {
    super(maxFrameBytes, MIN_RESPONSE_BYTES, 'response');
  }
}
