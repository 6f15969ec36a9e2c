/**
 * Interop harness: starts a real `samsa start` process on a free port and runs real
 * Kafka clients (kcat, python scripts) against it.
 *
 * A missing tool is a test FAILURE with a clear message, never a skip: `.ci/run`
 * installs kcat, python3-confluent-kafka and python3-kafka.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, createWriteStream, existsSync, readFileSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_MAIN = join(REPO_ROOT, 'src', 'cli', 'main.ts');
export const PYTHON = '/usr/bin/python3';
export const PYTHON_DIR = join(REPO_ROOT, 'test', 'interop', 'python');

/** Records per codec: SAMSA_INTEROP_RECORDS (default 100000). */
export const RECORDS = (() => {
  const raw = process.env.SAMSA_INTEROP_RECORDS;
  if (raw === undefined || raw === '') return 100_000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 10) throw new Error(`SAMSA_INTEROP_RECORDS must be an integer >= 10, got ${raw}`);
  return n;
})();

/** Per-test timeout; a fast broker finishes far sooner. */
export const TEST_TIMEOUT_MS = Number(process.env.SAMSA_INTEROP_TIMEOUT_MS ?? 300_000);
/** Client processes are killed before their test times out, so their output is shown. */
export const CHILD_TIMEOUT_MS = Math.max(20_000, TEST_TIMEOUT_MS - 15_000);

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 20_000;
const TAIL_BYTES = 64 * 1024;

export interface SamsaOptions {
  /** Extra broker config, passed as `--override key=value`. */
  overrides?: Record<string, string>;
  /** Reuse this data directory (log.dirs) — e.g. across restarts. Created if missing. */
  dataDir?: string;
  /** Extra node flags for the broker process (e.g. --cpu-prof for benchmarks). */
  nodeArgs?: string[];
  /** The CLI entry to run (default src/cli/main.ts; benchmarks use the built dist/cli/main.js). */
  cliMain?: string;
}

export interface Samsa {
  /** `host:port` of the PLAINTEXT listener. */
  bootstrap: string;
  host: string;
  port: number;
  dataDir: string;
  nodeId: number;
  clusterId: string;
  readyLine: string;
  proc: ChildProcess;
  /** Path of the file holding the broker's full stdout+stderr. */
  logFile: string;
  /** The last ~64 KiB of the broker's stdout+stderr, for failure messages. */
  logTail(): string;
  /**
   * Log lines showing the broker failed a request (a connection closed on a bad or
   * failed request, an uncaught error): clients retry those, so a test can pass over
   * them. Complete once the process has exited.
   */
  logProblems(): string[];
  /** SIGTERM, wait for exit (SIGKILL after 20 s); resolves with the exit code (or 128+signal). */
  stop(): Promise<number>;
  /** Send `signal`, wait for the process to exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) {
    try {
      p.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > TAIL_BYTES && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }
  toString(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - TAIL_BYTES)).toString('utf8');
  }
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const signals: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGABRT: 6, SIGSEGV: 11 };
  return 128 + (signal ? (signals[signal] ?? 0) : 0);
}

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  if (process.env.SAMSA_INTEROP_KEEP === '1') return;
  rmSync(dir, { recursive: true, force: true });
}

/** Parses `samsa ready listeners=PLAINTEXT://127.0.0.1:40123 node.id=1 cluster.id=x ready_ms=87`. */
export function parseReadyLine(line: string): { host: string; port: number; nodeId: number; clusterId: string } {
  const fields = new Map<string, string>();
  for (const tok of line.trim().split(/\s+/).slice(2)) {
    const eq = tok.indexOf('=');
    if (eq > 0) fields.set(tok.slice(0, eq), tok.slice(eq + 1));
  }
  const listeners = fields.get('listeners');
  if (!listeners) throw new Error(`ready line has no listeners=: ${JSON.stringify(line)}`);
  const plain = listeners.split(',').find((l) => l.startsWith('PLAINTEXT://')) ?? listeners.split(',')[0];
  const m = /^[A-Za-z_]+:\/\/(\[[^\]]+\]|[^:]+):(\d+)$/.exec(plain);
  if (!m) throw new Error(`cannot parse listener ${JSON.stringify(plain)} in ready line ${JSON.stringify(line)}`);
  const port = Number(m[2]);
  if (!(port > 0 && port < 65536)) throw new Error(`bad port in ready line ${JSON.stringify(line)}`);
  return {
    host: m[1].replace(/^\[|\]$/g, ''),
    port,
    nodeId: Number(fields.get('node.id') ?? NaN),
    clusterId: fields.get('cluster.id') ?? '',
  };
}

