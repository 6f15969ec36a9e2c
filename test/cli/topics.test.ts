import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateTopicsApi, DeleteTopicsApi, DescribeConfigsApi } from '../../src/protocol/generated/api-keys.ts';
import { startTestBroker } from '../client/helpers.ts';
import type { TestBroker } from '../client/helpers.ts';
import { brokerSupports, samsa } from './helpers.ts';

describe('samsa topics', () => {
  let b: TestBroker;
  let bs: string[];
  let canCreate = false;
  let canDelete = false;
  let hasConfigs = false;
  before(async () => {
    b = await startTestBroker({ 'auto.create.topics.enable': false });
    b.broker.topics.create('alpha', { partitions: 2 });
    b.broker.topics.create('beta', {});
    bs = ['--bootstrap-server', b.bootstrap];
    canCreate = await brokerSupports(b.host, b.port, [CreateTopicsApi]);
    canDelete = await brokerSupports(b.host, b.port, [DeleteTopicsApi]);
    hasConfigs = await brokerSupports(b.host, b.port, [DescribeConfigsApi]);
  });
  after(async () => {
    await b.close();
  });

  it('--list prints topic names sorted, one per line; the subcommand form too', async () => {
    const r = await samsa(['topics', ...bs, '--list']);
    assert.equal(r.code, 0, r.stderr);
    const names = r.stdout.trim().split('\n');
    assert.ok(names.includes('alpha') && names.includes('beta'));
    assert.deepEqual(names, [...names].sort());
    const sub = await samsa(['topics', 'list', ...bs, '--topic', 'al.*']);
    assert.equal(sub.code, 0, sub.stderr);
    assert.equal(sub.stdout, 'alpha\n');
  });

  it('--describe prints kafka-topics lines', async () => {
    const r = await samsa(['topics', ...bs, '--describe', '--topic', 'alpha']);
    assert.equal(r.code, 0, r.stderr);
    const id = b.broker.topics.get('alpha')!.topicId;
    const node = b.broker.nodeId;
    const lines = r.stdout.split('\n');
    assert.match(lines[0]!, new RegExp(`^Topic: alpha\\tTopicId: ${id}\\tPartitionCount: 2\\tReplicationFactor: 1\\tConfigs: .*$`));
    assert.equal(lines[1], `\tTopic: alpha\tPartition: 0\tLeader: ${node}\tReplicas: ${node}\tIsr: ${node}`);
    assert.equal(lines[2], `\tTopic: alpha\tPartition: 1\tLeader: ${node}\tReplicas: ${node}\tIsr: ${node}`);
    assert.equal(lines.length, 4);
  });

  it('--describe with no --topic describes every topic', async () => {
    const r = await samsa(['topics', 'describe', ...bs]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Topic: alpha\t/m);
    assert.match(r.stdout, /^Topic: beta\t.*PartitionCount: 1\t/m);
  });

  it('--describe of a missing topic fails unless --if-exists', async () => {
    const r = await samsa(['topics', ...bs, '--describe', '--topic', 'missing']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error while executing topic command : UNKNOWN_TOPIC_OR_PARTITION: .*Topic 'missing' does not exist as expected/);
    const ok = await samsa(['topics', ...bs, '--describe', '--topic', 'missing', '--if-exists']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, '');
  });

  it('rejects usage errors with exit code 1', async () => {
    const none = await samsa(['topics', ...bs]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /exactly one action/);
    const two = await samsa(['topics', ...bs, '--list', '--describe']);
    assert.equal(two.code, 1);
    const noTopic = await samsa(['topics', ...bs, '--create']);
    assert.equal(noTopic.code, 1);
    assert.match(noTopic.stderr, /topic/);
    const typo = await samsa(['topics', ...bs, '--create', '--topic', 'typo', '--partitons', '3']);
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /partitons is not a recognized option/);
    const help = await samsa(['topics', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--bootstrap-server/);
  });

  it('reports an unreachable broker as an error, not a crash', async () => {
    const r = await samsa(['topics', '--bootstrap-server', '127.0.0.1:1', '--list']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ConnectionError: .*no bootstrap server reachable/);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
  });

  it('--create, --if-not-exists, --alter, then --delete', async (t) => {
    if (!canCreate || !canDelete) {
      t.skip('the broker has no CreateTopics/DeleteTopics handler yet');
      return;
    }
    const created = await samsa(['topics', ...bs, '--create', '--topic', 'gamma', '--partitions', '3', '--replication-factor', '1', '--config', 'retention.ms=60000']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'Created topic gamma.\n');
    assert.equal(b.broker.topics.get('gamma')?.partitions, 3);

    const again = await samsa(['topics', 'create', ...bs, '--topic', 'gamma']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /TOPIC_ALREADY_EXISTS/);
    const quiet = await samsa(['topics', 'create', ...bs, '--topic', 'gamma', '--if-not-exists']);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stdout, '');

    if (hasConfigs) {
      const d = await samsa(['topics', ...bs, '--describe', '--topic', 'gamma']);
      assert.equal(d.code, 0, d.stderr);
      assert.match(d.stdout.split('\n')[0]!, /\tConfigs: (.*,)?retention\.ms=60000(,.*)?$/);
    }

    const bad = await samsa(['topics', ...bs, '--create', '--topic', 'delta', '--config', 'no.such.config=1']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /INVALID_CONFIG/);

    const grown = await samsa(['topics', ...bs, '--alter', '--topic', 'gamma', '--partitions', '5']);
    assert.equal(grown.code, 0, grown.stderr);
    assert.equal(b.broker.topics.get('gamma')?.partitions, 5);
    const shrink = await samsa(['topics', 'alter', ...bs, '--topic', 'gamma', '--partitions', '2']);
    assert.equal(shrink.code, 1);
    assert.match(shrink.stderr, /INVALID_PARTITIONS/);
    const healthy = await samsa(['topics', ...bs, '--describe', '--topic', 'gamma', '--under-replicated-partitions']);
    assert.equal(healthy.code, 0, healthy.stderr);
    assert.equal(healthy.stdout, '', 'a single broker has no under-replicated partitions');

    const deleted = await samsa(['topics', ...bs, '--delete', '--topic', 'gamma']);
    assert.equal(deleted.code, 0, deleted.stderr);
    const list = await samsa(['topics', ...bs, '--list']);
    assert.doesNotMatch(list.stdout, /^gamma$/m);
    const missing = await samsa(['topics', 'delete', ...bs, '--topic', 'gamma']);
    assert.equal(missing.code, 1);
    const ifExists = await samsa(['topics', 'delete', ...bs, '--topic', 'gamma', '--if-exists']);
    assert.equal(ifExists.code, 0, ifExists.stderr);
  });
});
