/**
 * The committed output matches what the generator makes from the specs (the same
 * check as `npm run codegen:check`, in process). Skipped without the spec folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadSpecs } from '../../../tools/codegen/spec.ts';
import { generateAll } from '../../../tools/codegen/generate.ts';

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const specDir = path.resolve(root, '..', 'shared', 'kafka-protocol');
const outDir = path.join(root, 'src', 'protocol', 'generated');

test('src/protocol/generated is up to date with the specs', { skip: !fs.existsSync(specDir) && 'no spec folder' }, () => {
  const files = generateAll(loadSpecs(specDir));
  const stale: string[] = [];
  for (const [rel, content] of files) {
    const p = path.join(outDir, rel);
    if (!fs.existsSync(p) || fs.readFileSync(p, 'utf8') !== content) stale.push(rel);
  }
  assert.deepEqual(stale, [], 'run `npm run codegen`');
});

test('the generator rejects what it cannot represent', async () => {
  const { parseMessage } = await import('../../../tools/codegen/spec.ts');
  const base = { type: 'request', apiKey: 999, name: 'XRequest', validVersions: '0-1', flexibleVersions: '1+' };
  assert.throws(() => parseMessage({ ...base, fields: [{ name: 'A', type: 'int32', versions: '0+', nullableVersions: '0+' }] }, 'x'), /cannot be nullable/);
  assert.throws(() => parseMessage({ ...base, fields: [{ name: 'A', type: 'Foo', versions: '0+' }] }, 'x'), /not a common struct/);
  assert.throws(() => parseMessage({ ...base, fields: [{ name: 'A', type: 'int32', versions: '0+', taggedVersions: '0+', tag: 0 }] }, 'x'), /non-flexible/);
  assert.throws(() => parseMessage({ ...base, fields: [{ name: 'A', type: 'string', versions: '0+', default: 'null' }] }, 'x'), /non-nullable/);
  assert.throws(() => parseMessage({ ...base, bogus: 1, fields: [] }, 'x'), /unknown key/);
});
