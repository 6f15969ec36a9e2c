/**
 * Partition calls go to each partition's leader, batched per leader, and follow
 * a leader that moved: scripted nodes where the first metadata names node 1 as
 * leader of both partitions, node 1 answers NOT_LEADER_OR_FOLLOWER for
 * partition 1, and fresh metadata names node 2.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Admin } from '../../../src/client/admin/admin.ts';
import { ErrorCode } from '../../../src/protocol/errors/index.ts';
import { encodeApiVersionsResponse } from '../../../src/protocol/generated/api-versions-response.ts';
import { decodeListOffsetsRequest } from '../../../src/protocol/generated/list-offsets-request.ts';
import { encodeListOffsetsResponse } from '../../../src/protocol/generated/list-offsets-response.ts';
import { encodeMetadataResponse } from '../../../src/protocol/generated/metadata-response.ts';
import { decodeRequestHeader } from '../../../src/protocol/generated/request-header.ts';
import { Reader } from '../../../src/protocol/primitives/reader.ts';
import { Writer } from '../../../src/protocol/primitives/writer.ts';
import { startFakeServer } from '../helpers.ts';
import type { FakeRequest, FakeServer } from '../helpers.ts';

describe('Admin: partition leader routing', () => {
  const nodes: FakeServer[] = [];
  /** (node, partitions asked) per ListOffsets request. */
  const asked: string[] = [];
  /** Leader of partition 1 in the metadata; 1 at first (stale). */
  let leaderOf1 = 1;
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
          if (req.apiKey === 18) {
            respond(req, socket, (w) =>
              encodeApiVersionsResponse(w, { apiKeys: [{ apiKey: 3, minVersion: 0, maxVersion: 8 }, { apiKey: 2, minVersion: 0, maxVersion: 5 }, { apiKey: 18, minVersion: 0, maxVersion: 2 }] }, req.apiVersion),
            );
          } else if (req.apiKey === 3) {
            const partition = (p: number, leader: number) => ({ errorCode: 0, partitionIndex: p, leaderId: leader, leaderEpoch: 0, replicaNodes: [leader], isrNodes: [leader], offlineReplicas: [] });
            respond(req, socket, (w) =>
              encodeMetadataResponse(
                w,
                {
                  brokers: nodes.map((n, i) => ({ nodeId: i + 1, host: '127.0.0.1', port: n.port })),
                  clusterId: 'fake',
                  controllerId: 1,
                  topics: [{ errorCode: 0, name: 't', isInternal: false, partitions: [partition(0, 1), partition(1, leaderOf1)] }],
                },
                req.apiVersion,
              ),
            );
          } else if (req.apiKey === 2) {
            const r = new Reader(req.frame);
            decodeRequestHeader(r, 1);
            const body = decodeListOffsetsRequest(r, req.apiVersion);
            const parts = body.topics.flatMap((t) => t.partitions.map((p) => p.partitionIndex));
            asked.push(`${id}:${parts.join(',')}`);
            respond(req, socket, (w) =>
              encodeListOffsetsResponse(
                w,
                {
                  topics: body.topics.map((t) => ({
                    name: t.name,
                    partitions: t.partitions.map((p) => {
                      const leads = p.partitionIndex === 0 ? id === 1 : id === 2;
                      return leads
                        ? { partitionIndex: p.partitionIndex, errorCode: 0, timestamp: -1n, offset: BigInt(100 * id + p.partitionIndex), leaderEpoch: 0 }
                        : { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
                    }),
                  })),
                },
                req.apiVersion,
              ),
            );
            // The moved leader shows in the next metadata.
            leaderOf1 = 2;
          }
        }),
      );
    }
    admin = new Admin({ bootstrapServers: `127.0.0.1:${nodes[0]!.port}`, retryBackoffMs: 5, retryBackoffMaxMs: 20, defaultApiTimeoutMs: 5_000 });
  });
  after(async () => {
    admin.close();
    for (const n of nodes) await n.close();
  });

  it('batches per leader, refreshes metadata on NOT_LEADER_OR_FOLLOWER and asks the new leader', async () => {
    const res = await admin.listOffsets([
      { topic: 't', partition: 0, spec: 'latest' },
      { topic: 't', partition: 1, spec: 'latest' },
    ]);
    assert.deepEqual(res.map((r) => [r.partition, r.offset, r.error]), [
      [0, 100n, null],
      [1, 201n, null],
    ]);
    assert.deepEqual(asked, ['1:0,1', '2:1']);
  });
});
