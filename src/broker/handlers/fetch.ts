// Fetch (key 1), versions 0-17. v1 throttle time; v2 magic 1 messages; v3 max_bytes
// (request-level limit; one oversized batch may still come back for the first
// partition with data, KIP-74); v4 isolation_level, last_stable_offset and
// aborted_transactions, magic 2 batches; v5 log_start_offset; v6 may answer
// KAFKA_STORAGE_ERROR; v7 fetch sessions (KIP-227: session_id, session_epoch,
// forgotten topics, top-level error_code); v8 like v7; v9 current_leader_epoch
// (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH); v10 zstd; v11 rack_id and
// preferred_read_replica (always -1 here); v12 flexible, last_fetched_epoch and
// diverging_epoch; v13 topic ids instead of names (UNKNOWN_TOPIC_ID); v14 like v13;
// v15 replica_state replaces replica_id; v16 node_endpoints; v17 replica directory id.
//
// Records are whole batches read from segment files with positional reads and sent
// as they are; only v0-3 (magic 0/1 clients) get a down-converted copy. A request
// whose min_bytes is not met waits in the fetch purgatory, keyed by its partitions,
// until an append to one of them satisfies it or max_wait_ms passes.
import { FetchApi } from '../../protocol/generated/apis/fetch.ts';
import type { ApiSpec } from '../../protocol/generated/api-spec.ts';
import type { FetchRequest } from '../../protocol/generated/fetch-request.ts';
import type {
  FetchResponse,
  FetchResponseFetchableTopicResponseInit,
  FetchResponseInit,
  FetchResponsePartitionDataInit,
} from '../../protocol/generated/fetch-response.ts';
import type { FetchRequestInit } from '../../protocol/generated/fetch-request.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { Writer } from '../../protocol/primitives/writer.ts';
import type { BrokerContext } from '../broker-context.ts';
import { containsZstd, downConvert } from '../fetch/down-convert.ts';
import { FetchSession, nextEpoch, partitionKey } from '../fetch/fetch-session.ts';
import type { FetchPartition } from '../fetch/fetch-session.ts';
import { READ_COMMITTED, readBytes, readPartitions } from '../fetch/read.ts';
import { fetchReadPool } from '../fetch/read-pool.ts';
import type { PartitionRead, ReadParams } from '../fetch/read.ts';
import { dataPlane, partitionWatchKey } from '../fetch/state.ts';
import { DelayedCallback } from '../purgatory/purgatory.ts';
import { defineHandler } from './api-handler.ts';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/**
 * FetchApi whose response encoder sizes the output buffer once. Records large enough
 * to be spliced (written by reference, Writer.spliceMinBytes) take no room in it:
 * sizing for them allocated a buffer as large as the whole response per fetch,
 * never written to, and the garbage collections it caused were the broker's
 * largest cost under fetch load.
 */
const FetchApiPresized: ApiSpec<FetchRequest, FetchRequestInit, FetchResponse, FetchResponseInit> = {
  ...FetchApi,
  encodeResponse(w: Writer, v: FetchResponseInit, version: number): void {
    let bytes = 256;
    for (const t of v.responses ?? []) {
      bytes += 64;
      for (const p of t.partitions ?? []) {
        const n = p.records?.length ?? 0;
        bytes += 96 + (n >= w.spliceMinBytes ? 0 : n);
      }
    }
    w.ensure(bytes);
    FetchApi.encodeResponse(w, v, version);
  },
};

function requestedPartitions(broker: BrokerContext, req: FetchRequest, version: number): FetchPartition[] {
  const out: FetchPartition[] = [];
  for (const t of req.topics) {
    let name: string;
    let topicId: string;
    if (version >= 13) {
      topicId = t.topicId;
      name = topicId === ZERO_UUID ? '' : (broker.topics.getById(topicId)?.name ?? '');
    } else {
      name = t.topic;
      topicId = broker.topics.get(name)?.topicId ?? ZERO_UUID;
    }
    for (const p of t.partitions) {
      out.push({
        topic: name,
        topicId,
        partition: p.partition,
        fetchOffset: Number(p.fetchOffset),
        maxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: version >= 9 ? p.currentLeaderEpoch : -1,
        lastFetchedEpoch: version >= 12 ? p.lastFetchedEpoch : -1,
        logStartOffset: version >= 5 ? Number(p.logStartOffset) : -1,
        highWatermark: -1,
        lastStableOffset: -1,
        localLogStartOffset: -1,
      });
    }
  }
  return out;
}

