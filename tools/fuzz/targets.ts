/**
 * Fuzz targets over the protocol layer's decoders. The property everywhere: a
 * decoder given any bytes either returns or throws ProtocolDecodeError (the
 * records layer's RecordValidationError is one), never RangeError/TypeError/...,
 * and never allocates far beyond its input (or the decompression limit).
 *
 *   frames   golden request/response frames, mutated (randomly, or one length
 *            prefix made to lie), through the request-header + body decoders as the
 *            broker routes them, and body-at-another-version confusion; whatever
 *            decodes must re-encode and decode again
 *   batches  random magic-2 batches for every codec, mutated raw, with the CRC
 *            recomputed, inside the compressed payload, or in the records before
 *            compression; through decodeRecordBatch, validateBatch and the record-set
 *            walkers; includes decompression bombs
 *   legacy   magic 0/1 message sets (none, gzip, snappy, lz4), likewise
 *   codecs   compressed payloads, mutated, straight into decompress with a small cap
 *
 * Each input is generated from inputSeed(seed, i), so a failure names a seed and an
 * index, and carries the input's hex.
 */
import { crc32 } from 'node:zlib';
import { API_BY_KEY } from '../../src/protocol/generated/api-keys.ts';
import type { ApiSpec } from '../../src/protocol/generated/api-keys.ts';
import type { ProduceRequest } from '../../src/protocol/generated/produce-request.ts';
import type { FetchResponse } from '../../src/protocol/generated/fetch-response.ts';
import { requestHeaderVersion, responseHeaderVersion } from '../../src/protocol/generated/header-versions.ts';
import { decodeRequestHeader } from '../../src/protocol/generated/request-header.ts';
import { decodeResponseHeader } from '../../src/protocol/generated/response-header.ts';
import { ProtocolDecodeError, ProtocolEncodeError, Reader, Writer } from '../../src/protocol/primitives/index.ts';
import { crc32c } from '../../src/protocol/crc32c.ts';
import { CompressionCodec, compress, decompress } from '../../src/protocol/compression/index.ts';
import {
  BATCH_HEADER_SIZE,
  assignOffsets,
  readEndTransactionMarker,
  buildLegacyMessageSet,
  buildRecordBatch,
  decodeLegacyEntry,
  decodeRecordBatch,
  decodeRecordSet,
  encodeRecords,
  scanRecordSet,
  validateBatch,
  validateLegacyEntry,
  validateRecordSet,
} from '../../src/protocol/records/index.ts';
import type { RecordInput, ValidatedRecordSet } from '../../src/protocol/records/index.ts';
import type { GoldenFrame } from '../golden/fixtures.ts';
import { responseBodyVersion } from '../golden/fixtures.ts';
import { largestAllocation } from './alloc-guard.ts';
import { TracingReader, lieAboutLength } from './field-lies.ts';
import type { LengthField } from './field-lies.ts';
import { mutate } from './mutate.ts';
import { Rng, inputSeed } from './rng.ts';

/** Decompression cap while fuzzing; bombs in the corpus expand well past it. */
export const FUZZ_MAX_OUTPUT_BYTES = 256 * 1024;
const CODEC_CAP_BYTES = 64 * 1024;
const ALLOC_SLACK = 64 * 1024;

export interface FuzzFailure {
  target: string;
  seed: number;
  index: number;
  /** What was decoded, and how (api/version, options). */
  context: string;
  problem: string;
  input: Buffer;
}

export class FuzzReport {
  inputs = 0;
  /** Decoder calls that returned. */
  accepted = 0;
  /** Decoder calls that threw ProtocolDecodeError. */
  rejected = 0;
  readonly failures: FuzzFailure[] = [];
  readonly maxFailures: number;
  /** Failures past maxFailures, counted but not kept. */
  dropped = 0;

  constructor(maxFailures = 20) {
    this.maxFailures = maxFailures;
  }

  fail(f: FuzzFailure): void {
    if (this.failures.length < this.maxFailures) this.failures.push(f);
    else this.dropped++;
  }
}

const HEX_MAX_BYTES = 16 * 1024;

/**
 * Formats a failure so it reproduces: target, seed, index (`npm run fuzz -- --seed S
 * --targets T --index I` regenerates the input), context, and the input's hex
 * (whole up to 16 KiB, else its head).
 */
