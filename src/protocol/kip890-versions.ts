/**
 * API versions of Kafka 4.0 that the generated codecs do not know yet: the spec
 * snapshot in ../shared/kafka-protocol predates them. Each repeats the body of the
 * version before it (the number only changes what the broker does), so the codec of
 * that version reads and writes it:
 *
 * - Produce v12 = v11 (KIP-890 part 2): within a transaction, the partition leader adds
 *   the partition to the transaction itself (transactions v2).
 * - TxnOffsetCommit v5 = v4 (KIP-890 part 2): the group's __consumer_offsets partition is
 *   added to the transaction implicitly (no AddOffsetsToTxn).
 *
 * EndTxn v5 is in the snapshot but marked latestVersionUnstable there; Kafka 4.0
 * released it (the transactions-v2 EndTxn), so it is served as stable.
 */
import type { ApiSpec } from './generated/api-spec.ts';
import { EndTxnApi } from './generated/apis/end-txn.ts';
import { ProduceApi } from './generated/apis/produce.ts';
import { TxnOffsetCommitApi } from './generated/apis/txn-offset-commit.ts';

/** `api` served up to `maxVersion`, versions above the spec's newest coded as that one. */
export function extendedApi<Req, ReqInit, Res, ResInit>(api: ApiSpec<Req, ReqInit, Res, ResInit>, maxVersion: number): ApiSpec<Req, ReqInit, Res, ResInit> {
  const top = api.maxVersion;
  const v = (version: number): number => (version > top && version <= maxVersion ? top : version);
  return {
    ...api,
    maxVersion,
    encodeRequest: (w, body, version) => api.encodeRequest(w, body, v(version)),
    decodeRequest: (r, version) => api.decodeRequest(r, v(version)),
    encodeResponse: (w, body, version) => api.encodeResponse(w, body, v(version)),
    decodeResponse: (r, version) => api.decodeResponse(r, v(version)),
  };
}

/** Produce v0-12. */
export const ProduceApiKip890 = extendedApi(ProduceApi, 12);
/** TxnOffsetCommit v0-5. */
export const TxnOffsetCommitApiKip890 = extendedApi(TxnOffsetCommitApi, 5);
/** EndTxn v0-5, v5 stable. */
export const EndTxnApiKip890 = { ...EndTxnApi, latestVersionUnstable: false };
