import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c, crc32cRange } from '../../src/protocol/crc32c.ts';

test('CRC32C check values (RFC 3720 B.4 and the classic "123456789")', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(0)), 0);
  assert.equal(crc32c(Buffer.alloc(32, 0x00)), 0x8a9136aa);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  const inc = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
  assert.equal(crc32c(inc), 0x46dd794e);
  const dec = Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i));
  assert.equal(crc32c(dec), 0x113fdb5c);
});

test('CRC32C is unsigned, chains through `initial`, and takes ranges and plain Uint8Arrays', () => {
  const data = Buffer.from('the quick brown fox jumps over the lazy dog');
  const whole = crc32c(data);
  assert.ok(whole >= 0 && whole <= 0xffffffff);
  assert.equal(crc32c(data.subarray(10), crc32c(data.subarray(0, 10))), whole);
  assert.equal(crc32cRange(data, 4, 9), crc32c(data.subarray(4, 9)));
  assert.equal(crc32c(new Uint8Array(data)), whole);
});
