"""confluent-kafka (librdkafka) scenarios for golden capture.

Usage: confluent_kafka_client.py <host:port> <producer|transaction|consumer|fetch|admin>
Errors are expected (the broker may lack an API); what matters is what is sent.
"""
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

bootstrap, scenario = sys.argv[1], sys.argv[2]
topic = "golden"
common = {"bootstrap.servers": bootstrap, "socket.timeout.ms": 2000, "client.id": "golden-confluent"}


def attempt(what, fn):
    try:
        fn()
        print(f"{what}: ok", flush=True)
    except Exception as e:  # noqa: BLE001 - errors are expected against a partial broker
        print(f"{what}: {e}", flush=True)


if scenario == "producer":
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
        p = Producer({**common, "compression.type": codec, "linger.ms": 5, "message.timeout.ms": 1500})
        for i in range(3):
            p.produce(topic, key=f"k{i}".encode(), value=f"hello {codec} {i}".encode(), headers=[("h", b"v")])
        p.flush(1.5)
    p = Producer({**common, "enable.idempotence": True, "message.timeout.ms": 1500})
    p.produce(topic, key=b"k", value=b"idempotent")
    p.flush(1.5)
elif scenario == "transaction":
    p = Producer({**common, "transactional.id": "golden-confluent-txn", "transaction.timeout.ms": 5000, "message.timeout.ms": 1500})
    attempt("init_transactions", lambda: p.init_transactions(2))
    attempt("begin_transaction", p.begin_transaction)
    p.produce(topic, key=b"k", value=b"in a transaction")
    attempt("commit_transaction", lambda: p.commit_transaction(2))
elif scenario == "fetch":
    # Assigned partition, no group: Fetch without the group coordinator.
    c = Consumer({**common, "group.id": "golden-confluent-assign", "enable.auto.commit": False, "fetch.wait.max.ms": 200})
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    deadline = time.time() + 3
    while time.time() < deadline:
        c.poll(0.2)
    c.close()
elif scenario == "consumer":
    c = Consumer({**common, "group.id": "golden-confluent-group", "auto.offset.reset": "earliest",
                  "session.timeout.ms": 6000, "heartbeat.interval.ms": 500})
    c.subscribe([topic])
    deadline = time.time() + 4
    while time.time() < deadline:
        c.poll(0.2)
    attempt("commit", lambda: c.commit(asynchronous=False))
    c.close()
else:
    a = AdminClient(common)
    attempt("list_topics", lambda: a.list_topics(timeout=2))
    attempt("create_topics", lambda: [f.result(2) for f in a.create_topics([NewTopic(topic, 1, 1)], request_timeout=2).values()])
    attempt("describe_configs", lambda: [f.result(2) for f in a.describe_configs([ConfigResource("topic", topic)], request_timeout=2).values()])
    attempt("create_partitions", lambda: [f.result(2) for f in a.create_partitions([NewPartitions(topic, 2)], request_timeout=2).values()])
    attempt("list_groups", lambda: a.list_groups(timeout=2))
    attempt("delete_topics", lambda: [f.result(2) for f in a.delete_topics(["golden-doomed"], request_timeout=2).values()])
