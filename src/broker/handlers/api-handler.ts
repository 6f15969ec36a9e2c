import type { ApiSpec } from '../../protocol/generated/api-spec.ts';
import type { RequestHeader } from '../../protocol/generated/request-header.ts';
import type { Connection } from '../network/connection.ts';
import type { BrokerContext } from '../broker-context.ts';

/** What a handler knows about the request it serves. */
export interface RequestContext {
  readonly broker: BrokerContext;
  readonly header: RequestHeader;
  readonly apiVersion: number;
  readonly connection: Connection;
}

/**
 * One Kafka API served by the broker. `minVersion`/`maxVersion` are what the broker
 * advertises in ApiVersions (default: every version in the spec except an unstable
 * newest one). `handle` returns the response, or null when none is sent (Produce
 * with acks=0).
 */
export interface ApiHandler<Req = any, ResInit = any> {
  readonly api: ApiSpec<Req, unknown, unknown, ResInit>;
  readonly minVersion?: number;
  readonly maxVersion?: number;
  handle(ctx: RequestContext, request: Req): ResInit | null | Promise<ResInit | null>;
}

export function defineHandler<Req, ResInit>(h: ApiHandler<Req, ResInit>): ApiHandler<Req, ResInit> {
  return h;
}

/** The version range a handler serves. */
export function supportedRange(h: ApiHandler): { min: number; max: number } {
  const specMax = h.api.latestVersionUnstable ? h.api.maxVersion - 1 : h.api.maxVersion;
  return { min: h.minVersion ?? h.api.minVersion, max: Math.min(h.maxVersion ?? specMax, specMax) };
}
