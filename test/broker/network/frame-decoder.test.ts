import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, FrameTooLargeError, InvalidFrameSizeError } from '../../../src/broker/network/frame-decoder.ts';

function frame(body: Buffer): Buffer {
  const b = Buffer.alloc(4 + body.length);
  b.writeInt32BE(body.length, 0);
  body.copy(b, 4);
  return b;
}

test('frames split across chunks byte by byte, and several in one chunk', () => {
  const bodies = [Buffer.from('hello'), Buffer.alloc(0), Buffer.from('a longer frame body')];
  const stream = Buffer.concat(bodies.map(frame));
  const d = new FrameDecoder(1024);
  const got: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) got.push(...d.push(stream.subarray(i, i + 1)));
  assert.deepEqual(got.map(String), bodies.map(String));
  const d2 = new FrameDecoder(1024);
  assert.deepEqual(d2.push(stream).map(String), bodies.map(String));
  assert.equal(d2.bufferedBytes, 0);
});

test('an oversized or negative size is refused before its bytes are buffered', () => {
  const d = new FrameDecoder(100);
  const head = Buffer.alloc(4);
  head.writeInt32BE(0x7fffffff, 0);
  assert.throws(() => d.push(head), FrameTooLargeError);
  const d2 = new FrameDecoder(100);
  head.writeInt32BE(-5, 0);
  assert.throws(() => d2.push(head), InvalidFrameSizeError);
});