export function describeFailure(f: FuzzFailure): string {
  const hex =
    f.input.length <= HEX_MAX_BYTES
      ? f.input.toString('hex')
      : `${f.input.subarray(0, HEX_MAX_BYTES).toString('hex')}... (truncated; regenerate from seed and index)`;
  return `${f.target} seed=${f.seed} index=${f.index} [${f.context}]: ${f.problem}\n  input (${f.input.length} bytes): ${hex}`;
}

export interface Ctx {
  report: FuzzReport;
  target: string;
  seed: number;
  index: number;
}

/**
 * Runs one decoder call under the property. Returns whether it decoded. `allocLimit`
 * bounds the largest Buffer/Array the call may allocate.
 */
export function check(ctx: Ctx, input: Buffer, context: string, allocLimit: number, fn: () => void): boolean {
  let error: unknown = null;
  const largest = largestAllocation(() => {
    try {
      fn();
    } catch (e) {
      error = e;
    }
  });
  const fail = (problem: string) => ctx.report.fail({ target: ctx.target, seed: ctx.seed, index: ctx.index, context, problem, input });
  if (largest > allocLimit) fail(`allocated ${largest} (bytes or elements) for ${input.length} input bytes, limit ${allocLimit}`);
  if (error === null) {
    ctx.report.accepted++;
    return true;
  }
  if (error instanceof ProtocolDecodeError) {
    ctx.report.rejected++;
    return false;
  }
  const e = error as Error;
  fail(`threw ${e?.name ?? typeof e}: ${e?.message ?? String(e)}\n  ${(e?.stack ?? '').split('\n').slice(1, 4).join('\n  ')}`);
  return false;
}

function frameAllocLimit(input: Buffer): number {
  return input.length * 2 + ALLOC_SLACK;
}

// ---------------------------------------------------------------- frames

/** Encodes a decoded value again; what was decoded must encode (or refuse with ProtocolEncodeError) and read back. */
function reencode(api: ApiSpec, direction: 'request' | 'response', value: unknown, version: number): void {
  const w = new Writer(256);
  try {
    if (direction === 'request') api.encodeRequest(w, value, version);
    else api.encodeResponse(w, value, version);
  } catch (e) {
    if (e instanceof ProtocolEncodeError) return;
    throw new Error(`re-encoding a decoded ${api.name} v${version} ${direction} threw ${(e as Error).name}: ${(e as Error).message}`);
  }
  const bytes = Buffer.from(w.finish());
  const r = new Reader(bytes);
  try {
    if (direction === 'request') api.decodeRequest(r, version);
    else api.decodeResponse(r, version);
  } catch (e) {
    throw new Error(`decoding the re-encoded ${api.name} v${version} ${direction} failed: ${(e as Error).message}`);
  }
  if (r.remaining !== 0) throw new Error(`re-encoded ${api.name} v${version} ${direction} left ${r.remaining} bytes`);
}

/** As the broker: peek key and version, decode the header at its version, route to the API's body decoder. */
function decodeRoutedRequest(input: Buffer, rng: Rng): void {
  const r = new Reader(input);
  const apiKey = r.int16();
  const apiVersion = r.int16();
  r.pos = 0;
  decodeRequestHeader(r, requestHeaderVersion(apiKey, apiVersion));
  const api = API_BY_KEY.get(apiKey);
  if (api === undefined || apiVersion < api.minVersion || apiVersion > api.maxVersion) return;
  const body = api.decodeRequest(r, apiVersion);
  if (apiKey === 0) validateProduceRecords(body as ProduceRequest, apiVersion);
  if (rng.chance(0.25)) reencode(api, 'request', body, apiVersion);
}

/** What a consumer does next with a decoded Fetch response: decode every partition's records. */
function decodeFetchedRecords(res: FetchResponse): void {
  for (const t of res.responses) {
    for (const p of t.partitions) {
      if (p.records !== null) decodeRecordSet(p.records, 0, p.records.length, { maxOutputBytes: FUZZ_MAX_OUTPUT_BYTES });
    }
  }
}

/** What the produce path does next with a decoded request: validate, then decode, each partition's records. */
function validateProduceRecords(req: ProduceRequest, version: number): void {
  for (const t of req.topicData) {
    for (const p of t.partitionData) {
      if (p.records === null) continue;
      validateRecordSet(p.records, 0, p.records.length, { produceVersion: version, allowLegacy: version < 3 });
      decodeRecordSet(p.records, 0, p.records.length, { maxOutputBytes: FUZZ_MAX_OUTPUT_BYTES });
    }
  }
}

