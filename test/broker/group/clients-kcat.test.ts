/**
 * kcat's balanced consumer (`kcat -G`, librdkafka with auto-commit) against the group
 * coordinator, each member its own process:
 *  - three members on a 12-partition topic: disjoint, complete assignments (read from
 *    kcat's "% Group … rebalanced … assigned: …" lines); every record produced afterwards
 *    is consumed by its partition's owner and auto-committed;
 *  - a fourth joins: disjoint and complete over four;
 *  - one is killed with SIGKILL: its partitions move to the others after its session times out;
 *  - all stop with SIGTERM: the committed offsets are the log end; a new member consumes
 *    nothing older than them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { groupCoordinatorOf } from '../../../src/broker/group/index.ts';
import { balanced, committedOffsets, describeGroup, eventually, freePort, Member, PARTITIONS, produceRound, SESSION_MS, startScenarioBroker } from './group-scenario.ts';

const KCAT = 'kcat';

/** A `kcat -G` process: records from stdout ("<partition> <offset> <value>"), assignment from stderr. */
class KcatMember extends Member {
  private out = '';
  private err = '';
  readonly rebalances: string[] = [];

  constructor(name: string, bootstrap: string, group: string, topic: string) {
    super(name, KCAT, [
      '-u', '-b', bootstrap, '-G', group,
      '-X', `client.id=${name}`,
      '-X', `session.timeout.ms=${SESSION_MS}`,
      '-X', 'auto.offset.reset=earliest',
      '-X', 'auto.commit.interval.ms=500',
      '-f', '%p %o %s\\n',
      topic,
    ]);
    this.proc.stdout!.on('data', (b: Buffer) => {
      this.out += b.toString('utf8');
      let nl: number;
      while ((nl = this.out.indexOf('\n')) >= 0) {
        const line = this.out.slice(0, nl).trim();
        this.out = this.out.slice(nl + 1);
        const m = /^(\d+) (\d+) (.*)$/.exec(line);
        if (m) this.records.push({ partition: Number(m[1]), offset: Number(m[2]), value: m[3]! });
      }
    });
    this.proc.stderr!.on('data', (b: Buffer) => {
      this.err += b.toString('utf8');
      let nl: number;
      while ((nl = this.err.indexOf('\n')) >= 0) {
        const line = this.err.slice(0, nl).trim();
        this.err = this.err.slice(nl + 1);
        // "% Group <g> rebalanced (memberid <id>): assigned: <topic> [0], <topic> [3]"
        const m = /^% Group \S+ rebalanced \(memberid [^)]*\): (assigned|revoked): ?(.*)$/.exec(line);
        if (!m) continue;
        this.rebalances.push(line);
        const partitions = [...m[2]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1])).sort((a, b) => a - b);
        this.assigned = m[1] === 'assigned' ? partitions : null;
      }
    });
  }
}

function assertDisjointComplete(members: readonly Member[]): void {
  const all = members.flatMap((m) => m.assigned ?? []).sort((x, y) => x - y);
  assert.deepEqual(all, Array.from({ length: PARTITIONS }, (_, i) => i), `assignments ${members.map((m) => `${m.name}=${JSON.stringify(m.assigned)}`).join(' ')}`);
}

