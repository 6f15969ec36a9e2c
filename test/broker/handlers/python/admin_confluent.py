"""confluent-kafka (librdkafka) AdminClient against a Samsa broker: topics, partitions, configs.

Usage: admin_confluent.py <bootstrap> <prefix>. Prints one JSON object (the observations) last.
"""
import json
import sys

from confluent_kafka import KafkaException, version, libversion
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

bootstrap, prefix = sys.argv[1], sys.argv[2]
a = AdminClient({'bootstrap.servers': bootstrap, 'broker.address.family': 'v4'})
out = {'version': version()[0], 'libversion': libversion()[0]}
T = 60


def outcome(fut):
    try:
        res = fut.result(timeout=T)
        return {'ok': True, 'result': res}
    except KafkaException as e:
        err = e.args[0]
        return {'ok': False, 'code': err.code(), 'name': err.name(), 'message': err.str()}


def src(v):
    return getattr(v, 'value', v)


def entries(res):
    d = {}
    for name, e in res.items():
        d[name] = {'value': e.value, 'source': src(e.source), 'read_only': e.is_read_only,
                   'default': e.is_default, 'sensitive': e.is_sensitive,
                   'synonyms': [[s.name, s.value, src(s.source)] for s in (e.synonyms.values() if isinstance(e.synonyms, dict) else e.synonyms or [])]}
    return d


def create(topics, **kw):
    fs = a.create_topics(topics, operation_timeout=10, request_timeout=T, **kw)
    return {t: ({'ok': True} if o['ok'] else o) for t, o in ((t, outcome(f)) for t, f in fs.items())}


def describe(resources):
    fs = a.describe_configs(resources, request_timeout=T)
    res = {}
    for r, f in fs.items():
        o = outcome(f)
        res[r.name] = {'ok': True, 'entries': entries(o['result'])} if o['ok'] else o
    return res


p = prefix
out['create'] = create([
    NewTopic(p + 'a', num_partitions=3, replication_factor=1, config={'retention.ms': '3600000', 'cleanup.policy': 'compact'}),
    NewTopic(p + 'assigned', num_partitions=2, replica_assignment=[[1], [1]]),
    NewTopic(p + 'default', num_partitions=-1, replication_factor=-1),
])
out['create_errors'] = create([
    NewTopic(p + 'a', num_partitions=1, replication_factor=1),
    NewTopic(p + 'badcfg', num_partitions=1, replication_factor=1, config={'retention.ms': 'forever'}),
    NewTopic(p + 'rf', num_partitions=1, replication_factor=3),
    NewTopic(p + 'other-broker', num_partitions=1, replica_assignment=[[2]]),
    NewTopic(p + 'bad name', num_partitions=1, replication_factor=1),
])
out['create_validate_only'] = create([NewTopic(p + 'vo', num_partitions=2, replication_factor=1)], validate_only=True)

md = a.list_topics(timeout=T)
out['partitions'] = {t: len(md.topics[t].partitions) for t in md.topics if t.startswith(p)}

out['describe'] = describe([ConfigResource('topic', p + 'a'), ConfigResource('broker', '1'), ConfigResource('topic', p + 'missing')])

fs = a.alter_configs([ConfigResource('topic', p + 'a', set_config={'retention.ms': '7200000'})], request_timeout=T)
out['alter_topic'] = [outcome(f)['ok'] for f in fs.values()]
fs = a.alter_configs([ConfigResource('broker', '1', set_config={'log.retention.ms': '86400000'})], request_timeout=T)
out['alter_broker'] = [outcome(f)['ok'] for f in fs.values()]
fs = a.alter_configs([ConfigResource('broker', '1', set_config={'log.dirs': '/elsewhere'})], request_timeout=T)
out['alter_broker_readonly'] = [outcome(f) for f in fs.values()]
fs = a.alter_configs([ConfigResource('topic', p + 'a', set_config={'retention.ms': 'x'})], request_timeout=T)
out['alter_topic_invalid'] = [outcome(f) for f in fs.values()]
out['describe_after'] = describe([ConfigResource('topic', p + 'a'), ConfigResource('topic', p + 'default')])
# Put the broker back as it was.
fs = a.alter_configs([ConfigResource('broker', '1', set_config={})], request_timeout=T)
out['alter_broker_reset'] = [outcome(f)['ok'] for f in fs.values()]

fs = a.create_partitions([NewPartitions(p + 'a', 5)], operation_timeout=10, request_timeout=T)
out['create_partitions'] = {t: outcome(f)['ok'] for t, f in fs.items()}
fs = a.create_partitions([NewPartitions(p + 'a', 2), NewPartitions(p + 'missing', 4)], operation_timeout=10, request_timeout=T)
out['create_partitions_errors'] = {t: outcome(f) for t, f in fs.items()}
md = a.list_topics(timeout=T)
out['partitions_after'] = len(md.topics[p + 'a'].partitions)

fs = a.delete_topics([p + 'a', p + 'assigned', p + 'missing'], operation_timeout=10, request_timeout=T)
out['delete'] = {t: ({'ok': True} if o['ok'] else o) for t, o in ((t, outcome(f)) for t, f in fs.items())}
md = a.list_topics(timeout=T)
out['topics_left'] = sorted(t for t in md.topics if t.startswith(p))

print(json.dumps(out, default=str))
