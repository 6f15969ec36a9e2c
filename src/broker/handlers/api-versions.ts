// ApiVersions (key 18), versions 0-4. v3 adds client software name/version and
// flexible encoding; v4 only signals that the client handles UNSUPPORTED_VERSION
// in v0 form. An unsupported version is answered by the router in v0 form.
// v3+ carry the feature lists (tagged): transaction.version, see ../txn/features.ts.
import { ApiVersionsApi } from '../../protocol/generated/apis/api-versions.ts';
import type { ApiVersionsResponseApiVersionInit } from '../../protocol/generated/api-versions-response.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { BrokerContext } from '../broker-context.ts';
import { apiVersionsFeatures } from '../txn/features.ts';
import { defineHandler, supportedRange } from './api-handler.ts';

export function apiVersionsList(broker: BrokerContext): ApiVersionsResponseApiVersionInit[] {
  return [...broker.handlers.values()]
    .map((h) => {
      const r = supportedRange(h);
      return { apiKey: h.api.apiKey, minVersion: r.min, maxVersion: r.max };
    })
    .sort((a, b) => a.apiKey - b.apiKey);
}

const SOFTWARE_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export const apiVersionsHandler = defineHandler({
  api: ApiVersionsApi,
  handle(ctx, req) {
    if (ctx.apiVersion >= 3 && (!SOFTWARE_NAME.test(req.clientSoftwareName) || !SOFTWARE_NAME.test(req.clientSoftwareVersion))) {
      return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys: [] };
    }
    const features = ctx.apiVersion >= 3 ? apiVersionsFeatures(ctx.broker, ctx.apiVersion) : {};
    return { errorCode: ErrorCode.NONE, apiKeys: apiVersionsList(ctx.broker), throttleTimeMs: 0, ...features };
  },
});
