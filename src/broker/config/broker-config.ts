import { readFileSync } from 'node:fs';
import { ConfigException, parseConfigValue } from './config-def.ts';
import type { ConfigDef, ConfigValue } from './config-def.ts';
import { BROKER_CONFIG_DEFS, BROKER_CONFIG_DEF_BY_NAME } from './broker-config-defs.ts';
import { parseProperties } from './properties.ts';

export interface Listener {
  name: string;
  host: string;
  port: number;
  securityProtocol: string;
}

/** Where a value came from, as DescribeConfigs reports it (Kafka's ConfigSource). */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

/**
 * The broker's configuration: static values from server.properties and
 * --override, dynamic values set through the admin API, and Kafka's defaults
 * underneath. Unknown names are kept (Kafka warns and ignores them).
 */
export class BrokerConfig {
  private readonly staticRaw = new Map<string, string>();
  /** Dynamic cluster-wide defaults (DescribeConfigs resource name ""). */
  private readonly dynamicRaw = new Map<string, string>();
  /** Dynamic values for this broker only (resource name = node id); they win over the cluster-wide ones. */
  private readonly perBrokerRaw = new Map<string, string>();
  private readonly values = new Map<string, ConfigValue>();
  readonly unknown: string[] = [];

  constructor(props: Map<string, string> | Record<string, string | number | boolean> = new Map()) {
    const entries = props instanceof Map ? [...props] : Object.entries(props).map(([k, v]) => [k, String(v)] as const);
    for (const [k, v] of entries) {
      if (!BROKER_CONFIG_DEF_BY_NAME.has(k)) this.unknown.push(k);
      this.staticRaw.set(k, v);
    }
    for (const def of BROKER_CONFIG_DEFS) this.values.set(def.name, parseConfigValue(def, this.raw(def.name)));
    this.validate();
  }

  static fromFile(path: string | undefined, overrides: Map<string, string>): BrokerConfig {
    const props = path ? parseProperties(readFileSync(path, 'utf8')) : new Map<string, string>();
    for (const [k, v] of overrides) props.set(k, v);
    return new BrokerConfig(props);
  }

  /** The raw string in effect for `name` (per-broker dynamic, cluster-wide dynamic, static, default). */
  raw(name: string): string | null {
    return this.perBrokerRaw.get(name) ?? this.dynamicRaw.get(name) ?? this.staticRaw.get(name) ?? BROKER_CONFIG_DEF_BY_NAME.get(name)?.default ?? null;
  }

  source(name: string): number {
    if (this.perBrokerRaw.has(name)) return ConfigSource.DYNAMIC_BROKER_CONFIG;
    if (this.dynamicRaw.has(name)) return ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG;
    if (this.staticRaw.has(name)) return ConfigSource.STATIC_BROKER_CONFIG;
    return ConfigSource.DEFAULT_CONFIG;
  }

  isStatic(name: string): boolean {
    return this.staticRaw.has(name);
  }

  get(name: string): ConfigValue {
    if (!this.values.has(name)) throw new ConfigException(name, '', 'Unknown configuration');
    return this.values.get(name)!;
  }

  int(name: string): number {
    return this.get(name) as number;
  }

  bool(name: string): boolean {
    return this.get(name) as boolean;
  }

  str(name: string): string | null {
    return this.get(name) as string | null;
  }

  list(name: string): string[] {
    return (this.get(name) as string[] | null) ?? [];
  }

  /** Values set in server.properties / --override (including names Samsa does not know). */
  staticConfigs(): ReadonlyMap<string, string> {
    return this.staticRaw;
  }

  /** Dynamic cluster-wide defaults currently set. */
  dynamicDefaultConfigs(): ReadonlyMap<string, string> {
    return this.dynamicRaw;
  }

  /** Dynamic values currently set for this broker alone. */
  dynamicBrokerConfigs(): ReadonlyMap<string, string> {
    return this.perBrokerRaw;
  }

