import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AlterConfigsApi, CreateTopicsApi, DescribeConfigsApi } from '../../../src/protocol/generated/api-keys.ts';
import { ErrorCode } from '../../../src/protocol/errors/index.ts';
import { BROKER_CONFIG_DEFS } from '../../../src/broker/config/broker-config-defs.ts';
import { ConfigSource } from '../../../src/broker/config/broker-config.ts';
import { CONFIG_TYPE_CODE } from '../../../src/broker/config/config-def.ts';
import { javaDouble } from '../../../src/broker/config/config-entries.ts';
import { TOPIC_CONFIG_DEFS } from '../../../src/broker/config/topic-config-defs.ts';
import { DEFAULT_LOG_CONFIG } from '../../../src/storage/log-config.ts';
import { AdminRawClient, startAdminBroker } from './admin-helpers.ts';
import type { AdminTestBroker } from './admin-helpers.ts';

const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;
let b: AdminTestBroker;
let c: AdminRawClient;

before(async () => {
  // Static: log.retention.hours (retention.ms's synonym) and message.max.bytes.
  b = await startAdminBroker({ 'log.retention.hours': 24, 'message.max.bytes': 2000000 });
  c = await AdminRawClient.connect(b.bootstrap);
  const res = await c.send(CreateTopicsApi, 4, {
    topics: [{ name: 'dc', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'cleanup.policy', value: 'compact,delete' }, { name: 'segment.bytes', value: '1048576' }] }],
    timeoutMs: 1000,
  });
  assert.equal(res.topics[0]!.errorCode, 0);
});
after(async () => {
  c.close();
  await b.close();
});

function describe(version: number, resources: { resourceType: number; resourceName: string; configurationKeys: string[] | null }[], synonyms = false, docs = false) {
  return c.send(DescribeConfigsApi, version, { resources, includeSynonyms: synonyms, includeDocumentation: docs });
}

