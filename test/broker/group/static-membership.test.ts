/**
 * Static membership (KIP-345) with confluent-kafka (librdkafka) members in separate
 * processes: a member restarted inside its session timeout takes its instance id's
 * place without a rebalance (same generation, same partitions, the other member
 * undisturbed); a second process with a live member's instance id fences the first
 * (FENCED_INSTANCE_ID); a static member gone for longer than its session timeout is
 * removed and its partitions move.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { groupCoordinatorOf } from '../../../src/broker/group/index.ts';
import { requireClient } from './client-check.ts';
import { PARTITIONS, balanced, describeGroup, eventually, freePort, produceRound, spawnMember, startScenarioBroker } from './group-scenario.ts';
import type { Member } from './group-scenario.ts';

const STATIC_SESSION_MS = 10_000;

test('confluent-kafka static members: restart without rebalance, fencing, removal after the session timeout', { timeout: 300_000 }, async (t) => {
  requireClient('confluent');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-group-static-'));
  const sb = await startScenarioBroker(dir, await freePort());
  const topic = 'static-topic';
  const group = 'static-group';
  const members: Member[] = [];
  const spawn = (name: string, instanceId: string): Member => {
    const m = spawnMember('confluent', name, { bootstrap: sb.bootstrap, topic, group, instanceId, sessionMs: STATIC_SESSION_MS });
    members.push(m);
    return m;
  };
  const explain = (): string => describeGroup(sb.broker, group, members);
  const groupState = () => groupCoordinatorOf(sb.broker).groups.get(group)!;
  try {
    sb.broker.topics.create(topic, { partitions: PARTITIONS });
    produceRound(sb.broker, topic);
    const a = spawn('static-a', 'inst-a');
    const b = spawn('static-b', 'inst-b');
    await eventually('2 static members balanced', () => balanced(sb.broker, group, [a, b]), 60_000, explain);
    const generation = groupState().generationId;
    const aPartitions = [...a.assigned!];
    const bPartitions = [...b.assigned!];
    const bEvents = b.events.length;
    const aMemberId = groupState().staticMemberId('inst-a');
    t.diagnostic(`generation ${generation}: a=${JSON.stringify(aPartitions)} b=${JSON.stringify(bPartitions)}`);

    // Restart a inside the session timeout: same partitions, no rebalance.
    await a.kill9();
    const a2 = spawn('static-a2', 'inst-a');
    await eventually('restarted static member assigned', () => a2.assigned !== null, 30_000, explain);
    assert.deepEqual(a2.assigned, aPartitions, 'the restarted member gets its old partitions');
    assert.equal(groupState().generationId, generation, 'no rebalance: the generation is unchanged');
    assert.equal(groupState().state, 'Stable');
    assert.notEqual(groupState().staticMemberId('inst-a'), aMemberId, 'a new member id for the instance');
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(b.events.slice(bEvents).filter((e) => e.type === 'assigned' || e.type === 'revoked'), [], 'b saw no rebalance');
    assert.deepEqual(b.assigned, bPartitions);

    // A second process with b's instance id takes over; the first b is fenced.
    const b2 = spawn('static-b2', 'inst-b');
    await eventually('duplicate instance assigned', () => b2.assigned !== null, 30_000, explain);
    assert.deepEqual(b2.assigned, bPartitions);
    assert.equal(groupState().generationId, generation);
    await eventually('the old b is fenced', () => b.events.some((e) => e.type === 'error' && /fenced/i.test(e.message ?? '')), 15_000, explain);
    t.diagnostic(`fenced: ${b.events.filter((e) => e.type === 'error').map((e) => e.message).join(' | ')}`);
    await b.kill9();

    // a2 disappears for good: after its session timeout b2 gets everything.
    const killedAt = Date.now();
    await a2.kill9();
    await eventually('b2 alone has every partition', () => balanced(sb.broker, group, [b2]), STATIC_SESSION_MS + 30_000, explain);
    const movedMs = Date.now() - killedAt;
    t.diagnostic(`static member removed ${movedMs} ms after kill -9 (session ${STATIC_SESSION_MS} ms)`);
    assert.ok(movedMs >= STATIC_SESSION_MS - 1500 && movedMs <= STATIC_SESSION_MS + 8000, `moved after ${movedMs} ms`);
    assert.ok(groupState().generationId > generation);
    assert.equal(await b2.stop(), 0);
  } finally {
    for (const m of members) if (m.alive) await m.kill9();
    await sb.broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
