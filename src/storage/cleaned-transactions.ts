/**
 * Which transaction markers a compaction pass may remove (Kafka's
 * CleanedTransactionMetadata). The cleaner walks the log in offset order and tells
 * this tracker about every transactional batch it reads:
 *
 * - A COMMIT or ABORT marker is needed while any data batch of its transaction is
 *   still in the log: without it, recovery would take the transaction for an open
 *   one and hold the last stable offset. So a marker whose transaction had a batch
 *   read in this pass stays (the next pass, after that batch is compacted away or
 *   dropped as aborted, decides again).
 * - A marker with no batch left is removable. The cleaner then gives it a delete
 *   horizon (delete.retention.ms, as for tombstones, KIP-534) and removes it on a
 *   pass after the horizon: a consumer that read the transaction's records before
 *   they were cleaned still sees its marker.
 * - An aborted transaction with no batch left also loses its `.txnindex` entry.
 *   The entry has to go before the marker does: a read_committed consumer that got
 *   the entry but never meets the ABORT marker would keep skipping that producer's
 *   later batches.
 */
import type { AbortedTxn } from './txn-index.ts';

/** Control record types (Kafka's ControlRecordType). */
export const CONTROL_ABORT = 0;
export const CONTROL_COMMIT = 1;

export interface MarkerDecision {
  /** No batch of the marker's transaction is left: the marker may go after its horizon. */
  removable: boolean;
  /** An aborted transaction whose `.txnindex` entry can be dropped now. */
  dropIndexEntry: AbortedTxn | null;
}

export class CleanedTransactions {
  /** Aborted transactions not yet reached, by first offset. */
  private readonly pending: AbortedTxn[];
  private next = 0;
  /** Aborted transactions begun and not yet ended (by producer id): whether a batch of theirs was read. */
  private readonly ongoingAborted = new Map<number, { txn: AbortedTxn; batchRead: boolean }>();
  /** Producers with a committed (not aborted) transaction whose batch was read since its last marker. */
  private readonly ongoingCommitted = new Set<number>();

  constructor(aborted: readonly AbortedTxn[]) {
    this.pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  }

  private reach(offset: number): void {
    while (this.next < this.pending.length && this.pending[this.next]!.firstOffset <= offset) {
      const txn = this.pending[this.next++]!;
      this.ongoingAborted.set(txn.producerId, { txn, batchRead: false });
    }
  }

  /** A transactional data batch was read (kept or not). */
  onDataBatch(producerId: number, lastOffset: number): void {
    this.reach(lastOffset);
    const aborted = this.ongoingAborted.get(producerId);
    if (aborted !== undefined) aborted.batchRead = true;
    else this.ongoingCommitted.add(producerId);
  }

  /** A COMMIT or ABORT marker (`type`) was read. */
  onMarker(producerId: number, lastOffset: number, type: number): MarkerDecision {
    this.reach(lastOffset);
    if (type === CONTROL_ABORT) {
      const aborted = this.ongoingAborted.get(producerId);
      this.ongoingAborted.delete(producerId);
      // (A batch read with no index entry for it counts as read, whatever the marker.)
      const unindexedBatchRead = this.ongoingCommitted.delete(producerId);
      if ((aborted !== undefined && aborted.batchRead) || unindexedBatchRead) return { removable: false, dropIndexEntry: null };
      return { removable: true, dropIndexEntry: aborted !== undefined && aborted.txn.lastOffset === lastOffset ? aborted.txn : null };
    }
    if (type === CONTROL_COMMIT) return { removable: !this.ongoingCommitted.delete(producerId), dropIndexEntry: null };
    return { removable: false, dropIndexEntry: null };
  }
}
