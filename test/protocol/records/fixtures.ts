/** Shared helpers for the record tests: a seeded PRNG and sample records. */
import type { RecordInput } from '../../../src/protocol/records/index.ts';

export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

export function sampleRecords(n: number, seed = 7): RecordInput[] {
  const rnd = prng(seed);
  const out: RecordInput[] = [];
  for (let i = 0; i < n; i++) {
    const r = rnd();
    out.push({
      timestampDelta: Math.floor(rnd() * 5000),
      key: r < 0.2 ? null : Buffer.from(`key-${i}`),
      value: r > 0.9 ? null : Buffer.from(`{"i":${i},"payload":"${'x'.repeat(Math.floor(rnd() * 200))}"}`),
      headers:
        r < 0.5
          ? undefined
          : [
              { key: 'trace-id', value: Buffer.from(`t${i}`) },
              { key: 'ünïcode-ключ', value: r > 0.8 ? null : Buffer.alloc(0) },
            ],
    });
  }
  return out;
}