/** Header length of a golden frame (body without the size prefix). */
function headerLength(g: GoldenFrame): number {
  const r = new Reader(g.frame, 4);
  if (g.direction === 'request') decodeRequestHeader(r, requestHeaderVersion(g.api.apiKey, g.version));
  else decodeResponseHeader(r, responseHeaderVersion(g.api.apiKey, g.version));
  return r.pos - 4;
}

export interface FrameCorpus {
  frames: readonly GoldenFrame[];
  /** Frame bodies without the size prefix. */
  bodies: readonly Buffer[];
  headerLengths: readonly number[];
  /** Every length/count prefix in each body, for structure-aware lies. */
  lengthFields: readonly (readonly LengthField[])[];
}

/** Decodes a frame's body once, noting where its length prefixes are. */
function traceLengthFields(g: GoldenFrame): LengthField[] {
  const r = new TracingReader(g.frame.subarray(4));
  if (g.direction === 'request') {
    decodeRequestHeader(r, requestHeaderVersion(g.api.apiKey, g.version));
    g.api.decodeRequest(r, g.version);
  } else {
    decodeResponseHeader(r, responseHeaderVersion(g.api.apiKey, g.version));
    g.api.decodeResponse(r, responseBodyVersion(g));
  }
  return r.fields;
}

export function frameCorpus(frames: readonly GoldenFrame[]): FrameCorpus {
  return {
    frames,
    bodies: frames.map((g) => g.frame.subarray(4)),
    headerLengths: frames.map(headerLength),
    lengthFields: frames.map(traceLengthFields),
  };
}

export function fuzzFrames(corpus: FrameCorpus, seed: number, first: number, count: number, report: FuzzReport, target = 'frames'): void {
  const requests = corpus.frames.map((g, i) => i).filter((i) => corpus.frames[i]!.direction === 'request');
  const all = corpus.frames.map((_, i) => i);
  for (let index = first; index < first + count; index++) {
    const rng = new Rng(inputSeed(seed, index));
    const ctx: Ctx = { report, target, seed, index };
    report.inputs++;
    const mode = rng.int(10);
    if (mode < 4) {
      // Whole request frame, routed by its (possibly mutated) header; a third of
      // the time one length prefix lies, plus maybe a random mutation.
      const i = rng.pick(requests);
      let input: Buffer;
      if (rng.chance(1 / 3)) {
        input = lieAboutLength(rng, corpus.bodies[i]!, corpus.lengthFields[i]!);
        if (rng.chance(0.3)) input = mutate(rng, input, corpus.bodies);
      } else {
        input = mutate(rng, corpus.bodies[i]!, corpus.bodies);
      }
      // Produce records may decompress, up to the fuzzing cap.
      const limit = input.length >= 2 && input.readInt16BE(0) === 0 ? batchAllocLimit(input) : frameAllocLimit(input);
      check(ctx, input, `routed request from ${corpus.frames[i]!.path}`, limit, () => decodeRoutedRequest(input, rng));
      continue;
    }
    // Body of a known API, mutated past the header, at its version or (mode 9) another.
    const i = rng.pick(all);
    const g = corpus.frames[i]!;
    const hl = corpus.headerLengths[i]!;
    const input = rng.chance(1 / 3) ? lieAboutLength(rng, corpus.bodies[i]!, corpus.lengthFields[i]!) : mutate(rng, corpus.bodies[i]!, corpus.bodies, hl);
    const base = g.direction === 'response' ? responseBodyVersion(g) : g.version;
    const version = mode === 9 ? rng.range(g.api.minVersion, g.api.maxVersion) : base;
    const context = `${g.path} body at v${version}`;
    const limit = g.api.apiKey <= 1 ? batchAllocLimit(input) : frameAllocLimit(input);
    check(ctx, input, context, limit, () => {
      const r = new Reader(input, Math.min(hl, input.length));
      const body = g.direction === 'request' ? g.api.decodeRequest(r, version) : g.api.decodeResponse(r, version);
      if (g.api.apiKey === 1 && g.direction === 'response') decodeFetchedRecords(body as FetchResponse);
      if (rng.chance(0.25)) reencode(g.api, g.direction, body, version);
    });
  }
}

// ---------------------------------------------------------------- record batches

