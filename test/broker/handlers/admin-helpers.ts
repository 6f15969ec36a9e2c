/**
 * Test helpers for the admin handlers: an in-process broker in a temp dir, a raw
 * protocol client that sends any API version with the generated encoders, and a
 * runner for the Python admin-client scripts.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker } from '../../../src/broker/broker.ts';
import type { Broker } from '../../../src/broker/broker.ts';
import type { ApiSpec } from '../../../src/protocol/generated/api-keys.ts';
import { requestHeaderVersion, responseHeaderVersion } from '../../../src/protocol/generated/header-versions.ts';
import { encodeRequestHeader } from '../../../src/protocol/generated/request-header.ts';
import { decodeResponseHeader } from '../../../src/protocol/generated/response-header.ts';
import { Reader } from '../../../src/protocol/primitives/reader.ts';
import { Writer } from '../../../src/protocol/primitives/writer.ts';

export const PYTHON = '/usr/bin/python3';
export const PY_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'python');

export interface AdminTestBroker {
  broker: Broker;
  dir: string;
  bootstrap: string;
  close(): Promise<void>;
}

/** Starts a broker; with `dir` the data survives close (restart tests). */
export async function startAdminBroker(config: Record<string, string | number | boolean> = {}, dir?: string): Promise<AdminTestBroker> {
  const d = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-admin-'));
  const broker = await startBroker({ config: { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': d, ...config }, log: () => {} });
  return {
    broker,
    dir: d,
    bootstrap: broker.bootstrapServers,
    async close() {
      await broker.close();
      if (!dir) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}

/** One connection, requests answered in order. */
export class AdminRawClient {
  private readonly socket: net.Socket;
  private buf = Buffer.alloc(0);
  private readonly waiters = new Map<number, (frame: Buffer) => void>();
  private nextCorrelation = 1;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      while (this.buf.length >= 4) {
        const size = this.buf.readInt32BE(0);
        if (this.buf.length < 4 + size) break;
        const frame = this.buf.subarray(4, 4 + size);
        this.buf = this.buf.subarray(4 + size);
        const cid = frame.readInt32BE(0);
        const w = this.waiters.get(cid);
        this.waiters.delete(cid);
        w?.(frame);
      }
    });
  }

  static connect(bootstrap: string): Promise<AdminRawClient> {
    const i = bootstrap.lastIndexOf(':');
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: bootstrap.slice(0, i), port: Number(bootstrap.slice(i + 1)) }, () => resolve(new AdminRawClient(s)));
      s.once('error', reject);
    });
  }

  send<Req, ReqInit, Res>(api: ApiSpec<Req, ReqInit, Res>, version: number, body: ReqInit): Promise<Res> {
    const cid = this.nextCorrelation++;
    const w = new Writer(256);
    w.int32(0);
    encodeRequestHeader(w, { requestApiKey: api.apiKey, requestApiVersion: version, correlationId: cid, clientId: 'admin-test' }, requestHeaderVersion(api.apiKey, version));
    api.encodeRequest(w, body, version);
    const out = w.finish();
    out.writeInt32BE(out.length - 4, 0);
    const p = new Promise<Res>((resolve, reject) => {
      const onClose = (): void => reject(new Error(`connection closed (${api.name} v${version})`));
      this.socket.once('close', onClose);
      this.waiters.set(cid, (frame) => {
        this.socket.off('close', onClose);
        const r = new Reader(frame);
        decodeResponseHeader(r, responseHeaderVersion(api.apiKey, version));
        resolve(api.decodeResponse(r, version));
      });
    });
    this.socket.write(out);
    return p;
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Runs a Python admin script; its last stdout line is JSON. A missing python3 or
 * client library fails the test with the script's error, never skips it.
 */
export function runPython(script: string, args: string[], timeoutMs = 60_000): Promise<any> {
  return new Promise((resolve, reject) => {
    const p = spawn(PYTHON, [path.join(PY_DIR, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${PYTHON} ${script}: ${e.message}`));
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${script} exited with ${code}\nstdout:\n${out}\nstderr:\n${err}`));
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`${script}: last stdout line is not JSON\nstdout:\n${out}\nstderr:\n${err}`));
      }
    });
  });
}
