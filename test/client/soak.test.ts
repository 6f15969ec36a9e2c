/**
 * The short CI form of bench/client-soak.bench.ts: Samsa's Producer and Consumer
 * against a spawned broker for SAMSA_SOAK_SECONDS (default 20 here), in a child
 * process with --expose-gc (its RSS is the client's alone). Generous, non-timing
 * checks only: RSS at the end and at its peak at most 150 MB above the first sample
 * after warm-up (runaway growth, not a fine leak detector: the 600 s `npm run
 * bench:soak` is that), and every acknowledged record consumed once (no loss, no
 * duplicates, no gaps, no send errors). Throughput is printed, never asserted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';
import { REPO_ROOT } from '../interop/harness.ts';

const SECONDS = Number(process.env.SAMSA_SOAK_SECONDS ?? 20);

it(`client soak (${SECONDS} s): no runaway RSS growth, every record consumed`, { timeout: (SECONDS + 100) * 1000 }, async (t) => {
  const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', join(REPO_ROOT, 'bench', 'client-soak.bench.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, SAMSA_SOAK_SECONDS: String(SECONDS), SAMSA_SOAK_SAMPLE_MS: '1000', SAMSA_SOAK_WARMUP_SECONDS: String(Math.max(2, Math.round(SECONDS / 5))) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), (SECONDS + 90) * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  const context = `\n--- stdout ---\n${out.stdout.slice(-6000)}\n--- stderr ---\n${out.stderr.slice(-4000)}`;
  assert.equal(out.code, 0, `bench exit code${context}`);
  const lines = out.stdout.trim().split('\n');
  const fields = (prefix: string): Map<string, string> => {
    const line = lines.find((l) => l.startsWith(`${prefix} `));
    assert.ok(line, `no "${prefix}" line${context}`);
    return new Map(line.slice(prefix.length + 1).split(/\s+/).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]));
  };
  assert.match(lines.at(-1)!, /^client-soak seconds=\d+ rss_start_MB=[\d.]+ rss_end_MB=[\d.]+ rss_max_MB=[\d.]+ growth_MB_per_min=-?[\d.]+ verdict=(steady|growing)$/, `last line${context}`);
  const soak = fields('client-soak');
  const counts = fields('client-soak-counts');
  t.diagnostic(lines.find((l) => l.startsWith('client-soak-throughput')) ?? '');
  t.diagnostic(lines.at(-1)!);

  const start = Number(soak.get('rss_start_MB'));
  assert.ok(Number(soak.get('rss_end_MB')) <= start + 150, `RSS grew by more than 150 MB: ${lines.at(-1)}${context}`);
  assert.ok(Number(soak.get('rss_max_MB')) <= start + 150, `RSS peaked more than 150 MB above its warm level: ${lines.at(-1)}${context}`);

  assert.equal(counts.get('consume_error'), 'none', context);
  assert.equal(counts.get('send_errors'), '0', context);
  assert.ok(Number(counts.get('acked')) > 0, `nothing produced${context}`);
  assert.equal(counts.get('acked'), counts.get('produced'), `records sent but never acknowledged${context}`);
  assert.equal(counts.get('consumed'), counts.get('acked'), `records lost or extra${context}`);
  assert.equal(counts.get('duplicates'), '0', context);
  assert.equal(counts.get('gaps'), '0', context);
});