const CODECS = [CompressionCodec.NONE, CompressionCodec.GZIP, CompressionCodec.SNAPPY, CompressionCodec.LZ4, CompressionCodec.ZSTD] as const;

function randomRecords(rng: Rng): RecordInput[] {
  const n = rng.chance(0.1) ? rng.range(50, 200) : rng.range(1, 12);
  const out: RecordInput[] = [];
  const compressible = rng.chance(0.5);
  const payload = (len: number) => (compressible ? Buffer.alloc(len, 0x61 + rng.int(3)) : rng.bytes(len));
  for (let i = 0; i < n; i++) {
    const headers = [];
    for (let h = rng.int(3); h > 0; h--) headers.push({ key: `h${rng.int(100)}`, value: rng.chance(0.2) ? null : payload(rng.int(8)) });
    out.push({
      timestampDelta: rng.chance(0.1) ? rng.int(2 ** 40) : rng.int(1000),
      key: rng.chance(0.2) ? null : payload(rng.int(16)),
      value: rng.chance(0.1) ? null : payload(rng.chance(0.05) ? rng.int(4000) : rng.int(120)),
      headers,
    });
  }
  return out;
}

interface BatchSample {
  codec: number;
  batch: Buffer;
  /** The encoded records before compression. */
  records: Buffer;
}

function recomputeCrc32c(b: Buffer): Buffer {
  if (b.length < BATCH_HEADER_SIZE) return b;
  const end = Math.min(b.length, Math.max(21, b.readInt32BE(8) + 12));
  b.writeUInt32BE(crc32c(b.subarray(21, end)), 17);
  return b;
}

/** A batch with `header`'s fields around a new payload: batchLength and CRC made right. */
function withPayload(header: Buffer, payload: Buffer): Buffer {
  const b = Buffer.concat([header.subarray(0, BATCH_HEADER_SIZE), payload]);
  b.writeInt32BE(b.length - 12, 8);
  return recomputeCrc32c(b);
}

export interface BatchCorpus {
  samples: readonly BatchSample[];
  /** Every sample's batch, for splices. */
  all: readonly Buffer[];
  legacy: readonly LegacySample[];
  legacyAll: readonly Buffer[];
}

interface LegacySample {
  magic: 0 | 1;
  codec: number;
  set: Buffer;
  /** The inner message set before compression (the set itself when uncompressed). */
  inner: Buffer;
}

/** Builds the record corpus: `perCodec` random batches per codec, a bomb per codec, legacy sets. */
export function batchCorpus(seed: number, perCodec = 16): BatchCorpus {
  const rng = new Rng(seed ^ 0xb47c4);
  const samples: BatchSample[] = [];
  for (const codec of CODECS) {
    for (let i = 0; i < perCodec; i++) {
      const records = randomRecords(rng);
      const batch = buildRecordBatch(records, {
        baseOffset: BigInt(rng.int(1000)),
        baseTimestamp: 1_700_000_000_000 + rng.int(1000),
        compression: codec,
        transactional: rng.chance(0.1),
        producerId: rng.chance(0.3) ? BigInt(rng.int(100)) : undefined,
        producerEpoch: 0,
        baseSequence: rng.chance(0.3) ? rng.int(100) : undefined,
      });
      samples.push({ codec, batch, records: encodeRecords(records) });
    }
    if (codec !== CompressionCodec.NONE) {
      // A bomb: 4 MiB of one byte in a single value, far past FUZZ_MAX_OUTPUT_BYTES.
      const records = [{ key: null, value: Buffer.alloc(4 * FUZZ_MAX_OUTPUT_BYTES, 0x62) }];
      samples.push({ codec, batch: buildRecordBatch(records, { baseTimestamp: 0, compression: codec }), records: Buffer.alloc(0) });
    }
  }
  const legacy: LegacySample[] = [];
  for (const magic of [0, 1] as const) {
    for (const codec of CODECS.slice(0, 4)) {
      for (let i = 0; i < Math.max(2, perCodec / 4); i++) {
        const messages = randomRecords(rng)
          .slice(0, 8)
          .map((r, j) => ({ key: r.key, value: r.value, timestamp: magic === 1 ? 1_700_000_000_000 + j : undefined }));
        const set = buildLegacyMessageSet(messages, { magic, compression: codec, baseOffset: BigInt(rng.int(1000)) });
        const inner = codec === CompressionCodec.NONE ? set : buildLegacyMessageSet(messages, { magic, compression: CompressionCodec.NONE });
        legacy.push({ magic, codec, set, inner });
      }
    }
  }
  return { samples, all: samples.map((s) => s.batch), legacy, legacyAll: legacy.map((s) => s.set) };
}

