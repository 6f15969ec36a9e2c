"""kafka-python scenarios for golden capture.

Usage: kafka_python_client.py <host:port> <producer|consumer|fetch|admin>
Errors are expected (the broker may lack an API); what matters is what is sent.
"""
import sys
import time

bootstrap, scenario = sys.argv[1], sys.argv[2]
topic = "golden"
common = {"bootstrap_servers": bootstrap, "request_timeout_ms": 2500, "client_id": "golden-kafka-python"}


def attempt(what, fn):
    try:
        fn()
        print(f"{what}: ok", flush=True)
    except Exception as e:  # noqa: BLE001 - errors are expected against a partial broker
        print(f"{what}: {type(e).__name__} {e}", flush=True)


def producer():
    from kafka import KafkaProducer
    for codec in [None, "gzip"]:  # snappy and lz4 need python-snappy / lz4, not installed
        def send():
            p = KafkaProducer(**common, compression_type=codec, max_block_ms=1500)
            futures = [p.send(topic, key=f"k{i}".encode(), value=f"hello {codec} {i}".encode(), headers=[("h", b"v")]) for i in range(3)]
            p.flush(1.5)
            for f in futures:
                f.get(0.1)
            p.close(0.5)
        attempt(f"produce {codec}", send)


def consumer():
    from kafka import KafkaConsumer
    c = KafkaConsumer(topic, **{**common, "request_timeout_ms": 7000}, group_id="golden-kafka-python-group", auto_offset_reset="earliest",
                      session_timeout_ms=6000, heartbeat_interval_ms=500, consumer_timeout_ms=3000)
    for _ in c:
        pass
    attempt("commit", c.commit)
    c.close()


def fetch():
    from kafka import KafkaConsumer, TopicPartition
    c = KafkaConsumer(**common, group_id=None, consumer_timeout_ms=3000, fetch_max_wait_ms=200)
    tp = TopicPartition(topic, 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    for _ in c:
        pass
    c.close()


def admin():
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewPartitions, NewTopic
    a = KafkaAdminClient(**common)
    attempt("create_topics", lambda: a.create_topics([NewTopic(topic, 1, 1)], timeout_ms=1000))
    attempt("list_topics", a.list_topics)
    attempt("describe_topics", lambda: a.describe_topics([topic]))
    attempt("describe_cluster", a.describe_cluster)
    attempt("describe_configs", lambda: a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)]))
    attempt("create_partitions", lambda: a.create_partitions({topic: NewPartitions(2)}))
    attempt("list_consumer_groups", a.list_consumer_groups)
    attempt("describe_consumer_groups", lambda: a.describe_consumer_groups(["golden-kafka-python-group"]))
    attempt("list_consumer_group_offsets", lambda: a.list_consumer_group_offsets("golden-kafka-python-group"))
    attempt("delete_topics", lambda: a.delete_topics(["golden-doomed"], timeout_ms=1000))
    a.close()


attempt(scenario, {"producer": producer, "consumer": consumer, "fetch": fetch, "admin": admin}[scenario])
