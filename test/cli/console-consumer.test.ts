import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Socket } from 'node:net';
import { formatRecord } from '../../src/cli/formatter.ts';
import type { FormatterOptions } from '../../src/cli/formatter.ts';
import { encodeApiVersionsResponse } from '../../src/protocol/generated/api-versions-response.ts';
import { encodeFetchResponse } from '../../src/protocol/generated/fetch-response.ts';
import { encodeMetadataResponse } from '../../src/protocol/generated/metadata-response.ts';
import { Writer } from '../../src/protocol/primitives/writer.ts';
import { buildRecordBatch } from '../../src/protocol/records/batch-builder.ts';
import { buildEndTransactionMarkerBatch } from '../../src/protocol/records/control.ts';
import { decodeRecordBatch } from '../../src/protocol/records/batch-decoder.ts';
import { startFakeServer } from '../client/helpers.ts';
import type { FakeRequest } from '../client/helpers.ts';
import { samsa } from './helpers.ts';

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

/** A fixed log: txn pid 7 (aborted) at 0-1, plain at 2, ABORT marker at 3, txn pid 7 (committed) at 4, COMMIT at 5. */
function recordSet(): Buffer {
  const txn = { transactional: true, producerId: 7n, producerEpoch: 0, baseSequence: 0 };
  const v = (s: string): Buffer => Buffer.from(s);
  return Buffer.concat([
    buildRecordBatch([{ key: null, value: v('aborted-1') }, { key: null, value: v('aborted-2') }], { baseOffset: 0n, baseTimestamp: 1000, ...txn }),
    buildRecordBatch([{ key: v('k'), value: v('plain') }], { baseOffset: 2n, baseTimestamp: 1000 }),
    buildEndTransactionMarkerBatch({ commit: false, producerId: 7n, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 1000, baseOffset: 3n }),
    buildRecordBatch([{ key: null, value: v('committed') }], { baseOffset: 4n, baseTimestamp: 1000, ...txn, baseSequence: 2 }),
    buildEndTransactionMarkerBatch({ commit: true, producerId: 7n, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 1000, baseOffset: 5n }),
  ]);
}

/** A one-broker cluster serving ApiVersions, Metadata and one Fetch answer, then empty fetches. */
async function fakeCluster(): Promise<{ port: number; close(): Promise<void> }> {
  let port = 0;
  let served = false;
  const reply = (req: FakeRequest, socket: Socket, flexible: boolean, encode: (w: Writer) => void): void => {
    const w = new Writer(256);
    w.int32(0).int32(req.correlationId);
    if (flexible) w.unsignedVarint(0);
    encode(w);
    const out = w.finish();
    out.writeInt32BE(out.length - 4, 0);
    socket.write(Buffer.from(out));
  };
  const fake = await startFakeServer((req, socket) => {
    if (req.apiKey === 18) {
      reply(req, socket, false, (w) => encodeApiVersionsResponse(w, { apiKeys: [{ apiKey: 1, minVersion: 4, maxVersion: 11 }, { apiKey: 3, minVersion: 1, maxVersion: 8 }, { apiKey: 18, minVersion: 0, maxVersion: 4 }] }, req.apiVersion));
    } else if (req.apiKey === 3) {
      reply(req, socket, false, (w) =>
        encodeMetadataResponse(w, {
          brokers: [{ nodeId: 5, host: '127.0.0.1', port }],
          controllerId: 5,
          topics: [{ name: 'tx', topicId: TOPIC_ID, partitions: [{ partitionIndex: 0, leaderId: 5, replicaNodes: [5], isrNodes: [5] }] }],
        }, req.apiVersion),
      );
    } else if (req.apiKey === 1) {
      const records = served ? null : recordSet();
      served = true;
      reply(req, socket, false, (w) =>
        encodeFetchResponse(w, {
          responses: [{ topic: 'tx', partitions: [{ partitionIndex: 0, highWatermark: 6n, lastStableOffset: 6n, abortedTransactions: [{ producerId: 7n, firstOffset: 0n }], records }] }],
        }, req.apiVersion),
      );
    }
  });
  port = fake.port;
  return fake;
}

describe('samsa consume --isolation-level (the client Consumer\'s read_committed filter)', () => {
  for (const [level, expected] of [
    ['read_uncommitted', ['aborted-1', 'aborted-2', 'plain', 'committed']],
    ['read_committed', ['plain', 'committed']],
  ] as const) {
    it(`${level}: ${level === 'read_committed' ? 'skips aborted transactions and markers' : 'returns every data record, no markers'}`, async () => {
      const fake = await fakeCluster();
      try {
        const c = await samsa(['consume', '--bootstrap-server', `127.0.0.1:${fake.port}`, '--topic', 'tx', '--partition', '0', '--offset', '0', '--isolation-level', level, '--timeout-ms', '1500']);
        assert.equal(c.code, 0, c.stderr);
        assert.deepEqual(c.stdout.trimEnd().split('\n'), expected);
        assert.match(c.stderr, new RegExp(`Processed a total of ${expected.length} messages`));
      } finally {
        await fake.close();
      }
    });
  }
});

describe('formatRecord (DefaultMessageFormatter)', () => {
  const batch = decodeRecordBatch(
    buildRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('v'), headers: [{ key: 'a', value: Buffer.from('1') }, { key: 'b', value: null }] }, { key: null, value: null }], { baseOffset: 40n, baseTimestamp: 1234 }),
  );
  const base: FormatterOptions = { printTimestamp: false, printPartition: false, printOffset: false, printHeaders: false, printKey: false, printValue: true, keySeparator: '\t', lineSeparator: '\n', headersSeparator: ',', headersKeySeparator: ':', nullLiteral: 'null' };
  const fmt = (o: Partial<FormatterOptions>, i = 0): string => {
    const parts: string[] = [];
    formatRecord(3, batch.records[i]!, { ...base, ...o }, parts);
    return parts.join('');
  };

  it('prints the value alone by default', () => {
    assert.equal(fmt({}), 'v\n');
    assert.equal(fmt({}, 1), 'null\n');
  });

  it('prints every column in Kafka\'s order', () => {
    assert.equal(fmt({ printTimestamp: true, printPartition: true, printOffset: true, printHeaders: true, printKey: true }), 'CreateTime:1234\tPartition:3\tOffset:40\ta:1,b:null\tk\tv\n');
    assert.equal(fmt({ printHeaders: true, printKey: true, keySeparator: ' | ', nullLiteral: '<nil>' }, 1), 'NO_HEADERS | <nil> | <nil>\n');
  });

  it('ends the line after the last printed column when the value is not printed', () => {
    assert.equal(fmt({ printKey: true, printValue: false }), 'k\n');
    assert.equal(fmt({ printOffset: true, printValue: false }), 'Offset:40\n');
  });
});