function batchAllocLimit(input: Buffer): number {
  return FUZZ_MAX_OUTPUT_BYTES + input.length * 4 + ALLOC_SLACK;
}

function runBatchDecoders(ctx: Ctx, input: Buffer, how: string, rng: Rng): void {
  const limit = batchAllocLimit(input);
  const verifyCrc = rng.chance(0.85);
  const opts = { verifyCrc, maxOutputBytes: FUZZ_MAX_OUTPUT_BYTES };
  check(ctx, input, `${how}; decodeRecordBatch verifyCrc=${verifyCrc}`, limit, () => {
    const batch = decodeRecordBatch(input, 0, opts);
    readEndTransactionMarker(batch);
    for (const r of batch.records) void (r.offset + r.timestamp);
  });
  const origin = rng.pick(['client', 'replication', 'coordinator'] as const);
  check(ctx, input, `${how}; validateBatch origin=${origin}`, limit, () => validateBatch(input, 0, input.length, { origin, verifyCrc }));
  const produceVersion = rng.chance(0.3) ? undefined : rng.range(0, 12);
  const allowLegacy = rng.chance(0.5);
  let validated: ValidatedRecordSet | null = null;
  check(ctx, input, `${how}; validateRecordSet produceVersion=${produceVersion} allowLegacy=${allowLegacy}`, limit, () => {
    validated = validateRecordSet(input, 0, input.length, { produceVersion, allowLegacy, verifyCrc });
  });
  if (validated !== null && verifyCrc && (validated as ValidatedRecordSet).magic === 2) {
    // The produce path next: offsets assigned in place must leave the set valid.
    const logAppendTimeMs = rng.chance(0.5) ? 1_800_000_000_000 : undefined;
    check(ctx, input, `${how}; assignOffsets logAppendTimeMs=${logAppendTimeMs} then revalidate`, limit, () => {
      const copy = Buffer.from(input);
      try {
        assignOffsets(copy, 0, copy.length, 1000n, { partitionLeaderEpoch: 7, logAppendTimeMs });
        validateRecordSet(copy, 0, copy.length, { origin: 'replication' });
      } catch (e) {
        throw new Error(`a validated record set failed offset assignment or revalidation: ${(e as Error).name}: ${(e as Error).message}`);
      }
    });
  }
  check(ctx, input, `${how}; decodeRecordSet+scanRecordSet verifyCrc=${verifyCrc}`, limit, () => {
    scanRecordSet(input);
    decodeRecordSet(input, 0, input.length, opts);
  });
}

export function fuzzBatches(corpus: BatchCorpus, seed: number, first: number, count: number, report: FuzzReport): void {
  for (let index = first; index < first + count; index++) {
    const rng = new Rng(inputSeed(seed, index));
    const ctx: Ctx = { report, target: 'batches', seed, index };
    report.inputs++;
    const s = rng.pick(corpus.samples);
    const mode = rng.int(20);
    let input: Buffer;
    let how: string;
    if (mode < 5) {
      input = mutate(rng, s.batch, corpus.all);
      how = 'raw mutation';
    } else if (mode < 11) {
      input = recomputeCrc32c(mutate(rng, s.batch, corpus.all));
      how = 'mutation, CRC recomputed';
    } else if (mode < 15 && s.records.length > 0) {
      const records = mutate(rng, s.records, [s.records]);
      input = withPayload(s.batch, s.codec === CompressionCodec.NONE ? records : compress(s.codec as CompressionCodec, records));
      how = `records mutated before codec ${s.codec}`;
    } else if (mode < 18) {
      input = withPayload(s.batch, mutate(rng, s.batch.subarray(BATCH_HEADER_SIZE), corpus.all));
      how = `payload mutated (codec ${s.codec}), CRC recomputed`;
    } else {
      // Record sets: a few batches (sometimes a legacy entry) back to back, then mutated.
      const parts = [s.batch, rng.pick(corpus.all)];
      if (rng.chance(0.3)) parts.push(rng.pick(corpus.legacyAll));
      input = recomputeCrc32c(rng.chance(0.5) ? mutate(rng, Buffer.concat(parts), corpus.all) : Buffer.concat(parts));
      how = 'record set';
    }
    runBatchDecoders(ctx, input, how, rng);
  }
}

