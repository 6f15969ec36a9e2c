#!/usr/bin/python3
"""librdkafka (confluent-kafka-python) reads a topic Samsa's Producer wrote, from the
beginning of every partition to its end, for test/interop/samsa-client.test.ts.

Usage: samsa_client_read.py BOOTSTRAP TOPIC PARTITIONS EXPECT OUT_FILE
Writes one JSON line per record to OUT_FILE ({p, o, k, v, h, ts}, bytes as base64, a
null header value as null) and prints one JSON result line.

confluent-kafka 1.7.0 (Debian's) drops a reference to None for every null header
value it hands to Python (a refcount bug in its C extension), so the interpreter
aborts while finalizing ("none_dealloc"). The records are complete by then, so the
script leaves with os._exit(0) after flushing everything.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import consumed_line, result  # noqa: E402

import confluent_kafka  # noqa: E402
from confluent_kafka import Consumer, KafkaError, TopicPartition  # noqa: E402


def main():
    bootstrap, topic, partitions, expect, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    c = Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': 'samsa-client-read',
        'enable.auto.commit': False,
        'enable.partition.eof': True,
        'auto.offset.reset': 'earliest',
    })
    c.assign([TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING) for p in range(partitions)])
    out = open(out_path, 'w', encoding='utf-8')
    count = 0
    tstypes = {}
    errors = []
    eof = set()
    deadline = time.monotonic() + 60
    reason = 'timeout'
    last_progress = time.monotonic()
    while time.monotonic() < deadline:
        for m in c.consume(num_messages=1000, timeout=0.5):
            err = m.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    eof.add(m.partition())
                else:
                    errors.append('%s: %s' % (err.name(), err.str()))
                continue
            eof.discard(m.partition())
            tstype, ts = m.timestamp()
            tstypes[str(tstype)] = tstypes.get(str(tstype), 0) + 1
            out.write(consumed_line(m.partition(), m.offset(), m.key(), m.value(), m.headers(), ts) + '\n')
            count += 1
            last_progress = time.monotonic()
        # Every partition at its end: done (fewer records than expected shows in the comparison).
        if len(eof) >= partitions and (count >= expect or time.monotonic() - last_progress > 3):
            reason = 'end'
            break
    out.close()
    result({'consumed': count, 'stop_reason': reason, 'errors': errors[:20], 'error_count': len(errors),
            'timestamp_types': tstypes,
            'librdkafka': confluent_kafka.libversion()[0]})
    sys.stdout.flush()
    os._exit(0)


if __name__ == '__main__':
    main()
