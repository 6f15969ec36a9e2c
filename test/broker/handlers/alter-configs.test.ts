import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AlterConfigsApi, CreateTopicsApi, DescribeConfigsApi, IncrementalAlterConfigsApi, MetadataApi } from '../../../src/protocol/generated/api-keys.ts';
import { ErrorCode } from '../../../src/protocol/errors/index.ts';
import { ConfigSource } from '../../../src/broker/config/broker-config.ts';
import { DYNAMIC_CONFIGS_FILE } from '../../../src/broker/config/dynamic-broker-configs.ts';
import { AdminRawClient, startAdminBroker } from './admin-helpers.ts';
import type { AdminTestBroker } from './admin-helpers.ts';

const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;
const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;
let b: AdminTestBroker;
let c: AdminRawClient;

before(async () => {
  b = await startAdminBroker();
  c = await AdminRawClient.connect(b.bootstrap);
  const res = await c.send(CreateTopicsApi, 4, {
    topics: ['ac', 'iac'].map((name) => ({ name, numPartitions: 1, replicationFactor: 1, configs: [{ name: 'retention.ms', value: '100000' }] })),
    timeoutMs: 1000,
  });
  assert.ok(res.topics.every((t) => t.errorCode === 0));
});
after(async () => {
  c.close();
  await b.close();
});

function alter(version: number, resources: { resourceType: number; resourceName: string; configs: { name: string; value: string | null }[] }[], validateOnly = false) {
  return c.send(AlterConfigsApi, version, { resources, validateOnly });
}
function incremental(version: number, resources: { resourceType: number; resourceName: string; configs: { name: string; configOperation: number; value: string | null }[] }[], validateOnly = false) {
  return c.send(IncrementalAlterConfigsApi, version, { resources, validateOnly });
}
async function topicValue(topic: string, name: string): Promise<{ value: string | null; source: number }> {
  const res = await c.send(DescribeConfigsApi, 4, { resources: [{ resourceType: TOPIC, resourceName: topic, configurationKeys: [name] }], includeSynonyms: false, includeDocumentation: false });
  const e = res.results[0]!.configs[0]!;
  return { value: e.value, source: e.configSource };
}

test('AlterConfigs replaces all of a topic\'s overrides, in every version, and storage follows', async () => {
  for (let v = 0; v <= 2; v++) {
    const res = await alter(v, [{ resourceType: TOPIC, resourceName: 'ac', configs: [{ name: 'segment.ms', value: String(1000 + v) }] }]);
    assert.deepEqual(res.responses, [{ errorCode: 0, errorMessage: null, resourceType: TOPIC, resourceName: 'ac' }], `v${v}`);
    assert.deepEqual(b.broker.topics.get('ac')!.configs, { 'segment.ms': String(1000 + v) });
  }
  // retention.ms was dropped: back to the default.
  assert.deepEqual(await topicValue('ac', 'retention.ms'), { value: '604800000', source: ConfigSource.DEFAULT_CONFIG });
  assert.equal(b.broker.logs.getLog('ac', 0)!.config['segment.ms'], 1002);
  assert.equal(b.broker.logs.getLog('ac', 0)!.config['retention.ms'], 604800000);
});

