/**
 * At-least-once with manual commits after processing: three confluent-kafka members
 * (enable.auto.commit=false) process each record (append it to their own output file,
 * flushed) and commit the processed offsets synchronously after every N records (and on
 * revoke). One is killed with SIGKILL while the producer is writing; once its partitions
 * have moved and everything is consumed:
 *  - every produced record was processed at least once;
 *  - a record was processed more than once only if it belongs to a partition the killed
 *    member owned and its offset is ≥ the killed member's last committed offset for that
 *    partition (as logged in its output file before it died).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requireClient } from './client-check.ts';
import { balanced, committedOffsets, describeGroup, eventually, freePort, Member, PARTITIONS, produceRound, PYTHON, SESSION_MS, startScenarioBroker } from './group-scenario.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MEMBER = path.join(HERE, 'clients', 'recording_member.py');
const COMMIT_EVERY = 7;

interface OutputLine {
  type: 'processed' | 'commit';
  partition?: number;
  offset?: number;
  value?: string;
  offsets?: Record<string, number>;
}

function readOutput(file: string): OutputLine[] {
  if (!fs.existsSync(file)) return [];
  // A kill -9 can at most leave a partial last line: only complete lines count.
  const text = fs.readFileSync(file, 'utf8');
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return complete.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as OutputLine);
}

test('confluent-kafka manual commit after processing: kill -9 mid-stream loses nothing, reprocesses only after the last commit', { timeout: 120_000 }, async (t) => {
  requireClient('confluent');
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-commit-after-processing-'));
  const sb = await startScenarioBroker(path.join(dir, 'broker'), await freePort());
  const topic = 'commit-after-processing';
  const group = 'g-commit-after-processing';
  const members: Member[] = [];
  const outputs = new Map<Member, string>();
  const explain = (): string => describeGroup(sb.broker, group, members);
  let producer: NodeJS.Timeout | undefined;
  try {
    sb.broker.topics.create(topic, { partitions: PARTITIONS });
    for (const i of [1, 2, 3]) {
      const name = `cap-${i}`;
      const out = path.join(dir, `${name}.jsonl`);
      const m = new Member(name, PYTHON, ['-u', MEMBER, '--bootstrap', sb.bootstrap, '--topic', topic, '--group', group, '--client-id', name, '--session-ms', String(SESSION_MS), '--commit-every', String(COMMIT_EVERY), '--output', out]);
      members.push(m);
      outputs.set(m, out);
    }
    const [m1, victim, m3] = members as [Member, Member, Member];
    await eventually('3 members balanced', () => balanced(sb.broker, group, members), 45_000, explain);
    producer = setInterval(() => produceRound(sb.broker, topic), 40);

    // Mid-stream: the victim has committed every partition it owns at least once.
    const victimCommitted = (): Map<number, number> => {
      const last = new Map<number, number>();
      for (const l of readOutput(outputs.get(victim)!)) if (l.type === 'commit') for (const [p, o] of Object.entries(l.offsets!)) last.set(Number(p), o);
      return last;
    };
    await eventually('the victim committed all its partitions', () => victim.assigned !== null && victim.assigned.length > 0 && victim.assigned.every((p) => victimCommitted().has(p)) && victim.records.length > 150, 30_000, explain);
    const victimPartitions = [...victim.assigned!];
    await victim.kill9();
    const lastCommitted = victimCommitted();
    t.diagnostic(`killed ${victim.name} owning ${JSON.stringify(victimPartitions)}; last logged commits ${JSON.stringify([...lastCommitted])}`);

    // Keep producing while its partitions move.
    await eventually('2 survivors balanced', () => balanced(sb.broker, group, [m1, m3]), SESSION_MS + 30_000, explain);
    await new Promise((r) => setTimeout(r, 500));
    clearInterval(producer);
    producer = undefined;
    const ends = Array.from({ length: PARTITIONS }, (_, p) => Number(sb.broker.logs.getLog(topic, p)!.logEndOffset));
    const produced = ends.reduce((a, b) => a + b, 0);
    const consumedAll = (): boolean => {
      const seen = new Set([m1, m3].flatMap((m) => m.records.map((r) => r.value)));
      for (const l of readOutput(outputs.get(victim)!)) if (l.type === 'processed') seen.add(l.value!);
      return seen.size === produced;
    };
    await eventually(`all ${produced} records processed`, consumedAll, 40_000, explain);
    for (const m of [m1, m3]) assert.equal(await m.stop(), 0, `${m.name} stopped cleanly\n${m.describe()}`);
    assert.deepEqual(committedOffsets(sb.broker, group, topic), ends, 'everything committed once the survivors closed');

    // What was processed, by whom, how often.
    const times = new Map<string, number>();
    for (const m of members) {
      for (const l of readOutput(outputs.get(m)!)) {
        if (l.type !== 'processed') continue;
        assert.equal(l.value, `p${l.partition}-o${l.offset}`, 'record value matches its partition and offset');
        times.set(l.value!, (times.get(l.value!) ?? 0) + 1);
      }
    }
    for (let p = 0; p < PARTITIONS; p++) {
      for (let o = 0; o < ends[p]!; o++) assert.ok(times.has(`p${p}-o${o}`), `record p${p}-o${o} was processed (no loss)`);
    }
    const twice = [...times].filter(([, n]) => n > 1).map(([v]) => v);
    t.diagnostic(`${produced} records produced, ${twice.length} processed more than once: ${JSON.stringify(twice.slice(0, 30))}`);
    for (const v of twice) {
      const [, ps, os_] = /^p(\d+)-o(\d+)$/.exec(v)!;
      const p = Number(ps);
      const o = Number(os_);
      assert.ok(victimPartitions.includes(p), `${v} processed ${times.get(v)} times, but partition ${p} was not the killed member's ${JSON.stringify(victimPartitions)}`);
      assert.ok(o >= lastCommitted.get(p)!, `${v} processed ${times.get(v)} times, but the killed member had committed partition ${p} up to ${lastCommitted.get(p)}`);
      assert.equal(times.get(v), 2, `${v} processed by the killed member and its new owner only`);
    }
    assert.ok(Date.now() - started < 110_000, 'sanity bound on the whole run');
  } finally {
    if (producer) clearInterval(producer);
    for (const m of members) if (m.alive) await m.kill9();
    await sb.broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
