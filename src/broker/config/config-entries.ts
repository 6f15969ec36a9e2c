/**
 * Config entries as DescribeConfigs (and CreateTopics v5+) report them: value as
 * Kafka formats it, source, synonyms, read-only, sensitivity, type and
 * documentation — for a topic (its overrides over the broker's values over the
 * topic defaults) and for the broker (Kafka's ConfigHelper rules).
 */
import { BROKER_CONFIG_DEFS, BROKER_CONFIG_DEF_BY_NAME } from './broker-config-defs.ts';
import { ConfigSource } from './broker-config.ts';
import type { BrokerConfig } from './broker-config.ts';
import { CONFIG_TYPE_CODE } from './config-def.ts';
import type { ConfigDef, ConfigType } from './config-def.ts';
import { TOPIC_CONFIG_DEFS, TOPIC_CONFIG_SYNONYMS, brokerConfigSynonyms } from './topic-config-defs.ts';

export interface ConfigSynonymEntry {
  name: string;
  value: string | null;
  source: number;
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  source: number;
  readOnly: boolean;
  isSensitive: boolean;
  /** Every place the value could come from, the one in effect first. */
  synonyms: ConfigSynonymEntry[];
  /** Kafka's DescribeConfigs config_type code. */
  configType: number;
  documentation: string;
}

/** Java's Double.toString for the values configs hold. */
export function javaDouble(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(n);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(n);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exp] = n.toExponential().split('e');
  return `${mantissa!.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exp)}`;
}

/** A value as Kafka prints it after parsing (ConfigDef.convertToString): trimmed, normalized numbers and lists. */
export function formatConfigValue(type: ConfigType, raw: string | null): string | null {
  if (raw === null) return null;
  const s = raw.trim();
  switch (type) {
    case 'boolean':
      return s.toLowerCase();
    case 'int':
    case 'short':
    case 'long':
      try {
        return BigInt(s).toString();
      } catch {
        return s;
      }
    case 'double': {
      const n = Number(s);
      return s === '' || Number.isNaN(n) ? s : javaDouble(n);
    }
    case 'list':
      return s === '' ? '' : s.split(',').map((x) => x.trim()).join(',');
    default:
      return s;
  }
}

function isSensitive(def: ConfigDef | undefined): boolean {
  return def === undefined || def.type === 'password' || def.sensitive === true;
}

/** The layers a broker config value can come from, most specific first. */
function brokerLayers(config: BrokerConfig): [ReadonlyMap<string, string>, number][] {
  const defaults = new Map<string, string>();
  for (const def of BROKER_CONFIG_DEFS) if (def.default !== null) defaults.set(def.name, def.default);
  return [
    [config.dynamicBrokerConfigs(), ConfigSource.DYNAMIC_BROKER_CONFIG],
    [config.dynamicDefaultConfigs(), ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
    [config.staticConfigs(), ConfigSource.STATIC_BROKER_CONFIG],
    [defaults, ConfigSource.DEFAULT_CONFIG],
  ];
}

/** Kafka's ConfigHelper.configSynonyms: source-major, then synonym order. */
function synonymsOf(config: BrokerConfig, names: readonly string[], sensitive: boolean): ConfigSynonymEntry[] {
  const out: ConfigSynonymEntry[] = [];
  for (const [layer, source] of brokerLayers(config)) {
    for (const name of names) {
      const v = layer.get(name);
      if (v !== undefined) out.push({ name, value: sensitive ? null : v, source });
    }
  }
  return out;
}

/**
 * The effective value of a topic config from the broker (first synonym set in
 * any layer, converted to the topic's unit), or null when no broker config sets it.
 */
export function brokerValueForTopicConfig(config: BrokerConfig, topicConfig: string): string | null {
  const synonyms = TOPIC_CONFIG_SYNONYMS[topicConfig] ?? [];
  for (const [layer] of brokerLayers(config)) {
    for (const syn of synonyms) {
      const v = layer.get(syn.name);
      if (v === undefined) continue;
      if (!syn.factor) return v;
      try {
        const ms = BigInt(v.trim()) * syn.factor;
        // Kafka: a negative log.retention.{hours,minutes} means no limit (-1).
        return String(topicConfig === 'retention.ms' && ms < 0n ? -1n : ms);
      } catch {
        return v;
      }
    }
  }
  return null;
}

/**
 * Every topic config with its effective value, sorted by name: the topic's
 * override (TOPIC_CONFIG), else the broker config that supplies it (per-broker
 * dynamic, cluster-wide dynamic, static, broker default), else the topic default.
 * Synonyms list all of them in that order (unlike Kafka, whose DescribeConfigs
 * drops retention.ms's hours/minutes synonyms; its CreateTopics path keeps them).
 */
export function topicConfigEntries(config: BrokerConfig, overrides: Readonly<Record<string, string>>): ConfigEntry[] {
  const out: ConfigEntry[] = [];
  for (const def of TOPIC_CONFIG_DEFS) {
    const brokerSyns = synonymsOf(config, (TOPIC_CONFIG_SYNONYMS[def.name] ?? []).map((s) => s.name), false);
    const override = Object.hasOwn(overrides, def.name) ? overrides[def.name]! : undefined;
    const value = formatConfigValue(def.type, override ?? brokerValueForTopicConfig(config, def.name) ?? def.default);
    const synonyms = override !== undefined ? [{ name: def.name, value, source: ConfigSource.TOPIC_CONFIG }, ...brokerSyns] : brokerSyns;
    out.push({
      name: def.name,
      value,
      source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      readOnly: false,
      isSensitive: false,
      synonyms,
      configType: CONFIG_TYPE_CODE[def.type],
      documentation: def.doc,
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function brokerEntry(config: BrokerConfig, def: ConfigDef, value: string | null, perBroker: boolean): ConfigEntry {
  const sensitive = isSensitive(def);
  let synonyms = synonymsOf(config, brokerConfigSynonyms(def.name), sensitive);
  const own = synonyms.findIndex((s) => s.name === def.name);
  synonyms = own < 0 ? [] : synonyms.slice(own);
  if (!perBroker) synonyms = synonyms.filter((s) => s.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
  return {
    name: def.name,
    value: sensitive ? null : value,
    source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
    readOnly: !def.dynamic,
    isSensitive: sensitive,
    synonyms,
    configType: CONFIG_TYPE_CODE[def.type],
    documentation: def.doc,
  };
}

/** Every broker config with the value in effect on this broker (resource name = node id). */
export function brokerConfigEntries(config: BrokerConfig): ConfigEntry[] {
  return BROKER_CONFIG_DEFS.map((def) => brokerEntry(config, def, formatConfigValue(def.type, config.raw(def.name)), true));
}

/** The dynamic cluster-wide defaults that are set (resource name ""), values as stored. */
export function clusterDefaultConfigEntries(config: BrokerConfig): ConfigEntry[] {
  const out: ConfigEntry[] = [];
  for (const [name, value] of config.dynamicDefaultConfigs()) {
    const def = BROKER_CONFIG_DEF_BY_NAME.get(name);
    if (def) out.push(brokerEntry(config, def, value, false));
  }
  return out;
}
