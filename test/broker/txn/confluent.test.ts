/**
 * Transactions with librdkafka (python3-confluent-kafka) against an in-process broker:
 * commit/abort seen by read_committed vs read_uncommitted consumers, zombie fencing,
 * coordinator abort of a timed-out transaction, consume-transform-produce with
 * send_offsets_to_transaction, and a broker restart with an open transaction.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../../src/broker/broker.ts';
import type { Broker } from '../../../src/broker/broker.ts';
import { groupCoordinatorLoaded } from '../../../src/broker/group/index.ts';
import { txnCoordinatorOf } from '../../../src/broker/txn/coordinator.ts';
import { py } from './confluent-txn.ts';

const CONFIG = {
  listeners: 'PLAINTEXT://127.0.0.1:0',
  'offsets.topic.num.partitions': 3,
  'transaction.state.log.num.partitions': 5,
  'group.initial.rebalance.delay.ms': 0,
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': 300,
};

async function start(dir: string): Promise<Broker> {
  const broker = await startBroker({ config: { ...CONFIG, 'log.dirs': dir }, log: () => {} });
  await groupCoordinatorLoaded(broker);
  return broker;
}

describe('transactions with confluent-kafka', () => {
  let dir: string;
  let broker: Broker;
  let bs: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-txn-'));
    broker = await start(dir);
    bs = broker.bootstrapServers;
  });
  after(async () => {
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('read_committed sees committed records only; read_uncommitted sees all', async () => {
    await py(bs, 'create', 'ca');
    assert.deepEqual(await py(bs, 'commit-abort', 'ca', 'tx-ca'), { ok: true });
    const committed = (await py(bs, 'consume', 'ca', 'read_committed')).values;
    assert.deepEqual(committed, ['c1-0', 'c1-1', 'c1-2', 'c2-0', 'c2-1']);
    const all = (await py(bs, 'consume', 'ca', 'read_uncommitted')).values;
    assert.deepEqual(all, ['c1-0', 'c1-1', 'c1-2', 'a-0', 'a-1', 'a-2', 'c2-0', 'c2-1']);
    const log = broker.logs.getLog('ca', 0)!;
    assert.equal(log.lastStableOffset, log.highWatermark);
    assert.equal(log.txnIndex.all.length, 1);
  });

  it('fences the older producer of a transactional id', async () => {
    await py(bs, 'create', 'fz');
    const r = await py(bs, 'fence', 'fz', 'tx-fz');
    assert.equal(r.p2, 'committed');
    assert.notEqual(r.p1, 'committed');
    assert.match(r.p1.name, /FENCED|INVALID_PRODUCER_EPOCH/);
    const committed = (await py(bs, 'consume', 'fz', 'read_committed')).values;
    assert.deepEqual(committed, ['winner']);
  });

  it('aborts a transaction left open past transaction.timeout.ms', async () => {
    await py(bs, 'create', 'to');
    const r = await py(bs, 'timeout', 'to', 'tx-to');
    assert.notEqual(r.commit, 'committed');
    const committed = (await py(bs, 'consume', 'to', 'read_committed')).values;
    assert.deepEqual(committed, ['after']);
    const log = broker.logs.getLog('to', 0)!;
    assert.equal(log.lastStableOffset, log.highWatermark);
  });

  it('consume-transform-produce commits offsets with the transaction', async () => {
    await py(bs, 'create', 'ctp-in');
    await py(bs, 'create', 'ctp-out');
    await py(bs, 'plain-produce', 'ctp-in', '20');
    const r = await py(bs, 'ctp', 'ctp-in', 'ctp-out', 'ctp-group', 'tx-ctp', '20', '1');
    assert.equal(r.committed, 20);
    const outv = (await py(bs, 'consume', 'ctp-out', 'read_committed')).values;
    assert.deepEqual(outv, Array.from({ length: 20 }, (_, i) => `out-${i}`));
  });

  it('restart: __transaction_state reloads and an open transaction is aborted when the id is reused', async () => {
    await py(bs, 'create', 'rs');
    await py(bs, 'open', 'rs', 'tx-rs');
    const before = txnCoordinatorOf(broker).txns.get('tx-rs')!;
    assert.equal(before.state, 1); // Ongoing
    const pid = before.producerId;
    await broker.close();
    broker = await start(dir);
    bs = broker.bootstrapServers;
    const md = txnCoordinatorOf(broker).txns.get('tx-rs')!;
    assert.equal(md.state, 1);
    assert.equal(md.producerId, pid);
    const log = broker.logs.getLog('rs', 0)!;
    assert.ok(log.lastStableOffset < log.highWatermark, 'open txn holds the LSO after recovery');
    assert.deepEqual(await py(bs, 'resume', 'rs', 'tx-rs'), { ok: true });
    const committed = (await py(bs, 'consume', 'rs', 'read_committed')).values;
    assert.deepEqual(committed, ['resumed']);
    assert.equal(log.lastStableOffset, log.highWatermark);
  });
});
