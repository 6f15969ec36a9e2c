#!/usr/bin/python3
"""kafka-python side of the interop tests.

Usage: kafka_python_tool.py <command> --bootstrap HOST:PORT [options]; prints one JSON
object. Commands: info, metadata, create-topics, produce, consume, offsets,
describe-configs, alter-configs, delete-records, delete-topics.
Set SAMSA_INTEROP_KAFKA_PYTHON_DEBUG=1 for kafka-python's debug logging on stderr.
"""
import argparse
import json
import logging
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Deadline, consumed_line, kv_pairs, read_records, result  # noqa: E402

import kafka  # noqa: E402
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka import codec as kcodec  # noqa: E402
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic  # noqa: E402
from kafka.errors import for_code  # noqa: E402

if os.environ.get('SAMSA_INTEROP_KAFKA_PYTHON_DEBUG'):
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)

CLIENT_ID = 'samsa-interop-kafka-python'


def err_name(code):
    if not code:
        return None
    try:
        return '%s(%d)' % (for_code(code).__name__, code)
    except Exception:  # noqa: BLE001
        return 'error code %d' % code


def err_str(e):
    return '%s: %s' % (type(e).__name__, e)


def common_conf(args):
    conf = {'bootstrap_servers': args.bootstrap, 'client_id': CLIENT_ID,
            'request_timeout_ms': int(args.timeout * 1000) + 1000}
    for k, v in kv_pairs(args.config).items():
        conf[k] = int(v) if v.isdigit() else v
    return conf


def admin(args):
    return KafkaAdminClient(**common_conf(args))


def codecs():
    return {'gzip': kcodec.has_gzip(), 'snappy': kcodec.has_snappy(), 'lz4': kcodec.has_lz4(),
            'zstd': kcodec.has_zstd()}


def cmd_info(args):
    result({'kafka_python': kafka.__version__, 'codecs': codecs(),
            'admin_delete_records': hasattr(KafkaAdminClient, 'delete_records'),
            'python': sys.version.split()[0]})


def cmd_metadata(args):
    a = admin(args)
    cluster = a.describe_cluster()
    topics = a.describe_topics()
    result({'cluster': cluster, 'topics': topics, 'api_version': list(a.config['api_version'])})


def cmd_create_topics(args):
    a = admin(args)
    configs = kv_pairs(args.topic_config)
    names = args.topics.split(',')
    resp = a.create_topics([NewTopic(t, num_partitions=args.partitions, replication_factor=1,
                                     topic_configs=configs) for t in names],
                           timeout_ms=int(args.timeout * 1000))
    errors = {}
    for entry in resp.topic_errors:
        topic, code = entry[0], entry[1]
        if code:
            errors[topic] = '%s %s' % (err_name(code), entry[2] if len(entry) > 2 else '')
    described = {t['topic']: t for t in a.describe_topics(names)}
    result({'errors': errors, 'response_version': resp.API_VERSION,
            'partitions': {t: (len(described[t]['partitions']) if t in described and not described[t]['error_code']
                               else None) for t in names},
            'api_version': list(a.config['api_version'])})


