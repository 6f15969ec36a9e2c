import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { forEachBatchInBuffer } from '../../src/storage/batch-scanner.ts';
import type { BatchInfo } from '../../src/storage/batch-scanner.ts';
import { nodeFileIO } from '../../src/storage/file-io.ts';
import { OffsetIndex, TimeIndex } from '../../src/storage/index-file.ts';
import { LogSegment } from '../../src/storage/log-segment.ts';
import { batch, openLog, tempDir } from './helpers.ts';

describe('indexes and LogSegment', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('OffsetIndex: lookups by offset and position, truncation, reload', () => {
    const p = path.join(dir, '00000000000000000100.index');
    const idx = new OffsetIndex(p, 100, 1024, nodeFileIO, true);
    assert.deepEqual(idx.lookup(150), { offset: 100, position: 0 });
    idx.append(110, 0);
    idx.append(120, 4096);
    idx.append(130, 8192);
    idx.append(125, 9000); // not ascending: ignored
    assert.deepEqual(idx.lookup(105), { offset: 100, position: 0 });
    assert.deepEqual(idx.lookup(120), { offset: 120, position: 4096 });
    assert.deepEqual(idx.lookup(129), { offset: 120, position: 4096 });
    assert.deepEqual(idx.lookup(1000), { offset: 130, position: 8192 });
    assert.deepEqual(idx.lookupByPosition(5000), { offset: 120, position: 4096 });
    idx.persist();
    assert.equal(fs.statSync(p).size, 24);
    const again = new OffsetIndex(p, 100, 1024, nodeFileIO, false);
    assert.equal(again.entries, 3);
    again.truncateTo(121);
    assert.equal(again.entries, 2);
    assert.equal(fs.statSync(p).size, 16);
    assert.equal(new OffsetIndex(p, 100, 16, nodeFileIO, false).isFull(), true);
  });

  it('TimeIndex: keeps strictly increasing timestamps; lookup gives the largest ≤ target', () => {
    const p = path.join(dir, '00000000000000000000.timeindex');
    const ti = new TimeIndex(p, 0, 1200, nodeFileIO, true);
    ti.maybeAppend(1000, 5);
    ti.maybeAppend(1000, 9);
    ti.maybeAppend(900, 12);
    ti.maybeAppend(2000, 20);
    assert.equal(ti.entries, 2);
    assert.deepEqual(ti.lookup(999), { timestamp: -1, offset: 0 });
    assert.deepEqual(ti.lookup(1500), { timestamp: 1000, offset: 5 });
    assert.deepEqual(ti.lastEntry(), { timestamp: 2000, offset: 20 });
    ti.persist();
    assert.equal(fs.statSync(p).size, 24);
  });

  it('a corrupt index is rebuilt on first use', () => {
    const log = openLog(dir, { 'index.interval.bytes': 1 });
    for (let i = 0; i < 20; i++) log.append(batch());
    log.close();
    const p = path.join(dir, 'topic-0', '00000000000000000000.index');
    const bytes = fs.readFileSync(p);
    bytes.writeInt32BE(1_000_000, 8); // entry 1 larger than entry 2: not ascending
    fs.writeFileSync(p, bytes);
    const seg = LogSegment.open(path.join(dir, 'topic-0'), 0, nodeFileIO, { indexIntervalBytes: 1, maxIndexBytes: 1 << 20 });
    assert.equal(seg.translateOffset(13)?.baseOffset, 13);
    assert.equal(seg.offsetIndex.lookup(13).offset, 13);
    assert.equal(seg.nextOffset, 20);
    seg.close();
  });

  it('append, read with byte limits, truncateTo', () => {
    const seg = LogSegment.create(dir, 0, nodeFileIO, { indexIntervalBytes: 100, maxIndexBytes: 1 << 20 }, Date.now());
    let next = 0;
    for (let i = 0; i < 30; i++) {
      const b = batch({ count: 2 });
      b.writeBigInt64BE(BigInt(next), 0);
      const infos: BatchInfo[] = [];
      forEachBatchInBuffer(b, (info) => infos.push(info));
      seg.append(b, infos, 100);
      next += 2;
    }
    const one = seg.size / 30;
    assert.equal(seg.nextOffset, 60);
    const r = seg.read(10, one * 3 + 5, seg.size, false);
    assert.equal(r?.slice.size, one * 3);
    assert.equal(r?.slice.position, one * 5);
    assert.equal(seg.read(10, 5, seg.size, false), null);
    assert.equal(seg.read(10, 5, seg.size, true)?.slice.size, one);
    assert.equal(seg.read(10, 1000, one * 5, true), null); // maxPosition before the batch
    assert.equal(seg.truncateTo(21), one * 20);
    assert.equal(seg.nextOffset, 20);
    assert.equal(seg.size, one * 10);
    seg.close();
  });

  it('rolls when the offset index is full', () => {
    const log = openLog(dir, { 'segment.index.bytes': 32, 'index.interval.bytes': 1 });
    for (let i = 0; i < 20; i++) log.append(batch());
    assert.ok(log.allSegments.length >= 4);
    log.close();
  });
});
