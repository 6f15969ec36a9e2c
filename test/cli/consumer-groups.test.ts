/**
 * `samsa consumer-groups`: flag checks and output formats (unit), then the tool
 * against a broker with a real consumer group: kcat (librdkafka) consumes as
 * group members and commits; the tool describes offsets, lag and members while
 * it is active, refuses to reset it, resets it once it is empty, and kcat
 * resumes from the reset offsets. kafkajs members (another assignor, another
 * assignment encoder) are described too. kcat missing is a failure, never a skip.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import type { Consumer as KafkaJsConsumer } from 'kafkajs';
import { Admin } from '../../src/client/admin/admin.ts';
import { UsageError } from '../../src/cli/args.ts';
import { normalizeStateFlag, parseCommand, parseTopicSpec } from '../../src/cli/commands/consumer-groups.ts';
import {
  formatAssignment,
  formatDeleteOffsets,
  formatGroupStates,
  formatMembers,
  formatOffsets,
  formatResetOffsets,
  formatState,
  parseDateTime,
  parseDuration,
  parseStates,
} from '../../src/cli/consumer-groups-format.ts';
import { startTestBroker } from '../client/helpers.ts';
import type { TestBroker } from '../client/helpers.ts';
import { run, samsa } from './helpers.ts';

describe('consumer-groups: flags', () => {
  const usage = (argv: string[], re: RegExp): void => assert.throws(() => parseCommand(argv), (e: unknown) => e instanceof UsageError && re.test(e.message));

  it('exactly one action', () => {
    usage([], /exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets/);
    usage(['--list', '--describe', '--group', 'g'], /exactly one action/);
    assert.equal(parseCommand(['--list']).action, 'list');
  });

  it('--describe, --delete and --reset-offsets need --group or --all-groups', () => {
    usage(['--describe'], /Option \[describe\] takes one of these options: \[all-groups\], \[group\]/);
    usage(['--delete'], /Option \[delete\] takes one of these options/);
    usage(['--describe', '--group', 'g', '--all-groups'], /one of these options/);
    assert.deepEqual(parseCommand(['--describe', '--group', 'a', '--group', 'b']).groups, ['a', 'b']);
    assert.equal(parseCommand(['--describe', '--all-groups']).allGroups, true);
  });

  it('--describe takes at most one of --members, --offsets, --state; --verbose needs --members', () => {
    usage(['--describe', '--group', 'g', '--members', '--state'], /at most one of these options: \[members\], \[offsets\], \[state\]/);
    usage(['--describe', '--group', 'g', '--verbose'], /verbose/);
    assert.equal(parseCommand(['--describe', '--group', 'g', '--members', '--verbose']).action, 'describe');
    assert.equal(parseCommand(['--describe', '--group', 'g', '--state']).args.flags.get('state')![0], '');
  });

  it('--state takes a value only when one follows', () => {
    assert.deepEqual(normalizeStateFlag(['--list', '--state']), ['--list', '--state=']);
    assert.deepEqual(normalizeStateFlag(['--list', '--state', 'Stable,Empty']), ['--list', '--state=Stable,Empty']);
    assert.deepEqual(normalizeStateFlag(['--state', '--list']), ['--state=', '--list']);
    assert.deepEqual(parseStates('stable, EMPTY'), ['Stable', 'Empty']);
    assert.throws(() => parseStates('Stable,Bogus'), /Invalid state list 'Stable,Bogus'. Valid states are: PreparingRebalance, CompletingRebalance, Stable, Dead, Empty, Assigning, Reconciling/);
  });

  it('--reset-offsets: one scenario, a scope, not both --dry-run and --execute', () => {
    usage(['--reset-offsets', '--group', 'g', '--all-topics'], /takes exactly one of these options: \[to-datetime\], \[by-duration\], \[to-earliest\]/);
    usage(['--reset-offsets', '--group', 'g', '--all-topics', '--to-earliest', '--to-latest'], /exactly one/);
    usage(['--reset-offsets', '--group', 'g', '--to-earliest'], /Option \[reset-offsets\] takes one of these options: \[all-topics\], \[topic\]/);
    usage(['--reset-offsets', '--group', 'g', '--to-earliest', '--topic', 't', '--all-topics'], /\[all-topics\], \[topic\]/);
    usage(['--reset-offsets', '--group', 'g', '--topic', 't', '--to-earliest', '--dry-run', '--execute'], /\[dry-run\], \[execute\]/);
    usage(['--describe', '--group', 'g', '--to-earliest'], /to-earliest/);
    assert.equal(parseCommand(['--reset-offsets', '--group', 'g', '--topic', 't:0,1', '--shift-by', '-2', '--execute']).action, 'reset-offsets');
    assert.equal(parseCommand(['--reset-offsets', '--group', 'g', '--from-file', 'plan.csv']).action, 'reset-offsets');
  });

  it('--delete-offsets needs one --group and --topic; unknown flags are refused', () => {
    usage(['--delete-offsets', '--group', 'g'], /Option \[delete-offsets\] takes the following options: \[group\], \[topic\]/);
    usage(['--list', '--bogus', 'x'], /bogus is not a recognized option/);
  });

  it('--topic T[:p,...]', () => {
    assert.deepEqual(parseTopicSpec('t'), { topic: 't', partitions: null });
    assert.deepEqual(parseTopicSpec('t:0,2'), { topic: 't', partitions: [0, 2] });
    assert.throws(() => parseTopicSpec('t:x'), UsageError);
  });

  it('--to-datetime as Kafka parses it (UTC without a zone); --by-duration', () => {
    assert.equal(parseDateTime('2024-03-01T10:20:30.456'), Date.UTC(2024, 2, 1, 10, 20, 30, 456));
    assert.equal(parseDateTime('2024-03-01T10:20:30.456Z'), Date.UTC(2024, 2, 1, 10, 20, 30, 456));
    assert.equal(parseDateTime('2024-03-01T10:20:30.456+02:00'), Date.UTC(2024, 2, 1, 8, 20, 30, 456));
    assert.equal(parseDateTime('2024-03-01T10:20:30.456-0130'), Date.UTC(2024, 2, 1, 11, 50, 30, 456));
    assert.throws(() => parseDateTime('2024-03-01 10:20:30.456'), /does not contain a 'T'/);
    assert.throws(() => parseDateTime('2024-02-30T10:20:30.456'), /Unparseable date/);
    assert.throws(() => parseDateTime('2024-03-01T10:20:30'), /Unparseable date/);
    assert.equal(parseDuration('PT1H'), 3_600_000);
    assert.equal(parseDuration('P1DT2M3.5S'), 86_400_000 + 120_000 + 3_500);
    assert.throws(() => parseDuration('1h'), /cannot be parsed/);
  });
});

describe('consumer-groups: output formats', () => {
  it('--describe offsets: Kafka columns, "-" for missing values, widths grow', () => {
    const text = formatOffsets([
      { group: 'g', topic: 'orders', partition: 0, offset: 5n, logEndOffset: 8n, consumerId: 'consumer-1-0c2f', host: '/127.0.0.1', clientId: 'consumer-1' },
      { group: 'g', topic: 'a-much-longer-topic-name', partition: 1, offset: null, logEndOffset: 3n, consumerId: null, host: null, clientId: null },
    ]);
    assert.equal(
      text,
      '\nGROUP           TOPIC                    PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID' +
        '\ng               orders                   0          5               8               3               consumer-1-0c2f /127.0.0.1      consumer-1' +
        '\ng               a-much-longer-topic-name 1          -               3               -               -               -               -\n',
    );
  });

  it('--describe --members [--verbose]', () => {
    const rows = [{ group: 'g', consumerId: 'c-1', groupInstanceId: null, host: '/10.0.0.1', clientId: 'cli', assignment: [{ topic: 'b', partition: 1 }, { topic: 'a', partition: 2 }, { topic: 'a', partition: 0 }] }];
    assert.equal(formatAssignment(rows[0]!.assignment), 'a(0,2), b(1)');
    assert.equal(formatAssignment([]), '-');
    assert.equal(
      formatMembers(rows, false),
      '\nGROUP           CONSUMER-ID     HOST            CLIENT-ID       #PARTITIONS     \ng               c-1             /10.0.0.1       cli             3               \n',
    );
    assert.equal(
      formatMembers(rows, true),
      '\nGROUP           CONSUMER-ID     HOST            CLIENT-ID       #PARTITIONS     ASSIGNMENT\ng               c-1             /10.0.0.1       cli             3               a(0,2), b(1)\n',
    );
    const withInstance = formatMembers([{ ...rows[0]!, groupInstanceId: 'static-1' }], false);
    assert.match(withInstance, /^\nGROUP {11}CONSUMER-ID {5}GROUP-INSTANCE-ID HOST {12}CLIENT-ID {7}#PARTITIONS {5}\ng {15}c-1 {13}static-1 {10}\/10\.0\.0\.1/);
  });

  it('--describe --state, --list --state, --reset-offsets, --delete-offsets', () => {
    assert.equal(
      formatState({ group: 'g', coordinator: { id: 1, host: 'localhost', port: 9092 }, assignmentStrategy: 'range', state: 'Stable', members: 2 }),
      '\nGROUP                     COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE           #MEMBERS' +
        '\ng                         localhost:9092  (1)       range                Stable          2\n',
    );
    assert.equal(formatGroupStates([{ groupId: 'g1', state: 'Empty' }]), 'GROUP           STATE\ng1              Empty\n');
    assert.equal(
      formatResetOffsets([{ group: 'g', topic: 't', partition: 0, offset: 7n }]),
      '\nGROUP           TOPIC           PARTITION  NEW-OFFSET\ng               t               0          7\n',
    );
    assert.equal(
      formatDeleteOffsets([{ topic: 't', partition: 0, error: null }]),
      '\nTOPIC                          PARTITION       STATUS         \nt                              0               Successful     \n',
    );
  });
});

// ---------------------------------------------------------------------------

interface Row {
  group: string;
  topic: string;
  partition: number;
  current: string;
  logEnd: string;
  lag: string;
  consumerId: string;
  host: string;
  clientId: string;
}

function parseOffsetTable(stdout: string): Row[] {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  assert.match(lines[0] ?? '', /^GROUP\s+TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+CONSUMER-ID\s+HOST\s+CLIENT-ID$/, stdout);
  return lines.slice(1).map((l) => {
    const [group, topic, partition, current, logEnd, lag, consumerId, host, clientId] = l.trim().split(/\s+/);
    return { group: group!, topic: topic!, partition: Number(partition), current: current!, logEnd: logEnd!, lag: lag!, consumerId: consumerId!, host: host!, clientId: clientId! };
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('samsa consumer-groups against a broker, with kcat and kafkajs as the group', () => {
  let b: TestBroker;
  let admin: Admin;
  let bs: string[];
  let dir: string;
  const TOPIC = 'events';
  const PER_PARTITION = [4, 6, 5];
  const children: ChildProcess[] = [];

  async function kcat(args: string[], input?: string) {
    const r = await run('kcat', ['-b', b.bootstrap, ...args], { input: input ?? '', timeoutMs: 60_000 });
    assert.equal(r.code, 0, `kcat ${args.join(' ')}: ${r.stderr}`);
    return r;
  }

  /** Waits (bounded) until the group is in `state`, optionally with `members` members. */
  async function waitForGroup(group: string, state: string, members?: number) {
    const deadline = Date.now() + 45_000;
    for (;;) {
      const [d] = await admin.describeConsumerGroups([group]);
      if (d!.state === state && (members === undefined || d!.members.length === members) && (state !== 'Stable' || d!.members.every((m) => m.assignment.length > 0))) return d!;
      if (Date.now() > deadline) assert.fail(`group ${group} never reached ${state}: ${JSON.stringify({ state: d!.state, members: d!.members.length })}`);
      await sleep(100);
    }
  }

  before(async () => {
    const v = await run('kcat', ['-V']).catch((e: Error) => assert.fail(`kcat is required (apt-get install kcat): ${e.message}`));
    assert.equal(v.code, 0, 'kcat -V');
    b = await startTestBroker({ 'auto.create.topics.enable': false, 'group.initial.rebalance.delay.ms': 0 });
    b.broker.topics.create(TOPIC, { partitions: 3 });
    bs = ['--bootstrap-server', b.bootstrap];
    admin = new Admin({ bootstrapServers: b.bootstrap });
    dir = mkdtempSync(join(tmpdir(), 'samsa-cg-'));
    for (let p = 0; p < 3; p++) {
      const lines = Array.from({ length: PER_PARTITION[p]! }, (_, i) => `p${p}-${i}`).join('\n') + '\n';
      await kcat(['-P', '-t', TOPIC, '-p', String(p)], lines);
    }
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    admin?.close();
    await b?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('an empty group: committed offsets, log end offsets and lag; "has no active members"', async () => {
    const consumed = await kcat(['-G', 'cg1', '-o', 'beginning', '-e', '-q', '-X', 'client.id=kc-first', TOPIC]);
    assert.equal(consumed.stdout.trim().split('\n').length, 15);
    // One more record in partition 1: lag 1 there.
    await kcat(['-P', '-t', TOPIC, '-p', '1'], 'late\n');

    const r = await samsa(['consumer-groups', ...bs, '--describe', '--group', 'cg1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "\nConsumer group 'cg1' has no active members.\n");
    assert.ok(r.stdout.startsWith('\nGROUP '), JSON.stringify(r.stdout));
    const rows = parseOffsetTable(r.stdout);
    assert.deepEqual(
      rows.map((x) => [x.group, x.topic, x.partition, x.current, x.logEnd, x.lag, x.consumerId, x.host, x.clientId]),
      [
        ['cg1', TOPIC, 0, '4', '4', '0', '-', '-', '-'],
        ['cg1', TOPIC, 1, '6', '7', '1', '-', '-', '-'],
        ['cg1', TOPIC, 2, '5', '5', '0', '-', '-', '-'],
      ],
    );

    const list = await samsa(['consumer-groups', ...bs, '--list']);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(list.stdout.split('\n').includes('cg1'), list.stdout);
    const states = await samsa(['consumer-groups', ...bs, '--list', '--state', 'empty']);
    assert.equal(states.code, 0, states.stderr);
    assert.match(states.stdout, /^GROUP\s+STATE\n/);
    assert.match(states.stdout, /^cg1\s+Empty$/m);
    const stable = await samsa(['consumer-groups', ...bs, '--list', '--state', 'Stable']);
    assert.equal(stable.stdout, 'GROUP           STATE\n');
  });

  it('an active group: members, assignments and state; reset and delete are refused', async () => {
    const child = spawn('kcat', ['-b', b.bootstrap, '-G', 'cg1', '-q', '-u', '-X', 'client.id=kc-live', TOPIC], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let consumedLive = '';
    child.stdout!.on('data', (d: Buffer) => (consumedLive += d.toString()));
    const d = await waitForGroup('cg1', 'Stable', 1);
    // kcat resumes from the committed offsets: only the late record (-u: unbuffered output).
    const deadline = Date.now() + 30_000;
    while (!consumedLive.includes('late') && Date.now() < deadline) await sleep(50);
    assert.equal(consumedLive, 'late\n');

    const r = await samsa(['consumer-groups', ...bs, '--describe', '--group', 'cg1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const rows = parseOffsetTable(r.stdout);
    assert.deepEqual(rows.map((x) => x.partition), [0, 1, 2]);
    for (const row of rows) {
      assert.equal(row.consumerId, d.members[0]!.consumerId);
      assert.equal(row.clientId, 'kc-live');
      assert.match(row.host, /127\.0\.0\.1/);
      assert.equal(row.logEnd, String(PER_PARTITION[row.partition]! + (row.partition === 1 ? 1 : 0)));
    }

    const members = await samsa(['consumer-groups', ...bs, '--describe', '--group', 'cg1', '--members', '--verbose']);
    assert.equal(members.code, 0, members.stderr);
    const mlines = members.stdout.split('\n').filter((l) => l !== '');
    assert.match(mlines[0]!, /^GROUP\s+CONSUMER-ID\s+HOST\s+CLIENT-ID\s+#PARTITIONS\s+ASSIGNMENT$/);
    assert.match(mlines[1]!, new RegExp(`^cg1\\s+${d.members[0]!.consumerId}\\s+/127\\.0\\.0\\.1\\s+kc-live\\s+3\\s+${TOPIC}\\(0,1,2\\)$`));

    const state = await samsa(['consumer-groups', ...bs, '--describe', '--group', 'cg1', '--state']);
    assert.equal(state.code, 0, state.stderr);
    assert.match(state.stdout, new RegExp(`\\ncg1\\s+127\\.0\\.0\\.1:${b.port}  \\(${b.broker.nodeId}\\)\\s+range\\s+Stable\\s+1\\n$`));

    const reset = await samsa(['consumer-groups', ...bs, '--reset-offsets', '--group', 'cg1', '--all-topics', '--to-earliest', '--execute']);
    assert.equal(reset.code, 1);
    assert.match(reset.stderr, /Error: Assignments can only be reset if the group 'cg1' is inactive, but the current state is Stable\./);

    const del = await samsa(['consumer-groups', ...bs, '--delete', '--group', 'cg1']);
    assert.equal(del.code, 1);
    assert.match(del.stderr, /\* Group 'cg1' could not be deleted due to: NON_EMPTY_GROUP/);

    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    await waitForGroup('cg1', 'Empty');
  });

  it('--reset-offsets: --dry-run changes nothing; --execute --to-earliest, and kcat resumes there', async () => {
    const dry = await samsa(['consumer-groups', ...bs, '--reset-offsets', '--group', 'cg1', '--topic', `${TOPIC}:0,2`, '--to-offset', '2', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.stdout, `\nGROUP           TOPIC           PARTITION  NEW-OFFSET\ncg1             ${TOPIC}          0          2\ncg1             ${TOPIC}          2          2\n`);
    const [before] = await admin.listConsumerGroupOffsets(['cg1']);
    assert.deepEqual(before!.offsets.map((o) => o.offset), [4n, 7n, 5n]);

    const res = await samsa(['consumer-groups', ...bs, '--reset-offsets', '--group', 'cg1', '--all-topics', '--to-earliest', '--execute']);
    assert.equal(res.code, 0, res.stderr);
    const rows = res.stdout.split('\n').filter((l) => l !== '').map((l) => l.trim().split(/\s+/));
    assert.deepEqual(rows, [
      ['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'],
      ['cg1', TOPIC, '0', '0'],
      ['cg1', TOPIC, '1', '0'],
      ['cg1', TOPIC, '2', '0'],
    ]);
    const described = parseOffsetTable((await samsa(['consumer-groups', ...bs, '--describe', '--group', 'cg1'])).stdout);
    assert.deepEqual(described.map((x) => [x.current, x.lag]), [
      ['0', '4'],
      ['0', '7'],
      ['0', '5'],
    ]);

    // kcat, same group, no -o: it starts from the committed (reset) offsets.
    const again = await kcat(['-G', 'cg1', '-e', '-q', '-f', '%p:%o\\n', TOPIC]);
    const seen = again.stdout.trim().split('\n').sort();
    assert.equal(seen.length, 16);
    for (let p = 0; p < 3; p++) assert.ok(seen.includes(`${p}:0`), `partition ${p} read again from offset 0`);
  });

  it('--reset-offsets: --shift-by, --to-latest, --to-datetime, --to-current, --from-file, --export', async () => {
    const cg = (...a: string[]) => samsa(['consumer-groups', ...bs, '--reset-offsets', '--group', 'cg1', ...a]);
    const offsets = async () => (await admin.listConsumerGroupOffsets(['cg1']))[0]!.offsets.map((o) => o.offset);
    assert.equal((await cg('--topic', TOPIC, '--to-latest', '--execute')).code, 0);
    assert.deepEqual(await offsets(), [4n, 7n, 5n]);
    assert.equal((await cg('--all-topics', '--shift-by', '-5', '--execute')).code, 0);
    assert.deepEqual(await offsets(), [0n, 2n, 0n], 'clamped at the log start');
    assert.equal((await cg('--all-topics', '--shift-by', '100', '--execute')).code, 0);
    assert.deepEqual(await offsets(), [4n, 7n, 5n], 'clamped at the log end');
    assert.equal((await cg('--topic', `${TOPIC}:1`, '--to-datetime', '2000-01-01T00:00:00.000', '--execute')).code, 0);
    assert.deepEqual(await offsets(), [4n, 0n, 5n], 'every record is newer');
    assert.equal((await cg('--topic', `${TOPIC}:1`, '--to-datetime', '2999-01-01T00:00:00.000+01:00', '--execute')).code, 0);
    assert.deepEqual(await offsets(), [4n, 7n, 5n], 'no record that new: the log end');
    const current = await cg('--all-topics', '--to-current', '--export');
    assert.equal(current.code, 0, current.stderr);
    assert.equal(current.stdout, `${TOPIC},0,4\n${TOPIC},1,7\n${TOPIC},2,5\n`);
    assert.match(current.stderr, /WARN: No action will be performed as the --execute option is missing/);
    const plan = join(dir, 'plan.csv');
    writeFileSync(plan, `${TOPIC},0,1\n${TOPIC},2,3\n`);
    assert.equal((await cg('--from-file', plan, '--execute')).code, 0);
    assert.deepEqual(await offsets(), [1n, 7n, 3n]);
  });

  it('kafkajs members (its own assignor and assignment encoding) described by the tool', async () => {
    const consumers: KafkaJsConsumer[] = [];
    try {
      for (const id of ['kjs-a', 'kjs-b']) {
        const c = new kafkajs.Kafka({ clientId: id, brokers: [b.bootstrap], logLevel: kafkajs.logLevel.NOTHING }).consumer({ groupId: 'kjs', maxWaitTimeInMs: 200, heartbeatInterval: 500 });
        consumers.push(c);
        await c.connect();
        await c.subscribe({ topic: TOPIC, fromBeginning: true });
        await c.run({ eachMessage: async () => {} });
      }
      const d = await waitForGroup('kjs', 'Stable', 2);
      assert.equal(d.partitionAssignor, 'RoundRobinAssigner');
      assert.deepEqual(d.members.flatMap((m) => m.assignment.map((tp) => tp.partition)).sort(), [0, 1, 2]);
      // Every record consumed and committed: lag 0 everywhere.
      const deadline = Date.now() + 45_000;
      for (;;) {
        const [o] = await admin.listConsumerGroupOffsets(['kjs']);
        if (o!.offsets.map((x) => x.offset).join() === '4,7,5') break;
        if (Date.now() > deadline) assert.fail(`kafkajs never committed the log end offsets: ${JSON.stringify(o!.offsets.map((x) => String(x.offset)))}`);
        await sleep(100);
      }
      const r = await samsa(['consumer-groups', ...bs, '--describe', '--group', 'kjs']);
      assert.equal(r.code, 0, r.stderr);
      const rows = parseOffsetTable(r.stdout);
      assert.equal(rows.length, 3);
      assert.ok(rows.every((x) => x.lag === '0' && x.current === x.logEnd && x.consumerId !== '-'), r.stdout);
      // The member with two partitions comes first, as in Kafka.
      const big = d.members.find((m) => m.assignment.length === 2)!;
      assert.deepEqual(rows.slice(0, 2).map((x) => [x.consumerId, x.clientId]), [
        [big.consumerId, big.clientId],
        [big.consumerId, big.clientId],
      ]);
      const members = await samsa(['consumer-groups', ...bs, '--describe', '--group', 'kjs', '--members', '--verbose']);
      assert.equal(members.code, 0, members.stderr);
      for (const m of d.members) {
        assert.match(members.stdout, new RegExp(`^kjs\\s+${m.consumerId}\\s+\\S+\\s+${m.clientId}\\s+${m.assignment.length}\\s+${TOPIC}\\(${m.assignment.map((tp) => tp.partition).join(',')}\\)$`, 'm'));
      }
      const state = await samsa(['consumer-groups', ...bs, '--describe', '--group', 'kjs', '--state']);
      assert.match(state.stdout, /\nkjs\s+\S+:\d+  \(\d+\)\s+RoundRobinAssigner\s+Stable\s+2\n$/);
    } finally {
      for (const c of consumers) await c.disconnect().catch(() => {});
    }
    await waitForGroup('kjs', 'Empty');
    const del = await samsa(['consumer-groups', ...bs, '--delete', '--group', 'kjs']);
    assert.equal(del.code, 0, del.stderr);
  });

  it('a static member (group.instance.id) gets the GROUP-INSTANCE-ID column', async () => {
    const child = spawn('kcat', ['-b', b.bootstrap, '-G', 'static-cg', '-q', '-X', 'client.id=kc-static', '-X', 'group.instance.id=instance-7', '-X', 'session.timeout.ms=6000', TOPIC], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    try {
      const d = await waitForGroup('static-cg', 'Stable', 1);
      assert.equal(d.members[0]!.groupInstanceId, 'instance-7');
      const r = await samsa(['consumer-groups', ...bs, '--describe', '--group', 'static-cg', '--members']);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.split('\n').filter((l) => l !== '');
      assert.match(lines[0]!, /^GROUP\s+CONSUMER-ID\s+GROUP-INSTANCE-ID\s+HOST\s+CLIENT-ID\s+#PARTITIONS\s*$/);
      assert.match(lines[1]!, new RegExp(`^static-cg\\s+${d.members[0]!.consumerId}\\s+instance-7\\s+/127\\.0\\.0\\.1\\s+kc-static\\s+3\\s*$`));
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('--delete-offsets, then --delete; a missing group', async () => {
    const r = await samsa(['consumer-groups', ...bs, '--delete-offsets', '--group', 'cg1', '--topic', `${TOPIC}:0`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Request succeed for deleting offsets with topic ${TOPIC}:0 group cg1\\n\\nTOPIC\\s+PARTITION\\s+STATUS\\s*\\n${TOPIC}\\s+0\\s+Successful`));
    assert.deepEqual((await admin.listConsumerGroupOffsets(['cg1']))[0]!.offsets.map((o) => o.partition), [1, 2]);

    const del = await samsa(['consumer-groups', ...bs, '--delete', '--group', 'cg1']);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(del.stdout, "Deletion of requested consumer groups ('cg1') was successful.\n");
    assert.ok(!(await samsa(['consumer-groups', ...bs, '--list'])).stdout.split('\n').includes('cg1'));

    const missing = await samsa(['consumer-groups', ...bs, '--describe', '--group', 'cg1']);
    assert.equal(missing.code, 0);
    assert.equal(missing.stdout, '');
    assert.equal(missing.stderr, "\nError: Consumer group 'cg1' does not exist.\n");
    const gone = await samsa(['consumer-groups', ...bs, '--delete', '--group', 'cg1']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /Group 'cg1' could not be deleted due to: GROUP_ID_NOT_FOUND/);
  });
});
