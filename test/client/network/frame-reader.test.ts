import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameReader, FrameSizeError } from '../../../src/client/network/frame-reader.ts';

function frame(body: string): Buffer {
  const b = Buffer.from(body);
  const out = Buffer.alloc(4 + b.length);
  out.writeInt32BE(b.length, 0);
  b.copy(out, 4);
  return out;
}

function collect(reader: FrameReader, chunks: Buffer[]): string[] {
  const out: string[] = [];
  for (const c of chunks) reader.push(c, (f) => out.push(f.toString()));
  return out;
}

describe('FrameReader', () => {
  const stream = Buffer.concat([frame('abcd'), frame('efghijkl'), frame('mnop')]);

  it('splits several frames in one chunk', () => {
    assert.deepEqual(collect(new FrameReader(100), [stream]), ['abcd', 'efghijkl', 'mnop']);
  });

  it('reassembles frames from any chunking, byte by byte included', () => {
    for (let size = 1; size <= stream.length; size++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
      const reader = new FrameReader(100);
      assert.deepEqual(collect(reader, chunks), ['abcd', 'efghijkl', 'mnop'], `chunks of ${size}`);
      assert.equal(reader.bufferedBytes, 0);
    }
  });

  it('refuses a size above the limit as soon as the size arrives', () => {
    const reader = new FrameReader(8);
    assert.deepEqual(collect(reader, [frame('12345678')]), ['12345678']);
    const head = Buffer.alloc(4);
    head.writeInt32BE(9, 0);
    reader.push(head.subarray(0, 2), () => {});
    assert.throws(() => reader.push(head.subarray(2), () => {}), FrameSizeError);
  });

  it('refuses negative and too-small sizes', () => {
    assert.throws(() => new FrameReader(100).push(Buffer.from([0xff, 0xff, 0xff, 0xff]), () => {}), /invalid response size -1/);
    assert.throws(() => new FrameReader(100).push(Buffer.from([0, 0, 0, 2, 1, 2]), () => {}), FrameSizeError);
  });
});
