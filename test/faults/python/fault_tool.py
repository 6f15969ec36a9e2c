#!/usr/bin/python3
"""confluent-kafka (librdkafka) side of the fault tests.

Usage: fault_tool.py <command> --bootstrap HOST:PORT [options]; prints one JSON
object as its last stdout line; bulk data goes to files named in the options.

Commands:
  create-topic    --topic T --partitions N [--config k=v ...]
  produce-stream  --topic T --count N --acks all|1 --out FILE [--rate R/s]
                  Idempotent producer: key k<i % keys>, value "seq=<i>" for i in
                  [0, count); every delivery report is appended to FILE as a JSON
                  line {"seq", "p", "o", "err"} and flushed at once (the test
                  watches it to decide when to kill the broker).
  consume-all     --topic T --out FILE   reads every partition from its low to its
                  high watermark (assign, no group); one JSON line per record.
  produce-until-error --topic T --out FILE --value-bytes N
                  produces (acks=all) until a delivery fails; acked records go to
                  FILE; prints the first error.
  produce         --topic T --count N [--prefix P | --keys-list a,b [--tombstones]]
                  [--partition P] [--timestamp-ms TS]   acks=all, all must succeed.
  offsets         --topic T   low/high watermarks per partition.
  delete-records  --topic T --partition P --offset O
  delete-topic    --topic T
"""
import argparse
import json
import os
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def result(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def kv_pairs(items):
    out = {}
    for item in items or []:
        k, _, v = item.partition('=')
        out[k] = v
    return out


def err_str(e):
    if e is None:
        return None
    if isinstance(e, confluent_kafka.KafkaException) and e.args:
        e = e.args[0]
    if isinstance(e, KafkaError):
        return '%s: %s' % (e.name(), e.str())
    return '%s: %s' % (type(e).__name__, e)


def err_code(e):
    if isinstance(e, confluent_kafka.KafkaException) and e.args:
        e = e.args[0]
    return e.code() if isinstance(e, KafkaError) else None


def conf(args, extra=None):
    c = {'bootstrap.servers': args.bootstrap, 'client.id': 'samsa-faults'}
    debug = os.environ.get('SAMSA_FAULTS_RDKAFKA_DEBUG')
    if debug:
        c['debug'] = debug
    c.update(extra or {})
    c.update(kv_pairs(args.client_config))
    return c


def cmd_create_topic(args):
    a = AdminClient(conf(args))
    fs = a.create_topics([NewTopic(args.topic, num_partitions=args.partitions, replication_factor=1,
                                   config=kv_pairs(args.config))], operation_timeout=30)
    for _, f in fs.items():
        f.result(timeout=30)
    result({'created': args.topic})


def cmd_produce_stream(args):
    out = open(args.out, 'a', buffering=1)
    state = {'acked': 0, 'failed': 0, 'errors': {}}
    errors_seen = []

    def on_error(err):  # noqa: F811
        if len(errors_seen) < 50:
            errors_seen.append(err_str(err))
        if err.fatal():
            errors_seen.append('FATAL: ' + err_str(err))

    p = Producer(conf(args, {
        'error_cb': on_error,
        'enable.idempotence': True,
        'acks': args.acks,
        'linger.ms': 2,
        'batch.num.messages': 50,
        'message.timeout.ms': args.message_timeout_ms,
        'retry.backoff.ms': 100,
        'reconnect.backoff.ms': 50,
        'reconnect.backoff.max.ms': 500,
        'socket.connection.setup.timeout.ms': 5000,
        'partitioner': 'murmur2_random',
    }))

    def on_delivery(err, msg):
        seq = int(msg.value().decode().split('=')[1])
        if err is not None:
            state['failed'] += 1
            name = err_str(err)
            state['errors'][name] = state['errors'].get(name, 0) + 1
            out.write(json.dumps({'seq': seq, 'err': name}) + '\n')
        else:
            state['acked'] += 1
            out.write(json.dumps({'seq': seq, 'p': msg.partition(), 'o': msg.offset()}) + '\n')

    started = time.time()
    for i in range(args.count):
        key = ('k%d' % (i % args.keys)).encode()
        while True:
            try:
                p.produce(args.topic, value=('seq=%d' % i).encode(), key=key, on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
        if args.rate and i % 50 == 0:
            # Paced so the test's crashes land mid-stream.
            ahead = started + i / args.rate - time.time()
            while ahead > 0:
                p.poll(min(ahead, 0.05))
                ahead = started + i / args.rate - time.time()
    remaining = p.flush(args.flush_timeout)
    out.close()
    result({'acked': state['acked'], 'failed': state['failed'], 'errors': state['errors'],
            'unflushed': remaining, 'client_errors': errors_seen})


def watermarks(consumer, topic, timeout=10):
    md = consumer.list_topics(topic, timeout=timeout)
    t = md.topics[topic]
    if t.error is not None:
        raise confluent_kafka.KafkaException(t.error)
    marks = {}
    for pid in sorted(t.partitions):
        lo, hi = consumer.get_watermark_offsets(TopicPartition(topic, pid), timeout=timeout)
        marks[pid] = (lo, hi)
    return marks


def cmd_consume_all(args):
    c = Consumer(conf(args, {'group.id': 'samsa-faults-unused', 'enable.auto.commit': False,
                             'auto.offset.reset': 'earliest', 'enable.partition.eof': True}))
    marks = watermarks(c, args.topic)
    tps = [TopicPartition(args.topic, p, lo) for p, (lo, hi) in marks.items() if hi > lo]
    pending = {p for p, (lo, hi) in marks.items() if hi > lo}
    out = open(args.out, 'w')
    n = 0
    deadline = time.time() + args.timeout
    if tps:
        c.assign(tps)
    while pending and time.time() < deadline:
        m = c.poll(1.0)
        if m is None:
            continue
        if m.error() is not None:
            if m.error().code() == KafkaError._PARTITION_EOF:
                if m.offset() >= marks[m.partition()][1]:
                    pending.discard(m.partition())
                continue
            raise confluent_kafka.KafkaException(m.error())
        key = m.key().decode() if m.key() is not None else None
        value = m.value().decode('utf-8', 'replace') if m.value() is not None else None
        out.write(json.dumps({'p': m.partition(), 'o': m.offset(), 'k': key, 'v': value}) + '\n')
        n += 1
        if m.offset() + 1 >= marks[m.partition()][1]:
            pending.discard(m.partition())
    out.close()
    c.close()
    result({'records': n, 'watermarks': {str(p): list(v) for p, v in marks.items()},
            'incomplete': sorted(pending)})


def cmd_produce_until_error(args):
    out = open(args.out, 'w', buffering=1)
    state = {'acked': 0, 'error': None, 'code': None}
    p = Producer(conf(args, {'acks': 'all', 'linger.ms': 5, 'message.timeout.ms': 30000,
                             'retries': 0, 'compression.type': 'none'}))
    payload = os.urandom(args.value_bytes // 2).hex().encode()

    def on_delivery(err, msg):
        seq = int(msg.key().decode())
        if err is not None:
            if state['error'] is None:
                state['error'] = err_str(err)
                state['code'] = err.code()
        else:
            state['acked'] += 1
            out.write(json.dumps({'seq': seq, 'p': msg.partition(), 'o': msg.offset()}) + '\n')

    i = 0
    deadline = time.time() + args.timeout
    while state['error'] is None and time.time() < deadline and i < args.max_records:
        try:
            p.produce(args.topic, value=payload, key=str(i).encode(), partition=0, on_delivery=on_delivery)
            i += 1
        except BufferError:
            p.poll(0.05)
        p.poll(0)
    p.flush(30)
    out.close()
    result({'acked': state['acked'], 'sent': i, 'error': state['error'], 'code': state['code']})


def cmd_produce(args):
    state = {'acked': 0, 'errors': []}
    # Small batches: several tests use a tiny segment.bytes (a batch must fit in one).
    p = Producer(conf(args, {'acks': 'all', 'linger.ms': 2, 'message.timeout.ms': 30000, 'batch.size': 1000}))

    def on_delivery(err, msg):
        if err is not None:
            state['errors'].append(err_str(err))
        else:
            state['acked'] += 1

    extra = {}
    if args.timestamp_ms:
        extra['timestamp'] = args.timestamp_ms
    keys = args.keys_list.split(',') if args.keys_list else None
    for i in range(args.count):
        if keys:
            # --keys-list a,b,c: key cycles through the list; value "<key>-<round>", or a
            # tombstone (None) with --tombstones.
            k = keys[i % len(keys)]
            key = k.encode()
            value = None if args.tombstones else ('%s-%d' % (k, i // len(keys))).encode()
        else:
            key = ('%s%d' % (args.prefix, i)).encode()
            value = ('%s-value-%d' % (args.prefix, i)).encode()
        p.produce(args.topic, value=value, key=key,
                  partition=args.partition if args.partition >= 0 else -1, on_delivery=on_delivery, **extra)
        p.poll(0)
    p.flush(30)
    result({'acked': state['acked'], 'errors': state['errors'][:10]})


def cmd_offsets(args):
    c = Consumer(conf(args, {'group.id': 'samsa-faults-unused'}))
    marks = watermarks(c, args.topic)
    c.close()
    result({'watermarks': {str(p): list(v) for p, v in marks.items()}})


def cmd_delete_records(args):
    a = AdminClient(conf(args))
    if not hasattr(a, 'delete_records'):
        raise SystemExit('confluent_kafka %s has no AdminClient.delete_records' % confluent_kafka.version()[0])
    fs = a.delete_records([TopicPartition(args.topic, args.partition, args.offset)], operation_timeout=30)
    low = None
    for _, f in fs.items():
        r = f.result(timeout=30)
        low = getattr(r, 'low_watermark', None)
        if low is None and hasattr(r, 'offset'):
            low = r.offset
    result({'low_watermark': low})


def cmd_delete_topic(args):
    a = AdminClient(conf(args))
    fs = a.delete_topics([args.topic], operation_timeout=30)
    for _, f in fs.items():
        f.result(timeout=30)
    result({'deleted': args.topic})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('command')
    ap.add_argument('--bootstrap', required=True)
    ap.add_argument('--topic')
    ap.add_argument('--partitions', type=int, default=1)
    ap.add_argument('--partition', type=int, default=-1)
    ap.add_argument('--offset', type=int, default=0)
    ap.add_argument('--config', action='append')
    ap.add_argument('--client-config', action='append')
    ap.add_argument('--count', type=int, default=0)
    ap.add_argument('--keys', type=int, default=97)
    ap.add_argument('--acks', default='all')
    ap.add_argument('--out')
    ap.add_argument('--prefix', default='r')
    ap.add_argument('--value-bytes', type=int, default=1000)
    ap.add_argument('--max-records', type=int, default=10_000_000)
    ap.add_argument('--rate', type=float, default=0)
    ap.add_argument('--message-timeout-ms', type=int, default=120000)
    ap.add_argument('--flush-timeout', type=float, default=180)
    ap.add_argument('--timeout', type=float, default=120)
    ap.add_argument('--timestamp-ms', type=int, default=0)
    ap.add_argument('--keys-list')
    ap.add_argument('--tombstones', action='store_true')
    args = ap.parse_args()
    fn = {
        'create-topic': cmd_create_topic,
        'produce-stream': cmd_produce_stream,
        'consume-all': cmd_consume_all,
        'produce-until-error': cmd_produce_until_error,
        'produce': cmd_produce,
        'offsets': cmd_offsets,
        'delete-records': cmd_delete_records,
        'delete-topic': cmd_delete_topic,
    }.get(args.command)
    if fn is None:
        raise SystemExit('unknown command %s' % args.command)
    fn(args)


if __name__ == '__main__':
    main()
