import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerConfig } from '../../../src/broker/config/broker-config.ts';
import { ConfigException } from '../../../src/broker/config/config-def.ts';
import { parseProperties } from '../../../src/broker/config/properties.ts';

test('server.properties syntax: separators, comments, continuations, escapes', () => {
  const p = parseProperties('# c\n! c\nnode.id=3\nlog.dirs : /a,\\\n   /b\nkey value\\u0041\n  spaced\\ key = v\n');
  assert.equal(p.get('node.id'), '3');
  assert.equal(p.get('log.dirs'), '/a,/b');
  assert.equal(p.get('key'), 'valueA');
  assert.equal(p.get('spaced key'), 'v');
});

test('Kafka defaults and precedence of retention settings', () => {
  const c = new BrokerConfig();
  assert.equal(c.nodeId, 1);
  assert.deepEqual(c.logDirs, ['./samsa-data']);
  assert.equal(c.int('num.partitions'), 1);
  assert.equal(c.int('message.max.bytes'), 1048588);
  assert.equal(c.logRetentionMs, 168 * 3_600_000);
  assert.deepEqual(c.listeners, [{ name: 'PLAINTEXT', host: 'localhost', port: 9092, securityProtocol: 'PLAINTEXT' }]);
  const c2 = new BrokerConfig({ 'log.retention.minutes': 5, 'log.retention.hours': 1 });
  assert.equal(c2.logRetentionMs, 300_000);
  const c3 = new BrokerConfig({ 'log.retention.ms': -1 });
  assert.equal(c3.logRetentionMs, -1);
});

test('bad values are refused with Kafka-style messages', () => {
  assert.throws(() => new BrokerConfig({ 'num.partitions': 'x' }), ConfigException);
  assert.throws(() => new BrokerConfig({ 'num.partitions': 0 }), /at least 1/);
  assert.throws(() => new BrokerConfig({ listeners: 'localhost:9092' }), /listener/);
  assert.throws(() => new BrokerConfig({ 'log.cleanup.policy': 'shred' }), /one of/);
  assert.throws(() => new BrokerConfig({ 'auto.create.topics.enable': 'yes' }), /true or false/);
});

test('dynamic configs: cluster-wide ones change, read-only ones are refused', () => {
  const c = new BrokerConfig();
  c.setDynamic('log.retention.ms', '1000');
  assert.equal(c.logRetentionMs, 1000);
  c.setDynamic('log.retention.ms', null);
  assert.equal(c.logRetentionMs, 168 * 3_600_000);
  assert.throws(() => c.setDynamic('node.id', '4'), /read-only/);
});

test('log.retention.hours=-1 means unlimited retention for topics too', async () => {
  const { logConfigFromBrokerConfig } = await import('../../../src/storage/log-config.ts');
  assert.equal(logConfigFromBrokerConfig({ 'log.retention.hours': '-1' })['retention.ms'], -1);
  assert.equal(logConfigFromBrokerConfig({ 'log.retention.minutes': '-1' })['retention.ms'], -1);
  assert.equal(logConfigFromBrokerConfig({ 'log.retention.minutes': '2' })['retention.ms'], 120_000);
});
