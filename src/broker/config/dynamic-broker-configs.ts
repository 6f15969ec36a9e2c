/**
 * Dynamic broker configs (KIP-226) set through AlterConfigs /
 * IncrementalAlterConfigs: cluster-wide defaults (resource name "") and values for
 * this broker (resource name = node id). Validated with Kafka's rules and
 * messages, applied to the BrokerConfig, pushed into the log defaults, and kept
 * across restarts.
 *
 * Kafka keeps them in the metadata log; Samsa keeps them in
 * `samsa-dynamic-configs.json` next to the topic metadata in the first log dir,
 * rewritten atomically (write, fsync, rename, fsync dir) on every change:
 * {"version":1,"cluster":{name:value},"brokers":{"<node id>":{name:value}}}.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { logConfigFromBrokerConfig } from '../../storage/log-config.ts';
import { writeFileAtomic } from '../../storage/file-io.ts';
import type { LogManager } from '../../storage/log-manager.ts';
import { BROKER_CONFIG_DEFS, BROKER_CONFIG_DEF_BY_NAME } from './broker-config-defs.ts';
import type { BrokerConfig } from './broker-config.ts';
import { parseConfigValue } from './config-def.ts';

export const DYNAMIC_CONFIGS_FILE = 'samsa-dynamic-configs.json';

interface DynamicConfigsFile {
  version: 1;
  cluster: Record<string, string>;
  brokers: Record<string, Record<string, string>>;
}

/** A refused dynamic broker config change: Kafka answers INVALID_REQUEST (KAFKA-13609). */
export class BrokerConfigChangeError extends Error {
  readonly code: number;
  constructor(message: string, code: number = ErrorCode.INVALID_REQUEST) {
    super(message);
    this.name = 'BrokerConfigChangeError';
    this.code = code;
  }
}

/** Java's Set.toString, sorted for a stable message: "[a, b]". */
function setString(names: string[]): string {
  return `[${[...names].sort().join(', ')}]`;
}

/** Broker-level log defaults (LogConfig) from the values currently in effect. */
export function brokerLogDefaults(config: BrokerConfig): ReturnType<typeof logConfigFromBrokerConfig> {
  const props: Record<string, string> = {};
  for (const def of BROKER_CONFIG_DEFS) {
    const raw = config.raw(def.name);
    if (raw !== null) props[def.name] = raw;
  }
  return logConfigFromBrokerConfig(props);
}

/** advertised.listeners must parse and name only listeners this broker has (Kafka's KafkaConfig check). */
function checkListeners(config: BrokerConfig): void {
  const names = new Set(config.listeners.map((l) => l.name));
  for (const l of config.advertisedListeners) {
    if (!names.has(l.name)) {
      throw new Error(
        `requirement failed: advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found ${l.name}. The valid options based on the current configuration are ${[...names].join(',')}`,
      );
    }
  }
}

export class DynamicBrokerConfigs {
  readonly path: string;
  private readonly config: BrokerConfig;
  private readonly logs: LogManager | undefined;
  private readonly nodeId: string;
  private file: DynamicConfigsFile;

  private constructor(path: string, config: BrokerConfig, logs: LogManager | undefined, file: DynamicConfigsFile) {
    this.path = path;
    this.config = config;
    this.logs = logs;
    this.nodeId = String(config.nodeId);
    this.file = file;
  }

  /**
   * Loads the stored dynamic configs of `dir` and applies them to `config` (and the
   * log defaults). A stored value that is no longer valid is skipped with a warning.
   */
  static open(dir: string, config: BrokerConfig, logs?: LogManager, log: (m: string) => void = () => {}): DynamicBrokerConfigs {
    const path = join(dir, DYNAMIC_CONFIGS_FILE);
    let file: DynamicConfigsFile = { version: 1, cluster: {}, brokers: {} };
    if (existsSync(path)) {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as DynamicConfigsFile;
      if (parsed.version !== 1) throw new Error(`${path}: unsupported dynamic config file version ${String(parsed.version)}`);
      file = { version: 1, cluster: { ...parsed.cluster }, brokers: { ...parsed.brokers } };
    }
    const store = new DynamicBrokerConfigs(path, config, logs, file);
    let applied = 0;
    for (const perBroker of [false, true]) {
      for (const [name, value] of Object.entries(store.current(perBroker))) {
        try {
          config.setDynamic(name, value, perBroker);
          applied++;
        } catch (err) {
          log(`Ignoring stored dynamic broker config ${name}=${value}: ${(err as Error).message}`);
        }
      }
    }
    if (applied > 0) store.applyToLogs();
    return store;
  }

