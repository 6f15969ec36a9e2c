/**
 * Group calls find their coordinator and follow it: scripted nodes answer
 * COORDINATOR_NOT_AVAILABLE, then name node 1, which answers NOT_COORDINATOR,
 * then name node 2, which answers. The admin retries (with backoff) through it
 * all, as Kafka's Admin does, and gives up with the last error at its deadline.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Admin } from '../../../src/client/admin/admin.ts';
import { ErrorCode } from '../../../src/protocol/errors/index.ts';
import { encodeApiVersionsResponse } from '../../../src/protocol/generated/api-versions-response.ts';
import { encodeDeleteGroupsResponse } from '../../../src/protocol/generated/delete-groups-response.ts';
import { encodeDescribeGroupsResponse } from '../../../src/protocol/generated/describe-groups-response.ts';
import { encodeFindCoordinatorResponse } from '../../../src/protocol/generated/find-coordinator-response.ts';
import { encodeMetadataResponse } from '../../../src/protocol/generated/metadata-response.ts';
import { Writer } from '../../../src/protocol/primitives/writer.ts';
import { startFakeServer } from '../helpers.ts';
import type { FakeRequest, FakeServer } from '../helpers.ts';

const API = { Metadata: 3, FindCoordinator: 10, DescribeGroups: 15, ApiVersions: 18, DeleteGroups: 42 } as const;

describe('Admin: group coordinator routing', () => {
  const nodes: FakeServer[] = [];
  const log: string[] = [];
  /** What FindCoordinator answers next (consumed in order; the last one repeats). */
  let findAnswers: { errorCode: number; nodeId: number }[] = [];
  /** Per node: the DescribeGroups error code it answers. */
  const describeError = new Map<number, number>();
  let admin: Admin;

  const respond = (req: FakeRequest, socket: Socket, encode: (w: Writer) => void): void => {
    const w = new Writer(256);
    w.int32(0).int32(req.correlationId);
    encode(w);
    const out = w.finish();
    out.writeInt32BE(out.length - 4, 0);
    socket.write(Buffer.from(out));
  };

  before(async () => {
    for (let id = 1; id <= 2; id++) {
      nodes.push(
        await startFakeServer((req, socket) => {
          const name = Object.entries(API).find(([, k]) => k === req.apiKey)?.[0] ?? String(req.apiKey);
          if (req.apiKey !== API.ApiVersions && req.apiKey !== API.Metadata) log.push(`${name}@${id}`);
          switch (req.apiKey) {
            case API.ApiVersions:
              // Non-flexible versions only, so responses need no tagged fields.
              return respond(req, socket, (w) =>
                encodeApiVersionsResponse(
                  w,
                  {
                    apiKeys: [
                      { apiKey: API.Metadata, minVersion: 0, maxVersion: 8 },
                      { apiKey: API.FindCoordinator, minVersion: 0, maxVersion: 2 },
                      { apiKey: API.DescribeGroups, minVersion: 0, maxVersion: 4 },
                      { apiKey: API.ApiVersions, minVersion: 0, maxVersion: 2 },
                      { apiKey: API.DeleteGroups, minVersion: 0, maxVersion: 1 },
                    ],
                  },
                  req.apiVersion,
                ),
              );
            case API.Metadata:
              return respond(req, socket, (w) =>
                encodeMetadataResponse(w, { brokers: nodes.map((n, i) => ({ nodeId: i + 1, host: '127.0.0.1', port: n.port })), clusterId: 'fake', controllerId: 1, topics: [] }, req.apiVersion),
              );
            case API.FindCoordinator: {
              const a = findAnswers.length > 1 ? findAnswers.shift()! : findAnswers[0]!;
              const port = a.nodeId > 0 ? nodes[a.nodeId - 1]!.port : -1;
              return respond(req, socket, (w) =>
                encodeFindCoordinatorResponse(w, { errorCode: a.errorCode, errorMessage: null, nodeId: a.errorCode === 0 ? a.nodeId : -1, host: a.errorCode === 0 ? '127.0.0.1' : '', port: a.errorCode === 0 ? port : -1 }, req.apiVersion),
              );
            }
            case API.DescribeGroups: {
              const code = describeError.get(id) ?? ErrorCode.NONE;
              return respond(req, socket, (w) =>
                encodeDescribeGroupsResponse(
                  w,
                  { groups: [{ errorCode: code, groupId: 'g', groupState: code === 0 ? 'Empty' : '', protocolType: code === 0 ? 'consumer' : '', protocolData: '', members: [] }] },
                  req.apiVersion,
                ),
              );
            }
            case API.DeleteGroups:
              return respond(req, socket, (w) => encodeDeleteGroupsResponse(w, { results: [{ groupId: 'g', errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS }] }, req.apiVersion));
          }
        }),
      );
    }
    admin = new Admin({ bootstrapServers: `127.0.0.1:${nodes[0]!.port}`, retryBackoffMs: 5, retryBackoffMaxMs: 20, defaultApiTimeoutMs: 2_000 });
  });
  after(async () => {
    admin.close();
    for (const n of nodes) await n.close();
  });

  it('retries COORDINATOR_NOT_AVAILABLE, follows NOT_COORDINATOR to the new coordinator', async () => {
    findAnswers = [
      { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 },
      { errorCode: ErrorCode.NONE, nodeId: 1 },
      { errorCode: ErrorCode.NONE, nodeId: 2 },
    ];
    describeError.set(1, ErrorCode.NOT_COORDINATOR);
    log.length = 0;
    const [d] = await admin.describeConsumerGroups(['g']);
    assert.equal(d!.error, null);
    assert.equal(d!.state, 'Empty');
    assert.equal(d!.coordinator?.id, 2);
    assert.deepEqual(log, ['FindCoordinator@1', 'FindCoordinator@1', 'DescribeGroups@1', 'FindCoordinator@1', 'DescribeGroups@2']);
    // The coordinator is cached: no lookup the second time.
    log.length = 0;
    await admin.describeConsumerGroups(['g']);
    assert.deepEqual(log, ['DescribeGroups@2']);
  });

  it('gives up at default.api.timeout.ms with the last coordinator error', async () => {
    const res = await admin.deleteConsumerGroups(['g']);
    assert.equal(res[0]!.error?.code, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    assert.ok(log.filter((l) => l.startsWith('DeleteGroups')).length > 1, 'retried before giving up');
  });
});
