import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { Connection } from './connection.ts';
import type { ConnectionOptions, FrameHandler } from './connection.ts';

export interface BoundListener {
  name: string;
  host: string;
  /** The port actually bound (differs from the configured one when that was 0). */
  port: number;
  securityProtocol: string;
}

export interface ListenerSpec {
  name: string;
  host: string;
  port: number;
  securityProtocol: string;
}

/** Accepts connections on every listener and hands frames to the request handler. */
export class SocketServer {
  private readonly servers: Server[] = [];
  private readonly connections = new Set<Connection>();
  readonly bound: BoundListener[] = [];

  private readonly handler: FrameHandler;
  private readonly opts: ConnectionOptions & { maxConnections: number };

  constructor(handler: FrameHandler, opts: ConnectionOptions & { maxConnections: number }) {
    this.handler = handler;
    this.opts = opts;
  }

  async listen(listeners: readonly ListenerSpec[]): Promise<void> {
    for (const l of listeners) {
      if (l.securityProtocol !== 'PLAINTEXT') {
        throw new Error(`listener ${l.name}: security protocol ${l.securityProtocol} is not supported yet (only PLAINTEXT)`);
      }
      const server = createServer({ noDelay: true }, (socket: Socket) => this.accept(socket, l.name));
      server.maxConnections = this.opts.maxConnections;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: l.host === '' ? undefined : l.host, port: l.port, backlog: 511 }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : l.port;
      this.servers.push(server);
      this.bound.push({ name: l.name, host: l.host, port, securityProtocol: l.securityProtocol });
    }
  }

  private accept(socket: Socket, listenerName: string): void {
    const conn = new Connection(socket, listenerName, this.handler, this.opts);
    this.connections.add(conn);
    socket.on('close', () => this.connections.delete(conn));
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    const closing = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const c of this.connections) c.close();
    await Promise.all(closing);
  }
}
