import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolDecodeError } from '../../../src/protocol/primitives/index.ts';
import {
  ATTR_CONTROL,
  ATTR_TRANSACTIONAL,
  ControlRecordType,
  UNKNOWN_CONTROL_RECORD_TYPE,
  buildEndTransactionMarkerBatch,
  buildRecordBatch,
  decodeRecordBatch,
  encodeControlKey,
  encodeEndTransactionMarkerValue,
  isControlBatch,
  readControlRecordType,
  readEndTransactionMarker,
  readEndTransactionMarkerValue,
  validateBatch,
} from '../../../src/protocol/records/index.ts';

test('commit and abort markers: layout, header fields, recognition', () => {
  for (const commit of [true, false]) {
    const buf = buildEndTransactionMarkerBatch({
      commit,
      producerId: 9000n,
      producerEpoch: 4,
      coordinatorEpoch: 27,
      timestamp: 1_700_000_000_123,
      baseOffset: 55n,
      partitionLeaderEpoch: 3,
    });
    const batch = decodeRecordBatch(buf);
    const h = batch.header;
    assert.equal(h.attributes, ATTR_CONTROL | ATTR_TRANSACTIONAL);
    assert.ok(isControlBatch(h));
    assert.equal(h.producerId, 9000n);
    assert.equal(h.producerEpoch, 4);
    assert.equal(h.baseSequence, -1);
    assert.equal(h.recordCount, 1);
    assert.equal(h.lastOffsetDelta, 0);
    assert.equal(h.baseTimestamp, 1_700_000_000_123n);
    assert.equal(h.maxTimestamp, 1_700_000_000_123n);
    const r = batch.records[0]!;
    assert.equal(r.offset, 55n);
    assert.equal(r.key!.toString('hex'), commit ? '00000001' : '00000000');
    assert.equal(r.value!.toString('hex'), '00000000001b');
    assert.deepEqual(readEndTransactionMarker(batch), {
      type: commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT,
      coordinatorEpoch: 27,
    });
    // A leader may append it; a client may not.
    assert.doesNotThrow(() => validateBatch(buf, 0, buf.length, { origin: 'coordinator' }));
    assert.throws(() => validateBatch(buf, 0, buf.length), /control/);
  }
});

test('control keys: unknown types, later versions, malformed keys and values', () => {
  assert.equal(readControlRecordType(encodeControlKey(ControlRecordType.LEADER_CHANGE)), 2);
  assert.equal(readControlRecordType(encodeControlKey(ControlRecordType.KRAFT_VOTERS)), 6);
  assert.equal(readControlRecordType(encodeControlKey(42)), UNKNOWN_CONTROL_RECORD_TYPE);
  assert.equal(readControlRecordType(Buffer.from('0001000100ff', 'hex')), ControlRecordType.COMMIT);
  assert.throws(() => readControlRecordType(Buffer.from('000000', 'hex')), ProtocolDecodeError);
  assert.throws(() => readControlRecordType(null), ProtocolDecodeError);
  assert.throws(() => readControlRecordType(Buffer.from('ffff0001', 'hex')), ProtocolDecodeError);
  assert.deepEqual(readEndTransactionMarkerValue(encodeEndTransactionMarkerValue(-5)), { version: 0, coordinatorEpoch: -5 });
  assert.throws(() => readEndTransactionMarkerValue(Buffer.from('0000', 'hex')), ProtocolDecodeError);
});

test('readEndTransactionMarker ignores data batches and other control types', () => {
  const data = decodeRecordBatch(buildRecordBatch([{ key: null, value: Buffer.from('x') }], { baseTimestamp: 0 }));
  assert.equal(readEndTransactionMarker(data), null);
  const leaderChange = decodeRecordBatch(
    buildRecordBatch([{ key: encodeControlKey(ControlRecordType.LEADER_CHANGE), value: Buffer.alloc(4) }], {
      baseTimestamp: 0,
      control: true,
    }),
  );
  assert.equal(readEndTransactionMarker(leaderChange), null);
});
