// AlterConfigs (key 33), versions 0-2 (v1 quota semantics, v2 flexible). The
// legacy API: each resource's config set REPLACES all its current overrides
// (topic) or dynamic values (broker; "" = cluster-wide defaults, node id = this
// broker). TOPIC and BROKER only; anything else (BROKER_LOGGER included) is
// INVALID_REQUEST "Unknown resource type N", as in Kafka's ConfigAdminManager.
// validate_only checks without changing anything.
import { AlterConfigsApi } from '../../protocol/generated/apis/alter-configs.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { defineHandler } from './api-handler.ts';
import {
  OpType,
  ResourceError,
  ResourceType,
  alterBrokerConfigs,
  alterTopicConfigs,
  checkOps,
  duplicateResources,
  resourceOutcome,
} from './config-resources.ts';

export const alterConfigsHandler = defineHandler({
  api: AlterConfigsApi,
  handle(ctx, req) {
    const { broker } = ctx;
    const duplicates = duplicateResources(req.resources);
    const responses = req.resources.map((resource, i) => {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      if (duplicates.has(i)) return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Each resource must appear at most once.' };
      const outcome = resourceOutcome(broker, `AlterConfigs ${resource.resourceType}/${resource.resourceName}`, () => {
        checkOps(resource.configs.map((c) => ({ name: c.name, op: OpType.SET, value: c.value })));
        const replace: Record<string, string> = {};
        for (const c of resource.configs) replace[c.name] = c.value!;
        switch (resource.resourceType) {
          case ResourceType.TOPIC:
            alterTopicConfigs(broker, resource.resourceName, { replace }, req.validateOnly);
            break;
          case ResourceType.BROKER:
            alterBrokerConfigs(broker, resource.resourceName, { replace }, req.validateOnly);
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
