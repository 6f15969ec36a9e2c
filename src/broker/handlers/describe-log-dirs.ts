// DescribeLogDirs (key 35), versions 0-4. v1 like v0; v2 flexible; v3 top-level
// error_code; v4 total_bytes and usable_bytes of each log dir's file system.
//
// topics null = every partition. Each log dir is listed (also when it holds none of
// the asked partitions) with the asked partitions it holds: size on disk, offset lag
// 0 (this node leads every partition, so it is never behind its high watermark),
// is_future_key false (no replica moves between dirs). Partitions that do not exist
// are left out, as Kafka does.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DescribeLogDirsApi } from '../../protocol/generated/apis/describe-log-dirs.ts';
import type { DescribeLogDirsResponseDescribeLogDirsResultInit } from '../../protocol/generated/describe-log-dirs-response.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { PartitionLog } from '../../storage/partition-log.ts';
import { defineHandler } from './api-handler.ts';

export const describeLogDirsHandler = defineHandler({
  api: DescribeLogDirsApi,
  handle(ctx, req) {
    const { broker, apiVersion: version } = ctx;
    let wanted: PartitionLog[];
    if (req.topics === null) {
      wanted = broker.logs.allLogs();
    } else {
      wanted = [];
      for (const t of req.topics) {
        for (const p of t.partitions) {
          const log = broker.logs.getLog(t.topic, p);
          if (log) wanted.push(log);
        }
      }
    }
    const results: DescribeLogDirsResponseDescribeLogDirsResultInit[] = broker.logs.logDirs.map((dir) => {
      const abs = path.resolve(dir);
      const byTopic = new Map<string, { partitionIndex: number; partitionSize: bigint; offsetLag: bigint; isFutureKey: boolean }[]>();
      for (const log of wanted) {
        const logDir = broker.logs.logDirOf(log.topic, log.partition);
        if (logDir === undefined || path.resolve(logDir) !== abs) continue;
        let list = byTopic.get(log.topic);
        if (!list) byTopic.set(log.topic, (list = []));
        list.push({ partitionIndex: log.partition, partitionSize: BigInt(log.isClosed ? 0 : log.sizeBytes), offsetLag: 0n, isFutureKey: false });
      }
      let totalBytes = -1n;
      let usableBytes = -1n;
      let errorCode: number = ErrorCode.NONE;
      try {
        const st = fs.statfsSync(abs, { bigint: true });
        totalBytes = st.blocks * st.bsize;
        usableBytes = st.bavail * st.bsize;
      } catch {
        errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
      }
      return {
        errorCode,
        logDir: abs,
        topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
        totalBytes: version >= 4 ? totalBytes : -1n,
        usableBytes: version >= 4 ? usableBytes : -1n,
      };
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results };
  },
});
