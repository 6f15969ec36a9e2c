/** Runs the samsa CLI (and other tools) as child processes, as users do. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrokerConnection } from '../../src/client/network/broker-connection.ts';
import type { ApiSpec } from '../../src/protocol/generated/api-keys.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_MAIN = join(REPO_ROOT, 'src', 'cli', 'main.ts');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: readonly string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    // Node's compile cache: the CLI's many modules load ~2.5x faster after the first run.
    const env = { ...process.env, NODE_COMPILE_CACHE: join(tmpdir(), 'samsa-cli-test-compile-cache') };
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 30_000} ms\nstderr: ${Buffer.concat(err).toString()}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** `node src/cli/main.ts ...args` */
export function samsa(args: readonly string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
  return run(process.execPath, [CLI_MAIN, ...args], opts);
}

/** Whether the broker at host:port serves these APIs (handlers land over time). */
export async function brokerSupports(host: string, port: number, apis: readonly ApiSpec[]): Promise<boolean> {
  const conn = await BrokerConnection.connect({ host, port });
  try {
    return apis.every((a) => conn.supports(a));
  } finally {
    conn.close();
  }
}

/** A samsa process kept running: its output so far, lines written to its stdin, signals. */
export interface LiveProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout satisfies `test` (rejects after `timeoutMs`). */
  waitForStdout(test: (out: string) => boolean, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<RunResult>;
}

/** Starts `node src/cli/main.ts ...args` with stdin left open (the caller writes and ends it). */
export function spawnSamsa(args: readonly string[]): LiveProcess {
  const env = { ...process.env, NODE_COMPILE_CACHE: join(tmpdir(), 'samsa-cli-test-compile-cache') };
  const child = spawn(process.execPath, [CLI_MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const watchers = new Set<() => void>();
  child.stdout.on('data', (b: Buffer) => {
    out.push(b);
    for (const w of [...watchers]) w();
  });
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.stdin.on('error', () => {});
  const stdout = (): string => Buffer.concat(out).toString('utf8');
  const stderr = (): string => Buffer.concat(err).toString('utf8');
  const exited = new Promise<RunResult>((resolvePromise) => {
    child.on('close', (code) => resolvePromise({ code, stdout: stdout(), stderr: stderr() }));
  });
  return {
    child,
    stdout,
    stderr,
    exited,
    waitForStdout(test, timeoutMs = 20_000) {
      return new Promise<void>((resolvePromise, reject) => {
        const check = (): void => {
          if (!test(stdout())) return;
          watchers.delete(check);
          clearTimeout(timer);
          resolvePromise();
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`stdout did not match within ${timeoutMs} ms\nstdout: ${stdout()}\nstderr: ${stderr()}`));
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
  };
}
