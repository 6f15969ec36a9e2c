/**
 * The group's coordinator, as both memberships (classic: coordinator.ts, KIP-848:
 * consumer-membership.ts) reach it: FindCoordinator (retried on retriable errors,
 * the metadata invalidated every 50 attempts), then a dedicated connection to it,
 * so group requests never wait behind a long-polling Fetch on the same broker (as
 * Java). A request failing with NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE, or on
 * the connection, calls markUnknown(): the next ensure() looks the coordinator up again.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors/index.ts';
import { FindCoordinatorApi } from '../../protocol/generated/api-keys.ts';
import { BrokerConnection } from '../network/broker-connection.ts';
import type { Cluster } from '../network/cluster.ts';
import type { ConsumerSettings } from './config.ts';
import { sleep } from './fetcher.ts';

export class GroupCoordinatorLink {
  private readonly cluster: Cluster;
  private readonly groupId: string;
  private readonly o: ConsumerSettings;
  private coordinator: BrokerConnection | null = null;
  private finding: Promise<BrokerConnection> | null = null;
  private closed = false;

  constructor(cluster: Cluster, groupId: string, o: ConsumerSettings) {
    this.cluster = cluster;
    this.groupId = groupId;
    this.o = o;
  }

  /** The coordinator connection if there is one (null: unknown or closed). */
  get current(): BrokerConnection | null {
    return this.coordinator;
  }

  /** The coordinator connection, found (and connected to) first when unknown. */
  async ensure(): Promise<BrokerConnection> {
    if (this.coordinator && !this.coordinator.closed) return this.coordinator;
    this.finding ??= this.find().finally(() => {
      this.finding = null;
    });
    return this.finding;
  }

  private async find(): Promise<BrokerConnection> {
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new Error('consumer is closed');
      try {
        const conn = await this.cluster.anyConnection();
        const v = conn.versionFor(FindCoordinatorApi);
        const res = await conn.send(FindCoordinatorApi, v >= 4 ? { keyType: 0, coordinatorKeys: [this.groupId] } : { key: this.groupId, keyType: 0 }, { version: v });
        const c = v >= 4 ? res.coordinators[0] : { errorCode: res.errorCode, errorMessage: res.errorMessage, nodeId: res.nodeId, host: res.host, port: res.port };
        if (!c) throw KafkaError.from(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'empty FindCoordinator response');
        if (c.errorCode !== ErrorCode.NONE) throw KafkaError.from(c.errorCode, c.errorMessage ?? `FindCoordinator ${this.groupId}`);
        const conn2 = await BrokerConnection.connect({
          host: c.host,
          port: c.port,
          nodeId: c.nodeId,
          clientId: this.o.clientId,
          requestTimeoutMs: this.o.requestTimeoutMs,
          connectTimeoutMs: this.o.connectTimeoutMs,
      busyPollUs: this.o.busyPollUs,
          onClose: (closedConn) => {
            if (this.coordinator === closedConn) this.coordinator = null;
          },
        });
        if (this.closed) {
          conn2.close();
          throw new Error('consumer is closed');
        }
        this.coordinator = conn2;
        return conn2;
      } catch (err) {
        if ((err as { retriable?: boolean }).retriable !== true) throw err;
        if (attempt > 0 && attempt % 50 === 0) this.cluster.invalidate();
        await sleep(this.o.retryBackoffMs);
      }
    }
  }

  /** Forgets (and closes) the coordinator connection: the next ensure() finds it again. */
  markUnknown(): void {
    const c = this.coordinator;
    this.coordinator = null;
    c?.close();
  }

  /** The consumer is closed: the connection closes, and no coordinator is looked up any more. */
  close(): void {
    this.closed = true;
    this.coordinator?.close();
    this.coordinator = null;
  }
}
