import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../storage/file-io.ts';

/**
 * Producer id allocation (Kafka's ProducerIdManager). Kafka's brokers take blocks of
 * 1000 ids from the controller, which records each block in the metadata log, so an
 * id is never handed out twice, even across restarts. Samsa's single node keeps the
 * same contract with a file in the first log dir:
 *
 *   samsa-producer-ids      "<version 0>\n<next block start>\n", replaced atomically
 *                           and fsynced before any id of the new block is returned.
 *
 * A restart therefore skips the unused rest of the current block, exactly as a Kafka
 * broker abandons its block when it restarts.
 */
export const PRODUCER_IDS_FILE = 'samsa-producer-ids';
export const PRODUCER_ID_BLOCK_SIZE = 1000;
/** Kafka refuses to allocate past Long.MAX_VALUE - block size; JS numbers stop at 2^53. */
const MAX_PRODUCER_ID = Number.MAX_SAFE_INTEGER - PRODUCER_ID_BLOCK_SIZE;

export class ProducerIdExhaustedError extends Error {
  constructor() {
    super('producer ids are exhausted');
    this.name = 'ProducerIdExhaustedError';
  }
}

export class ProducerIdManager {
  readonly file: string;
  private next = 0;
  /** Exclusive end of the block being handed out; `next === end` means none left. */
  private end = 0;

  constructor(dir: string) {
    this.file = path.join(dir, PRODUCER_IDS_FILE);
  }

  /** The persisted start of the next block (0 when the file is missing). */
  private readPersisted(): number {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw e;
    }
    const lines = text.split('\n').map((l) => l.trim());
    const n = Number(lines[1]);
    if (lines[0] !== '0' || !Number.isSafeInteger(n) || n < 0) throw new Error(`${this.file} is corrupt: ${JSON.stringify(text)}`);
    return n;
  }

  /** A producer id never returned before by this node (throws on I/O failure). */
  generate(): number {
    if (this.next >= this.end) {
      const start = Math.max(this.readPersisted(), this.end);
      if (start > MAX_PRODUCER_ID) throw new ProducerIdExhaustedError();
      const end = start + PRODUCER_ID_BLOCK_SIZE;
      writeFileAtomic(this.file, `0\n${end}\n`, true);
      this.next = start;
      this.end = end;
    }
    return this.next++;
  }
}
