"""A librdkafka (confluent-kafka) read_committed consumer that records everything it sees.

usage: rdkafka_read_committed.py BOOTSTRAP TOPIC PARTITIONS EXPECTED OUT_FILE DEADLINE_S

Reads every partition from the beginning with isolation.level=read_committed and
appends "partition<TAB>offset<TAB>value" lines to OUT_FILE until EXPECTED records
arrived (then 2 s more, to catch anything extra) or DEADLINE_S passed. Survives
broker restarts (librdkafka reconnects). Prints one JSON line at the end.
"""
import json
import sys
import time

from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING

bootstrap, topic, partitions, expected, out_file, deadline_s = sys.argv[1:7]
partitions, expected, deadline = int(partitions), int(expected), time.time() + float(deadline_s)

c = Consumer({
    'bootstrap.servers': bootstrap,
    'group.id': 'rdkafka-read-committed-observer',
    'enable.auto.commit': False,
    'isolation.level': 'read_committed',
    'enable.partition.eof': False,
})
c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
seen = 0
errors = []
done_at = None
with open(out_file, 'w') as out:
    while time.time() < deadline:
        if done_at is not None and time.time() >= done_at:
            break
        msgs = c.consume(num_messages=1000, timeout=0.5)
        for m in msgs:
            if m.error():
                errors.append(str(m.error()))
                continue
            out.write('%d\t%d\t%s\n' % (m.partition(), m.offset(), m.value().decode()))
            seen += 1
        if seen >= expected and done_at is None:
            done_at = time.time() + 2.0
c.close()
print(json.dumps({'seen': seen, 'errors': errors[:10]}), flush=True)
