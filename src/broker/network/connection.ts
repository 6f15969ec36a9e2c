import type { Socket } from 'node:net';
import { fetchReadPool } from '../fetch/read-pool.ts';
import { FrameDecoder } from './frame-decoder.ts';

/**
 * One client connection: frames in, responses out, in request order.
 *
 * Requests on one connection are dispatched as they arrive (a client may pipeline
 * up to max.in.flight.requests.per.connection) but their responses are written in
 * the order the requests came, as Kafka guarantees. A request with no response
 * (Produce with acks=0) keeps its place and writes nothing. When more than
 * `maxQueuedRequests` responses are outstanding, reading pauses (backpressure).
 *
 * Any malformed frame, or a frame over `maxFrameBytes`, closes this connection and
 * only this one.
 */
export interface FrameHandler {
  /** Handles one frame; resolves to the encoded response frame (with size prefix) or null for none. */
  handle(frame: Buffer, conn: Connection): Promise<Buffer[] | null> | Buffer[] | null;
}

export interface ConnectionOptions {
  maxFrameBytes: number;
  maxQueuedRequests: number;
  idleTimeoutMs: number;
  log: (msg: string) => void;
}

interface Slot {
  done: boolean;
  response: Buffer[] | null;
}

export class Connection {
  readonly socket: Socket;
  readonly remote: string;
  readonly listenerName: string;
  private readonly decoder: FrameDecoder;
  private readonly queue: Slot[] = [];
  private readonly handler: FrameHandler;
  private readonly opts: ConnectionOptions;
  private closed = false;
  private paused = false;
  /** Free-form per-connection state for handlers (e.g. fetch sessions, SASL). */
  readonly attributes = new Map<string, unknown>();

  constructor(socket: Socket, listenerName: string, handler: FrameHandler, opts: ConnectionOptions) {
    this.socket = socket;
    this.listenerName = listenerName;
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.handler = handler;
    this.opts = opts;
    this.decoder = new FrameDecoder(opts.maxFrameBytes);
    socket.setNoDelay(true);
    if (opts.idleTimeoutMs > 0) {
      socket.setTimeout(opts.idleTimeoutMs, () => this.close('idle timeout'));
    }
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => {
      this.closed = true;
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (reason) this.opts.log(`closing connection ${this.remote}: ${reason}`);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.close((err as Error).message);
      return;
    }
    for (const frame of frames) {
      if (this.closed) return;
      this.dispatch(frame);
    }
  }

  private dispatch(frame: Buffer): void {
    const slot: Slot = { done: false, response: null };
    this.queue.push(slot);
    let result: Promise<Buffer[] | null> | Buffer[] | null;
    try {
      result = this.handler.handle(frame, this);
    } catch (err) {
      this.close(`bad request: ${(err as Error).message}`);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (r) => this.complete(slot, r),
        (err: unknown) => this.close(`request failed: ${(err as Error).message}`),
      );
    } else {
      this.complete(slot, result);
    }
    if (!this.paused && this.queue.length >= this.opts.maxQueuedRequests) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private complete(slot: Slot, response: Buffer[] | null): void {
    slot.done = true;
    slot.response = response;
    if (this.closed) return;
    let corked = false;
    while (this.queue.length > 0 && this.queue[0]!.done) {
      const s = this.queue.shift()!;
      if (s.response) {
        if (!corked) {
          this.socket.cork();
          corked = true;
        }
        // Pooled fetch buffers go back to the pool once the socket has taken their bytes.
        for (const b of s.response) this.socket.write(b, fetchReadPool.owns(b) ? () => fetchReadPool.release(b) : undefined);
      }
    }
    if (corked) process.nextTick(() => this.socket.uncork());
    if (this.paused && this.queue.length < this.opts.maxQueuedRequests) {
      this.paused = false;
      this.socket.resume();
    }
  }
}
