import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DelayedCallback, Purgatory } from '../../../src/broker/purgatory/purgatory.ts';

function op(delayMs: number, ready: () => boolean, log: string[], name: string) {
  return new DelayedCallback(delayMs, ready, () => log.push(name));
}

test('completes on an event for a watched key, once, and leaves every watcher list', () => {
  const p = new Purgatory<DelayedCallback>({ name: 't' });
  const log: string[] = [];
  let ready = false;
  const a = op(10_000, () => ready, log, 'a');
  assert.equal(p.tryCompleteElseWatch(a, ['k1', 'k2']), false);
  assert.equal(p.size, 1);
  assert.equal(p.watchedKeys, 2);
  assert.equal(p.checkAndComplete('k1'), 0);
  ready = true;
  assert.equal(p.checkAndComplete('k2'), 1);
  assert.equal(p.checkAndComplete('k1'), 0);
  assert.deepEqual(log, ['a']);
  assert.equal(p.size, 0);
  assert.equal(p.watchedKeys, 0);
  assert.equal(a.isCompleted, true);
  assert.equal(a.timer, null);
});

test('completes at once when it can, or when the purgatory is full', () => {
  const p = new Purgatory<DelayedCallback>({ name: 't', maxOperations: 1 });
  const log: string[] = [];
  assert.equal(p.tryCompleteElseWatch(op(1000, () => true, log, 'now'), ['k']), true);
  assert.equal(p.tryCompleteElseWatch(op(1000, () => false, log, 'parked'), ['k']), false);
  assert.equal(p.tryCompleteElseWatch(op(1000, () => false, log, 'overflow'), ['k']), true);
  assert.deepEqual(log, ['now', 'overflow']);
  p.shutdown();
  assert.deepEqual(log, ['now', 'overflow', 'parked']);
  assert.equal(p.size, 0);
});

test('expires after its delay', async () => {
  const p = new Purgatory<DelayedCallback>({ name: 't' });
  const log: string[] = [];
  const t0 = Date.now();
  const done = new Promise<void>((resolve) => {
    p.tryCompleteElseWatch(new DelayedCallback(50, () => false, () => { log.push('expired'); resolve(); }), ['k']);
  });
  await done;
  assert.ok(Date.now() - t0 >= 45);
  assert.deepEqual(log, ['expired']);
  assert.equal(p.size, 0);
  assert.equal(p.watchedKeys, 0);
});