test('a topic lists every topic config with effective value and source, in every version', async () => {
  for (let v = 0; v <= 4; v++) {
    const res = await describe(v, [{ resourceType: TOPIC, resourceName: 'dc', configurationKeys: null }], v >= 1, v >= 3);
    const r = res.results[0]!;
    assert.equal(r.errorCode, 0);
    assert.equal(r.resourceName, 'dc');
    assert.deepEqual(r.configs.map((e) => e.name).sort(), TOPIC_CONFIG_DEFS.map((d) => d.name).sort());
    const e = new Map(r.configs.map((x) => [x.name, x]));
    assert.equal(e.get('cleanup.policy')!.value, 'compact,delete');
    assert.equal(e.get('segment.bytes')!.value, '1048576');
    assert.equal(e.get('retention.ms')!.value, String(24 * 3_600_000));
    assert.equal(e.get('max.message.bytes')!.value, '2000000');
    assert.equal(e.get('compression.type')!.value, 'producer');
    assert.equal(e.get('message.timestamp.after.max.ms')!.value, '3600000');
    for (const x of r.configs) {
      assert.equal(x.readOnly, false);
      assert.equal(x.isSensitive, false);
    }
    if (v === 0) {
      assert.equal(e.get('cleanup.policy')!.isDefault, false);
      assert.equal(e.get('compression.type')!.isDefault, true);
    } else {
      assert.equal(e.get('cleanup.policy')!.configSource, ConfigSource.TOPIC_CONFIG);
      assert.equal(e.get('retention.ms')!.configSource, ConfigSource.STATIC_BROKER_CONFIG);
      assert.equal(e.get('max.message.bytes')!.configSource, ConfigSource.STATIC_BROKER_CONFIG);
      assert.equal(e.get('compression.type')!.configSource, ConfigSource.DEFAULT_CONFIG);
      assert.deepEqual(e.get('cleanup.policy')!.synonyms, [
        { name: 'cleanup.policy', value: 'compact,delete', source: ConfigSource.TOPIC_CONFIG },
        { name: 'log.cleanup.policy', value: 'delete', source: ConfigSource.DEFAULT_CONFIG },
      ]);
      assert.deepEqual(e.get('retention.ms')!.synonyms, [
        { name: 'log.retention.hours', value: '24', source: ConfigSource.STATIC_BROKER_CONFIG },
        { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
      ]);
    }
    if (v >= 3) {
      assert.equal(e.get('cleanup.policy')!.configType, CONFIG_TYPE_CODE.list);
      assert.equal(e.get('retention.ms')!.configType, CONFIG_TYPE_CODE.long);
      assert.equal(e.get('min.cleanable.dirty.ratio')!.configType, CONFIG_TYPE_CODE.double);
      assert.match(e.get('retention.ms')!.documentation ?? '', /discarded/);
    }
  }
});

test('values agree with what storage enforces', async () => {
  const res = await describe(4, [{ resourceType: TOPIC, resourceName: 'dc', configurationKeys: null }]);
  const applied = b.broker.logs.getLog('dc', 0)!.config as unknown as Record<string, unknown>;
  for (const e of res.results[0]!.configs) {
    const want = applied[e.name];
    const asString = Array.isArray(want)
      ? want.join(',')
      : typeof want === 'number' && want === Number.MAX_SAFE_INTEGER
        ? '9223372036854775807'
        : e.name === 'min.cleanable.dirty.ratio'
          ? javaDouble(want as number)
          : String(want);
    assert.equal(e.value, asString, e.name);
  }
  assert.ok(Object.keys(DEFAULT_LOG_CONFIG).every((k) => res.results[0]!.configs.some((e) => e.name === k)));
});

test('configuration_keys filters; synonyms and documentation only when asked', async () => {
  const res = await describe(3, [{ resourceType: TOPIC, resourceName: 'dc', configurationKeys: ['retention.ms', 'no.such'] }], false, false);
  assert.equal(res.results[0]!.configs.length, 1);
  assert.deepEqual(res.results[0]!.configs[0]!.synonyms, []);
  assert.equal(res.results[0]!.configs[0]!.documentation, null);
  const empty = await describe(1, [{ resourceType: TOPIC, resourceName: 'dc', configurationKeys: [] }]);
  assert.equal(empty.results[0]!.configs.length, TOPIC_CONFIG_DEFS.length);
});

test('topic errors: unknown topic, illegal name', async () => {
  const res = await describe(4, [
    { resourceType: TOPIC, resourceName: 'nope', configurationKeys: null },
    { resourceType: TOPIC, resourceName: 'bad/name', configurationKeys: null },
  ]);
  assert.deepEqual(res.results.map((r) => [r.resourceName, r.errorCode, r.errorMessage, r.configs.length]), [
    ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null, 0],
    ['bad/name', ErrorCode.INVALID_TOPIC_EXCEPTION, 'Topic name "bad/name" is illegal, it contains a character other than ASCII alphanumerics, \'.\', \'_\' and \'-\'', 0],
  ]);
});

