import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ErrorCode,
  KafkaError,
  errorInfo,
  errorTable,
  isInvalidMetadata,
  isRetriable,
} from '../../src/protocol/errors/index.ts';

test('the table covers every code from -1 to 133 once, in order, with unique names', () => {
  assert.deepEqual(
    errorTable.map((e) => e.code),
    Array.from({ length: 135 }, (_, i) => i - 1),
  );
  assert.equal(new Set(errorTable.map((e) => e.name)).size, errorTable.length);
  for (const e of errorTable) {
    assert.equal(ErrorCode[e.name], e.code);
    assert.equal(errorInfo(e.code), e);
    assert.ok(e.known);
    assert.ok(e.code === 0 || e.message.length > 0, e.name);
    if (e.invalidMetadata) assert.ok(e.retriable, `${e.name}: InvalidMetadataException is retriable`);
  }
});

test('codes and names are Kafka’s', () => {
  assert.equal(ErrorCode.UNKNOWN_SERVER_ERROR, -1);
  assert.equal(ErrorCode.NONE, 0);
  assert.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER, 6);
  assert.equal(ErrorCode.INVALID_TOPIC_EXCEPTION, 17);
  assert.equal(ErrorCode.UNSUPPORTED_VERSION, 35);
  assert.equal(ErrorCode.KAFKA_STORAGE_ERROR, 56);
  assert.equal(ErrorCode.PRODUCER_FENCED, 90);
  assert.equal(ErrorCode.UNKNOWN_TOPIC_ID, 100);
  assert.equal(ErrorCode.TRANSACTION_ABORTABLE, 120);
  assert.equal(ErrorCode.REBOOTSTRAP_REQUIRED, 129);
  assert.equal(ErrorCode.SHARE_SESSION_LIMIT_REACHED, 133);
  assert.ok(Object.isFrozen(ErrorCode));
});

test("retriable is exactly the codes whose Java exception extends RetriableException", () => {
  // From the javadoc class hierarchy of org.apache.kafka.common.errors (4.1):
  // direct RetriableException subclasses, RefreshRetriableException's, and InvalidMetadataException's.
  const invalidMetadata = [
    'UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_OR_FOLLOWER', 'REPLICA_NOT_AVAILABLE',
    'NETWORK_EXCEPTION', 'KAFKA_STORAGE_ERROR', 'LISTENER_NOT_FOUND', 'FENCED_LEADER_EPOCH',
    'PREFERRED_LEADER_NOT_AVAILABLE', 'ELIGIBLE_LEADERS_NOT_AVAILABLE', 'ELECTION_NOT_NEEDED',
    'UNKNOWN_TOPIC_ID', 'INCONSISTENT_TOPIC_ID',
  ];
  const otherRetriable = [
    'CORRUPT_MESSAGE', 'REQUEST_TIMED_OUT', 'COORDINATOR_LOAD_IN_PROGRESS', 'COORDINATOR_NOT_AVAILABLE',
    'NOT_COORDINATOR', 'NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', 'NOT_CONTROLLER',
    'CONCURRENT_TRANSACTIONS', 'FETCH_SESSION_ID_NOT_FOUND', 'INVALID_FETCH_SESSION_EPOCH',
    'UNKNOWN_LEADER_EPOCH', 'OFFSET_NOT_AVAILABLE', 'UNSTABLE_OFFSET_COMMIT', 'THROTTLING_QUOTA_EXCEEDED',
    'FETCH_SESSION_TOPIC_ID_ERROR', 'SHARE_SESSION_NOT_FOUND', 'INVALID_SHARE_SESSION_EPOCH',
    'SHARE_SESSION_LIMIT_REACHED',
  ];
  const sorted = (names: string[]) => [...names].sort();
  assert.deepEqual(sorted(errorTable.filter((e) => e.invalidMetadata).map((e) => e.name)), sorted(invalidMetadata));
  assert.deepEqual(
    sorted(errorTable.filter((e) => e.retriable).map((e) => e.name)),
    sorted([...invalidMetadata, ...otherRetriable]),
  );
  assert.equal(isRetriable(ErrorCode.NOT_LEADER_OR_FOLLOWER), true);
  assert.equal(isInvalidMetadata(ErrorCode.NOT_LEADER_OR_FOLLOWER), true);
  assert.equal(isRetriable(ErrorCode.NOT_COORDINATOR), true);
  assert.equal(isInvalidMetadata(ErrorCode.NOT_COORDINATOR), false);
  for (const fatal of ['OFFSET_OUT_OF_RANGE', 'BROKER_NOT_AVAILABLE', 'REBALANCE_IN_PROGRESS', 'PRODUCER_FENCED', 'UNKNOWN_PRODUCER_ID'] as const) {
    assert.equal(isRetriable(ErrorCode[fatal]), false, fatal);
  }
});

test('names and retriability agree with @platformatic/kafka’s table (generated from Kafka’s docs)', async () => {
  const url = new URL('../../node_modules/@platformatic/kafka/dist/protocol/errors.js', import.meta.url);
  const { protocolErrors } = (await import(url.href)) as {
    protocolErrors: Record<string, { code: number; id: string; canRetry: boolean }>;
  };
  const theirs = Object.values(protocolErrors);
  assert.ok(theirs.length > 120);
  for (const e of theirs) {
    const ours = errorInfo(e.code);
    assert.equal(ours.name, e.id, `code ${e.code}`);
    assert.equal(ours.retriable, e.canRetry, `${e.id} retriable`);
  }
});

test('an unknown code gets a synthetic, non-retriable entry instead of a throw', () => {
  for (const code of [-2, 134, 9999, 32767, -32768, 1.5, Number.NaN]) {
    const info = errorInfo(code);
    assert.ok(Object.is(info.code, code));
    assert.equal(info.name, 'UNKNOWN_SERVER_ERROR');
    assert.equal(info.known, false);
    assert.equal(info.retriable, false);
    assert.equal(isRetriable(code), false);
    assert.match(info.message, new RegExp(`Unknown error code ${code}`));
  }
});

test('KafkaError carries code, name and retriability, and reads well', () => {
  const cause = new Error('socket said so');
  const err = KafkaError.from(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'orders-3', { cause });
  assert.ok(err instanceof Error);
  assert.ok(err instanceof KafkaError);
  assert.equal(err.code, 6);
  assert.equal(err.name, 'NOT_LEADER_OR_FOLLOWER');
  assert.equal(err.retriable, true);
  assert.equal(err.invalidMetadata, true);
  assert.equal(err.cause, cause);
  assert.match(err.message, /^For requests intended only for the leader.*\(orders-3\)$/);
  assert.match(String(err), /^NOT_LEADER_OR_FOLLOWER: For requests/);
  assert.match(err.stack ?? '', /^NOT_LEADER_OR_FOLLOWER: /);

  const plain = KafkaError.from(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  assert.equal(plain.message, 'Topic authorization failed.');
  assert.equal(plain.retriable, false);

  const unknown = KafkaError.from(4242, 'from a newer broker');
  assert.equal(unknown.code, 4242);
  assert.equal(unknown.name, 'UNKNOWN_SERVER_ERROR');
  assert.match(unknown.message, /4242.*\(from a newer broker\)$/);

  assert.throws(() => KafkaError.from(ErrorCode.NONE), RangeError);
});
