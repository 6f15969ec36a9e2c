import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BufferPool } from '../../src/storage/buffer-pool.ts';

describe('BufferPool', () => {
  it('hands out exact-size views and reuses released slabs', () => {
    const pool = new BufferPool({ maxFreeBytes: 1 << 20, minBytes: 1024 });
    const a = pool.take(3000);
    assert.equal(a.length, 3000);
    assert.ok(pool.owns(a));
    a.fill(7);
    pool.release(a);
    assert.ok(!pool.owns(a), 'a released view is no longer owned');
    assert.equal(pool.pooledBytes, 4096);
    const b = pool.take(4000);
    assert.equal(b.buffer, a.buffer, 'the slab is reused');
    assert.equal(pool.pooledBytes, 0);
    pool.release(a); // a second release of an old view is ignored
    assert.equal(pool.pooledBytes, 0);
  });

  it('does not pool small or foreign buffers and keeps at most maxFreeBytes', () => {
    const pool = new BufferPool({ maxFreeBytes: 8192, minBytes: 1024 });
    const small = pool.take(100);
    assert.ok(!pool.owns(small));
    pool.release(Buffer.alloc(4096));
    assert.equal(pool.pooledBytes, 0);
    const views = [pool.take(4096), pool.take(4096), pool.take(4096)];
    for (const v of views) pool.release(v);
    assert.equal(pool.pooledBytes, 8192);
  });
});
