/**
 * The coordinator's clock and keyed timers (Kafka's CoordinatorTimer): scheduling a
 * key that is already scheduled replaces it, so "reschedule the heartbeat deadline
 * of member m" is one call. Everything the group state machine waits for goes
 * through this interface, so tests drive it with `ManualTimer` instead of real time.
 */
export interface CoordinatorTimer {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` after `delayMs`, replacing whatever `key` had scheduled. */
  schedule(key: string, delayMs: number, fn: () => void): void;
  cancel(key: string): void;
  isScheduled(key: string): boolean;
  /** Cancels everything (shutdown). */
  cancelAll(): void;
}

/** Real time: one unref'd setTimeout per key. */
export class SystemTimer implements CoordinatorTimer {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly onError: (err: unknown) => void;

  constructor(onError: (err: unknown) => void = () => {}) {
    this.onError = onError;
  }

  now(): number {
    return Date.now();
  }

  schedule(key: string, delayMs: number, fn: () => void): void {
    this.cancel(key);
    const t = setTimeout(() => {
      if (this.timers.get(key) !== t) return;
      this.timers.delete(key);
      try {
        fn();
      } catch (err) {
        this.onError(err);
      }
    }, Math.max(0, delayMs));
    t.unref();
    this.timers.set(key, t);
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) {
      clearTimeout(t);
      this.timers.delete(key);
    }
  }

  isScheduled(key: string): boolean {
    return this.timers.has(key);
  }

  cancelAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

interface ManualEntry {
  deadline: number;
  seq: number;
  fn: () => void;
}

/** Test time: nothing fires until `advance`; ties fire in scheduling order. */
export class ManualTimer implements CoordinatorTimer {
  private time: number;
  private seq = 0;
  private readonly entries = new Map<string, ManualEntry>();

  constructor(startMs = 1_700_000_000_000) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  schedule(key: string, delayMs: number, fn: () => void): void {
    this.entries.set(key, { deadline: this.time + Math.max(0, delayMs), seq: this.seq++, fn });
  }

  cancel(key: string): void {
    this.entries.delete(key);
  }

  isScheduled(key: string): boolean {
    return this.entries.has(key);
  }

  cancelAll(): void {
    this.entries.clear();
  }

  /** Deadline of `key`, or undefined. */
  deadlineOf(key: string): number | undefined {
    return this.entries.get(key)?.deadline;
  }

  /** Moves time forward by `ms`, firing due timers in deadline order (timers they schedule too). */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let nextKey: string | null = null;
      let next: ManualEntry | null = null;
      for (const [k, e] of this.entries) {
        if (e.deadline > target) continue;
        if (!next || e.deadline < next.deadline || (e.deadline === next.deadline && e.seq < next.seq)) {
          next = e;
          nextKey = k;
        }
      }
      if (!next || nextKey === null) break;
      this.entries.delete(nextKey);
      this.time = Math.max(this.time, next.deadline);
      next.fn();
    }
    this.time = target;
  }
}
