/**
 * Cooperative incremental rebalancing (KIP-429) is client-driven: confluent-kafka
 * members with partition.assignment.strategy=cooperative-sticky run the group scenario
 * (see group-scenario.ts). The broker only needs correct generations and a rebalance
 * whenever a member rejoins with changed subscription metadata (owned partitions).
 */
import { test } from 'node:test';
import { requireClient } from './client-check.ts';
import { runGroupScenario } from './group-scenario.ts';

test('confluent-kafka cooperative-sticky: 3 → 4 members, kill -9, resume after consumer and broker restarts', { timeout: 600_000 }, async (t) => {
  requireClient('confluent');
  const report = await runGroupScenario('confluent', (m) => t.diagnostic(m), 'cooperative-sticky');
  t.diagnostic(`partitions of the killed member moved after ${report.killMoveMs} ms`);
});
