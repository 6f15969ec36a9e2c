// DescribeCluster (key 60), versions 0-1. v1 adds endpoint_type (1 = brokers,
// 2 = controllers); a combined single node answers both with itself.
import { DescribeClusterApi } from '../../protocol/generated/apis/describe-cluster.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { defineHandler } from './api-handler.ts';
import { brokerEndpoint } from './metadata.ts';

export const describeClusterHandler = defineHandler({
  api: DescribeClusterApi,
  handle(ctx, req) {
    const { broker } = ctx;
    if (req.endpointType !== 1 && req.endpointType !== 2) {
      return { errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: `unknown endpoint type ${req.endpointType}`, endpointType: req.endpointType };
    }
    const endpoint = brokerEndpoint(ctx);
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: req.endpointType,
      clusterId: broker.clusterId,
      controllerId: broker.nodeId,
      brokers: [{ brokerId: broker.nodeId, host: endpoint.host, port: endpoint.port, rack: broker.config.str('broker.rack') }],
      clusterAuthorizedOperations: -2147483648,
    };
  },
});
