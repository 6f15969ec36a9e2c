"""A confluent-kafka group member that records what it sees, for the interop tests
cooperative-continuity.test.ts and commit-after-processing.test.ts.

Usage: recording_member.py --bootstrap H:P --topic T --group G --client-id C
                           [--strategy S] [--session-ms N]
                           [--commit-every N --output FILE]

Prints one JSON object per line on stdout, flushed at once (t = wall-clock ms):
  {"type": "started", ...}
  {"type": "assign", "partitions": [...], "t": ...}     one on_assign callback (as given)
  {"type": "revoke", "partitions": [...], "t": ...}     one on_revoke callback (as given)
  {"type": "assigned", "partitions": [...]}             what it owns after the callback
  {"type": "record", "partition": p, "offset": o, "value": "...", "t": ...}
  {"type": "commit", "offsets": {"p": o, ...}}          after a successful synchronous commit
  {"type": "error", "message": ...}
  {"type": "closed"}

Without --commit-every nothing is committed. With --commit-every N (enable.auto.commit
is always false), every record is processed first, i.e. appended to --output as
{"type": "processed", ...} and flushed, and after every N processed records the offsets of
the processed records (last processed offset + 1 per partition) are committed
synchronously; each successful commit is then appended to --output as
{"type": "commit", "offsets": {...}}. Processed-but-uncommitted offsets are also
committed in on_revoke and before closing.
SIGTERM closes the consumer and exits 0.
"""
import argparse
import json
import signal
import sys
import time

stopping = False


def now_ms():
    return int(time.time() * 1000)


def emit(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def on_term(_signum, _frame):
    global stopping
    stopping = True


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--bootstrap', required=True)
    p.add_argument('--topic', required=True)
    p.add_argument('--group', required=True)
    p.add_argument('--client-id', default='recording-member')
    p.add_argument('--session-ms', type=int, default=6000)
    p.add_argument('--strategy', default=None)
    p.add_argument('--commit-every', type=int, default=0)
    p.add_argument('--output', default=None)
    a = p.parse_args()
    signal.signal(signal.SIGTERM, on_term)

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
    if a.strategy:
        conf['partition.assignment.strategy'] = a.strategy
    cooperative = a.strategy == 'cooperative-sticky'
    emit({'type': 'started', 'client': 'confluent-kafka', 'version': confluent_kafka.version()[0], 'librdkafka': confluent_kafka.libversion()[0]})
    out = open(a.output, 'a', encoding='utf-8') if a.output else None
    c = Consumer(conf)
    owned = set()
    pending = {}  # partition -> next offset to commit (processed, not yet committed)
    since_commit = [0]

    def write_out(obj):
        out.write(json.dumps(obj) + '\n')
        out.flush()  # in the OS once written: a kill -9 of this process cannot lose it

    def commit_pending(only=None):
        if not a.commit_every:
            return
        parts = {p: o for p, o in pending.items() if only is None or p in only}
        if not parts:
            return
        c.commit(offsets=[TopicPartition(a.topic, p, o) for p, o in sorted(parts.items())], asynchronous=False)
        offsets = {str(p): o for p, o in sorted(parts.items())}
        write_out({'type': 'commit', 'offsets': offsets})
        emit({'type': 'commit', 'offsets': offsets})
        for p in parts:
            del pending[p]
        since_commit[0] = 0

    def assigned(consumer, parts):
        got = sorted(p.partition for p in parts)
        emit({'type': 'assign', 'partitions': got, 't': now_ms()})
        if not cooperative:
            owned.clear()
        owned.update(got)
        emit({'type': 'assigned', 'partitions': sorted(owned)})

    def revoked(consumer, parts):
        lost = sorted(p.partition for p in parts)
        emit({'type': 'revoke', 'partitions': lost, 't': now_ms()})
        try:
            commit_pending(set(lost))
        except Exception as e:  # the new owner reprocesses from the last commit
            emit({'type': 'error', 'message': 'commit on revoke: ' + repr(e)})
        for p in lost:
            pending.pop(p, None)
        owned.difference_update(lost)
        emit({'type': 'assigned', 'partitions': sorted(owned)})

    c.subscribe([a.topic], on_assign=assigned, on_revoke=revoked)
    while not stopping:
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            emit({'type': 'error', 'message': str(m.error())})
            continue
        value = m.value().decode('utf-8')
        if a.commit_every:
            write_out({'type': 'processed', 'partition': m.partition(), 'offset': m.offset(), 'value': value})
            pending[m.partition()] = m.offset() + 1
            since_commit[0] += 1
        emit({'type': 'record', 'partition': m.partition(), 'offset': m.offset(), 'value': value, 't': now_ms()})
        if a.commit_every and since_commit[0] >= a.commit_every:
            commit_pending()
    try:
        commit_pending()
    except Exception as e:
        emit({'type': 'error', 'message': 'commit on close: ' + repr(e)})
    c.close()
    emit({'type': 'closed'})


if __name__ == '__main__':
    try:
        main()
    except Exception as e:  # reported, then a non-zero exit
        emit({'type': 'error', 'message': repr(e)})
        time.sleep(0.1)
        sys.exit(1)
