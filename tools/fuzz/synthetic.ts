/**
 * Synthetic frames for every API and version, so the fuzzers reach decoders no
 * captured client exercises: seeded random values from the generated schema
 * table (the codegen tests' ValueGenerator), encoded with their header into whole
 * wire frames shaped like golden ones.
 */
import { API_BY_KEY } from '../../src/protocol/generated/api-keys.ts';
import { requestHeaderVersion, responseHeaderVersion } from '../../src/protocol/generated/header-versions.ts';
import { encodeRequestHeader } from '../../src/protocol/generated/request-header.ts';
import { encodeResponseHeader } from '../../src/protocol/generated/response-header.ts';
import { MESSAGE_SCHEMAS } from '../../src/protocol/generated/schemas.ts';
import { Writer } from '../../src/protocol/primitives/index.ts';
import { ValueGenerator, seededRng } from '../../test/protocol/generated/random-values.ts';
import type { GoldenFrame } from '../golden/fixtures.ts';

export function syntheticFrames(seed: number, perVersion = 1): GoldenFrame[] {
  const out: GoldenFrame[] = [];
  const rng = seededRng(seed ^ 0x5e17);
  for (const m of MESSAGE_SCHEMAS) {
    if ((m.kind !== 'request' && m.kind !== 'response') || m.apiKey === null) continue;
    const api = API_BY_KEY.get(m.apiKey);
    if (api === undefined) continue;
    const direction = m.kind;
    for (let version = m.validVersions[0]; version <= m.validVersions[1]; version++) {
      for (let i = 0; i < perVersion; i++) {
        const value = new ValueGenerator(rng, m, version).message();
        const w = new Writer(256);
        w.int32(0);
        try {
          if (direction === 'request') {
            encodeRequestHeader(w, { requestApiKey: api.apiKey, requestApiVersion: version, correlationId: i, clientId: 'fuzz' }, requestHeaderVersion(api.apiKey, version));
            api.encodeRequest(w, value, version);
          } else {
            encodeResponseHeader(w, { correlationId: i }, responseHeaderVersion(api.apiKey, version));
            api.encodeResponse(w, value, version);
          }
        } catch {
          continue; // A value the encoder refuses (e.g. a field this version cannot carry): skip it.
        }
        const frame = Buffer.from(w.finish());
        frame.writeInt32BE(frame.length - 4, 0);
        out.push({ path: `generated/${api.name}-v${version}-${direction}#${i}`, client: 'generated', api, version, direction, frame });
      }
    }
  }
  return out;
}
