/**
 * Loading __consumer_offsets at startup from batches as Kafka may have written them:
 * compressed, transactional (committed or aborted by a marker), with tombstones and
 * record types classic groups do not use.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/errors/index.ts';
import { CompressionCodec } from '../../../src/protocol/compression/codec.ts';
import { encodeGroupCoordinatorRecord } from '../../../src/protocol/generated/internal/coordinator-records.ts';
import type { GroupCoordinatorRecordInit } from '../../../src/protocol/generated/internal/coordinator-records.ts';
import { buildRecordBatch } from '../../../src/protocol/records/batch-builder.ts';
import { buildEndTransactionMarkerBatch } from '../../../src/protocol/records/control.ts';
import { GROUP_METADATA_TOPIC_NAME, ensureOffsetsTopic, groupCoordinatorOf } from '../../../src/broker/group/index.ts';
import { replayOffsetsPartition } from '../../../src/broker/group/offsets-topic.ts';
import type { Broker } from '../../../src/broker/broker.ts';
import { startGroupBroker } from './broker-helpers.ts';

function batch(records: GroupCoordinatorRecordInit[], opts: { compression?: CompressionCodec; producerId?: bigint; transactional?: boolean } = {}): Buffer {
  return buildRecordBatch(
    records.map((r, i) => {
      const { key, value } = encodeGroupCoordinatorRecord(r);
      return { offsetDelta: i, key, value };
    }),
    { baseTimestamp: Date.now(), compression: opts.compression, transactional: opts.transactional, producerId: opts.producerId, producerEpoch: opts.producerId === undefined ? undefined : 0, baseSequence: opts.producerId === undefined ? undefined : 0 },
  );
}

const commitRec = (group: string, partition: number, offset: bigint | null): GroupCoordinatorRecordInit => ({
  type: 'OffsetCommit',
  keyVersion: 1,
  key: { group, topic: 't', partition },
  valueVersion: 3,
  value: offset === null ? null : { offset, leaderEpoch: 2, metadata: `m${partition}`, commitTimestamp: BigInt(Date.now()) },
});

function append(broker: Broker, partition: number, data: Buffer): void {
  const log = broker.logs.getLog(GROUP_METADATA_TOPIC_NAME, partition)!;
  log.append(data, { leaderEpoch: 0, origin: 'coordinator' });
  log.maybeIncrementHighWatermark(log.logEndOffset);
}

test('startup replay: gzip batches, committed and aborted transactions, tombstones, foreign record types', async () => {
  const first = await startGroupBroker();
  const dir = first.dir;
  const group = 'loaded';
  const p = groupCoordinatorOf(first.broker).partitionFor(group);
  try {
    first.broker.topics.create('t', { partitions: 8 });
    assert.equal(ensureOffsetsTopic(first.broker), ErrorCode.NONE);
    append(
      first.broker,
      p,
      batch(
        [
          commitRec(group, 0, 5n),
          {
            type: 'GroupMetadata',
            keyVersion: 2,
            key: { group },
            valueVersion: 2,
            value: { protocolType: 'consumer', generation: 3, protocol: null, leader: null, currentStateTimestamp: BigInt(Date.now()), members: [] },
          },
          commitRec(group, 3, 30n),
        ],
        { compression: CompressionCodec.GZIP },
      ),
    );
    append(first.broker, p, batch([commitRec(group, 1, 9n)], { transactional: true, producerId: 1000n }));
    append(first.broker, p, batch([commitRec(group, 2, 11n)], { transactional: true, producerId: 1001n }));
    append(first.broker, p, buildEndTransactionMarkerBatch({ commit: false, producerId: 1000n, producerEpoch: 0, coordinatorEpoch: 0, timestamp: Date.now() }));
    append(first.broker, p, buildEndTransactionMarkerBatch({ commit: true, producerId: 1001n, producerEpoch: 0, coordinatorEpoch: 0, timestamp: Date.now() }));
    append(first.broker, p, batch([commitRec(group, 3, null)]));
    append(first.broker, p, batch([{ type: 'ConsumerGroupMetadata', key: { groupId: 'kip848' }, value: { epoch: 1 } } as GroupCoordinatorRecordInit]));
    // A plain replay of the partition, as the loader does it.
    const state = await replayOffsetsPartition(first.broker.logs.getLog(GROUP_METADATA_TOPIC_NAME, p)!, { chunkBytes: 64 });
    assert.equal(state.skipped, 1);
  } finally {
    await first.broker.close();
  }
  const second = await startGroupBroker({}, dir);
  try {
    const c = groupCoordinatorOf(second.broker);
    const r = c.fetchOffsets(group, [{ name: 't', partitionIndexes: [0, 1, 2, 3] }], false);
    assert.deepEqual(
      r.topics[0]!.partitions.map((x) => [x.partitionIndex, x.committedOffset, x.committedLeaderEpoch, x.metadata]),
      [
        [0, 5n, 2, 'm0'],
        [1, -1n, -1, ''],
        [2, 11n, 2, 'm2'],
        [3, -1n, -1, ''],
      ],
    );
    const d = c.describeGroup(group);
    assert.equal(d.groupState, 'Empty');
    assert.equal(d.protocolType, 'consumer');
    assert.equal(c.groups.get(group)!.generationId, 3);
    assert.ok(second.lines.some((l) => l.includes('Skipped 1 records')), second.lines.join('\n'));
  } finally {
    await second.close();
  }
});
