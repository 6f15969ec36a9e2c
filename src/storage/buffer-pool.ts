/**
 * A pool of large read buffers, reused once their bytes have been written out.
 *
 * The broker reads a Fetch response's records into fresh buffers and hands them to
 * the socket by reference. At hundreds of MB/s those allocations are outside the JS
 * heap, and V8 answers growing external memory with full garbage collections: in a
 * profile of a 1 KiB-record fetch run, GC was a third of the broker's busy time.
 * Buffers taken from here go back into the pool when the connection reports them
 * written (socket write callback), so a steady fetch load allocates nothing.
 *
 * `take(size)` returns a view of exactly `size` bytes on a slab whose size is the
 * next power of two; only views handed out by take() are accepted back. Small
 * sizes (below `minBytes`) and huge ones are plain allocations. A view that is
 * never released (a copied response, a closed connection) is simply garbage.
 */
export class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private freeBytes = 0;
  private readonly slabOf = new WeakMap<Buffer, Buffer>();
  private readonly maxFreeBytes: number;
  private readonly minBytes: number;
  private readonly maxBytes: number;

  constructor(opts: { maxFreeBytes: number; minBytes?: number; maxBytes?: number }) {
    this.maxFreeBytes = opts.maxFreeBytes;
    this.minBytes = opts.minBytes ?? 64 * 1024;
    this.maxBytes = opts.maxBytes ?? 16 * 1024 * 1024;
  }

  /** Bytes held for reuse. */
  get pooledBytes(): number {
    return this.freeBytes;
  }

  take(size: number): Buffer {
    if (size < this.minBytes || size > this.maxBytes) return Buffer.allocUnsafe(size);
    const cls = 2 ** Math.ceil(Math.log2(size));
    let slab = this.free.get(cls)?.pop();
    if (slab === undefined) slab = Buffer.allocUnsafeSlow(cls);
    else this.freeBytes -= cls;
    const view = slab.subarray(0, size);
    this.slabOf.set(view, slab);
    return view;
  }

  /** Whether `buf` is a view from take() not yet released. */
  owns(buf: Buffer): boolean {
    return this.slabOf.has(buf);
  }

  /** Gives a view from take() back; its bytes must no longer be in use. Others are ignored. */
  release(buf: Buffer): void {
    const slab = this.slabOf.get(buf);
    if (slab === undefined) return;
    this.slabOf.delete(buf);
    if (this.freeBytes + slab.length > this.maxFreeBytes) return;
    let list = this.free.get(slab.length);
    if (list === undefined) this.free.set(slab.length, (list = []));
    list.push(slab);
    this.freeBytes += slab.length;
  }
}