function forgottenKeys(broker: BrokerContext, req: FetchRequest, version: number): string[] {
  const keys: string[] = [];
  const usesTopicIds = version >= 13;
  for (const t of req.forgottenTopicsData) {
    const topicId = usesTopicIds ? t.topicId : (broker.topics.get(t.topic)?.topicId ?? ZERO_UUID);
    for (const p of t.partitions) keys.push(partitionKey(usesTopicIds, t.topic, topicId, p));
  }
  return keys;
}

type Context =
  | { kind: 'sessionless' | 'full'; partitions: FetchPartition[] }
  | { kind: 'incremental'; session: FetchSession; partitions: FetchPartition[] };

function enough(reads: readonly PartitionRead[], minBytes: number): boolean {
  let bytes = 0;
  for (const r of reads) {
    if (r.errorCode !== ErrorCode.NONE || r.divergingEpoch) return true;
    bytes += r.sizeBytes;
  }
  return bytes >= minBytes;
}

function partitionData(r: PartitionRead, p: FetchPartition, version: number, isolationLevel: number, records: Buffer): FetchResponsePartitionDataInit {
  const ok = r.errorCode === ErrorCode.NONE;
  return {
    partitionIndex: p.partition,
    errorCode: r.errorCode,
    highWatermark: BigInt(r.highWatermark),
    lastStableOffset: BigInt(r.lastStableOffset),
    logStartOffset: BigInt(r.logStartOffset),
    abortedTransactions: ok && isolationLevel === READ_COMMITTED ? (r.abortedTransactions ?? []).map((t) => ({ producerId: BigInt(t.producerId), firstOffset: BigInt(t.firstOffset) })) : null,
    divergingEpoch: r.divergingEpoch && version >= 12 ? { epoch: r.divergingEpoch.epoch, endOffset: BigInt(r.divergingEpoch.endOffset) } : undefined,
    preferredReadReplica: -1,
    records,
  };
}

