/**
 * The console consumer's engine: reads partitions of one topic from given
 * offsets, without a group (no commits), until the client's real consumer
 * exists. Start offsets are resolved with ListOffsets (earliest = -2, latest = -1);
 * Fetch goes to each partition's leader, all leaders in parallel, long-polling
 * (maxWaitMs). An OFFSET_OUT_OF_RANGE resets per auto.offset.reset; leader or
 * topic errors refresh the metadata and retry.
 *
 * Also Kafka's DefaultMessageFormatter (print.key, print.timestamp, ...), byte for
 * byte.
 */
import { ErrorCode, KafkaError, errorInfo } from '../protocol/errors/index.ts';
import { FetchApi, ListOffsetsApi } from '../protocol/generated/api-keys.ts';
import type { FetchResponse } from '../protocol/generated/fetch-response.ts';
import { isControl, isTransactional } from '../protocol/records/batch-header.ts';
import { ControlRecordType, readControlRecordType } from '../protocol/records/control.ts';
import type { DecodedRecord } from '../protocol/records/record.ts';
import { iterateRecordSet } from '../protocol/records/record-set.ts';
import type { Cluster } from '../client/network/cluster.ts';
import { ConnectionError } from '../client/network/errors.ts';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
export const EARLIEST_TIMESTAMP = -2n;
export const LATEST_TIMESTAMP = -1n;

export type OffsetSpec = 'earliest' | 'latest' | bigint;

export interface ConsoleConsumerOptions {
  topic: string;
  /** Partitions to read; null: every partition of the topic. */
  partitions: readonly number[] | null;
  start: OffsetSpec;
  /** auto.offset.reset, for an out-of-range offset. */
  resetTo: 'earliest' | 'latest' | 'none';
  /** 0 read_uncommitted, 1 read_committed. */
  isolationLevel: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  partitionMaxBytes: number;
  requestTimeoutMs: number;
}

interface PartitionCursor {
  partition: number;
  offset: bigint;
}

/** What a fetch round returned for one partition. */
export interface ConsumedRecord {
  partition: number;
  record: DecodedRecord;
}

export class ConsoleConsumer {
  private readonly cluster: Cluster;
  private readonly o: ConsoleConsumerOptions;
  private cursors: PartitionCursor[] = [];
  private topicId = ZERO_UUID;

  constructor(cluster: Cluster, options: ConsoleConsumerOptions) {
    this.cluster = cluster;
    this.o = options;
  }

