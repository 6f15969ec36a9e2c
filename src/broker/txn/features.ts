/**
 * The `transaction.version` feature (KIP-890 part 2, Kafka 4.0), as ApiVersions
 * advertises it: SupportedFeatures transaction.version 0-2, FinalizedFeatures at the
 * level in force. Kafka finalizes the level in the cluster metadata (kafka-storage
 * format --feature, kafka-features upgrade); a new Kafka 4.0 cluster runs level 2.
 * Samsa reads it from `samsa.transaction.version` (default 2).
 *
 * Level 2 = transactions v2: a client that sees it finalized sends EndTxn v5 (epoch
 * bump per transaction), Produce v12 with transactional batches and no
 * AddPartitionsToTxn (the partition leader adds the partition), TxnOffsetCommit v5 with
 * no AddOffsetsToTxn. Level 1 only changes the __transaction_state value version (1,
 * flexible, with the tagged PreviousProducerId / NextProducerId /
 * ClientTransactionVersion); level 0 writes value version 0.
 *
 * Kafka keys the v2 behaviour on the request version alone; Samsa also requires the
 * finalized level to be 2, so pinning it below 2 really turns v2 off (Produce v12 then
 * only verifies, EndTxn v5 does not bump the epoch).
 */
import type { BrokerContext } from '../broker-context.ts';

export const TRANSACTION_VERSION_FEATURE = 'transaction.version';
export const TRANSACTION_VERSION_MIN = 0;
export const TRANSACTION_VERSION_MAX = 2;
/** Kafka's TransactionVersion.TV_2: the first level with the per-transaction epoch bump. */
export const TV_2 = 2;

/** The finalized transaction.version level of this broker. */
export function transactionVersionLevel(broker: BrokerContext): number {
  let level = TRANSACTION_VERSION_MAX;
  try {
    level = broker.config.int('samsa.transaction.version');
  } catch {
    // config def missing: Kafka 4.0's default
  }
  if (!Number.isInteger(level)) return TRANSACTION_VERSION_MAX;
  return Math.max(TRANSACTION_VERSION_MIN, Math.min(TRANSACTION_VERSION_MAX, level));
}

/** Whether transactions v2 are finalized on this broker. */
export function transactionsV2Enabled(broker: BrokerContext): boolean {
  return transactionVersionLevel(broker) >= TV_2;
}

/**
 * ApiVersions v3+ feature lists. Before v4 a feature whose minimum supported level is
 * 0 is left out of SupportedFeatures (older clients reject a 0 minimum:
 * KAFKA-17011/KAFKA-17492). A finalized level 0 is not listed (Kafka drops features
 * at level 0 from the finalized set).
 */
export function apiVersionsFeatures(broker: BrokerContext, apiVersion: number): {
  supportedFeatures: { name: string; minVersion: number; maxVersion: number }[];
  finalizedFeaturesEpoch: bigint;
  finalizedFeatures: { name: string; maxVersionLevel: number; minVersionLevel: number }[];
} {
  const level = transactionVersionLevel(broker);
  const supportedFeatures = apiVersion >= 4 || TRANSACTION_VERSION_MIN > 0 ? [{ name: TRANSACTION_VERSION_FEATURE, minVersion: TRANSACTION_VERSION_MIN, maxVersion: TRANSACTION_VERSION_MAX }] : [];
  const finalizedFeatures = level > 0 ? [{ name: TRANSACTION_VERSION_FEATURE, maxVersionLevel: level, minVersionLevel: level }] : [];
  return { supportedFeatures, finalizedFeaturesEpoch: 0n, finalizedFeatures };
}
