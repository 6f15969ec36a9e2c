/**
 * Loads the committed golden frames (test/fixtures/golden/<client>/<NN>-<ApiName>-v<version>-<request|response>.bin,
 * whole wire frames with the size prefix) for the golden test and the fuzzers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_LIST } from '../../src/protocol/generated/api-keys.ts';
import type { ApiSpec } from '../../src/protocol/generated/api-keys.ts';

export const GOLDEN_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'golden');
export const GOLDEN_NAME = /^(\d+)-([A-Za-z]+)-v(\d+)-(request|response)\.bin$/;
const API_BY_NAME = new Map(API_LIST.map((a) => [a.name, a]));

export interface GoldenFrame {
  /** `<client>/<file>` */
  path: string;
  client: string;
  api: ApiSpec;
  version: number;
  direction: 'request' | 'response';
  /** The whole wire frame, size prefix included. */
  frame: Buffer;
}

export function loadGoldenFrames(dir = GOLDEN_DIR): GoldenFrame[] {
  const out: GoldenFrame[] = [];
  for (const client of readdirSync(dir, { withFileTypes: true })) {
    if (!client.isDirectory()) continue;
    for (const file of readdirSync(join(dir, client.name)).sort()) {
      const m = GOLDEN_NAME.exec(file);
      if (m === null) continue;
      const api = API_BY_NAME.get(m[2]!);
      if (api === undefined) throw new Error(`${client.name}/${file}: unknown API ${m[2]}`);
      out.push({
        path: `${client.name}/${file}`,
        client: client.name,
        api,
        version: Number(m[3]),
        direction: m[4] as 'request' | 'response',
        frame: readFileSync(join(dir, client.name, file)),
      });
    }
  }
  return out;
}

/** ApiVersions answers a version it does not support at v0 (KIP-511). */
export function responseBodyVersion(g: Pick<GoldenFrame, 'api' | 'version'>): number {
  return g.api.apiKey === 18 && g.version > g.api.maxVersion ? 0 : g.version;
}
