/**
 * Decompression-bomb fuzzing: compressed payloads that expand far past the cap,
 * with structural lies a byte mutator would rarely find (an LZ4 frame declaring a
 * small content size with its header checksum fixed up, gzip members back to back,
 * xerial snappy blocks repeated), then mutated a little.
 *
 * Native decompressors allocate outside the JS allocation guard, so this target
 * measures process.memoryUsage().arrayBuffers across each call: growth far beyond
 * the cap means the decoder produced output it should have refused unread.
 */
import { CompressionCodec, compress, decompress, xxhash32 } from '../../src/protocol/compression/index.ts';
import { check } from './targets.ts';
import type { Ctx, FuzzReport } from './targets.ts';
import { mutate } from './mutate.ts';
import { Rng, inputSeed } from './rng.ts';

const BOMB_CAP_BYTES = 256 * 1024;
const LZ4_FRAME_MAGIC = Buffer.from([0x04, 0x22, 0x4d, 0x18]);

interface Bomb {
  codec: number;
  name: string;
  payload: Buffer;
}

/** Rewrites an LZ4 frame's descriptor to declare `contentSize`, fixing the header checksum. */
export function lz4WithContentSize(frame: Buffer, contentSize: bigint): Buffer {
  const flg = frame[4]!;
  const hasSize = (flg & 0x08) !== 0;
  const blocks = frame.subarray(4 + 2 + (hasSize ? 8 : 0) + 1);
  const desc = Buffer.alloc(10);
  desc[0] = flg | 0x08;
  desc[1] = frame[5]!;
  desc.writeBigUInt64LE(contentSize, 2);
  const hc = (xxhash32(desc, 0, desc.length) >>> 8) & 0xff;
  return Buffer.concat([LZ4_FRAME_MAGIC, desc, Buffer.from([hc]), blocks]);
}

/** The lz4 frame Kafka writes has 64 KiB blocks; a 4 MiB block max lets one small block expand 255-fold. */
function lz4BigBlocks(frame: Buffer): Buffer {
  const copy = Buffer.from(frame);
  copy[5] = 0x70;
  const descEnd = 4 + 2 + ((copy[4]! & 0x08) !== 0 ? 8 : 0);
  copy[descEnd] = (xxhash32(copy, 4, descEnd) >>> 8) & 0xff;
  return copy;
}

export function bombCorpus(): Bomb[] {
  const zeros = Buffer.alloc(8 * 1024 * 1024);
  const bombs: Bomb[] = [];
  const gzip = compress(CompressionCodec.GZIP, zeros);
  bombs.push({ codec: CompressionCodec.GZIP, name: 'gzip 8 MiB', payload: gzip });
  bombs.push({ codec: CompressionCodec.GZIP, name: 'gzip 4 members', payload: Buffer.concat([gzip, gzip, gzip, gzip]) });
  bombs.push({ codec: CompressionCodec.ZSTD, name: 'zstd 8 MiB', payload: compress(CompressionCodec.ZSTD, zeros) });
  const snappy = compress(CompressionCodec.SNAPPY, zeros.subarray(0, 1024 * 1024));
  bombs.push({ codec: CompressionCodec.SNAPPY, name: 'snappy xerial 1 MiB', payload: snappy });
  const lz4 = compress(CompressionCodec.LZ4, zeros);
  bombs.push({ codec: CompressionCodec.LZ4, name: 'lz4 8 MiB', payload: lz4 });
  for (const size of [0n, 1n, BigInt(BOMB_CAP_BYTES)]) {
    bombs.push({ codec: CompressionCodec.LZ4, name: `lz4 8 MiB declaring ${size} bytes`, payload: lz4WithContentSize(lz4, size) });
    bombs.push({ codec: CompressionCodec.LZ4, name: `lz4 4 MiB blocks declaring ${size} bytes`, payload: lz4WithContentSize(lz4BigBlocks(lz4), size) });
  }
  return bombs;
}

export function fuzzBombs(bombs: readonly Bomb[], seed: number, first: number, count: number, report: FuzzReport): void {
  const payloads = bombs.map((b) => b.payload);
  for (let index = first; index < first + count; index++) {
    const rng = new Rng(inputSeed(seed, index));
    const ctx: Ctx = { report, target: 'bombs', seed, index };
    report.inputs++;
    const bomb = rng.pick(bombs);
    const input = rng.chance(0.5) ? bomb.payload : mutate(rng, bomb.payload, payloads, 16);
    const context = `${bomb.name}${input === bomb.payload ? '' : ', mutated'}; decompress max ${BOMB_CAP_BYTES}`;
    let grewBytes = 0;
    check(ctx, input, context, BOMB_CAP_BYTES + input.length * 4 + 64 * 1024, () => {
      const before = process.memoryUsage().arrayBuffers;
      try {
        const out = decompress(bomb.codec, input, { maxOutputBytes: BOMB_CAP_BYTES });
        if (out.length > BOMB_CAP_BYTES) throw new Error(`decompress returned ${out.length} bytes past its cap of ${BOMB_CAP_BYTES}`);
      } finally {
        grewBytes = process.memoryUsage().arrayBuffers - before;
      }
    });
    // Garbage not yet collected still counts, so growth is an upper bound on what the call held at its end.
    const allowed = 4 * BOMB_CAP_BYTES + 4 * input.length + 1024 * 1024;
    if (grewBytes > allowed) {
      report.fail({
        target: 'bombs',
        seed,
        index,
        context,
        problem: `array buffers grew by ${grewBytes} bytes during the call (cap ${BOMB_CAP_BYTES}, input ${input.length} bytes)`,
        input,
      });
    }
  }
}
