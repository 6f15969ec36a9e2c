/**
 * Cooperative incremental rebalancing (KIP-429) keeps consumption going: confluent-kafka
 * members with partition.assignment.strategy=cooperative-sticky on a 12-partition topic
 * that a producer keeps writing to. Three members are stable, then a fourth joins.
 * For every member that was there before, the partitions it keeps are never revoked (its
 * on_revoke lists only the partitions that move), their consumed offsets stay contiguous,
 * and it receives records of them between the fourth member's start and the completion of
 * the second (incremental) rebalance.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requireClient } from './client-check.ts';
import { balanced, describeGroup, eventually, freePort, Member, PARTITIONS, produceRound, PYTHON, startScenarioBroker } from './group-scenario.ts';
import type { MemberEvent } from './group-scenario.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MEMBER = path.join(HERE, 'clients', 'recording_member.py');

interface TimedEvent extends MemberEvent {
  t?: number;
}

function spawnRecording(name: string, bootstrap: string, topic: string, group: string): Member {
  return new Member(name, PYTHON, ['-u', MEMBER, '--bootstrap', bootstrap, '--topic', topic, '--group', group, '--client-id', name, '--strategy', 'cooperative-sticky']);
}

const callbacks = (m: Member): TimedEvent[] => (m.events as TimedEvent[]).filter((e) => e.type === 'assign' || e.type === 'revoke');

test('confluent-kafka cooperative-sticky: a 4th member joins while the others keep consuming their kept partitions', { timeout: 120_000 }, async (t) => {
  requireClient('confluent');
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-coop-continuity-'));
  const sb = await startScenarioBroker(dir, await freePort());
  const topic = 'coop-continuity';
  const group = 'g-coop-continuity';
  const members: Member[] = [];
  const explain = (): string => describeGroup(sb.broker, group, members) + '\n' + members.map((m) => `${m.name} callbacks: ${JSON.stringify(callbacks(m))}`).join('\n');
  let producer: NodeJS.Timeout | undefined;
  try {
    sb.broker.topics.create(topic, { partitions: PARTITIONS });
    produceRound(sb.broker, topic);
    producer = setInterval(() => produceRound(sb.broker, topic), 25);

    const old = [1, 2, 3].map((i) => spawnRecording(`coop-${i}`, sb.bootstrap, topic, group));
    members.push(...old);
    await eventually('3 members balanced', () => balanced(sb.broker, group, old), 45_000, explain);
    // Settled: every member is consuming.
    await eventually('3 members consuming', () => old.every((m) => m.records.length > 20), 20_000, explain);
    const before = new Map(old.map((m) => [m, [...m.assigned!]]));
    const callbacksBefore = new Map(old.map((m) => [m, callbacks(m).length]));

    const joinedAt = Date.now();
    const m4 = spawnRecording('coop-4', sb.bootstrap, topic, group);
    members.push(m4);
    const all = [...old, m4];
    await eventually('4 members balanced', () => balanced(sb.broker, group, all), 45_000, explain);
    // The group is Stable with every member owning partitions: the incremental rebalance is complete.
    const completedAtNow = (): number => Math.max(...all.flatMap((m) => callbacks(m).map((e) => e.t!)));
    // Each member's lines arrive in order over its pipe, some time after it printed them
    // (balanced() only needs the last "assigned" line of each): once every member has
    // reported an event stamped after the last callback, everything it printed before is
    // in (records of the window below, callbacks). The producer keeps writing until then.
    await eventually(
      'every member reported an event after the end of the rebalance',
      () => all.every((m) => (m.events as TimedEvent[]).some((e) => e.t !== undefined && e.t > completedAtNow())),
      30_000,
      explain,
    );
    clearInterval(producer);
    producer = undefined;
    const completedAt = completedAtNow();

    // Final assignments: disjoint, complete, nobody empty.
    const final = all.flatMap((m) => m.assigned ?? []).sort((x, y) => x - y);
    assert.deepEqual(final, Array.from({ length: PARTITIONS }, (_, i) => i), `final assignments ${all.map((m) => `${m.name}=${JSON.stringify(m.assigned)}`).join(' ')}`);
    assert.ok(m4.assigned!.length > 0, 'the 4th member got partitions');

    for (const m of old) {
      const had = before.get(m)!;
      const now = m.assigned!;
      const kept = had.filter((p) => now.includes(p));
      const moved = had.filter((p) => !now.includes(p));
      const during = callbacks(m).slice(callbacksBefore.get(m)!);
      t.diagnostic(`${m.name}: had ${JSON.stringify(had)} kept ${JSON.stringify(kept)} moved ${JSON.stringify(moved)}; callbacks during the rebalance ${JSON.stringify(during.map((e) => `${e.type}${JSON.stringify(e.partitions)}`))}`);
      assert.ok(kept.length > 0, `${m.name} keeps some partitions (cooperative-sticky)`);
      // Only the partitions that move are revoked; nothing new is assigned to an old member.
      const revoked = during.filter((e) => e.type === 'revoke').flatMap((e) => e.partitions!).sort((x, y) => x - y);
      assert.deepEqual(revoked, [...moved].sort((x, y) => x - y), `${m.name}: on_revoke during the rebalance lists exactly the partitions that move\n${explain()}`);
      for (const e of during) {
        for (const p of e.partitions!) assert.ok(!kept.includes(p), `${m.name}: kept partition ${p} appears in ${e.type} ${JSON.stringify(e.partitions)}`);
      }
      // Every kept partition: consumed offsets contiguous, from the first one to the last one.
      const events = m.events as TimedEvent[];
      for (const p of kept) {
        const offsets = events.filter((e) => e.type === 'record' && e.partition === p).map((e) => e.offset!);
        assert.ok(offsets.length > 0, `${m.name} consumed partition ${p}`);
        for (let i = 1; i < offsets.length; i++) {
          assert.equal(offsets[i], offsets[i - 1]! + 1, `${m.name}: partition ${p} offsets contiguous (after ${offsets[i - 1]} came ${offsets[i]})`);
        }
      }
      // Consumption of kept partitions went on during the rebalance.
      const inWindow = events.filter((e) => e.type === 'record' && kept.includes(e.partition!) && e.t! > joinedAt && e.t! < completedAt);
      t.diagnostic(`${m.name}: ${inWindow.length} records of kept partitions in the ${completedAt - joinedAt} ms between the 4th member's start and the end of the rebalance`);
      assert.ok(inWindow.length > 0, `${m.name} received records of its kept partitions ${JSON.stringify(kept)} during the rebalance\n${explain()}`);
      // In particular between its on_revoke (first rebalance) and the end of the second one.
      const revokedAt = during.find((e) => e.type === 'revoke')?.t ?? joinedAt;
      const afterRevoke = inWindow.filter((e) => e.t! >= revokedAt);
      t.diagnostic(`${m.name}: ${afterRevoke.length} records of kept partitions in the ${completedAt - revokedAt} ms between its on_revoke and the end of the rebalance`);
      assert.ok(afterRevoke.length > 0, `${m.name} received records of its kept partitions between its on_revoke and the end of the incremental rebalance\n${explain()}`);
    }
    for (const m of all) assert.equal(await m.stop(), 0, `${m.name} stopped cleanly\n${m.describe()}`);
    assert.ok(Date.now() - started < 110_000, 'sanity bound on the whole run');
  } finally {
    if (producer) clearInterval(producer);
    for (const m of members) if (m.alive) await m.kill9();
    await sb.broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