test('kcat -G (balanced consumer): 3 → 4 members, kill -9, auto-committed offsets, resume', { timeout: 120_000 }, async (t) => {
  const v = spawnSync(KCAT, ['-V'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) throw new Error(`${KCAT} is not runnable (${v.error?.message ?? v.stderr}); install kcat`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-group-kcat-'));
  const sb = await startScenarioBroker(dir, await freePort());
  const topic = 'group-kcat';
  const group = 'g-kcat';
  const members: KcatMember[] = [];
  const spawnOne = (name: string): KcatMember => {
    const m = new KcatMember(name, sb.bootstrap, group, topic);
    members.push(m);
    return m;
  };
  const explain = (): string => describeGroup(sb.broker, group, members) + '\n' + members.map((m) => `${m.name} rebalances: ${m.rebalances.slice(-4).join(' | ')}`).join('\n');
  const logEnd = (): number[] => Array.from({ length: PARTITIONS }, (_, p) => Number(sb.broker.logs.getLog(topic, p)!.logEndOffset));
  const consumedBy = (m: Member, p: number): Set<number> => new Set(m.records.filter((r) => r.partition === p).map((r) => r.offset));
  try {
    sb.broker.topics.create(topic, { partitions: PARTITIONS });

    // 1. Three members: disjoint, complete. Records produced after that go to their owners only.
    const [m1, m2, m3] = [spawnOne('kcat-1'), spawnOne('kcat-2'), spawnOne('kcat-3')] as [KcatMember, KcatMember, KcatMember];
    await eventually('3 kcat members balanced', () => balanced(sb.broker, group, [m1, m2, m3]), 45_000, explain);
    assertDisjointComplete([m1, m2, m3]);
    t.diagnostic(`3 members: ${[m1, m2, m3].map((m) => JSON.stringify(m.assigned)).join(' ')}`);
    for (let i = 0; i < 10; i++) produceRound(sb.broker, topic);
    await eventually('every record consumed by its owner', () => [m1, m2, m3].every((m) => (m.assigned ?? []).every((p) => consumedBy(m, p).size === 10)), 30_000, explain);
    for (const m of [m1, m2, m3]) {
      for (const r of m.records) {
        assert.ok(m.assigned!.includes(r.partition), `${m.name} consumed ${r.value} from partition ${r.partition}, not one of its ${JSON.stringify(m.assigned)}`);
        assert.equal(r.value, `p${r.partition}-o${r.offset}`, 'record value matches its partition and offset');
      }
      for (const p of m.assigned!) assert.deepEqual([...consumedBy(m, p)].sort((a, b) => a - b), [...Array(10).keys()], `${m.name} consumed all of partition ${p} once`);
    }
    assert.equal(members.reduce((n, m) => n + m.records.length, 0), 10 * PARTITIONS, 'each record consumed exactly once');
    await eventually('auto-commit reached the log end', () => committedOffsets(sb.broker, group, topic).every((o) => o === 10), 20_000, explain);

    // 2. A fourth member: disjoint and complete over four.
    const m4 = spawnOne('kcat-4');
    await eventually('4 kcat members balanced', () => balanced(sb.broker, group, [m1, m2, m3, m4]), 45_000, explain);
    assertDisjointComplete([m1, m2, m3, m4]);
    t.diagnostic(`4 members: ${[m1, m2, m3, m4].map((m) => JSON.stringify(m.assigned)).join(' ')}`);

    // 3. kill -9 one member: after its session timeout its partitions move to the others.
    const victimPartitions = [...m2.assigned!];
    const killedAt = Date.now();
    await m2.kill9();
    const survivors = [m1, m3, m4];
    await eventually('3 survivors balanced', () => balanced(sb.broker, group, survivors), SESSION_MS + 20_000, explain);
    const moveMs = Date.now() - killedAt;
    assertDisjointComplete(survivors);
    // A kill -9 sends no LeaveGroup: the coordinator notices at the session timeout (counted from the last heartbeat).
    assert.ok(moveMs >= SESSION_MS - 3500, `partitions moved ${moveMs} ms after kill -9, before the session timeout`);
    assert.ok(moveMs <= SESSION_MS + 12_000, `partitions moved ${moveMs} ms after kill -9 (session timeout ${SESSION_MS} ms)`);
    for (const p of victimPartitions) assert.ok(survivors.some((m) => m.assigned!.includes(p)), `partition ${p} of the killed member moved`);
    t.diagnostic(`kill -9 of kcat-2 (${JSON.stringify(victimPartitions)}): moved after ${moveMs} ms: ${survivors.map((m) => JSON.stringify(m.assigned)).join(' ')}`);
    produceRound(sb.broker, topic);
    await eventually('survivors consumed the new round from the committed offsets', () => survivors.every((m) => m.assigned!.every((p) => consumedBy(m, p).has(10))), 30_000, explain);

    // 4. Everybody stops with SIGTERM: librdkafka commits on close; the offsets are the log end.
    for (const m of survivors) await m.stop();
    for (const m of survivors) assert.equal(m.exited, 0, `${m.name} exited cleanly on SIGTERM\n${m.describe()}`);
    assert.deepEqual(committedOffsets(sb.broker, group, topic), logEnd(), 'committed offsets are the log end after the members closed');

    // 5. A new member consumes nothing older than the committed offsets.
    await eventually('group empty after the members left', () => groupCoordinatorOf(sb.broker).groups.get(group)?.state === 'Empty', 20_000, explain);
    produceRound(sb.broker, topic);
    const m5 = spawnOne('kcat-5');
    await eventually('the new member consumed the new round', () => new Set(m5.records.map((r) => r.partition)).size === PARTITIONS, 45_000, explain);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(m5.records.map((r) => r.offset), Array(PARTITIONS).fill(11), 'kcat-5 resumes at the committed offsets (11), nothing older');
    await eventually('kcat-5 committed the new round', () => committedOffsets(sb.broker, group, topic).every((o) => o === 12), 20_000, explain);
    assert.equal(await m5.stop(), 0, `kcat-5 exited cleanly on SIGTERM\n${m5.describe()}`);
  } finally {
    for (const m of members) if (m.alive) await m.kill9();
    await sb.broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
