import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { StorageError, StorageErrorCode } from '../../src/storage/errors.ts';
import type { FileIO } from '../../src/storage/file-io.ts';
import { nodeFileIO } from '../../src/storage/file-io.ts';
import { batch, openLog, readAll, tempDir } from './helpers.ts';

describe('recovery', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  const segPath = (base: number, ext: string): string => path.join(dir, 'topic-0', String(base).padStart(20, '0') + ext);

  it('cuts a torn last batch, rebuilds indexes, continues offsets', () => {
    let log = openLog(dir, { 'index.interval.bytes': 50 });
    for (let i = 0; i < 10; i++) log.append(batch({ count: 2, valueSize: 30 }));
    const goodSize = log.activeSegment.size;
    log.closeUnclean();
    // a torn write: a full header claiming more bytes than follow
    const torn = batch({ count: 5, valueSize: 30 });
    fs.appendFileSync(segPath(0, '.log'), torn.subarray(0, torn.length - 20));
    fs.writeFileSync(segPath(0, '.index'), Buffer.alloc(5)); // corrupt index too
    log = openLog(dir, { 'index.interval.bytes': 50 });
    assert.equal(log.logEndOffset, 20);
    assert.equal(fs.statSync(segPath(0, '.log')).size, goodSize);
    assert.equal(fs.statSync(segPath(0, '.index')).size % 8, 0);
    assert.ok(fs.statSync(segPath(0, '.index')).size > 0);
    assert.equal(log.append(batch()).baseOffset, 20);
    assert.equal(readAll(log, 0).length, 21);
    assert.equal(readAll(log, 13)[0].offset, 12);
    log.close();
  });

  it('cuts a tail batch whose CRC does not match, and deletes later segments', () => {
    let log = openLog(dir, { 'segment.bytes': 600 });
    for (let i = 0; i < 20; i++) log.append(batch({ count: 1, valueSize: 80 }));
    const segs = log.allSegments.map((s) => s.baseOffset);
    assert.ok(segs.length >= 3);
    log.closeUnclean();
    // flip a payload byte in the second batch of the second segment
    const p = segPath(segs[1], '.log');
    const bytes = fs.readFileSync(p);
    const firstSize = bytes.readInt32BE(8) + 12;
    bytes[firstSize + 70] ^= 0xff;
    fs.writeFileSync(p, bytes);
    log = openLog(dir, { 'segment.bytes': 600 }, { recoveryPoint: segs[1] });
    assert.equal(log.logEndOffset, segs[1] + 1);
    assert.equal(log.allSegments.length, 2);
    assert.ok(!fs.existsSync(segPath(segs[2], '.log')));
    assert.equal(log.append(batch()).baseOffset, segs[1] + 1);
    log.close();
  });

  it('skips recovery after a clean shutdown and rebuilds a missing index lazily', () => {
    let log = openLog(dir, { 'index.interval.bytes': 10 });
    for (let i = 0; i < 50; i++) log.append(batch({ count: 1 }));
    log.close();
    fs.rmSync(segPath(0, '.index'));
    log = openLog(dir, { 'index.interval.bytes': 10 }, { hadCleanShutdown: true });
    assert.equal(log.logEndOffset, 50);
    assert.equal(readAll(log, 25)[0].offset, 25);
    assert.ok(fs.statSync(segPath(0, '.index')).size > 0);
    log.close();
  });

  it('cuts a tail whose offsets go backwards', () => {
    let log = openLog(dir);
    log.append(batch({ count: 2 }));
    log.append(batch({ count: 2 }));
    log.closeUnclean();
    const p = segPath(0, '.log');
    const bytes = fs.readFileSync(p);
    fs.appendFileSync(p, bytes.subarray(0, bytes.readInt32BE(8) + 12)); // batch at offset 0 again
    log = openLog(dir);
    assert.equal(log.logEndOffset, 4);
    assert.equal(fs.statSync(p).size, bytes.length);
    log.close();
  });

  it('recovers an empty or zero-filled tail', () => {
    let log = openLog(dir);
    log.append(batch({ count: 3 }));
    log.closeUnclean();
    fs.appendFileSync(segPath(0, '.log'), Buffer.alloc(4096));
    log = openLog(dir);
    assert.equal(log.logEndOffset, 3);
    assert.equal(log.append(batch()).baseOffset, 3);
    log.close();
  });

  it('finishes an interrupted cleaner swap on open', () => {
    let log = openLog(dir, { 'segment.bytes': 300 });
    for (let i = 0; i < 6; i++) log.append(batch({ count: 1, valueSize: 100 }));
    const bases = log.allSegments.map((s) => s.baseOffset);
    log.close();
    // pretend the cleaner produced a swap that replaces the first segment
    fs.copyFileSync(segPath(bases[0], '.log'), segPath(bases[0], '.log.swap'));
    fs.writeFileSync(segPath(bases[0], '.log.cleaned'), 'junk');
    fs.writeFileSync(segPath(bases[1], '.log.deleted'), 'junk');
    log = openLog(dir, { 'segment.bytes': 300 }, { hadCleanShutdown: true });
    const names = fs.readdirSync(path.join(dir, 'topic-0'));
    assert.ok(!names.some((n) => n.endsWith('.swap') || n.endsWith('.cleaned') || n.endsWith('.deleted')), names.join(','));
    assert.equal(readAll(log, 0).length, 6);
    log.close();
  });

  it('a failed write (ENOSPC) throws KAFKA_STORAGE_ERROR and loses nothing acknowledged', () => {
    let failing = false;
    const io: FileIO = {
      ...nodeFileIO,
      write(fd, buf, offset, length, position) {
        if (!failing) return nodeFileIO.write(fd, buf, offset, length, position);
        if (length > 10) return nodeFileIO.write(fd, buf, offset, 10, position); // partial, then fail
        const e = new Error('ENOSPC: no space left on device') as NodeJS.ErrnoException;
        e.code = 'ENOSPC';
        throw e;
      },
    };
    let log = openLog(dir, {}, { io });
    log.append(batch({ count: 4 }));
    const size = log.activeSegment.size;
    failing = true;
    assert.throws(() => log.append(batch({ count: 4 })), (e: unknown) => e instanceof StorageError && e.code === StorageErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(log.logEndOffset, 4);
    assert.equal(fs.statSync(segPath(0, '.log')).size, size);
    assert.equal(readAll(log, 0).length, 4);
    failing = false;
    assert.equal(log.append(batch({ count: 1 })).baseOffset, 4);
    log.closeUnclean();
    log = openLog(dir);
    assert.equal(log.logEndOffset, 5);
    assert.deepEqual(readAll(log, 0).map((r) => r.offset), [0, 1, 2, 3, 4]);
    log.close();
  });
});
