/**
 * The fuzz suite shared by test/protocol/fuzz.test.ts (fixed input counts) and
 * tools/fuzz/campaign.ts (a time budget). Loads the golden-frame corpus, generates
 * synthetic frames for every API version, builds the record corpus, installs the
 * allocation guard.
 */
import { loadGoldenFrames } from '../golden/fixtures.ts';
import { installAllocGuard } from './alloc-guard.ts';
import { fuzzAsync } from './async.ts';
import { bombCorpus, fuzzBombs } from './bombs.ts';
import { syntheticFrames } from './synthetic.ts';
import { FuzzReport, batchCorpus, frameCorpus, fuzzBatches, fuzzCodecs, fuzzFrames, fuzzLegacy } from './targets.ts';
import type { BatchCorpus, FrameCorpus } from './targets.ts';

export type TargetName = 'frames' | 'messages' | 'batches' | 'legacy' | 'codecs' | 'bombs' | 'async';
export const TARGETS: readonly TargetName[] = ['frames', 'messages', 'batches', 'legacy', 'codecs', 'bombs', 'async'];

export interface FuzzSuite {
  readonly seed: number;
  /** Golden frames from real clients. */
  readonly frames: FrameCorpus;
  /** Synthetic frames: every API and version. */
  readonly messages: FrameCorpus;
  readonly records: BatchCorpus;
  /** Runs inputs [first, first + count) of `target` into `report` (only 'async' returns a promise). */
  run(target: TargetName, first: number, count: number, report: FuzzReport): void | Promise<void>;
}

export function createFuzzSuite(seed: number): FuzzSuite {
  installAllocGuard();
  const frames = frameCorpus(loadGoldenFrames());
  const messages = frameCorpus(syntheticFrames(seed));
  const records = batchCorpus(seed);
  let bombs: ReturnType<typeof bombCorpus> | null = null;
  return {
    seed,
    frames,
    messages,
    records,
    run(target, first, count, report) {
      switch (target) {
        case 'frames':
          return fuzzFrames(frames, seed, first, count, report);
        case 'messages':
          return fuzzFrames(messages, seed, first, count, report, 'messages');
        case 'batches':
          return fuzzBatches(records, seed, first, count, report);
        case 'legacy':
          return fuzzLegacy(records, seed, first, count, report);
        case 'codecs':
          return fuzzCodecs(records, seed, first, count, report);
        case 'bombs':
          return fuzzBombs((bombs ??= bombCorpus()), seed, first, count, report);
        case 'async':
          return fuzzAsync(records, seed, first, count, report);
      }
    },
  };
}

export { FuzzReport, describeFailure } from './targets.ts';
export type { FuzzFailure } from './targets.ts';
