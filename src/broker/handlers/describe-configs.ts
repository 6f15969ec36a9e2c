// DescribeConfigs (key 32), versions 0-4. v0 reports is_default; v1 adds
// include_synonyms and config_source (synonyms: topic override, per-broker
// dynamic, cluster-wide dynamic, static, default); v2 is v1 with quota
// semantics; v3 adds include_documentation and config_type; v4 flexible.
// Resources, as Kafka's ConfigHelper: TOPIC (2) every topic config with its
// effective value; BROKER (4) named by node id: every broker config, named "":
// the dynamic cluster-wide defaults that are set; BROKER_LOGGER (8) validated
// like Kafka's, and empty (Samsa has no runtime-adjustable loggers). Other types
// get INVALID_REQUEST. Null or empty configuration_keys means all configs.
import { DescribeConfigsApi } from '../../protocol/generated/apis/describe-configs.ts';
import type {
  DescribeConfigsResponseDescribeConfigsResourceResultInit,
  DescribeConfigsResponseDescribeConfigsResultInit,
} from '../../protocol/generated/describe-configs-response.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ConfigSource } from '../config/broker-config.ts';
import { brokerConfigEntries, clusterDefaultConfigEntries, topicConfigEntries } from '../config/config-entries.ts';
import type { ConfigEntry } from '../config/config-entries.ts';
import { topicNameProblem } from '../metadata/topic-names.ts';
import { defineHandler } from './api-handler.ts';
import { ResourceError, ResourceType, brokerIdOf, resourceTypeName } from './config-resources.ts';

export const describeConfigsHandler = defineHandler({
  api: DescribeConfigsApi,
  handle(ctx, req) {
    const { broker } = ctx;
    const v = ctx.apiVersion;
    const includeSynonyms = v >= 1 && req.includeSynonyms;
    const includeDocumentation = v >= 3 && req.includeDocumentation;
    const results: DescribeConfigsResponseDescribeConfigsResultInit[] = [];

    const toResult = (e: ConfigEntry): DescribeConfigsResponseDescribeConfigsResourceResultInit => ({
      name: e.name,
      value: e.isSensitive ? null : e.value,
      readOnly: e.readOnly,
      // v0 only (the encoder refuses it elsewhere).
      ...(v === 0 ? { isDefault: e.source === ConfigSource.DEFAULT_CONFIG } : {}),
      configSource: e.source,
      isSensitive: e.isSensitive,
      synonyms: includeSynonyms ? e.synonyms.map((s) => ({ name: s.name, value: e.isSensitive ? null : s.value, source: s.source })) : [],
      configType: e.configType,
      documentation: includeDocumentation ? e.documentation : null,
    });

    for (const resource of req.resources) {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      try {
        let entries: ConfigEntry[];
        switch (resource.resourceType) {
          case ResourceType.TOPIC: {
            const problem = topicNameProblem(resource.resourceName);
            if (problem) throw new ResourceError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
            const topic = broker.topics.get(resource.resourceName);
            if (!topic) throw new ResourceError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null);
            entries = topicConfigEntries(broker.config, topic.configs);
            break;
          }
          case ResourceType.BROKER:
            if (resource.resourceName === '') entries = clusterDefaultConfigEntries(broker.config);
            else if (brokerIdOf(resource.resourceName) === broker.nodeId) entries = brokerConfigEntries(broker.config);
            else {
              throw new ResourceError(
                ErrorCode.INVALID_REQUEST,
                `Unexpected broker id, expected ${broker.nodeId} or empty string, but received ${resource.resourceName}`,
              );
            }
            break;
          case ResourceType.BROKER_LOGGER:
            if (resource.resourceName === '') throw new ResourceError(ErrorCode.INVALID_REQUEST, 'Broker id must not be empty');
            if (brokerIdOf(resource.resourceName) !== broker.nodeId) {
              throw new ResourceError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${broker.nodeId} but received ${resource.resourceName}`);
            }
            entries = [];
            break;
          default:
            throw new ResourceError(ErrorCode.INVALID_REQUEST, `Unsupported resource type: ${resourceTypeName(resource.resourceType)}`);
        }
        const keys = resource.configurationKeys;
        if (keys !== null && keys.length > 0) entries = entries.filter((e) => keys.includes(e.name));
        results.push({ ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: entries.map(toResult) });
      } catch (err) {
        if (err instanceof ResourceError) {
          results.push({ ...base, errorCode: err.code, errorMessage: err.errorMessage, configs: [] });
        } else {
          broker.log(`DescribeConfigs ${resource.resourceType}/${resource.resourceName} failed: ${(err as Error).stack ?? String(err)}`);
          results.push({ ...base, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null, configs: [] });
        }
      }
    }
    return { throttleTimeMs: 0, results };
  },
});