  /**
   * Sets (value) or deletes (null) a dynamic value, validating it first: a
   * cluster-wide default, or (`perBroker`) a value for this broker alone, which
   * wins over the cluster-wide one. Read-only configs are refused as Kafka
   * refuses them.
   */
  setDynamic(name: string, value: string | null, perBroker = false): void {
    const def = BROKER_CONFIG_DEF_BY_NAME.get(name);
    if (!def) throw new ConfigException(name, value ?? '', 'Unknown broker configuration');
    if (!def.dynamic) throw new ConfigException(name, value ?? '', 'Cannot update this configuration dynamically (read-only)');
    if (value !== null) parseConfigValue(def, value);
    const layer = perBroker ? this.perBrokerRaw : this.dynamicRaw;
    const before = layer.get(name);
    if (value === null) layer.delete(name);
    else layer.set(name, value);
    try {
      this.values.set(name, parseConfigValue(def, this.raw(name)));
    } catch (err) {
      if (before === undefined) layer.delete(name);
      else layer.set(name, before);
      throw err;
    }
  }

  /** Validates a value without applying it. */
  static check(name: string, value: string): ConfigDef {
    const def = BROKER_CONFIG_DEF_BY_NAME.get(name);
    if (!def) throw new ConfigException(name, value, 'Unknown broker configuration');
    parseConfigValue(def, value);
    return def;
  }

  get nodeId(): number {
    const id = this.int('node.id');
    const legacy = this.int('broker.id');
    return this.isStatic('node.id') || legacy < 0 ? id : legacy;
  }

  get logDirs(): string[] {
    const dirs = this.list('log.dirs');
    return dirs.length > 0 ? dirs : [this.str('log.dir')!];
  }

  /** log.retention.ms, else minutes, else hours; -1 = unlimited (Kafka's rule). */
  get logRetentionMs(): number {
    const ms = this.get('log.retention.ms') as number | null;
    if (ms !== null) return ms < 0 ? -1 : ms;
    const minutes = this.get('log.retention.minutes') as number | null;
    if (minutes !== null) return minutes < 0 ? -1 : minutes * 60_000;
    const hours = this.int('log.retention.hours');
    return hours < 0 ? -1 : hours * 3_600_000;
  }

  get logRollMs(): number {
    const ms = this.get('log.roll.ms') as number | null;
    return ms ?? this.int('log.roll.hours') * 3_600_000;
  }

  get logRollJitterMs(): number {
    const ms = this.get('log.roll.jitter.ms') as number | null;
    return ms ?? this.int('log.roll.jitter.hours') * 3_600_000;
  }

  get logFlushIntervalMs(): number {
    const ms = this.get('log.flush.interval.ms') as number | null;
    return ms ?? this.int('log.flush.scheduler.interval.ms');
  }

  get listeners(): Listener[] {
    return parseListeners('listeners', this.list('listeners'), this.securityProtocolMap);
  }

  get advertisedListeners(): Listener[] {
    const adv = this.list('advertised.listeners');
    return adv.length > 0 ? parseListeners('advertised.listeners', adv, this.securityProtocolMap) : this.listeners;
  }

  get securityProtocolMap(): Map<string, string> {
    const map = new Map<string, string>();
    for (const pair of (this.str('listener.security.protocol.map') ?? '').split(',')) {
      const [name, proto] = pair.split(':').map((s) => s.trim());
      if (name && proto) map.set(name.toUpperCase(), proto.toUpperCase());
    }
    return map;
  }

  private validate(): void {
    this.listeners; // parses and throws on malformed URIs
    const roles = this.list('process.roles');
    if (roles.length === 0) throw new ConfigException('process.roles', '', 'at least one role is required');
  }
}

export function parseListeners(configName: string, uris: string[], protocolMap: Map<string, string>): Listener[] {
  const out: Listener[] = [];
  for (const uri of uris) {
    const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(uri);
    if (!m) throw new ConfigException(configName, uri, 'Unable to parse listener: expected NAME://host:port');
    const name = m[1]!.toUpperCase();
    const port = Number(m[3]);
    if (port > 65535) throw new ConfigException(configName, uri, `port ${port} out of range`);
    const securityProtocol = protocolMap.get(name) ?? name;
    if (out.some((l) => l.name === name)) throw new ConfigException(configName, uri, `Each listener must have a different name; ${name} repeats`);
    out.push({ name, host: m[2]!.replace(/^\[|\]$/g, ''), port, securityProtocol });
  }
  return out;
}
