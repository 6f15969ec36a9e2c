"""One consumer-group member, driven by the group tests.

Usage: group_member.py --client confluent|kafka-python --bootstrap H:P --topic T --group G
                       [--instance-id ID] [--session-ms N] [--client-id C] [--strategy S]

Prints one JSON object per line on stdout, flushed at once:
  {"type": "started", "client": ..., "version": ...}
  {"type": "assigned", "partitions": [...]}    the member's whole assignment (eager protocol)
  {"type": "revoked", "partitions": [...]}
  {"type": "record", "partition": p, "offset": o, "value": "..."}   after its commit
  {"type": "error", "message": ...}
  {"type": "closed"}
Each record's offset is committed synchronously (offset + 1) before it is reported.
SIGTERM closes the consumer (a dynamic member leaves the group) and exits 0.
"""
import argparse
import json
import signal
import sys
import time

stopping = False


def emit(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def on_term(_signum, _frame):
    global stopping
    stopping = True


def run_confluent(a):
    import confluent_kafka
    from confluent_kafka import Consumer, TopicPartition
    conf = {
        'bootstrap.servers': a.bootstrap,
        'group.id': a.group,
        'client.id': a.client_id,
        'session.timeout.ms': a.session_ms,
        'heartbeat.interval.ms': 1000,
        'max.poll.interval.ms': 30000,
        'auto.offset.reset': 'earliest',
        'enable.auto.commit': False,
        'topic.metadata.refresh.interval.ms': 5000,
        'error_cb': lambda err: emit({'type': 'error', 'message': str(err), 'fatal': err.fatal()}),
    }
    if a.instance_id:
        conf['group.instance.id'] = a.instance_id
    if a.strategy:
        conf['partition.assignment.strategy'] = a.strategy
    cooperative = a.strategy == 'cooperative-sticky'
    emit({'type': 'started', 'client': 'confluent-kafka', 'version': confluent_kafka.version()[0], 'librdkafka': confluent_kafka.libversion()[0]})
    c = Consumer(conf)
    owned = set()

    # Cooperative callbacks carry increments; the member reports what it owns after each.
    def assigned(consumer, parts):
        if not cooperative:
            owned.clear()
        owned.update(p.partition for p in parts)
        emit({'type': 'assigned', 'partitions': sorted(owned)})

    def revoked(consumer, parts):
        owned.difference_update(p.partition for p in parts)
        if cooperative:
            emit({'type': 'assigned', 'partitions': sorted(owned)})
        else:
            emit({'type': 'revoked', 'partitions': sorted(p.partition for p in parts)})

    c.subscribe([a.topic], on_assign=assigned, on_revoke=revoked)
    while not stopping:
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            emit({'type': 'error', 'message': str(m.error())})
            continue
        c.commit(offsets=[TopicPartition(m.topic(), m.partition(), m.offset() + 1)], asynchronous=False)
        emit({'type': 'record', 'partition': m.partition(), 'offset': m.offset(), 'value': m.value().decode('utf-8')})
    c.close()
    emit({'type': 'closed'})


def run_kafka_python(a):
    import kafka
    from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition
    from kafka.consumer.subscription_state import ConsumerRebalanceListener

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            emit({'type': 'revoked', 'partitions': sorted(p.partition for p in revoked)})

        def on_partitions_assigned(self, assigned):
            emit({'type': 'assigned', 'partitions': sorted(p.partition for p in assigned)})

    emit({'type': 'started', 'client': 'kafka-python', 'version': kafka.__version__})
    c = KafkaConsumer(
        bootstrap_servers=a.bootstrap,
        group_id=a.group,
        client_id=a.client_id,
        session_timeout_ms=a.session_ms,
        heartbeat_interval_ms=1000,
        max_poll_interval_ms=30000,
        auto_offset_reset='earliest',
        enable_auto_commit=False,
        metadata_max_age_ms=5000,
        request_timeout_ms=40000,
    )
    c.subscribe([a.topic], listener=Listener())
    while not stopping:
        batches = c.poll(timeout_ms=200)
        for tp, records in batches.items():
            for r in records:
                c.commit({TopicPartition(tp.topic, tp.partition): OffsetAndMetadata(r.offset + 1, None)})
                emit({'type': 'record', 'partition': tp.partition, 'offset': r.offset, 'value': r.value.decode('utf-8')})
    c.close()
    emit({'type': 'closed'})


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--client', required=True, choices=['confluent', 'kafka-python'])
    p.add_argument('--bootstrap', required=True)
    p.add_argument('--topic', required=True)
    p.add_argument('--group', required=True)
    p.add_argument('--instance-id', default=None)
    p.add_argument('--session-ms', type=int, default=6000)
    p.add_argument('--client-id', default='group-member')
    p.add_argument('--strategy', default=None, help='partition.assignment.strategy (confluent)')
    a = p.parse_args()
    signal.signal(signal.SIGTERM, on_term)
    try:
        if a.client == 'confluent':
            run_confluent(a)
        else:
            run_kafka_python(a)
    except Exception as e:  # reported, then a non-zero exit
        emit({'type': 'error', 'message': repr(e)})
        time.sleep(0.1)
        sys.exit(1)


if __name__ == '__main__':
    main()
