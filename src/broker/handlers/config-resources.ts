/**
 * Shared by DescribeConfigs, AlterConfigs and IncrementalAlterConfigs: config
 * resource types, Kafka's resource-name checks, and the alter path for TOPIC and
 * BROKER resources (validate the complete new set, then apply unless
 * validate_only), with the error codes and messages of Kafka's KRaft broker
 * (ConfigAdminManager) and controller (ConfigurationControlManager).
 */
import { ErrorCode } from '../../protocol/errors/index.ts';
import { BROKER_CONFIG_DEF_BY_NAME } from '../config/broker-config-defs.ts';
import { BrokerConfigChangeError } from '../config/dynamic-broker-configs.ts';
import { TOPIC_CONFIG_DEF_BY_NAME } from '../config/topic-config-defs.ts';
import { topicNameProblem } from '../metadata/topic-names.ts';
import { TopicError, TopicManager } from '../topic-manager.ts';
import type { BrokerContext } from '../broker-context.ts';

export const ResourceType = { UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16, GROUP: 32 } as const;

/** Incremental operations (AlterConfigOp.OpType). */
export const OpType = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;
const OP_NAMES = ['SET', 'DELETE', 'APPEND', 'SUBTRACT'];

export function resourceTypeName(type: number): string {
  return Object.entries(ResourceType).find(([, id]) => id === type)?.[0] ?? 'UNKNOWN';
}

/** A refused resource: the error code and message (null = none) Kafka answers with. */
export class ResourceError extends Error {
  readonly code: number;
  readonly errorMessage: string | null;
  constructor(code: number, message: string | null) {
    super(message ?? '');
    this.name = 'ResourceError';
    this.code = code;
    this.errorMessage = message;
  }
}

function parseInt32(s: string): number | null {
  if (!/^[+-]?\d+$/.test(s)) return null;
  const n = Number(s);
  return n >= -2147483648 && n <= 2147483647 ? n : null;
}

/** DescribeConfigs: Kafka's ConfigHelper.resourceNameToBrokerId. */
export function brokerIdOf(resourceName: string): number {
  const id = parseInt32(resourceName);
  if (id === null) throw new ResourceError(ErrorCode.INVALID_REQUEST, `Broker id must be an integer, but it is: ${resourceName}`);
  return id;
}

/** Alter paths: Kafka's ConfigAdminManager.validateResourceNameIsCurrentNodeId. */
export function checkCurrentNodeId(broker: BrokerContext, resourceName: string): void {
  const id = parseInt32(resourceName);
  if (id === null) throw new ResourceError(ErrorCode.INVALID_REQUEST, `Node id must be an integer, but it is: ${resourceName}`);
  if (id !== broker.nodeId) {
    throw new ResourceError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${broker.nodeId}, but received ${resourceName}`);
  }
}

export interface ConfigOp {
  name: string;
  op: number;
  value: string | null;
}

/** The checks every alter request makes first: no key twice, no null value to set. */
export function checkOps(ops: readonly ConfigOp[]): void {
  const names = new Set<string>();
  for (const o of ops) {
    if (names.has(o.name)) throw new ResourceError(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys');
    names.add(o.name);
  }
  const nulls = ops.filter((o) => o.op !== OpType.DELETE && o.value === null).map((o) => o.name);
  if (nulls.length > 0) throw new ResourceError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${nulls.join(', ')}`);
  for (const o of ops) {
    if (!(o.op >= 0 && o.op <= 3)) throw new ResourceError(ErrorCode.INVALID_REQUEST, `Unknown operations type ${o.op}`);
  }
}

/** Kafka marks duplicate resources (same type and name) INVALID_REQUEST, every copy. */
export function duplicateResources(resources: readonly { resourceType: number; resourceName: string }[]): Set<number> {
  const first = new Map<string, number>();
  const dup = new Set<number>();
  resources.forEach((r, i) => {
    const key = `${r.resourceType}\u0000${r.resourceName}`;
    const prev = first.get(key);
    if (prev === undefined) first.set(key, i);
    else {
      dup.add(prev);
      dup.add(i);
    }
  });
  return dup;
}

function splitParts(value: string | null): string[] {
  return value === null ? [] : value.split(',').filter((p) => p !== '');
}

