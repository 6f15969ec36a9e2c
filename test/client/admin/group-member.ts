/**
 * A classic-protocol group member spoken on the wire (JoinGroup, SyncGroup,
 * LeaveGroup), enough to give a group a member with a known assignment in
 * admin tests without timing: the session timeout is long, so no heartbeats.
 */
import { BrokerConnection } from '../../../src/client/network/broker-connection.ts';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors/index.ts';
import { JoinGroupApi, LeaveGroupApi, SyncGroupApi } from '../../../src/protocol/generated/api-keys.ts';
import { encodeConsumerProtocolAssignment } from '../../../src/protocol/generated/consumer-protocol-assignment.ts';
import { encodeConsumerProtocolSubscription } from '../../../src/protocol/generated/consumer-protocol-subscription.ts';
import { Writer } from '../../../src/protocol/primitives/writer.ts';

export interface Member {
  memberId: string;
  generationId: number;
  conn: BrokerConnection;
  leave(): Promise<void>;
}

function subscription(topics: string[]): Buffer {
  const w = new Writer(64);
  w.int16(0);
  encodeConsumerProtocolSubscription(w, { topics, userData: null }, 0);
  return Buffer.from(w.finish());
}

function assignment(parts: Record<string, number[]>): Buffer {
  const w = new Writer(64);
  w.int16(0);
  encodeConsumerProtocolAssignment(w, { assignedPartitions: Object.entries(parts).map(([topic, partitions]) => ({ topic, partitions })), userData: null }, 0);
  return Buffer.from(w.finish());
}

/** Joins `groupId` as its only member (the broker needs group.initial.rebalance.delay.ms=0) and takes `parts`. */
export async function joinAsOnlyMember(host: string, port: number, groupId: string, parts: Record<string, number[]>, clientId = 'member-client'): Promise<Member> {
  const conn = await BrokerConnection.connect({ host, port, clientId });
  const join = (memberId: string) =>
    conn.send(JoinGroupApi, {
      groupId,
      sessionTimeoutMs: 60_000,
      rebalanceTimeoutMs: 60_000,
      memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscription(Object.keys(parts)) }],
      reason: null,
    });
  let res = await join('');
  if (res.errorCode === ErrorCode.MEMBER_ID_REQUIRED) res = await join(res.memberId);
  if (res.errorCode !== ErrorCode.NONE) throw KafkaError.from(res.errorCode, 'JoinGroup');
  const memberId = res.memberId;
  const sync = await conn.send(SyncGroupApi, {
    groupId,
    generationId: res.generationId,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocolName: res.protocolName,
    assignments: [{ memberId, assignment: assignment(parts) }],
  });
  if (sync.errorCode !== ErrorCode.NONE) throw KafkaError.from(sync.errorCode, 'SyncGroup');
  return {
    memberId,
    generationId: res.generationId,
    conn,
    async leave() {
      try {
        await conn.send(LeaveGroupApi, { groupId, members: [{ memberId, groupInstanceId: null, reason: null }] }, { version: 5 });
      } finally {
        conn.close();
      }
    },
  };
}
