import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CLEAN_SHUTDOWN_FILE,
  LOG_START_OFFSET_CHECKPOINT,
  RECOVERY_POINT_CHECKPOINT,
  readOffsetCheckpointLenient,
  topicPartitionKey,
  writeOffsetCheckpoint,
} from './checkpoint-file.ts';
import type { Clock } from './clock.ts';
import { systemClock } from './clock.ts';
import { StorageError, StorageErrorCode } from './errors.ts';
import type { FileIO } from './file-io.ts';
import { nodeFileIO, writeFileAtomic } from './file-io.ts';
import { LogCleaner } from './log-cleaner.ts';
import type { LogConfig } from './log-config.ts';
import { DEFAULT_LOG_CONFIG, isCompacted, parseLogConfig } from './log-config.ts';
import { parseTopicPartitionDir, topicPartitionDirName } from './log-files.ts';
import { ensureMetaProperties } from './meta-properties.ts';
import { PartitionLog } from './partition-log.ts';

export interface LogManagerOptions {
  /** log.dirs: one or more directories (created if missing). */
  logDirs: readonly string[];
  /** Broker-level defaults (see logConfigFromBrokerConfig). */
  defaultConfig?: LogConfig;
  /** Topic-level overrides known at startup (the broker owns topic metadata). */
  topicConfigs?: (topic: string) => Readonly<Record<string, string>> | undefined;
  nodeId?: number;
  /** Written to meta.properties of new dirs, checked against existing ones. */
  clusterId?: string;
  clock?: Clock;
  io?: FileIO;
  retentionCheckIntervalMs?: number;
  /** How often flush.ms is checked (Kafka's log.flush.scheduler.interval.ms; Samsa checks at least every second when a topic sets flush.ms). */
  flushCheckIntervalMs?: number;
  recoveryPointCheckpointIntervalMs?: number;
  logStartOffsetCheckpointIntervalMs?: number;
  producerIdExpirationMs?: number;
  producerIdExpirationCheckIntervalMs?: number;
  cleanerEnabled?: boolean;
  cleanerBackoffMs?: number;
  /** Kafka's log.cleaner.dedupe.buffer.size: bounds the keys one cleaning pass holds. */
  cleanerDedupeBufferBytes?: number;
}

interface LoadedLog {
  log: PartitionLog;
  logDir: string;
}

/**
 * Owns the log dirs (Kafka's LogManager): discovers and opens every `topic-N` dir at
 * startup, creates and deletes partitions, runs retention, flush, checkpoint and
 * cleaner tasks, and writes `.kafka_cleanshutdown` on a clean shutdown.
 *
 * Files in each log dir: `meta.properties`, `recovery-point-offset-checkpoint`,
 * `log-start-offset-checkpoint`, `cleaner-offset-checkpoint`, `.kafka_cleanshutdown`
 * (only while stopped cleanly), and the partition dirs. A deleted partition's dir is
 * renamed `topic-N.<uuid>-delete` and removed in the background.
 */
export class LogManager {
  readonly logDirs: readonly string[];
  private readonly opts: LogManagerOptions;
  private readonly clock: Clock;
  private readonly io: FileIO;
  private defaultConfigValue: LogConfig;
  private readonly topicOverrides = new Map<string, Readonly<Record<string, string>>>();
  private readonly logs = new Map<string, LoadedLog>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly pendingDirDeletes = new Set<Promise<void>>();
  readonly cleaner: LogCleaner;
  private shutDown = false;

  private constructor(opts: LogManagerOptions) {
    this.opts = opts;
    this.logDirs = opts.logDirs.map((d) => path.resolve(d));
    this.clock = opts.clock ?? systemClock;
    this.io = opts.io ?? nodeFileIO;
    this.defaultConfigValue = opts.defaultConfig ?? { ...DEFAULT_LOG_CONFIG };
    this.cleaner = new LogCleaner({ clock: this.clock, io: this.io, dedupeBufferBytes: opts.cleanerDedupeBufferBytes });
  }