/** Applies incremental ops to a topic's overrides (Kafka's ConfigurationControlManager). */
function applyTopicOps(current: Readonly<Record<string, string>>, ops: readonly ConfigOp[]): Record<string, string> {
  const next: Record<string, string> = { ...current };
  for (const o of ops) {
    switch (o.op) {
      case OpType.SET:
        next[o.name] = o.value!;
        break;
      case OpType.DELETE:
        delete next[o.name];
        break;
      default: {
        const def = TOPIC_CONFIG_DEF_BY_NAME.get(o.name);
        if (!def || def.type !== 'list') {
          throw new ResourceError(ErrorCode.INVALID_CONFIG, `Can't ${OP_NAMES[o.op]} to key ${o.name} because its type is not LIST.`);
        }
        const parts = splitParts(Object.hasOwn(next, o.name) ? next[o.name]! : def.default);
        for (const v of o.value!.split(',')) {
          if (o.op === OpType.APPEND) {
            if (!parts.includes(v)) parts.push(v);
          } else {
            const i = parts.indexOf(v);
            if (i >= 0) parts.splice(i, 1);
          }
        }
        next[o.name] = parts.join(',');
      }
    }
  }
  return next;
}

/** Applies incremental ops to a dynamic broker config set (Kafka's prepareIncrementalConfigs). */
function applyBrokerOps(current: Readonly<Record<string, string>>, ops: readonly ConfigOp[]): Record<string, string> {
  const next: Record<string, string> = { ...current };
  for (const o of ops) {
    switch (o.op) {
      case OpType.SET:
        next[o.name] = o.value!;
        break;
      case OpType.DELETE:
        delete next[o.name];
        break;
      default: {
        const def = BROKER_CONFIG_DEF_BY_NAME.get(o.name);
        if (!def) throw new ResourceError(ErrorCode.INVALID_CONFIG, `Unknown config name: ${o.name}`);
        const verb = o.op === OpType.APPEND ? 'append' : 'subtract';
        if (def.type !== 'list') throw new ResourceError(ErrorCode.INVALID_CONFIG, `Config value ${verb} is not allowed for config key: ${o.name}`);
        const old = splitParts(Object.hasOwn(next, o.name) ? next[o.name]! : def.default);
        const given = o.value!.split(',');
        next[o.name] = (o.op === OpType.APPEND ? [...old, ...given.filter((v) => !old.includes(v))] : old.filter((v) => !given.includes(v))).join(',');
      }
    }
  }
  return next;
}

/**
 * Alters a TOPIC resource: the new override set is `replace` (AlterConfigs) or
 * the current overrides with `ops` applied (IncrementalAlterConfigs). Order as
 * Kafka's controller: name, new set, validation (INVALID_CONFIG), existence.
 */
export function alterTopicConfigs(
  broker: BrokerContext,
  name: string,
  change: { replace: Record<string, string> } | { ops: readonly ConfigOp[] },
  validateOnly: boolean,
): void {
  if (name === '') throw new ResourceError(ErrorCode.INVALID_REQUEST, 'Default topic resources are not allowed.');
  const problem = topicNameProblem(name);
  if (problem) throw new ResourceError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
  const topic = broker.topics.get(name);
  const next = 'replace' in change ? change.replace : applyTopicOps(topic?.configs ?? {}, change.ops);
  try {
    TopicManager.validateConfigs(next, broker.config);
    if (!topic) throw new ResourceError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
    broker.topics.setConfigs(name, next, validateOnly);
  } catch (err) {
    if (err instanceof TopicError) throw new ResourceError(err.code, err.message);
    throw err;
  }
}

/**
 * Alters a BROKER resource: "" = the dynamic cluster-wide defaults, the node id =
 * this broker's dynamic values. Kafka answers INVALID_REQUEST for every refused
 * change (KAFKA-13609).
 */
export function alterBrokerConfigs(
  broker: BrokerContext,
  name: string,
  change: { replace: Record<string, string> } | { ops: readonly ConfigOp[] },
  validateOnly: boolean,
): void {
  const perBroker = name !== '';
  if (perBroker) checkCurrentNodeId(broker, name);
  const store = broker.topics.dynamicConfigs;
  const next = 'replace' in change ? change.replace : applyBrokerOps(store.current(perBroker), change.ops);
  try {
    store.replace(perBroker, next, validateOnly);
  } catch (err) {
    if (err instanceof BrokerConfigChangeError) throw new ResourceError(err.code, err.message);
    throw err;
  }
  broker.log(`${validateOnly ? 'Validated' : 'Updated'} dynamic broker configs (${perBroker ? `broker ${name}` : 'cluster default'}): ${Object.keys(next).sort().join(', ') || '(none)'}`);
}

/** Runs `fn` for a resource and turns its outcome into an (error code, message) pair. */
export function resourceOutcome(broker: BrokerContext, what: string, fn: () => void): { errorCode: number; errorMessage: string | null } {
  try {
    fn();
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  } catch (err) {
    if (err instanceof ResourceError) return { errorCode: err.code, errorMessage: err.errorMessage };
    broker.log(`${what} failed: ${(err as Error).stack ?? String(err)}`);
    return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null };
  }
}
