import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildRecordBatch } from '../../src/protocol/records/batch-builder.ts';
import { decodeRecordBatch } from '../../src/protocol/records/batch-decoder.ts';
import { ManualClock } from '../../src/storage/clock.ts';
import type { LogConfig } from '../../src/storage/log-config.ts';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.ts';
import type { PartitionLogOptions } from '../../src/storage/partition-log.ts';
import { PartitionLog } from '../../src/storage/partition-log.ts';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-storage-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface BatchSpec {
  count?: number;
  /** Records as [key, value]; value null = tombstone. */
  records?: [string | null, string | null][];
  timestamp?: number;
  /** Per-record timestamp deltas. */
  timestampDeltas?: number[];
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  valueSize?: number;
  compression?: 0 | 1 | 2 | 3 | 4;
}

export function batch(spec: BatchSpec = {}): Buffer {
  const recs = spec.records ?? Array.from({ length: spec.count ?? 1 }, (_, i) => [null, 'v'.repeat(spec.valueSize ?? 10) + i] as [string | null, string | null]);
  return buildRecordBatch(
    recs.map(([k, v], i) => ({
      key: k === null ? null : Buffer.from(k),
      value: v === null ? null : Buffer.from(v),
      timestampDelta: spec.timestampDeltas?.[i] ?? 0,
    })),
    {
      baseTimestamp: spec.timestamp ?? 1_700_000_000_000,
      producerId: spec.producerId !== undefined ? BigInt(spec.producerId) : undefined,
      producerEpoch: spec.producerEpoch,
      baseSequence: spec.baseSequence,
      compression: spec.compression,
    },
  );
}

export function config(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, 'file.delete.delay.ms': 0, ...overrides };
}

export function openLog(dir: string, overrides: Partial<LogConfig> = {}, extra: Partial<PartitionLogOptions> = {}): PartitionLog {
  return PartitionLog.open({ dir: path.join(dir, 'topic-0'), topic: 'topic', partition: 0, config: config(overrides), clock: new ManualClock(), ...extra });
}

/** Decodes everything a read returned: [offset, key, value] per record. */
export function readAll(log: PartitionLog, from: number, maxBytes = 1 << 30, maxOffset?: number): { offset: number; key: string | null; value: string | null; timestamp: number }[] {
  const r = log.read(from, maxBytes, { maxOffset });
  const bytes = PartitionLog.readSlices(r.slices);
  const out: { offset: number; key: string | null; value: string | null; timestamp: number }[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const b = decodeRecordBatch(bytes, pos);
    for (const rec of b.records) {
      out.push({ offset: Number(rec.offset), key: rec.key?.toString() ?? null, value: rec.value?.toString() ?? null, timestamp: rec.timestampMs });
    }
    pos += b.sizeInBytes;
  }
  return out;
}
