/**
 * Cross-checks against an independent implementation: @platformatic/kafka's
 * hand-written codecs (a dev dependency). Their requests decode with ours and
 * re-encode byte-exact; our responses parse with theirs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader as PlatformaticReader, apiVersionsV4, findCoordinatorV6, metadataV12, produceV11 } from '@platformatic/kafka';
import { Reader, Writer } from '../../../src/protocol/primitives/index.ts';
import {
  ZERO_UUID, decodeApiVersionsRequest, decodeFindCoordinatorRequest, decodeMetadataRequest, decodeProduceRequest,
  encodeApiVersionsRequest, encodeApiVersionsResponse, encodeFindCoordinatorRequest, encodeMetadataRequest,
  encodeMetadataResponse, encodeProduceRequest,
} from '../../../src/protocol/generated/index.ts';

type Encode<T> = (w: Writer, v: T, version: number) => void;

function reencode<T>(encode: Encode<T>, v: T, version: number): Buffer {
  const w = new Writer();
  encode(w, v, version);
  return w.finish();
}

test('Metadata v12 request from @platformatic/kafka decodes and re-encodes byte-exact', () => {
  const bytes: Buffer = metadataV12.createRequest(['foo', 'bar'], true, false).buffer;
  const req = decodeMetadataRequest(new Reader(bytes), 12);
  assert.deepStrictEqual(req.topics, [{ topicId: ZERO_UUID, name: 'foo' }, { topicId: ZERO_UUID, name: 'bar' }]);
  assert.equal(req.allowAutoTopicCreation, true);
  assert.deepEqual(reencode(encodeMetadataRequest, req, 12), bytes);
});

test('Produce v11 request with a real record batch from @platformatic/kafka', () => {
  const bytes: Buffer = produceV11.createRequest(-1, 5000, [
    { topic: 'events', partition: 2, key: Buffer.from('k'), value: Buffer.from('hello') },
  ]).buffer;
  const req = decodeProduceRequest(new Reader(bytes), 11);
  assert.equal(req.acks, -1);
  assert.equal(req.timeoutMs, 5000);
  assert.equal(req.topicData[0]!.name, 'events');
  const part = req.topicData[0]!.partitionData[0]!;
  assert.equal(part.index, 2);
  // A v2 record batch: baseOffset(8) batchLength(4) ... magic at byte 16 is 2.
  assert.equal(part.records![16], 2);
  assert.equal(part.records!.readInt32BE(8), part.records!.length - 12);
  assert.deepEqual(reencode(encodeProduceRequest, req, 11), bytes);
});

test('ApiVersions v4 and FindCoordinator v6 requests are byte-identical', () => {
  const theirs: Buffer = apiVersionsV4.createRequest('samsa', '0.1.0').buffer;
  assert.deepEqual(reencode(encodeApiVersionsRequest, { clientSoftwareName: 'samsa', clientSoftwareVersion: '0.1.0' }, 4), theirs);
  assert.deepStrictEqual(decodeApiVersionsRequest(new Reader(theirs), 4), { clientSoftwareName: 'samsa', clientSoftwareVersion: '0.1.0' });
  const fc: Buffer = findCoordinatorV6.createRequest(0, ['group-a']).buffer;
  const decoded = decodeFindCoordinatorRequest(new Reader(fc), 6);
  assert.deepStrictEqual(decoded.coordinatorKeys, ['group-a']);
  assert.deepEqual(reencode(encodeFindCoordinatorRequest, decoded, 6), fc);
});

test('our Metadata v12 and ApiVersions v4 responses parse with @platformatic/kafka', () => {
  const topicId = Buffer.alloc(16, 3).toString('base64url');
  const metadata = reencode(encodeMetadataResponse, {
    throttleTimeMs: 1,
    brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: 'r1' }],
    clusterId: 'cluster',
    controllerId: 1,
    topics: [{
      errorCode: 0, name: 'foo', topicId, isInternal: false,
      partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 4, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }],
      topicAuthorizedOperations: 0,
    }],
  }, 12);
  const parsed = metadataV12.parseResponse(1, 3, 12, PlatformaticReader.from(metadata));
  assert.equal(parsed.clusterId, 'cluster');
  assert.deepEqual(parsed.brokers, [{ nodeId: 1, host: 'localhost', port: 9092, rack: 'r1' }]);
  assert.equal(parsed.topics[0]!.name, 'foo');
  assert.equal(parsed.topics[0]!.topicId, Buffer.alloc(16, 3).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-'));
  assert.equal(parsed.topics[0]!.partitions[0]!.leaderEpoch, 4);

  const versions = reencode(encodeApiVersionsResponse, {
    apiKeys: [{ apiKey: 0, minVersion: 3, maxVersion: 11 }, { apiKey: 18, minVersion: 0, maxVersion: 4 }],
    supportedFeatures: [{ name: 'metadata.version', minVersion: 1, maxVersion: 20 }],
    finalizedFeaturesEpoch: 9n,
  }, 4);
  const av = apiVersionsV4.parseResponse(0, 18, 4, PlatformaticReader.from(versions));
  assert.deepEqual(av.apiKeys.map((k: { apiKey: number; maxVersion: number }) => [k.apiKey, k.maxVersion]), [[0, 11], [18, 4]]);
  assert.equal(av.finalizedFeaturesEpoch, 9n);
  assert.deepEqual(av.supportedFeatures, [{ name: 'metadata.version', minVersion: 1, maxVersion: 20 }]);
});
