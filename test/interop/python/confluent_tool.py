#!/usr/bin/python3
"""confluent-kafka-python (librdkafka) side of the interop tests.

Usage: confluent_tool.py <command> --bootstrap HOST:PORT [options]; prints one JSON
object. Commands: info, metadata, create-topics, produce, consume, offsets,
describe-configs, alter-configs, delete-records, delete-topics.
Set SAMSA_INTEROP_RDKAFKA_DEBUG=broker,protocol (etc.) for librdkafka debug logs.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Deadline, consumed_line, kv_pairs, read_records, result  # noqa: E402

import confluent_kafka  # noqa: E402
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewTopic  # noqa: E402


def base_conf(args):
    conf = {'bootstrap.servers': args.bootstrap, 'client.id': 'samsa-interop-confluent'}
    debug = os.environ.get('SAMSA_INTEROP_RDKAFKA_DEBUG')
    if debug:
        conf['debug'] = debug
    conf.update(kv_pairs(args.config))
    return conf


def admin(args):
    return AdminClient(base_conf(args))


def err_str(e):
    if e is None:
        return None
    if isinstance(e, confluent_kafka.KafkaException) and e.args:
        e = e.args[0]
    if isinstance(e, KafkaError):
        return '%s: %s' % (e.name(), e.str())
    return '%s: %s' % (type(e).__name__, e)


def cmd_info(args):
    result({
        'confluent_kafka': confluent_kafka.version()[0],
        'librdkafka': confluent_kafka.libversion()[0],
        'admin_delete_records': hasattr(AdminClient, 'delete_records'),
        'admin_list_offsets': hasattr(AdminClient, 'list_offsets'),
        'admin_incremental_alter_configs': hasattr(AdminClient, 'incremental_alter_configs'),
    })


def metadata_json(md):
    return {
        'cluster_id': md.cluster_id,
        'controller_id': md.controller_id,
        'brokers': [{'id': b.id, 'host': b.host, 'port': b.port} for b in md.brokers.values()],
        'topics': {
            name: {
                'error': err_str(t.error),
                'partitions': {
                    str(p.id): {'leader': p.leader, 'replicas': list(p.replicas), 'isrs': list(p.isrs),
                                'error': err_str(p.error)}
                    for p in t.partitions.values()
                },
            }
            for name, t in md.topics.items()
        },
    }


def cmd_metadata(args):
    a = admin(args)
    md = a.list_topics(timeout=args.timeout)
    result(metadata_json(md))


def cmd_create_topics(args):
    a = admin(args)
    configs = kv_pairs(args.topic_config)
    new = [NewTopic(t, num_partitions=args.partitions, replication_factor=1, config=configs)
           for t in args.topics.split(',')]
    futures = a.create_topics(new, operation_timeout=args.timeout, request_timeout=args.timeout)
    errors = {}
    for topic, fut in futures.items():
        try:
            fut.result()
        except Exception as e:  # noqa: BLE001
            errors[topic] = err_str(e)
    md = a.list_topics(timeout=args.timeout)
    result({'errors': errors,
            'partitions': {t: len(md.topics[t].partitions) if t in md.topics else None
                           for t in args.topics.split(',')}})


def cmd_produce(args):
    conf = base_conf(args)
    conf['compression.type'] = args.codec
    if args.idempotent:
        conf['enable.idempotence'] = True
    p = Producer(conf)
    out = open(args.out, 'w', encoding='utf-8')
    stats = {'delivered': 0, 'errors': 0, 'first_error': None, 'timestamp_mismatches': 0,
             'first_timestamp_mismatch': None}

    def on_delivery(index, ts):
        def cb(err, msg):
            if err is not None:
                stats['errors'] += 1
                if stats['first_error'] is None:
                    stats['first_error'] = 'record %d: %s' % (index, err_str(err))
                out.write('{"i":%d,"err":%s}\n' % (index, json.dumps(err_str(err))))
                return
            stats['delivered'] += 1
            tstype, got_ts = msg.timestamp()
            if got_ts != ts:
                stats['timestamp_mismatches'] += 1
                if stats['first_timestamp_mismatch'] is None:
                    stats['first_timestamp_mismatch'] = 'record %d: delivery report timestamp %r (type %r), sent %d' % (
                        index, got_ts, tstype, ts)
            out.write('{"i":%d,"p":%d,"o":%d}\n' % (index, msg.partition(), msg.offset()))
        return cb

    started = time.monotonic()
    count = 0
    for index, key, value, headers, ts in read_records(args.records):
        while True:
            try:
                p.produce(args.topic, value=value, key=key, headers=headers or None, timestamp=ts,
                          on_delivery=on_delivery(index, ts))
                break
            except BufferError:
                p.poll(0.05)
        count += 1
        if count % 1000 == 0:
            p.poll(0)
    remaining = p.flush(args.timeout)
    out.close()
    stats.update({'sent': count, 'undelivered': remaining, 'seconds': round(time.monotonic() - started, 3)})
    result(stats)


def cmd_consume(args):
    conf = base_conf(args)
    conf.update({
        'group.id': args.group or ('samsa-interop-assign-%s' % args.topic),
        'enable.auto.commit': False,
        'enable.partition.eof': True,
        'auto.offset.reset': 'earliest',
    })
    c = Consumer(conf)
    if args.group:
        c.subscribe([args.topic])
    else:
        c.assign([TopicPartition(args.topic, p, confluent_kafka.OFFSET_BEGINNING) for p in range(args.partitions)])
    out = open(args.out, 'w', encoding='utf-8')
    deadline = Deadline(args.timeout)
    count = 0
    eof = set()
    errors = []
    tstypes = {}
    started = last_progress = time.monotonic()
    reason = 'timeout'
    while not deadline.passed():
        msgs = c.consume(num_messages=1000, timeout=0.5)
        for m in msgs:
            err = m.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    eof.add(m.partition())
                else:
                    errors.append(err_str(err))
                continue
            eof.discard(m.partition())
            tstype, ts = m.timestamp()
            tstypes[tstype] = tstypes.get(tstype, 0) + 1
            out.write(consumed_line(m.partition(), m.offset(), m.key(), m.value(), m.headers(), ts) + '\n')
            count += 1
            last_progress = time.monotonic()
        if len(eof) >= args.partitions and (count >= args.expect or time.monotonic() - last_progress > 5):
            reason = 'end'  # every partition at EOF (fewer records than expected shows in the comparison)
            break
        if errors and any('_FATAL' in e or 'UNKNOWN_TOPIC' in e for e in errors):
            reason = 'fatal error'
            break
        if count >= args.expect and time.monotonic() - last_progress > args.idle:
            reason = 'idle'
            break
        if args.group and count == 0 and not c.assignment() and time.monotonic() - started > args.assign_timeout:
            reason = 'no partitions assigned after %ss (group join did not complete)' % args.assign_timeout
            break
    out.close()
    res = {'consumed': count, 'stop_reason': reason, 'eof_partitions': sorted(eof), 'errors': errors[:20],
           'error_count': len(errors), 'timestamp_types': {str(k): v for k, v in tstypes.items()}}
    if args.group:
        try:
            committed = c.commit(asynchronous=False)
            res['commit'] = [{'p': tp.partition, 'o': tp.offset, 'err': err_str(tp.error)} for tp in committed or []]
        except Exception as e:  # noqa: BLE001
            res['commit_error'] = err_str(e)
        try:
            got = c.committed([TopicPartition(args.topic, p) for p in range(args.partitions)], timeout=10)
            res['committed'] = {str(tp.partition): tp.offset for tp in got}
        except Exception as e:  # noqa: BLE001
            res['committed_error'] = err_str(e)
        res['assignment'] = sorted(tp.partition for tp in c.assignment())
    if reason.startswith('no partitions'):
        # close() would try to leave a group it never joined; don't hang on it.
        result(res)
        os._exit(0)
    c.close()
    result(res)


def cmd_offsets(args):
    conf = base_conf(args)
    conf.update({'group.id': 'samsa-interop-offsets', 'enable.auto.commit': False})
    c = Consumer(conf)
    res = {'watermarks': {}, 'by_timestamp': {}}
    for p in range(args.partitions):
        low, high = c.get_watermark_offsets(TopicPartition(args.topic, p), timeout=args.timeout, cached=False)
        res['watermarks'][str(p)] = [low, high]
    for ts in [int(x) for x in args.timestamps.split(',') if x]:
        got = c.offsets_for_times([TopicPartition(args.topic, p, ts) for p in range(args.partitions)],
                                  timeout=args.timeout)
        res['by_timestamp'][str(ts)] = {str(tp.partition): tp.offset for tp in got}
        errs = [err_str(tp.error) for tp in got if tp.error]
        if errs:
            res.setdefault('errors', []).extend(errs)
    c.close()
    result(res)


def source_name(source):
    try:
        return ConfigSource(source).name
    except Exception:  # noqa: BLE001
        return str(source)


def describe(a, topic, timeout):
    res = ConfigResource('topic', topic)
    futures = a.describe_configs([res], request_timeout=timeout)
    entries = list(futures.values())[0].result()
    return {
        name: {'value': e.value, 'source': source_name(e.source), 'read_only': e.is_read_only, 'default': e.is_default,
               'sensitive': e.is_sensitive}
        for name, e in entries.items()
    }


def cmd_describe_configs(args):
    result({'configs': describe(admin(args), args.topic, args.timeout)})


def cmd_alter_configs(args):
    a = admin(args)
    res = ConfigResource('topic', args.topic, set_config=kv_pairs(args.set))
    futures = a.alter_configs([res], request_timeout=args.timeout)
    error = None
    try:
        list(futures.values())[0].result()
    except Exception as e:  # noqa: BLE001
        error = err_str(e)
    result({'error': error})


def cmd_delete_records(args):
    a = admin(args)
    if not hasattr(a, 'delete_records'):
        result({'supported': False,
                'reason': 'confluent-kafka %s has no AdminClient.delete_records' % confluent_kafka.version()[0]})
        return
    tps = []
    for item in args.offsets.split(','):
        p, o = item.split(':')
        tps.append(TopicPartition(args.topic, int(p), int(o)))
    futures = a.delete_records(tps, request_timeout=args.timeout)
    out = {}
    for tp, fut in futures.items():
        try:
            r = fut.result()
            out[str(tp.partition)] = {'low_watermark': getattr(r, 'low_watermark', getattr(r, 'offset', None))}
        except Exception as e:  # noqa: BLE001
            out[str(tp.partition)] = {'error': err_str(e)}
    result({'supported': True, 'partitions': out})


def cmd_delete_topics(args):
    a = admin(args)
    topics = args.topics.split(',')
    futures = a.delete_topics(topics, operation_timeout=args.timeout, request_timeout=args.timeout)
    errors = {}
    for topic, fut in futures.items():
        try:
            fut.result()
        except Exception as e:  # noqa: BLE001
            errors[topic] = err_str(e)
    deadline = Deadline(args.timeout)
    remaining = topics
    while True:
        md = a.list_topics(timeout=args.timeout)
        remaining = [t for t in topics if t in md.topics and md.topics[t].error is None]
        if not remaining or deadline.passed():
            break
        time.sleep(0.2)
    result({'errors': errors, 'remaining': remaining, 'all_topics': sorted(md.topics.keys())})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('command')
    ap.add_argument("--bootstrap", default="")
    ap.add_argument('--config', action='append', help='extra librdkafka property k=v')
    ap.add_argument('--topic')
    ap.add_argument('--topics')
    ap.add_argument('--topic-config', action='append')
    ap.add_argument('--partitions', type=int, default=3)
    ap.add_argument('--codec', default='none')
    ap.add_argument('--idempotent', action='store_true')
    ap.add_argument('--records')
    ap.add_argument('--out')
    ap.add_argument('--expect', type=int, default=0)
    ap.add_argument('--group')
    ap.add_argument('--timestamps', default='')
    ap.add_argument('--set', action='append')
    ap.add_argument('--offsets')
    ap.add_argument('--timeout', type=float, default=30.0)
    ap.add_argument('--idle', type=float, default=15.0)
    ap.add_argument('--assign-timeout', type=float, default=60.0)
    args = ap.parse_args()
    handlers = {
        'info': cmd_info, 'metadata': cmd_metadata, 'create-topics': cmd_create_topics, 'produce': cmd_produce,
        'consume': cmd_consume, 'offsets': cmd_offsets, 'describe-configs': cmd_describe_configs,
        'alter-configs': cmd_alter_configs, 'delete-records': cmd_delete_records, 'delete-topics': cmd_delete_topics,
    }
    if args.command not in handlers:
        raise SystemExit('unknown command %r' % args.command)
    handlers[args.command](args)


if __name__ == '__main__':
    main()
