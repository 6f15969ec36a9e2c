// IncrementalAlterConfigs (key 44), versions 0-1 (v1 flexible). Per config:
// SET (0), DELETE (1), APPEND (2) and SUBTRACT (3) — the last two for LIST
// configs only. TOPIC resources change topic overrides; BROKER resources change
// dynamic broker configs ("" = cluster-wide defaults, node id = this broker);
// BROKER_LOGGER is validated as Kafka does, and since Samsa has no
// runtime-adjustable loggers every logger name is INVALID_CONFIG "Logger X does
// not exist!". validate_only checks without changing anything.
import { IncrementalAlterConfigsApi } from '../../protocol/generated/apis/incremental-alter-configs.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { defineHandler } from './api-handler.ts';
import {
  OpType,
  ResourceError,
  ResourceType,
  alterBrokerConfigs,
  alterTopicConfigs,
  checkCurrentNodeId,
  checkOps,
  duplicateResources,
  resourceOutcome,
} from './config-resources.ts';
import type { ConfigOp } from './config-resources.ts';

/** Kafka's RuntimeLoggerManager.validateLogLevelConfigs, with no loggers to change. */
function checkLoggerOps(ops: readonly ConfigOp[]): void {
  for (const o of ops) {
    switch (o.op) {
      case OpType.SET:
      case OpType.DELETE:
        throw new ResourceError(ErrorCode.INVALID_CONFIG, `Logger ${o.name} does not exist!`);
      case OpType.APPEND:
        throw new ResourceError(ErrorCode.INVALID_REQUEST, 'APPEND operation is not allowed for the BROKER_LOGGER resource');
      case OpType.SUBTRACT:
        throw new ResourceError(ErrorCode.INVALID_REQUEST, 'SUBTRACT operation is not allowed for the BROKER_LOGGER resource');
    }
  }
}

export const incrementalAlterConfigsHandler = defineHandler({
  api: IncrementalAlterConfigsApi,
  handle(ctx, req) {
    const { broker } = ctx;
    const duplicates = duplicateResources(req.resources);
    const responses = req.resources.map((resource, i) => {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      if (duplicates.has(i)) return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Each resource must appear at most once.' };
      const outcome = resourceOutcome(broker, `IncrementalAlterConfigs ${resource.resourceType}/${resource.resourceName}`, () => {
        const ops: ConfigOp[] = resource.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value }));
        checkOps(ops);
        switch (resource.resourceType) {
          case ResourceType.BROKER_LOGGER:
            checkCurrentNodeId(broker, resource.resourceName);
            checkLoggerOps(ops);
            break;
          case ResourceType.TOPIC:
            alterTopicConfigs(broker, resource.resourceName, { ops }, req.validateOnly);
            break;
          case ResourceType.BROKER:
            alterBrokerConfigs(broker, resource.resourceName, { ops }, req.validateOnly);
            break;
          default:
            throw new ResourceError(ErrorCode.INVALID_REQUEST, `Unknown resource type ${resource.resourceType}`);
        }
      });
      return { ...base, ...outcome };
    });
    return { throttleTimeMs: 0, responses };
  },
});
