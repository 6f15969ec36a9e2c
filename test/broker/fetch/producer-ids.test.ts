import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PRODUCER_IDS_FILE, ProducerIdManager } from '../../../src/broker/producer-ids.ts';

test('ids are handed out from persisted blocks of 1000 and never reused', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-pid-'));
  try {
    const m = new ProducerIdManager(dir);
    const ids = Array.from({ length: 1001 }, () => m.generate());
    assert.deepEqual(ids.slice(0, 3), [0, 1, 2]);
    assert.equal(ids[1000], 1000);
    assert.equal(fs.readFileSync(path.join(dir, PRODUCER_IDS_FILE), 'utf8'), '0\n2000\n');
    const again = new ProducerIdManager(dir);
    assert.equal(again.generate(), 2000);
    fs.writeFileSync(path.join(dir, PRODUCER_IDS_FILE), 'garbage');
    assert.throws(() => new ProducerIdManager(dir).generate(), /corrupt/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
