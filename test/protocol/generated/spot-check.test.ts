/**
 * Hand-built frames, byte by byte from the Kafka protocol guide, checked against
 * the generated codecs; plus the API table, header helpers and record framing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer, ProtocolDecodeError, ProtocolEncodeError } from '../../../src/protocol/primitives/index.ts';
import {
  API_BY_KEY, API_LIST, APIS, ApiKey, ZERO_UUID,
  decodeApiVersionsRequest, decodeApiVersionsResponse, decodeMetadataRequest, decodeMetadataResponse,
  decodeProduceRequest, decodeRequestHeader, decodeResponseHeader,
  encodeApiVersionsRequest, encodeApiVersionsResponse, encodeMetadataRequest, encodeRequestHeader,
  decodeGroupCoordinatorRecord, encodeGroupCoordinatorRecord, decodeMetadataRecord, encodeMetadataRecord,
  decodeTransactionCoordinatorRecord, encodeTransactionCoordinatorRecord,
  requestHeaderVersion, responseHeaderVersion,
} from '../../../src/protocol/generated/index.ts';

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

function str16(s: string): string {
  return Buffer.from([0, s.length]).toString('hex') + Buffer.from(s).toString('hex');
}

function compact(s: string): string {
  return Buffer.from([s.length + 1]).toString('hex') + Buffer.from(s).toString('hex');
}

test('ApiVersionsRequest v3 frame matches the bytes a Kafka client sends', () => {
  const w = new Writer();
  w.int32(0); // size, patched below
  encodeRequestHeader(w, { requestApiKey: 18, requestApiVersion: 3, correlationId: 1, clientId: 'samsa' }, requestHeaderVersion(18, 3));
  encodeApiVersionsRequest(w, { clientSoftwareName: 'samsa', clientSoftwareVersion: '0.1.0' }, 3);
  const frame = w.finish();
  frame.writeInt32BE(frame.length - 4, 0);
  const expected = hex(`
    0000001d
    0012 0003 00000001 ${str16('samsa')} 00
    ${compact('samsa')} ${compact('0.1.0')} 00`);
  assert.deepEqual(frame, expected);

  const r = new Reader(frame, 4);
  const header = decodeRequestHeader(r, 2);
  assert.deepStrictEqual(header, { requestApiKey: 18, requestApiVersion: 3, correlationId: 1, clientId: 'samsa' });
  assert.deepStrictEqual(decodeApiVersionsRequest(r, 3), { clientSoftwareName: 'samsa', clientSoftwareVersion: '0.1.0' });
  assert.equal(r.remaining, 0);
});

test('a hand-built Produce v3 request decodes', () => {
  const frame = hex(`
    0000 0003 0000002a ${str16('test')}
    ffff 0001 00007530
    00000001 ${str16('topic')}
      00000001 00000000 00000003 616263`);
  const r = new Reader(frame);
  const header = decodeRequestHeader(r, requestHeaderVersion(0, 3));
  assert.deepStrictEqual(header, { requestApiKey: 0, requestApiVersion: 3, correlationId: 42, clientId: 'test' });
  const req = decodeProduceRequest(r, 3);
  assert.equal(r.remaining, 0);
  assert.equal(req.transactionalId, null);
  assert.equal(req.acks, 1);
  assert.equal(req.timeoutMs, 30000);
  assert.equal(req.topicData.length, 1);
  assert.equal(req.topicData[0]!.name, 'topic');
  assert.equal(req.topicData[0]!.partitionData[0]!.index, 0);
  assert.deepEqual(req.topicData[0]!.partitionData[0]!.records, Buffer.from('abc'));
  // Records are a view of the input, not a copy.
  assert.equal(req.topicData[0]!.partitionData[0]!.records!.buffer, frame.buffer);
});

test('a hand-built Metadata v0 response decodes, with defaults for later fields', () => {
  const body = hex(`
    00000001 00000001 ${str16('localhost')} 00002384
    00000001 0000 ${str16('foo')}
      00000001 0000 00000000 00000001 00000001 00000001 00000001 00000001`);
  const r = new Reader(body);
  assert.deepStrictEqual(decodeMetadataResponse(r, 0), {
    throttleTimeMs: 0,
    brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
    clusterId: null,
    controllerId: -1,
    topics: [{
      errorCode: 0, name: 'foo', topicId: ZERO_UUID, isInternal: false,
      partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: -1, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }],
      topicAuthorizedOperations: -2147483648,
    }],
    clusterAuthorizedOperations: -2147483648,
  });
  assert.equal(r.remaining, 0);
});

test('a flexible Metadata v9 request: compact arrays, compact strings, tag buffers', () => {
  const body = hex(`02 ${compact('foo')} 00  01 00 00  00`);
  const req = decodeMetadataRequest(new Reader(body), 9);
  assert.deepStrictEqual(req, {
    topics: [{ topicId: ZERO_UUID, name: 'foo' }],
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  const w = new Writer();
  encodeMetadataRequest(w, req, 9);
  assert.deepEqual(w.finish(), body);
  // Null topics (all topics) is v1+; v0 cannot say it.
  const all = new Writer();
  encodeMetadataRequest(all, { topics: null }, 1);
  assert.deepEqual(all.finish(), hex('ffffffff'));
  assert.throws(() => encodeMetadataRequest(new Writer(), { topics: null }, 0), ProtocolEncodeError);
});

test('known tagged fields are written only when not default, in tag order, merged with unknown ones', () => {
  const w = new Writer();
  encodeApiVersionsResponse(w, {
    errorCode: 0,
    apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }],
    throttleTimeMs: 0,
    finalizedFeaturesEpoch: 5n,
    _unknownTaggedFields: [{ tag: 9, data: Buffer.from([0xaa]) }, { tag: 0x85, data: Buffer.from([0xbb, 0xcc]) }],
  }, 3);
  const expected = hex(`
    0000
    02 0012 0000 0004 00
    00000000
    03
      01 08 0000000000000005
      09 01 aa
      8501 02 bbcc`);
  assert.deepEqual(w.finish(), expected);
  const back = decodeApiVersionsResponse(new Reader(expected), 3);
  assert.equal(back.finalizedFeaturesEpoch, 5n);
  assert.deepStrictEqual(back.supportedFeatures, []);
  assert.deepStrictEqual(back._unknownTaggedFields, [{ tag: 9, data: Buffer.from([0xaa]) }, { tag: 0x85, data: Buffer.from([0xbb, 0xcc]) }]);
  // An unknown field may not reuse a known tag.
  assert.throws(() => encodeApiVersionsResponse(new Writer(), { finalizedFeaturesEpoch: 1n, _unknownTaggedFields: [{ tag: 1, data: Buffer.alloc(0) }] }, 3), ProtocolEncodeError);
});

test('a tagged field larger than 127 bytes gets a multi-byte size', () => {
  const host = 'h'.repeat(300);
  const w = new Writer(8);
  encodeApiVersionsResponse(w, { supportedFeatures: [{ name: host, minVersion: 1, maxVersion: 2 }] }, 3);
  const back = decodeApiVersionsResponse(new Reader(w.finish()), 3);
  assert.equal(back.supportedFeatures[0]!.name, host);
});

test('header versions follow flexibility; ApiVersions responses always use v0', () => {
  assert.equal(requestHeaderVersion(ApiKey.ApiVersions, 2), 1);
  assert.equal(requestHeaderVersion(ApiKey.ApiVersions, 3), 2);
  assert.equal(requestHeaderVersion(ApiKey.ApiVersions, 99), 2);
  assert.equal(responseHeaderVersion(ApiKey.ApiVersions, 3), 0);
  assert.equal(requestHeaderVersion(ApiKey.Produce, 8), 1);
  assert.equal(requestHeaderVersion(ApiKey.Produce, 9), 2);
  assert.equal(responseHeaderVersion(ApiKey.Produce, 8), 0);
  assert.equal(responseHeaderVersion(ApiKey.Produce, 9), 1);
  assert.equal(requestHeaderVersion(ApiKey.ControlledShutdown, 0), 0);
  assert.equal(requestHeaderVersion(ApiKey.ControlledShutdown, 1), 1);
  assert.equal(requestHeaderVersion(9999, 0), 1);
  // Response header v1 is the correlation id and an empty tag buffer.
  const r = new Reader(hex('0000000700'));
  assert.deepStrictEqual(decodeResponseHeader(r, 1), { correlationId: 7 });
  assert.equal(r.remaining, 0);
  // Request header v0 has no client id.
  const w = new Writer();
  encodeRequestHeader(w, { requestApiKey: 7, requestApiVersion: 0, correlationId: 3 }, 0);
  assert.deepEqual(w.finish(), hex('0007 0000 00000003'));
});

test('the API table covers every API key with its codecs', () => {
  assert.equal(ApiKey.Produce, 0);
  assert.equal(ApiKey.Fetch, 1);
  assert.equal(ApiKey.ApiVersions, 18);
  assert.equal(API_BY_KEY.size, API_LIST.length);
  assert.equal(API_LIST.length, Object.keys(ApiKey).length);
  const produce = API_BY_KEY.get(0)!;
  assert.equal(produce.name, 'Produce');
  assert.equal(produce.flexibleFrom, 9);
  assert.deepStrictEqual(produce.deprecatedVersions, { min: 0, max: 6 });
  assert.equal(APIS.Produce, produce);
  for (const api of API_LIST) {
    assert.equal(API_BY_KEY.get(api.apiKey), api);
    assert.ok(api.minVersion <= api.maxVersion, api.name);
    // Routing generically: encode an all-defaults request and response at every version.
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      const w = new Writer();
      api.encodeRequest(w, {}, v);
      const req = api.decodeRequest(new Reader(w.finish()), v);
      const w2 = new Writer();
      api.encodeRequest(w2, req, v);
      assert.deepEqual(w2.finish(), w.finish(), `${api.name} v${v}`);
      const w3 = new Writer();
      api.encodeResponse(w3, {}, v);
      api.decodeResponse(new Reader(w3.finish()), v);
    }
  }
});

test('metadata record framing: frame version 1, type, version, body', () => {
  const topicId = Buffer.alloc(16, 7).toString('base64url');
  const frame = hex(`01 02 00 ${compact('foo')} ${Buffer.alloc(16, 7).toString('hex')} 00`);
  assert.deepEqual(encodeMetadataRecord({ type: 'TopicRecord', version: 0, record: { name: 'foo', topicId } }), frame);
  assert.deepStrictEqual(decodeMetadataRecord(frame), { type: 'TopicRecord', version: 0, record: { name: 'foo', topicId } });
  assert.throws(() => decodeMetadataRecord(Buffer.concat([frame, Buffer.from([0])])), ProtocolDecodeError);
  assert.throws(() => decodeMetadataRecord(hex('00 02 00')), ProtocolDecodeError);
  assert.throws(() => decodeMetadataRecord(hex('01 7f 00')), ProtocolDecodeError);
});

test('coordinator record framing: int16 record type + key, int16 version + value', () => {
  const key = hex(`0001 ${str16('g')} ${str16('t')} 00000005`);
  const value = hex(`0003 0000000000000064 00000007 0000 00000000000003e8`);
  const rec = decodeGroupCoordinatorRecord(key, value);
  assert.deepStrictEqual(rec, {
    type: 'OffsetCommit', keyVersion: 1, key: { group: 'g', topic: 't', partition: 5 },
    valueVersion: 3, value: { offset: 100n, leaderEpoch: 7, metadata: '', commitTimestamp: 1000n, expireTimestamp: -1n },
  });
  const again = encodeGroupCoordinatorRecord({ type: 'OffsetCommit', key: rec.key, valueVersion: 3, value: rec.value as never });
  assert.deepEqual(again.key, key);
  assert.deepEqual(again.value, value);
  const tombstone = encodeGroupCoordinatorRecord({ type: 'GroupMetadata', key: { group: 'g' }, value: null });
  assert.equal(tombstone.value, null);
  assert.deepStrictEqual(decodeGroupCoordinatorRecord(tombstone.key, null), {
    type: 'GroupMetadata', keyVersion: 2, key: { group: 'g' }, valueVersion: null, value: null,
  });
  assert.throws(() => decodeGroupCoordinatorRecord(hex('7fff'), null), ProtocolDecodeError);
  const txn = encodeTransactionCoordinatorRecord({ type: 'TransactionLog', key: { transactionalId: 'tx' }, value: { producerId: 9n } });
  const txnBack = decodeTransactionCoordinatorRecord(txn.key, txn.value);
  assert.equal(txnBack.type, 'TransactionLog');
  assert.equal(txnBack.value!.producerId, 9n);
});
