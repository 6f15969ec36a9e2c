import * as fs from 'node:fs';

/**
 * The file operations the log performs on segment data, behind an interface so tests
 * can inject faults (ENOSPC, EIO, torn writes) and simulation can swap the disk.
 * Synchronous on purpose: an append is a single positional write into the page cache,
 * which costs less than a thread-pool round trip and keeps appends strictly ordered.
 * fsync is the only slow call; see PartitionLog.flushAsync for the off-thread variant.
 */
export interface FileIO {
  open(path: string, flags: string): number;
  /** Positional write; returns bytes written (may be short). */
  write(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number;
  /** Positional read; returns bytes read (0 at end of file). */
  read(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number;
  truncate(fd: number, length: number): void;
  fsync(fd: number): void;
  close(fd: number): void;
  size(fd: number): number;
}

export const nodeFileIO: FileIO = {
  open: (path, flags) => fs.openSync(path, flags),
  write: (fd, buf, offset, length, position) => fs.writeSync(fd, buf, offset, length, position),
  read: (fd, buf, offset, length, position) => fs.readSync(fd, buf, offset, length, position),
  truncate: (fd, length) => fs.ftruncateSync(fd, length),
  fsync: (fd) => fs.fsyncSync(fd),
  close: (fd) => fs.closeSync(fd),
  size: (fd) => fs.fstatSync(fd).size,
};

/** Writes all of `buf` at `position`, looping over short writes. */
export function writeFully(io: FileIO, fd: number, buf: Uint8Array, position: number): void {
  let done = 0;
  while (done < buf.length) {
    const n = io.write(fd, buf, done, buf.length - done, position + done);
    if (n <= 0) throw new Error(`short write at ${position + done}`);
    done += n;
  }
}

/** Reads up to `length` bytes at `position`; returns the filled prefix (short at EOF). */
export function readAt(io: FileIO, fd: number, length: number, position: number, into?: Buffer): Buffer {
  const buf = into && into.length >= length ? into : Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = io.read(fd, buf, done, length - done, position + done);
    if (n <= 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

/**
 * Writes a small state file atomically as Kafka does for checkpoints: write a
 * temporary sibling, fsync it, rename over the target, fsync the directory.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, sync = true): void {
  const tmp = `${path}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let done = 0;
    while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done);
    if (sync) fs.fsyncSync(fd);
  } catch (e) {
    // A failed write (ENOSPC) must not leave a partial temp file taking space.
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, path);
  if (sync) fsyncDir(path.slice(0, Math.max(path.lastIndexOf('/'), 1)));
}

export function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  }
}