const PROBLEM_LINE =
  /closing connection .*: (bad request|request failed)|unsupported API key|uncaught|unhandled|TypeError|RangeError|ReferenceError|AssertionError|FATAL/i;

/** Lines of a broker log that show a failed request or an internal error. */
export function findLogProblems(log: string): string[] {
  return log.split('\n').filter((line) => PROBLEM_LINE.test(line));
}

export function startSamsa(opts: SamsaOptions = {}): Promise<Samsa> {
  const dataDir = opts.dataDir ?? makeTempDir('samsa-interop-');
  const overrides: Record<string, string> = {
    listeners: 'PLAINTEXT://127.0.0.1:0',
    'log.dirs': dataDir,
    ...opts.overrides,
  };
  let args = [...(opts.nodeArgs ?? []), opts.cliMain ?? CLI_MAIN, 'start'];
  for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${v}`);
  const external = process.env.SAMSA_INTEROP_BOOTSTRAP;
  if (external) {
    // Validate the suite itself against another broker (e.g. Apache Kafka): a stub
    // process stands in for samsa, announcing the external listener.
    const line = `samsa ready listeners=PLAINTEXT://${external} node.id=${process.env.SAMSA_INTEROP_NODE_ID ?? '1'} cluster.id=external ready_ms=0`;
    args = ['-e', `console.log(${JSON.stringify(line)}); process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1e6);`];
  }

  const logFile = join(dirname(dataDir), `${dataDir.split('/').pop()}.broker.log`);
  const log: WriteStream = createWriteStream(logFile, { flags: 'a' });
  const tail = new Tail();
  const stderrTail = new Tail();

  const proc = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  let exited: { code: number } | undefined;
  const exitPromise = new Promise<number>((res) => {
    proc.on('exit', (code, signal) => {
      exited = { code: exitCodeOf(code, signal) };
      running.delete(proc);
      res(exited.code);
    });
  });
  const logFinished = new Promise<void>((res) => log.on('finish', () => res()));
  const exitedAndLogged = exitPromise.then(async (code) => {
    log.end();
    await logFinished;
    return code;
  });

  return new Promise<Samsa>((resolvePromise, rejectPromise) => {
    let settled = false;
    let stdoutBuf = '';
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!exited) proc.kill('SIGKILL');
      rejectPromise(
        new Error(
          `samsa start ${why}\ncommand: ${process.execPath} ${args.join(' ')}\n` +
            `--- stderr ---\n${stderrTail.toString()}\n--- output (stdout+stderr) ---\n${tail.toString()}`,
        ),
      );
    };
    const timer = setTimeout(() => fail(`printed no "samsa ready" line within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);

    proc.on('error', (err) => fail(`could not be spawned: ${err.message}`));
    proc.stderr!.on('data', (b: Buffer) => {
      log.write(b);
      tail.push(b);
      stderrTail.push(b);
    });
    proc.stdout!.on('data', (b: Buffer) => {
      log.write(b);
      tail.push(b);
      if (settled) return;
      stdoutBuf += b.toString('utf8');
      let nl: number;
      while ((nl = stdoutBuf.indexOf('\n')) >= 0) {
        const line = stdoutBuf.slice(0, nl);
        stdoutBuf = stdoutBuf.slice(nl + 1);
        if (!line.startsWith('samsa ready')) continue;
        let parsed: ReturnType<typeof parseReadyLine>;
        try {
          parsed = parseReadyLine(line);
        } catch (e) {
          fail((e as Error).message);
          return;
        }
        settled = true;
        clearTimeout(timer);
        const kill = async (signal: NodeJS.Signals): Promise<void> => {
          if (!exited) proc.kill(signal);
          await exitedAndLogged;
        };
        resolvePromise({
          bootstrap: `${parsed.host.includes(':') ? `[${parsed.host}]` : parsed.host}:${parsed.port}`,
          host: parsed.host,
          port: parsed.port,
          dataDir,
          nodeId: parsed.nodeId,
          clusterId: parsed.clusterId,
          readyLine: line,
          proc,
          logFile,
          logTail: () => tail.toString(),
          logProblems: () => findLogProblems(readFileSync(logFile, 'utf8')),
          kill,
          stop: async () => {
            if (exited) return exitedAndLogged;
            proc.kill('SIGTERM');
            const t = setTimeout(() => {
              if (!exited) proc.kill('SIGKILL');
            }, STOP_TIMEOUT_MS);
            const code = await exitedAndLogged;
            clearTimeout(t);
            return code;
          },
        });
        return;
      }
    });
    exitPromise.then((code) => fail(`exited with code ${code} before it was ready`));
  });
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
  ms: number;
}

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Accept a non-zero exit (the caller inspects `code`). */
  allowFailure?: boolean;
}

function clip(s: string, max = 20_000): string {
  return s.length <= max ? s : `${s.slice(0, max / 4)}\n... [${s.length - max} chars elided] ...\n${s.slice(-(max * 3) / 4)}`;
}

/** Runs a command to completion; rejects loudly (stdout and stderr included) on non-zero exit or timeout. */
export function run(cmd: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const what = `${cmd} ${args.map((a) => (/[\s'"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`;
  return new Promise<RunResult>((resolvePromise, rejectPromise) => {
    const proc = spawn(cmd, args, {
      cwd: opts.cwd ?? REPO_ROOT,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    running.add(proc);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let spawnError: Error | undefined;
    proc.stdout!.on('data', (b: Buffer) => out.push(b));
    proc.stderr!.on('data', (b: Buffer) => err.push(b));
    proc.on('error', (e) => {
      spawnError = e;
    });
    proc.stdin!.on('error', () => {
      // EPIPE when the tool exits early; its exit status tells the story.
    });
    if (opts.input !== undefined) proc.stdin!.end(opts.input);
    else proc.stdin!.end();
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill('SIGKILL');
    }, opts.timeoutMs);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(proc);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      const result = { stdout, stderr, code: exitCodeOf(code, signal), ms: Date.now() - started };
      if (spawnError) {
        const hint = (spawnError as NodeJS.ErrnoException).code === 'ENOENT' ? ` (is ${cmd} installed? .ci/run installs it)` : '';
        rejectPromise(new Error(`cannot run ${what}: ${spawnError.message}${hint}`));
      } else if (timedOut) {
        rejectPromise(
          new Error(`${what}\ntimed out after ${opts.timeoutMs} ms\n--- stderr ---\n${clip(stderr)}\n--- stdout ---\n${clip(stdout)}`),
        );
      } else if (result.code !== 0 && !opts.allowFailure) {
        rejectPromise(
          new Error(`${what}\nexited with code ${result.code}\n--- stderr ---\n${clip(stderr)}\n--- stdout ---\n${clip(stdout)}`),
        );
      } else {
        resolvePromise(result);
      }
    });
  });
}

/** Fails (never skips) unless kcat is on PATH. */
export function requireKcat(): string {
  const r = spawnSync('kcat', ['-V'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      `kcat is required by the interop tests but is not runnable (${r.error?.message ?? r.stderr}). ` +
        'Install it: apt-get install kcat (.ci/run does).',
    );
  }
  return r.stdout.split('\n').find((l) => l.startsWith('Version')) ?? r.stdout.trim();
}

/** Fails (never skips) unless /usr/bin/python3 can import `module`; returns its version string. */
export function requirePythonModule(module: string, debPackage: string): string {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing; the interop tests need Debian's python3 with ${debPackage}.`);
  const r = spawnSync(PYTHON, ['-c', `import ${module}, sys; sys.stdout.write(str(getattr(${module}, '__version__', '')))`], {
    encoding: 'utf8',
  });
  if (r.error || r.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import ${module}: ${r.error?.message ?? r.stderr.trim().split('\n').at(-1)}. ` +
        `Install it: apt-get install ${debPackage} (.ci/run does).`,
    );
  }
  return r.stdout.trim();
}

/**
 * Runs test/interop/python/<script> with args; the script prints one JSON object on
 * stdout (bulk data goes to files named in args). Rejects with stderr on failure.
 */
export async function runPython<T = any>(script: string, args: readonly string[], timeoutMs: number): Promise<T> {
  const r = await run(PYTHON, ['-u', join(PYTHON_DIR, script), ...args], {
    timeoutMs,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  const lines = r.stdout.trim().split('\n');
  const last = lines.at(-1) ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${script} ${args.join(' ')} printed no JSON result\n--- stdout ---\n${clip(r.stdout)}\n--- stderr ---\n${clip(r.stderr)}`);
  }
}

/** Polls `check` until it returns true (or throws its last error after `timeoutMs`). */
export async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      if (await check()) return;
      lastErr = undefined;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Distinguishes this run's topics (set SAMSA_INTEROP_RUN_ID for stable names). */
export const RUN_ID = process.env.SAMSA_INTEROP_RUN_ID ?? Math.random().toString(16).slice(2, 8);

export function topicName(client: string, label: string): string {
  return `interop-${client}-${label}-${RUN_ID}`;
}

/** Calls `onEvent` with each line a child process prints on `stream`, parsed as JSON. */
export function onJsonLines<T>(stream: NodeJS.ReadableStream, onEvent: (e: T) => void): void {
  let buf = '';
  stream.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      onEvent(JSON.parse(line) as T);
    }
  });
}
