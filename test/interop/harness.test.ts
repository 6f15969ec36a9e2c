/**
 * The harness itself: failures must be loud and carry the evidence (stderr, exit code).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findLogProblems, makeTempDir, removeDir, run, startSamsa } from './harness.ts';

test('run() returns stdout/stderr and feeds stdin', async () => {
  const r = await run(process.execPath, ['-e', 'process.stdin.pipe(process.stdout); console.error("to stderr")'], {
    input: 'hello',
    timeoutMs: 10_000,
  });
  assert.equal(r.stdout, 'hello');
  assert.equal(r.stderr.trim(), 'to stderr');
  assert.equal(r.code, 0);
});

test('run() fails loudly with both outputs on a non-zero exit, a timeout, a missing tool', async () => {
  await assert.rejects(
    run(process.execPath, ['-e', 'console.log("out"); console.error("err"); process.exit(3)'], { timeoutMs: 10_000 }),
    (e: Error) => /exited with code 3/.test(e.message) && /err/.test(e.message) && /out/.test(e.message),
  );
  await assert.rejects(run(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 300 }), /timed out after 300 ms/);
  await assert.rejects(run('/nonexistent/kcat', [], { timeoutMs: 1000 }), /cannot run .*installed/);
});

test('startSamsa() rejects with the broker stderr when it exits before it is ready', { skip: !!process.env.SAMSA_INTEROP_BOOTSTRAP }, async () => {
  const dir = makeTempDir('samsa-interop-harness-');
  try {
    await assert.rejects(
      startSamsa({ dataDir: dir, overrides: { 'num.partitions': 'not-a-number' } }),
      (e: Error) => /before it was ready/.test(e.message) && /num\.partitions/.test(e.message),
    );
  } finally {
    removeDir(dir);
  }
});

test('findLogProblems flags failed requests and internal errors only', () => {
  const log = [
    'samsa ready listeners=PLAINTEXT://127.0.0.1:1 node.id=1 cluster.id=x ready_ms=1',
    '[samsa] [GroupCoordinator] Stabilized group g generation 1 with 1 members',
    '[samsa] closing connection 127.0.0.1:5555: request failed: boom',
    '[samsa] closing connection 127.0.0.1:5556: bad request: short frame',
    'TypeError: Cannot read properties of undefined',
  ].join('\n');
  assert.equal(findLogProblems(log).length, 3);
});
