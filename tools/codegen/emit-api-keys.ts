/**
 * Emits generated/api-keys.ts (a routing table of every API with its codecs)
 * and generated/header-versions.ts (which header version an API version uses).
 */
import { CodeWriter } from './code-writer.ts';
import { GENERATED_HEADER } from './emit-message.ts';
import { apiName, kebabCase } from './names.ts';
import type { MessageSpec } from './spec.ts';

export interface ApiPair {
  readonly apiKey: number;
  readonly name: string;
  readonly request: MessageSpec;
  readonly response: MessageSpec;
}

/** Pairs every request with its response, checking they agree on versions. */
export function pairApis(messages: readonly MessageSpec[]): ApiPair[] {
  const requests = new Map<number, MessageSpec>();
  const responses = new Map<number, MessageSpec>();
  for (const m of messages) {
    if (m.kind === 'request' || m.kind === 'response') {
      const map = m.kind === 'request' ? requests : responses;
      if (map.has(m.apiKey!)) throw new Error(`${m.source}: apiKey ${m.apiKey} used twice`);
      map.set(m.apiKey!, m);
    }
  }
  const out: ApiPair[] = [];
  for (const [key, request] of [...requests].sort((a, b) => a[0] - b[0])) {
    const response = responses.get(key);
    if (response === undefined) throw new Error(`${request.source}: no response for apiKey ${key}`);
    const name = apiName(request.name);
    if (apiName(response.name) !== name) throw new Error(`${response.source}: name does not match ${request.name}`);
    const rv = request.validVersions;
    const sv = response.validVersions;
    if (rv.lo !== sv.lo || rv.hi !== sv.hi) throw new Error(`${name}: request and response versions differ`);
    if ((request.flexibleVersions?.lo ?? -1) !== (response.flexibleVersions?.lo ?? -1)) {
      throw new Error(`${name}: request and response flexible versions differ`);
    }
    out.push({ apiKey: key, name, request, response });
  }
  for (const key of responses.keys()) {
    if (!requests.has(key)) throw new Error(`apiKey ${key}: response without request`);
  }
  return out;
}

function flexibleFrom(p: ApiPair): number | null {
  const f = p.request.flexibleVersions;
  return f === null || f.lo > p.request.validVersions.hi ? null : f.lo;
}

/** The file of one API's spec object, relative to generated/. */
export function apiSpecFile(p: ApiPair): string {
  return `apis/${kebabCase(p.name)}.ts`;
}

/**
 * generated/api-spec.ts: the ApiSpec interface and the ApiKey table, imported by
 * every per-API file. Kept apart from api-keys.ts so a program that serves a few
 * APIs (the broker) loads only their codecs, not all of them.
 */
export function emitApiSpec(apis: readonly ApiPair[]): string {
  const cw = new CodeWriter();
  cw.line(GENERATED_HEADER);
  cw.line('// The shape of an API entry, and API keys by name.');
  cw.line();
  cw.line(`import type { Reader } from '../primitives/reader.ts';`);
  cw.line(`import type { Writer } from '../primitives/writer.ts';`);
  cw.line();
  cw.line('/** API keys by name, as Kafka\'s ApiKeys enum. */');
  cw.open('export const ApiKey =');
  for (const p of apis) cw.line(`${p.name}: ${p.apiKey},`);
  cw.close('} as const;');
  cw.line('export type ApiName = keyof typeof ApiKey;');
  cw.line('export type ApiKey = (typeof ApiKey)[ApiName];');
  cw.line();
  cw.line('/** One API: its versions and the request/response codecs (version-checked). */');
  cw.open('export interface ApiSpec<Req = unknown, ReqInit = unknown, Res = unknown, ResInit = unknown>');
  cw.line('readonly apiKey: number;');
  cw.line('/** Kafka\'s name for the API, e.g. \'Produce\'. */');
  cw.line('readonly name: string;');
  cw.line('readonly minVersion: number;');
  cw.line('readonly maxVersion: number;');
  cw.line('/** The first flexible version (compact encodings, tagged fields, header v2/v1), or null. */');
  cw.line('readonly flexibleFrom: number | null;');
  cw.line('/** Which listeners serve it: \'broker\', \'controller\', \'zkBroker\'. */');
  cw.line('readonly listeners: readonly string[];');
  cw.line('readonly deprecatedVersions: { readonly min: number; readonly max: number } | null;');
  cw.line('/** The spec marks the newest version as unstable (not yet for production use). */');
  cw.line('readonly latestVersionUnstable: boolean;');
  cw.line('encodeRequest(w: Writer, v: ReqInit, version: number): void;');
  cw.line('decodeRequest(r: Reader, version: number): Req;');
  cw.line('encodeResponse(w: Writer, v: ResInit, version: number): void;');
  cw.line('decodeResponse(r: Reader, version: number): Res;');
  cw.close();
  return cw.toString();
}