def cmd_produce(args):
    conf = common_conf(args)
    if args.codec != 'none':
        conf['compression_type'] = args.codec
    p = KafkaProducer(**conf)
    out = open(args.out, 'w', encoding='utf-8')
    stats = {'delivered': 0, 'errors': 0, 'first_error': None, 'timestamp_mismatches': 0,
             'first_timestamp_mismatch': None}

    def ok(index, ts):
        def cb(md):
            stats['delivered'] += 1
            # Under CreateTime the broker returns timestamp -1 and kafka-python reports the sent one.
            if md.timestamp != ts:
                stats['timestamp_mismatches'] += 1
            if md.timestamp != ts and stats['first_timestamp_mismatch'] is None:
                stats['first_timestamp_mismatch'] = 'record %d: metadata timestamp %r, sent %d' % (
                    index, md.timestamp, ts)
            out.write('{"i":%d,"p":%d,"o":%d}\n' % (index, md.partition, md.offset))
        return cb

    def failed(index):
        def cb(exc):
            stats['errors'] += 1
            if stats['first_error'] is None:
                stats['first_error'] = 'record %d: %s' % (index, err_str(exc))
            out.write('{"i":%d,"err":%s}\n' % (index, json.dumps(err_str(exc))))
        return cb

    started = time.monotonic()
    count = 0
    for index, key, value, headers, ts in read_records(args.records):
        fut = p.send(args.topic, key=key, value=value, headers=headers, timestamp_ms=ts)
        fut.add_callback(ok(index, ts))
        fut.add_errback(failed(index))
        count += 1
    p.flush(timeout=args.timeout)
    p.close(timeout=10)
    out.close()
    stats.update({'sent': count, 'seconds': round(time.monotonic() - started, 3),
                  'api_version': list(p.config['api_version'])})
    result(stats)


def end_offsets(c, tps, attempts=5):
    # kafka-python 2.0.2 raises KeyError from end_offsets() when its cluster metadata
    # does not yet list a leader for one of the partitions (it drops that partition
    # from the request and then indexes the result by it); asking again after its
    # metadata refresh succeeds.
    for attempt in range(attempts):
        try:
            return c.end_offsets(tps)
        except KeyError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)


def cmd_consume(args):
    conf = common_conf(args)
    conf.update({'enable_auto_commit': False, 'auto_offset_reset': 'earliest',
                 'group_id': args.group or None})
    c = KafkaConsumer(**conf)
    tps = [TopicPartition(args.topic, p) for p in range(args.partitions)]
    if args.group:
        c.subscribe([args.topic])
    else:
        c.assign(tps)
        c.seek_to_beginning()
    end = end_offsets(c, tps)
    state = {'count': 0}
    if args.group:
        # kafka-python 2.0.2's poll() blocks without a timeout until it finds the group
        # coordinator; report a group that never assigns anything instead of hanging.
        def watchdog():
            if state['count'] == 0 and not c.assignment():
                result({'consumed': 0, 'stop_reason': 'no partitions assigned after %ss (poll() still blocked in '
                        'the group join: FindCoordinator/JoinGroup/SyncGroup)' % args.assign_timeout,
                        'end_offsets': {str(tp.partition): o for tp, o in end.items()}})
                os._exit(0)
        timer = threading.Timer(args.assign_timeout, watchdog)
        timer.daemon = True
        timer.start()
    out = open(args.out, 'w', encoding='utf-8')
    deadline = Deadline(args.timeout)
    count = 0
    started = last_progress = time.monotonic()
    tstypes = {}
    reason = 'timeout'
    while not deadline.passed():
        batches = c.poll(timeout_ms=500, max_records=5000)
        for tp, records in batches.items():
            for r in records:
                tstypes[r.timestamp_type] = tstypes.get(r.timestamp_type, 0) + 1
                out.write(consumed_line(r.partition, r.offset, r.key, r.value, r.headers, r.timestamp) + '\n')
                count += 1
                state['count'] = count
                last_progress = time.monotonic()
        assigned = c.assignment()
        if assigned and len(assigned) == len(tps) and all(c.position(tp) >= end[tp] for tp in tps):
            reason = 'end'
            break
        if args.group and count == 0 and not assigned and time.monotonic() - started > args.assign_timeout:
            reason = 'no partitions assigned after %ss (group join did not complete)' % args.assign_timeout
            break
        if count >= args.expect and time.monotonic() - last_progress > args.idle:
            reason = 'idle'
            break
    out.close()
    res = {'consumed': count, 'stop_reason': reason, 'end_offsets': {str(tp.partition): o for tp, o in end.items()},
           'timestamp_types': {str(k): v for k, v in tstypes.items()}}
    if args.group:
        try:
            c.commit()
        except Exception as e:  # noqa: BLE001
            res['commit_error'] = err_str(e)
        res['committed'] = {}
        for tp in tps:
            try:
                res['committed'][str(tp.partition)] = c.committed(tp)
            except Exception as e:  # noqa: BLE001
                res['committed'][str(tp.partition)] = err_str(e)
        res['assignment'] = sorted(tp.partition for tp in c.assignment())
    if reason.startswith('no partitions'):
        # close() would try to leave a group it never joined; don't hang on it.
        result(res)
        os._exit(0)
    c.close()
    result(res)


