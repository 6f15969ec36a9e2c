/** A missing client library is a test failure with a clear message, never a skip. */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import type { ClientKind } from './group-scenario.ts';
import { PYTHON } from './group-scenario.ts';

export function requireClient(kind: ClientKind): void {
  if (kind === 'confluent' || kind === 'kafka-python') {
    const module = kind === 'confluent' ? 'confluent_kafka' : 'kafka';
    const r = spawnSync(PYTHON, ['-c', `import ${module}`], { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      throw new Error(`${PYTHON} cannot import ${module} (${r.error?.message ?? r.stderr.trim()}); install python3-${kind === 'confluent' ? 'confluent-kafka' : 'kafka'}`);
    }
    return;
  }
  const require = createRequire(import.meta.url);
  require.resolve(kind === 'kafkajs' ? 'kafkajs' : '@platformatic/kafka');
}
