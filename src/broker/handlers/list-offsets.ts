// ListOffsets (key 2), versions 0-10. v0 answers old_style_offsets (segment base
// offsets, up to max_num_offsets); v1 one offset plus its timestamp; v2
// isolation_level and throttle time; v4 current_leader_epoch in, leader_epoch out;
// v5 may answer OFFSET_NOT_AVAILABLE; v6 flexible; v7 timestamp -3 = the record with
// the largest timestamp (KIP-734); v8 -4 = earliest local offset (KIP-405); v9 -5 =
// latest tiered offset (KIP-1005); v10 timeout_ms for remote lookups.
//
// Without tiered storage, Kafka answers -4 like -2 (the log start offset) and -5
// with offset -1 and leader epoch -1. A timestamp lookup finds the first record
// whose timestamp is at or after the target; nothing found (or only beyond the high
// watermark / last stable offset) is offset -1, timestamp -1, error NONE. Latest is
// the high watermark (read_uncommitted) or the last stable offset (read_committed).
import * as fs from 'node:fs';
import { ListOffsetsApi } from '../../protocol/generated/apis/list-offsets.ts';
import type {
  ListOffsetsResponseListOffsetsPartitionResponseInit,
  ListOffsetsResponseListOffsetsTopicResponseInit,
} from '../../protocol/generated/list-offsets-response.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { StorageError } from '../../storage/errors.ts';
import type { PartitionLog } from '../../storage/partition-log.ts';
import { checkLeaderEpoch, leaderEpochOf } from '../fetch/state.ts';
import { defineHandler } from './api-handler.ts';

export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
export const MAX_TIMESTAMP = -3;
export const EARLIEST_LOCAL_TIMESTAMP = -4;
export const LATEST_TIERED_TIMESTAMP = -5;

type PartitionResponse = ListOffsetsResponseListOffsetsPartitionResponseInit;

function errorResponse(partitionIndex: number, errorCode: number, version: number): PartitionResponse {
  return version === 0 ? { partitionIndex, errorCode, oldStyleOffsets: [] } : { partitionIndex, errorCode, timestamp: -1n, offset: -1n };
}

function found(partitionIndex: number, timestamp: number, offset: number, leaderEpoch: number, version: number): PartitionResponse {
  return { partitionIndex, errorCode: ErrorCode.NONE, timestamp: BigInt(timestamp), offset: BigInt(offset), leaderEpoch: version >= 4 ? leaderEpoch : -1 };
}

/** Kafka's legacyFetchOffsetsBefore: segment base offsets (and the log end) whose segment was modified at or before `timestamp`, newest first. */
function legacyOffsetsBefore(log: PartitionLog, timestamp: number, maxNumOffsets: number): number[] {
  const segs = log.allSegments;
  const pairs: [number, number][] = segs.map((s) => {
    let mtime = Date.now();
    try {
      mtime = fs.statSync(s.path).mtimeMs;
    } catch {
      // deleted under us: treat as just modified
    }
    return [Math.max(s.baseOffset, log.logStartOffset), Math.floor(mtime)];
  });
  if (segs[segs.length - 1]!.size > 0) pairs.push([log.logEndOffset, Date.now()]);
  let start: number;
  if (timestamp === LATEST_TIMESTAMP) start = pairs.length - 1;
  else if (timestamp === EARLIEST_TIMESTAMP) start = 0;
  else {
    start = pairs.length - 1;
    while (start >= 0 && pairs[start]![1] > timestamp) start--;
  }
  const out: number[] = [];
  for (let n = Math.min(maxNumOffsets, start + 1); n > 0; n--) out.push(pairs[start--]![0]);
  return out.sort((a, b) => b - a);
}

export const listOffsetsHandler = defineHandler({
  api: ListOffsetsApi,
  minVersion: 0,
  handle(ctx, req) {
    const { broker, apiVersion: version } = ctx;
    const isolationLevel = version >= 2 ? req.isolationLevel : 0;
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    if (version >= 1) {
      for (const t of req.topics) {
        for (const p of t.partitions) {
          const k = `${t.name}\u0000${p.partitionIndex}`;
          if (seen.has(k)) duplicates.add(k);
          seen.add(k);
        }
      }
    }
    const topics: ListOffsetsResponseListOffsetsTopicResponseInit[] = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): PartitionResponse => {
        const index = p.partitionIndex;
        if (duplicates.has(`${t.name}\u0000${index}`)) return errorResponse(index, ErrorCode.INVALID_REQUEST, version);
        const meta = broker.topics.get(t.name);
        if (!meta || index < 0 || index >= meta.partitions) return errorResponse(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, version);
        const log = broker.logs.getLog(t.name, index);
        if (!log) return errorResponse(index, ErrorCode.NOT_LEADER_OR_FOLLOWER, version);
        const leaderEpoch = leaderEpochOf(broker, t.name, index);
        if (version >= 4) {
          const epochError = checkLeaderEpoch(p.currentLeaderEpoch, leaderEpoch);
          if (epochError !== ErrorCode.NONE) return errorResponse(index, epochError, version);
        }
        const ts = Number(p.timestamp);
        try {
          if (version === 0) {
            // A consumer never sees offsets above the high watermark.
            let offsets = legacyOffsetsBefore(log, ts, p.maxNumOffsets);
            const hw = log.highWatermark;
            if (offsets.some((o) => o > hw)) offsets = [hw, ...offsets.filter((o) => o <= hw)];
            return { partitionIndex: index, errorCode: ErrorCode.NONE, oldStyleOffsets: offsets.map(BigInt) };
          }
          const lastFetchable = isolationLevel === 1 ? log.lastStableOffset : log.highWatermark;
          if ((ts === MAX_TIMESTAMP && version < 7) || (ts === EARLIEST_LOCAL_TIMESTAMP && version < 8) || (ts === LATEST_TIERED_TIMESTAMP && version < 9)) {
            return errorResponse(index, ErrorCode.UNSUPPORTED_VERSION, version);
          }
          switch (ts) {
            case LATEST_TIMESTAMP:
              return found(index, -1, lastFetchable, leaderEpoch, version);
            case EARLIEST_TIMESTAMP:
            case EARLIEST_LOCAL_TIMESTAMP: {
              const first = log.leaderEpochCache.all[0];
              const epoch = first && first.startOffset <= log.logStartOffset ? first.epoch : -1;
              return found(index, -1, log.logStartOffset, epoch, version);
            }
            case LATEST_TIERED_TIMESTAMP:
              return found(index, -1, -1, -1, version);
            case MAX_TIMESTAMP: {
              const r = log.maxTimestampOffset();
              if (!r || r.offset >= lastFetchable) return errorResponse(index, ErrorCode.NONE, version);
              return found(index, r.timestamp, r.offset, r.leaderEpoch >= 0 ? r.leaderEpoch : -1, version);
            }
            default: {
              const r = log.offsetForTimestamp(ts);
              if (!r || r.offset >= lastFetchable) return errorResponse(index, ErrorCode.NONE, version);
              return found(index, r.timestamp, r.offset, r.leaderEpoch >= 0 ? r.leaderEpoch : -1, version);
            }
          }
        } catch (e) {
          if (e instanceof StorageError) return errorResponse(index, e.code, version);
          broker.log(`ListOffsets on ${t.name}-${index} failed: ${(e as Error).stack ?? String(e)}`);
          return errorResponse(index, ErrorCode.KAFKA_STORAGE_ERROR, version);
        }
      }),
    }));
    return { throttleTimeMs: 0, topics };
  },
});
