/**
 * kafka-python members in separate processes against the group coordinator: balanced
 * assignments with 3 and 4 members, kill -9, resume at committed offsets, broker
 * restart (see group-scenario.ts).
 */
import { test } from 'node:test';
import { requireClient } from './client-check.ts';
import { runGroupScenario } from './group-scenario.ts';

test('kafka-python: 3 → 4 members, kill -9, resume after consumer and broker restarts', { timeout: 600_000 }, async (t) => {
  requireClient('kafka-python');
  const report = await runGroupScenario('kafka-python', (m) => t.diagnostic(m));
  t.diagnostic(`partitions of the killed member moved after ${report.killMoveMs} ms`);
});
