"""kafka-python KafkaAdminClient against a Samsa broker: topics, partitions, configs.

Usage: admin_kafka_python.py <bootstrap> <prefix>. Prints one JSON object (the observations) last.
"""
import json
import sys

import kafka
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewPartitions, NewTopic
from kafka.errors import KafkaError

bootstrap, p = sys.argv[1], sys.argv[2]
a = KafkaAdminClient(bootstrap_servers=bootstrap, client_id='samsa-admin-test', request_timeout_ms=30000)
out = {'version': kafka.__version__, 'api_versions': {}}
for key in (19, 20, 32, 33, 37):
    out['api_versions'][key] = a._matching_api_version(
        {19: kafka.protocol.admin.CreateTopicsRequest, 20: kafka.protocol.admin.DeleteTopicsRequest,
         32: kafka.protocol.admin.DescribeConfigsRequest, 33: kafka.protocol.admin.AlterConfigsRequest,
         37: kafka.protocol.admin.CreatePartitionsRequest}[key])


def attempt(fn):
    try:
        return {'ok': True, 'result': fn()}
    except KafkaError as e:
        return {'ok': False, 'error': type(e).__name__, 'errno': getattr(e, 'errno', None), 'message': str(e)}


def topic_errors(resp):
    return [[t[0], t[1]] + ([t[2]] if len(t) > 2 else []) for t in resp.topic_errors]


def describe(resources, synonyms=False):
    resps = a.describe_configs(resources, include_synonyms=synonyms)
    res = {}
    for resp in resps:
        for r in resp.resources:
            code, msg, rtype, name, entries = r[0], r[1], r[2], r[3], r[4]
            res[name] = {'code': code, 'message': msg, 'type': rtype,
                         'entries': {e[0]: list(e[1:]) for e in entries}}
    return res


r = attempt(lambda: topic_errors(a.create_topics([
    NewTopic(p + 'a', 2, 1, topic_configs={'retention.ms': '3600000'}),
    NewTopic(p + 'b', 1, 1),
])))
out['create'] = r
out['create_exists'] = attempt(lambda: topic_errors(a.create_topics([NewTopic(p + 'a', 1, 1)])))
out['create_bad_config'] = attempt(lambda: topic_errors(a.create_topics([NewTopic(p + 'c', 1, 1, topic_configs={'nope': '1'})])))
out['create_validate_only'] = attempt(lambda: topic_errors(a.create_topics([NewTopic(p + 'vo', 1, 1)], validate_only=True)))
out['create_assigned'] = attempt(lambda: topic_errors(a.create_topics([NewTopic(p + 'assigned', -1, -1, replica_assignments={0: [1], 1: [1], 2: [1]})])))
out['topics'] = sorted(t for t in a.list_topics() if t.startswith(p))

out['describe'] = describe([ConfigResource(ConfigResourceType.TOPIC, p + 'a'), ConfigResource(ConfigResourceType.BROKER, '1')], synonyms=True)
out['describe_missing'] = describe([ConfigResource(ConfigResourceType.TOPIC, p + 'missing')])

resp = a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, p + 'b', configs={'cleanup.policy': 'compact', 'min.insync.replicas': '1'})])
out['alter'] = [list(x) for x in resp.resources]
resp = a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, p + 'b', configs={'segment.bytes': '-5'})])
out['alter_invalid'] = [list(x) for x in resp.resources]
resp = a.alter_configs([ConfigResource(ConfigResourceType.BROKER, '1', configs={'num.partitions': '2'})])
out['alter_broker'] = [list(x) for x in resp.resources]
out['describe_after'] = describe([ConfigResource(ConfigResourceType.TOPIC, p + 'b', configs={'cleanup.policy': None, 'min.insync.replicas': None, 'retention.ms': None}),
                                  ConfigResource(ConfigResourceType.BROKER, '1', configs={'num.partitions': None})])
resp = a.alter_configs([ConfigResource(ConfigResourceType.BROKER, '1', configs={})])
out['alter_broker_reset'] = [list(x) for x in resp.resources]

out['create_partitions'] = attempt(lambda: topic_errors(a.create_partitions({p + 'a': NewPartitions(4)})))
out['create_partitions_same'] = attempt(lambda: topic_errors(a.create_partitions({p + 'a': NewPartitions(4)})))
out['partitions'] = {t['topic']: len(t['partitions']) for t in a.describe_topics([p + 'a', p + 'b'])}

out['delete'] = attempt(lambda: [list(x) for x in a.delete_topics([p + 'a', p + 'b']).topic_error_codes])
out['delete_missing'] = attempt(lambda: [list(x) for x in a.delete_topics([p + 'missing']).topic_error_codes])
out['topics_after'] = sorted(t for t in a.list_topics() if t.startswith(p))
a.close()
print(json.dumps(out, default=str))
