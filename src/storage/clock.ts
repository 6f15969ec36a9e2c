/**
 * Time behind an interface so retention, rolling, flushing and producer expiry can be
 * driven by a manual clock in tests and simulation.
 */
export interface Clock {
  /** Wall-clock milliseconds since the epoch (record timestamps, retention). */
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

export class ManualClock implements Clock {
  private timeMs: number;
  constructor(startMs = 1_700_000_000_000) {
    this.timeMs = startMs;
  }
  nowMs(): number {
    return this.timeMs;
  }
  advance(ms: number): void {
    this.timeMs += ms;
  }
  set(ms: number): void {
    this.timeMs = ms;
  }
}
