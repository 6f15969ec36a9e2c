import type { ApiHandler } from './api-handler.ts';
import { apiVersionsHandler } from './api-versions.ts';
import { describeClusterHandler } from './describe-cluster.ts';
import { fetchHandler } from './fetch.ts';
import { metadataHandler } from './metadata.ts';
import { produceHandler } from './produce.ts';

/** Every API the broker serves. ApiVersions advertises exactly this list. */
export const HANDLERS: readonly ApiHandler[] = [
  apiVersionsHandler,
  metadataHandler,
  describeClusterHandler,
  produceHandler,
  fetchHandler,
];
