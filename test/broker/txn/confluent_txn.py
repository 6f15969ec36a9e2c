"""Transactional scenarios with confluent-kafka (librdkafka) for the broker's txn tests.

usage: confluent_txn.py BOOTSTRAP SCENARIO ARGS...   (prints one JSON line)
"""
import json
import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap = sys.argv[1]
scenario = sys.argv[2]
args = sys.argv[3:]


def out(obj):
    print(json.dumps(obj), flush=True)


def create(topic, partitions=1):
    a = AdminClient({'bootstrap.servers': bootstrap})
    fs = a.create_topics([NewTopic(topic, partitions, 1)])
    for f in fs.values():
        try:
            f.result(10)
        except Exception as e:  # already exists
            if 'TOPIC_ALREADY_EXISTS' not in str(e):
                raise


def txn_producer(txid, **extra):
    conf = {'bootstrap.servers': bootstrap, 'transactional.id': txid, 'linger.ms': 5}
    conf.update(extra)
    p = Producer(conf)
    p.init_transactions(15)
    return p


def err_name(e):
    if isinstance(e, KafkaException):
        ke = e.args[0]
        return {'name': ke.name(), 'fatal': ke.fatal(), 'abortable': ke.txn_requires_abort(), 'str': ke.str()}
    return {'name': type(e).__name__, 'str': str(e)}


def consume(topic, isolation, expect_end_s=4.0, group=None, max_wait_s=20.0):
    c = Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': group or ('g-' + uuid.uuid4().hex),
        'auto.offset.reset': 'earliest',
        'enable.auto.commit': False,
        'isolation.level': isolation,
    })
    c.subscribe([topic])
    values = []
    start = time.time()
    last = time.time()
    while time.time() - start < max_wait_s:
        m = c.poll(0.2)
        if m is None:
            if values and time.time() - last > expect_end_s / 4:
                break
            if time.time() - start > expect_end_s and not values:
                break
            continue
        if m.error():
            continue
        values.append(m.value().decode())
        last = time.time()
    c.close()
    return values


if scenario == 'create':
    create(args[0], int(args[1]) if len(args) > 1 else 1)
    out({'ok': True})

elif scenario == 'commit-abort':
    topic, txid = args
    p = txn_producer(txid)
    p.begin_transaction()
    for i in range(3):
        p.produce(topic, value=f'c1-{i}')
    p.commit_transaction(15)
    p.begin_transaction()
    for i in range(3):
        p.produce(topic, value=f'a-{i}')
    p.flush(10)
    p.abort_transaction(15)
    p.begin_transaction()
    for i in range(2):
        p.produce(topic, value=f'c2-{i}')
    p.commit_transaction(15)
    out({'ok': True})

elif scenario == 'consume':
    topic, isolation = args[0], args[1]
    out({'values': consume(topic, isolation)})

elif scenario == 'fence':
    topic, txid = args
    p1 = txn_producer(txid)
    p1.begin_transaction()
    p1.produce(topic, value='zombie')
    p1.flush(10)
    p2 = txn_producer(txid)  # fences p1 and aborts its transaction
    res = {}
    try:
        p1.produce(topic, value='zombie-2')
        p1.commit_transaction(10)
        res['p1'] = 'committed'
    except Exception as e:
        res['p1'] = err_name(e)
    p2.begin_transaction()
    p2.produce(topic, value='winner')
    p2.commit_transaction(15)
    res['p2'] = 'committed'
    out(res)

elif scenario == 'timeout':
    topic, txid = args
    p = txn_producer(txid, **{'transaction.timeout.ms': 1500})
    p.begin_transaction()
    p.produce(topic, value='expired')
    p.flush(10)
    time.sleep(4)
    res = {}
    try:
        p.commit_transaction(10)
        res['commit'] = 'committed'
    except Exception as e:
        res['commit'] = err_name(e)
    q = txn_producer(txid + '-2')
    q.begin_transaction()
    q.produce(topic, value='after')
    q.commit_transaction(15)
    out(res)

elif scenario == 'open':
    # Leaves a transaction open (process exits without committing).
    topic, txid = args
    p = txn_producer(txid, **{'transaction.timeout.ms': 60000})
    p.begin_transaction()
    p.produce(topic, value='left-open')
    p.flush(10)
    out({'ok': True})
    import os
    os._exit(0)

elif scenario == 'resume':
    topic, txid = args
    p = txn_producer(txid)
    p.begin_transaction()
    p.produce(topic, value='resumed')
    p.commit_transaction(15)
    out({'ok': True})

elif scenario == 'plain-produce':
    topic, n = args[0], int(args[1])
    p = Producer({'bootstrap.servers': bootstrap})
    for i in range(n):
        p.produce(topic, value=f'in-{i}')
    p.flush(10)
    out({'ok': True})

elif scenario == 'ctp':
    # consume-transform-produce: one transaction per poll batch, offsets sent to the txn.
    src, dst, group, txid, n, abort_first = args[0], args[1], args[2], args[3], int(args[4]), args[5] == '1'
    c = Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': group,
        'auto.offset.reset': 'earliest',
        'enable.auto.commit': False,
        'isolation.level': 'read_committed',
    })
    c.subscribe([src])
    p = txn_producer(txid)
    done = 0
    aborted = False
    start = time.time()
    while done < n and time.time() - start < 30:
        msgs = c.consume(100, 0.5)
        msgs = [m for m in msgs if not m.error()]
        if not msgs:
            continue
        p.begin_transaction()
        for m in msgs:
            p.produce(dst, value=m.value().decode().replace('in-', 'out-'))
        p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 10)
        if abort_first and not aborted:
            p.abort_transaction(15)
            aborted = True
            # rewind to the last committed offsets
            committed = c.committed(c.assignment(), 10)
            for tp in committed:
                c.seek(TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else 0))
            continue
        p.commit_transaction(15)
        done += len(msgs)
    committed = c.committed([TopicPartition(src, 0)], 10)
    c.close()
    out({'done': done, 'committed': committed[0].offset})

elif scenario == 'compacted':
    # Keyed transactions for a compacted topic: k0-k9 committed, then overwritten in an
    # aborted transaction, then all overwritten again and committed, then one more
    # committed transaction on other keys (the producer's last).
    topic, txid = args
    p = txn_producer(txid)
    def txn(prefix, keys, commit):
        p.begin_transaction()
        for k in keys:
            p.produce(topic, key=k, value=f'{prefix}-{k}')
        if commit:
            p.commit_transaction(15)
        else:
            p.flush(10)
            p.abort_transaction(15)
    ks = [f'k{i}' for i in range(10)]
    txn('c1', ks, True)
    txn('a', ks, False)
    txn('c2', ks, True)
    txn('last', ['m0', 'm1'], True)
    out({'ok': True})

elif scenario == 'consume-keyed':
    # Every record as [key, value], read_committed or read_uncommitted.
    topic, isolation = args[0], args[1]
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'g-' + uuid.uuid4().hex, 'auto.offset.reset': 'earliest',
                  'enable.auto.commit': False, 'isolation.level': isolation, 'enable.partition.eof': True})
    c.subscribe([topic])
    rows = []
    start = time.time()
    while time.time() - start < 20:
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                break
            continue
        rows.append([m.key().decode(), m.value().decode()])
    c.close()
    out({'rows': rows})

else:
    raise SystemExit('unknown scenario ' + scenario)
