/**
 * The off-main-thread decoders (decompressAsync, decodeRecordBatchAsync) take
 * different native paths from the sync ones (lz4-napi's frame decoder, snappy's
 * async uncompress), so they get their own target: mutated compressed payloads
 * and batches, same property (only ProtocolDecodeError; never more than the cap).
 * The allocation guard cannot follow an await, so only the output size is checked.
 */
import { CompressionCodec, decompressAsync } from '../../src/protocol/compression/index.ts';
import { ProtocolDecodeError } from '../../src/protocol/primitives/index.ts';
import { BATCH_HEADER_SIZE, decodeRecordBatchAsync } from '../../src/protocol/records/index.ts';
import { mutate } from './mutate.ts';
import { Rng, inputSeed } from './rng.ts';
import type { BatchCorpus, FuzzReport } from './targets.ts';

const ASYNC_CAP_BYTES = 64 * 1024;

export async function fuzzAsync(corpus: BatchCorpus, seed: number, first: number, count: number, report: FuzzReport): Promise<void> {
  const compressed = corpus.samples.filter((s) => s.codec !== CompressionCodec.NONE);
  for (let index = first; index < first + count; index++) {
    const rng = new Rng(inputSeed(seed, index));
    report.inputs++;
    const s = rng.pick(compressed);
    const byBatch = rng.chance(0.5);
    const input = byBatch ? mutate(rng, s.batch, corpus.all) : mutate(rng, s.batch.subarray(BATCH_HEADER_SIZE), corpus.all);
    const context = byBatch ? `decodeRecordBatchAsync codec ${s.codec} verifyCrc=false` : `decompressAsync codec ${s.codec} max ${ASYNC_CAP_BYTES}`;
    try {
      if (byBatch) {
        await decodeRecordBatchAsync(input, 0, { verifyCrc: false, maxOutputBytes: ASYNC_CAP_BYTES });
      } else {
        const out = await decompressAsync(s.codec, input, { maxOutputBytes: ASYNC_CAP_BYTES });
        if (out.length > ASYNC_CAP_BYTES) throw new Error(`decompressAsync returned ${out.length} bytes past its cap of ${ASYNC_CAP_BYTES}`);
      }
      report.accepted++;
    } catch (e) {
      if (e instanceof ProtocolDecodeError) {
        report.rejected++;
        continue;
      }
      const err = e as Error;
      report.fail({ target: 'async', seed, index, context, problem: `threw ${err?.name}: ${err?.message}`, input });
    }
  }
}
