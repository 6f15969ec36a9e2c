import { test } from 'node:test';
import assert from 'node:assert/strict';

test('a topic operation creating more than 10,000 partitions is refused (POLICY_VIOLATION)', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { startBroker } = await import('../../src/broker/broker.ts');
  const { TopicError } = await import('../../src/broker/topic-manager.ts');
  const dir = mkdtempSync(join(tmpdir(), 'samsa-partition-cap-'));
  const broker = await startBroker({ config: { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dir }, log: () => {} });
  try {
    assert.throws(() => broker.topics.create('huge', { partitions: 10_001 }), (e: unknown) => e instanceof TopicError && e.code === 44);
    broker.topics.create('small', { partitions: 1 });
    assert.throws(() => broker.topics.addPartitions('small', 10_002), (e: unknown) => e instanceof TopicError && e.code === 44);
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