test('broker by node id: every broker config, read-only flags, static/default sources, synonyms', async () => {
  const res = await describe(4, [{ resourceType: BROKER, resourceName: '1', configurationKeys: null }], true, true);
  const r = res.results[0]!;
  assert.equal(r.errorCode, 0);
  assert.equal(r.configs.length, BROKER_CONFIG_DEFS.length);
  const e = new Map(r.configs.map((x) => [x.name, x]));
  assert.deepEqual({ ...e.get('log.retention.hours')!, documentation: null }, {
    name: 'log.retention.hours',
    value: '24',
    readOnly: true,
    isDefault: false,
    configSource: ConfigSource.STATIC_BROKER_CONFIG,
    isSensitive: false,
    synonyms: [
      { name: 'log.retention.hours', value: '24', source: ConfigSource.STATIC_BROKER_CONFIG },
      { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
    ],
    configType: CONFIG_TYPE_CODE.int,
    documentation: null,
  });
  // No value of its own: Kafka reports null and DEFAULT_CONFIG, no synonyms.
  assert.equal(e.get('log.retention.ms')!.value, null);
  assert.equal(e.get('log.retention.ms')!.configSource, ConfigSource.DEFAULT_CONFIG);
  assert.equal(e.get('log.retention.ms')!.readOnly, false);
  assert.deepEqual(e.get('log.retention.ms')!.synonyms, []);
  assert.equal(e.get('message.max.bytes')!.value, '2000000');
  assert.equal(e.get('num.partitions')!.configSource, ConfigSource.DEFAULT_CONFIG);
  assert.equal(e.get('node.id')!.readOnly, true);
  assert.equal(e.get('log.cleaner.io.max.bytes.per.second')!.value, '1.7976931348623157E308');
  assert.equal(e.get('listeners')!.configSource, ConfigSource.STATIC_BROKER_CONFIG);
  assert.ok(e.get('num.partitions')!.documentation);
});

test('broker "" lists only the dynamic cluster defaults that are set', async () => {
  const before = await describe(4, [{ resourceType: BROKER, resourceName: '', configurationKeys: null }], true);
  assert.deepEqual(before.results[0]!.configs, []);
  const alt = await c.send(AlterConfigsApi, 2, { resources: [{ resourceType: BROKER, resourceName: '', configs: [{ name: 'log.retention.ms', value: '7200000' }] }], validateOnly: false });
  assert.equal(alt.responses[0]!.errorCode, 0, alt.responses[0]!.errorMessage ?? '');
  try {
    const res = await describe(4, [
      { resourceType: BROKER, resourceName: '', configurationKeys: null },
      { resourceType: TOPIC, resourceName: 'dc', configurationKeys: ['retention.ms'] },
    ], true);
    assert.deepEqual(res.results[0]!.configs.map((x) => [x.name, x.value, x.configSource, x.synonyms]), [
      ['log.retention.ms', '7200000', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, [{ name: 'log.retention.ms', value: '7200000', source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG }]],
    ]);
    const rm = res.results[1]!.configs[0]!;
    assert.equal(rm.value, '7200000');
    assert.equal(rm.configSource, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
    assert.deepEqual(rm.synonyms.map((s) => [s.name, s.source]), [
      ['log.retention.ms', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
      ['log.retention.hours', ConfigSource.STATIC_BROKER_CONFIG],
      ['log.retention.hours', ConfigSource.DEFAULT_CONFIG],
    ]);
  } finally {
    await c.send(AlterConfigsApi, 2, { resources: [{ resourceType: BROKER, resourceName: '', configs: [] }], validateOnly: false });
  }
});

test('broker and logger resource errors; unsupported types', async () => {
  const res = await describe(4, [
    { resourceType: BROKER, resourceName: '2', configurationKeys: null },
    { resourceType: BROKER, resourceName: 'x', configurationKeys: null },
    { resourceType: BROKER_LOGGER, resourceName: '', configurationKeys: null },
    { resourceType: BROKER_LOGGER, resourceName: '2', configurationKeys: null },
    { resourceType: BROKER_LOGGER, resourceName: '1', configurationKeys: null },
    { resourceType: 99, resourceName: 'x', configurationKeys: null },
  ]);
  assert.deepEqual(res.results.map((r) => [r.resourceType, r.resourceName, r.errorCode, r.errorMessage]), [
    [BROKER, '2', ErrorCode.INVALID_REQUEST, 'Unexpected broker id, expected 1 or empty string, but received 2'],
    [BROKER, 'x', ErrorCode.INVALID_REQUEST, 'Broker id must be an integer, but it is: x'],
    [BROKER_LOGGER, '', ErrorCode.INVALID_REQUEST, 'Broker id must not be empty'],
    [BROKER_LOGGER, '2', ErrorCode.INVALID_REQUEST, 'Unexpected broker id, expected 1 but received 2'],
    [BROKER_LOGGER, '1', ErrorCode.NONE, null],
    [99, 'x', ErrorCode.INVALID_REQUEST, 'Unsupported resource type: UNKNOWN'],
  ]);
});