/** generated/apis/<name>.ts: one API's spec object, importing only its two messages. */
export function emitApiFile(p: ApiPair): string {
  const cw = new CodeWriter();
  const rq = p.request.name;
  const rs = p.response.name;
  cw.line(GENERATED_HEADER);
  cw.line(`// The ${p.name} API (key ${p.apiKey}): versions and codecs.`);
  cw.line();
  cw.line(`import type { ApiSpec } from '../api-spec.ts';`);
  for (const m of [p.request, p.response]) {
    cw.line(`import { decode${m.name}, encode${m.name}, type ${m.name}, type ${m.name}Init } from '../${kebabCase(m.name)}.ts';`);
  }
  cw.line();
  const dep = p.request.deprecatedVersions;
  const depText = dep === null ? 'null' : `{ min: ${dep.lo}, max: ${Math.min(dep.hi, p.request.validVersions.hi)} }`;
  cw.open(`export const ${p.name}Api: ApiSpec<${rq}, ${rq}Init, ${rs}, ${rs}Init> =`);
  cw.line(`apiKey: ${p.apiKey},`);
  cw.line(`name: '${p.name}',`);
  cw.line(`minVersion: ${p.request.validVersions.lo},`);
  cw.line(`maxVersion: ${p.request.validVersions.hi},`);
  cw.line(`flexibleFrom: ${flexibleFrom(p)},`);
  cw.line(`listeners: [${p.request.listeners.map((l) => `'${l}'`).join(', ')}],`);
  cw.line(`deprecatedVersions: ${depText},`);
  cw.line(`latestVersionUnstable: ${p.request.latestVersionUnstable},`);
  cw.line(`encodeRequest: encode${rq},`);
  cw.line(`decodeRequest: decode${rq},`);
  cw.line(`encodeResponse: encode${rs},`);
  cw.line(`decodeResponse: decode${rs},`);
  cw.close('};');
  return cw.toString();
}

/** generated/api-keys.ts: every API re-exported, plus tables for routing by key. */
export function emitApiKeys(apis: readonly ApiPair[]): string {
  const cw = new CodeWriter();
  cw.line(GENERATED_HEADER);
  cw.line('// Every Kafka API with its versions and codecs, for generic routing by apiKey.');
  cw.line('// Importing this file loads every codec; import generated/apis/<name>.ts for one API.');
  cw.line();
  cw.line(`import type { ApiSpec } from './api-spec.ts';`);
  for (const p of apis) cw.line(`import { ${p.name}Api } from './${apiSpecFile(p)}';`);
  cw.line();
  cw.line(`export { ApiKey, type ApiName, type ApiSpec } from './api-spec.ts';`);
  cw.line(`export { ${apis.map((p) => `${p.name}Api`).join(', ')} };`);
  cw.line();
  cw.line('/** Every API by name, fully typed: APIS.Produce.decodeRequest(r, v) returns a ProduceRequest. */');
  cw.open('export const APIS =');
  for (const p of apis) cw.line(`${p.name}: ${p.name}Api,`);
  cw.close('} as const;');
  cw.line();
  cw.line('/** Every API in apiKey order. */');
  cw.line(`export const API_LIST: readonly ApiSpec[] = [${apis.map((p) => `${p.name}Api`).join(', ')}];`);
  cw.line();
  cw.line('/** Every API by apiKey, for routing a request whose key is only known at run time. */');
  cw.line('export const API_BY_KEY: ReadonlyMap<number, ApiSpec> = new Map(API_LIST.map((a) => [a.apiKey, a]));');
  return cw.toString();
}

export function emitHeaderVersions(apis: readonly ApiPair[]): string {
  const maxKey = Math.max(...apis.map((p) => p.apiKey));
  const table: number[] = new Array<number>(maxKey + 1).fill(-2);
  for (const p of apis) table[p.apiKey] = flexibleFrom(p) ?? -1;
  const controlledShutdown = apis.find((p) => p.name === 'ControlledShutdown' && p.request.validVersions.lo === 0);
  const cw = new CodeWriter();
  cw.line(GENERATED_HEADER);
  cw.line('// Which request/response header version each API version uses.');
  cw.line();
  cw.line('/** First flexible version by apiKey; -1: never flexible; -2: no such API. */');
  cw.line(`const FLEXIBLE_FROM: readonly number[] = [${table.join(', ')}];`);
  cw.line();
  cw.line('/** Whether this API version uses flexible encodings (compact strings/arrays, tagged fields). */');
  cw.open('export function isFlexibleVersion(apiKey: number, apiVersion: number): boolean');
  cw.line('const from = FLEXIBLE_FROM[apiKey];');
  cw.line('return from !== undefined && from >= 0 && apiVersion >= from;');
  cw.close();
  cw.line();
  cw.line('/**');
  cw.line(' * Request header version: 2 (tagged fields) for flexible API versions, else 1.');
  cw.line(' * Versions above an API\'s newest count as flexible when the API has flexible');
  cw.line(' * versions, as Kafka does (a newer client\'s ApiVersionsRequest must still parse).');
  cw.line(' * Unknown API keys get 1.');
  cw.line(' */');
  cw.open('export function requestHeaderVersion(apiKey: number, apiVersion: number): number');
  if (controlledShutdown !== undefined) {
    cw.line(`// ControlledShutdown v0 predates the client id: header v0.`);
    cw.line(`if (apiKey === ${controlledShutdown.apiKey} && apiVersion === 0) return 0;`);
  }
  cw.line('return isFlexibleVersion(apiKey, apiVersion) ? 2 : 1;');
  cw.close();
  cw.line();
  cw.line('/**');
  cw.line(' * Response header version: 1 (tagged fields) for flexible API versions, else 0.');
  cw.line(' * ApiVersions responses always use v0, so a client can read the reply to a');
  cw.line(' * version the broker does not support.');
  cw.line(' */');
  cw.open('export function responseHeaderVersion(apiKey: number, apiVersion: number): number');
  const apiVersions = apis.find((p) => p.name === 'ApiVersions');
  if (apiVersions !== undefined) cw.line(`if (apiKey === ${apiVersions.apiKey}) return 0;`);
  cw.line('return isFlexibleVersion(apiKey, apiVersion) ? 1 : 0;');
  cw.close();
  return cw.toString();
}