function buildResponse(
  broker: BrokerContext,
  version: number,
  isolationLevel: number,
  ctx: Context,
  reads: readonly PartitionRead[],
): FetchResponseInit {
  const usesTopicIds = version >= 13;
  const { partitions } = ctx;
  let sessionId = 0;
  let include: boolean[];
  if (ctx.kind === 'incremental') {
    const s = ctx.session;
    sessionId = s.id;
    include = partitions.map((p, i) => FetchSession.mustRespond(p, answerOf(reads[i]!)));
    // Partitions that were answered go to the back of the session, so none starves.
    partitions.forEach((p, i) => {
      if (include[i]) s.moveToEnd(s.keyOf(p));
    });
  } else {
    include = partitions.map(() => true);
    if (ctx.kind === 'full' && partitions.length > 0) {
      for (let i = 0; i < partitions.length; i++) FetchSession.mustRespond(partitions[i]!, answerOf(reads[i]!));
      const s = dataPlane(broker).fetchSessions.maybeCreate(Date.now(), usesTopicIds, partitions);
      sessionId = s ? s.id : 0;
    }
  }
  const responses: FetchResponseFetchableTopicResponseInit[] = [];
  let current: { topic: string; topicId: string; partitions: FetchResponsePartitionDataInit[] } | null = null;
  for (let i = 0; i < partitions.length; i++) {
    if (!include[i]) continue;
    const p = partitions[i]!;
    let r = reads[i]!;
    let records = readBytes(r);
    if (records.length > 0 && version < 10 && containsZstd(records)) {
      r = { ...r, errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1 };
      fetchReadPool.release(records);
      records = Buffer.alloc(0);
    }
    // Down-converted bytes may share memory with the read: that buffer is not released.
    if (records.length > 0 && version <= 3) records = downConvert(records, p.fetchOffset, version <= 1 ? 0 : 1);
    if (r.errorCode === ErrorCode.KAFKA_STORAGE_ERROR && version < 6) r = { ...r, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    const data = partitionData(r, p, version, isolationLevel, records);
    const sameTopic = current !== null && (usesTopicIds ? current.topicId === p.topicId : current.topic === p.topic);
    if (!sameTopic) {
      current = { topic: p.topic, topicId: p.topicId, partitions: [] };
      responses.push(current);
    }
    current!.partitions.push(data);
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId, responses };
}

function answerOf(r: PartitionRead) {
  return {
    errorCode: r.errorCode,
    highWatermark: r.highWatermark,
    lastStableOffset: r.lastStableOffset,
    logStartOffset: r.logStartOffset,
    recordsBytes: r.sizeBytes,
    hasDivergingEpoch: r.divergingEpoch !== null,
  };
}

function sessionError(errorCode: number): FetchResponseInit {
  return { throttleTimeMs: 0, errorCode, sessionId: 0, responses: [] };
}

export const fetchHandler = defineHandler({
  api: FetchApiPresized,
  minVersion: 0,
  handle(ctx, req): FetchResponseInit | Promise<FetchResponseInit> {
    const { broker, apiVersion: version } = ctx;
    const state = dataPlane(broker);
    const cache = state.fetchSessions;
    const usesTopicIds = version >= 13;
    const sessionId = version >= 7 ? req.sessionId : 0;
    const epoch = version >= 7 ? req.sessionEpoch : -1;
    let context: Context;
    if (epoch === 0 || epoch === -1) {
      if (sessionId !== 0) cache.remove(sessionId);
      context = { kind: epoch === -1 ? 'sessionless' : 'full', partitions: requestedPartitions(broker, req, version) };
    } else {
      const s = cache.get(sessionId);
      if (!s) return sessionError(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
      if (s.epoch !== epoch) return sessionError(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
      if (s.usesTopicIds !== usesTopicIds) return sessionError(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
      s.update(requestedPartitions(broker, req, version), forgottenKeys(broker, req, version));
      if (s.size === 0) {
        cache.remove(s.id);
        return sessionError(ErrorCode.NONE);
      }
      cache.touch(s, Date.now());
      s.epoch = nextEpoch(s.epoch);
      context = { kind: 'incremental', session: s, partitions: [...s.partitions.values()] };
    }
    const fetchMaxBytes = broker.config.int('fetch.max.bytes');
    const isolationLevel = version >= 4 ? req.isolationLevel : 0;
    const params: ReadParams = {
      isolationLevel,
      maxBytes: version >= 3 ? Math.min(req.maxBytes, fetchMaxBytes) : 0x7fffffff,
      hardMaxBytesLimit: version <= 2,
    };
    const minBytes = Math.min(req.minBytes, params.maxBytes);
    const partitions = context.partitions;
    const first = readPartitions(broker, partitions, params);
    if (req.maxWaitMs <= 0 || partitions.length === 0 || enough(first, minBytes)) {
      return buildResponse(broker, version, isolationLevel, context, first);
    }
    return new Promise((resolve) => {
      let ready: PartitionRead[] | null = null;
      const op = new DelayedCallback(
        req.maxWaitMs,
        () => {
          const reads = readPartitions(broker, partitions, params);
          if (!enough(reads, minBytes)) return false;
          ready = reads;
          return true;
        },
        () => {
          try {
            resolve(buildResponse(broker, version, isolationLevel, context, ready ?? readPartitions(broker, partitions, params)));
          } catch (e) {
            broker.log(`delayed fetch failed: ${(e as Error).stack ?? String(e)}`);
            resolve(sessionError(ErrorCode.UNKNOWN_SERVER_ERROR));
          }
        },
      );
      const keys = [...new Set(partitions.filter((p) => p.topic !== '').map((p) => partitionWatchKey(p.topic, p.partition)))];
      state.fetchPurgatory.tryCompleteElseWatch(op, keys);
    });
  },
});