  /** Formats/checks each dir and opens every partition found. Does not start background tasks. */
  static open(opts: LogManagerOptions): LogManager {
    if (opts.logDirs.length === 0) throw new StorageError(StorageErrorCode.KAFKA_STORAGE_ERROR, 'log.dirs is empty');
    const m = new LogManager(opts);
    m.loadAll();
    return m;
  }

  private loadAll(): void {
    for (const dir of this.logDirs) {
      fs.mkdirSync(dir, { recursive: true });
      if (this.opts.clusterId !== undefined) ensureMetaProperties(dir, this.opts.nodeId ?? 1, this.opts.clusterId);
      const cleanMarker = path.join(dir, CLEAN_SHUTDOWN_FILE);
      const hadCleanShutdown = fs.existsSync(cleanMarker);
      const recoveryPoints = readOffsetCheckpointLenient(path.join(dir, RECOVERY_POINT_CHECKPOINT));
      const startOffsets = readOffsetCheckpointLenient(path.join(dir, LOG_START_OFFSET_CHECKPOINT));
      this.cleaner.loadCheckpoint(dir);
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const full = path.join(dir, entry.name);
        if (entry.name.endsWith('-delete')) {
          this.removeDirInBackground(full);
          continue;
        }
        const tp = parseTopicPartitionDir(entry.name);
        if (!tp) continue;
        const key = topicPartitionKey(tp.topic, tp.partition);
        if (this.logs.has(key)) {
          throw new StorageError(StorageErrorCode.KAFKA_STORAGE_ERROR, `Partition ${key} found in two log dirs: ${this.logs.get(key)!.logDir} and ${dir}`);
        }
        const log = PartitionLog.open({
          dir: full,
          topic: tp.topic,
          partition: tp.partition,
          config: this.configFor(tp.topic),
          clock: this.clock,
          io: this.io,
          recoveryPoint: recoveryPoints.get(key) ?? 0,
          logStartOffset: startOffsets.get(key) ?? 0,
          hadCleanShutdown,
          producerIdExpirationMs: this.opts.producerIdExpirationMs,
        });
        this.logs.set(key, { log, logDir: dir });
      }
      // The marker only vouches for the stop before this start.
      if (hadCleanShutdown) fs.rmSync(cleanMarker, { force: true });
    }
  }

  // ---- configs ----

  get defaultConfig(): LogConfig {
    return this.defaultConfigValue;
  }

  /** The effective config of a topic: its overrides on top of the broker defaults. */
  configFor(topic: string): LogConfig {
    const overrides = this.topicOverrides.get(topic) ?? this.opts.topicConfigs?.(topic);
    if (!overrides) return { ...this.defaultConfigValue };
    try {
      return parseLogConfig(overrides, this.defaultConfigValue);
    } catch {
      // A stored override that no longer parses must not keep the partition offline:
      // apply the valid ones, fall back to the defaults for the rest.
      const config = { ...this.defaultConfigValue };
      for (const [name, value] of Object.entries(overrides)) {
        try {
          Object.assign(config, parseLogConfig({ [name]: value }, config));
        } catch {
          // skipped
        }
      }
      return config;
    }
  }

  /** Sets a topic's overrides (CreateTopics, AlterConfigs) and applies them to its open logs. */
  updateTopicConfig(topic: string, overrides: Readonly<Record<string, string>>): LogConfig {
    const config = parseLogConfig(overrides, this.defaultConfigValue);
    this.topicOverrides.set(topic, { ...overrides });
    for (const { log } of this.logs.values()) if (log.topic === topic) log.updateConfig(config);
    return config;
  }

  /** Changes broker-level defaults (dynamic broker configs) for every log without overrides of its own. */
  updateDefaultConfig(config: LogConfig): void {
    this.defaultConfigValue = config;
    for (const { log } of this.logs.values()) log.updateConfig(this.configFor(log.topic));
  }

  // ---- partitions ----

  getLog(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(topicPartitionKey(topic, partition))?.log;
  }

  allLogs(): PartitionLog[] {
    return [...this.logs.values()].map((l) => l.log);
  }

  /** Log dir holding a partition. */
  logDirOf(topic: string, partition: number): string | undefined {
    return this.logs.get(topicPartitionKey(topic, partition))?.logDir;
  }

  /** Opens the partition's log, creating its dir in the log dir with the fewest partitions. */
  getOrCreateLog(topic: string, partition: number, overrides?: Readonly<Record<string, string>>): PartitionLog {
    if (this.shutDown) throw new StorageError(StorageErrorCode.KAFKA_STORAGE_ERROR, 'log manager is shut down');
    if (overrides) this.topicOverrides.set(topic, { ...overrides });
    const key = topicPartitionKey(topic, partition);
    const existing = this.logs.get(key);
    if (existing) {
      if (overrides) existing.log.updateConfig(this.configFor(topic));
      return existing.log;
    }
    const counts = new Map<string, number>(this.logDirs.map((d) => [d, 0]));
    for (const l of this.logs.values()) counts.set(l.logDir, (counts.get(l.logDir) ?? 0) + 1);
    let logDir = this.logDirs[0];
    for (const d of this.logDirs) if ((counts.get(d) ?? 0) < (counts.get(logDir) ?? 0)) logDir = d;
    const log = PartitionLog.open({
      dir: path.join(logDir, topicPartitionDirName(topic, partition)),
      topic,
      partition,
      config: this.configFor(topic),
      clock: this.clock,
      io: this.io,
      hadCleanShutdown: true,
      producerIdExpirationMs: this.opts.producerIdExpirationMs,
    });
    this.logs.set(key, { log, logDir });
    return log;
  }

  /**
   * Deletes a partition: closes its log, renames its dir to `topic-N.<uuid>-delete`
   * at once (so a new partition of the same name can be created), removes it in the
   * background. The returned promise settles when the files are gone.
   */
  deleteLog(topic: string, partition: number): Promise<void> {
    const key = topicPartitionKey(topic, partition);
    const entry = this.logs.get(key);
    if (!entry) return Promise.resolve();
    this.logs.delete(key);
    this.cleaner.forget(entry.log);
    entry.log.closeUnclean();
    const doomed = `${entry.log.dir}.${crypto.randomUUID().replaceAll('-', '')}-delete`;
    fs.renameSync(entry.log.dir, doomed);
    return this.removeDirInBackground(doomed);
  }

  private removeDirInBackground(dir: string): Promise<void> {
    const p = fs.promises.rm(dir, { recursive: true, force: true }).catch(() => {});
    this.pendingDirDeletes.add(p);
    void p.finally(() => this.pendingDirDeletes.delete(p));
    return p;
  }

  // ---- periodic tasks ----

  /** Starts background tasks (timers are unref'd and stop on shutdown). */
  startup(): void {
    const every = (ms: number, task: () => void): void => {
      if (!(ms > 0) || ms >= 2 ** 31) return;
      const t = setInterval(() => {
        try {
          task();
        } catch {
          // a failing task must not stop the others; the next tick retries
        }
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.opts.retentionCheckIntervalMs ?? 300_000, () => this.cleanupLogs());
    every(Math.min(this.opts.flushCheckIntervalMs ?? 1000, 1000), () => void this.flushDirtyLogs());
    every(this.opts.recoveryPointCheckpointIntervalMs ?? 60_000, () => this.checkpointRecoveryPoints());
    every(this.opts.logStartOffsetCheckpointIntervalMs ?? 60_000, () => this.checkpointLogStartOffsets());
    every(this.opts.producerIdExpirationCheckIntervalMs ?? 600_000, () => this.removeExpiredProducers());
    if (this.opts.cleanerEnabled ?? true) every(this.opts.cleanerBackoffMs ?? 15_000, () => this.runCleaner());
  }

  /** Retention (time, size, log start offset) for every log. Returns segments deleted. */
  cleanupLogs(): number {
    let n = 0;
    for (const { log } of this.logs.values()) {
      try {
        n += log.deleteOldSegments();
      } catch {
        // one log's disk failure must not stop retention elsewhere
      }
    }
    return n;
  }

  /** fsyncs logs whose flush.ms elapsed. */
  async flushDirtyLogs(): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const { log } of this.logs.values()) {
      const p = log.maybeFlushByTime();
      if (p) pending.push(p.catch(() => {}));
    }
    await Promise.all(pending);
  }

  removeExpiredProducers(): void {
    for (const { log } of this.logs.values()) log.removeExpiredProducers();
  }

  /** One cleaner pass over the compacted logs; returns the number of logs cleaned. */
  runCleaner(): number {
    const compacted = [...this.logs.values()].filter((l) => isCompacted(l.log.config));
    let cleaned = 0;
    for (const { log, logDir } of compacted) {
      try {
        if (this.cleaner.maybeClean(log, logDir)) cleaned++;
      } catch {
        // the cleaner skips a log that fails and retries later (Kafka marks it uncleanable)
      }
    }
    if (cleaned > 0) for (const dir of this.logDirs) this.cleaner.writeCheckpoint(dir, this.logsIn(dir));
    return cleaned;
  }

  private logsIn(dir: string): PartitionLog[] {
    return [...this.logs.values()].filter((l) => l.logDir === dir).map((l) => l.log);
  }

  checkpointRecoveryPoints(sync = true): void {
    for (const dir of this.logDirs) {
      writeOffsetCheckpoint(
        path.join(dir, RECOVERY_POINT_CHECKPOINT),
        this.logsIn(dir).map((l) => ({ topic: l.topic, partition: l.partition, offset: l.recoveryPoint })),
        sync,
      );
    }
  }

  checkpointLogStartOffsets(sync = true): void {
    for (const dir of this.logDirs) {
      writeOffsetCheckpoint(
        path.join(dir, LOG_START_OFFSET_CHECKPOINT),
        this.logsIn(dir)
          .filter((l) => l.logStartOffset > l.allSegments[0].baseOffset)
          .map((l) => ({ topic: l.topic, partition: l.partition, offset: l.logStartOffset })),
        sync,
      );
    }
  }

  /**
   * Clean shutdown: stop tasks, close every log (fsync, producer snapshots), write the
   * checkpoints, then `.kafka_cleanshutdown` in each dir so the next start skips recovery.
   */
  async shutdown(): Promise<void> {
    if (this.shutDown) return;
    this.shutDown = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    // Best effort, as Kafka's: every step runs even if an earlier one failed (a full
    // disk), and a failure only withholds the clean-shutdown marker, so the next
    // start recovers. The first error is rethrown at the end.
    const errors: unknown[] = [];
    const attempt = (step: () => void): void => {
      try {
        step();
      } catch (e) {
        errors.push(e);
      }
    };
    for (const { log } of this.logs.values()) attempt(() => log.close());
    attempt(() => this.checkpointRecoveryPoints());
    attempt(() => this.checkpointLogStartOffsets());
    for (const dir of this.logDirs) attempt(() => this.cleaner.writeCheckpoint(dir, this.logsIn(dir)));
    if (errors.length === 0) for (const dir of this.logDirs) attempt(() => writeFileAtomic(path.join(dir, CLEAN_SHUTDOWN_FILE), ''));
    await Promise.all(this.pendingDirDeletes);
    if (errors.length > 0) {
      const first = errors[0];
      throw new StorageError(
        StorageErrorCode.KAFKA_STORAGE_ERROR,
        `log manager shutdown: ${errors.length} step(s) failed, no clean-shutdown marker written (the next start recovers); first: ${first instanceof Error ? first.message : String(first)}`,
        { cause: first },
      );
    }
  }

  /** Stops without flushing or markers (tests simulating a crash). */
  closeUnclean(): void {
    this.shutDown = true;
    for (const t of this.timers) clearInterval(t);
    for (const { log } of this.logs.values()) log.closeUnclean();
  }
}
