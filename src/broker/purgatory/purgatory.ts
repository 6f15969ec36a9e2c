/**
 * Delayed operations (Kafka's DelayedOperation / DelayedOperationPurgatory), for a
 * single-threaded event loop.
 *
 * An operation waits on one or more keys (e.g. `topic-partition`) until either an
 * event on a key lets it complete (`checkAndComplete(key)` → `tryComplete()`), or
 * its timeout fires (`onComplete()`, then `onExpiration()`, as Kafka). Exactly one of the two
 * runs `onComplete()`, once. A completed operation leaves every watcher list at once,
 * so the lists hold only live operations.
 *
 * The purgatory is bounded: past `maxOperations` waiting operations, a new one is
 * completed immediately instead of being parked (a long-poll fetch then answers
 * early, which clients handle like any short answer).
 */
export abstract class DelayedOperation {
  readonly delayMs: number;
  private completed = false;
  /** Set while the operation is parked in a purgatory. */
  timer: NodeJS.Timeout | null = null;
  /** Keys it watches and the purgatory holding it; cleared on completion. */
  watching: { purgatory: Purgatory<DelayedOperation>; keys: readonly string[] } | null = null;

  constructor(delayMs: number) {
    this.delayMs = delayMs;
  }

  get isCompleted(): boolean {
    return this.completed;
  }

  /**
   * Checks whether the operation can complete now; if so, calls forceComplete() and
   * returns true. Called when the operation is first offered and on each event on
   * one of its keys.
   */
  abstract tryComplete(): boolean;

  /** Produces the operation's result. Runs exactly once. */
  abstract onComplete(): void;

  /** Runs after onComplete when the operation timed out. */
  onExpiration(): void {}

  /** Completes the operation if nobody else did; true if this call completed it. */
  forceComplete(): boolean {
    if (this.completed) return false;
    this.completed = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const w = this.watching;
    if (w) {
      this.watching = null;
      w.purgatory.unwatch(this, w.keys);
    }
    this.onComplete();
    return true;
  }
}

export interface PurgatoryOptions {
  /** Name for logs and metrics (e.g. 'Fetch'). */
  name: string;
  /** Most operations waiting at once; more are completed at once. Default 10000. */
  maxOperations?: number;
}

export class Purgatory<T extends DelayedOperation> {
  readonly name: string;
  private readonly maxOperations: number;
  private readonly watchers = new Map<string, Set<T>>();
  private waiting = 0;
  private closed = false;

  constructor(opts: PurgatoryOptions) {
    this.name = opts.name;
    this.maxOperations = opts.maxOperations ?? 10_000;
  }

  /** Operations currently waiting. */
  get size(): number {
    return this.waiting;
  }

  /** Keys with at least one waiting operation. */
  get watchedKeys(): number {
    return this.watchers.size;
  }

  /**
   * Completes `op` now if it can; otherwise parks it on `keys` with its timeout.
   * Returns true if it completed during this call.
   */
  tryCompleteElseWatch(op: T, keys: readonly string[]): boolean {
    if (op.tryComplete()) return true;
    if (op.isCompleted) return true;
    if (this.closed || keys.length === 0 || this.waiting >= this.maxOperations || op.delayMs <= 0) {
      op.forceComplete();
      return true;
    }
    for (const key of keys) {
      let set = this.watchers.get(key);
      if (!set) {
        set = new Set();
        this.watchers.set(key, set);
      }
      set.add(op);
    }
    this.waiting++;
    op.watching = { purgatory: this as unknown as Purgatory<DelayedOperation>, keys };
    const timer = setTimeout(() => {
      op.timer = null;
      if (op.forceComplete()) op.onExpiration();
    }, op.delayMs);
    timer.unref();
    op.timer = timer;
    return false;
  }

  /** Offers completion to every operation watching `key`; returns how many completed. */
  checkAndComplete(key: string): number {
    const set = this.watchers.get(key);
    if (!set) return 0;
    let n = 0;
    for (const op of [...set]) {
      if (!op.isCompleted && op.tryComplete()) n++;
    }
    return n;
  }

  /** Removes a completed operation from its watcher lists (called by forceComplete). */
  unwatch(op: DelayedOperation, keys: readonly string[]): void {
    for (const key of keys) {
      const set = this.watchers.get(key);
      if (!set) continue;
      set.delete(op as T);
      if (set.size === 0) this.watchers.delete(key);
    }
    this.waiting--;
  }

  /** Completes every waiting operation (shutdown); later ones complete at once. */
  shutdown(): void {
    this.closed = true;
    const all = new Set<T>();
    for (const set of this.watchers.values()) for (const op of set) all.add(op);
    for (const op of all) op.forceComplete();
  }
}

/** A delayed operation from two closures: `check` says whether it can complete now, `complete` answers. */
export class DelayedCallback extends DelayedOperation {
  private readonly check: () => boolean;
  private readonly complete: () => void;

  constructor(delayMs: number, check: () => boolean, complete: () => void) {
    super(delayMs);
    this.check = check;
    this.complete = complete;
  }

  tryComplete(): boolean {
    return this.check() ? this.forceComplete() : false;
  }

  onComplete(): void {
    this.complete();
  }
}