// ---------------------------------------------------------------- legacy message sets

function recomputeCrc32(b: Buffer): Buffer {
  if (b.length < 17) return b;
  const end = Math.min(b.length, Math.max(16, b.readInt32BE(8) + 12));
  b.writeUInt32BE(crc32(b.subarray(16, end)) >>> 0, 12);
  return b;
}

/** A wrapper like `set`'s (null key) around a new compressed value; size and CRC made right. */
function withLegacyValue(set: Buffer, magic: number, value: Buffer): Buffer {
  const keyAt = 12 + 4 + 2 + (magic === 1 ? 8 : 0);
  const head = Buffer.from(set.subarray(0, keyAt + 4));
  const len = Buffer.alloc(4);
  len.writeInt32BE(value.length);
  const b = Buffer.concat([head, len, value]);
  b.writeInt32BE(b.length - 12, 8);
  return recomputeCrc32(b);
}

export function fuzzLegacy(corpus: BatchCorpus, seed: number, first: number, count: number, report: FuzzReport): void {
  for (let index = first; index < first + count; index++) {
    const rng = new Rng(inputSeed(seed, index));
    const ctx: Ctx = { report, target: 'legacy', seed, index };
    report.inputs++;
    const s = rng.pick(corpus.legacy);
    const mode = rng.int(10);
    let input: Buffer;
    let how: string;
    if (mode < 3) {
      input = mutate(rng, s.set, corpus.legacyAll);
      how = `magic ${s.magic} codec ${s.codec}: raw mutation`;
    } else if (mode < 7 || s.codec === CompressionCodec.NONE) {
      input = recomputeCrc32(mutate(rng, s.set, corpus.legacyAll));
      how = `magic ${s.magic} codec ${s.codec}: mutation, CRC recomputed`;
    } else {
      const inner = mutate(rng, s.inner, corpus.legacyAll);
      input = withLegacyValue(s.set, s.magic, compress(s.codec as CompressionCodec, inner, { magic: s.magic }));
      how = `magic ${s.magic} codec ${s.codec}: inner set mutated before compression`;
    }
    const limit = batchAllocLimit(input);
    const verifyCrc = rng.chance(0.85);
    const opts = { verifyCrc, maxOutputBytes: FUZZ_MAX_OUTPUT_BYTES };
    check(ctx, input, `${how}; decodeLegacyEntry verifyCrc=${verifyCrc}`, limit, () => decodeLegacyEntry(input, 0, input.length, opts));
    check(ctx, input, `${how}; validateLegacyEntry`, limit, () => validateLegacyEntry(input, 0, input.length, { verifyCrc }));
    check(ctx, input, `${how}; validateRecordSet allowLegacy`, limit, () => validateRecordSet(input, 0, input.length, { allowLegacy: true, verifyCrc }));
    check(ctx, input, `${how}; decodeRecordSet verifyCrc=${verifyCrc}`, limit, () => decodeRecordSet(input, 0, input.length, opts));
  }
}

// ---------------------------------------------------------------- codecs

export function fuzzCodecs(corpus: BatchCorpus, seed: number, first: number, count: number, report: FuzzReport): void {
  const compressed = corpus.samples.filter((s) => s.codec !== CompressionCodec.NONE);
  const payloads = compressed.map((s) => s.batch.subarray(BATCH_HEADER_SIZE));
  for (let index = first; index < first + count; index++) {
    const rng = new Rng(inputSeed(seed, index));
    const ctx: Ctx = { report, target: 'codecs', seed, index };
    report.inputs++;
    const i = rng.int(compressed.length);
    const codec = rng.chance(0.9) ? compressed[i]!.codec : rng.int(8);
    const input = rng.chance(0.1) ? payloads[i]! : mutate(rng, payloads[i]!, payloads);
    const magic = codec === CompressionCodec.LZ4 && rng.chance(0.2) ? 0 : 2;
    check(ctx, input, `decompress codec ${codec} magic ${magic} max ${CODEC_CAP_BYTES}`, CODEC_CAP_BYTES + input.length * 4 + ALLOC_SLACK, () => {
      const out = decompress(codec, input, { maxOutputBytes: CODEC_CAP_BYTES, magic });
      if (out.length > CODEC_CAP_BYTES) throw new Error(`decompress returned ${out.length} bytes past its cap of ${CODEC_CAP_BYTES}`);
    });
  }
}