def cmd_offsets(args):
    c = KafkaConsumer(**common_conf(args))
    tps = [TopicPartition(args.topic, p) for p in range(args.partitions)]
    res = {'earliest': {str(tp.partition): o for tp, o in c.beginning_offsets(tps).items()},
           'latest': {str(tp.partition): o for tp, o in c.end_offsets(tps).items()},
           'by_timestamp': {}}
    for ts in [int(x) for x in args.timestamps.split(',') if x]:
        got = c.offsets_for_times({tp: ts for tp in tps})
        res['by_timestamp'][str(ts)] = {str(tp.partition): (None if v is None else [v.offset, v.timestamp])
                                        for tp, v in got.items()}
    c.close()
    result(res)


def config_entries(resource):
    """resource: (error_code, error_message, resource_type, resource_name, config_entries)."""
    out = {}
    for e in resource[4]:
        # v0: (name, value, read_only, is_default, is_sensitive)
        # v1+: (name, value, read_only, config_source, is_sensitive, synonyms)
        out[e[0]] = {'value': e[1], 'read_only': e[2], 'default_or_source': e[3], 'sensitive': e[4]}
    return out


def cmd_describe_configs(args):
    a = admin(args)
    responses = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, args.topic)])
    resources = [r for resp in responses for r in resp.resources]
    errors = [err_name(r[0]) + ' ' + str(r[1]) for r in resources if r[0]]
    configs = {}
    for r in resources:
        configs.update(config_entries(r))
    result({'errors': errors, 'configs': configs, 'response_version': responses[0].API_VERSION if responses else None})


def cmd_alter_configs(args):
    a = admin(args)
    resp = a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, args.topic, configs=kv_pairs(args.set))])
    errors = [('%s %s' % (err_name(r[0]), r[1])) for r in resp.resources if r[0]]
    result({'error': errors[0] if errors else None, 'response_version': resp.API_VERSION})


def cmd_delete_records(args):
    a = admin(args)
    if not hasattr(a, 'delete_records'):
        result({'supported': False, 'reason': 'kafka-python %s has no KafkaAdminClient.delete_records' % kafka.__version__})
        return
    offsets = {}
    for item in args.offsets.split(','):
        p, o = item.split(':')
        offsets[TopicPartition(args.topic, int(p))] = int(o)
    result({'supported': True, 'response': str(a.delete_records(offsets))})


def cmd_delete_topics(args):
    a = admin(args)
    topics = args.topics.split(',')
    resp = a.delete_topics(topics, timeout_ms=int(args.timeout * 1000))
    errors = {t: err_name(code) for t, code in resp.topic_error_codes if code}
    deadline = Deadline(args.timeout)
    while True:
        listed = a.list_topics()
        remaining = [t for t in topics if t in listed]
        if not remaining or deadline.passed():
            break
        time.sleep(0.2)
    result({'errors': errors, 'remaining': remaining, 'all_topics': sorted(listed)})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('command')
    ap.add_argument('--bootstrap', default='')
    ap.add_argument('--config', action='append', help='extra kafka-python option k=v')
    ap.add_argument('--topic')
    ap.add_argument('--topics')
    ap.add_argument('--topic-config', action='append')
    ap.add_argument('--partitions', type=int, default=3)
    ap.add_argument('--codec', default='none')
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