  /** The stored dynamic set: this broker's (perBroker) or the cluster-wide defaults. */
  current(perBroker: boolean): Record<string, string> {
    return { ...(perBroker ? (this.file.brokers[this.nodeId] ?? {}) : this.file.cluster) };
  }

  /**
   * Validates `next` as the complete new dynamic set of the scope (Kafka's
   * DynamicBrokerConfig.validate: only dynamic configs, per-broker ones only with
   * a broker id, valid values, a usable log config), then, unless `validateOnly`,
   * applies and persists it. Throws BrokerConfigChangeError.
   */
  replace(perBroker: boolean, next: Readonly<Record<string, string>>, validateOnly: boolean): void {
    DynamicBrokerConfigs.validateNames(next, perBroker);
    const prev = this.current(perBroker);
    const touched = new Set([...Object.keys(prev), ...Object.keys(next)]);
    const undo = (): void => {
      for (const name of touched) this.config.setDynamic(name, prev[name] ?? null, perBroker);
    };
    let logDefaults: ReturnType<typeof brokerLogDefaults>;
    try {
      for (const name of touched) this.config.setDynamic(name, Object.hasOwn(next, name) ? next[name]! : null, perBroker);
      checkListeners(this.config);
      logDefaults = brokerLogDefaults(this.config);
    } catch (err) {
      undo();
      throw new BrokerConfigChangeError((err as Error).message);
    }
    if (validateOnly) {
      undo();
      return;
    }
    const file: DynamicConfigsFile = { version: 1, cluster: { ...this.file.cluster }, brokers: { ...this.file.brokers } };
    if (perBroker) file.brokers[this.nodeId] = { ...next };
    else file.cluster = { ...next };
    try {
      this.persist(file);
    } catch (err) {
      undo();
      throw new BrokerConfigChangeError(`Unable to store dynamic configs: ${(err as Error).message}`, ErrorCode.UNKNOWN_SERVER_ERROR);
    }
    this.file = file;
    this.logs?.updateDefaultConfig(logDefaults);
  }

  /** Name-level checks, in Kafka's order: read-only, unknown, values, per-broker-only at cluster level. */
  static validateNames(next: Readonly<Record<string, string>>, perBroker: boolean): void {
    const names = Object.keys(next);
    const readOnly = names.filter((n) => BROKER_CONFIG_DEF_BY_NAME.has(n) && !BROKER_CONFIG_DEF_BY_NAME.get(n)!.dynamic);
    if (readOnly.length > 0) throw new BrokerConfigChangeError(`Cannot update these configs dynamically: ${setString(readOnly)}`);
    const unknown = names.filter((n) => !BROKER_CONFIG_DEF_BY_NAME.has(n));
    if (unknown.length > 0) throw new BrokerConfigChangeError(`Unknown broker configs (Samsa does not support them): ${setString(unknown)}`);
    for (const name of names) {
      try {
        parseConfigValue(BROKER_CONFIG_DEF_BY_NAME.get(name)!, next[name]!);
      } catch (err) {
        throw new BrokerConfigChangeError((err as Error).message);
      }
    }
    if (!perBroker) {
      const onlyPerBroker = names.filter((n) => BROKER_CONFIG_DEF_BY_NAME.get(n)!.dynamic === 'per-broker');
      if (onlyPerBroker.length > 0) {
        throw new BrokerConfigChangeError(`Cannot update these configs at default cluster level, broker id must be specified: ${setString(onlyPerBroker)}`);
      }
    }
  }

  private applyToLogs(): void {
    try {
      this.logs?.updateDefaultConfig(brokerLogDefaults(this.config));
    } catch {
      // A stored combination the log config refuses: keep the startup defaults.
    }
  }

  private persist(file: DynamicConfigsFile): void {
    writeFileAtomic(this.path, JSON.stringify(file, null, 1));
  }
}
