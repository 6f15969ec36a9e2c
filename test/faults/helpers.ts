/**
 * Shared pieces of the fault tests: the python tool (confluent-kafka) and file helpers.
 * Every test here runs a real `samsa start` process (test/interop/harness.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTHON, run } from '../interop/harness.ts';

export const FAULTS_DIR = dirname(fileURLToPath(import.meta.url));
export const FAULT_TOOL = join(FAULTS_DIR, 'python', 'fault_tool.py');

/** Reads a positive integer from the environment (longer runs: raise it). */
export function envInt(name: string, dflt: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
}

export const TEST_TIMEOUT_MS = envInt('SAMSA_FAULTS_TIMEOUT_MS', 300_000);
export const CHILD_TIMEOUT_MS = Math.max(20_000, TEST_TIMEOUT_MS - 20_000);

const PY_ENV = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };

function lastJson<T>(stdout: string, stderr: string, what: string): T {
  const last = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${what} printed no JSON result\n--- stdout ---\n${stdout.slice(-8000)}\n--- stderr ---\n${stderr.slice(-8000)}`);
  }
}

/** Runs fault_tool.py `command` to completion and returns its JSON result. */
export async function faultTool<T = any>(command: string, bootstrap: string, args: readonly string[], timeoutMs = CHILD_TIMEOUT_MS): Promise<T> {
  const r = await run(PYTHON, ['-u', FAULT_TOOL, command, '--bootstrap', bootstrap, ...args], { timeoutMs, env: PY_ENV });
  return lastJson<T>(r.stdout, r.stderr, `fault_tool.py ${command}`);
}

export interface Background<T> {
  result: Promise<T>;
  kill(): void;
}

/** Starts fault_tool.py in the background (e.g. a producer that outlives a broker crash). */
export function faultToolBackground<T = any>(command: string, bootstrap: string, args: readonly string[], timeoutMs = CHILD_TIMEOUT_MS): Background<T> {
  const proc = spawn(PYTHON, ['-u', FAULT_TOOL, command, '--bootstrap', bootstrap, ...args], { env: PY_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  proc.stdout.on('data', (b: Buffer) => out.push(b));
  proc.stderr.on('data', (b: Buffer) => err.push(b));
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const result = new Promise<T>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code !== 0) {
        reject(new Error(`fault_tool.py ${command} exited with ${code ?? signal}\n--- stdout ---\n${stdout.slice(-8000)}\n--- stderr ---\n${stderr.slice(-8000)}`));
        return;
      }
      try {
        resolve(lastJson<T>(stdout, stderr, `fault_tool.py ${command}`));
      } catch (e) {
        reject(e as Error);
      }
    });
  });
  return { result, kill: () => proc.kill('SIGKILL') };
}

/** Parses a JSON-lines file (a torn last line, being written, is ignored). */
export function readJsonLines<T = any>(path: string): T[] {
  if (!existsSync(path)) return [];
  const out: T[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '') continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // a line still being written
    }
  }
  return out;
}

export function countLines(path: string): number {
  if (!existsSync(path)) return 0;
  const s = readFileSync(path, 'utf8');
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resident set size of a process in KiB (from /proc). */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

export interface ConsumedRecord {
  p: number;
  o: number;
  k: string | null;
  v: string | null;
}

/** Consumes every partition of `topic` from low to high watermark into `outFile`. */
export async function consumeAll(bootstrap: string, topic: string, outFile: string): Promise<{ records: ConsumedRecord[]; watermarks: Record<string, [number, number]> }> {
  const r = await faultTool<{ records: number; watermarks: Record<string, [number, number]>; incomplete: number[] }>('consume-all', bootstrap, ['--topic', topic, '--out', outFile]);
  if (r.incomplete.length > 0) throw new Error(`consume-all did not reach the high watermark of partitions ${r.incomplete.join(',')}: ${JSON.stringify(r)}`);
  const records = readJsonLines<ConsumedRecord>(outFile);
  if (records.length !== r.records) throw new Error(`consume-all wrote ${records.length} lines but reported ${r.records}`);
  return { records, watermarks: r.watermarks };
}
