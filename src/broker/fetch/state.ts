import { ErrorCode } from '../../protocol/errors/index.ts';
import type { BrokerContext } from '../broker-context.ts';
import { ProducerIdManager } from '../producer-ids.ts';
import type { DelayedOperation } from '../purgatory/purgatory.ts';
import { Purgatory } from '../purgatory/purgatory.ts';
import { FetchSessionCache } from './fetch-session.ts';

/**
 * Per-broker state of the data-plane handlers (produce, fetch, InitProducerId):
 * the fetch purgatory, the fetch session cache and the producer id allocator. Kept
 * beside the broker (a WeakMap keyed by it) so several brokers in one process (tests)
 * stay apart and the Broker class needs no fields for them.
 */
export interface DataPlaneState {
  readonly fetchPurgatory: Purgatory<DelayedOperation>;
  readonly fetchSessions: FetchSessionCache;
  readonly producerIds: ProducerIdManager;
}

const states = new WeakMap<BrokerContext, DataPlaneState>();

function intConfig(broker: BrokerContext, name: string, fallback: number): number {
  const raw = broker.config.raw(name);
  const n = raw === null ? NaN : Number(raw);
  return Number.isFinite(n) ? n : fallback;
}

export function dataPlane(broker: BrokerContext): DataPlaneState {
  let s = states.get(broker);
  if (!s) {
    s = {
      fetchPurgatory: new Purgatory({ name: 'Fetch', maxOperations: intConfig(broker, 'samsa.fetch.purgatory.max.operations', 10_000) }),
      fetchSessions: new FetchSessionCache({
        maxSlots: intConfig(broker, 'max.incremental.fetch.session.cache.slots', 1000),
        evictionMs: intConfig(broker, 'min.incremental.fetch.session.eviction.ms', 120_000),
      }),
      producerIds: new ProducerIdManager(broker.config.logDirs[0]!),
    };
    states.set(broker, s);
  }
  return s;
}

/** The purgatory key of a partition. */
export function partitionWatchKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/**
 * Tells waiting fetches that `topic`-`partition` has new data (or a new high
 * watermark). The produce handler calls it after each append; anything else that
 * appends to a log (coordinators writing their topics) should call it too, else
 * long-polling consumers of that partition only answer at max_wait_ms.
 */
export function notifyPartitionChanged(broker: BrokerContext, topic: string, partition: number): void {
  const s = states.get(broker);
  if (s && s.fetchPurgatory.size > 0) s.fetchPurgatory.checkAndComplete(partitionWatchKey(topic, partition));
}

/**
 * The leader epoch of a partition. A single node has led every partition since it
 * was created, in epoch 0 (what Metadata reports); replication will replace this.
 */
export function leaderEpochOf(_broker: BrokerContext, _topic: string, _partition: number): number {
  return 0;
}

/** Kafka's check of a request's current_leader_epoch: 0 when fine, else the error code. */
export function checkLeaderEpoch(requestEpoch: number, leaderEpoch: number): number {
  if (requestEpoch < 0 || requestEpoch === leaderEpoch) return 0;
  return requestEpoch > leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
}