test('AlterConfigs: validate_only, errors per resource, duplicates', async () => {
  const vo = await alter(1, [{ resourceType: TOPIC, resourceName: 'ac', configs: [{ name: 'retention.ms', value: '5' }] }], true);
  assert.equal(vo.responses[0]!.errorCode, 0);
  assert.deepEqual(b.broker.topics.get('ac')!.configs, { 'segment.ms': '1002' });
  const res = await alter(2, [
    { resourceType: TOPIC, resourceName: 'missing', configs: [{ name: 'retention.ms', value: '5' }] },
    { resourceType: TOPIC, resourceName: 'ac', configs: [{ name: 'retention.ms', value: 'soon' }] },
    { resourceType: TOPIC, resourceName: 'iac', configs: [{ name: 'foo', value: '1' }] },
    { resourceType: TOPIC, resourceName: '', configs: [] },
    { resourceType: TOPIC, resourceName: 'a b', configs: [] },
    { resourceType: BROKER_LOGGER, resourceName: '1', configs: [] },
    { resourceType: 16, resourceName: 'x', configs: [{ name: 'a', value: null }] },
    { resourceType: 16, resourceName: 'y', configs: [{ name: 'a', value: '1' }, { name: 'a', value: '2' }] },
    { resourceType: TOPIC, resourceName: 'dup', configs: [] },
    { resourceType: TOPIC, resourceName: 'dup', configs: [] },
  ]);
  assert.deepEqual(res.responses.map((r) => [r.resourceName, r.errorCode, r.errorMessage]), [
    ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The topic 'missing' does not exist."],
    ['ac', ErrorCode.INVALID_CONFIG, 'Invalid value soon for configuration retention.ms: Not a number of type LONG'],
    ['iac', ErrorCode.INVALID_CONFIG, 'Unknown topic config name: foo'],
    ['', ErrorCode.INVALID_REQUEST, 'Default topic resources are not allowed.'],
    ['a b', ErrorCode.INVALID_TOPIC_EXCEPTION, 'Topic name "a b" is illegal, it contains a character other than ASCII alphanumerics, \'.\', \'_\' and \'-\''],
    ['1', ErrorCode.INVALID_REQUEST, 'Unknown resource type 8'],
    ['x', ErrorCode.INVALID_REQUEST, 'Null value not supported for : a'],
    ['y', ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys'],
    ['dup', ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
    ['dup', ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
  ]);
  assert.deepEqual(b.broker.topics.get('ac')!.configs, { 'segment.ms': '1002' });
});

test('IncrementalAlterConfigs on a topic: SET, DELETE, APPEND, SUBTRACT', async () => {
  for (let v = 0; v <= 1; v++) {
    const res = await incremental(v, [{ resourceType: TOPIC, resourceName: 'iac', configs: [
      { name: 'segment.ms', configOperation: SET, value: '5000' },
      { name: 'retention.ms', configOperation: DELETE, value: null },
      { name: 'cleanup.policy', configOperation: APPEND, value: 'compact' },
    ] }]);
    assert.equal(res.responses[0]!.errorCode, 0, res.responses[0]!.errorMessage ?? '');
    // APPEND starts from the default "delete"; appending twice adds nothing.
    assert.deepEqual(b.broker.topics.get('iac')!.configs, { 'segment.ms': '5000', 'cleanup.policy': 'delete,compact' });
  }
  assert.deepEqual(b.broker.logs.getLog('iac', 0)!.config['cleanup.policy'], ['delete', 'compact']);
  let res = await incremental(1, [{ resourceType: TOPIC, resourceName: 'iac', configs: [{ name: 'cleanup.policy', configOperation: SUBTRACT, value: 'delete' }] }]);
  assert.equal(res.responses[0]!.errorCode, 0);
  assert.deepEqual(await topicValue('iac', 'cleanup.policy'), { value: 'compact', source: ConfigSource.TOPIC_CONFIG });
  res = await incremental(1, [{ resourceType: TOPIC, resourceName: 'iac', configs: [{ name: 'cleanup.policy', configOperation: SUBTRACT, value: 'compact' }] }]);
  assert.equal(res.responses[0]!.errorCode, 0);
  assert.equal(b.broker.topics.get('iac')!.configs['cleanup.policy'], '');
  res = await incremental(1, [{ resourceType: TOPIC, resourceName: 'iac', configs: [{ name: 'cleanup.policy', configOperation: DELETE, value: null }, { name: 'segment.ms', configOperation: DELETE, value: null }] }]);
  assert.deepEqual(b.broker.topics.get('iac')!.configs, {});
  // validate_only
  res = await incremental(1, [{ resourceType: TOPIC, resourceName: 'iac', configs: [{ name: 'retention.ms', configOperation: SET, value: '1' }] }], true);
  assert.equal(res.responses[0]!.errorCode, 0);
  assert.deepEqual(b.broker.topics.get('iac')!.configs, {});
});

test('IncrementalAlterConfigs errors', async () => {
  const res = await incremental(1, [
    { resourceType: TOPIC, resourceName: 'iac', configs: [{ name: 'retention.ms', configOperation: APPEND, value: '1' }] },
    { resourceType: TOPIC, resourceName: 'ac', configs: [{ name: 'retention.ms', configOperation: SET, value: null }] },
    { resourceType: TOPIC, resourceName: 'missing', configs: [{ name: 'retention.ms', configOperation: SET, value: '1' }] },
    { resourceType: TOPIC, resourceName: 'x1', configs: [{ name: 'retention.ms', configOperation: 9, value: '1' }] },
    { resourceType: TOPIC, resourceName: 'x2', configs: [{ name: 'min.insync.replicas', configOperation: SET, value: '0' }] },
    { resourceType: BROKER_LOGGER, resourceName: '1', configs: [{ name: 'kafka.server', configOperation: SET, value: 'DEBUG' }] },
    { resourceType: BROKER_LOGGER, resourceName: '1', configs: [] },
    { resourceType: BROKER_LOGGER, resourceName: '3', configs: [] },
    { resourceType: 99, resourceName: 'z', configs: [] },
  ]);
  assert.deepEqual(res.responses.map((r) => [r.resourceName, r.errorCode, r.errorMessage]), [
    ['iac', ErrorCode.INVALID_CONFIG, "Can't APPEND to key retention.ms because its type is not LIST."],
    ['ac', ErrorCode.INVALID_REQUEST, 'Null value not supported for : retention.ms'],
    ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The topic 'missing' does not exist."],
    ['x1', ErrorCode.INVALID_REQUEST, 'Unknown operations type 9'],
    ['x2', ErrorCode.INVALID_CONFIG, 'Invalid value 0 for configuration min.insync.replicas: Value must be at least 1'],
    ['1', ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
    ['1', ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
    ['3', ErrorCode.INVALID_REQUEST, 'Unexpected broker id, expected 1, but received 3'],
    ['z', ErrorCode.INVALID_REQUEST, 'Unknown resource type 99'],
  ]);
  const logger = await incremental(1, [{ resourceType: BROKER_LOGGER, resourceName: '1', configs: [{ name: 'kafka.server', configOperation: SET, value: 'DEBUG' }] }]);
  assert.deepEqual([logger.responses[0]!.errorCode, logger.responses[0]!.errorMessage], [ErrorCode.INVALID_CONFIG, 'Logger kafka.server does not exist!']);
});

test('broker configs: dynamic only, per-broker ones need the node id, values validated', async () => {
  const res = await alter(2, [
    { resourceType: BROKER, resourceName: '1', configs: [{ name: 'log.dirs', value: '/x' }, { name: 'node.id', value: '3' }] },
    { resourceType: BROKER, resourceName: '', configs: [{ name: 'advertised.listeners', value: 'PLAINTEXT://h:1' }] },
    { resourceType: BROKER, resourceName: '2', configs: [] },
    { resourceType: BROKER, resourceName: 'me', configs: [] },
  ]);
  assert.deepEqual(res.responses.map((r) => [r.resourceName, r.errorCode, r.errorMessage]), [
    ['1', ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically: [log.dirs, node.id]'],
    ['', ErrorCode.INVALID_REQUEST, 'Cannot update these configs at default cluster level, broker id must be specified: [advertised.listeners]'],
    ['2', ErrorCode.INVALID_REQUEST, 'Unexpected broker id, expected 1, but received 2'],
    ['me', ErrorCode.INVALID_REQUEST, 'Node id must be an integer, but it is: me'],
  ]);
  const inc = [
    ...(await incremental(1, [
      { resourceType: BROKER, resourceName: '', configs: [{ name: 'num.partitions', configOperation: SET, value: 'many' }] },
      { resourceType: BROKER, resourceName: '1', configs: [{ name: 'num.partitions', configOperation: APPEND, value: '2' }] },
    ])).responses,
    ...(await incremental(1, [{ resourceType: BROKER, resourceName: '', configs: [{ name: 'no.such.broker.config', configOperation: SET, value: '2' }] }])).responses,
  ];
  assert.deepEqual(inc.map((r) => [r.errorCode, r.errorMessage]), [
    [ErrorCode.INVALID_REQUEST, 'Invalid value many for configuration num.partitions: Not a number of type INT'],
    [ErrorCode.INVALID_CONFIG, 'Config value append is not allowed for config key: num.partitions'],
    [ErrorCode.INVALID_REQUEST, 'Unknown broker configs (Samsa does not support them): [no.such.broker.config]'],
  ]);
  assert.deepEqual([...b.broker.config.dynamicDefaultConfigs()], []);
  const adv = await alter(2, [{ resourceType: BROKER, resourceName: '1', configs: [{ name: 'advertised.listeners', value: 'OTHER://h:1' }] }]);
  assert.deepEqual([adv.responses[0]!.errorCode, adv.responses[0]!.errorMessage], [
    ErrorCode.INVALID_REQUEST,
    'requirement failed: advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found OTHER. The valid options based on the current configuration are PLAINTEXT',
  ]);
  const malformed = await alter(2, [{ resourceType: BROKER, resourceName: '1', configs: [{ name: 'advertised.listeners', value: 'nonsense' }] }]);
  assert.equal(malformed.responses[0]!.errorCode, ErrorCode.INVALID_REQUEST);
  assert.deepEqual([...b.broker.config.dynamicBrokerConfigs()], []);
  assert.equal(b.broker.bootstrapServers, b.bootstrap);
});

test('advertised.listeners can change per broker: Metadata answers with the new address', async () => {
  const res = await alter(2, [{ resourceType: BROKER, resourceName: '1', configs: [{ name: 'advertised.listeners', value: 'PLAINTEXT://advertised.example:19092' }] }]);
  assert.equal(res.responses[0]!.errorCode, 0, res.responses[0]!.errorMessage ?? '');
  try {
    const md = await c.send(MetadataApi, 12, { topics: [], allowAutoTopicCreation: false });
    assert.deepEqual(md.brokers.map((x) => [x.host, x.port]), [['advertised.example', 19092]]);
  } finally {
    await alter(2, [{ resourceType: BROKER, resourceName: '1', configs: [] }]);
  }
});

test('dynamic log.* broker configs flow into the logs; per-broker wins over cluster-wide; persisted across restart', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-admin-dyn-'));
  let nb = await startAdminBroker({}, dir);
  let nc = await AdminRawClient.connect(nb.bootstrap);
  try {
    await nc.send(CreateTopicsApi, 4, { topics: [{ name: 'plain', numPartitions: 1, replicationFactor: 1 }, { name: 'own', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'retention.ms', value: '1234' }] }], timeoutMs: 1000 });
    let res = await nc.send(IncrementalAlterConfigsApi, 1, { resources: [{ resourceType: BROKER, resourceName: '', configs: [
      { name: 'log.retention.ms', configOperation: SET, value: '60000' },
      { name: 'num.partitions', configOperation: SET, value: '4' },
      { name: 'log.cleanup.policy', configOperation: APPEND, value: 'compact' },
    ] }], validateOnly: false });
    assert.equal(res.responses[0]!.errorCode, 0, res.responses[0]!.errorMessage ?? '');
    assert.equal(nb.broker.logs.getLog('plain', 0)!.config['retention.ms'], 60000);
    assert.deepEqual(nb.broker.logs.getLog('plain', 0)!.config['cleanup.policy'], ['delete', 'compact']);
    assert.equal(nb.broker.logs.getLog('own', 0)!.config['retention.ms'], 1234);
    assert.equal(nb.broker.config.int('num.partitions'), 4);
    // Per-broker value over the cluster-wide one.
    res = await nc.send(IncrementalAlterConfigsApi, 1, { resources: [{ resourceType: BROKER, resourceName: '1', configs: [{ name: 'log.retention.ms', configOperation: SET, value: '90000' }] }], validateOnly: false });
    assert.equal(res.responses[0]!.errorCode, 0);
    assert.equal(nb.broker.logs.getLog('plain', 0)!.config['retention.ms'], 90000);
    const d = await nc.send(DescribeConfigsApi, 4, { resources: [{ resourceType: BROKER, resourceName: '1', configurationKeys: ['log.retention.ms'] }], includeSynonyms: true, includeDocumentation: false });
    assert.deepEqual(d.results[0]!.configs[0]!.synonyms, [
      { name: 'log.retention.ms', value: '90000', source: ConfigSource.DYNAMIC_BROKER_CONFIG },
      { name: 'log.retention.ms', value: '60000', source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG },
      // Kafka drops only the synonyms before the config's own name.
      { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
    ]);
    // Validate-only leaves everything as it is.
    res = await nc.send(IncrementalAlterConfigsApi, 1, { resources: [{ resourceType: BROKER, resourceName: '1', configs: [{ name: 'log.retention.ms', configOperation: DELETE, value: null }] }], validateOnly: true });
    assert.equal(res.responses[0]!.errorCode, 0);
    assert.equal(nb.broker.logs.getLog('plain', 0)!.config['retention.ms'], 90000);
    const stored = JSON.parse(fs.readFileSync(path.join(dir, DYNAMIC_CONFIGS_FILE), 'utf8'));
    assert.deepEqual(stored, { version: 1, cluster: { 'log.retention.ms': '60000', 'num.partitions': '4', 'log.cleanup.policy': 'delete,compact' }, brokers: { 1: { 'log.retention.ms': '90000' } } });

    nc.close();
    await nb.close();
    nb = await startAdminBroker({}, dir);
    nc = await AdminRawClient.connect(nb.bootstrap);
    assert.equal(nb.broker.logs.getLog('plain', 0)!.config['retention.ms'], 90000);
    assert.equal(nb.broker.config.int('num.partitions'), 4);
    assert.equal(nb.broker.config.source('log.retention.ms'), ConfigSource.DYNAMIC_BROKER_CONFIG);
    // Legacy AlterConfigs replaces the whole set: the per-broker value goes away.
    const a = await nc.send(AlterConfigsApi, 1, { resources: [{ resourceType: BROKER, resourceName: '1', configs: [] }], validateOnly: false });
    assert.equal(a.responses[0]!.errorCode, 0);
    assert.equal(nb.broker.logs.getLog('plain', 0)!.config['retention.ms'], 60000);
    const a2 = await nc.send(AlterConfigsApi, 1, { resources: [{ resourceType: BROKER, resourceName: '', configs: [{ name: 'log.segment.bytes', value: '2000000' }] }], validateOnly: false });
    assert.equal(a2.responses[0]!.errorCode, 0);
    assert.equal(nb.broker.logs.getLog('plain', 0)!.config['retention.ms'], 604800000);
    assert.equal(nb.broker.logs.getLog('plain', 0)!.config['segment.bytes'], 2000000);
    assert.equal(nb.broker.config.int('num.partitions'), 1);
  } finally {
    nc.close();
    await nb.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