  async init(): Promise<void> {
    const t = await this.cluster.topic(this.o.topic);
    this.topicId = t.topicId;
    const all = t.partitions.map((p) => p.partition);
    const wanted = this.o.partitions ?? all;
    for (const p of wanted) {
      if (!all.includes(p)) throw KafkaError.from(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${this.o.topic}-${p}: the topic has ${all.length} partition(s)`);
    }
    const start = this.o.start;
    if (typeof start === 'bigint') {
      this.cursors = wanted.map((partition) => ({ partition, offset: start }));
    } else {
      const offsets = await this.listOffsets(wanted, start === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP);
      this.cursors = wanted.map((partition) => ({ partition, offset: offsets.get(partition)! }));
    }
  }

  /** Offsets by partition for a ListOffsets timestamp (-2 earliest, -1 latest). */
  async listOffsets(partitions: readonly number[], timestamp: bigint): Promise<Map<number, bigint>> {
    const out = new Map<number, bigint>();
    for (let attempt = 0; ; attempt++) {
      const byLeader = new Map<number, number[]>();
      for (const p of partitions) {
        if (out.has(p)) continue;
        const leader = await this.cluster.leaderFor(this.o.topic, p);
        const list = byLeader.get(leader) ?? [];
        list.push(p);
        byLeader.set(leader, list);
      }
      if (byLeader.size === 0) return out;
      if (attempt > 10) throw KafkaError.from(ErrorCode.UNKNOWN_SERVER_ERROR, `ListOffsets gave no offset for ${this.o.topic} partitions ${[...byLeader.values()].flat().join(',')}`);
      let retry: KafkaError | null = null;
      await Promise.all(
        [...byLeader].map(async ([leader, list]) => {
          const conn = await this.cluster.connection(leader);
          const res = await conn.send(ListOffsetsApi, {
            replicaId: -1,
            isolationLevel: this.o.isolationLevel,
            timeoutMs: this.o.requestTimeoutMs,
            topics: [{ name: this.o.topic, partitions: list.map((partitionIndex) => ({ partitionIndex, timestamp, maxNumOffsets: 1, currentLeaderEpoch: -1 })) }],
          });
          for (const t of res.topics) {
            for (const p of t.partitions) {
              if (p.errorCode === ErrorCode.NONE) {
                out.set(p.partitionIndex, p.oldStyleOffsets.length > 0 && p.offset < 0n ? p.oldStyleOffsets[0]! : p.offset);
                continue;
              }
              const err = KafkaError.from(p.errorCode, `ListOffsets ${this.o.topic}-${p.partitionIndex}`);
              if (!err.retriable || attempt >= 5) throw err;
              if (err.invalidMetadata) this.cluster.invalidate(this.o.topic);
              retry = err;
            }
          }
        }),
      );
      if (retry !== null) await sleep(100);
    }
  }

  /**
   * One fetch round across every leader: resolves with the records past each
   * partition's position, in partition order within each broker's response,
   * after advancing the positions.
   */
  async poll(): Promise<ConsumedRecord[]> {
    const byLeader = new Map<number, PartitionCursor[]>();
    for (const c of this.cursors) {
      let leader: number;
      try {
        leader = await this.cluster.leaderFor(this.o.topic, c.partition);
      } catch (err) {
        if (err instanceof KafkaError && err.retriable) {
          await sleep(100);
          continue;
        }
        throw err;
      }
      const list = byLeader.get(leader) ?? [];
      list.push(c);
      byLeader.set(leader, list);
    }
    const out: ConsumedRecord[] = [];
    await Promise.all([...byLeader].map(([leader, list]) => this.fetchFrom(leader, list, out)));
    return out;
  }

  private async fetchFrom(leader: number, cursors: PartitionCursor[], out: ConsumedRecord[]): Promise<void> {
    let res: FetchResponse;
    try {
      const conn = await this.cluster.connection(leader);
      res = await conn.send(
        FetchApi,
        {
          replicaId: -1,
          maxWaitMs: this.o.maxWaitMs,
          minBytes: this.o.minBytes,
          maxBytes: this.o.maxBytes,
          isolationLevel: this.o.isolationLevel,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic: this.o.topic,
              topicId: this.topicId,
              partitions: cursors.map((c) => ({ partition: c.partition, fetchOffset: c.offset, partitionMaxBytes: this.o.partitionMaxBytes, currentLeaderEpoch: -1, logStartOffset: -1n })),
            },
          ],
        },
        { timeoutMs: this.o.requestTimeoutMs + this.o.maxWaitMs, ...(this.topicId === ZERO_UUID ? { maxVersion: 12 } : {}) },
      );
    } catch (err) {
      if (err instanceof ConnectionError && err.retriable) {
        this.cluster.invalidate(this.o.topic);
        await sleep(100);
        return;
      }
      throw err;
    }
    if (res.errorCode !== ErrorCode.NONE) throw KafkaError.from(res.errorCode, `Fetch from node ${leader}`);
    for (const t of res.responses) {
      for (const p of t.partitions) {
        const cursor = cursors.find((c) => c.partition === p.partitionIndex);
        if (!cursor) continue;
        if (p.errorCode !== ErrorCode.NONE) {
          await this.partitionError(cursor, p.errorCode);
          continue;
        }
        if (p.records === null || p.records.length === 0) continue;
        // read_committed: Kafka's consumer-side filter. An aborted transaction's
        // batches are skipped from its first offset until that producer's ABORT marker.
        const aborted = this.o.isolationLevel === 1 && p.abortedTransactions !== null && p.abortedTransactions.length > 0
          ? [...p.abortedTransactions].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0))
          : null;
        const abortedProducers = new Set<bigint>();
        let nextAborted = 0;
        for (const batch of iterateRecordSet(p.records)) {
          const h = batch.header;
          const next = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
          if (aborted !== null) {
            while (nextAborted < aborted.length && aborted[nextAborted]!.firstOffset <= h.baseOffset + BigInt(h.lastOffsetDelta)) {
              abortedProducers.add(aborted[nextAborted++]!.producerId);
            }
          }
          if (isControl(h.attributes)) {
            const first = batch.records[0];
            if (aborted !== null && first && readControlRecordType(first.key) === ControlRecordType.ABORT) abortedProducers.delete(h.producerId);
          } else if (!(isTransactional(h.attributes) && abortedProducers.has(h.producerId))) {
            for (const record of batch.records) {
              if (record.offset >= cursor.offset) out.push({ partition: cursor.partition, record });
            }
          }
          if (next > cursor.offset) cursor.offset = next;
        }
      }
    }
  }

  private async partitionError(cursor: PartitionCursor, code: number): Promise<void> {
    if (code === ErrorCode.OFFSET_OUT_OF_RANGE && this.o.resetTo !== 'none') {
      const offsets = await this.listOffsets([cursor.partition], this.o.resetTo === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP);
      cursor.offset = offsets.get(cursor.partition)!;
      return;
    }
    const info = errorInfo(code);
    if (info.invalidMetadata) this.cluster.invalidate(this.o.topic);
    if (!info.retriable) throw KafkaError.from(code, `${this.o.topic}-${cursor.partition} at offset ${cursor.offset}`);
    await sleep(100);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface FormatterOptions {
  printTimestamp: boolean;
  printPartition: boolean;
  printOffset: boolean;
  printHeaders: boolean;
  printKey: boolean;
  printValue: boolean;
  keySeparator: string;
  lineSeparator: string;
  headersSeparator: string;
  headersKeySeparator: string;
  nullLiteral: string;
}

/** Kafka's DefaultMessageFormatter.writeTo, appending to `parts`. */
export function formatRecord(partition: number, r: DecodedRecord, o: FormatterOptions, parts: string[]): void {
  const sep = (more: boolean): void => {
    parts.push(more ? o.keySeparator : o.lineSeparator);
  };
  const text = (b: Buffer | null): string => (b === null ? o.nullLiteral : b.toString('utf8'));
  if (o.printTimestamp) {
    const logAppend = (r.batch.attributes & 0x08) !== 0;
    parts.push(`${logAppend ? 'LogAppendTime' : 'CreateTime'}:${r.timestamp}`);
    sep(o.printPartition || o.printOffset || o.printHeaders || o.printKey || o.printValue);
  }
  if (o.printPartition) {
    parts.push(`Partition:${partition}`);
    sep(o.printOffset || o.printHeaders || o.printKey || o.printValue);
  }
  if (o.printOffset) {
    parts.push(`Offset:${r.offset}`);
    sep(o.printHeaders || o.printKey || o.printValue);
  }
  if (o.printHeaders) {
    if (r.headers.length === 0) parts.push('NO_HEADERS');
    else parts.push(r.headers.map((h) => `${h.key}${o.headersKeySeparator}${text(h.value)}`).join(o.headersSeparator));
    sep(o.printKey || o.printValue);
  }
  if (o.printKey) {
    parts.push(text(r.key));
    sep(o.printValue);
  }
  if (o.printValue) {
    parts.push(text(r.value));
    parts.push(o.lineSeparator);
  }
}
