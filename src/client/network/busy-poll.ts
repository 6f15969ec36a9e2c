/**
 * Busy polling: while a request is in flight, keep the event loop polling its
 * sockets instead of letting the thread sleep, for a bounded window per request.
 *
 * Why: a thread blocked in epoll_wait whose CPU went idle pays the CPU's wake-up
 * when the response lands — on a virtual machine ~50 µs of a ~90 µs loopback round
 * trip (measured on the 2-core VMs this project runs on). A pending setImmediate
 * makes libuv poll with a zero timeout, so the response is picked up as soon as the
 * kernel has it. This is Linux's SO_BUSY_POLL / Aeron's spinning idle strategy,
 * done in user space.
 *
 * Cost: up to the window (samsa.busy.poll.us) of CPU per request whose response is slower
 * (then the loop sleeps as usual until the response comes); nothing while no
 * request is in flight. One spinner serves every connection of the process.
 */
import { performance } from 'node:perf_hooks';

/** Requests in flight that asked for busy polling. */
let holders = 0;
/** performance.now() after which the spinner stops (ms). */
let until = 0;
let spinning = false;

function spin(): void {
  if (holders > 0 && performance.now() < until) setImmediate(spin);
  else spinning = false;
}

/** A request went on the wire: poll until performance.now() reaches `endMs`. */
export function busyPollBegin(endMs: number): void {
  holders++;
  if (endMs > until) until = endMs;
  if (!spinning) {
    spinning = true;
    setImmediate(spin);
  }
}

/** The request begun with busyPollBegin() is answered or failed. */
export function busyPollEnd(): void {
  // With nothing in flight no window is left: a later request gets only its own.
  if (holders > 0 && --holders === 0) until = 0;
}

/** Whether the spinner is running (for tests and diagnostics). */
export function busyPollActive(): boolean {
  return spinning;
}
