"""A librdkafka (confluent-kafka) group member for the consumer's group tests.

Subscribes to a topic in a group and prints one JSON line per event:
{"event": "assign"|"revoke", "partitions": [..]} and {"event": "record", "partition", "offset"}.
Runs until its stdin closes, then closes the consumer (leaving the group).
"""
import json
import sys
import threading

from confluent_kafka import Consumer


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    bootstrap, group, topic, strategy = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": strategy,
        "session.timeout.ms": 10000,
        "heartbeat.interval.ms": 1000,
        "enable.auto.commit": True,
        "auto.commit.interval.ms": 500,
    })

    def on_assign(consumer, partitions):
        emit({"event": "assign", "partitions": sorted(p.partition for p in partitions)})

    def on_revoke(consumer, partitions):
        emit({"event": "revoke", "partitions": sorted(p.partition for p in partitions)})

    c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    done = threading.Event()

    def wait_stdin():
        sys.stdin.read()
        done.set()

    threading.Thread(target=wait_stdin, daemon=True).start()
    while not done.is_set():
        m = c.poll(0.1)
        if m is None or m.error():
            continue
        emit({"event": "record", "partition": m.partition(), "offset": m.offset()})
    c.close()
    emit({"event": "closed"})


if __name__ == "__main__":
    main()
