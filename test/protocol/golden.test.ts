/**
 * Golden frames: requests (and broker responses) captured from real clients by
 * tools/golden/capture.ts. Every fixture must decode — header and body — with all
 * bytes consumed, and re-encode byte-exact. The record sets inside captured
 * Produce requests must decode and pass produce validation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestHeaderVersion, responseHeaderVersion } from '../../src/protocol/generated/header-versions.ts';
import { decodeRequestHeader, encodeRequestHeader } from '../../src/protocol/generated/request-header.ts';
import { decodeResponseHeader, encodeResponseHeader } from '../../src/protocol/generated/response-header.ts';
import type { ProduceRequest } from '../../src/protocol/generated/produce-request.ts';
import type { FetchResponse } from '../../src/protocol/generated/fetch-response.ts';
import { Reader, Writer } from '../../src/protocol/primitives/index.ts';
import { decodeLegacyEntry, decodeRecordSet, validateRecordSet } from '../../src/protocol/records/index.ts';
import { loadGoldenFrames, responseBodyVersion } from '../../tools/golden/fixtures.ts';
import type { GoldenFrame } from '../../tools/golden/fixtures.ts';

function roundTrip(g: GoldenFrame): void {
  const { api, version, frame } = g;
  assert.equal(frame.readInt32BE(0), frame.length - 4, 'size prefix');
  const r = new Reader(frame, 4);
  const w = new Writer(frame.length);
  if (g.direction === 'request') {
    const hv = requestHeaderVersion(api.apiKey, version);
    const header = decodeRequestHeader(r, hv);
    assert.equal(header.requestApiKey, api.apiKey, 'header api key');
    assert.equal(header.requestApiVersion, version, 'header api version');
    const body = api.decodeRequest(r, version);
    assert.equal(r.remaining, 0, `${r.remaining} bytes left after the body`);
    encodeRequestHeader(w, header, hv);
    api.encodeRequest(w, body, version);
  } else {
    const hv = responseHeaderVersion(api.apiKey, version);
    const header = decodeResponseHeader(r, hv);
    const bodyVersion = responseBodyVersion(g);
    const body = api.decodeResponse(r, bodyVersion);
    assert.equal(r.remaining, 0, `${r.remaining} bytes left after the body`);
    encodeResponseHeader(w, header, hv);
    api.encodeResponse(w, body, bodyVersion);
  }
  const again = Buffer.from(w.finish());
  if (!again.equals(frame.subarray(4))) {
    let at = 0;
    while (at < again.length && again[at] === frame[4 + at]) at++;
    assert.fail(`re-encoding differs at byte ${at} of ${frame.length - 4} (re-encoded ${again.length} bytes)`);
  }
}

const frames = loadGoldenFrames();

test('golden fixtures exist for every client', () => {
  const clients = new Set(frames.map((g) => g.client));
  for (const c of ['kcat', 'confluent-kafka', 'kafka-python', 'kafkajs', 'platformatic']) {
    assert.ok(clients.has(c), `fixtures from ${c}`);
  }
});

test('every golden frame decodes with all bytes consumed and re-encodes byte-exact', () => {
  const failures: string[] = [];
  for (const g of frames) {
    try {
      roundTrip(g);
    } catch (e) {
      failures.push(`${g.path}: ${(e as Error).message}`);
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${frames.length} golden frames failed`);
});

test('record sets in golden Produce requests decode and validate', () => {
  let batches = 0;
  for (const g of frames) {
    if (g.api.apiKey !== 0 || g.direction !== 'request') continue;
    const r = new Reader(g.frame, 4);
    decodeRequestHeader(r, requestHeaderVersion(0, g.version));
    const req = g.api.decodeRequest(r, g.version) as ProduceRequest;
    for (const t of req.topicData) {
      for (const p of t.partitionData) {
        if (p.records === null || p.records.length === 0) continue;
        const what = `${g.path} ${t.name}/${p.index}`;
        const v = validateRecordSet(p.records, 0, p.records.length, { produceVersion: g.version, allowLegacy: true });
        if (v.magic === 2) {
          const set = decodeRecordSet(p.records);
          assert.equal(set.batches.length, v.entries.length, what);
          for (const b of set.batches) assert.equal(b.records.length, b.header.recordCount, what);
        } else {
          for (const e of v.entries) assert.ok(decodeLegacyEntry(p.records, e.position).records.length > 0, what);
        }
        batches += v.entries.length;
      }
    }
  }
  assert.ok(batches > 0, 'golden Produce requests carry record batches');
});

test('record sets in golden Fetch responses decode', () => {
  let batches = 0;
  for (const g of frames) {
    if (g.api.apiKey !== 1 || g.direction !== 'response') continue;
    const r = new Reader(g.frame, 4);
    decodeResponseHeader(r, responseHeaderVersion(1, g.version));
    const res = g.api.decodeResponse(r, g.version) as FetchResponse;
    for (const t of res.responses) {
      for (const p of t.partitions) {
        if (p.records === null || p.records.length === 0) continue;
        const set = decodeRecordSet(p.records);
        for (const b of set.batches) assert.equal(b.records.length, b.header.recordCount, g.path);
        batches += set.batches.length;
      }
    }
  }
  assert.ok(batches > 0, 'golden Fetch responses carry record batches');
});
